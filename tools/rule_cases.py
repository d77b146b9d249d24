#!/usr/bin/env python3
"""rule_cases.py -- the rule-case sentences (tests/rules/[v2/]<category>.tsv, our own wording) as articles and labels, for training.

usage: tools/rule_cases.py CATEGORY ARTICLES_OUT LABELS_OUT
Each non-comment line 'expect<TAB>rule<TAB>headline[<TAB>body]' becomes an
article (id case-<file>-<line>) labelled expect in column CATEGORY.
"""
import glob
import json
import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cat, arts, labels = sys.argv[1:]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "rules")
    with open(arts, "w") as a, open(labels, "w") as lab:
        lab.write("id\t%s\n" % cat)
        for path in sorted(glob.glob(os.path.join(root, cat + ".tsv")) + glob.glob(os.path.join(root, "v2", cat + ".tsv"))):
            tag = "v2-" if os.path.basename(os.path.dirname(path)) == "v2" else ""
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                p = line.rstrip("\n").split("\t")
                if line.startswith("#") or len(p) < 3 or p[0] not in ("0", "1"):
                    continue
                aid = "case-%s%s-%d" % (tag, cat, n)
                a.write(json.dumps({"id": aid, "headline": p[2], "body": p[3] if len(p) > 3 else ""}) + "\n")
                lab.write("%s\t%s\n" % (aid, p[0]))


if __name__ == "__main__":
    main()
