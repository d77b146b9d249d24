#!/usr/bin/env python3
"""rescore_cv.py -- out-of-fold F1 of a built-in filter's rescoring model (squawk train --filter), by outer k-fold CV.

A model scored on the articles it was trained on says nothing (F1 ~ 1); this
trains k models, each without one fold of the training sets, and runs `squawk
eval` on the fold it did not see, at the threshold that model's own inner CV
picked. The sums over folds are the numbers to decide by (model on or off,
what to do without roles, which training sets help), before any check split.

usage: tools/rescore_cv.py BUILD FILTER --set NAME:LABELS:ARTICLES[:PARTIES] [--set ...]
           [--folds K] [--env K=V] [--eval-set FILTER.KEY=V] [--no-model] [-- squawk train options]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile


def read_labels(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return head, rows


def needed_articles(paths, ids, out):
    """Writes the articles of ids (first occurrence) from the JSONL files into out."""
    seen = set()
    with open(out, "w") as w:
        for p in paths:
            with open(p) as f:
                for line in f:
                    try:
                        i = json.loads(line).get("id")
                    except ValueError:
                        continue
                    if i in ids and i not in seen:
                        seen.add(i)
                        w.write(line)


def eval_row(build, flt, labels, articles, model, thr, parties, env, sets=()):
    cmd = [os.path.join(build, "squawk"), "eval", "--labels", labels, "--articles", articles, "--filter", flt]
    for kv in sets:
        cmd += ["--set", kv]
    if model:
        cmd += ["--set", f"{flt}.model={model}", "--threshold", f"{flt}={thr}"]
    if parties:
        cmd += ["--parties", parties]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    cat = rout = None
    section = None
    for line in out.splitlines():
        if line.startswith("category") and "threshold" in line:
            section = "cat"
        elif line.startswith("category") and "articles" in line:
            section = "rout"
        elif line.startswith("reliability"):
            section = None
        elif line.startswith(flt + " "):
            f = line.split()
            if section == "cat":
                cat = [int(x) for x in f[-5:-2]]  # TP FP FN
            elif section == "rout":
                rout = [int(x) for x in f[4:7]]
    return cat, rout


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("filter")
    ap.add_argument("--set", action="append", required=True, help="NAME:LABELS:ARTICLES[:PARTIES]")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--env", action="append", default=[], help="K=V for squawk eval")
    ap.add_argument("--eval-set", action="append", default=[], help="FILTER.KEY=V for squawk eval (model_reach=...)")
    ap.add_argument("--threshold", type=float, help="the filter's threshold instead of each model's own")
    ap.add_argument("--no-model", action="store_true", help="the rules alone on the same folds")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.train = extra
    env = dict(os.environ, SQUAWK_LOG__LEVEL="warn")
    for kv in a.env:
        k, v = kv.split("=", 1)
        env[k] = v
    sets, head = [], ["id", a.filter]
    for s in a.set:  # each set's id and filter column
        parts = s.split(":")
        h, rows = read_labels(parts[1])
        if a.filter not in h:
            sys.exit(f"rescore_cv: {parts[1]}: no column '{a.filter}'")
        c = h.index(a.filter)
        sets.append((parts[0], [[r[0], r[c]] for r in rows], parts[2], parts[3] if len(parts) > 3 else None))
    rng = random.Random(1)
    folds = []  # (set index, row)
    for si, (_, rows, _, _) in enumerate(sets):
        for r in rows:
            folds.append((si, r))
    rng.shuffle(folds)
    tot = {s[0]: [[0, 0, 0], [0, 0, 0]] for s in sets}
    with tempfile.TemporaryDirectory() as tmp:
        arts = os.path.join(tmp, "articles.jsonl")
        needed_articles([s[2] for s in sets], {r[0] for _, r in folds}, arts)
        for k in range(a.folds):
            train = [r for i, (_, r) in enumerate(folds) if i % a.folds != k]
            lab = os.path.join(tmp, "train.tsv")
            with open(lab, "w") as w:
                w.write("\t".join(head) + "\n")
                w.writelines("\t".join(r) + "\n" for r in train)
            model = os.path.join(tmp, f"{k}.lm")
            thr = None
            if not a.no_model:
                out = subprocess.run([os.path.join(a.build, "squawk"), "train", "--filter", a.filter, "--category",
                                      a.filter, "--labels", lab, "--articles", arts, "--out", model, "--quiet"]
                                     + a.train, capture_output=True, text=True, env=env, check=True).stdout
                thr = 100 * float(re.search(r"threshold p>=([0-9.]+)", out).group(1))
                if a.threshold is not None:
                    thr = a.threshold
            for si, (name, _, _, parties) in enumerate(sets):
                held = [r for i, (s, r) in enumerate(folds) if i % a.folds == k and s == si]
                hl = os.path.join(tmp, "held.tsv")
                with open(hl, "w") as w:
                    w.write("\t".join(head) + "\n")
                    w.writelines("\t".join(r) + "\n" for r in held)
                cat, rout = eval_row(a.build, a.filter, hl, arts, None if a.no_model else model, thr, parties, env, a.eval_set)
                for j in range(3):
                    tot[name][0][j] += cat[j]
                    if rout:
                        tot[name][1][j] += rout[j]
    print(f"{a.filter}: {a.folds}-fold out-of-fold ({'rules alone' if a.no_model else 'rescoring model'})")
    # the sets pooled: one number to choose a filter-wide setting by (a threshold through model_gate)
    pooled = [sum(c[j] for c, _ in tot.values()) for j in range(3)]
    for name, (c, r) in list(tot.items()) + ([("all sets", (pooled, [0, 0, 0]))] if len(tot) > 1 else []):
        p, rr, f = prf(*c)
        line = f"  {name:<14} category P={p:.3f} R={rr:.3f} F1={f:.3f} (TP {c[0]} FP {c[1]} FN {c[2]})"
        if any(r):
            line += " routing P=%.3f R=%.3f F1=%.3f" % prf(*r)
        print(line)


if __name__ == "__main__":
    main()
