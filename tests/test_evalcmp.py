#!/usr/bin/env python3
"""test_evalcmp.py -- squawk eval --scores and tools/evalcmp.py: two runs of the eval fixtures compared article by article."""
import os
import shutil
import subprocess
import sys
import tempfile

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
DATA = os.path.join(SRC, "tests", "data", "eval")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run_eval(out_dir, extra):
    os.makedirs(out_dir)
    scores = os.path.join(out_dir, "fixture.scores.tsv")
    r = subprocess.run([SQ, "eval", "--labels", os.path.join(DATA, "labels.tsv"), "--articles",
                        os.path.join(DATA, "articles.jsonl"), "--parties", os.path.join(DATA, "parties.tsv"),
                        "--scores", scores] + extra, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, SQUAWK_LOG__LEVEL="warn"))
    if r.returncode != 0:
        fail("squawk eval: %s" % r.stderr)
    rows = [line.rstrip("\n").split("\t") for line in open(scores)]
    if rows[0] != ["id", "category", "label", "score", "passed", "route_right", "route_wrong", "route_missed"]:
        fail("scores header: %s" % rows[0])
    if not any(r[5] != "-" and int(r[5]) > 0 for r in rows[1:]):
        fail("no article with a right ticker in the scores: %s" % rows[1:4])
    return rows


def evalcmp(a, b):
    r = subprocess.run([sys.executable, os.path.join(SRC, "tools", "evalcmp.py"), a, b, "--resamples", "200"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("evalcmp: %s" % r.stderr)
    return r.stdout.splitlines()[1:]


def main():
    tmp = tempfile.mkdtemp(prefix="sq_test_evalcmp_")
    try:
        base = run_eval(os.path.join(tmp, "a"), [])
        run_eval(os.path.join(tmp, "b"), [])
        # a threshold no calibrated score reaches: every invest positive is missed after
        run_eval(os.path.join(tmp, "c"), ["--threshold", "invest=100"])
        same = evalcmp(os.path.join(tmp, "a"), os.path.join(tmp, "b"))
        if same:
            fail("identical runs should print no difference: %s" % same)
        lines = evalcmp(os.path.join(tmp, "a"), os.path.join(tmp, "c"))
        inv = [l for l in lines if l.split()[1:3] == ["invest", "category"]]
        if len(inv) != 1 or " 0.000 " not in inv[0] or "[" not in inv[0]:
            fail("invest category should fall to 0 with an interval: %s" % lines)
        if any("idx-" in l or "fx-" in l for l in lines):
            fail("evalcmp printed an article: %s" % lines)
        npos = sum(1 for r in base[1:] if r[1] == "invest" and r[2] == "1")
        print("ok: evalcmp: %d invest positives; %s" % (npos, inv[0]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
