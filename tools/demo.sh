#!/bin/sh
# demo.sh -- the `make demo` script (first version: shows the binary works).
set -eu
B=${1:-build}
"$B/squawk" version
