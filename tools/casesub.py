#!/usr/bin/env python3
"""casesub.py -- the same news in Title Case: does squawk read a headline by its words or by its capitals?

usage: tools/casesub.py OUT LABELS,PARTIES,ARTICLES [LABELS,PARTIES,ARTICLES ...]

Takes every labelled article whose headline is written in sentence case (four or more words, under half of those
after the first capitalised) and writes OUT-orig.jsonl (the articles as they are), OUT-title.jsonl (the same ids,
the headline rewritten in Title Case the way market-news sites write it: every word capitalised but articles,
conjunctions and short prepositions; the body unchanged), OUT-labels.tsv and OUT-parties.tsv. Score both with
`squawk eval --parties`: the labels hold for both, so every category or routing difference between the two runs is
squawk reading capitals as names (an ordinary word taken for a company, a relation noun no longer read as one).
Run it on tuning sets only (it prints nothing of the articles).

    M2=../shared/corpus/modern_dev_2; B=build/eval
    python3 tools/casesub.py /tmp/cs "$M2/labels-tune.tsv,$M2/parties.tsv,$M2/articles.jsonl" \\
        "$B/pool26-tune-labels.tsv,$B/pool26-tune-parties.tsv,$B/modern-fh.jsonl"   # ... the pools' tune halves
    for v in orig title; do build/squawk eval --config config/squawk.yml --labels /tmp/cs-labels.tsv \\
        --articles /tmp/cs-$v.jsonl --parties /tmp/cs-parties.tsv; done
"""
import json
import re
import sys

SMALL = set('a an the and but or for nor on at to from by of in with as vs via per into onto over up'.split())


def sentence_case(h):
    """Four or more words and under half of those after the first capitalised."""
    w = re.findall(r"[A-Za-z][A-Za-z'\u2019\-]*", h)[1:]
    return len(w) >= 4 and sum(1 for x in w if x[0].isupper()) / len(w) < 0.5


def title_case(h):
    """Every word capitalised but the small ones (the first word, and the first after a colon, always)."""
    out, first = [], True
    for tok in re.split(r'(\s+)', h):
        if not tok.strip():
            out.append(tok)
            continue
        m = re.match(r'^([^A-Za-z]*)([a-z])(.*)$', tok)
        if m and (first or re.sub(r'[^A-Za-z]', '', tok).lower() not in SMALL):
            tok = m.group(1) + m.group(2).upper() + m.group(3)
        first = tok.endswith(':')
        out.append(tok)
    return ''.join(out)


def read_tsv(path):
    """Header line and {id: line}."""
    head, rows = None, {}
    with open(path) as f:
        for line in f:
            key = line.split('\t', 1)[0]
            if key == 'id':
                head = line
            else:
                rows[key] = line
    return head, rows


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    labels, parties, arts, lhead, phead = {}, {}, {}, None, None
    for spec in sys.argv[2:]:
        lpath, ppath, apath = spec.split(',')
        h, rows = read_tsv(lpath)
        lhead = lhead or h
        labels.update(rows)
        h, rows = read_tsv(ppath)
        phead = phead or h
        parties.update(rows)
        with open(apath) as f:
            for line in f:
                a = json.loads(line)
                if a['id'] in labels:
                    arts.setdefault(a['id'], a)
    n = 0
    with open(out + '-orig.jsonl', 'w') as o, open(out + '-title.jsonl', 'w') as t, \
            open(out + '-labels.tsv', 'w') as lo, open(out + '-parties.tsv', 'w') as po:
        lo.write(lhead)
        po.write(phead)
        for i, a in arts.items():
            h = a.get('headline', '')
            if not sentence_case(h) or title_case(h) == h:
                continue
            o.write(json.dumps(a) + '\n')
            t.write(json.dumps(dict(a, headline=title_case(h))) + '\n')
            lo.write(labels[i])
            if i in parties:
                po.write(parties[i])
            n += 1
    print('casesub: %d articles' % n, file=sys.stderr)


if __name__ == '__main__':
    main()
