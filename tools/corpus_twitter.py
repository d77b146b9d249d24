#!/usr/bin/env python3
"""corpus_twitter.py -- Twitter financial-news topic CSV (text,label) to squawk article JSON Lines + labels TSV."""
import argparse
import csv
import html
import json
import os
import re
import sys

# Topic labels of zeroshot/twitter-financial-news-topic mapped to squawk categories.
# There is no chips label, so the TSV has no chips column and eval skips it.
CATEGORY_LABELS = {"invest": 13, "regulatory": 12}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("csv", help="new_data_train.csv or new_data_test.csv")
    ap.add_argument("--split", default=None,
                    help="split name used in ids (default: train/test from the file name)")
    ap.add_argument("--labels-out", default=None, help="write the labels TSV here")
    ap.add_argument("--topics-out", default=None,
                    help="write id<TAB>topic (the 0..19 label) here, for a multi-class `squawk train --column topic`")
    args = ap.parse_args()

    split = args.split
    if not split:
        m = re.search(r"(train|test|valid\w*)", os.path.basename(args.csv))
        split = m.group(1) if m else "x"
    lab = open(args.labels_out, "w", encoding="utf-8") if args.labels_out else None
    if lab:
        lab.write("id\t" + "\t".join(CATEGORY_LABELS) + "\n")
    top = open(args.topics_out, "w", encoding="utf-8") if args.topics_out else None
    if top:
        top.write("id\ttopic\n")
    n = 0
    with open(args.csv, newline="", encoding="utf-8") as f:
        for row, rec in enumerate(csv.DictReader(f), start=1):
            # Tweets keep HTML entities (&amp;); a news feed would deliver plain text.
            text = html.unescape(rec["text"]).strip()
            if not text:
                continue
            label = int(rec["label"])
            aid = "tw-%s-%d" % (split, row)
            a = {"id": aid, "headline": text, "body": "", "source": "twitter"}
            sys.stdout.write(json.dumps(a, ensure_ascii=False) + "\n")
            if lab:
                lab.write(aid + "\t" + "\t".join("1" if label == v else "0"
                                                 for v in CATEGORY_LABELS.values()) + "\n")
            if top:
                top.write("%s\t%d\n" % (aid, label))
            n += 1
    if lab:
        lab.close()
    if top:
        top.close()
    print("corpus_twitter: %d articles (split %s)" % (n, split), file=sys.stderr)


if __name__ == "__main__":
    main()
