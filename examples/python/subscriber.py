#!/usr/bin/python3
# subscriber.py -- a squawk alert subscriber written only against docs/ALERTS.md (python3-zmq, python3-msgpack).
"""Prints one JSON line per squawk alert.

    /usr/bin/python3 subscriber.py --connect tcp://127.0.0.1:5555 --topic invest. --count 10

Each message is two frames: the topic "<category>.<TICKER>" and a msgpack map
(ALERTS.md). Heartbeats on "_hb" are used to notice sequence gaps but are not
printed. Exit status: 0 when --count alerts arrived, 1 on --timeout, 2 on usage.
"""
import argparse
import json
import sys
import time

import msgpack
import zmq


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connect", "-c", action="append", required=True,
                    help="publisher endpoint, repeatable")
    ap.add_argument("--topic", action="append", default=[],
                    help="topic prefix, repeatable (default: everything)")
    ap.add_argument("--count", type=int, default=0, help="exit 0 after N alerts")
    ap.add_argument("--timeout", type=float, default=0, help="give up after S seconds (exit 1)")
    ap.add_argument("--curve-server-key", help="publisher's Z85 public key")
    ap.add_argument("--curve-key", help="prefix of our key pair files (PREFIX.key, PREFIX.pub)")
    args = ap.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    if args.curve_server_key:
        with open(args.curve_key + ".key") as f:
            secret = f.read().strip()
        with open(args.curve_key + ".pub") as f:
            public = f.read().strip()
        sock.curve_serverkey = args.curve_server_key.encode()
        sock.curve_secretkey = secret.encode()
        sock.curve_publickey = public.encode()
    for t in args.topic or [""]:
        sock.setsockopt(zmq.SUBSCRIBE, t.encode())
    if args.topic:
        sock.setsockopt(zmq.SUBSCRIBE, b"_hb")
    for ep in args.connect:
        sock.connect(ep)

    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
    last_seq = {}  # pub -> last seq seen, to report gaps (this client does not replay)
    got = 0
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    while not args.count or got < args.count:
        wait = 200
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            wait = min(wait, int(left * 1000) + 1)
        if not poller.poll(wait):
            continue
        frames = sock.recv_multipart()
        if len(frames) != 2:
            print("subscriber.py: skipping a %d-frame message" % len(frames), file=sys.stderr)
            continue
        topic, payload = frames[0].decode("utf-8", "replace"), frames[1]
        msg = msgpack.unpackb(payload, raw=False)
        pub, seq = msg.get("pub"), msg.get("seq")
        prev = last_seq.get(pub)
        if topic == "_hb":
            if prev is not None and seq > prev:
                print("subscriber.py: missed seq %d-%d from %s" % (prev + 1, seq, pub),
                      file=sys.stderr)
                last_seq[pub] = seq
            continue
        if prev is not None and seq > prev + 1:
            print("subscriber.py: missed seq %d-%d from %s" % (prev + 1, seq - 1, pub),
                  file=sys.stderr)
        last_seq[pub] = max(seq, prev or 0)
        if msg.get("v") != 1:
            print("subscriber.py: unknown schema version %r" % msg.get("v"), file=sys.stderr)
        msg["topic"] = topic
        print(json.dumps(msg, sort_keys=True), flush=True)
        got += 1
    sock.close()
    ctx.term()
    return 0 if (not args.count or got >= args.count) else 1


if __name__ == "__main__":
    sys.exit(main())
