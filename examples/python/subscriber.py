#!/usr/bin/python3
# subscriber.py -- a squawk alert subscriber written only against docs/ALERTS.md (python3-zmq, python3-msgpack).
"""Prints one JSON line per squawk alert, finds and recovers gaps of its own subscription.

    /usr/bin/python3 subscriber.py --connect tcp://127.0.0.1:5555 --topic invest. --count 10

Each message is two frames: the topic "<category>.<TICKER>" and a msgpack map
(ALERTS.md). Gap detection is per subscription, as a desk's own code would do
it: every alert carries `tseq` (its number on its exact topic), and every
heartbeat ("_hb") carries a digest `dg`: for each subscribed prefix, how many
messages matching it the publisher has sent. When the digest says more than we
received, we ask the replay socket for that prefix only (REPLAY <from> <to>,
"pub <id>", "topic <prefix>") and report what did not come back as lost.
Exit status: 0 when --count alerts arrived (or no --count), 1 on --timeout, 2 on usage.
"""
import argparse
import json
import signal
import sys
import time

import msgpack
import zmq

HB_TOPIC = b"_hb"
SILENT_PERIODS = 3.5


def note(args, text, always=False):
    if always or not args.quiet:
        print("subscriber.py: " + text, file=sys.stderr, flush=True)


def normalise(topics):
    """Drops prefixes another one covers ("invest." covers "invest.NVDA")."""
    out = []
    for t in sorted(set(topics), key=len):
        if not any(t.startswith(o) for o in out):
            out.append(t)
    return out or [""]


def default_replay(ep):
    if not ep.startswith("tcp://") or ":" not in ep[6:]:
        return ""
    host, _, port = ep.rpartition(":")
    return "%s:%d" % (host, int(port) + 1) if port.isdigit() else ""


class Prefix:
    """What we know about one subscribed prefix of one publisher."""

    def __init__(self):
        self.based = False
        self.req = False
        self.acc = 0        # distinct matching messages received (or written off as lost)
        self.verified = 0   # every matching message with seq <= verified is accounted for
        self.missing = self.found = self.lo = self.hi = self.gone = 0


class Pub:
    def __init__(self, pid, prefixes):
        self.id = pid
        self.have = {}      # topic -> set of tseq received
        self.pf = {p: Prefix() for p in prefixes}
        self.ivl_ms = 1000


class Conn:
    def __init__(self, ctx, args, ep, rep, proxy, prefixes):
        self.ep, self.rep, self.proxy = ep, rep, proxy
        self.args, self.ctx = args, ctx
        self.sub = ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        if args.rcvhwm:
            self.sub.setsockopt(zmq.RCVHWM, args.rcvhwm)
        if args.rcvbuf:
            self.sub.setsockopt(zmq.RCVBUF, args.rcvbuf)
        curve(self.sub, args)
        for p in prefixes:
            self.sub.setsockopt(zmq.SUBSCRIBE, p.encode())
        if prefixes != [""]:
            self.sub.setsockopt(zmq.SUBSCRIBE, HB_TOPIC)
        self.sub.connect(ep)
        self.dealer = None
        if rep and not args.no_replay:
            self.open_dealer()
        self.pubs = {}
        self.queue = []     # (pub id, prefix); queue[0] runs when active
        self.active = False
        self.deadline = 0.0
        self.last = time.monotonic()
        self.silent = False

    def open_dealer(self):
        if self.dealer is not None:
            self.dealer.close(0)
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.setsockopt(zmq.RCVHWM, 0)
        curve(self.dealer, self.args)
        self.dealer.connect(self.rep)


def curve(sock, args):
    if not args.curve_server_key:
        return
    with open(args.curve_key + ".key") as f:
        sock.curve_secretkey = f.read().strip().encode()
    with open(args.curve_key + ".pub") as f:
        sock.curve_publickey = f.read().strip().encode()
    sock.curve_serverkey = args.curve_server_key.encode()


class Subscriber:
    def __init__(self, args):
        self.args = args
        self.prefixes = normalise(args.topic)
        self.ctx = zmq.Context()
        self.conns = []
        self.stats = dict(received=0, recovered=0, lost=0, duplicates=0, replayed=0,
                          replay_dups=0, replay_foreign=0, bad=0)
        self.printed = 0

    def connect(self, ep, rep, proxy):
        if rep is None:
            rep = default_replay(ep)
        self.conns.append(Conn(self.ctx, self.args, ep, rep, proxy, self.prefixes))

    def match(self, topic):
        for p in self.prefixes:
            if topic.startswith(p):
                return p
        return None

    def pub(self, c, pid):
        p = c.pubs.get(pid)
        if p is not None:
            return p
        if not c.proxy and c.rep and c.pubs:  # a direct endpoint: a new id is a restart
            for old in list(c.pubs.values()):
                self.abandon(c, old, "publisher restarted")
                note(self.args, "publisher restart on %s: pub %s -> %s" % (c.ep, old.id, pid), True)
            c.pubs.clear()
        p = c.pubs[pid] = Pub(pid, self.prefixes)
        note(self.args, "publisher %s on %s" % (pid, c.ep))
        return p

    def lost(self, pub, prefix, n, lo, hi, why):
        self.stats["lost"] += n
        note(self.args, "lost %d of '%s' in seq %d-%d from pub %s: %s" % (n, prefix, lo, hi, pub.id, why),
             True)

    def abandon(self, c, pub, why):
        for prefix, s in pub.pf.items():
            if s.req and s.missing > s.found:
                self.lost(pub, prefix, s.missing - s.found, s.lo, s.hi, why)
            s.req = False
        if c.queue and c.active and c.queue[0][0] == pub.id:
            c.active = False
            c.open_dealer()  # a late answer must not be read as the next one's
        c.queue = [q for q in c.queue if q[0] != pub.id]

    # -- heartbeats: the digest says how many messages matching each prefix were sent
    def on_heartbeat(self, c, body):
        hb = msgpack.unpackb(body, raw=False)
        pub = self.pub(c, hb["pub"])
        pub.ivl_ms = hb.get("ivl_ms") or pub.ivl_ms
        for prefix, count in (hb.get("dg") or {}).items():
            if prefix in pub.pf:
                self.on_digest(c, pub, prefix, count, hb["seq"])

    def on_digest(self, c, pub, prefix, count, seq):
        s = pub.pf[prefix]
        if not s.based:
            s.based = True
            if self.args.no_from_start:  # what came before the first digest is the past
                s.acc, s.verified = count, seq
                return
        if s.req:
            return
        if count <= s.acc:
            s.verified = seq
            return
        miss = count - s.acc
        if c.dealer is None:
            self.lost(pub, prefix, miss, s.verified + 1, seq, "no replay")
            s.acc, s.verified = count, seq
            return
        note(self.args, "gap seq %d-%d from pub %s: %d missing on '%s'" % (s.verified + 1, seq, pub.id,
                                                                             miss, prefix))
        s.req, s.missing, s.found, s.lo, s.hi, s.gone = True, miss, 0, s.verified + 1, seq, 0
        c.queue.append((pub.id, prefix))

    # -- alerts, live or replayed
    def on_alert(self, c, topic, body, replayed):
        msg = msgpack.unpackb(body, raw=False)
        if msg.get("v") != 1:
            self.stats["bad"] += 1
            note(self.args, "unknown schema version %r" % msg.get("v"), True)
            return
        prefix = self.match(topic)
        if replayed:
            self.stats["replayed"] += 1
            c.deadline = time.monotonic() + self.args.replay_timeout
            if prefix is None:
                self.stats["replay_foreign"] += 1
            if not c.active or c.queue[0][0] != msg["pub"]:
                return  # an answer for a request that is over
            pub = c.pubs.get(msg["pub"])
        else:
            pub = self.pub(c, msg["pub"])
        if prefix is None or pub is None:
            return
        have = pub.have.setdefault(topic, set())
        key = msg.get("tseq") or ("seq", msg["seq"])
        if key in have:
            self.stats["replay_dups" if replayed else "duplicates"] += 1
            return
        have.add(key)
        s = pub.pf[prefix]
        s.acc += 1
        if replayed and s.req and c.active and c.queue[0][1] == prefix:
            s.found += 1
        self.stats["received"] += 1
        self.stats["recovered"] += replayed
        if self.args.count and self.printed >= self.args.count:
            return
        msg["topic"] = topic
        print(json.dumps(msg, sort_keys=True), flush=True)
        self.printed += 1

    # -- the replay conversation, one request at a time per connection
    def finish(self, c, why=None):
        pid, prefix = c.queue.pop(0)
        c.active = False
        pub = c.pubs.get(pid)
        if pub is None:
            return
        s = pub.pf[prefix]
        if s.found:
            note(self.args, "recovered %d in seq %d-%d from pub %s" % (s.found, s.lo, s.hi, pid))
        if s.missing > s.found:
            if why is None:
                why = "GONE (oldest held %d)" % s.gone if s.gone > s.lo else "not returned by replay"
            self.lost(pub, prefix, s.missing - s.found, s.lo, s.hi, why)
            s.acc += s.missing - s.found
        s.verified = max(s.verified, s.hi)
        s.req = False

    def send_next(self, c):
        while not c.active and c.queue and c.dealer is not None:
            pid, prefix = c.queue[0]
            pub = c.pubs.get(pid)
            if pub is None:
                c.queue.pop(0)
                continue
            s = pub.pf[prefix]
            req = "REPLAY %d %d\npub %s" % (s.lo, s.hi, pid)
            if prefix:
                req += "\ntopic " + prefix
            c.dealer.send(req.encode())
            c.active = True
            c.deadline = time.monotonic() + self.args.replay_timeout

    def on_control(self, c, frame):
        if not c.active:
            return
        c.deadline = time.monotonic() + self.args.replay_timeout
        words = frame.decode("utf-8", "replace").split()
        if words[:1] == ["GONE"] and len(words) > 1:
            pub = c.pubs.get(c.queue[0][0])
            if pub is not None:
                pub.pf[c.queue[0][1]].gone = int(words[1])
        elif words[:1] == ["END"]:
            self.finish(c)
        elif words[:1] == ["ERR"]:
            self.finish(c, " ".join(words))

    def drain(self, c):
        while True:
            try:
                frames = c.sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            c.last = time.monotonic()
            if c.silent:
                c.silent = False
                note(self.args, "%s is alive again" % c.ep)
            if len(frames) < 2:
                self.stats["bad"] += 1
                continue
            try:
                if frames[0] == HB_TOPIC:
                    self.on_heartbeat(c, frames[-1])
                else:
                    self.on_alert(c, frames[0].decode("utf-8", "replace"), frames[-1], 0)
            except (ValueError, KeyError, TypeError, msgpack.exceptions.ExtraData) as e:
                self.stats["bad"] += 1
                note(self.args, "undecodable message: %s" % e, True)
        while c.dealer is not None:
            try:
                frames = c.dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            if len(frames) == 1:
                self.on_control(c, frames[0])
            else:
                self.on_alert(c, frames[0].decode("utf-8", "replace"), frames[-1], 1)

    def housekeep(self, c):
        now = time.monotonic()
        if c.active and now > c.deadline:
            self.finish(c, "replay TIMEOUT")
            c.open_dealer()
        self.send_next(c)
        ivl = max([p.ivl_ms for p in c.pubs.values()] or [1000])
        if not c.silent and now - c.last > SILENT_PERIODS * ivl / 1000.0:
            c.silent = True
            note(self.args, "no message or heartbeat from %s for %.1fs" % (c.ep, now - c.last), True)

    def run(self, deadline, stop):
        poller = zmq.Poller()
        for c in self.conns:
            poller.register(c.sub, zmq.POLLIN)
        while not stop[0] and (not self.args.count or self.printed < self.args.count):
            left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if left <= 0:
                break
            for c in self.conns:  # dealers are replaced on timeouts: register the current one
                if c.dealer is not None:
                    poller.register(c.dealer, zmq.POLLIN)
            try:
                poller.poll(int(left * 1000) + 1)
            except zmq.ZMQError:
                pass
            for c in self.conns:
                self.drain(c)
                self.housekeep(c)
                if c.dealer is not None:
                    poller.unregister(c.dealer)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connect", "-c", action="append", default=[], help="publisher endpoint, repeatable")
    ap.add_argument("--proxy", action="append", default=[],
                    help="a squawk proxy's backend (several publishers, replay through the proxy)")
    ap.add_argument("--replay-endpoint", action="append", default=[],
                    help="replay socket of the n-th --connect/--proxy ('none' = no replay; "
                         "default: tcp port + 1)")
    ap.add_argument("--topic", action="append", default=[],
                    help="topic prefix, repeatable (default: everything)")
    ap.add_argument("--count", type=int, default=0, help="exit 0 after N alerts")
    ap.add_argument("--timeout", type=float, default=0, help="give up after S seconds (exit 1)")
    ap.add_argument("--replay-timeout", type=float, default=5.0)
    ap.add_argument("--rcvhwm", type=int, default=0, help="alerts queued in this process (default 1000)")
    ap.add_argument("--rcvbuf", type=int, default=0, help="kernel receive buffer bytes (default: OS)")
    ap.add_argument("--no-replay", action="store_true", help="report gaps as lost, do not ask")
    ap.add_argument("--no-from-start", action="store_true",
                    help="do not fetch what was sent before we joined")
    ap.add_argument("--quiet", "-q", action="store_true", help="no gap/recovery notes")
    ap.add_argument("--curve-server-key", help="publisher's Z85 public key")
    ap.add_argument("--curve-key", help="prefix of our key pair files (PREFIX.key, PREFIX.pub)")
    args = ap.parse_args()
    eps = [(e, False) for e in args.connect] + [(e, True) for e in args.proxy]
    if not eps:
        ap.error("at least one --connect or --proxy")
    stop = [False]

    def on_signal(signum, frame):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sub = Subscriber(args)
    for i, (ep, proxy) in enumerate(eps):
        rep = args.replay_endpoint[i] if i < len(args.replay_endpoint) else None
        sub.connect(ep, "" if rep == "none" else rep, proxy)
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
    sub.run(deadline, stop)
    for c in sub.conns:
        for pub in list(c.pubs.values()):
            sub.abandon(c, pub, "still missing at exit")
    st = sub.stats
    note(args, "received=%d recovered=%d lost=%d duplicates=%d replayed=%d replay_dups=%d "
         "replay_foreign=%d" % (st["received"], st["recovered"], st["lost"], st["duplicates"],
                                st["replayed"], st["replay_dups"], st["replay_foreign"]), True)
    for c in sub.conns:
        c.sub.close(0)
        if c.dealer is not None:
            c.dealer.close(0)
    sub.ctx.term()
    return 0 if (not args.count or sub.printed >= args.count) else 1


if __name__ == "__main__":
    sys.exit(main())
