#!/usr/bin/env python3
"""namesub.py -- routing under a name swap: does squawk route by the sentence or by the names it was tuned on?

usage: tools/namesub.py SEED OUT LABELS,PARTIES,ARTICLES [LABELS,PARTIES,ARTICLES ...]

Takes every article labelled 1 for a kind whose parties name a listed company (a ticker in filters/gazetteer.yml) that
the text names by one of its aliases, swaps each such party's names (and its cashtag or exchange tag) for another
listed company of the same first sector and country that the text does not name, and writes OUT-labels.tsv,
OUT-parties.tsv and OUT.jsonl with the parties rewritten to the new tickers. SEED 0 keeps the names (the same
articles, for the baseline). Score both with `squawk eval --parties`: a routing F1 that holds after the swap says the
rules read the sentence, not the names. Run it on tuning sets only (it prints nothing of the articles).

    S="$M2/labels-tune.tsv,$M2/parties.tsv,$M2/articles.jsonl"   # M2=../shared/corpus/modern_dev_2
    for seed in 0 1 2 3; do python3 tools/namesub.py $seed /tmp/ns$seed $S; \\
      squawk eval --config config/squawk.yml --labels /tmp/ns$seed-labels.tsv --articles /tmp/ns$seed.jsonl \\
        --parties /tmp/ns$seed-parties.tsv; done

The swap has artefacts of its own (a body naming the old company by a form the gazetteer lacks, a ticker tag of
another listing): read its losses as an upper bound.
"""
import csv
import json
import os
import random
import re
import sys

import yaml

KINDS = ('invest', 'chips', 'regulatory')
SUFFIX = re.compile(r',?\s+(Inc\.?|Corp\.?|Corporation|Ltd\.?|Limited|plc|PLC|N\.V\.|S\.A\.|SE|AG|Co\.|Company|'
                    r'Holdings|Group|Incorporated|Technologies)$')


def short(e):
    """The entity's name without its corporate suffix, when that is one of its names."""
    s = SUFFIX.sub('', e['name'])
    return s if s in set(e.get('aliases', [])) | {e['name']} else e['name']


def names(e):
    return sorted(set([e['name']] + e.get('aliases', [])), key=len, reverse=True)


def named(text, x):
    return re.search(r'(?<![\w$])' + re.escape(x) + r'(?!\w)', text)


def parties(s):
    out = []
    for p in (s or '').split(';'):
        p = p.strip()
        if '=' in p:
            n, _, tr = p.rpartition('=')
            t, _, r = tr.partition(':')
            out.append((n, t, r))
    return out


def swap_text(v, rep, by_t):
    for t, r in rep.items():
        for x in names(by_t[t]):
            v = re.sub(r'(?<![\w$])' + re.escape(x) + r'(?!\w)', short(by_t[r]), v)
        v = re.sub(r'\$' + re.escape(t) + r'\b', '$' + r, v)
        v = re.sub(r'(?<=[:(])\s*' + re.escape(t) + r'(?=\s*\))', ' ' + r, v)
    return v


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    seed, out = int(sys.argv[1]), sys.argv[2]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    ents = yaml.safe_load(open(os.path.join(root, 'filters', 'gazetteer.yml')))['entities']
    by_t = {e['ticker']: e for e in ents if e.get('ticker')}
    pool = [e for e in ents if e.get('ticker') and not e.get('ambiguous') and e.get('kind') == 'company'
            and len(short(e)) > 3]
    rnd = random.Random(seed)
    n = 0
    with open(out + '-labels.tsv', 'w') as ol, open(out + '-parties.tsv', 'w') as op, open(out + '.jsonl', 'w') as oa:
        ol.write('id\tinvest\tchips\tregulatory\n')
        op.write('id\tinvest_parties\tchips_parties\tregulatory_parties\tnote\n')
        for spec in sys.argv[3:]:
            lab, par, art = spec.split(',')
            labels = {r['id']: r for r in csv.DictReader(open(lab), delimiter='\t')}
            pars = {r['id']: r for r in csv.DictReader(open(par), delimiter='\t')}
            for line in open(art):
                a = json.loads(line)
                i = a['id']
                if i not in labels or i not in pars:
                    continue
                kinds = [k for k in KINDS if labels[i][k] == '1']
                ps = {k: parties(pars[i].get(k + '_parties')) for k in kinds}
                text = a['headline'] + '\n' + a.get('body', '')
                present = sorted({t for k in kinds for (_, t, _) in ps[k] if t in by_t
                                  and any(named(text, x) for x in names(by_t[t]))})
                if not present:
                    continue
                rep = {t: t for t in present} if seed == 0 else {}
                for t in present if seed else ():
                    e = by_t[t]
                    c = [x for x in pool if x['ticker'] not in present and x.get('country') == e.get('country')
                         and x['sectors'][:1] == e['sectors'][:1] and not named(text, short(x))
                         and x['ticker'] not in rep.values()]
                    if not c:
                        break
                    rep[t] = rnd.choice(c)['ticker']
                if len(rep) != len(present):
                    continue
                if seed:
                    a['headline'] = swap_text(a['headline'], rep, by_t)
                    a['body'] = swap_text(a.get('body', ''), rep, by_t)
                a['id'] = '%s~%d' % (i, seed)
                oa.write(json.dumps(a) + '\n')
                ol.write('%s\t%s\n' % (a['id'], '\t'.join(labels[i][k] for k in KINDS)))
                row = ['; '.join('%s=%s:%s' % ((short(by_t[rep[t]]), rep[t], r) if t in rep else (nm, t, r))
                                 for nm, t, r in ps[k]) if k in ps else '' for k in KINDS]
                op.write('%s\t%s\t\n' % (a['id'], '\t'.join(row)))
                n += 1
    print('%d articles' % n, file=sys.stderr)


if __name__ == '__main__':
    main()
