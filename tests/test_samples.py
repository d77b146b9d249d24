#!/usr/bin/python3
"""test_samples.py -- the sample articles raise what samples/README.md says, and nothing it forbids."""
import json
import os
import re
import subprocess
import sys

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATS = ("invest", "chips", "regulatory")


def main():
    rows = []
    for line in open(os.path.join(SRC, "samples", "README.md"), encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].endswith(".json"):
            expected = set(re.findall(r"\*\*(\w+)\*\*", cells[1]))
            must_not = {c for c in CATS if re.search(r"\b%s\b" % c, cells[3])}
            rows.append((cells[0], expected, must_not))
    if len(rows) < 12:
        print("samples/README.md table not found or too short")
        return 1
    files = [os.path.join(SRC, "samples", r[0]) for r in rows]
    r = subprocess.run([SQ, "score"] + files, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        return 1
    raised = {}
    for line in r.stdout.splitlines():
        a = json.loads(line)
        raised.setdefault(a["article"]["id"], {})[a["category"]] = a["score"]
    bad = 0
    for (name, expected, must_not), path in zip(rows, files):
        got = raised.get(json.load(open(path))["id"], {})
        for c in sorted(expected - set(got)):
            print("%s: expected a %s alert, got none" % (name, c))
            bad += 1
        for c in sorted(must_not & set(got)):
            print("%s: must not raise %s, got score %.1f" % (name, c, got[c]))
            bad += 1
    print("%d samples checked, %d problems" % (len(rows), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
