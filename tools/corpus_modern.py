#!/usr/bin/env python3
"""corpus_modern.py -- modern JSON Lines corpora (ai_pulse_2026, daily_news_2025) to squawk article JSON Lines."""
import argparse
import csv
import datetime
import hashlib
import json
import os
import re
import sys

# GUIDE.md: rss- items were judged on the title and the first 1,500 characters of content.
RSS_BODY_CHARS = 1500


def rfc3339(s):
    if not s:
        return None
    if re.fullmatch(r"\d{4}-\d\d-\d\d", s):
        return s + "T00:00:00Z"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", s):
        return s
    return None


def emit(out, aid, headline, body, source, published):
    headline = (headline or "").strip()
    if not headline:
        return 0
    a = {"id": aid, "headline": headline, "body": (body or "").strip(), "source": source or ""}
    p = rfc3339(published)
    if p:
        a["published"] = p
    out.write(json.dumps(a, ensure_ascii=False) + "\n")
    return 1


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def fin_rows(path):
    """The rows of a fin_headlines_2020 CSV (Windows-1252; blank separator rows skipped)."""
    with open(path, encoding="cp1252", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            head = (row.get("Headlines") or "").strip()
            if head:
                yield head, (row.get("Time") or "").strip(), (row.get("Description") or "").strip()


def fin_day(when):
    """The day of "Jul 18 2020", "18-Jul-20" or " 7:51  PM ET Fri, 17 July 2020"."""
    for fmt, text in (("%b %d %Y", when), ("%d-%b-%y", when), ("%d %B %Y", " ".join(when.split()[-3:]))):
        try:
            return datetime.datetime.strptime(text, fmt).strftime("%Y-%m-%d")
        except ValueError:
            pass
    return None


def fin_headlines(out, corpus_dir):
    """fin_headlines_2020: Reuters headlines with a one-sentence description (frh-), Guardian business
    headlines alone (frg-), CNBC headlines with a description (frc-); ids sha1(headline|time)[:16]."""
    n = 0
    for name, prefix, source in (("reuters", "frh-", "Reuters"), ("guardian", "frg-", "Guardian"), ("cnbc", "frc-", "CNBC")):
        for head, when, desc in fin_rows(os.path.join(corpus_dir, "fin_headlines_2020", name + "_headlines.csv")):
            aid = prefix + hashlib.sha1((head + "|" + when).encode()).hexdigest()[:16]
            n += emit(out, aid, head, desc, source, fin_day(when))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus_dir", help="the shared corpus folder (holds ai_pulse_2026/, daily_news_2025/)")
    ap.add_argument("--with-index", action="store_true",
                    help="also emit daily_news_2025/index_headlines.jsonl (headline only, unlabelled) as idx-<sha1(url)[:16]>")
    ap.add_argument("--no-company-posts", action="store_true",
                    help="drop ai_pulse items whose sourceType is company (blog posts, not journalism)")
    ap.add_argument("--with-fin-headlines", action="store_true",
                    help="also emit fin_headlines_2020's Reuters (frh-), Guardian (frg-) and CNBC (frc-) rows "
                         "as <prefix><sha1(headline|time)[:16]>")
    args = ap.parse_args()

    out = sys.stdout
    n = 0
    aip = os.path.join(args.corpus_dir, "ai_pulse_2026", "items_en.jsonl")
    for d in read_jsonl(aip):
        if args.no_company_posts and d.get("sourceType") == "company":
            continue
        n += emit(out, "aip-" + d["id"], d.get("title"), d.get("summary"), d.get("sourceName"),
                  d.get("date"))
    rss = os.path.join(args.corpus_dir, "daily_news_2025", "rss_items.jsonl")
    for d in read_jsonl(rss):
        body = d.get("content") or d.get("rss_summary") or ""
        n += emit(out, "rss-" + d["id"][:16], d.get("title"), body[:RSS_BODY_CHARS], d.get("feed"),
                  d.get("published_at"))
    if args.with_index:
        idx = os.path.join(args.corpus_dir, "daily_news_2025", "index_headlines.jsonl")
        for d in read_jsonl(idx):
            h = hashlib.sha1(d["url"].encode()).hexdigest()[:16]
            n += emit(out, "idx-" + h, d.get("title"), "", "index", d.get("date"))
    if args.with_fin_headlines:
        n += fin_headlines(out, args.corpus_dir)
    print("corpus_modern: %d articles" % n, file=sys.stderr)


if __name__ == "__main__":
    main()
