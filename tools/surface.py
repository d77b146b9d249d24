#!/usr/bin/env python3
"""surface.py -- the same news written another way: does squawk read the words, or the surface it was tuned on?

usage: tools/surface.py MODE OUT LABELS,PARTIES,ARTICLES [LABELS,PARTIES,ARTICLES ...]
       tools/surface.py table SQUAWK CONFIG OUT LABELS,PARTIES,ARTICLES [...]   (every mode, scored: make eval)

For every labelled article that MODE changes, writes OUT-orig.jsonl (the articles as they are), OUT-var.jsonl
(the same ids, rewritten), OUT-labels.tsv and OUT-parties.tsv. The labels hold for both (the guide judges what
an article reports, not how it is typed), so every category or routing difference between the two runs is squawk
reading the surface. Run it on tuning sets only (it prints nothing of the articles). MODE:
  title   a sentence-case headline (four or more words, under half of those after the first capitalised) in Title
          Case, the way market-news sites and tweets write it: every word capitalised but articles, conjunctions
          and short prepositions
  quotes  straight apostrophes and quotes typographic and typographic ones straight (headline and body)
  wire    a wire service's slug before the headline ("UPDATE 2-", as Reuters headlines carry it)
  source  the outlet after the headline (" - Reuters")
  label   a site's label before the headline ("Exclusive: ")
  emoji   a pictograph before the headline ("\U0001f6a8 ", as posts open them)
  amounts "$4bn" written "$4 billion" and "$4 billion" written "$4bn" (also m/million, with any currency sign)
  nbsp    every space a no-break space (U+00A0), as text copied from web pages has them
  entities '&', apostrophes and quotes as HTML entities ("AT&amp;T", "Nvidia&#8217;s"), as some RSS feeds send them
  caps    the headline in capitals, as wire alerts and some tweets write it
  lower   the headline in lower case, as some social posts write it
  nohead  no headline: its words open the body, as feeds that send one text field do
  dateline a wire dateline before the body ("NEW YORK, Dec 5 (Reuters) - ")

    M2=../shared/corpus/modern_dev_2; B=build/eval
    python3 tools/surface.py title /tmp/sf "$M2/labels-tune.tsv,$M2/parties.tsv,$M2/articles.jsonl" \\
        "$B/pool26-tune-labels.tsv,$B/pool26-tune-parties.tsv,$B/modern-fh.jsonl"   # ... the pools' tune halves
    for v in orig var; do build/squawk eval --config config/squawk.yml --labels /tmp/sf-labels.tsv \\
        --articles /tmp/sf-$v.jsonl --parties /tmp/sf-parties.tsv; done
"""
import json
import re
import subprocess
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
        m = re.match('^([\'"(\u2018\u201c]*)([a-z])(.*)$', tok)  # a word, not "$5bn"
        if m and (first or re.sub(r'[^A-Za-z]', '', tok).lower() not in SMALL):
            tok = m.group(1) + m.group(2).upper() + m.group(3)
        first = tok.endswith(':')
        out.append(tok)
    return ''.join(out)


def texts(a, f):
    """The article with f applied to its headline and body."""
    return {k: f(v) if k in ('headline', 'body') and isinstance(v, str) else v for k, v in a.items()}


DOUBLE = re.compile(r'(^|(?<=[\s(\[]))"')


def quotes(a):
    """Straight apostrophes and quotes typographic, typographic ones straight."""
    def one(v):
        v = DOUBLE.sub('\u201c', v).replace('"', '\u201d') if '"' in v else v.replace('\u201c', '"').replace('\u201d', '"')
        swap = {"'": "\u2019", "\u2019": "'", "\u2018": "'"}
        return ''.join(swap.get(ch, ch) for ch in v)
    return texts(a, one)


AMOUNT = re.compile(r'([$\u20ac\u00a3\u00a5])(\d+(?:\.\d+)?)(?:(bn|m)\b| (billion|million)\b)')


def amounts(a):
    def one(m):
        if m.group(3):
            return '%s%s %s' % (m.group(1), m.group(2), {'bn': 'billion', 'm': 'million'}[m.group(3)])
        return '%s%s%s' % (m.group(1), m.group(2), {'billion': 'bn', 'million': 'm'}[m.group(4)])
    return texts(a, lambda v: AMOUNT.sub(one, v))


def variant(mode, a):
    """The article rewritten, or None when the mode leaves it as it is."""
    h = a.get('headline', '')
    if mode == 'title':
        b = dict(a, headline=title_case(h)) if sentence_case(h) else a
    elif mode == 'quotes':
        b = quotes(a)
    elif mode == 'wire':
        b = dict(a, headline='UPDATE 2-' + h) if h else a
    elif mode == 'source':
        b = dict(a, headline=h + ' - Reuters') if h else a
    elif mode == 'amounts':
        b = amounts(a)
    elif mode == 'nbsp':
        b = texts(a, lambda v: v.replace(' ', '\u00a0'))
    elif mode == 'entities':
        b = texts(a, lambda v: v.replace('&', '&amp;').replace('\u2019', '&#8217;').replace("'", '&#39;')
                  .replace('"', '&quot;'))
    elif mode == 'caps':
        b = dict(a, headline=h.upper())
    elif mode == 'lower':
        b = dict(a, headline=h.lower())
    elif mode == 'emoji':
        b = dict(a, headline='\U0001f6a8 ' + h) if h else a
    elif mode == 'label':
        b = dict(a, headline='Exclusive: ' + h) if h else a
    elif mode == 'dateline':
        b = dict(a, body='NEW YORK, Dec 5 (Reuters) - ' + a['body']) if a.get('body') else a
    elif mode == 'nohead':
        body = a.get('body') or ''
        b = dict(a, headline='', body=(h.rstrip() + ('' if h.rstrip()[-1:] in '.!?' else '.') + ' ' + body).strip()) if h else a
    else:
        sys.exit('surface.py: unknown mode %s' % mode)
    return None if b == a else b


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


MODES = ('title', 'caps', 'lower', 'quotes', 'wire', 'source', 'label', 'emoji', 'dateline', 'amounts', 'nbsp', 'entities', 'nohead')


def read_sets(specs):
    """Labels, parties and articles of LABELS,PARTIES,ARTICLES specs; the header lines."""
    labels, parties, arts, lhead, phead = {}, {}, {}, None, None
    for spec in specs:
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
    return labels, parties, arts, lhead, phead


def write(mode, out, sets):
    """OUT-orig.jsonl, OUT-var.jsonl, OUT-labels.tsv, OUT-parties.tsv for mode; the number of articles."""
    labels, parties, arts, lhead, phead = sets
    n = 0
    with open(out + '-orig.jsonl', 'w') as o, open(out + '-var.jsonl', 'w') as t, \
            open(out + '-labels.tsv', 'w') as lo, open(out + '-parties.tsv', 'w') as po:
        lo.write(lhead)
        po.write(phead)
        for i, a in arts.items():
            b = variant(mode, a)
            if b is None:
                continue
            o.write(json.dumps(a) + '\n')
            t.write(json.dumps(b) + '\n')
            lo.write(labels[i])
            if i in parties:
                po.write(parties[i])
            n += 1
    return n


def score(squawk, config, out, v):
    """Routing F1 per kind of one run, and its per-article outcomes (squawk eval --scores)."""
    r = subprocess.run([squawk, 'eval', '--config', config, '--labels', out + '-labels.tsv', '--articles',
                        '%s-%s.jsonl' % (out, v), '--parties', out + '-parties.tsv', '--scores',
                        '%s-%s.scores.tsv' % (out, v)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('surface.py: squawk eval (%s, %s) exited %d: %s' % (out, v, r.returncode, r.stderr[-1500:]))
    lines, f1 = r.stdout.splitlines(), {}
    for i, line in enumerate(lines):
        if line.startswith('category') and line.rstrip().endswith('roles'):
            for row in lines[i + 1:i + 4]:
                f1[row.split()[0]] = row.split()[3]
    with open('%s-%s.scores.tsv' % (out, v)) as f:
        outcomes = {tuple(x[:2]): x[4:] for x in (ln.rstrip('\n').split('\t') for ln in f) if x[0] != 'id'}
    return f1, outcomes


def table(squawk, config, out, specs):
    """Every mode: the articles it rewrites, the (article, kind) outcomes that change, routing F1."""
    sets = read_sets(specs)
    print('surface (tools/surface.py): the tuning sets rewritten one way at a time; an outcome is an (article, kind)\'s'
          ' alert and its routed tickers (right, wrong, missed)')
    print('%-9s %8s %8s   routing F1 as written -> rewritten (invest / chips / regulatory)' % ('mode', 'articles', 'changed'))
    for mode in MODES:
        n = write(mode, out, sets)
        (fa, oa), (fb, ob) = score(squawk, config, out, 'orig'), score(squawk, config, out, 'var')
        changed = sum(1 for k in oa if oa[k] != ob.get(k))
        kinds = ('invest', 'chips', 'regulatory')
        print('%-9s %8d %8d   %s -> %s' % (mode, n, changed, ' / '.join(fa.get(k, '-') for k in kinds),
                                         ' / '.join(fb.get(k, '-') for k in kinds)))


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == 'table':
        return table(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    if len(sys.argv) < 4 or sys.argv[1] not in MODES:
        sys.exit(__doc__)
    n = write(sys.argv[1], sys.argv[2], read_sets(sys.argv[3:]))
    print('surface.py %s: %d articles' % (sys.argv[1], n), file=sys.stderr)


if __name__ == '__main__':
    main()
