#!/usr/bin/python3
"""test_ops.py -- what an operator meets (issue 17): /metrics parsed by prometheus_client, optional
article fields that never cost the article, feed's delivery timeout, check vs run, reload, logs.

Usage: test_ops.py [SECTION...]   (default: every section)"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TMP = tempfile.mkdtemp(prefix="squawk-test-ops.")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqtest import LOGS, fail, free_port, http, kill_all, start, wait_until  # noqa: E402


def spawn(args, log=None, **kw):
    if log:
        LOGS.append(log)
        f = open(log, "w")
        kw.setdefault("stdout", f)
        kw.setdefault("stderr", f)
    return start(args, **kw)


def scrape(port, path="/metrics"):
    return http(port, path)


def sample(text, name, labels=None):
    """Value of the first sample called name (with these labels), via prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in (labels or {}).items()):
                return s.value
    return None


def broker(*topics):
    args = [SQ, "broker"]
    for t in topics:
        args += ["--topic", t]
    b = spawn(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    boot = b.stdout.readline().strip()
    if not boot:
        fail("squawk broker printed no bootstrap address")
    return boot


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_config(boot, extra_sinks="", pub=None, log_level="info", extra=""):
    pub = pub or free_port()
    return """kafka:
  topics: [articles]
  dlq_topic: articles.dlq
  commit_interval_ms: 200
  bootstrap.servers: "%s"
  group.id: ops-%d
engine:
  data_dir: "%s"
filters: [invest, chips, regulatory]
sinks:
  zmq:
    endpoints: ["tcp://127.0.0.1:%d"]
    replay_endpoints: ["tcp://127.0.0.1:%d"]
%s
metrics:
  listen: "127.0.0.1:0"
log:
  level: %s
%s""" % (boot, pub, os.path.join(SRC, "filters"), pub, pub + 1, extra_sinks, log_level, extra)


def start_run(cfg, log, env=None):
    run = spawn([SQ, "run", "-c", cfg], log=log, env=env)

    def mport():
        m = re.search(r"msg=metrics.listen .*port=(\d+)", open(log).read())
        if run.poll() is not None:
            fail("squawk run exited %s at start" % run.returncode)
        return int(m.group(1)) if m else None
    port = wait_until("the metrics port in the log", mport, 120)
    wait_until("/healthz 200", lambda: scrape(port, "/healthz")[0] == 200, 60)
    return run, port


def stop_run(run):
    run.send_signal(signal.SIGTERM)
    try:
        return run.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("squawk run did not exit within 60 s of SIGTERM")


def feed(boot, paths, log_name="feed.log"):
    r = subprocess.run([SQ, "feed", "-b", boot, "-t", "articles"] + paths,
                       stderr=open(os.path.join(TMP, log_name), "a"), timeout=120)
    if r.returncode != 0:
        fail("squawk feed failed")


# ---- 1. /metrics is valid Prometheus text ---------------------------------------------------

def test_metrics():
    from prometheus_client.parser import text_string_to_metric_families
    boot = broker("articles:2", "articles.dlq:1", "alerts:1")
    jl = os.path.join(TMP, "alerts.jsonl")
    ring_cap = 4096  # a few alerts: the byte cap, not ring_size, decides what the ring holds
    cfg = write("metrics.yml", run_config(boot, extra_sinks="""    ring_bytes: %d
  kafka:
    topic: alerts
    properties: {bootstrap.servers: "%s"}
  jsonl:
    path: "%s"
""" % (ring_cap, boot, jl)))
    run, port = start_run(cfg, os.path.join(TMP, "metrics-run.log"))
    samples = sorted(glob.glob(os.path.join(SRC, "samples", "*.json")))
    bad = write("bad.jsonl", '{"id": "bad-1", "headline": \n')
    feed(boot, samples + [bad])
    n_fed = len(samples) + 1

    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": boot, "group.id": "ops-watermarks"})
    filled = [str(p) for p in (0, 1)
              if c.get_watermark_offsets(TopicPartition("articles", p), timeout=20)[1] > 0]
    c.close()
    last = {}

    def settled():
        _, t = scrape(port)
        last["text"] = t
        if sample(t, "squawk_articles_consumed_total") != n_fed:
            return None
        lags = [sample(t, "squawk_consumer_partition_lag", {"topic": "articles", "partition": p})
                for p in filled]
        return t if lags == [0] * len(filled) else None
    end = time.time() + 90
    text = None
    while time.time() < end and not text:
        text = settled()
        time.sleep(0.2)
    if not text:
        fail("not every article consumed with lag 0 on partitions %s; last scrape:\n%s" % (filled,
             "\n".join(l for l in last.get("text", "").splitlines() if "lag" in l or "consumed" in l)))

    fams = list(text_string_to_metric_families(text))
    names = [f.name for f in fams]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        fail("families appear more than once: %s" % dups)
    untyped = [f.name for f in fams if f.type in ("unknown", "untyped")]
    if untyped:
        fail("families without a TYPE: %s" % untyped)
    nohelp = [f.name for f in fams if not f.documentation or f.documentation == f.name]
    if nohelp:
        fail("families without a real HELP: %s" % nohelp)
    # Every sample of a name carries the same label names (le aside), and HELP/TYPE come first.
    labelsets = {}
    for f in fams:
        for s in f.samples:
            labelsets.setdefault(s.name, set()).add(tuple(sorted(k for k in s.labels if k != "le")))
    mixed = {n: ls for n, ls in labelsets.items() if len(ls) > 1}
    if mixed:
        fail("inconsistent label sets: %s" % mixed)
    seen = set()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        fam = re.sub(r"_(bucket|sum|count)$", "", name)
        if "# TYPE %s " % name not in text and "# TYPE %s " % fam not in text:
            fail("sample %s has no # TYPE" % name)
        seen.add(name)
    print("ok: %d families parse, each once, typed, with HELP, consistent labels" % len(fams))

    byname = {f.name: f for f in fams}
    version = subprocess.run([SQ, "version"], capture_output=True, text=True).stdout.split()[1]
    bi = byname.get("squawk_build_info")
    if not bi or bi.samples[0].labels.get("version") != version or bi.samples[0].value != 1:
        fail("squawk_build_info{version=%s} 1 missing: %s" % (version, bi))
    lat = byname.get("squawk_alert_latency_seconds")
    if not lat or lat.type != "histogram":
        fail("no squawk_alert_latency_seconds histogram")
    alerts = sum(s.value for s in byname["squawk_alerts"].samples)
    count = [s.value for s in lat.samples if s.name.endswith("_count")][0]
    inf = [s.value for s in lat.samples if s.labels.get("le") == "+Inf"][0]
    if alerts == 0 or count != alerts or inf != alerts:
        fail("latency histogram counts %s alerts, squawk_alerts_total says %s" % (count, alerts))
    check_processing_and_memory(byname, ring_cap)
    check_no_speech_libraries(run.pid)
    for want in ("squawk_sink_sent", "squawk_sink_delivered", "squawk_sink_errors",
                 "squawk_sink_dropped", "squawk_articles_rejected", "squawk_dead_lettered",
                 "squawk_consumer_partition_lag", "squawk_delivery_errors"):
        if want not in byname:
            fail("/metrics lacks family %s" % want)
    kinds = {s.labels["kind"] for s in byname["squawk_sink_sent"].samples}
    if kinds != {"zmq", "kafka", "jsonl"}:
        fail("squawk_sink_sent_total kinds %s" % kinds)
    if stop_run(run) != 0:
        fail("squawk run exited non-zero after SIGTERM")
    print("ok: build_info, latency histogram (%d alerts), per-partition lag, every sink's families"
          % alerts)
    check_dashboard(fams)


def check_no_speech_libraries(pid):
    """squawk run maps no espeak-ng/pcaudiolib (only squawk say opens them): ~2.8 MB of RSS."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    if "libhs.so" not in maps:
        fail("/proc/%d/maps does not look like squawk run's (no libhs)" % pid)
    loaded = sorted({m for m in re.findall(r"\S*lib(?:espeak-ng|pcaudio|pulse|asound)\S*", maps)})
    if loaded:
        fail("squawk run maps speech libraries: %s" % loaded)
    print("ok: squawk run maps no speech library")


def check_processing_and_memory(byname, ring_cap):
    """Per-article processing histogram; memory parts that add up; the ring capped in bytes."""
    proc = byname.get("squawk_processing_seconds")
    if not proc or proc.type != "histogram":
        fail("no squawk_processing_seconds histogram")
    done = byname["squawk_articles_processed"].samples[0].value
    buckets = [(float(s.labels["le"]), s.value) for s in proc.samples if s.name.endswith("_bucket")]
    count = [s.value for s in proc.samples if s.name.endswith("_count")][0]
    if done == 0 or count != done or buckets[-1] != (float("inf"), done):
        fail("processing histogram counts %s articles, processed_total says %s" % (count, done))
    if any(b[1] > a[1] for a, b in zip(buckets[1:], buckets)) or buckets[0][0] > 0.0001:
        fail("processing buckets not cumulative or too coarse for 100 us: %s" % buckets)
    one = {n: byname[n].samples[0].value for n in ("squawk_filter_stage_seconds", "squawk_filter_stage_cpu_seconds",
                                                     "squawk_emit_seconds", "squawk_emit_cpu_seconds")}
    # thread CPU never exceeds the wall time around the same code (1 ms of clock granularity allowed)
    if not (0 < one["squawk_filter_stage_cpu_seconds"] <= one["squawk_filter_stage_seconds"] + 0.001
            and 0 < one["squawk_emit_cpu_seconds"] <= one["squawk_emit_seconds"] + 0.001):
        fail("filter stage / emit wall and CPU seconds do not make sense: %s" % one)
    mem = {s.labels["part"]: s.value for s in byname["squawk_memory_bytes"].samples}
    if set(mem) != {"rss", "databases", "ring", "kafka_queue", "rest"}:
        fail("squawk_memory_bytes parts %s" % sorted(mem))
    if not 1e6 < mem["databases"] < mem["rss"] or mem["rest"] <= 0:
        fail("memory parts do not make sense: %s" % mem)
    if abs(mem["databases"] + mem["ring"] + mem["kafka_queue"] + mem["rest"] - mem["rss"]) > 1:
        fail("memory parts do not add up to rss: %s" % mem)
    zmq = {"name": "zmq", "kind": "zmq"}
    ring = sample_of(byname, "squawk_sink_ring_bytes", zmq)
    held = sample_of(byname, "squawk_sink_ring_messages", zmq)
    sent = sample_of(byname, "squawk_sink_last_seq", zmq)
    if not (0 < ring <= ring_cap and ring == mem["ring"] and 0 < held < sent):
        fail("ring holds %s bytes in %s of %s messages (cap %d, memory says %s)"
             % (ring, held, sent, ring_cap, mem["ring"]))
    print("ok: processing histogram over %d articles; memory %s; ring %d bytes <= %d"
          % (done, {k: "%.1f MB" % (v / 1e6) for k, v in mem.items()}, ring, ring_cap))


def sample_of(byname, name, labels):
    fam = byname.get(re.sub(r"_total$", "", name)) or byname.get(name)
    for s in fam.samples if fam else []:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    fail("no sample %s%s" % (name, labels))


def check_dashboard(fams):
    """Every metric a Grafana panel queries exists in a real scrape."""
    have = {s.name for f in fams for s in f.samples}
    dash = json.load(open(os.path.join(SRC, "deploy", "grafana", "dashboards", "squawk.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    if len(exprs) < 8:
        fail("the dashboard has only %d queries" % len(exprs))
    missing = set()
    for e in exprs:
        for name in re.findall(r"\bsquawk_[a-z0-9_]+", e):
            if name not in have:
                missing.add(name)
    if missing:
        fail("dashboard queries metrics /metrics does not have: %s" % sorted(missing))
    titles = " ".join(p["title"].lower() for p in dash["panels"])
    for topic in ("throughput", "category", "latency", "lag", "dead letters", "sink drops"):
        if topic not in titles:
            fail("the dashboard has no %s panel" % topic)
    print("ok: all %d dashboard queries name metrics present in a real scrape" % len(exprs))


# ---- 7. optional article fields never cost the article ---------------------------------------

DEAL = ("Globex Corp agreed to buy Initech Inc for $3.5 billion in cash, or $96.50 a share, the "
        "companies said. Initech shares closed at $88.25 on Friday.")


def test_fields():
    boot = broker("articles:1", "articles.dlq:1")
    jl = os.path.join(TMP, "fields.jsonl")
    cfg = write("fields.yml", run_config(boot, extra_sinks='  jsonl:\n    path: "%s"\n' % jl))
    log = os.path.join(TMP, "fields-run.log")
    run, port = start_run(cfg, log)
    arts = [("f-1", "Globex agrees to buy Initech for $3.5 billion", "Mon, 02 Dec 2024 10:00:00 GMT",
             1733133600000),
            ("f-2", "Umbrella to acquire Hooli in $2 billion deal", "2025-01-10 11:15:00", 1736507700000),
            ("f-3", "Soylent agrees to buy Vandelay for $1 billion", 1733133600000, 1733133600000),
            ("f-4", "UPDATE 1-Globex agrees to buy Initech for $3.5 billion", "last Tuesday", None)]
    path = os.path.join(TMP, "fields-articles.jsonl")
    with open(path, "w") as f:
        for aid, head, pub, _ in arts:
            f.write(json.dumps({"id": aid, "headline": head, "body": DEAL.replace("Globex", head.split()[-6])
                                if aid in ("f-2", "f-3") else DEAL, "published": pub}) + "\n")
    feed(boot, [path])

    def alerts():
        if not os.path.exists(jl):
            return None
        got = {}
        for line in open(jl):
            a = json.loads(line)
            got[a["article"]["id"]] = a
        return got if set(got) >= {a[0] for a in arts} else None
    got = wait_until("an alert for every article, whatever its published field", alerts, 60)
    for aid, head, pub, want in arts:
        have = got[aid]["article"].get("published_ms")
        if have != want:
            fail("%s: published %r gave published_ms %r, want %r" % (aid, pub, have, want))
    print("ok: RFC 2822, 'YYYY-MM-DD HH:MM:SS' and epoch ms read; an unreadable date costs only the field")
    amounts = [(round(x["usd"]), x["text"]) for x in got["f-1"]["amounts"]]
    if amounts != [(3500000000, "$3.5 billion")]:
        fail("share prices taken as deal amounts: %s" % amounts)
    print("ok: amounts skip '$96.50 a share' and 'closed at $88.25'")
    if got["f-1"]["novelty"] != 100 or got["f-4"]["novelty"] >= 100:
        fail("an 'UPDATE 1-' resend looks new: novelty %s then %s" % (got["f-1"]["novelty"],
                                                                      got["f-4"]["novelty"]))
    print("ok: 'UPDATE 1-' resend has novelty %d" % got["f-4"]["novelty"])
    _, text = scrape(port)
    if sample(text, "squawk_article_fields_dropped_total", {"field": "published"}) != 1:
        fail("squawk_article_fields_dropped_total{field=published} is not 1")
    if sample(text, "squawk_articles_rejected_total") is not None:
        fail("an article was rejected for an optional field")
    logtext = open(log).read()
    if not re.search(r"msg=kafka.field_dropped topic=articles partition=0 offset=3 .*last Tuesday", logtext):
        fail("no kafka.field_dropped log line naming the offset and the value")
    if stop_run(run) != 0:
        fail("squawk run exited non-zero after SIGTERM")
    print("ok: the dropped field is counted and logged")


# ---- 6. squawk feed gives up on a dead broker and says which ----------------------------------

def test_feed():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = "127.0.0.1:%d" % s.getsockname()[1]  # bound, never listening: connections are refused
    art = write("feed-one.json", json.dumps({"id": "feed-1", "headline": "nothing to see"}))
    t0 = time.time()
    try:
        r = subprocess.run([SQ, "feed", "-b", dead, "-t", "articles", "--timeout", "2", art],
                           capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        fail("squawk feed to a dead broker still runs after 60 s")
    s.close()
    took = time.time() - t0
    if r.returncode == 0:
        fail("squawk feed to a dead broker exited 0")
    if "not delivered to %s" % dead not in r.stderr:
        fail("squawk feed's error does not name the broker %s: %s" % (dead, r.stderr[-500:]))
    if re.search(r"^%\d\|", r.stderr, re.M):
        fail("raw librdkafka lines bypass the logger: %s" % r.stderr[-500:])
    print("ok: feed to a dead broker exits %d after %.1f s naming %s" % (r.returncode, took, dead))


# ---- 3. the compiled-rule cache falls back to a directory that works ------------------------

def cache_env(**over):
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "SQUAWK_CACHE_DIR")}
    env.update(over)
    return env


def test_cache():
    cfg = write("cache.yml", run_config("127.0.0.1:9"))
    open_dir = os.path.join(TMP, "world-writable")
    os.mkdir(open_dir)
    os.chmod(open_dir, 0o777)
    tmpdir = os.path.join(TMP, "tmpdir")
    os.mkdir(tmpdir)
    env = cache_env(SQUAWK_CACHE_DIR=open_dir, TMPDIR=tmpdir)  # no HOME, like the image's user
    picked = []
    for attempt in (1, 2):
        r = subprocess.run([SQ, "check", "-c", cfg], capture_output=True, text=True, env=env,
                           timeout=300)
        if r.returncode != 0:
            fail("squawk check failed: " + r.stderr[-800:])
        m = re.search(r'msg=rules.cache dir="([^"]+)" from=(\S+)(?: skipped="([^"]*)")?', r.stderr)
        if not m:
            fail("squawk check did not log where the rule cache went: " + r.stderr[-800:])
        picked.append(m.group(1))
        if open_dir in m.group(1) or "writable by others" not in (m.group(3) or ""):
            fail("an unsafe SQUAWK_CACHE_DIR was used or not reported: %s" % m.group(0))
    want = ("/var/cache/squawk" if os.access("/var/cache", os.W_OK)
            else os.path.join(tmpdir, "squawk-cache-%d" % os.geteuid()))
    if picked != [want, want]:
        fail("rule cache went to %s, want %s" % (picked, want))
    if not glob.glob(os.path.join(want, "*.hsdb")):
        fail("nothing cached in %s" % want)
    if os.listdir(open_dir):
        fail("something was written to the world-writable directory")
    print("ok: without HOME and with an unsafe SQUAWK_CACHE_DIR the rule cache goes to %s, logged" % want)
    good = os.path.join(TMP, "cache-good")
    os.mkdir(good, 0o700)
    for f in glob.glob(os.path.join(want, "*.hsdb")):  # seeded: a second compile costs a minute
        shutil.copy(f, good)
    r = subprocess.run([SQ, "check", "-c", cfg], capture_output=True, text=True,
                       env=cache_env(SQUAWK_CACHE_DIR=good), timeout=300)
    if 'msg=rules.cache dir="%s" from=SQUAWK_CACHE_DIR' % good not in r.stderr:
        fail("a good SQUAWK_CACHE_DIR was not used: " + r.stderr[-800:])
    print("ok: a good SQUAWK_CACHE_DIR is used and logged")


# ---- 2. squawk check rejects what run would reject, naming the source --------------------------

BASE = """kafka:
  topics: [articles]
  bootstrap.servers: "127.0.0.1:9"
filters: [invest, chips]
metrics:
  listen: "127.0.0.1:0"
sinks:
  zmq:
    endpoints: ["tcp://127.0.0.1:5555"]
    replay_endpoints: ["tcp://127.0.0.1:5556"]
"""


def check(text, env=None, cmd="check"):
    cfg = write("check.yml", text)
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([SQ, cmd, "-c", cfg], capture_output=True, text=True, env=e, timeout=300)
    return cfg, r


def test_check():
    for ok in (BASE, BASE.replace('"tcp://127.0.0.1:5555"', '">tcp://127.0.0.1:5555"')):
        cfg, r = check(ok)
        if r.returncode != 0:
            fail("a good config does not pass: " + r.stderr)
    cases = [
        ("a Kafka alert sink without bootstrap.servers",
         BASE + "  kafka:\n    topic: alerts\n    properties: {acks: all}\n", {},
         ":13: sinks.kafka.properties.bootstrap.servers: required"),
        ("sink properties librdkafka refuses together",
         BASE + "  kafka:\n    topic: alerts\n    properties: {bootstrap.servers: \"127.0.0.1:9\", "
         "security.protocol: SASL_PLAINTEXT, sasl.mechanisms: PLAIN}\n", {},
         "sinks.kafka.properties: sasl.username and sasl.password must be set"),
        ("endpoint tcp//*:5555", BASE.replace("tcp://127.0.0.1:5555", "tcp//*:5555"), {},
         ":9: sinks.zmq.endpoints: 'tcp//*:5555'"),
        ("metrics.listen: localhost", BASE.replace('"127.0.0.1:0"', "localhost"), {},
         ":6: metrics.listen: 'localhost' is not host:port"),
        ("a filter listed twice", BASE.replace("[invest, chips]", "[invest, chips, invest]"), {},
         ":4: filters[invest]: listed twice"),
        ("replay port = publish port", BASE.replace("127.0.0.1:5556", "127.0.0.1:5555"), {},
         ":10: sinks.zmq.replay_endpoints: 'tcp://127.0.0.1:5555' takes the publish endpoint's port"),
        ("an env-var typo", BASE, {"SQUAWK_LOG__LEVL": "debug"}, "SQUAWK_LOG__LEVL: log.levl: unknown key"),
        ("a bad librdkafka value from the environment", BASE, {"SQUAWK_KAFKA__SOCKET_TIMEOUT_MS": "abc"},
         "SQUAWK_KAFKA__SOCKET_TIMEOUT_MS: kafka.socket.timeout.ms: Invalid value"),
        ("a config with only engine:", "engine:\n  novelty_window_s: 60\n", {},
         ": kafka.topics: at least one topic is required"),
    ]
    for what, text, env, want in cases:
        cfg, r = check(text, env)
        if r.returncode == 0:
            fail("squawk check passes %s" % what)
        if want not in r.stderr:
            fail("squawk check on %s: want '%s' in: %s" % (what, want, r.stderr.strip()))
        if "(from environment)" in r.stderr or (env and cfg in r.stderr):
            fail("squawk check on %s blames the wrong source: %s" % (what, r.stderr.strip()))
        if not env and not want.startswith("SQUAWK") and cfg not in r.stderr:
            fail("squawk check on %s does not name the file: %s" % (what, r.stderr.strip()))
        print("ok: check rejects %s: %s" % (what, r.stderr.strip().splitlines()[-1]))
    for what, text, env, want in (cases[0], cases[1], cases[6]):
        _, r = check(text, env, cmd="run")
        if r.returncode == 0 or want not in r.stderr:
            fail("squawk run does not reject %s the same way: %s" % (what, r.stderr[-500:]))
    print("ok: run rejects them with the same message")


# ---- 4 and 5. SIGHUP says what it could not apply; logs --------------------------------------

def test_reload():
    boot = broker("articles:1", "articles.dlq:1")
    pub = free_port()
    text = run_config(boot, pub=pub)
    cfg = write("reload.yml", text)
    log = os.path.join(TMP, "reload-run.log")
    run, port = start_run(cfg, log)
    pub2 = free_port()
    changed = (text.replace("tcp://127.0.0.1:%d\"]" % pub, "tcp://127.0.0.1:%d\"]" % pub2)
               .replace("level: info", "level: debug")
               .replace("sinks:\n  zmq:\n", "sinks:\n  zmq:\n    sndhwm: 5000\n"))
    write("reload.yml", changed)
    run.send_signal(signal.SIGHUP)
    wait_until("the reload", lambda: sample(scrape(port)[1], "squawk_rule_reloads_total") == 1, 120)
    logtext = open(log).read()
    keys = sorted(re.findall(r"msg=reload.restart_needed key=(\S+)", logtext))
    if keys != ["sinks.zmq.endpoints", "sinks.zmq.sndhwm"]:
        fail("restart-needed keys logged: %s" % keys)
    if sample(scrape(port)[1], "squawk_reload_restart_needed_total") != 2:
        fail("squawk_reload_restart_needed_total is not 2")
    if "msg=reload.applied key=log.level value=debug" not in logtext or \
            not re.search(r"msg=reload.ok reloads=1 restart_needed=2", logtext):
        fail("reload did not say it applied log.level and needs a restart for 2 keys")
    print("ok: SIGHUP applied log.level, logged and counted 2 keys that need a restart: %s" % keys)
    arts = os.path.join(TMP, "reload-articles.jsonl")
    with open(arts, "w") as f:
        f.write(json.dumps({"id": "dbg-1", "headline": "Globex agrees to buy Initech for $3.5 billion",
                            "body": DEAL}) + "\n")
        f.write(json.dumps({"id": "dbg-2", "headline": "Weather stays mild", "body": "Nothing."}) + "\n")
    feed(boot, [arts])
    wait_until("both articles processed",
               lambda: sample(scrape(port)[1], "squawk_articles_processed_total") == 2, 60)
    alerts = sum(v for v in [sample(scrape(port)[1], "squawk_alerts_total", {"category": c})
                             for c in ("invest", "chips", "regulatory")] if v)
    logtext = open(log).read()
    per_article = re.findall(r"msg=article topic=articles partition=0 offset=\d+ id=\"(dbg-\d)\"", logtext)
    per_alert = re.findall(r"msg=alert id=\S+ article=\"dbg-1\" category=", logtext)
    if sorted(per_article) != ["dbg-1", "dbg-2"] or len(per_alert) != alerts or not alerts:
        fail("debug logs %s article lines, %d alert lines for %s alerts" % (per_article, len(per_alert), alerts))
    if stop_run(run) != 0:
        fail("squawk run exited non-zero after SIGTERM")
    print("ok: at debug, one line per article (%d) and per alert (%d)" % (len(per_article), len(per_alert)))


def test_logs():
    boot = broker("articles:1", "articles.dlq:1")
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_addr = "127.0.0.1:%d" % dead.getsockname()[1]
    text = run_config(boot, extra_sinks="  kafka:\n    topic: alerts\n    properties: "
                      "{bootstrap.servers: \"%s\", message.timeout.ms: 1000}\n" % dead_addr)
    text = text.replace("level: info", "level: info\n  format: json")
    cfg = write("logs.yml", text)
    log = os.path.join(TMP, "logs-run.log")
    run = spawn([SQ, "run", "-c", cfg], log=log)

    def lines():
        out = []
        text = open(log).read()
        # squawk may be writing a line as we read: a last line without its newline is not whole yet
        for line in text[:text.rfind("\n") + 1].splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                fail("a log line is not JSON: %r" % line)
        return out

    def mport():
        for l in lines():
            if l.get("msg") == "metrics.listen":
                return l["port"]
        return None
    port = wait_until("the metrics port in the log", mport, 120)
    if not isinstance(port, int):
        fail("JSON logs write numbers as strings: port=%r" % port)
    dup = write("dup.json", '{"id": "d-1", "headline": "h", "headline": "again"}')
    feed(boot, [dup])
    wait_until("the duplicate-key reject", lambda: [l for l in lines() if l.get("msg") == "kafka.reject"], 60)
    rej = [l for l in lines() if l.get("msg") == "kafka.reject"][0]
    if rej.get("err") != "DUP_KEY" or not isinstance(rej.get("offset"), int) or \
            "headline" not in rej.get("why", ""):
        fail("the duplicate-key reject line is cut or untyped: %s" % rej)
    wait_until("a librdkafka line from the dead alert sink",
               lambda: [l for l in lines() if l.get("msg") == "kafka.log" or "kafka" in l.get("msg", "")
                        and dead_addr in json.dumps(l)], 60)
    # a second instance on the same metrics port: libmicrohttpd's bind error must be a log line too
    busy_text = run_config(boot).replace('"127.0.0.1:0"', '"127.0.0.1:%d"' % port)
    busy = write("busy.yml", busy_text.replace("level: info", "level: info\n  format: json"))
    r = subprocess.run([SQ, "run", "-c", busy], capture_output=True, text=True, timeout=300)
    if r.returncode == 0:
        fail("a second squawk run on a busy metrics port started")
    for line in r.stderr.splitlines():
        if line.startswith("squawk run:"):
            continue
        try:
            json.loads(line)
        except ValueError:
            fail("output bypassed the JSON logger: %r" % line)
    if "metrics.http" not in r.stderr:
        fail("libmicrohttpd's bind error did not go through the logger: %s" % r.stderr[-600:])
    if stop_run(run) != 0:
        fail("squawk run exited non-zero after SIGTERM")
    dead.close()
    print("ok: JSON logs only (librdkafka and libmicrohttpd included), numbers as numbers, "
          "reject reasons whole")


# ---- 8. cmake --install puts everything in its place ------------------------------------------

def test_install():
    build = os.path.dirname(SQ)
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", cache, re.M).group(1)
    etc = "/etc" if prefix == "/usr" else prefix + "/etc"
    dest = os.path.join(TMP, "root")
    r = subprocess.run(["cmake", "--install", build], env=dict(os.environ, DESTDIR=dest),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("cmake --install failed: " + r.stderr[-800:])
    root = dest + prefix
    want = ["bin/squawk", "lib/squawk/invest.so", "lib/squawk/chips.so", "lib/squawk/regulatory.so",
            "share/squawk/gazetteer.yml", "share/squawk/rules/invest.yml",
            "share/squawk/samples/01_nvidia-stake-coreweave.json", "lib/systemd/system/squawk.service",
            "share/man/man1/squawk.1", "share/bash-completion/completions/squawk"]
    missing = [w for w in want if not os.path.exists(os.path.join(root, w))]
    if missing or not os.path.exists(dest + etc + "/squawk/squawk.yml"):
        fail("cmake --install left out %s (or %s/squawk/squawk.yml)" % (missing, etc))
    unit = open(os.path.join(root, "lib/systemd/system/squawk.service")).read()
    for line in ("ExecStart=%s/bin/squawk run -c %s/squawk/squawk.yml" % (prefix, etc),
                 "ExecReload=/bin/kill -HUP $MAINPID", "CacheDirectory=squawk"):
        if line not in unit:
            fail("squawk.service lacks '%s'" % line)
    g = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(root, "share/man/man1/squawk.1")],
                       capture_output=True, text=True)
    if g.returncode != 0 or g.stderr:
        fail("the man page does not render cleanly: " + g.stderr)
    comp = os.path.join(root, "share/bash-completion/completions/squawk")
    c = subprocess.run(["bash", "-c", 'source "$0"; COMP_WORDS=(squawk fe); COMP_CWORD=1; _squawk; '
                        'echo "${COMPREPLY[*]}"; COMP_WORDS=(squawk feed --ti); COMP_CWORD=2; _squawk; '
                        'echo "${COMPREPLY[*]}"', comp], capture_output=True, text=True)
    if c.stdout.split("\n")[:2] != ["feed", "--timeout"]:
        fail("bash completion gave %r" % c.stdout)
    cfg = dest + etc + "/squawk/squawk.yml"
    if "data_dir: %s/share/squawk" % prefix not in open(cfg).read():
        fail("the installed squawk.yml does not name the installed data directory")
    env = dict(os.environ, SQUAWK_ENGINE__DATA_DIR=root + "/share/squawk",
               SQUAWK_ENGINE__PLUGIN_DIRS=root + "/lib/squawk")
    r = subprocess.run([os.path.join(root, "bin/squawk"), "check", "-c", cfg], capture_output=True,
                       text=True, env=env, timeout=300)
    if r.returncode != 0:
        fail("the installed squawk rejects its installed config: " + r.stderr[-800:])
    print("ok: cmake --install: binary, 3 plugins, data, %s/squawk/squawk.yml, squawk.service with "
          "reload, squawk(1), bash completion; the installed binary checks the installed config" % etc)


# ---- 9. docker-compose: Prometheus, Grafana, the alerts topic, a start period -----------------

def test_compose():
    import yaml
    r = subprocess.run(["docker-compose", "-f", os.path.join(SRC, "docker-compose.yml"), "config"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail("docker-compose config: " + r.stderr)
    c = yaml.safe_load(r.stdout)
    svc = c["services"]
    sq = svc["squawk"]
    if not sq.get("healthcheck", {}).get("start_period"):
        fail("squawk's healthcheck has no start_period")
    env = sq["environment"]
    if "alerts:" not in " ".join(svc["kafka-init"]["command"]) or env.get("SQUAWK_SINKS__KAFKA__TOPIC") != "alerts":
        fail("the alerts topic is created but no sink writes to it")
    prom = yaml.safe_load(open(os.path.join(SRC, "deploy", "prometheus.yml")))
    targets = prom["scrape_configs"][0]["static_configs"][0]["targets"]
    if targets != ["squawk:9464"] or "prometheus" not in svc or "grafana" not in svc:
        fail("Prometheus does not scrape squawk:9464, or a service is missing")
    mounts = " ".join(str(v) for v in svc["grafana"]["volumes"])
    for d in ("deploy/grafana/provisioning", "deploy/grafana/dashboards"):
        if d not in mounts:
            fail("grafana does not mount %s" % d)
    # the image's config plus the compose environment really makes a Kafka alert sink
    e = {k: v for k, v in os.environ.items() if not k.startswith("SQUAWK_")}
    e.update({k: str(v) for k, v in env.items()})
    e["SQUAWK_KAFKA__BOOTSTRAP_SERVERS"] = e["SQUAWK_SINKS__KAFKA__PROPERTIES__BOOTSTRAP_SERVERS"] = "127.0.0.1:9"
    e["SQUAWK_ENGINE__DATA_DIR"] = os.path.join(SRC, "filters")
    r = subprocess.run([SQ, "check", "-c", os.path.join(SRC, "config", "squawk.yml")],
                       capture_output=True, text=True, env=e, timeout=300)
    if r.returncode != 0 or not re.search(r"  kafka:\n    topic: alerts\n", r.stdout):
        fail("the compose environment does not give a kafka alert sink: %s %s" % (r.stdout[-600:], r.stderr[-600:]))
    print("ok: compose has Prometheus (squawk:9464), Grafana with the provisioned dashboard, a start "
          "period, and a Kafka sink on the alerts topic that check accepts")


# ---- filter worker threads (engine.filter_threads) ----------------------------------------------

def alert_set(path):
    """The alerts of a JSON Lines sink without what differs between two runs (times, seqs, offsets)."""
    out = []
    for line in open(path):
        d = json.loads(line)
        for k in ("ts", "kafka", "pub", "seq", "tseq", "novelty"):
            d.pop(k, None)
        out.append(json.dumps(d, sort_keys=True))
    return sorted(out)


def test_threads():
    """Two filter threads raise the same alerts as the loop alone; a reload and SIGTERM with workers busy."""
    boot = broker("articles:4", "articles.dlq:1")
    arts = os.path.join(SRC, "samples", "articles.jsonl")
    many = write("threads-articles.jsonl", "".join(
        json.dumps({"id": "thr-%d" % i, "headline": "Globex agrees to buy Initech for $%d million" % (100 + i),
                    "body": DEAL}) + "\n" for i in range(200)))
    runs = {}
    for th in (0, 2):
        out = os.path.join(TMP, "threads-%d.jsonl" % th)
        sinks = "  jsonl:\n    path: \"%s\"\n" % out
        cfg = write("threads-%d.yml" % th, run_config(boot, extra_sinks=sinks).replace(
            "engine:\n", "engine:\n  filter_threads: %d\n" % th))
        runs[th] = start_run(cfg, os.path.join(TMP, "threads-%d.log" % th)) + (out,)
    feed(boot, [arts, many])
    total = 20 + 200
    for th, (run, port, out) in runs.items():
        wait_until("%d threads: %d articles processed" % (th, total),
                   lambda: sample(scrape(port)[1], "squawk_articles_processed_total") == total, 120)
    wait_until("both sinks flushed", lambda: len(alert_set(runs[0][2])) == len(alert_set(runs[2][2])) > 200, 30)
    if alert_set(runs[0][2]) != alert_set(runs[2][2]):
        fail("filter_threads 2 raised other alerts than filter_threads 0")
    print("ok: filter_threads 2 and 0 raise the same %d alerts over %d articles" % (len(alert_set(runs[0][2])), total))
    run, port, out = runs[2]
    run.send_signal(signal.SIGHUP)
    feed(boot, [many])
    wait_until("the reload with workers busy", lambda: sample(scrape(port)[1], "squawk_rule_reloads_total") == 1, 120)
    wait_until("the articles after the reload",
               lambda: sample(scrape(port)[1], "squawk_articles_processed_total") == total + 200, 120)
    text = scrape(port)[1]
    if sample(text, "squawk_processing_seconds_count") != total + 200 or not sample(text, "squawk_filter_stage_cpu_seconds_total"):
        fail("processing histogram or filter CPU wrong with workers")
    feed(boot, [many])
    if stop_run(run) != 0:  # SIGTERM while the workers may still hold articles: drained, exit 0
        fail("squawk run with filter_threads 2 exited non-zero after SIGTERM")
    if "shutdown.timeout" in open(os.path.join(TMP, "threads-2.log")).read():
        fail("the drain with workers timed out")
    stop_run(runs[0][0])
    print("ok: with 2 filter threads a SIGHUP reload and a SIGTERM drain end cleanly")


# A resend (UPDATE 1-, BRIEF-) right behind its original: with two filter threads the two are filtered
# at the same moment, so novelty must be decided in arrival order, not by whichever worker finishes
# first. Made-up companies; one partition, so both runs see the same order.
BUYERS = ["Globex", "Hooli", "Initech", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Oscorp"]
SELLERS = ["Brightwater", "Kestrel", "Marlowe", "Quillon", "Redfern", "Sablewood", "Thornbury",
           "Ulverton", "Wexford", "Yarrowby"]
VERBS = ["agrees to buy", "to acquire", "nears deal for", "wins approval to buy"]


def resend_articles():
    out = []
    for i in range(len(BUYERS) * len(SELLERS)):
        buyer, seller = BUYERS[i % len(BUYERS)], SELLERS[i // len(BUYERS)]
        amount = 120 + 37 * i
        head = "%s %s %s Holdings for $%d million" % (buyer, VERBS[i % len(VERBS)], seller, amount)
        body = ("%s Corp agreed to buy %s Holdings Inc for $%d million in cash, the companies said. "
                "The deal is expected to close next year." % (buyer, seller, amount))
        for k, prefix in enumerate(("", "UPDATE 1-", "BRIEF-")):
            out.append(("nov-%d-%d" % (i, k), prefix + head, body))
    return out


def novelty_by_alert(path):
    return {(d["article"]["id"], d["category"]): d["novelty"] for d in map(json.loads, open(path))}


def test_novelty():
    """filter_threads 2 gives every alert the novelty filter_threads 0 gives it; no resend looks new."""
    boot = broker("articles:1", "articles.dlq:1")
    arts = resend_articles()
    path = write("novelty-articles.jsonl", "".join(
        json.dumps({"id": aid, "headline": head, "body": body}) + "\n" for aid, head, body in arts))
    runs = {}
    for th in (0, 2):
        out = os.path.join(TMP, "novelty-%d.jsonl" % th)
        cfg = write("novelty-%d.yml" % th, run_config(boot, extra_sinks="  jsonl:\n    path: \"%s\"\n" % out)
                    .replace("engine:\n", "engine:\n  filter_threads: %d\n" % th))
        runs[th] = start_run(cfg, os.path.join(TMP, "novelty-%d.log" % th)) + (out,)
    feed(boot, [path])
    for th, (run, port, out) in runs.items():
        wait_until("%d threads: %d articles processed" % (th, len(arts)),
                   lambda: sample(scrape(port)[1], "squawk_articles_processed_total") == len(arts), 120)
    for th, (run, port, out) in runs.items():
        if stop_run(run) != 0:  # the sink is flushed and closed
            fail("squawk run with filter_threads %d exited non-zero after SIGTERM" % th)
    got = {th: novelty_by_alert(r[2]) for th, r in runs.items()}
    resent = [k for k in got[2] if not k[0].endswith("-0")]
    if len(resent) < len(arts) // 3:
        fail("only %d resends raised alerts: the test articles no longer alert" % len(resent))
    new = [k for k in resent if got[2][k] >= 100 or got[0].get(k, 100) >= 100]
    if new:
        fail("%d resends scored as new (novelty 100), e.g. %s: 0 threads %s, 2 threads %s" % (
            len(new), new[0], got[0].get(new[0]), got[2][new[0]]))
    if got[0] != got[2]:
        diff = sorted(k for k in set(got[0]) | set(got[2]) if got[0].get(k) != got[2].get(k))
        fail("filter_threads 2 and 0 differ on %d alerts' novelty, e.g. %s: %s vs %s" % (
            len(diff), diff[0], got[0].get(diff[0]), got[2].get(diff[0])))
    print("ok: %d alerts (%d of resends) have the same novelty with 2 filter threads as with 0; "
          "no resend scored new" % (len(got[2]), len(resent)))


def test_novelty_reload():
    """A story seen before a reload (SIGHUP) is still a repeat after it: the new engine keeps the old one's memory."""
    boot = broker("articles:1", "articles.dlq:1")
    arts = resend_articles()
    first = [a for a in arts if a[0].endswith("-0")]
    later = [a for a in arts if not a[0].endswith("-0")]
    paths = [write("novelty-reload-%s.jsonl" % name, "".join(
        json.dumps({"id": aid, "headline": head, "body": body}) + "\n" for aid, head, body in part))
        for name, part in (("first", first), ("later", later))]
    out = os.path.join(TMP, "novelty-reload.jsonl")
    cfg = write("novelty-reload.yml", run_config(boot, extra_sinks="  jsonl:\n    path: \"%s\"\n" % out))
    run, port = start_run(cfg, os.path.join(TMP, "novelty-reload.log"))
    processed = lambda n: lambda: sample(scrape(port)[1], "squawk_articles_processed_total") == n  # noqa: E731
    feed(boot, paths[:1])
    wait_until("%d originals processed" % len(first), processed(len(first)), 120)
    run.send_signal(signal.SIGHUP)
    wait_until("the reload", lambda: sample(scrape(port)[1], "squawk_rule_reloads_total") == 1, 120)
    feed(boot, paths[1:])
    wait_until("%d articles processed" % len(arts), processed(len(arts)), 120)
    if stop_run(run) != 0:
        fail("squawk run exited non-zero after SIGTERM")
    got = novelty_by_alert(out)
    resent = {k: v for k, v in got.items() if not k[0].endswith("-0")}
    if len(resent) < len(later) // 3:
        fail("only %d resends raised alerts: the test articles no longer alert" % len(resent))
    new = sorted(k for k, v in resent.items() if v >= 100)
    if new:
        fail("%d of %d resends after the reload scored new (novelty 100), e.g. %s" % (len(new), len(resent), new[0]))
    print("ok: after a reload, %d alerts on resends of stories seen before it keep novelty < 100" % len(resent))


SECTIONS = {
    "novelty": test_novelty,
    "novelty_reload": test_novelty_reload,
    "compose": test_compose,
    "install": test_install,
    "reload": test_reload,
    "threads": test_threads,
    "logs": test_logs,
    "check": test_check,
    "cache": test_cache,
    "feed": test_feed,
    "metrics": test_metrics,
    "fields": test_fields,
}


if __name__ == "__main__":
    try:
        for name in (sys.argv[1:] or list(SECTIONS)):
            SECTIONS[name]()
    finally:
        kill_all()
        if not os.environ.get("SQUAWK_TEST_KEEP"):
            shutil.rmtree(TMP, ignore_errors=True)
