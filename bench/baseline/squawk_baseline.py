#!/usr/bin/python3
"""squawk_baseline.py -- the same job as `squawk run`, the way a desk would write it in an afternoon.

Kafka consumer in a group (Debian's python3-confluent-kafka), manual commit after the alerts are
published, Python `re` with the patterns of filters/rules/*.yml, a gazetteer regex from
filters/gazetteer.yml, the same score formula as filters/detect.c in its simple form (rule weights,
headline/entity/amount/stage bonuses, logistic over bias 3.0, threshold 50), msgpack alerts with the
keys of docs/ALERTS.md on a python3-zmq PUB socket, one message per ticker.

For make bench only: it writes its processed-article count to --status every 100 ms.
"""
import argparse
import hashlib
import json
import math
import os
import re
import signal
import sys
import time
import uuid

import msgpack
import yaml
import zmq
from confluent_kafka import Consumer

CATEGORIES = {  # category: (role before trigger, role after trigger)
    "invest": ("investor", "target"),
    "chips": ("supplier", "customer"),
    "regulatory": ("regulator", "subject"),
}
BIAS, THRESHOLD, WINDOW = 3.0, 50.0, 200
HEADLINE_BONUS, ENTITY_BONUS, AMOUNT_BONUS, STAGE_BONUS = 1.5, 1.0, 1.0, 0.5
AMOUNT_RE = re.compile(
    r"(?:US\$|\$|EUR|€|£)\s?\d[\d,.]*\s*(?:billion|bln|bn|million|mln|m|b)?\b|"
    r"\b\d[\d,.]*\s*(?:billion|bln|million|mln)\s+(?:dlrs|dollars|euros|pounds|yen)\b", re.I)
MULT = {"billion": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mln": 1e6, "m": 1e6}


def load_pack(path):
    rules = []
    for r in yaml.safe_load(open(path))["rules"]:
        flags = re.I if "caseless" in (r.get("flags") or []) else 0
        try:
            rules.append((r["id"], re.compile(r["pattern"], flags), float(r.get("weight", 1.0))))
        except re.error as e:
            print("baseline: skipping %s: %s" % (r["id"], e), file=sys.stderr)
    return rules


TOKEN_RE = re.compile(r"\w[\w.&'-]*")


def load_gazetteer(path):
    """alias -> entity, indexed by the alias's first word (a 700-way regex alternation is 10x slower)."""
    names, by_first = {}, {}
    for e in yaml.safe_load(open(path))["entities"]:
        amb = set(e.get("ambiguous") or [])
        for alias in [e["name"]] + list(e.get("aliases") or []):
            if alias not in amb:
                names[alias] = (e["name"], e.get("ticker"), e.get("kind", "company"))
                by_first.setdefault(TOKEN_RE.match(alias).group(0) if TOKEN_RE.match(alias) else alias,
                                    []).append(alias)
    for v in by_first.values():
        v.sort(key=len, reverse=True)
    return by_first, names


def find_entities(by_first, names, text):
    out, skip_to = [], 0
    for m in TOKEN_RE.finditer(text):
        if m.start() < skip_to:
            continue
        w = m.group(0)
        cands = by_first.get(w) or by_first.get(w.rstrip(".,'")) or ()
        for alias in cands:
            end = m.start() + len(alias)
            if text.startswith(alias, m.start()) and (end == len(text) or not text[end].isalnum()):
                out.append((m.start(), end) + names[alias])
                skip_to = end
                break
    return out


def usd(text):
    num = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    if not num:
        return 0.0
    v = float(num.group(0).replace(",", ""))
    unit = re.search(r"(billion|bln|bn|million|mln|m|b)\b", text[num.end():], re.I)
    return v * (MULT[unit.group(1).lower()] if unit else 1.0)


def decode(value):
    if value[:1] in (b"{", b" ", b"\n", b"\t", b"\r"):
        return json.loads(value)
    return msgpack.unpackb(value, raw=False)


def score_category(cat, rules, cues, fields, ents, amounts):
    s, triggers, evidence, in_headline = 0.0, [], [], False
    for rid, rx, w in rules:
        hits = [(f, m) for f, text in fields for m in rx.finditer(text)]
        if not hits:
            continue
        s += w * (1 + 0.25 * min(len(hits) - 1, 3)) if w > 0 else w
        for f, m in hits:
            if w > 0:
                triggers.append((f, m.start(), m.end()))
                in_headline |= f == "headline"
            if len(evidence) < 10:
                evidence.append({"rule": rid, "field": f, "start": m.start(), "end": m.end(),
                                 "text": m.group(0)})
    if not triggers:
        return None
    if in_headline:
        s += HEADLINE_BONUS
    near = lambda f, a, b: any(tf == f and abs(ts - a) < WINDOW + (te - ts) and abs(b - te) < WINDOW + (te - ts)
                               for tf, ts, te in triggers)
    roles = {}
    for f, a, b, name, ticker, kind in ents:
        if not near(f, a, b):
            continue
        before = any(tf == f and ts >= b for tf, ts, te in triggers)
        role = CATEGORIES[cat][0] if before else CATEGORIES[cat][1]
        if cat == "regulatory":
            role = "regulator" if kind == "regulator" else "subject"
        roles.setdefault(name, (ticker, role))
    s += ENTITY_BONUS * min(2, len({r for _, r in roles.values()}))
    amts = [(t, v) for f, a, b, t, v in amounts if near(f, a, b)]
    if amts:
        s += AMOUNT_BONUS
    stage = "none"
    for rid, rx, _ in cues:
        if any(near(f, m.start(), m.end()) for f, text in fields for m in rx.finditer(text)):
            stage = rid.split(".")[0]
            s += STAGE_BONUS
            break
    score = 100.0 / (1.0 + math.exp(-(s - BIAS)))
    if score < THRESHOLD:
        return None
    return score, stage, roles, amts, evidence


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", default="articles")
    ap.add_argument("--group", default="baseline")
    ap.add_argument("--pub", required=True, help="ZeroMQ endpoint to bind, tcp://127.0.0.1:PORT")
    ap.add_argument("--data", required=True, help="directory with rules/ and gazetteer.yml (filters/)")
    ap.add_argument("--status", help="file to write the processed count to")
    a = ap.parse_args()

    packs = {c: load_pack(os.path.join(a.data, "rules", c + ".yml")) for c in CATEGORIES}
    cues = load_pack(os.path.join(a.data, "rules", "cues.yml"))
    gaz, names = load_gazetteer(os.path.join(a.data, "gazetteer.yml"))

    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 100000)
    pub.bind(a.pub)
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": a.group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([a.topic])
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    signal.signal(signal.SIGINT, lambda *_: running.__setitem__(0, False))
    pub_id = uuid.uuid4().hex[:16]
    seq, processed, last_status = 0, 0, 0.0

    def status():
        if a.status:
            with open(a.status + ".tmp", "w") as f:
                f.write("%d\n" % processed)
            os.replace(a.status + ".tmp", a.status)

    while running[0]:
        msg = c.poll(0.1)
        now = time.monotonic()
        if now - last_status > 0.1:
            status()
            last_status = now
        if msg is None:
            continue
        if msg.error():
            print("baseline: %s" % msg.error(), file=sys.stderr)
            continue
        ingest_ns = time.time_ns()
        produce_ns = 0
        for k, v in msg.headers() or []:
            if k == "squawk-ts":
                produce_ns = int(v)
        try:
            art = decode(msg.value())
        except Exception as e:  # a desk script logs and moves on
            print("baseline: bad message: %s" % e, file=sys.stderr)
            c.commit(message=msg, asynchronous=True)
            continue
        fields = [("headline", art.get("headline") or ""), ("body", art.get("body") or "")]
        ents = [(f,) + e for f, t in fields for e in find_entities(gaz, names, t)]
        amounts = [(f, m.start(), m.end(), m.group(0), usd(m.group(0)))
                   for f, t in fields for m in AMOUNT_RE.finditer(t)]
        for cat in CATEGORIES:
            r = score_category(cat, packs[cat], cues, fields, ents, amounts)
            if not r:
                continue
            score, stage, roles, amts, evidence = r
            entities = [{"name": n, "ticker": t, "role": role, "relevance": 50.0}
                        for n, (t, role) in list(roles.items())[:6]]
            tickers = list(dict.fromkeys(e["ticker"] for e in entities if e["ticker"])) or ["_"]
            for t in tickers:
                seq += 1
                aid = hashlib.md5(("%s\0%s\0%s" % (art["id"], cat, t)).encode()).hexdigest()
                body = {
                    "v": 1, "pub": pub_id, "seq": seq, "id": aid, "category": cat,
                    "score": float(score), "stage": stage, "entities": entities,
                    "amounts": [{"usd": float(v), "text": x} for x, v in amts],
                    "evidence": evidence, "novelty": 100,
                    "article": {"id": art["id"], "headline": art.get("headline") or "",
                                "source": art.get("source") or "", "url": art.get("url") or "",
                                "published_ms": None},
                    "filter": {"name": "baseline-" + cat, "version": "0.1"},
                    "kafka": {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset()},
                    "ts": {"published_ms": None, "ingest_ns": ingest_ns, "emit_ns": time.time_ns(),
                           "produce_ns": produce_ns},
                }
                pub.send_multipart([("%s.%s" % (cat, t)).encode(), msgpack.packb(body)])
        c.commit(message=msg, asynchronous=True)
        processed += 1
    status()
    c.close()
    pub.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
