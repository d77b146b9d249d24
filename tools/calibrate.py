#!/usr/bin/env python3
"""calibrate.py -- measures and fits the built-in filters' score calibration files (filters/rules/v2/<filter>.calib.yml).

A calibration file maps the raw evidence logit x = S - bias (`rules`) and, for a filter with a
rescoring model, the logit of the model's probability (`model`) to the probability that the article
reports the event (filters/README.md "Score"). This tool
  1. runs `squawk eval --scores` uncalibrated (calibration "", model "") on the tuning labels;
  2. prints today's file's ECE there and, for every way it can fit, the out-of-fold ECE (10 bands;
     k-fold CV of the fit itself, mean of --reps splits; after `~`, the ECE those scores would show
     on average by chance if they were exact, as squawk eval prints it) and reliability:
     - `rules` by Platt scaling of the label on x over the articles that raised an alert, or by
       isotonic regression (pool adjacent violators, each block's share pulled towards the base
       rate by --prior articles, points at the blocks' mean x, flat beyond the ends);
     - for a filter with a model (rules/v2/<filter>.lm), with or without a `model` map: Platt
       scaling on the model's out-of-fold logit (`make models` writes BUILD/eval/<filter>.cv.tsv)
       over the articles past model_gate (the model's own Platt fit is on every article of its
       training sets; the gate passes a likelier few). The engine caps the model's score at the
       rules' where a negative rule fired (engine.c), so `rules` goes through the point where
       today's capped score meets today's threshold, at the new one: those articles are decided
       as today too;
  3. prints the thresholds (and model_gate) that make today's decisions with the --method /
     --model-map fit: a calibration is monotone, so F1 is unchanged at the mapped threshold;
  4. with --write, writes that fit's files; the defaults it printed go into filters/<f>/<f>.c.
Never fit on a check split or a held-out set. What ships and why (the refits below were better out
of fold on modern_dev_2 tune and worse on its check split, whose summary decides): docs/EVAL.md
"Calibration".

usage: tools/calibrate.py [--build build] [--set LABELS:ARTICLES ...] [--filter F] [--folds 5]
                          [--reps 10] [--prior 0.5] [--min-block 1] [--method platt|isotonic] [--model-map] [--write]
Default labels: $SQUAWK_SHARED/corpus/modern_dev_2 labels-tune.tsv. Needs python3-yaml.
"""
import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTERS = ("invest", "chips", "regulatory")


def logit(p):
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


class Map:
    """A calibration map as the engine applies it (detect_calib_apply): points (x, p)."""

    def __init__(self, pts):
        self.pts = pts
        self.x = [a for a, _ in pts]
        self.z = [logit(b) for _, b in pts]

    def __call__(self, x):
        i = 1
        while i + 1 < len(self.x) and x > self.x[i]:
            i += 1
        t = (x - self.x[i - 1]) / (self.x[i] - self.x[i - 1])
        return sigmoid(self.z[i - 1] + t * (self.z[i] - self.z[i - 1]))

    def inverse(self, p):
        """The x that maps to p (the first, where the map is flat)."""
        z = logit(p)
        i = 1
        while i + 1 < len(self.x) and z > self.z[i]:
            i += 1
        dz = self.z[i] - self.z[i - 1]
        return self.x[i - 1] + (z - self.z[i - 1]) / dz * (self.x[i] - self.x[i - 1]) if dz else self.x[i - 1]


IDENTITY = Map([(-1.0, sigmoid(-1.0)), (1.0, sigmoid(1.0))])


def platt(xs, ys, l2=1e-2, iters=100):
    """Damped Newton for P(y=1|x) = sigmoid(a x + b); a small ridge on a keeps it finite."""
    def loss(a, b):
        return 0.5 * l2 * a * a + sum(math.log1p(math.exp(-abs(a * x + b))) + max(a * x + b, 0) - y * (a * x + b)
                                      for x, y in zip(xs, ys))
    a, b = 1.0, 0.0
    cur = loss(a, b)
    for _ in range(iters):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys):
            p = sigmoid(a * x + b)
            w = p * (1 - p)
            ga, gb = ga + (p - y) * x, gb + p - y
            haa, hab, hbb = haa + w * x * x, hab + w * x, hbb + w
        ga, haa, hbb = ga + l2 * a, haa + l2, hbb + 1e-9
        det = haa * hbb - hab * hab
        if abs(det) < 1e-12:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6 and loss(a - step * da, b - step * db) > cur:
            step /= 2
        new = loss(a - step * da, b - step * db)
        if step <= 1e-6 or cur - new < 1e-10:
            break
        a, b, cur = a - step * da, b - step * db, new
    return Map([(-2.0, sigmoid(-2 * a + b)), (2.0, sigmoid(2 * a + b))])


def merge_small(blocks, mass):
    """Joins each block of fewer than `mass` articles to the neighbour whose share is nearest, so
    no point of the map rests on a handful of articles (a coarse map generalises; see --min-block)."""
    def share(b):
        return b[1] / b[2]
    while len(blocks) > 1:
        small = [i for i, b in enumerate(blocks) if b[2] < mass]
        if not small:
            break
        i = small[0]
        if i == 0 or (i + 1 < len(blocks) and
                      abs(share(blocks[i + 1]) - share(blocks[i])) < abs(share(blocks[i - 1]) - share(blocks[i]))):
            j = i + 1
        else:
            j = i - 1
        a, c = min(i, j), max(i, j)
        blocks[a] = [u + v for u, v in zip(blocks[a], blocks[c])]
        del blocks[c]
    return blocks


def isotonic(xs, ys, prior, mass=1):
    """Pool adjacent violators on x, blocks of at least `mass` articles; points at each block's mean
    x, its share pulled towards the base rate by `prior` articles, strictly increasing, flat beyond
    the ends."""
    base = sum(ys) / len(ys)
    blocks = []  # [sum x, sum y, n]
    for x, y in sorted(zip(xs, ys)):
        blocks.append([x, y, 1])
        while len(blocks) > 1 and blocks[-2][1] * blocks[-1][2] >= blocks[-1][1] * blocks[-2][2]:
            sx, sy, n = blocks.pop()
            blocks[-1] = [blocks[-1][0] + sx, blocks[-1][1] + sy, blocks[-1][2] + n]
    blocks = merge_small(blocks, mass)
    pts = []
    for sx, sy, n in blocks:
        x, p = sx / n, min(max((sy + prior * base) / (n + prior), 0.002), 0.998)
        if pts and p <= pts[-1][1]:
            p = pts[-1][1] + 1e-6
        if not pts or x > pts[-1][0]:
            pts.append((x, p))
    if len(pts) == 1:
        pts.append((pts[0][0] + 1, pts[0][1] + 1e-6))
    return Map([(pts[0][0] - 100, pts[0][1])] + pts + [(pts[-1][0] + 100, pts[-1][1])])


def ece(ps, ys, bands=10):
    sp, sy = [0.0] * bands, [0] * bands
    for p, y in zip(ps, ys):
        k = min(int(p * bands), bands - 1)
        sp[k] += p
        sy[k] += y
    return sum(abs(a - b) for a, b in zip(sp, sy)) / len(ps) if ps else 0.0


def ece_chance(ps, bands=10):
    """The ECE exact probabilities ps would show on average by chance (squawk eval's `~`)."""
    tot = 0.0
    for k in range(bands):
        dist = [1.0]
        band = [p for p in ps if min(int(p * bands), bands - 1) == k]
        for p in band:  # Poisson binomial: the count right in the band
            dist = [(dist[i] if i < len(dist) else 0) * (1 - p) + (dist[i - 1] * p if i else 0)
                    for i in range(len(dist) + 1)]
        tot += sum(q * abs(i - sum(band)) for i, q in enumerate(dist))
    return tot / len(ps) if ps else 0.0


def reliability(ps, ys, bands=10):
    cells = []
    for k in range(bands):
        v = [y for p, y in zip(ps, ys) if min(int(p * bands), bands - 1) == k]
        cells.append(f"{len(v)}/{sum(v) / len(v):.2f}" if v else "-")
    return " ".join(f"{c:>8}" for c in cells)


def headline_key(a):
    return " ".join((a.get("headline") or "").lower().split())


def check_twins(articles, check_labels, check_articles):
    """Ids in `articles` whose headline is a modern_dev_2 CHECK article's: the modern corpus's
    unlabelled pool and md2 share stories under other ids (234 of labels-modern-dev's 1,588
    unlabelled articles), so a set judged there would fit on check text."""
    if not (os.path.exists(check_labels) and os.path.exists(check_articles)):
        return set()
    check = {line.split("\t", 1)[0] for line in open(check_labels)}
    heads = {headline_key(a) for a in map(json.loads, open(check_articles)) if a.get("id") in check}
    heads.discard("")
    return {a.get("id") for a in map(json.loads, open(articles)) if headline_key(a) in heads}


def raw_rows(o, labels, articles, skip=frozenset()):
    """{filter: [{id, x, y}]}: the uncalibrated evidence logit of every article with an alert
    (none whose id is in skip)."""
    cmd = [os.path.join(o.build, "squawk"), "eval", "--labels", labels, "--articles", articles]
    for f in FILTERS:
        cmd += ["--set", f"{f}.calibration=", "--set", f"{f}.calib_slope=0", "--set", f"{f}.model="]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scores.tsv")
        subprocess.run(cmd + ["--scores", path], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, SQUAWK_LOG__LEVEL="warn"))
        rows = [line.rstrip("\n").split("\t") for line in open(path)][1:]
    out = {f: [] for f in FILTERS}
    for i, c, y, s, *_ in rows:
        if c in out and s != "-" and i not in skip:
            out[c].append({"id": i, "x": logit(float(s) / 100), "y": int(y)})
    return out


def current(f):
    """Today's file, threshold and model gate of filter f (its plugin's defaults)."""
    src = open(os.path.join(ROOT, "filters", f, f + ".c")).read()
    thr = float(re.search(r"\.default_threshold\s*=\s*([0-9.]+)", src).group(1))
    m = re.search(r'DETECT_CONFIG_MODEL\([^,]+,\s*"([^"]*)",\s*"([0-9.]+)"\)', src)
    doc = yaml.safe_load(open(os.path.join(ROOT, "filters", "rules", "v2", f + ".calib.yml")))
    rules = Map([tuple(p) for p in doc["rules"]]) if "rules" in doc else IDENTITY
    model = Map([tuple(p) for p in doc["model"]]) if "model" in doc else IDENTITY
    return {"threshold": thr, "model": m.group(1) if m else "", "gate": float(m.group(2)) if m else 0.0,
            "rules_map": rules, "model_map": model}


def model_logits(o, f, cur, rows):
    """Marks each row past the gate and gives it the model's out-of-fold logit (make models' CV)."""
    cv = os.path.join(o.build, "eval", f + ".cv.tsv")
    if not os.path.exists(cv):
        sys.exit(f"calibrate: {cv} missing: run `make models` (it writes the models' out-of-fold scores)")
    head = open(os.path.join(ROOT, "filters", "rules", "v2", cur["model"]), "rb").read(4096).decode("latin-1")
    a, b = (float(v) for v in re.search(r"^output \S+ \d+ (\S+) (\S+)", head, re.M).groups())
    margin = {r[0]: float(r[2]) for r in (line.rstrip("\n").split("\t") for line in open(cv)) if r[0] != "id"}
    cur["x_gate"] = cur["rules_map"].inverse(cur["gate"] / 100)
    cur["x_cap"] = cur["rules_map"].inverse(cur["threshold"] / 100)
    for r in rows:
        r["gated"] = r["x"] >= cur["x_gate"]
        if r["gated"] and r["id"] not in margin:
            sys.exit(f"calibrate: {cv} has no score for {r['id']}: the model was trained without it")
        r["z"] = a * margin[r["id"]] + b if r["gated"] else 0.0


def fit(rows, cur, how, prior):
    """The rules' map (how.rules: platt or isotonic) and, for a filter with a model when how.model,
    the model's (else None: the model's own calibration); with a model the rules' map goes through
    the point where a capped score meets the threshold."""
    fitter = platt if how.rules == "platt" else lambda xs, ys: isotonic(xs, ys, prior, how.mass)
    rules = fitter([r["x"] for r in rows], [r["y"] for r in rows])
    if not cur["model"]:
        return rules, None
    g = [r for r in rows if r.get("gated")]
    model = platt([r["z"] for r in g], [r["y"] for r in g]) if how.model and g else None
    z_thr = cur["model_map"].inverse(cur["threshold"] / 100)
    return anchored(rules, cur["x_cap"], model(z_thr) if model else sigmoid(z_thr)), model


def anchored(rules, x, p):
    """rules passing through (x, p), never decreasing: where a negative rule caps the model's score
    at the rules' (engine.c), the capped article is decided as today."""
    pts = [(a, min(b, p - 1e-6 * (x - a) / (1 + x - a))) if a < x else (a, max(b, p + 1e-6 * (a - x) / (1 + a - x)))
           for a, b in rules.pts if a != x]
    return Map(sorted(pts + [(x, p)]))


def predict(r, rules, model):
    return model(r["z"]) if model and r.get("gated") else rules(r["x"])


def out_of_fold(rows, cur, how, prior, folds, reps):
    """Mean ECE over `reps` k-fold splits of fitting on the other folds; the first split's predictions."""
    eces, first = [], None
    for s in range(reps):
        order = list(range(len(rows)))
        random.Random(s).shuffle(order)
        fold = {i: j % folds for j, i in enumerate(order)}
        ps = [0.0] * len(rows)
        for k in range(folds):
            rules, model = fit([r for i, r in enumerate(rows) if fold[i] != k], cur, how, prior)
            for i, r in enumerate(rows):
                if fold[i] == k:
                    ps[i] = predict(r, rules, model)
        eces.append(ece(ps, [r["y"] for r in rows]))
        first = first or ps
    return sum(eces) / reps, first


def mapped(old_map, new_map, old_score, xs):
    """Today's threshold old_score through the new map, to 2 decimals, deciding every x as today."""
    x0 = old_map.inverse(old_score / 100)
    exact = 100 * new_map(x0)
    for d in (0, -0.01, 0.01, -0.02, 0.02):
        t = round(exact, 2) + d
        if all((100 * new_map(x) >= t) == (100 * old_map(x) >= old_score) for x in xs):
            return t
    return exact


def write_file(f, rules, model, note):
    path = os.path.join(ROOT, "filters", "rules", "v2", f + ".calib.yml")
    with open(path, "w") as w:
        w.write(f"# {f}.calib.yml -- the {f} filter's score calibration (config key `calibration`; filters/README.md\n"
                f"# \"Score\"), written by tools/calibrate.py: do not edit by hand, rerun it.\n")
        w.writelines(f"# {line}\n" for line in note)
        w.write(f"filter: {f}\nrules:  # x = S - bias (the uncalibrated evidence logit) -> p (score = 100 p)\n")
        w.writelines(f"  - [{x:.9g}, {p:.9g}]\n" for x, p in rules.pts)
        if model:
            w.write("model:  # x = logit of the rescoring model's probability -> p\n")
            w.writelines(f"  - [{x:.9g}, {p:.9g}]\n" for x, p in model.pts)
    return path


class How:
    def __init__(self, rules, model, mass=1):
        self.rules, self.model, self.mass = rules, model, mass  # mass: --min-block

    def __str__(self):
        return f"rules {self.rules}" + (", model: Platt past the gate" if self.model else "")


def candidates(o, cur, rows):
    """Out-of-fold ECE of every way to fit, so the choice is measured, not assumed."""
    ys = [r["y"] for r in rows]
    for how in [How(m, False, o.min_block) for m in ("platt", "isotonic")] + \
            ([How(m, True, o.min_block) for m in ("platt", "isotonic")] if cur["model"] else []):
        e, ps = out_of_fold(rows, cur, how, o.prior, o.folds, o.reps)
        print(f"  {str(how):<40} out of fold ECE {e:.3f} (~{ece_chance(ps):.3f})  {reliability(ps, ys)}")


def thresholds(cur, rules, model, rows):
    """Today's defaults through the new maps, deciding every tuning article as today."""
    xs = [r["x"] for r in rows]
    if not cur["model"]:
        return {"threshold": mapped(cur["rules_map"], rules, cur["threshold"], xs)}
    thr = mapped(cur["model_map"], model, cur["threshold"], [r["z"] for r in rows if r["gated"]]) \
        if model else cur["threshold"]
    rules = anchored(rules, cur["x_cap"], thr / 100)  # through the threshold as written
    return {"threshold": thr, "model_gate": mapped(cur["rules_map"], rules, cur["gate"], xs), "rules": rules}


def one_filter(o, f, rows, names):
    cur = current(f)
    if cur["model"]:
        model_logits(o, f, cur, rows)
    ys = [r["y"] for r in rows]
    today = ece([predict(r, cur["rules_map"], cur["model_map"] if cur["model"] else None) for r in rows], ys)
    today_ps = [predict(r, cur["rules_map"], cur["model_map"] if cur["model"] else None) for r in rows]
    print(f"{f}: {len(rows)} alerts ({sum(ys)} right) on {names}; today's file: ECE {today:.3f} (~{ece_chance(today_ps):.3f})"
          + (" (the model's scores out of fold)" if cur["model"] else "") + "; bands 0-10 .. 90-100:")
    candidates(o, cur, rows)
    how = How(o.method, o.model_map, o.min_block)
    rules, model = fit(rows, cur, how, o.prior)
    t = thresholds(cur, rules, model, rows)
    rules = t.pop("rules", rules)
    print(f"  {how}: " + ", ".join(f"{k} {cur['gate' if k == 'model_gate' else k]:g} -> {v:g}" for k, v in t.items())
          + " (the same decisions)")
    if o.write:
        e, _ = out_of_fold(rows, cur, how, o.prior, o.folds, o.reps)
        note = [f"Fitted on {names}: {len(rows)} alerts; {how}" + (f", isotonic prior {o.prior:g}, blocks of >= {o.min_block}" if
                o.method == "isotonic" else "") + f"; {o.folds}-fold out-of-fold ECE {e:.3f} (before: {today:.3f}).",
                "Same decisions as before at " + ", ".join(f"{k} {v:g}" for k, v in t.items()) + "."]
        print(f"  wrote {write_file(f, rules, model, note)}; set those defaults in filters/{f}/{f}.c")


def main():
    shared = os.environ.get("SQUAWK_SHARED", os.path.join(ROOT, "..", "shared"))
    md2 = os.path.join(shared, "corpus", "modern_dev_2")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--set", action="append", metavar="LABELS:ARTICLES",
                    help="tuning labels and their articles (repeatable; default modern_dev_2 labels-tune.tsv)")
    ap.add_argument("--prior", type=float, default=0.5, help="articles of base rate added to each isotonic block")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=10, help="k-fold splits averaged for the out-of-fold ECE")
    ap.add_argument("--filter", action="append", choices=FILTERS)
    ap.add_argument("--method", choices=("platt", "isotonic"), default="platt", help="the rules' map (--write)")
    ap.add_argument("--model-map", action="store_true", help="also map the model's probability (--write)")
    ap.add_argument("--write", action="store_true", help="write filters/rules/v2/<filter>.calib.yml")
    ap.add_argument("--min-block", type=int, default=1, help="fewest articles per isotonic block (merged with a neighbour)")
    o = ap.parse_args()
    sets = o.set or [f"{md2}/labels-tune.tsv:{md2}/articles.jsonl"]
    if any("check" in s for s in sets):
        sys.exit("calibrate: never fit on a check split")
    rows = {f: [] for f in FILTERS}
    for s in sets:
        labels, articles = s.split(":", 1)
        twins = check_twins(articles, f"{md2}/labels-check.tsv", f"{md2}/articles.jsonl") \
            if os.path.realpath(articles) != os.path.realpath(f"{md2}/articles.jsonl") else set()
        if twins:
            print(f"calibrate: {len(twins)} articles of {articles} share a headline with md2 CHECK: left out")
        for f, r in raw_rows(o, labels, articles, twins).items():
            rows[f] += r
    names = ", ".join(os.path.relpath(s.split(":")[0], shared) for s in sets)
    for f in o.filter or FILTERS:
        one_filter(o, f, rows[f], names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
