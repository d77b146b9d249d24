#!/usr/bin/env python3
"""corpus_handwritten.py -- eval/sets/handwritten-*.tsv (our own labelled sentences) to squawk eval inputs.

Each set is one TSV: id, invest, chips, regulatory, invest_parties, chips_parties, regulatory_parties,
headline, body (labels and parties by ../shared/corpus/GUIDE.md). Writes OUT.jsonl (articles),
OUT-labels.tsv and OUT-parties.tsv, the formats `squawk eval --labels/--parties` read. A parties cell
"-" or "none" is an empty list (an act on an industry that names no company: every ticker sent is
wrong); "?" is not listed (a battery written without parties): squawk eval does not measure that
kind's routing on the article, only its category.

usage: tools/corpus_handwritten.py SET.tsv OUT
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f, open(out + ".jsonl", "w") as arts, \
            open(out + "-labels.tsv", "w") as labels, open(out + "-parties.tsv", "w") as parties:
        labels.write("id\tinvest\tchips\tregulatory\n")
        parties.write("id\tinvest_parties\tchips_parties\tregulatory_parties\tnote\n")
        for n, line in enumerate(f, 1):
            c = line.rstrip("\n").split("\t")
            if n == 1 and c[0] == "id":
                continue
            if len(c) == 8:
                c.append("")
            if len(c) != 9 or any(v not in ("0", "1") for v in c[1:4]):
                sys.exit(f"{src}:{n}: want 9 tab-separated fields with 0/1 labels")
            i, kinds, cells, head, body = c[0], c[1:4], c[4:7], c[7], c[8]
            arts.write(json.dumps({"id": i, "headline": head, "body": body, "source": "handwritten",
                                   "published": "2026-01-15T00:00:00Z"}) + "\n")
            labels.write(i + "\t" + "\t".join(kinds) + "\n")
            # a kind labelled 0 has no parties ("-" in the set)
            parties.write(i + "\t" + "\t".join(p if k == "1" else "" for k, p in zip(kinds, cells)) + "\t\n")


if __name__ == "__main__":
    main()
