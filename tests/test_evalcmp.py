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


def evalcmp(a, b, *extra):
    r = subprocess.run([sys.executable, os.path.join(SRC, "tools", "evalcmp.py"), a, b, "--resamples", "200"] + list(extra),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("evalcmp: %s" % r.stderr)
    return r.stdout.splitlines()[1:]


def write_scores(path, n, pos, missed):
    """A scores file of n articles, pos of them invest positives, the first `missed` not passed."""
    with open(path, "w") as f:
        f.write("id\tcategory\tlabel\tscore\tpassed\troute_right\troute_wrong\troute_missed\n")
        for i in range(n):
            lab, passed = int(i < pos), int(i < pos and i >= missed)
            f.write("a%d\tinvest\t%d\t%d\t%d\t-\t-\t-\n" % (i, lab, 90 * passed, passed))


def pooled_rows(tmp):
    """--pooled over two check sets of 3,000 articles each (6,000 pooled: the approximate draws):
    each set has 50 positives, all found before; after, each misses 25."""
    for d, missed in (("pa", 0), ("pb", 25)):
        os.makedirs(os.path.join(tmp, d))
        for name in ("md2-check", "pool26-check"):
            write_scores(os.path.join(tmp, d, name + ".scores.tsv"), 3000, 50, missed)
    lines = evalcmp(os.path.join(tmp, "pa"), os.path.join(tmp, "pb"), "--pooled")
    row = [l for l in lines if l.startswith("CHECK real news") and " invest " in l and " category " in l]
    if len(row) != 1 or row[0].split()[5:7] != ["1.000", "0.667"] or not row[0].endswith("worse"):
        fail("pooled CHECK real news invest should fall 1.000 -> 0.667 (50 of 100 found), worse: %s" % lines)
    # ECE: before, 100 positives at 90 (band 9 off by .1 each) among 6,000 alerts: 10/6000; after, 50 of
    # them at 0 in band 0 (off by 1 each) and 50 at 90: 55/6000
    ece = [l for l in lines if l.startswith("CHECK real news") and " invest " in l and " ECE " in l]
    if len(ece) != 1 or ece[0].split()[5:7] != ["0.002", "0.009"] or "(6000 -> 6000 alerts;" not in ece[0]:
        fail("pooled CHECK real news invest ECE should rise 0.002 -> 0.009 over 6000 alerts: %s" % lines)
    if any(l.startswith(("CHECK hand", "TUNE")) for l in lines):
        fail("--pooled printed a group with no set: %s" % lines)
    return row[0]


def by_source_rows(tmp):
    """--by-source over one set of two sources: idx-* all found in both runs, rss-* half missed after."""
    for d, missed in (("sa", 0), ("sb", 10)):
        os.makedirs(os.path.join(tmp, d))
        with open(os.path.join(tmp, d, "md2-check.scores.tsv"), "w") as f:
            f.write("id\tcategory\tlabel\tscore\tpassed\troute_right\troute_wrong\troute_missed\n")
            for src in ("idx", "rss"):
                for i in range(100):
                    lab = int(i < 20)
                    passed = int(lab and not (src == "rss" and i < missed))
                    f.write("%s-%d\tinvest\t%d\t%d\t%d\t-\t-\t-\n" % (src, i, lab, 90 * passed, passed))
    lines = evalcmp(os.path.join(tmp, "sa"), os.path.join(tmp, "sb"), "--by-source")
    got = {l.split()[0]: l.split()[3:5] for l in lines if " invest " in l and " category " in l}
    if got != {"md2-check": ["1.000", "0.857"], "md2-check:idx": ["1.000", "1.000"], "md2-check:rss": ["1.000", "0.667"]}:
        fail("--by-source should split md2-check into idx (unchanged) and rss (1.000 -> 0.667): %s" % lines)
    if any(l.startswith("md2-check:") and " routing " in l for l in lines):
        fail("--by-source printed routing for a set without parties: %s" % lines)
    return lines[-1]


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
        print("ok: evalcmp --pooled: %s" % pooled_rows(tmp))
        print("ok: evalcmp --by-source: %s" % by_source_rows(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
