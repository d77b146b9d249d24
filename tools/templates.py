#!/usr/bin/env python3
"""templates.py -- checks rule packs for generality: one headline template filled with every listed company.

A rule written for one headline is worth nothing; a pattern of the language holds for every company a
desk trades. Each template (eval/templates.tsv) is filled with the first unambiguous alias of each
listed company of the gazetteer (optionally only those of some sectors) and scored by `squawk score
--all`; the report says, per template, how many filled headlines raised the expected category above
its threshold (or none, for a negative template) and how many named the filled company in the
expected role. A filled headline also fails when its alert reaches a topic of any other listed company
(a stray ticker: "FTC Sues to Block Acme Deal" on Block Inc.'s). A template that fails for some
companies shows the aliases it failed on.

eval/templates.tsv: expect<TAB>category<TAB>role<TAB>sectors<TAB>template
  expect 1: an alert of category at or above the shipped threshold; role (or -) the role of {A};
  expect 0: no alert of category at or above the threshold. sectors: "-" any, else comma-separated
  gazetteer sectors {A} must have one of. {B} (optional) is filled with a fixed second company.

usage: tools/templates.py [--build build] [--limit N] [--only SUBSTRING] [--show 5] [--max-fail 0.02]
Needs python3-yaml. `make templates` runs every listed company; `make test` runs 300 per template (test_templates).
"""
import argparse
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECOND = {"invest": "Globex Holdings Inc", "chips": "Nvidia", "regulatory": "Globex Holdings Inc"}


def listed():
    """(alias, ticker, sectors) of every listed company of the gazetteer, by its first unambiguous alias."""
    g = yaml.safe_load(open(os.path.join(ROOT, "filters", "gazetteer.yml"), encoding="utf-8"))
    out = []
    for e in g["entities"]:
        if e.get("kind") != "company" or not e.get("ticker"):
            continue
        amb = set(e.get("ambiguous") or [])
        names = [a for a in (e.get("aliases") or []) + [e["name"]] if a not in amb]
        if names:
            out.append((names[0], e["ticker"], set(e.get("sectors") or [])))
    return out


def companies(every, sectors):
    """(alias, ticker) of the listed companies with one of sectors (all when none)."""
    return [(a, t) for a, t, sec in every if not sectors or set(sectors) & sec]


def spread(comps, n):
    """At most n of comps, evenly spaced: the gazetteer lists large caps first, then small caps and foreign
    listings, so a short run (make test's) still reaches every section."""
    if not n or len(comps) <= n:
        return comps
    return [comps[i * len(comps) // n] for i in range(n)]


def score(sq, arts):
    """The best alert per (article, category) that `squawk score` publishes (at or above the shipped threshold)."""
    p = subprocess.run([sq, "score", "--config", os.path.join(ROOT, "config", "squawk.yml")],
                       input="".join(json.dumps(a) + "\n" for a in arts), capture_output=True, text=True, check=False)
    best = {}
    for line in p.stdout.splitlines():
        a = json.loads(line)
        key = (a["article"]["id"], a["category"])
        if key not in best or a["score"] > best[key]["score"]:
            best[key] = a
    return best


def min_relevance():
    """sinks.zmq.min_relevance of the shipped config: the relevance a company's topic needs."""
    with open(os.path.join(ROOT, "config", "squawk.yml"), encoding="utf-8") as f:
        return float(yaml.safe_load(f)["sinks"]["zmq"]["min_relevance"])


def strays(alert, allowed, min_rel):
    """The tickers an alert's topics reach beyond the allowed ones."""
    return [e["ticker"] for e in alert.get("entities", [])
            if e.get("ticker") and e["ticker"] not in allowed and e.get("role") not in ("mentioned", "regulator")
            and e.get("relevance", 0) >= min_rel]


def role_of(alert, ticker):
    for e in alert.get("entities", []):
        if e.get("ticker") == ticker:
            return e.get("role")
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--templates", default=os.path.join(ROOT, "eval", "templates.tsv"))
    ap.add_argument("--limit", type=int, default=0, help="at most N companies per template, evenly spaced (0: all)")
    ap.add_argument("--only", default="", help="templates containing this text")
    ap.add_argument("--show", type=int, default=5, help="failing aliases shown per template")
    ap.add_argument("--max-fail", type=float, default=0.02,
                    help="exit 1 when a template fails for more than this share of its companies (names the tokeniser "
                         "splits, \"Yum! Brands\", fail every template: a few are expected)")
    args = ap.parse_args()
    sq = os.path.join(args.build, "squawk")
    every = listed()
    min_rel = min_relevance()
    second = {c: {t for a, t, _ in every if a == name} for c, name in SECOND.items()}
    rows = []
    for n, line in enumerate(open(args.templates, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        expect, cat, role, sectors, tmpl = line.rstrip("\n").split("\t")
        if not args.only or args.only in tmpl:
            rows.append((n, expect, cat, role, sectors, tmpl))
    # the companies a template itself names ("... deal with Microsoft") are parties too, and never fill
    # {A}: "BHP walks away from BHP" has no answer. One `squawk score` for every probe, one for every fill.
    probes = score(sq, [{"id": "p%d" % n, "headline": tmpl.replace("{A}", "Zorblax Widgets Inc").replace("{B}", SECOND[cat]),
                         "body": ""} for n, _, cat, _, _, tmpl in rows])
    own, fill, arts = {n: set() for n, *_ in rows}, {}, []
    for (i, _), al in probes.items():
        own[int(i[1:])] |= {e.get("ticker") for e in al.get("entities", [])}
    for n, _, cat, _, sectors, tmpl in rows:
        comps = [c for c in companies(every, [] if sectors == "-" else sectors.split(",")) if c[0] != SECOND[cat]
                 and (c[1] is None or c[1] not in own[n])]
        fill[n] = spread(comps, args.limit)
        arts += [{"id": "t%d_%d" % (n, i), "headline": tmpl.replace("{A}", a).replace("{B}", SECOND[cat]), "body": ""}
                 for i, (a, _) in enumerate(fill[n])]
    best = score(sq, arts)
    bad = 0
    for n, expect, cat, role, _, tmpl in rows:
        fails = []
        for i, (a, t) in enumerate(fill[n]):
            al = best.get(("t%d_%d" % (n, i), cat))
            hit = al is not None
            ok = hit if expect == "1" else not hit
            if ok and expect == "1" and role != "-" and role_of(al, t) != role:
                ok = False
            stray = strays(al, {t} | second[cat] | own[n], min_rel) if al and hit else []
            if not ok or stray:
                why = ("stray " + ",".join(stray)) if ok else (role_of(al, t) if al else "no alert")
                fails.append("%s (%s)" % (a, why))
        bad += len(fails) > args.max_fail * len(fill[n])
        print("%s:%d: %s %s %d/%d ok  %s" % (os.path.basename(args.templates), n, cat, "alerts" if expect == "1" else "silent",
                                            len(fill[n]) - len(fails), len(fill[n]), tmpl))
        for f in fails[:args.show]:
            print("    failed: " + f)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
