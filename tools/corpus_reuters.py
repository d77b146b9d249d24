#!/usr/bin/env python3
"""corpus_reuters.py -- Reuters-21578 SGML (reut2-*.sgm[.gz]) to squawk article JSON Lines."""
import argparse
import glob
import gzip
import html
import json
import os
import re
import sys

DOC_RE = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
ATTR_RE = re.compile(r'(\w+)="([^"]*)"')
# The wire's sign-off and the SGML end-of-text mark; some stories say REUTER.
TRAILER_RE = re.compile(r"\s*\breuter\b\s*(&#3;)?\s*$", re.I | re.S)
ETX_RE = re.compile(r"\s*&#3;\s*$")
# Control characters survive in the corpus (&#2; &#5; ...); a feed would not send them.
CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def tag(text, name):
    m = re.search(r"<%s>(.*?)</%s>" % (name, name), text, re.S)
    return m.group(1) if m else None


def clean(s):
    return CTRL_RE.sub("", html.unescape(s))


def topics(text):
    t = tag(text, "TOPICS") or ""
    return re.findall(r"<D>(.*?)</D>", t)


def parse_date(d):
    # "26-FEB-1987 15:01:01.79" -> RFC 3339; None when it does not parse.
    m = re.match(r"\s*(\d+)-([A-Z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d)", d or "")
    if not m:
        return None
    months = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    if m.group(2) not in months:
        return None
    return "%s-%02d-%02dT%s:%s:%sZ" % (m.group(3), months.index(m.group(2)) + 1,
                                       int(m.group(1)), m.group(4), m.group(5), m.group(6))


def docs(paths):
    for p in paths:
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rb") as f:
            data = f.read().decode("latin-1")
        for m in DOC_RE.finditer(data):
            attrs = dict(ATTR_RE.findall(m.group(1)))
            yield attrs, m.group(2)


def article(attrs, text):
    body_raw = tag(text, "BODY")
    title_raw = tag(text, "TITLE")
    if body_raw is None and title_raw is None:
        # TYPE="UNPROC": no markup inside <TEXT>, so the first line stands in for a headline.
        m = re.search(r"<TEXT[^>]*>(.*?)</TEXT>", text, re.S)
        body_raw = m.group(1) if m else ""
    body_raw = body_raw or ""
    body_raw = TRAILER_RE.sub("", body_raw)
    body_raw = ETX_RE.sub("", body_raw)
    body = clean(body_raw).strip()
    headline = clean(title_raw or "").strip()
    if not headline:
        lines = body.splitlines()
        while lines and not lines[0].strip():
            lines.pop(0)
        headline = lines[0].strip() if lines else "(untitled)"
        body = "\n".join(lines[1:]).strip()
    a = {"id": "reuters-" + attrs["NEWID"], "headline": headline, "body": body,
         "source": "reuters-21578"}
    pub = parse_date(tag(text, "DATE"))
    if pub:
        a["published"] = pub
    return a


def in_split(attrs, split):
    if split == "all":
        return True
    want = "TRAIN" if split == "train" else "TEST"
    return attrs.get("LEWISSPLIT") == want and attrs.get("TOPICS") == "YES"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("inputs", nargs="*",
                    help="reut2-*.sgm[.gz] files or a directory holding them")
    ap.add_argument("--split", choices=["train", "test", "all"], default="all",
                    help="ModApte split: LEWISSPLIT=TRAIN|TEST and TOPICS=YES (all: every doc)")
    ap.add_argument("--labels", default=None,
                    help="topic[:column],... e.g. 'acq' (= acq:invest); writes a labels TSV")
    ap.add_argument("--labels-out", default=None, help="path of the labels TSV")
    args = ap.parse_args()

    paths = []
    for i in args.inputs or ["."]:
        if os.path.isdir(i):
            paths += sorted(glob.glob(os.path.join(i, "reut2-*.sgm*")))
        else:
            paths.append(i)
    if not paths:
        sys.exit("corpus_reuters: no reut2-*.sgm files found")
    cols = []
    if args.labels:
        for spec in args.labels.split(","):
            t, _, c = spec.partition(":")
            cols.append((t, c or ("invest" if t == "acq" else t)))
        if not args.labels_out:
            sys.exit("corpus_reuters: --labels needs --labels-out")
    lab = open(args.labels_out, "w", encoding="utf-8") if cols else None
    if lab:
        lab.write("id\t" + "\t".join(c for _, c in cols) + "\n")
    out = sys.stdout
    n = 0
    for attrs, text in docs(paths):
        if not in_split(attrs, args.split):
            continue
        a = article(attrs, text)
        out.write(json.dumps(a, ensure_ascii=False) + "\n")
        if lab:
            tp = set(topics(text))
            lab.write(a["id"] + "\t" + "\t".join("1" if t in tp else "0" for t, _ in cols) + "\n")
        n += 1
    if lab:
        lab.close()
    print("corpus_reuters: %d articles (split %s)" % (n, args.split), file=sys.stderr)


if __name__ == "__main__":
    main()
