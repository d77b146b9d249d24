#!/usr/bin/python3
"""test_say.py -- squawk say end to end: a real ZeroMQ publisher, a real squawk say, its text, WAVs (sox) and timing.

Scenarios (one per ctest entry): samples, rate, urgent, flood, stale, copies, device, topic, latency,
replay (a real squawk run publisher and a say that joins late).
Every scenario prints the SUB receive -> first audio sample latency of the lines said while idle.
"""
import hashlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCALE = float(os.environ.get("SQUAWK_TEST_TIME_SCALE", "1"))
TMP = tempfile.mkdtemp(prefix="squawk-test-say.")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sqtest
    return sqtest.free_port()


def alert(article, cat, score, headline, ents=(), amounts=(), stage="agreed", novelty=100):
    """An alert map with exactly the keys of docs/ALERTS.md (floats stay float64)."""
    return {
        "v": 1, "pub": "test-say", "seq": 0, "id": "", "category": cat, "score": float(score),
        "stage": stage,
        "entities": [{"name": n, "ticker": t, "role": r, "relevance": float(rel)} for n, t, r, rel in ents],
        "amounts": [{"usd": float(u), "text": x} for u, x in amounts],
        "evidence": [], "novelty": novelty,
        "article": {"id": article, "headline": headline, "source": "test", "url": "", "published_ms": None},
        "filter": {"name": cat, "version": "1"},
        "kafka": {"topic": "articles", "partition": -1, "offset": -1},
        "ts": {"published_ms": None, "ingest_ns": 0, "emit_ns": 0, "produce_ns": 0},
    }


class Desk:
    """An XPUB publisher on loopback and a squawk say connected to it."""

    def __init__(self, name, args, env=None):
        self.name = name
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.XPUB)
        port = free_port()
        self.pub.bind("tcp://127.0.0.1:%d" % port)
        self.seq = 0
        self.ids = {}  # alert id -> article id
        self.wav = os.path.join(TMP, name)
        self.lines = []  # (monotonic time seen, text)
        self.err = open(os.path.join(TMP, name + ".err"), "w+")
        self.proc = subprocess.Popen([SQ, "say", "-c", "tcp://127.0.0.1:%d" % port, "--text", "--wav", self.wav] + args,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # The subscription reaching the XPUB socket is the sign that say is listening.
        if not self.pub.poll(int(20000 * SCALE)):
            self.stop()
            fail("%s: squawk say never subscribed\n%s" % (name, self.stderr()))
        self.pub.recv()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def publish(self, a):
        """One message per distinct ticker, as the PUB sink fans an alert out."""
        tickers = list(dict.fromkeys(e["ticker"] for e in a["entities"] if e["ticker"])) or ["_"]
        a["ts"]["emit_ns"] = time.time_ns()
        for t in tickers:
            self.seq += 1
            a["seq"] = self.seq
            a["id"] = hashlib.md5(("%s/%s/%s" % (a["article"]["id"], a["category"], t)).encode()).hexdigest()
            self.ids[a["id"]] = a["article"]["id"]
            self.pub.send_multipart([("%s.%s" % (a["category"], t)).encode(), msgpack.packb(a)])

    def wait_lines(self, n, timeout):
        end = time.monotonic() + timeout * SCALE
        while len(self.lines) < n and time.monotonic() < end and self.proc.poll() is None:
            time.sleep(0.01)
        return len(self.lines) >= n

    def wait_log(self, pattern, count, timeout):
        end = time.monotonic() + timeout * SCALE
        while time.monotonic() < end:
            if len(re.findall(pattern, self.stderr())) >= count:
                return True
            time.sleep(0.02)
        return False

    def finish_after(self, pattern, why):
        """Stops say a moment after its log shows pattern (what it does next is then done)."""
        if not self.wait_log(pattern, 1, 60):
            self.stop()
            fail(why + "\n" + self.stderr())
        time.sleep(1.0)
        self.stop()

    def stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("%s: squawk say did not exit on SIGINT" % self.name)
        self.reader.join(5)
        self.pub.close(0)
        self.ctx.term()
        if self.proc.returncode != 0:
            fail("%s: squawk say exited %d\n%s" % (self.name, self.proc.returncode, self.stderr()[-3000:]))
        return 0

    def said(self):
        """The per-utterance log lines as dicts, in order."""
        out = []
        for line in self.stderr().splitlines():
            if line.startswith("squawk say: said "):
                out.append(dict(kv.split("=", 1) for kv in line[len("squawk say: said "):].split()))
        return out

    def summary(self):
        m = re.search(r"squawk say: (received=.*)", self.stderr())
        if not m:
            fail("%s: no summary line\n%s" % (self.name, self.stderr()))
        return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def report_latency(desk):
    lat = [float(s["rx_to_audio_ms"]) for s in desk.said() if s["idle"] == "1" and s["id"] != "more"]
    if not lat:
        return None
    print("latency SUB receive -> first audio sample (%s, %d lines said while idle): median %.2f ms, max %.2f ms"
          % (desk.name, len(lat), statistics.median(lat), max(lat)))
    return statistics.median(lat)


# ---- WAVs, checked with sox

def expected_seconds(text, wpm):
    """A standard word is six characters (five letters and a space) at the configured rate, plus
    espeak-ng's clause pause, about 0.2 s at 175 wpm and shorter as the rate rises."""
    return len(text) / 6.0 * 60.0 / wpm + 0.2 * len(re.findall(r"[,:;.]", text)) * 175.0 / wpm


def check_wav(path, text, wpm):
    d = subprocess.run(["sox", "--i", "-D", path], capture_output=True, text=True)
    if d.returncode != 0:
        fail("sox cannot read %s: %s" % (path, d.stderr))
    dur = float(d.stdout)
    want = expected_seconds(text, wpm)
    if not 0.8 * want <= dur <= 1.2 * want:
        fail("%s: %.2f s, expected %.2f s +-20%% at %d wpm for %r" % (path, dur, want, wpm, text))
    st = subprocess.run(["sox", path, "-n", "stat"], capture_output=True, text=True)
    rms = float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", st.stderr).group(1))
    peak = float(re.search(r"Maximum amplitude:\s+([0-9.]+)", st.stderr).group(1))
    if rms < 0.01 or peak < 0.1:
        fail("%s is silent: RMS %.4f, peak %.4f" % (path, rms, peak))
    return dur


# ---- scenarios

# Written by hand from samples/README.md: kind and stage, the parties by name, the amount in words.
# Articles 16-20 raise nothing and must not be heard.
SAMPLES = {
    "01": ("Investment, agreed:", ["Nvidia", "CoreWeave"], "two billion dollars"),
    "02": ("Investment, talks:", ["Mistral AI"], "two point four billion dollars"),
    "03": ("Investment, agreed:", ["ServiceNow", "Datadog"], "fifty-two billion dollars"),
    "04": ("Investment, completed:", ["Palo Alto Networks", "CyberArk"], "twenty-five billion dollars"),
    "05": ("Investment, blocked:", ["Applied Materials", "Kokusai Electric"], "five point two billion dollars"),
    "06": ("Investment, rumour:", ["Paramount Skydance", "Warner Brothers Discovery"], None),
    "07": ("Chips deal, agreed:", ["Advanced Micro Devices", "Oracle"], "six billion dollars"),
    "08": ("Chips deal, agreed:", ["MediaTek", "Intel"], "three billion dollars"),
    "09": ("Chips deal, agreed:", ["Samsung Electronics", "Nvidia"], "four billion dollars"),
    "10": ("Investment, agreed:", ["Amazon", "Anthropic"], "eight billion dollars"),
    "11": ("Regulatory:", ["Federal Trade Commission", "Microsoft"], None),
    "12": ("Regulatory:", ["European Commission", "Apple"], "one point one billion euros"),
    "13": ("Regulatory:", ["U.S. Department of Commerce", "Nvidia", "Advanced Micro Devices"], None),
    "14": ("Regulatory, agreed:", ["U.S. Securities and Exchange Commission", "Super Micro Computer"],
           "forty million dollars"),
    "15": ("Investment, agreed:", ["Alphabet", "Wiz"], "thirty-two billion dollars"),
}
NOT_HEARD = ["Costco", "MacBook", "expedition", "derby", "storm"]


def scenario_samples():
    files = sorted(f for f in os.listdir(os.path.join(SRC, "samples")) if re.match(r"\d\d_.*\.json$", f))
    if len(files) != 20:
        fail("expected 20 sample articles, found %d" % len(files))
    r = subprocess.run([SQ, "score"] + [os.path.join(SRC, "samples", f) for f in files],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("squawk score: " + r.stderr)
    alerts = [json.loads(l) for l in r.stdout.splitlines()]
    desk = Desk("samples", ["--fast", "--backlog", "100", "--count", str(len(SAMPLES))])
    for a in alerts:
        desk.publish(a)
    if not desk.wait_lines(len(SAMPLES), 60):
        desk.stop()
        fail("only %d of %d lines said\n%s" % (len(desk.lines), len(SAMPLES), desk.stderr()))
    desk.proc.wait(30 * SCALE)
    desk.stop()
    said = desk.said()
    texts = [t for _, t in desk.lines]
    if len(said) != len(texts):
        fail("%d lines on stdout, %d said in the log" % (len(texts), len(said)))
    heard = {}
    for s, text in zip(said, texts):
        sample = desk.ids[s["id"]].rsplit("-", 1)[1]
        if sample in heard:
            fail("sample %s said twice: %r and %r" % (sample, heard[sample][0], text))
        heard[sample] = (text, s["file"])
    headlines = {a["article"]["id"].rsplit("-", 1)[1]: a["article"]["headline"] for a in alerts}
    tickers = {e["ticker"] for a in alerts for e in a["entities"] if e["ticker"]}
    for sample, (prefix, names, amount) in sorted(SAMPLES.items()):
        if sample not in heard:
            fail("sample %s not said" % sample)
        text, wav = heard[sample]
        print("%s: %s" % (sample, text))
        if not text.startswith(prefix):
            fail("sample %s: %r does not start with %r" % (sample, text, prefix))
        # What comes before the headline: "Kind, stage: parties, amount."
        start = " ".join(headlines[sample].split()[:2])
        head = text[:text.rfind(". " + start)] if ". " + start in text else text
        for n in names:
            if n not in head:
                fail("sample %s: %r does not name %s" % (sample, head, n))
        if amount and ", %s" % amount not in head:
            fail("sample %s: %r does not say %r" % (sample, head, amount))
        if re.search(r"\$\d", text):
            fail("sample %s: money left in figures: %r" % (sample, text))
        for t in tickers:
            if re.search(r"\b%s\b" % re.escape(t), head):
                fail("sample %s: ticker %s spoken: %r" % (sample, t, head))
        check_wav(wav, text, 175)
    for word in NOT_HEARD:
        if any(word.lower() in t.lower() for t in texts):
            fail("%r must not be heard" % word)
    st = desk.summary()
    copies = desk.seq - len(SAMPLES)
    if st["copy"] != copies:
        fail("expected %d per-ticker/category copies skipped, got %d" % (copies, st["copy"]))
    print("samples: %d lines, %d copies skipped, WAVs valid" % (len(texts), st["copy"]))
    report_latency(desk)


def scenario_rate():
    """The WAV length follows --rate."""
    desk = Desk("rate", ["--fast", "--rate", "260", "--backlog", "10", "--count", "3"])
    heads = ["Globex agrees to buy Initech for $3 billion in cash",
             "Acme in talks to invest in Hooli, people familiar with the matter said",
             "Regulators open a probe into Initech's cloud contracts"]
    for i, h in enumerate(heads):
        desk.publish(alert("rate-%d" % i, "invest", 70, h, [("Globex Corp.", "GLBX", "investor", 90)]))
    desk.wait_lines(3, 30)
    desk.proc.wait(30 * SCALE)
    desk.stop()
    said = desk.said()
    if len(said) != 3:
        fail("rate: %d lines said" % len(said))
    for s, (_, text) in zip(said, desk.lines):
        print("%.2f s at 260 wpm: %s" % (check_wav(s["file"], text, 260), text))
    report_latency(desk)


LONG = ("Acme Corp. in talks to invest in Hooli as part of a wide ranging partnership covering cloud "
        "capacity, research staff, distribution in forty markets and a joint venture in payments, "
        "people familiar with the matter said on Tuesday")


def scenario_urgent():
    desk = Desk("urgent", ["--urgent", "95", "--count", "2"])
    desk.publish(alert("long", "invest", 60, LONG, [("Acme Corp.", "ACME", "investor", 90)], stage="talks"))
    if not desk.wait_lines(1, 20):
        desk.stop()
        fail("urgent: the long line never started\n" + desk.stderr())
    time.sleep(float(os.environ.get("SAY_URGENT_AFTER", "3.3")))  # mid-clause, in "Acme in talks"
    t0 = time.monotonic()
    desk.publish(alert("urgent", "regulatory", 99, "Regulators block Acme's bid for Hooli",
                       [("Acme Corp.", "ACME", "subject", 90)], stage="blocked"))
    if not desk.wait_lines(2, 10):
        desk.stop()
        fail("urgent: the urgent line never came\n" + desk.stderr())
    took = desk.lines[1][0] - t0
    desk.proc.wait(30 * SCALE)
    desk.stop()
    said = desk.said()
    first = said[0]
    full = expected_seconds(desk.lines[0][1], 175)
    print("urgent alert heard %.0f ms after it was published; the long line stopped after %s ms of %.0f ms "
          "(%s words)" % (took * 1000, first["audio_ms"], full * 1000, first["words"]))
    if first["interrupted"] != "1":
        fail("urgent: the long line was not interrupted: %s" % first)
    if float(first["audio_ms"]) > 0.6 * full * 1000:
        fail("urgent: the long line went on for %s ms" % first["audio_ms"])
    if not desk.lines[1][1].startswith("Regulatory, blocked: Acme"):
        fail("urgent: second line is %r" % desk.lines[1][1])
    check_wav(said[1]["file"], desk.lines[1][1], 175)
    report_latency(desk)


def scenario_flood():
    desk = Desk("flood", ["--rate", "400", "--backlog", "3", "--urgent", "95"])
    t0 = time.monotonic()
    for i in range(50):
        desk.publish(alert("flood-%02d" % i, "invest", 50 + i % 40, "Company %d raises money" % i,
                           [("Company %d Inc." % i, "C%02d" % i, "target", 80)], stage="talks"))
        if i == 0 and not desk.wait_lines(1, 20):  # the other 49 arrive while the first is said
            desk.stop()
            fail("flood: the first line never started\n" + desk.stderr())
    sent_in = time.monotonic() - t0
    desk.finish_after(r"said id=more ", "flood: no 'and N more' line")
    said = desk.said()
    alerts = [s for s in said if s["id"] != "more"]
    more = [t for _, t in desk.lines if t.startswith("and ")]
    st = desk.summary()
    print("flood: 50 alerts in %.2f s -> %d utterances + %r; collapsed=%d" %
          (sent_in, len(alerts), more, st["collapsed"]))
    if len(alerts) > 5:
        fail("flood: %d utterances for 50 alerts (at most 5 plus the count)" % len(alerts))
    if len(more) != 1 or not re.match(r"and [a-z -]+ more on invest\.$", more[0]):
        fail("flood: expected one 'and N more on invest' line, got %r" % more)
    if st["collapsed"] + len(alerts) != 50:
        fail("flood: %d said + %d collapsed != 50" % (len(alerts), st["collapsed"]))
    report_latency(desk)


def scenario_stale():
    """An alert that waited longer than --max-age behind a long line is dropped when its turn comes;
    one published after the long line ended is said, and say exits on its own (--count 2)."""
    desk = Desk("stale", ["--max-age", "2", "--urgent", "101", "--count", "2"])
    desk.publish(alert("first", "invest", 80, LONG, [("Acme Corp.", "ACME", "investor", 90)]))
    desk.wait_lines(1, 20)
    desk.publish(alert("late", "invest", 70, "Initech agrees to buy Globex", [("Initech", "INIT", "investor", 90)]))
    if not desk.wait_log(r"said id=", 1, 60):
        desk.stop()
        fail("stale: the first line never ended\n" + desk.stderr())
    desk.publish(alert("fresh", "invest", 60, "Hooli agrees to buy Globex", [("Hooli Inc.", "HOOL", "investor", 90)]))
    desk.wait_lines(2, 30)
    desk.proc.wait(30 * SCALE)
    desk.stop()
    st = desk.summary()
    texts = [t for _, t in desk.lines]
    print("stale: said %r; summary %s" % ([t[:40] for t in texts], st))
    if any("Initech" in t for t in texts):
        fail("stale: the stale alert was said")
    if len(texts) != 2 or "Hooli agrees to buy Globex" not in texts[1]:
        fail("stale: the alert published after the long line was not said: %r" % texts)
    if st["stale"] != 1:
        fail("stale: expected stale=1, got %d" % st["stale"])


def scenario_copies():
    desk = Desk("copies", ["--fast", "--count", "2"])
    parties = [("Acme Corp.", "ACME", "investor", 90), ("Hooli Inc.", "HOOL", "target", 85),
               ("Initech", "INIT", "target", 60)]
    desk.publish(alert("copy-1", "invest", 80, "Acme and Initech buy Hooli", parties))
    desk.publish(alert("copy-1", "chips", 70, "Acme and Initech buy Hooli", parties))  # same article
    desk.publish(alert("copy-2", "invest", 75, "Acme in talks with Hooli", parties[:2], stage="talks"))
    desk.wait_lines(2, 30)
    desk.proc.wait(30 * SCALE)
    desk.stop()
    texts = [t for _, t in desk.lines]
    st = desk.summary()
    print("copies: %d messages -> %r, copy=%d" % (desk.seq, texts, st["copy"]))
    if len(texts) != 2 or sum("buy Hooli" in t for t in texts) != 1:
        fail("copies: expected each article once, got %r" % texts)
    if st["copy"] != desk.seq - 2:
        fail("copies: expected %d copies skipped, got %d" % (desk.seq - 2, st["copy"]))
    report_latency(desk)


def scenario_latency():
    """SUB receive -> first audio sample over 30 alerts that each find say idle (the issue's target: 50 ms).
    Each alert goes out once the line before it was said, so every one finds say idle however busy the
    machine is. The latency is printed, not asserted: on a shared, loaded runner any time bound fails now
    and then; the number to watch is the median printed here and in every scenario's report."""
    desk = Desk("latency", ["--fast", "--count", "30"])
    for i in range(30):
        desk.publish(alert("lat-%02d" % i, "invest", 70, "Acme %d agrees to buy Hooli for $%d billion" % (i, i + 1),
                           [("Acme %d Corp." % i, "A%02d" % i, "investor", 90)]))
        if not desk.wait_log(r"squawk say: said id=", i + 1, 30):
            desk.stop()
            fail("latency: line %d never said\n%s" % (i + 1, desk.stderr()))
    desk.proc.wait(30 * SCALE)
    desk.stop()
    said = desk.said()
    lat = sorted(float(s["rx_to_audio_ms"]) for s in said if s["idle"] == "1")
    if len(said) != 30 or len(lat) != 30:
        fail("latency: %d lines said, %d of them found say idle (want 30 and 30)" % (len(said), len(lat)))
    if lat[0] <= 0:
        fail("latency: a receive -> audio time of %.2f ms" % lat[0])
    p95 = lat[int(0.95 * (len(lat) - 1))]
    print("latency SUB receive -> first audio sample over %d idle lines: min %.2f, median %.2f, p95 %.2f, max %.2f ms"
          % (len(lat), lat[0], statistics.median(lat), p95, lat[-1]))


def scenario_topic():
    """--topic filters as in squawk sub; a message that is no alert is counted, not said, not fatal."""
    desk = Desk("topic", ["--fast", "--topic", "chips.", "--count", "1"])
    desk.pub.send_multipart([b"chips.BAD", b"\xc1 not msgpack"])
    desk.publish(alert("t-invest", "invest", 90, "Acme buys Hooli", [("Acme Corp.", "ACME", "investor", 90)]))
    # An id off the wire never steers the WAV out of its directory.
    a = alert("t-chips", "chips", 60, "Initech to supply GPUs to Globex", [("Initech", "INIT", "supplier", 90)])
    a["id"] = "../../x/evil"
    a["ts"]["emit_ns"] = time.time_ns()
    desk.pub.send_multipart([b"chips.INIT", msgpack.packb(a)])
    desk.wait_lines(1, 20)
    desk.proc.wait(30 * SCALE)
    desk.stop()
    texts = [t for _, t in desk.lines]
    st = desk.summary()
    print("topic: %r, bad=%d" % (texts, st["bad"]))
    if texts != ["Chips deal, agreed: Initech. Initech to supply GPUs to Globex."]:
        fail("topic: expected only the chips line, got %r" % texts)
    wavs = os.listdir(desk.wav)
    if len(wavs) != 1 or not wavs[0].endswith("-xevil.wav"):
        fail("topic: WAV for a hostile id: %r" % wavs)
    if st["bad"] != 1 or "say.bad_alert" not in desk.stderr():
        fail("topic: the bad message was not counted and logged\n" + desk.stderr())


def scenario_device():
    """The audio-device path (pcaudiolib over ALSA) on ALSA's null device: no sound card needed."""
    home = os.path.join(TMP, "home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".asoundrc"), "w") as f:
        f.write("pcm.!default { type null }\n")
    env = dict(os.environ, HOME=home)
    supp = "suppressions=" + os.path.join(SRC, "tests", "lsan_say.supp")
    env["LSAN_OPTIONS"] = (env["LSAN_OPTIONS"] + ":" + supp) if env.get("LSAN_OPTIONS") else supp
    env.pop("PULSE_SERVER", None)
    desk = Desk("device", ["--audio", "--count", "1"], env=env)
    desk.publish(alert("dev-1", "invest", 80, "Acme agrees to buy Hooli for $2 billion",
                       [("Acme Corp.", "ACME", "investor", 90)]))
    desk.wait_lines(1, 20)
    desk.proc.wait(30 * SCALE)
    desk.stop()
    said = desk.said()
    if len(said) != 1 or "audio device" not in desk.stderr():
        fail("device: not said on the audio device\n" + desk.stderr())
    print("device: %s ms of audio written to the device and %s" % (said[0]["audio_ms"], said[0]["file"]))
    check_wav(said[0]["file"], desk.lines[0][1], 175)
    report_latency(desk)


def start_pipeline(name):
    """A real squawk publisher: squawk broker, squawk run with the zmq sink (replay on port+1).
    Returns (broker, run, bootstrap, publisher port)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sqtest
    broker = subprocess.Popen([SQ, "broker", "--topic", "articles:1"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    boot = broker.stdout.readline().strip()
    if not boot:
        broker.kill()
        fail("%s: squawk broker printed no bootstrap address" % name)
    port = sqtest.free_port()
    cfg = os.path.join(TMP, name + ".yml")
    with open(cfg, "w") as f:
        f.write("kafka:\n  topics: [articles]\n  bootstrap.servers: \"%s\"\n  group.id: %s\n"
                "  auto.offset.reset: earliest\nengine:\n  data_dir: \"%s\"\n"
                "filters:\n  - name: invest\n  - name: chips\n  - name: regulatory\n"
                "sinks:\n  zmq:\n    endpoints: [\"tcp://127.0.0.1:%d\"]\n"
                "    replay_endpoints: [\"tcp://127.0.0.1:%d\"]\n"
                "metrics:\n  listen: \"127.0.0.1:0\"\nlog:\n  level: info\n"
                % (boot, name, os.path.join(SRC, "filters"), port, port + 1))
    log = os.path.join(TMP, name + ".run.log")
    run = subprocess.Popen([SQ, "run", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT)

    def metrics_port():
        m = re.search(r"msg=metrics.listen .*port=(\d+)", open(log).read())
        return int(m.group(1)) if m else None
    mport = sqtest.wait_until("the metrics port in the run log", metrics_port, 120 * SCALE)
    sqtest.wait_until("/healthz 200", lambda: sqtest.http(mport, "/healthz")[0] == 200, 60 * SCALE)
    return broker, run, boot, port


def scenario_replay():
    """say joins after the alert went out: zsub finds it in the publisher's heartbeat digest, fetches
    it from the replay socket, and say speaks it; a say whose --max-age it already exceeds skips it."""
    broker, run, boot, port = start_pipeline("replay")
    ep = "tcp://127.0.0.1:%d" % port
    procs = [run, broker]
    try:
        # A witness subscriber proves the alert was published before any say exists.
        wit = subprocess.Popen([SQ, "sub", "-c", ep, "--json", "--count", "1", "--timeout", str(90 * SCALE)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(wit)
        time.sleep(1.0)  # the witness's subscription reaches the publisher
        sample = os.path.join(SRC, "samples", "07_amd-oracle-gpu-supply.json")
        fed = subprocess.run([SQ, "feed", "-b", boot, "-t", "articles", sample], capture_output=True, text=True)
        if fed.returncode != 0:
            fail("replay: squawk feed failed: " + fed.stderr)
        out, _ = wit.communicate(timeout=120 * SCALE)
        if wit.returncode != 0:
            fail("replay: the witness squawk sub saw no alert")
        headline = json.loads(out.splitlines()[0])["article"]["headline"]
        time.sleep(1.5)  # older than the strict desk's --max-age 1 below
        desks = {}
        for dname, age in (("late", "3600"), ("strict", "1")):
            err = open(os.path.join(TMP, "replay-%s.err" % dname), "w+")
            p = subprocess.Popen([SQ, "say", "-c", ep, "--text", "--fast", "--max-age", age, "--count", "1",
                                  "--timeout", str(60 * SCALE)], stdout=subprocess.PIPE, stderr=err, text=True)
            procs.append(p)
            desks[dname] = (p, err)
        res = {}
        for dname, (p, err) in desks.items():
            if dname == "strict":  # it never says anything: stop it a moment after the recovery
                end = time.monotonic() + 60 * SCALE
                while "say.recovered" not in open(err.name).read() and time.monotonic() < end and p.poll() is None:
                    time.sleep(0.05)
                time.sleep(1.0 * SCALE)  # the alert was queued with the recovery; its turn drops it
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            out, _ = p.communicate(timeout=60 * SCALE)
            err.seek(0)
            text = err.read()
            m = re.search(r"squawk say: (received=.*)", text)
            if p.returncode != 0 or not m:
                fail("replay: %s say exited %s\n%s" % (dname, p.returncode, text))
            res[dname] = (out.splitlines(), {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}, text)
        lines, st, text = res["late"]
        print("replay: late say said %r; summary %s" % (lines, st))
        if len(lines) != 1 or headline not in lines[0] or st["said"] != 1 or st["recovered"] < 1:
            fail("replay: the late say did not speak the recovered alert\n" + text)
        if "say.recovered" not in text:
            fail("replay: the recovery was not logged\n" + text)
        lines, st, text = res["strict"]
        print("replay: strict say (--max-age 1) said %r; summary %s" % (lines, st))
        if lines or st["said"] != 0 or st["recovered"] < 1 or st["stale"] < 1:
            fail("replay: a recovered alert older than --max-age was not skipped as stale\n" + text)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


SCENARIOS = {"device": scenario_device, "topic": scenario_topic, "latency": scenario_latency, "samples": scenario_samples, "rate": scenario_rate, "urgent": scenario_urgent,
             "flood": scenario_flood, "stale": scenario_stale, "copies": scenario_copies,
             "replay": scenario_replay}

if __name__ == "__main__":
    names = sys.argv[1:] or list(SCENARIOS)
    for n in names:
        print("== %s" % n)
        SCENARIOS[n]()
    subprocess.run(["rm", "-rf", TMP])
    print("ok")
