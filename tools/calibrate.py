#!/usr/bin/env python3
"""calibrate.py -- fits each built-in filter's score calibration (Platt) on a labelled tuning set.

The engine scores 100 * sigmoid(a * (S - bias) + b). With a = 1, b = 0 (calib_slope 0: off)
that is the raw evidence curve; this tool runs `squawk eval --scores` with calibration off, fits
a and b per category by logistic regression of the label on the raw logit over the articles that
raised an alert (any score), and prints the values for the plugins' DETECT_CONFIG_CALIBRATION
defaults, each category's reliability before/after (ECE, 10 bands) and the thresholds that keep
today's decisions (a monotone map: F1 is unchanged at the mapped threshold). The calibration in
force today is read off the data: the shipped scores' logits are an exact line in the raw ones.

usage: tools/calibrate.py [--build build] [--config config/squawk.yml]
                          [--labels L.tsv --articles A.jsonl]
Default data: ../shared/corpus/modern_dev_2 tune split. Needs python3-yaml (Debian).
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def logit(p):
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


def loss(a, b, xs, ys, l2):
    tot = 0.5 * l2 * a * a
    for x, y in zip(xs, ys):
        z = a * x + b
        tot += math.log1p(math.exp(-abs(z))) + max(z, 0) - y * z  # log-loss, overflow-safe
    return tot


def fit(xs, ys, l2=1e-2, iters=100):
    """Damped Newton for P(y=1|x) = sigmoid(a x + b); a small ridge on a keeps it finite."""
    a, b = 1.0, 0.0
    cur = loss(a, b, xs, ys, l2)
    for _ in range(iters):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys):
            p = sigmoid(a * x + b)
            w = p * (1 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        ga += l2 * a
        haa += l2
        hbb += 1e-9
        det = haa * hbb - hab * hab
        if abs(det) < 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6:  # halve the step until the loss goes down
            na, nb = a - step * da, b - step * db
            new = loss(na, nb, xs, ys, l2)
            if new <= cur:
                break
            step /= 2
        if step <= 1e-6 or cur - new < 1e-10:
            break
        a, b, cur = na, nb, new
    return a, b


def ece(ps, ys, bands=10):
    n = len(ps)
    if not n:
        return 0.0
    tot = 0.0
    for k in range(bands):
        idx = [i for i, p in enumerate(ps) if min(int(p * bands), bands - 1) == k]
        if idx:
            tot += abs(sum(ps[i] for i in idx) - sum(ys[i] for i in idx))
    return tot / n


def scores(o, conf, path):
    subprocess.run([os.path.join(o.build, "squawk"), "eval", "--config", conf, "--labels", o.labels,
                    "--articles", o.articles, "--scores", path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [line.rstrip("\n").split("\t") for line in open(path)][1:]


def line_fit(raw, shipped, cat):
    """Least squares of shipped logit on raw logit: today's (slope, intercept) for cat."""
    cal = {(r[0], r[1]): float(r[3]) for r in shipped if r[3] != "-"}
    pts = [(logit(float(r[3]) / 100), logit(cal[(r[0], r[1])] / 100)) for r in raw
           if r[1] == cat and r[3] != "-" and (r[0], r[1]) in cal
           and 0.01 < float(r[3]) < 99.99 and 0.01 < cal[(r[0], r[1])] < 99.99]
    n = len(pts)
    mx, my = sum(p[0] for p in pts) / n, sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    a = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return a, my - a * mx


def main():
    shared = os.environ.get("SQUAWK_SHARED", os.path.join(ROOT, "..", "shared"))
    md2 = os.path.join(shared, "corpus", "modern_dev_2")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--config", default=os.path.join(ROOT, "config", "squawk.yml"))
    ap.add_argument("--labels", default=os.path.join(md2, "labels-tune.tsv"))
    ap.add_argument("--articles", default=os.path.join(md2, "articles.jsonl"))
    o = ap.parse_args()

    with open(o.config) as f:
        cfg = yaml.safe_load(f)
    thresholds = {}
    for i, flt in enumerate(cfg.get("filters", [])):
        if isinstance(flt, str):  # "filters: [invest, chips]": plugin defaults
            flt = cfg["filters"][i] = {"name": flt}
        flt.setdefault("config", {})
        flt["config"]["calib_slope"] = 0  # raw scores: the fit is on the uncalibrated curve
        if "threshold" in flt:
            thresholds[flt["name"]] = float(flt["threshold"])
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "squawk.yml")
        with open(conf, "w") as f:
            yaml.safe_dump(cfg, f)
        rows = scores(o, conf, os.path.join(tmp, "raw.tsv"))
        shipped = scores(o, o.config, os.path.join(tmp, "shipped.tsv"))
    cats = sorted({r[1] for r in rows})
    print(f"fitted on {o.labels} ({len(rows) // max(len(cats), 1)} articles)")
    for c in cats:
        pts = [(logit(float(r[3]) / 100), int(r[2])) for r in rows if r[1] == c and r[3] != "-"]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        a, b = fit(xs, ys)
        before = ece([sigmoid(x) for x in xs], ys)
        after = ece([sigmoid(a * x + b) for x in xs], ys)
        line = f"{c:<11} calib_slope {a:.4f}  calib_intercept {b:.4f}  alerts {len(xs):4d}  " \
               f"ECE {before:.3f} -> {after:.3f}"
        if c in thresholds:
            a0, b0 = line_fit(rows, shipped, c)
            t = thresholds[c]
            raw = (logit(t / 100) - b0) / a0  # the raw logit today's threshold stands for
            line += f"  threshold {t:g} -> {100 * sigmoid(a * raw + b):.2f} (today a={a0:.4f} b={b0:.4f})"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
