#!/usr/bin/env python3
"""corpus_pool.py -- eval/labels/*.tsv (our labels of shared-corpus items, by id) to squawk eval inputs, split in two.

A labels file holds no corpus text: id, invest, chips, regulatory, invest_parties, chips_parties,
regulatory_parties, borderline (labels and parties by ../shared/corpus/GUIDE.md). The articles come from
tools/corpus_modern.py. Items split by sha1(id): even -> OUT-tune-*.tsv (tuning: read its errors), odd ->
OUT-check-*.tsv (summary lines only), in the formats `squawk eval --labels/--parties` read.

usage: tools/corpus_pool.py LABELS.tsv OUT
"""
import hashlib
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    files = {}
    for half in ("tune", "check"):
        lab = open(f"{out}-{half}-labels.tsv", "w")
        par = open(f"{out}-{half}-parties.tsv", "w")
        lab.write("id\tinvest\tchips\tregulatory\n")
        par.write("id\tinvest_parties\tchips_parties\tregulatory_parties\tnote\n")
        files[half] = (lab, par)
    with open(src, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            c = line.rstrip("\n").split("\t")
            if n == 1 and c[0] == "id":
                continue
            if len(c) != 8 or any(v not in ("0", "1") for v in c[1:4]):
                sys.exit(f"{src}:{n}: want 8 tab-separated fields with 0/1 labels")
            i, kinds, cells = c[0], c[1:4], c[4:7]
            half = "check" if int(hashlib.sha1(i.encode()).hexdigest(), 16) % 2 else "tune"
            lab, par = files[half]
            lab.write(i + "\t" + "\t".join(kinds) + "\n")
            par.write(i + "\t" + "\t".join(p if k == "1" else "" for k, p in zip(kinds, cells)) + "\t\n")
    for lab, par in files.values():
        lab.close()
        par.close()


if __name__ == "__main__":
    main()
