#!/usr/bin/python3
"""test_restart.py -- kill -9 and restart: alerts flow again within seconds; /healthz is 503 until partitions are assigned."""
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
from sqtest import free_port, http, start, write_config  # noqa: E402

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")

TMP = tempfile.mkdtemp(prefix="squawk-test-restart.")
# Before the fix a restarted instance waited for librdkafka's 45 s session timeout; the issue's
# target is 10 s. The bound leaves room for a loaded 2-core machine and sanitizer builds.
RESTART_BOUND_S = float(os.environ.get("SQ_RESTART_BOUND_S", "25"))


def fail(msg):
    sqtest.LOGS.extend(os.path.join(TMP, n) for n in sorted(os.listdir(TMP)) if n.endswith((".log", ".err")))
    sqtest.fail(msg)


def article(n):
    return {"id": "restart-%d" % n,
            "headline": "Nvidia in talks to invest $%d billion in CoreWeave" % n,
            "body": "Nvidia Corp is in advanced talks to invest about $%d billion in CoreWeave, "
                    "people familiar with the matter said." % n}


def feed(boot, n):
    path = os.path.join(TMP, "a-%d.json" % n)
    with open(path, "w") as f:
        json.dump(article(n), f)
    r = subprocess.run([SQ, "feed", "-b", boot, "-t", "articles", path],
                       stderr=open(os.path.join(TMP, "feed.log"), "a"))
    if r.returncode != 0:
        fail("squawk feed failed")


def alerted(n):
    want = '"restart-%d"' % n
    return want in open(os.path.join(TMP, "sub.out"), errors="replace").read()


def run_instance(cfg, k):
    log = os.path.join(TMP, "run-%d.log" % k)
    p = start([SQ, "run", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    end = time.time() + 120
    while time.time() < end:
        m = re.search(r"msg=metrics.listen .*port=(\d+)", open(log).read())
        if m:
            return p, int(m.group(1)), log
        if p.poll() is not None:
            fail("squawk run exited %d before listening" % p.returncode)
        time.sleep(0.02)
    fail("squawk run never logged its metrics port")


def watch_health(port, log, until, timeout):
    """Probes /healthz until until() holds; returns the (status, body) answers seen before assignment."""
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        assigned = "msg=kafka.assign" in open(log).read()
        st, body = http(port, "/healthz")
        if not assigned and "msg=kafka.assign" not in open(log).read():
            seen.append((st, body.strip()))
        if until():
            return seen
        time.sleep(0.1)
    fail("timed out")


def main():
    boot = sqtest.start_broker(SQ, "articles:2", "articles.dlq:1")
    if not boot:
        fail("squawk broker printed no bootstrap address")
    pub = free_port()
    cfg = os.path.join(TMP, "squawk.yml")
    # No session.timeout.ms or heartbeat.interval.ms: the defaults are under test.
    cfg = write_config(os.path.join(TMP, "squawk.yml"), boot, "test-restart", pub)

    # 1. a fresh instance is not ready until the group has assigned it partitions
    run, mport, log = run_instance(cfg, 0)
    seen = watch_health(mport, log, lambda: http(mport, "/healthz")[0] == 200, 60)
    if not any(st == 503 and "no partitions assigned" in body for st, body in seen):
        fail("/healthz before the first assignment answered %s, not 503 'no partitions assigned'"
             % sorted(set(seen)))
    if any(st == 200 for st, _ in seen):
        fail("/healthz said 200 before partitions were assigned")
    print("ok: /healthz 503 'no partitions assigned' until the group assigned partitions")

    sub = start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--timeout", "150"],
                stdout=open(os.path.join(TMP, "sub.out"), "w"),
                stderr=open(os.path.join(TMP, "sub.err"), "w"))
    feed(boot, 1)
    end = time.time() + 60
    while not alerted(1) and time.time() < end:
        time.sleep(0.1)
    if not alerted(1):
        fail("no alert before the kill")

    # 2. kill -9 and restart at once: the next article alerts within the bound. Against the mock
    # cluster this takes 5.5-12 s: the group waits session.timeout.ms - 1 s for the dead member.
    for k in (1,):
        run.send_signal(signal.SIGKILL)
        run.wait()
        t0 = time.time()
        run, mport, log = run_instance(cfg, k)
        feed(boot, 1 + k)
        seen = watch_health(mport, log, lambda: alerted(1 + k), RESTART_BOUND_S + 30)
        took = time.time() - t0
        print("restart %d: kill -9 -> alert of an article fed after the restart in %.1f s" % (k, took))
        if took > RESTART_BOUND_S:
            fail("alerts flowed again only %.1f s after kill -9 (bound %.0f s)" % (took, RESTART_BOUND_S))
        if any(st == 200 for st, _ in seen):
            fail("/healthz of the restarted instance said 200 before partitions were assigned")
    print("ok: kill -9 and restart, alerts flowing again within %.0f s" % RESTART_BOUND_S)
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not exit 0 on SIGTERM")
    sub.kill()


if __name__ == "__main__":
    sqtest.run_main(main, TMP)
