#!/usr/bin/python3
"""test_reload.py -- SIGHUP after a rule-pack edit that misses the compiled-rule cache: heartbeats, /healthz and alerts never pause; coalescing; a failed build keeps the old engine."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import free_port, http, metric, start, wait_until  # noqa: E402

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TMP = tempfile.mkdtemp(prefix="squawk-test-reload.")
# The bound: the longest gap between two heartbeats a subscriber sees during the reload is at
# most 1.5 heartbeat periods; a loop blocked by the build shows a gap as long as the build (5-100 s
# here). The period is the shipped default, 1 s: the 0.5 s of slack absorbs what a loaded 2-core
# machine does to any process (heartbeats 130-200 ms late with two busy loops next to the test, with
# or without a reload). On a quiet machine SQ_RELOAD_HB_MS=200 passes too (longest gap 0.21-0.27 s).
# Under -fsanitize=address the compiling thread shares the sanitizer allocator's locks and, through
# its many mmap/munmap calls, the kernel's mmap lock with the loop: gaps of 2.2, 4.3 and 9 s were seen
# mid-build on this loaded machine (load 13-28 on 2 cores; the build took 95-220 s). The sanitized run
# is there for memory errors and undefined behaviour with two threads; its heartbeat check is only
# that the loop never waited for the build: no gap over a quarter of the build (nor 5 periods).
# The 1.5-period bound is the normal build's on a machine with cores to spare. When the machine is busy
# the build itself says so (a 2-5 s build took 75 s at load 11 on 2 cores, and the loop's heartbeat
# went out 0.8 s late once): the bound is then a quarter of the build, as in the sanitized run. A loop
# that waits for the build shows a gap as long as the build either way, and the count of heartbeats
# during the reload (at least half the periods) is checked too.
HB_MS = int(os.environ.get("SQ_RELOAD_HB_MS", "1000"))
SANITIZED = b"libasan" in subprocess.run(["ldd", SQ], capture_output=True).stdout
HB_FACTOR = float(os.environ.get("SQ_RELOAD_HB_FACTOR", "5" if SANITIZED else "1.5"))
RATE = 50  # alerting articles per second while the engine is rebuilt
NONCE = "%d%d" % (os.getpid(), int(time.time()))
VERB = "flurbicates%s" % NONCE  # a made-up verb: only the rule this test adds knows it
RULE = "chips.reload_probe_%s" % NONCE


def fail(msg):
    sqtest.LOGS.extend(os.path.join(TMP, n) for n in sorted(os.listdir(TMP)) if n.endswith((".log", ".err")))
    sqtest.fail(msg)


# ---- the subscriber: a separate process, so the test's own threads never delay its timestamps --------

def subscriber(endpoint, out):
    """A real ZeroMQ SUB of every topic; one JSON line per message with its arrival time (monotonic)."""
    import msgpack
    import zmq
    sock = zmq.Context().socket(zmq.SUB)
    sock.setsockopt(zmq.SUBSCRIBE, b"")
    sock.connect(endpoint)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    with open(out, "w", buffering=1) as f:
        while True:
            topic, body = sock.recv_multipart()[:2]
            t = time.monotonic()
            m = msgpack.unpackb(body, raw=False)
            if topic == b"_hb":
                f.write(json.dumps({"t": t, "hb": m.get("ts_ns"), "ivl": m.get("ivl_ms")}) + "\n")
            else:
                f.write(json.dumps({"t": t, "aid": m["article"]["id"], "cat": m["category"],
                                    "rules": [e["rule"] for e in m.get("evidence") or []]}) + "\n")


def received(path):
    out = []
    for line in open(path, errors="replace"):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # a line being written
    return out


# ---- setup ---------------------------------------------------------------------------------------------

def shared_cache_dir():
    """The cache directory squawk would pick (filters/hs_cache.c's order), if it exists."""
    env = os.environ.get("SQUAWK_CACHE_DIR")
    cands = [env] if env else []
    if os.environ.get("XDG_CACHE_HOME"):
        cands.append(os.path.join(os.environ["XDG_CACHE_HOME"], "squawk"))
    if os.environ.get("HOME"):
        cands.append(os.path.join(os.environ["HOME"], ".cache", "squawk"))
    cands += ["/var/cache/squawk", os.path.join(os.environ.get("TMPDIR") or "/tmp", "squawk-cache-%d" % os.geteuid())]
    for d in cands:
        if os.path.isdir(d) and os.stat(d).st_uid == os.geteuid():
            return d
    return None


def private_cache():
    """A cache of our own, hard-linked from the shared one: the unchanged packs hit (a fast start), the
    edited one misses for sure, and the shared cache never sees this test's databases."""
    if os.environ.get("SQUAWK_CACHE_DIR") == "off":
        return "off"  # every build compiles: the edit misses anyway
    d = os.path.join(TMP, "cache")
    os.mkdir(d, 0o700)
    src = shared_cache_dir()
    linked = 0
    for f in glob.glob(os.path.join(src, "*.hsdb")) if src else []:
        try:
            os.link(f, os.path.join(d, os.path.basename(f)))
            linked += 1
        except OSError:
            pass  # another filesystem: that pack compiles at start, nothing else changes
    print("private rule cache %s: %d databases linked from %s" % (d, linked, src))
    return d


def write_config(boot, pub, data):
    """sqtest's config plus chips (the pack the test edits), a data dir of our own, short heartbeats."""
    path = sqtest.write_config(os.path.join(TMP, "squawk.yml"), boot, "test-reload", pub,
                               kafka_extra="  fetch.wait.max.ms: 10\n",
                               zmq_extra="    heartbeat_ms: %d\n" % HB_MS)
    text = open(path).read()
    text = text.replace("filters:\n  - name: invest\n",
                        "engine:\n  data_dir: %s\nfilters:\n  - name: invest\n    config: {engine: v1}\n"
                        "  - name: chips\n    config: {engine: v1}\n" % data)
    # the regex packs the test edits and pads (v2 is the default): their compile is long enough
    if "name: chips" not in text:
        fail("sqtest.write_config changed its filters section: update test_reload")
    with open(path, "w") as f:
        f.write(text)
    return path


def article(i):
    return {"id": "load-%d" % i, "headline": "Nvidia in talks to invest $%d billion in CoreWeave" % (i + 1),
            "body": "Nvidia Corp is in advanced talks to invest about $%d billion in CoreWeave, "
                    "people familiar with the matter said." % (i + 1)}


def probe(name):
    """Alerts as chips (Nvidia supplies Microsoft) only once the rule knowing VERB is loaded."""
    return {"id": name, "headline": "Nvidia %s Microsoft" % VERB,
            "body": "Nvidia Corp %s Microsoft Corp, the companies said on Tuesday." % VERB}


class Load:
    """Produces alerting articles at RATE per second from a thread; remembers when each left."""

    def __init__(self, boot):
        from confluent_kafka import Producer
        self.p = Producer({"bootstrap.servers": boot, "linger.ms": 0})
        self.sent = {}
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run)

    def one(self, a):
        self.p.produce("articles", json.dumps(a).encode())
        self.p.poll(0)
        self.sent[a["id"]] = time.monotonic()

    def run(self):
        i, t = 0, time.monotonic()
        while not self.stop.is_set():
            self.one(article(i))
            i += 1
            t += 1.0 / RATE
            time.sleep(max(0.0, t - time.monotonic()))

    def finish(self):
        self.stop.set()
        self.th.join()
        if self.p.flush(30) != 0:
            fail("the producer could not deliver every article")


class Prober:
    """GET /healthz every ~100 ms from a thread; keeps (time, status, body) of every answer."""

    def __init__(self, port):
        self.port, self.seen = port, []
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run)

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            st, body = http(self.port, "/healthz")
            self.seen.append((t, st, body.strip()))
            self.stop.wait(max(0.0, 0.1 - (time.monotonic() - t)))


# ---- checks --------------------------------------------------------------------------------------------

def heartbeat_gaps(msgs, t0, t1, sent=False):
    """Gaps between heartbeats arriving in [t0, t1]; the slices of one heartbeat (same ts_ns) count once.
    By arrival time, or (sent) by the send time each heartbeat carries (ts_ns, the publisher's clock)."""
    beats = []
    for m in msgs:
        if "hb" in m and t0 <= m["t"] <= t1 and (not beats or beats[-1][1] != m["hb"]):
            beats.append((m["t"], m["hb"]))
    if sent:
        return [((b[1] - a[1]) / 1e9, a[0]) for a, b in zip(beats, beats[1:])], len(beats)
    return [(b[0] - a[0], a[0]) for a, b in zip(beats, beats[1:])], len(beats)


def log_text():
    return open(os.path.join(TMP, "run.log"), errors="replace").read()


def start_run(cfg, cache):
    env = dict(os.environ, SQUAWK_CACHE_DIR=cache)
    log = os.path.join(TMP, "run.log")
    run = start([SQ, "run", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)

    def port():
        if run.poll() is not None:
            fail("squawk run exited %d" % run.returncode)
        m = re.search(r"msg=metrics.listen .*port=(\d+)", log_text())
        return int(m.group(1)) if m else None
    mport = wait_until("the metrics port in the log", port, 300)
    wait_until("partitions assigned (/healthz 200)", lambda: http(mport, "/healthz")[0] == 200, 120)
    return run, mport


def main():
    boot = sqtest.start_broker(SQ, "articles:2", "articles.dlq:1")
    if not boot:
        fail("squawk broker printed no bootstrap address")
    data = os.path.join(TMP, "data")
    os.mkdir(data)
    subprocess.run(["cp", "-r", os.path.join(SRC, "filters", "rules"), os.path.join(SRC, "filters", "gazetteer.yml"),
                    data], check=True)
    cache = private_cache()
    pub = free_port()
    run, mport = start_run(write_config(boot, pub, data), cache)
    sub_out = os.path.join(TMP, "sub.jsonl")
    sub = start([sys.executable, os.path.abspath(__file__), "--sub", "tcp://127.0.0.1:%d" % pub, sub_out],
                stderr=open(os.path.join(TMP, "sub.err"), "w"))
    wait_until("heartbeats at the subscriber", lambda: os.path.exists(sub_out) and
               sum("hb" in m for m in received(sub_out)) >= 3, 60)

    load, prober = Load(boot), Prober(mport)
    load.one(probe("probe-before"))
    load.th.start()
    prober.th.start()
    time.sleep(2.0)  # steady state first: the gaps before the reload are the machine's own jitter

    # 1. the edit: a rule added to chips.yml changes its cache key, so the build compiles the pack
    cache_before = set(os.listdir(cache)) if cache != "off" else set()
    with open(os.path.join(data, "rules", "chips.yml"), "a") as f:
        f.write("  - id: %s\n    pattern: '\\b%s\\b'\n    flags: [caseless]\n    weight: 2.0\n"
                "    dir: forward\n    comment: test-only verb added by test_reload\n" % (RULE, VERB))
    # chips.yml alone compiles in ~2 s on a quiet machine (too short to tell a blocked loop from a
    # free one): a never-matching rule makes the invest pack (also loaded) miss the cache too
    with open(os.path.join(data, "rules", "invest.yml"), "a") as f:
        f.write("  - id: invest.reload_padding_%s\n    pattern: '\\bzqx%s\\b'\n    flags: [caseless]\n    weight: 0.1\n"
                "    comment: test-only rule that never matches, added by test_reload\n" % (NONCE, NONCE))
    t_hup = time.monotonic()
    run.send_signal(signal.SIGHUP)
    # 2. two more SIGHUPs while it builds fold into one more build
    wait_until("the build to start", lambda: metric(mport, "squawk_rule_reload_in_progress") == 1, 30)
    run.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    run.send_signal(signal.SIGHUP)
    wait_until("both builds", lambda: metric(mport, "squawk_rule_reloads_total") == 2 and
               metric(mport, "squawk_rule_reload_in_progress") == 0, 600)
    t_done = time.monotonic()
    time.sleep(1.0)
    load.finish()
    prober.stop.set()
    prober.th.join()
    load.one(probe("probe-after"))
    load.p.flush(30)

    want = set(load.sent) - {"probe-before", "probe-after"}

    def all_arrived():
        got = {m["aid"] for m in received(sub_out) if "aid" in m}
        return want <= got and "probe-after" in got
    if not wait_until_or_none(all_arrived, 120):
        got = {m["aid"] for m in received(sub_out) if "aid" in m}
        fail("lost alerts: %d of %d alerting articles never alerted (e.g. %s); probe-after %s" %
             (len(want - got), len(want), sorted(want - got)[:5], "arrived" if "probe-after" in got else "missing"))
    msgs = received(sub_out)
    check_reload(mport, msgs, load, prober, t_hup, t_done, cache, cache_before, want)
    check_failed_reload(run, mport, data, load, sub_out)
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=120) != 0:
        fail("squawk run did not exit 0 on SIGTERM")
    sub.terminate()


def wait_until_or_none(fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.1)
    return False


def check_reload(mport, msgs, load, prober, t_hup, t_done, cache, cache_before, want):
    text = log_text()
    oks = re.findall(r"msg=reload.ok reloads=(\d+) restart_needed=\d+ build_s=([\d.]+)", text)
    if [n for n, _ in oks] != ["1", "2"]:
        fail("want reload.ok reloads=1 then reloads=2 (three SIGHUPs, two coalesced), got %s" % oks)
    build_s = float(oks[0][1])
    if "msg=reload.coalesced" not in text or metric(mport, "squawk_rule_reloads_coalesced_total") != 2:
        fail("the two SIGHUPs during the build were not logged and counted as coalesced")
    if cache != "off" and not [f for f in set(os.listdir(cache)) - cache_before if f.endswith(".hsdb")]:
        fail("the edited pack hit the rule cache: no new database in %s" % cache)
    period = HB_MS / 1000.0
    if build_s < 2 * HB_FACTOR * period:
        fail("the build took %.2f s, too short to tell a blocked loop (%d ms heartbeats) from a free one"
             % (build_s, HB_MS))
    bound = max(HB_FACTOR * period, build_s / 4)
    base, _ = heartbeat_gaps(msgs, t_hup - 2.0, t_hup)
    # The check uses the send times the heartbeats carry: on a machine at load 20-28 the subscriber
    # process itself is sometimes descheduled for seconds, and arrival gaps then measure it, not
    # squawk (alerts kept a 0.5 s latency through a 6 s arrival gap). Arrival gaps are printed too.
    gaps, n = heartbeat_gaps(msgs, t_hup, t_done + 0.5, sent=True)
    arrival, _ = heartbeat_gaps(msgs, t_hup, t_done + 0.5)
    worst = max(gaps) if gaps else (0, 0)
    print("heartbeats by arrival at the subscriber: longest gap %.3f s" % (max(arrival)[0] if arrival else 0))
    print("reload%s: first build %.2f s (cache miss), %d heartbeats during the reloads; longest gap (send times) %.3f s at "
          "+%.2f s (bound %.3f s; %d ms heartbeats); before the SIGHUP %.3f s"
          % (" (sanitized build)" if SANITIZED else "", build_s, n, worst[0], worst[1] - t_hup,
             bound, HB_MS,
             max(base)[0] if base else 0))
    if n < (t_done - t_hup) / period / 2:
        fail("only %d heartbeats in %.1f s of reload" % (n, t_done - t_hup))
    if worst[0] > bound:
        fail("heartbeats paused %.3f s during the reload (bound %.3f s)" % (worst[0], bound))
    during = [p for p in prober.seen if t_hup <= p[0] <= t_done]
    bad = [p for p in prober.seen if p[1] != 200]
    print("/healthz: %d probes during the reloads, %d in all, %d not 200" % (len(during), len(prober.seen), len(bad)))
    if bad or len(during) < (t_done - t_hup) / 0.1 / 3:
        fail("/healthz during the reload: %d probes, not 200: %s" % (len(during), bad[:5]))
    first = {}
    for m in msgs:
        if "aid" in m:
            first.setdefault(m["aid"], m["t"])
    in_build = [a for a in want if t_hup <= first[a] <= t_hup + build_s]
    lat = sorted(first[a] - load.sent[a] for a in want if t_hup <= load.sent[a] <= t_done)
    print("alerts: %d alerting articles, all alerted; %d alerts arrived during the first build; latency of "
          "articles produced during the reloads: median %.3f s, max %.3f s"
          % (len(want), len(in_build), lat[len(lat) // 2], lat[-1]))
    if not in_build:
        fail("no alert arrived while the engine was being built")
    probes = {m["aid"]: m for m in msgs if m.get("aid", "").startswith("probe-")}
    if "probe-before" in probes:
        fail("the probe alerted before the rule existed: %s" % probes["probe-before"])
    if probes["probe-after"]["cat"] != "chips" or RULE not in probes["probe-after"]["rules"]:
        fail("the new rule is not in effect after the reload: %s" % probes["probe-after"])
    print("ok: SIGHUP after a cache-missing rule-pack edit: heartbeats, /healthz and alerts never paused, "
          "nothing lost, two SIGHUPs during the build coalesced into one more build, %s fired after" % RULE)


def check_failed_reload(run, mport, data, load, sub_out):
    """A broken rule: the build fails, the log names file, rule and reason, the old engine keeps alerting."""
    pack = os.path.join(data, "rules", "chips.yml")
    with open(pack, "a") as f:
        f.write("  - id: chips.reload_broken\n    pattern: '(unclosed'\n    weight: 1\n")
    run.send_signal(signal.SIGHUP)
    wait_until("the failed reload", lambda: metric(mport, "squawk_rule_reload_failures_total") == 1 and
               metric(mport, "squawk_rule_reload_in_progress") == 0, 300)
    line = re.search(r"msg=reload.failed kept=old reason=\"(.*)\" build_s=", log_text())
    if not line or pack not in line.group(1) or "chips.reload_broken" not in line.group(1):
        fail("the failed reload did not name the file and the rule: %s" % (line and line.group(0)))
    load.one(probe("probe-kept"))
    load.p.flush(30)
    arrived = wait_until_or_none(lambda: any(m.get("aid") == "probe-kept" and RULE in m["rules"]
                                              for m in received(sub_out)), 60)
    if not arrived:
        fail("after a failed reload the old engine (with %s) did not alert" % RULE)
    print("ok: a broken rule on SIGHUP: %s; the old engine kept alerting" % line.group(0)[:200])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--sub":
        subscriber(sys.argv[2], sys.argv[3])
    else:
        sqtest.run_main(main, TMP)
