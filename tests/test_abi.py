#!/usr/bin/python3
"""test_abi.py -- plugin ABI 1.1 end to end: a plugin's error codes never stall a partition's commits;
squawk score --config reproduces squawk run's alerts on the samples; typos in --set/--threshold are errors."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ERRS_SO = os.environ.get("SQ_ERRS_PLUGIN", os.path.join(os.path.dirname(SQ), "test-plugins",
                                                         "test_filter_plugin_errs.so"))
TMP = tempfile.mkdtemp(prefix="squawk-test-abi.")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import committed_offsets, free_port, http, metric, start, start_broker, wait_until  # noqa: E402
fail = sqtest.fail

# Every SQUAWK_E_* code of squawk_filter.h, one the table lacks, and a positive one.
CODES = [-1, -2, -3, -4, -5, -6, -7, -99, 3]


def start_run(cfg, name, env=None):
    log = os.path.join(TMP, name + ".log")
    sqtest.LOGS.append(log)
    run = start([SQ, "run", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)

    def port():
        m = re.search(r"msg=metrics.listen .*port=(\d+)", open(log).read())
        return int(m.group(1)) if m else None
    mport = wait_until(name + ": the metrics port in the log", port, 120)
    wait_until(name + ": /healthz 200", lambda: http(mport, "/healthz")[0] == 200, 60)
    return run, mport


def feed(boot, path):
    # keyed by article id: the articles spread over the partitions whatever the partitioner
    if subprocess.run([SQ, "feed", "-b", boot, "-t", "articles", "--key-id", path],
                      stderr=subprocess.DEVNULL).returncode != 0:
        fail("squawk feed failed")


def errors_keep_committing():
    """Articles a plugin fails on (every code) are done: both partitions' commits reach the end."""
    boot = start_broker(SQ, "articles:2") or fail("no broker")
    alerts = os.path.join(TMP, "errs.jsonl")
    cfg = os.path.join(TMP, "errs.yml")
    with open(cfg, "w") as f:
        f.write("""kafka:
  topics: [articles]
  commit_interval_ms: 200
  bootstrap.servers: "%s"
  group.id: test-abi
  auto.offset.reset: earliest
filters:
  - name: %s
sinks:
  jsonl:
    path: "%s"
metrics:
  listen: "127.0.0.1:0"
""" % (boot, ERRS_SO, alerts))
    run, mport = start_run(cfg, "run-errs")
    arts = os.path.join(TMP, "errs-articles.jsonl")
    n_err = n_ok = 0
    with open(arts, "w") as f:
        for rep in range(3):
            for c in CODES:
                f.write(json.dumps({"id": "e%d-%d" % (rep, c), "headline": "code %d" % c}) + "\n")
                n_err += 1
            f.write(json.dumps({"id": "ok-%d" % rep, "headline": "a plain headline",
                                "url": "https://example.com/%d" % rep, "tickers": ["ACME"]}) + "\n")
            n_ok += 1
    feed(boot, arts)
    wait_until("all consumed", lambda: metric(mport, "squawk_articles_consumed_total") == n_err + n_ok, 60)
    _, text = http(mport, "/metrics")
    if 'squawk_filter_errors_total{filter="errs"} %d' % n_err not in text:
        fail("/metrics does not count %d plugin errors:\n%s" % (n_err, text))

    seen = []

    def caught_up():
        offs, marks = committed_offsets(boot, "test-abi", "articles", 2)
        seen[:] = [offs, marks]
        return offs == marks and sum(marks) == n_err + n_ok and min(marks) > 0
    end = time.time() + 120
    while not caught_up():
        if time.time() > end:
            fail("committed offsets %s never reached the high watermarks %s" % (seen[0], seen[1]))
        time.sleep(0.5)
    got = [json.loads(line) for line in open(alerts)]
    if sorted(a["article"]["id"] for a in got) != ["ok-%d" % i for i in range(n_ok)]:
        fail("alerts of failed articles leaked, or ok ones are missing: %s" % [a["article"]["id"] for a in got])
    for a in got:
        names = [e["name"] for e in a["entities"]]
        if "ACME" not in names or a["article"]["url"] not in names:
            fail("the plugin did not see the article's url and tickers: %s" % names)
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not stop cleanly")
    print("ok: %d failed articles (codes %s) counted, offsets committed on both partitions" % (n_err, CODES))


def normal(a):
    """An alert without what differs between two processes: publisher, sequence, times, Kafka position."""
    return json.dumps({k: v for k, v in a.items() if k not in ("pub", "seq", "ts", "kafka")}, sort_keys=True)


def score_reproduces_run():
    """squawk score --config reads what squawk run reads and raises the same alerts."""
    boot = start_broker(SQ, "articles:1") or fail("no broker")
    alerts = os.path.join(TMP, "run.jsonl")
    pub = free_port()
    shipped = os.path.join(SRC, "config", "squawk.yml")
    env = dict(os.environ, SQUAWK_KAFKA__BOOTSTRAP_SERVERS=boot, SQUAWK_KAFKA__GROUP_ID="test-abi-score",
               SQUAWK_SINKS__ZMQ__ENDPOINTS="tcp://127.0.0.1:%d" % pub,
               SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS="tcp://127.0.0.1:%d" % (pub + 1),
               SQUAWK_SINKS__JSONL__PATH=alerts, SQUAWK_METRICS__LISTEN="127.0.0.1:0")
    run, mport = start_run(shipped, "run-shipped", env)
    samples = os.path.join(SRC, "samples", "articles.jsonl")
    n = sum(1 for line in open(samples) if line.strip())
    feed(boot, samples)
    wait_until("samples consumed", lambda: metric(mport, "squawk_articles_consumed_total") == n, 60)
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not stop cleanly")
    ran = sorted(normal(json.loads(line)) for line in open(alerts))
    sc = subprocess.run([SQ, "score", "--config", shipped, samples], capture_output=True, text=True, env=env)
    if sc.returncode != 0:
        fail("squawk score --config failed: " + sc.stderr)
    scored = sorted(normal(json.loads(line)) for line in sc.stdout.splitlines())
    if not ran or ran != scored:
        fail("squawk score --config differs from squawk run (%d vs %d alerts):\nrun:   %s\nscore: %s" %
             (len(ran), len(scored), set(ran) - set(scored), set(scored) - set(ran)))
    # and the installed default is the same file for this build (SQUAWK_CONFIG_FILE)
    dflt = subprocess.run([SQ, "score", samples], capture_output=True, text=True, env=env)
    if sorted(normal(json.loads(line)) for line in dflt.stdout.splitlines()) != scored:
        fail("squawk score without --config does not read the shipped config")
    print("ok: squawk score --config raised the same %d alerts as squawk run" % len(ran))


def typos_are_errors():
    samples = os.path.join(SRC, "samples", "articles.jsonl")
    for args, want in ((["--set", "earning.per_rule=1"], "earning"),
                       (["--threshold", "earnigs=20"], "earnigs"),
                       (["--set", "invest.per_rul=1"], "per_rul"),
                       (["--filter", "nosuch"], "nosuch")):
        for cmd in ("score", "eval"):
            extra = ["--labels", os.path.join(SRC, "tests", "data", "eval", "labels.tsv"),
                     "--articles", samples] if cmd == "eval" else [samples]
            r = subprocess.run([SQ, cmd] + args + extra, capture_output=True, text=True)
            if r.returncode == 0 or want not in r.stderr:
                fail("squawk %s %s: exit %d, stderr does not name '%s': %s" %
                     (cmd, " ".join(args), r.returncode, want, r.stderr))
    print("ok: typos in --set, --threshold and --filter are errors naming the key")


def main():
    typos_are_errors()
    errors_keep_committing()
    score_reproduces_run()


if __name__ == "__main__":
    sqtest.run_main(main, TMP)
