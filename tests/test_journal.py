#!/usr/bin/python3
"""test_journal.py -- the alert journal (issue 21): desks away, articles committed, kill -9, restart, a new desk recovers every alert from the journal; 3 restarts in a row; through squawk proxy with two instances."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import free_port, metric, start, wait_until, write_config  # noqa: E402

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
TMP = tempfile.mkdtemp(prefix="squawk-test-journal.")
N_PER_ROUND = 6
JOURNAL = "alerts.journal"


def stable_port():
    """A free port pair (publish, replay) that stays usable across restarts: a killed instance
    restarts on the same ports (its publisher id hashes them). free_port() picks below the
    ephemeral range, where no outgoing connection of a test running beside us can take it
    while the instance is down."""
    return free_port()


def fail(msg):
    sqtest.LOGS.extend(os.path.join(TMP, n) for n in sorted(os.listdir(TMP)) if n.endswith((".log", ".err")))
    sqtest.fail(msg)


def feed(boot, ids):
    paths = []
    for i in ids:
        path = os.path.join(TMP, "%s.json" % i)
        with open(path, "w") as f:
            json.dump({"id": i, "headline": "Nvidia in talks to invest $%d billion in CoreWeave" % (len(i) + 3),
                       "body": "Nvidia Corp is in advanced talks to invest in CoreWeave, people familiar "
                               "with the matter said of deal %s." % i}, f)
        paths.append(path)
    r = subprocess.run([SQ, "feed", "-b", boot, "-t", "articles"] + paths,
                       stderr=open(os.path.join(TMP, "feed.log"), "a"))
    if r.returncode != 0:
        fail("squawk feed failed")


def committed(boot, group):
    """Offsets the group committed on articles, summed over its partitions."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": boot, "group.id": group, "enable.auto.commit": False})
    try:
        parts = c.committed([TopicPartition("articles", p) for p in range(2)], timeout=10)
        return sum(max(tp.offset, 0) for tp in parts)
    finally:
        c.close()


def journal_config(path, boot, group, pub, ring=4):
    return write_config(path, boot, group, pub, zmq_extra="    ring_size: %d\n  journal:\n    topic: %s\n"
                        % (ring, JOURNAL))


def run_instance(cfg, name):
    log = os.path.join(TMP, "%s.log" % name)
    p = start([SQ, "run", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    end = time.time() + 120
    while time.time() < end:
        text = open(log).read()
        m = re.search(r"msg=metrics.listen .*port=(\d+)", text)
        if m:
            pub = re.search(r"msg=zmq.listen pub=(\S+)", text).group(1)
            return p, int(m.group(1)), pub
        if p.poll() is not None:
            fail("squawk run exited %d before listening" % p.returncode)
        time.sleep(0.02)
    fail("squawk run never logged its metrics port")


def sink_metric(port, name):
    _, text = sqtest.http(port, "/metrics")
    m = re.search(r"^squawk_sink_%s\{[^}]*kind=\"zmq\"\} (\d+)" % name, text, re.M)
    return int(m.group(1)) if m else None


def desk(args, want, name, timeout=60):
    """A new `squawk sub` that must receive want alerts; returns (alerts, its stderr)."""
    out, err = os.path.join(TMP, name + ".out"), os.path.join(TMP, name + ".err")
    r = subprocess.run([SQ, "sub"] + args + ["--json", "--count", str(want), "--timeout", str(timeout)],
                       stdout=open(out, "w"), stderr=open(err, "w"))
    alerts = [json.loads(line) for line in open(out) if line.strip()]
    text = open(err).read()
    if r.returncode != 0:
        fail("%s: got %d of %d alerts (exit %d): %s" % (name, len(alerts), want, r.returncode, text[-600:]))
    return alerts, text


def check_complete(alerts, pubs_last, article_ids, name):
    """Every (pub, seq) from 1 to each publisher's last seq exactly once, every article alerted."""
    got = {}
    for a in alerts:
        got.setdefault(a["pub"], []).append(a["seq"])
    for pub, last in pubs_last.items():
        seqs = sorted(s for s in got.get(pub, []) if s <= last)
        if seqs != list(range(1, last + 1)):
            fail("%s: pub %s seqs %s, want 1..%d" % (name, pub, seqs, last))
    if set(got) != set(pubs_last):
        fail("%s: publishers %s, want %s" % (name, sorted(got), sorted(pubs_last)))
    missing = set(article_ids) - {a["article"]["id"] for a in alerts}
    if missing:
        fail("%s: no alert for %s" % (name, sorted(missing)))


def wait_committed(boot, group, n, ports):
    wait_until("%d articles committed" % n, lambda: committed(boot, group) >= n, 60)
    # One instance: commit implies journaled, so its journal backlog is empty. (With two, a
    # rebalance may hand one of them articles to alert again meanwhile.)
    if len(ports) == 1 and sink_metric(ports[0], "journal_backlog") != 0:
        fail("articles committed with journal records unacknowledged")


def restarts(boot):
    pub_port = stable_port()
    cfg = journal_config(os.path.join(TMP, "one.yml"), boot, "journal-one", pub_port)
    run, mport, pub = run_instance(cfg, "one-0")
    wait_until("partitions assigned", lambda: sqtest.http(mport, "/healthz")[0] == 200, 60)
    fed = []
    for k in range(1, 4):
        ids = ["r%d-%d" % (k, i) for i in range(N_PER_ROUND)]
        feed(boot, ids)  # no desk connected
        fed += ids
        wait_committed(boot, "journal-one", len(fed), [mport])
        last = sink_metric(mport, "last_seq")
        run.send_signal(signal.SIGKILL)
        run.wait()
        run, mport, pub2 = run_instance(cfg, "one-%d" % k)
        if pub2 != pub:
            fail("restart %d: publisher id %s, was %s" % (k, pub2, pub))
        if sink_metric(mport, "last_seq") != last:
            fail("restart %d: seq restarts at %s, the journal ends at %d" % (k, sink_metric(mport, "last_seq"), last))
        alerts, err = desk(["-c", "tcp://127.0.0.1:%d" % pub_port], last, "desk-%d" % k)
        check_complete(alerts, {pub: last}, fed, "restart %d" % k)
        if "lost=0" not in err:
            fail("restart %d: desk summary %s" % (k, err.strip().splitlines()[-1]))
        if sink_metric(mport, "journal_replayed_total") < last:
            fail("restart %d: only %s replayed from the journal" % (k, sink_metric(mport, "journal_replayed_total")))
        print("ok: restart %d: a new desk recovered all %d alerts of %d articles from the journal, "
              "pub %s, seq 1..%d" % (k, last, len(fed), pub, last))
    # After the third restart: fresh alerts (in the ring) and old ones (journal only) in one replay.
    ids = ["r4-%d" % i for i in range(N_PER_ROUND)]
    feed(boot, ids)
    fed += ids
    wait_committed(boot, "journal-one", len(fed), [mport])
    last = sink_metric(mport, "last_seq")
    alerts, err = desk(["-c", "tcp://127.0.0.1:%d" % pub_port], last, "desk-final")
    check_complete(alerts, {pub: last}, fed, "ring + journal")
    print("ok: ring and journal together: all %d alerts, %s" % (last, err.strip().splitlines()[-1]))
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not exit 0 on SIGTERM")


def start_proxy(ports):
    """`squawk proxy` in front of both publishers; returns its backend port. free_port() does not
    promise that port + 1 (the proxy's replay socket) is free too: try again when a bind fails."""
    for attempt in range(5):
        back = free_port()
        log = os.path.join(TMP, "proxy-%d.log" % attempt)
        p = start([SQ, "proxy", "--publisher", "tcp://127.0.0.1:%d" % ports[0], "--publisher",
                   "tcp://127.0.0.1:%d" % ports[1], "--backend", "tcp://127.0.0.1:%d" % back],
                  stderr=open(log, "w"))
        end = time.time() + 30
        while time.time() < end and p.poll() is None and "squawk proxy: replay" not in open(log).read():
            time.sleep(0.05)
        if p.poll() is None and "squawk proxy: replay" in open(log).read():
            return back
    fail("squawk proxy did not start")


def through_proxy(boot):
    ports = [stable_port(), stable_port()]
    while ports[1] in (ports[0], ports[0] + 1) or ports[0] == ports[1] + 1:
        ports[1] = stable_port()
    cfgs = [journal_config(os.path.join(TMP, "p%d.yml" % i), boot, "journal-two", ports[i]) for i in range(2)]
    runs = [run_instance(cfgs[i], "p%d-0" % i) for i in range(2)]
    pubs = [r[2] for r in runs]
    if pubs[0] == pubs[1]:
        fail("two instances derived the same publisher id %s" % pubs[0])
    back = start_proxy(ports)
    for _, mport, _ in runs:
        wait_until("partitions assigned", lambda: sqtest.http(mport, "/healthz")[0] == 200, 60)
    # A desk connected through the proxy all along: it must see A continue, not restart.
    live_out, live_err = os.path.join(TMP, "desk-live.out"), os.path.join(TMP, "desk-live.err")
    live = start([SQ, "sub", "--proxy", "tcp://127.0.0.1:%d" % back, "--json", "--timeout", "300"],
                 stdout=open(live_out, "w"), stderr=open(live_err, "w"))
    wait_until("the live desk hears both publishers",
               lambda: open(live_err).read().count("squawk sub: publisher") >= 2, 30)
    fed, k = [], 0
    while min(sink_metric(r[1], "last_seq") or 0 for r in runs) == 0 and k < 10:
        ids = ["p%d-%d" % (k, i) for i in range(N_PER_ROUND)]
        feed(boot, ids)  # no desk connected; both instances alert their partition's articles
        fed += ids
        k += 1
        wait_committed(boot, "journal-two", len(fed), [r[1] for r in runs])
    lasts = {runs[i][2]: sink_metric(runs[i][1], "last_seq") for i in range(2)}
    if 0 in lasts.values():
        fail("one instance never got articles: %s" % lasts)
    before_kill = lasts[pubs[0]]
    runs[0][0].send_signal(signal.SIGKILL)
    runs[0][0].wait()
    ids = ["down-%d" % i for i in range(N_PER_ROUND)]
    feed(boot, ids)  # while A is down: B or the restarted A alerts them, nothing is lost
    fed += ids
    runs[0] = run_instance(cfgs[0], "p0-1")
    if runs[0][2] != pubs[0]:
        fail("the restarted instance changed its publisher id")
    if sink_metric(runs[0][1], "last_seq") != lasts[pubs[0]]:
        fail("the restarted instance's seq restarts at %s, its journal ends at %d"
             % (sink_metric(runs[0][1], "last_seq"), lasts[pubs[0]]))
    # Once the group has settled nothing more is alerted (a rebalance may redeliver articles
    # whose commit it refused): the desk must get every seq of both up to here.
    for _, mport, _ in runs:
        wait_until("partitions assigned", lambda: sqtest.http(mport, "/healthz")[0] == 200, 60)
    ids = ["after-%d" % i for i in range(N_PER_ROUND)]
    feed(boot, ids)  # after the restart: A continues its numbering
    fed += ids
    wait_committed(boot, "journal-two", len(fed), [r[1] for r in runs])
    lasts = {r[2]: sink_metric(r[1], "last_seq") for r in runs}
    want = sum(lasts.values())
    alerts, err = desk(["--proxy", "tcp://127.0.0.1:%d" % back], want, "desk-proxy", timeout=90)
    check_complete(alerts, lasts, fed, "through the proxy")
    if sink_metric(runs[0][1], "journal_replayed_total") < before_kill:
        fail("the restarted instance replayed %s from its journal, want >= %d (its seqs before the kill)"
             % (sink_metric(runs[0][1], "journal_replayed_total"), before_kill))
    print("ok: a desk through squawk proxy recovered all %d alerts of two instances after one was "
          "killed and restarted (%s)" % (want, ", ".join("%s: %d" % kv for kv in sorted(lasts.items()))))
    # The live desk may still be catching up (a busy machine delays it): stop it once it has as many.
    def live_has_all():
        return sum(1 for line in open(live_out) if line.endswith("\n")) >= want
    wait_until("the desk connected all along to have %d alerts" % want, live_has_all, 90)
    live.send_signal(signal.SIGINT)
    live.wait(timeout=30)
    alerts = [json.loads(line) for line in open(live_out) if line.strip()]
    check_complete(alerts, lasts, fed, "the desk connected all along")
    text = open(live_err).read()
    if "lost=0" not in text or "publisher restart" in text:
        fail("the desk connected all along: %s" % text.strip().splitlines()[-1])
    print("ok: the desk connected through the proxy all along has all %d, %s"
          % (want, text.strip().splitlines()[-1]))
    for r in runs:
        r[0].send_signal(signal.SIGTERM)
        r[0].wait(timeout=60)


def main():
    boot = sqtest.start_broker(SQ, "articles:2", "articles.dlq:1", JOURNAL + ":3")
    if not boot:
        fail("squawk broker printed no bootstrap address")
    restarts(boot)
    # A broker of its own: the instances of the second part must not alert the first part's articles.
    boot2 = sqtest.start_broker(SQ, "articles:2", "articles.dlq:1", JOURNAL + ":3")
    if not boot2:
        fail("the second squawk broker printed no bootstrap address")
    through_proxy(boot2)


if __name__ == "__main__":
    sqtest.run_main(main, TMP)
