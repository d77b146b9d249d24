#!/bin/sh
# dockerfile_check.sh -- runs the Dockerfile's build-stage commands here (no Docker engine needed) and checks the result.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/squawk-dockerfile.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The build stage's RUN after `COPY . .`, with the image paths mapped into $T.
awk '/^FROM /{stage++} stage==1 && /^COPY \. \./{grab=1; next}
     grab && /^RUN /{on=1; sub(/^RUN /, "")} on{print; if ($0 !~ /\\$/) exit}' "$ROOT/Dockerfile" |
    sed -e "s#/build#$T/build#g" -e "s#/out/#$T/out/#g" -e "s#/out #$T/out #g" >"$T/build.sh"
[ -s "$T/build.sh" ] || { echo "no build RUN found in Dockerfile"; exit 1; }
echo "dockerfile_check: running the build stage's commands:"
cat "$T/build.sh"
(cd "$ROOT" && sh -e "$T/build.sh")

# The runtime stage's packages must exist in Debian 12.
pkgs=$(awk '/^FROM /{stage++} stage==2 && /apt-get install/{on=1} on{print; if ($0 !~ /\\$/) exit}' "$ROOT/Dockerfile" |
    tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|update|rm|useradd|no|y|system|create|home|squawk|rf|var|lib|apt|lists)$' || true)
for p in $pkgs; do
    apt-cache show "$p" >/dev/null 2>&1 || { echo "runtime package $p is not in Debian"; exit 1; }
done

O="$T/out"
test -x "$O/usr/bin/squawk"
for f in invest chips regulatory; do test -f "$O/usr/lib/squawk/$f.so"; done
test -f "$O/usr/share/squawk/gazetteer.yml"
"$O/usr/bin/squawk" version >/dev/null
SQUAWK_ENGINE__DATA_DIR="$O/usr/share/squawk" SQUAWK_ENGINE__PLUGIN_DIRS="$O/usr/lib/squawk" \
    "$O/usr/bin/squawk" check -c "$O/etc/squawk/squawk.yml" >/dev/null
echo "dockerfile_check: image layout ok ($(echo $pkgs | wc -w) runtime packages checked)"
