#!/usr/bin/python3
"""test_run.py -- squawk run end to end: YAML config, feed, sub --json, /metrics, SIGHUP reload, SIGTERM offsets."""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TMP = tempfile.mkdtemp(prefix="squawk-test-run.")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import committed_offsets, free_port, http, metric, start, wait_subscribed, wait_until  # noqa: E402
sqtest.LOGS.extend(os.path.join(TMP, n) for n in ("run.log", "sub.err", "feed.log"))
fail = sqtest.fail


def expected_alerts(files, data_dir):
    """What squawk score says these articles must raise: {(article id, category): tickers}."""
    out = subprocess.run([SQ, "score", "--data-dir", data_dir] + files, capture_output=True,
                         text=True, check=True).stdout
    exp = {}
    for line in out.splitlines():
        a = json.loads(line)
        tickers = []
        for e in a["entities"]:  # a company only mentioned gets no topic (ALERTS.md)
            if e.get("ticker") and e["role"] != "mentioned" and e["ticker"] not in tickers:
                tickers.append(e["ticker"])
        exp[(a["article"]["id"], a["category"])] = tickers or ["_"]
    return exp


def sub(port, count, out_name, topics=()):
    args = [SQ, "sub", "-c", "tcp://127.0.0.1:%d" % port, "--json", "--count", str(count),
            "--timeout", "90"]
    for t in topics:
        args += ["--topic", t]
    return start(args, stdout=open(os.path.join(TMP, out_name), "w"),
                 stderr=open(os.path.join(TMP, out_name + ".err"), "w"))


def feed(boot, paths):
    r = subprocess.run([SQ, "feed", "-b", boot, "-t", "articles"] + paths,
                       stderr=open(os.path.join(TMP, "feed.log"), "a"))
    if r.returncode != 0:
        fail("squawk feed failed")


def main():
    # 1. an embedded broker and a private copy of the rule packs (the test edits them)
    broker = start([SQ, "broker", "--topic", "articles:2", "--topic", "articles.dlq:1"],
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    boot = broker.stdout.readline().strip()
    if not boot:
        fail("squawk broker printed no bootstrap address")
    data = os.path.join(TMP, "data")
    os.makedirs(data)
    shutil.copytree(os.path.join(SRC, "filters", "rules"), os.path.join(data, "rules"))
    shutil.copy(os.path.join(SRC, "filters", "gazetteer.yml"), data)

    pub = free_port()
    cfg = os.path.join(TMP, "squawk.yml")
    with open(cfg, "w") as f:
        f.write("""# test config
kafka:
  topics: [articles]
  dlq_topic: articles.dlq
  commit_interval_ms: 200
  bootstrap.servers: "%s"
  group.id: test-run
  auto.offset.reset: earliest
  sasl.password: s3cr3t-never-logged
engine:
  data_dir: "%s"
filters:
  - name: invest
  - name: chips
  - name: regulatory
sinks:
  zmq:
    endpoints: ["tcp://127.0.0.1:%d"]
    replay_endpoints: ["tcp://127.0.0.1:%d"]
metrics:
  listen: "127.0.0.1:0"
log:
  level: info
""" % (boot, data, pub, pub + 1))
    # sasl.password without security.protocol is harmless to the plaintext mock broker
    chk = subprocess.run([SQ, "check", "-c", cfg], capture_output=True, text=True)
    if chk.returncode != 0:
        fail("squawk check rejected the config: " + chk.stderr)
    if "s3cr3t" in chk.stdout + chk.stderr or "***" not in chk.stdout:
        fail("squawk check printed a secret")

    # a bad plugin config key is an error naming file, line and key, for check and run alike
    badcfg = os.path.join(TMP, "bad.yml")
    with open(badcfg, "w") as f:
        f.write(open(cfg).read().replace("  - name: chips\n", "  - name: chips\n    config: {bogus_key: 1}\n"))
    for cmd in ("check", "run"):
        r = subprocess.run([SQ, cmd, "-c", badcfg], capture_output=True, text=True, timeout=120)
        if r.returncode == 0 or "%s:14: filters[chips]" % badcfg not in r.stderr or "bogus_key" not in r.stderr:
            fail("squawk %s did not name file:line and key of a bad plugin config: %s" % (cmd, r.stderr))

    log = open(os.path.join(TMP, "run.log"), "w")
    run = start([SQ, "run", "-c", cfg], stderr=log, stdout=log)

    def metrics_port():
        m = re.search(r"msg=metrics.listen .*port=(\d+)", open(os.path.join(TMP, "run.log")).read())
        return int(m.group(1)) if m else None
    mport = wait_until("the metrics port in the log", metrics_port, 120)
    wait_until("/healthz 200", lambda: http(mport, "/healthz")[0] == 200, 60)

    # 2. feed the samples plus two malformed messages; the subscriber must see every alert
    samples = sorted(glob.glob(os.path.join(SRC, "samples", "*.json")))
    exp = expected_alerts(samples, data)
    n_msgs = sum(len(t) for t in exp.values())
    cats = {c for (_, c) in exp}
    if cats != {"invest", "chips", "regulatory"}:
        fail("samples should raise all three categories, squawk score gave %s" % sorted(cats))
    s1 = sub(pub, n_msgs, "alerts.jsonl")
    bad = os.path.join(TMP, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"id": "bad-1", "headline": \n')          # truncated JSON
        f.write('{"headline": "no id here"}\n')             # missing id
    feed(boot, samples + [bad])
    n_fed = len(samples) + 2
    if s1.wait(timeout=120) != 0:
        fail("squawk sub did not receive %d alert messages" % n_msgs)
    got = {}
    for line in open(os.path.join(TMP, "alerts.jsonl")):
        a = json.loads(line)
        got.setdefault((a["article"]["id"], a["category"]), []).append(a)
        if a["ts"]["produce_ns"] <= 0 or not (a["ts"]["produce_ns"] <= a["ts"]["ingest_ns"] + 10**9):
            fail("alert lacks a sane ts.produce_ns: %s" % a["ts"])
        if a["kafka"]["topic"] != "articles":
            fail("alert lacks its kafka source")
    if set(got) != set(exp):
        fail("alerts differ from squawk score: missing %s, extra %s" %
             (sorted(set(exp) - set(got)), sorted(set(got) - set(exp))))
    print("ok: %d alert messages for %d (article, category) pairs" % (n_msgs, len(exp)))

    # 3. /metrics
    wait_until("consumed == fed", lambda: metric(mport, "squawk_articles_consumed_total") == n_fed, 30)
    wait_until("2 dead letters delivered", lambda: metric(mport, "squawk_dead_lettered_total") == 2, 30)
    _, text = http(mport, "/metrics")
    for want in ('squawk_articles_rejected_total{reason="BAD_JSON"} 1',
                 'squawk_articles_rejected_total{reason="NO_ID"} 1',
                 'squawk_dead_lettered_total 2'):
        if want not in text:
            fail("/metrics lacks '%s'" % want)
    for c in cats:
        n = sum(1 for (_, cc) in exp if cc == c)
        if 'squawk_alerts_total{category="%s"} %d' % (c, n) not in text:
            fail("/metrics alert count for %s is not %d" % (c, n))
    if "squawk_filter_seconds_total{filter=\"invest\"}" not in text:
        fail("/metrics lacks per-filter time")
    print("ok: /metrics counts consumed, rejected by reason, alerts by category")

    # 4. SIGHUP with a changed rule pack: the new rule takes effect
    hup = os.path.join(TMP, "hup-1.json")
    with open(hup, "w") as f:
        # words no real rule knows, so only the rule added below can make it alert
        json.dump({"id": "hup-1", "headline": "Nvidia faces a flumox",
                   "body": "Nvidia Corp will face a flumox next week, people familiar with the "
                           "matter said."}, f)
    if expected_alerts([hup], data):
        fail("the reload article alerts before the new rule exists")
    # the regulatory filter runs the token-pattern pack (engine v2) by default
    with open(os.path.join(data, "rules", "v2", "regulatory.yml"), "a") as f:
        f.write("  - id: reg.flumox\n    pattern: 'flumox'\n"
                "    weight: 4.0\n    comment: test-only word added by the reload test\n")
    run.send_signal(signal.SIGHUP)
    wait_until("rule reload", lambda: metric(mport, "squawk_rule_reloads_total") == 1, 120)
    # --no-replay: replaying from seq 1 would first deliver older NVDA alerts
    s2 = start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--no-replay",
                "--topic", "regulatory.NVDA", "--count", "1", "--timeout", "90"],
               stdout=open(os.path.join(TMP, "hup.jsonl"), "w"),
               stderr=open(os.path.join(TMP, "hup.err"), "w"))
    wait_subscribed(os.path.join(TMP, "hup.err"))
    feed(boot, [hup])
    n_fed += 1
    if s2.wait(timeout=120) != 0:
        fail("no regulatory.NVDA alert after the reload")
    a = json.loads(open(os.path.join(TMP, "hup.jsonl")).readline())
    if a["article"]["id"] != "hup-1" or "reg.flumox" not in [e["rule"] for e in a["evidence"]]:
        fail("the reloaded rule did not fire: %s" % a["evidence"])
    print("ok: SIGHUP reload made reg.flumox fire")

    # 5. a bad reload keeps the old engine
    with open(os.path.join(data, "rules", "v2", "regulatory.yml"), "a") as f:
        f.write("  - id: reg.broken\n    pattern: '( unclosed'\n    weight: 1\n    comment: broken\n")
    run.send_signal(signal.SIGHUP)
    wait_until("failed reload", lambda: metric(mport, "squawk_rule_reload_failures_total") == 1, 120)
    if "reload.failed" not in open(os.path.join(TMP, "run.log")).read():
        fail("a failed reload was not logged")
    hup2 = os.path.join(TMP, "hup-2.json")
    with open(hup2, "w") as f:
        json.dump({"id": "hup-2", "headline": "Nvidia faces another flumox",
                   "body": "Nvidia Corp will face a second flumox, people said."}, f)
    s3 = start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--no-replay",
                "--topic", "regulatory.NVDA", "--count", "1", "--timeout", "90"],
               stdout=open(os.path.join(TMP, "hup2.jsonl"), "w"),
               stderr=open(os.path.join(TMP, "hup2.err"), "w"))
    wait_subscribed(os.path.join(TMP, "hup2.err"))
    feed(boot, [hup2])
    n_fed += 1
    if s3.wait(timeout=120) != 0:
        fail("the old engine stopped alerting after a bad reload")
    print("ok: a bad reload kept the old engine")

    # 6. SIGTERM: drain, commit, exit 0; committed offsets cover every article fed
    wait_until("all consumed", lambda: metric(mport, "squawk_articles_consumed_total") == n_fed, 30)
    run.send_signal(signal.SIGTERM)
    try:
        rc = run.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("squawk run did not exit within 60 s of SIGTERM")
    if rc != 0:
        fail("squawk run exited %d after SIGTERM" % rc)
    committed, marks = committed_offsets(boot, "test-run", "articles", 2)
    # an empty partition has no committed offset (-1001): nothing to cover there
    covered = all(c == m or (m == 0 and c < 0) for c, m in zip(committed, marks))
    if not covered or sum(marks) != n_fed:
        fail("committed offsets %s do not cover the %d articles fed (ends %s)" % (committed, n_fed, marks))
    logtext = open(os.path.join(TMP, "run.log")).read()
    if "s3cr3t" in logtext:
        fail("the log contains a secret")
    print("ok: SIGTERM exit 0, committed offsets %s cover all %d articles" % (committed, n_fed))


if __name__ == "__main__":
    try:
        main()
    finally:
        sqtest.kill_all()
        if not os.environ.get("SQUAWK_TEST_KEEP"):
            shutil.rmtree(TMP, ignore_errors=True)
