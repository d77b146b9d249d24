#!/usr/bin/python3
"""test_rules.py -- the rule regression set: hand-written sentences per rule that must keep firing or not firing."""
import glob
import json
import os
import subprocess
import sys

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# tests/rules/<category>.tsv: expect<TAB>rule<TAB>headline[<TAB>body]
#   expect 1: an alert of <category> at or above its default threshold, and when rule is not
#             "*", that rule among its evidence; expect 0: no alert of <category>.
# Lines starting with # are comments. The sentences are our own, never corpus text.
# Each category runs on its regex pack (engine v1) and, when filters/rules/v2/<category>.yml
# exists, again on that token-pattern pack (engine v2); `--set <category>.engine=...` picks
# each explicitly, whatever the plugin's default. The same sentences must pass on both. Both run
# the rules alone: a shipped rescoring model (`model`, filters/README.md) is switched off.
# SQ_RULES_ENGINE=v1 or v2 runs one engine only.
# tests/rules/v2/<category>.tsv (same format) runs on engine v2 only: sentences for what the token
# patterns read differently from the regexes (hyphenated words, possessives, sentence ends).

# A filter that ships a model has the model's default threshold; its rules alone decide at this one
# (filters/invest/invest.c, the comment at default_threshold).
RULES_THRESHOLD = {"invest": 26.19}

# The year the sentences speak from: #past_year (filters/token.h, tok_mark_years) reads a year by the
# article's published date, and an undated article by the clock.
SENTENCES_WRITTEN = "2025-07-01T00:00:00Z"


def main():
    cases, articles, v2_only = [], [], set()
    for path in sorted(glob.glob(os.path.join(SRC, "tests", "rules", "*.tsv")) +
                       glob.glob(os.path.join(SRC, "tests", "rules", "v2", "*.tsv"))):
        cat = os.path.splitext(os.path.basename(path))[0]
        pre = "v2-" if os.path.basename(os.path.dirname(path)) == "v2" else ""
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3 or parts[0] not in ("0", "1"):
                print("%s:%d: expected 'expect<TAB>rule<TAB>headline[<TAB>body]'" % (path, n))
                return 1
            aid = "%s%s-%d" % (pre, cat, n)
            if pre:
                v2_only.add(aid)
            cases.append((path, n, cat, parts[0] == "1", parts[1], parts[2], aid))
            # dated as the sentences were written, so that "in 2024" stays an earlier year whatever the clock
            articles.append({"id": aid, "headline": parts[2], "body": parts[3] if len(parts) > 3 else "",
                             "published": SENTENCES_WRITTEN})
    if not cases:
        print("no rule cases found")
        return 1
    only = os.environ.get("SQ_RULES_ENGINE", "")
    bad = 0
    v2 = sorted({c[2] for c in cases if os.path.exists(os.path.join(SRC, "filters", "rules", "v2", c[2] + ".yml"))})
    # the packs' own decisions: no learned rescoring (tests/test_rescore.py), the rules' thresholds
    rules = [a for cat in v2 for a in ("--set", cat + ".model=")]
    rules += [a for cat, t in RULES_THRESHOLD.items() for a in ("--threshold", "%s=%s" % (cat, t))]
    if only in ("", "v1"):
        bad += check([c for c in cases if c[6] not in v2_only], articles, "v1",
                     [a for cat in v2 for a in ("--set", cat + ".engine=v1")] + rules)
    if only in ("", "v2") and v2:
        sets = [a for cat in v2 for a in ("--set", cat + ".engine=v2")] + rules
        bad += check([c for c in cases if c[2] in v2], articles, "v2", sets)
    return 1 if bad else 0


def check(cases, articles, engine, extra):
    """Scores every article with extra options; returns how many cases failed."""
    r = subprocess.run([SQ, "score"] + extra + ["-"], input="\n".join(json.dumps(a) for a in articles) + "\n",
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        return 1
    alerts = {}
    for line in r.stdout.splitlines():
        a = json.loads(line)
        alerts[(a["article"]["id"], a["category"])] = a
    bad = 0
    for path, n, cat, want, rule, headline, aid in cases:
        a = alerts.get((aid, cat))
        ok = (a is not None) == want
        if ok and want and rule != "*":
            ok = rule in [e["rule"] for e in a["evidence"]]
        if not ok:
            bad += 1
            got = "score %.1f, rules %s" % (a["score"], sorted({e["rule"] for e in a["evidence"]})) if a else "no alert"
            print("%s:%d: %s (engine %s) expected %s%s: %s -- %s" % (os.path.relpath(path, SRC), n, cat, engine,
                  "an alert" if want else "no alert", "" if rule == "*" else " via " + rule, got, headline))
    print("engine %s: %d rule cases, %d failed" % (engine, len(cases), bad))
    return bad


if __name__ == "__main__":
    sys.exit(main())
