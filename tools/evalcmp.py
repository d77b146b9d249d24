#!/usr/bin/env python3
"""evalcmp.py -- compares two `make eval` runs set by set, article by article (paired bootstrap).

usage: tools/evalcmp.py BEFORE_DIR AFTER_DIR [--set NAME ...] [--pooled] [--resamples N]

Each DIR is a copy of BUILD/eval after tools/eval.sh (it keeps NAME.scores.tsv per set:
`squawk eval --scores`). For every set in both and each category, prints F1 before -> after and
the 95% interval of the difference over resamples of the articles, the same articles drawn for
both runs: a difference whose interval holds 0 is not shown to be real. Routing F1 the same way,
over each article's (ticker) pairs, where the set has parties. Only counts are printed, never an
article: it is safe on the CHECK sets.

--pooled adds four rows per category and measure, every row even when nothing moved, and each
group's expected calibration error (ECE) before -> after, 10 bands as squawk eval prints it, with
what exact probabilities would show by chance (a check split of ~130 alerts cannot show an ECE
below ~.07 even if every score were exact; a pooled group can): the sets of
each group taken as one set (an article of each set once), so a keep decision can read one interval
over ~2,000 check articles instead of twelve small ones. Groups: real-news CHECK (md2-check and the
pools' check halves), hand-written CHECK (handwritten-*-check), real-news TUNE (md2-tune,
labels-dev, labels-modern-dev, the pools' tune halves), hand-written TUNE (the other handwritten-*).
Reuters and Twitter (other label sets) are in no group. BEFORE_DIR = AFTER_DIR prints the pooled
F1 of one run.

--by-source splits each set whose ids carry a source prefix (the text before the first '-': md2's
idx = headlines alone, nvda = Nvidia-tagged market news, rss = tech press and FT with bodies) and
prints every row of each part: where a set's errors sit, still as counts only.
"""
import argparse
import math
import os
import random
import sys


def load(path):
    """{(id, category): (tp, fp, fn, rtp, rfp, rfn)} of one scores TSV (route counts None if absent)."""
    out = {}
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        if "passed" not in head:
            sys.exit(f"evalcmp: {path}: no 'passed' column (written by an older squawk eval)")
        col = {k: i for i, k in enumerate(head)}
        for line in f:
            v = line.rstrip("\n").split("\t")
            lab, passed = int(v[col["label"]]), int(v[col["passed"]])
            r = [v[col[k]] for k in ("route_right", "route_wrong", "route_missed")]
            route = None if "-" in r else tuple(int(x) for x in r)
            score = None if v[col["score"]] in ("-", "") else float(v[col["score"]])
            out[(v[0], v[col["category"]])] = (passed and lab, passed and not lab, (not passed) and lab, route, score, lab)
    return out


def f1(tp, fp, fn):
    return 2.0 * tp / (2.0 * tp + fp + fn) if tp else 0.0


def draws(n, m, rng):
    """n draws with replacement from range(n), of which only those below m count. Beyond 5,000
    articles (the pooled groups) the number landing below m is drawn from its binomial's normal
    approximation and only those are drawn, so a resample costs the live articles, not all."""
    if n <= 5000:
        return rng.choices(range(n), k=n)
    p = m / n
    k = min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    return rng.choices(range(m), k=k) if m else []


def paired(a, b, n_res, rng):
    """a, b: lists of (tp, fp, fn) per article, same order. (F1 a, F1 b, lo, hi) of b - a."""
    n = len(a)
    # articles that count for nothing in both runs only dilute: draw all n, keep the others
    live = [i for i in range(n) if any(a[i]) or any(b[i])]
    alive = set(live)
    order = live + [i for i in range(n) if i not in alive]
    m = len(live)
    diffs = []
    for _ in range(n_res):
        s = [0] * 6
        for i in draws(n, m, rng):
            if i < m:
                j = order[i]
                s[0] += a[j][0]; s[1] += a[j][1]; s[2] += a[j][2]
                s[3] += b[j][0]; s[4] += b[j][1]; s[5] += b[j][2]
        diffs.append(f1(*s[3:]) - f1(*s[:3]))
    diffs.sort()
    k = n_res // 40
    fa = f1(*(sum(x[i] for x in a) for i in range(3)))
    fb = f1(*(sum(x[i] for x in b) for i in range(3)))
    return fa, fb, diffs[k], diffs[n_res - 1 - k]


GROUPS = (("CHECK real news", lambda n: n == "md2-check" or (n.startswith("pool") and n.endswith("-check"))),
          ("CHECK hand-written", lambda n: n.startswith("handwritten-") and n.endswith("-check")),
          ("TUNE real news", lambda n: n in ("md2-tune", "labels-dev", "labels-modern-dev")
           or (n.startswith("pool") and n.endswith("-tune"))),
          ("TUNE hand-written", lambda n: n.startswith("handwritten-") and not n.endswith("-check")))


def compare(label, a, b, n_res, show_all):
    """Prints F1 before -> after of every category (and routing) over the keys both runs scored."""
    keys = sorted(set(a) & set(b))
    for cat in sorted({c for _, c in keys}):
        ks = [k for k in keys if k[1] == cat]
        rng = random.Random(0x5EED)
        rows = [("category", [a[k][:3] for k in ks], [b[k][:3] for k in ks])]
        rk = [k for k in ks if a[k][3] is not None and b[k][3] is not None]
        if rk:
            rows.append(("routing", [a[k][3] for k in rk], [b[k][3] for k in rk]))
        for what, x, y in rows:
            fa, fb, lo, hi = paired(x, y, n_res, rng)
            if fa == fb and lo == hi == 0 and not show_all:
                continue
            mark = "" if lo <= 0 <= hi else ("  better" if lo > 0 else "  worse")
            print(f"{label:22s} {cat:11s} {what:8s} {fa:7.3f} {fb:7.3f}  {fb - fa:+.3f} [{lo:+.3f}, {hi:+.3f}]{mark}")


def by_source(name, a, b, n_res):
    """compare() over each id prefix of one set that has more than one."""
    src = sorted({i.split("-", 1)[0] for i, _ in a})
    for pre in src if len(src) > 1 else ():
        part = [{k: v for k, v in r.items() if k[0].split("-", 1)[0] == pre} for r in (a, b)]
        compare(f"{name}:{pre}", *part, n_res, True)


def ece(alerts):
    """Expected calibration error of (score, label) pairs over 10 score bands, as squawk eval computes it."""
    bands = [[0, 0, 0.0] for _ in range(10)]
    for score, lab in alerts:
        b = bands[min(9, int(score // 10))]
        b[0] += 1; b[1] += lab; b[2] += score / 100
    return sum(abs(b[2] - b[1]) for b in bands) / len(alerts) if alerts else 0.0


def chance_ece(alerts, n_res, rng):
    """The ECE these scores would show on average if each were its alert's exact probability."""
    return sum(ece([(s, rng.random() < s / 100) for s, _ in alerts]) for _ in range(n_res)) / n_res if alerts else 0.0


def calibration(label, a, b, n_res):
    """Prints each category's ECE before -> after (best alert per article, any score) and, after ~,
    what exact probabilities would show by chance with the after run's scores."""
    keys = sorted(set(a) & set(b))
    for cat in sorted({c for _, c in keys}):
        x, y = ([(r[k][4], r[k][5]) for k in keys if k[1] == cat and r[k][4] is not None] for r in (a, b))
        ch = chance_ece(y, max(1, n_res // 5), random.Random(0x5EED))
        print(f"{label:22s} {cat:11s} {'ECE':8s} {ece(x):7.3f} {ece(y):7.3f}  {ece(y) - ece(x):+.3f} "
              f"({len(x)} -> {len(y)} alerts; ~{ch:.3f} by chance)")


def pooled(runs, names, n_res):
    """The groups' rows: each set's keys prefixed by its name, so ids of two sets never meet."""
    for label, member in GROUPS:
        a, b = {}, {}
        for name in (n for n in names if member(n)):
            for run, dst in zip(runs(name), (a, b)):
                for (i, cat), v in run.items():
                    dst[(name + "/" + i, cat)] = v
        if a and b:
            compare(label, a, b, n_res, True)
            calibration(label, a, b, n_res)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--set", action="append", help="only this set (NAME of NAME.scores.tsv); repeatable")
    ap.add_argument("--pooled", action="store_true", help="also the four groups of sets, each pooled (see above)")
    ap.add_argument("--by-source", action="store_true", help="also each set split by its ids' source prefix")
    ap.add_argument("--resamples", type=int, default=1000)
    o = ap.parse_args()
    every = sorted(f[:-len(".scores.tsv")] for f in os.listdir(o.after) if f.endswith(".scores.tsv")
                   and os.path.exists(os.path.join(o.before, f)))
    names = [n for n in every if n in o.set] if o.set else every
    if not names:
        sys.exit("evalcmp: no set with NAME.scores.tsv in both directories (run tools/eval.sh on each)")
    cache = {}

    def runs(name):
        """(before, after) outcomes of one set, each file read once for both uses."""
        if name not in cache:
            cache[name] = tuple(load(os.path.join(d, name + ".scores.tsv")) for d in (o.before, o.after))
        return cache[name]

    print(f"{'set':22s} {'category':11s} {'what':8s} {'before':>7s} {'after':>7s}  difference, 95% interval")
    for name in names:
        compare(name, *runs(name), o.resamples, False)
        if o.by_source:
            by_source(name, *runs(name), o.resamples)
    if o.pooled:
        pooled(runs, every, o.resamples)

if __name__ == "__main__":
    main()
