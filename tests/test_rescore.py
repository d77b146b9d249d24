#!/usr/bin/python3
"""test_rescore.py -- the built-in filters' learned rescoring: shipped models load, a model trained here changes the decision, bad model files are refused, SIGHUP swaps the model."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import free_port, metric, start, wait_subscribed, wait_until  # noqa: E402

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
V2 = os.path.join(SRC, "filters", "rules", "v2")
TMP = tempfile.mkdtemp(prefix="squawk-test-rescore.")
ENV = dict(os.environ, SQUAWK_LOG__LEVEL="warn")

# Sentences written for this test, with made-up companies: deals reported
# (invest) and opinion columns about deals nobody agreed (not invest). The
# rules fire on both; only the words tell them apart.
COMPANIES = ["Brightwave", "Kolbrook", "Trevanor", "Pellucid", "Varnholt", "Quillon", "Drayfield",
             "Sunhollow", "Ostrava Mills", "Cendrel"]
DEAL = ["{a} agrees to buy {b} for ${n}bn", "{a} to acquire {b} in ${n}bn deal",
        "{a} completes takeover of {b} after ${n}bn offer", "{a} agrees ${n}bn purchase of rival {b}"]
# opinion columns the rules alone alert on (the packs veto "should buy" and "ought to acquire" since
# session 13, so the templates use deal words the rules still count)
OPINION = ["Opinion: {a}'s plan to acquire {b} for ${n}bn", "Column: {a} to buy {b} for ${n}bn, and it will regret it",
           "Opinion: {a}'s ${n}bn bid for {b} is a mistake", "Column: {a} will buy {b}. Here is why that is wrong"]


def fail(msg):
    sqtest.fail(msg)


def run(args):
    return subprocess.run([SQ] + args, capture_output=True, text=True, timeout=120, env=ENV)


def write_articles(path, items):
    with open(path, "w") as f:
        for aid, head in items:
            f.write(json.dumps({"id": aid, "headline": head, "body": ""}) + "\n")


def scores(path, extra):
    """id -> invest score of every alert (--all: below threshold too), by the article's headline order."""
    r = run(["score", "--filter", "invest", "--all"] + extra + [path])
    if r.returncode != 0:
        fail("squawk score %s: %s" % (extra, r.stderr))
    return [json.loads(line)["score"] for line in r.stdout.splitlines() if line.startswith("{")]


def alerts(path, extra):
    r = run(["score", "--filter", "invest"] + extra + [path])
    if r.returncode != 0:
        fail("squawk score %s: %s" % (extra, r.stderr))
    return sum(1 for line in r.stdout.splitlines() if line.startswith("{"))


def shipped_models_load(probe):
    models = sorted(f for f in os.listdir(V2) if f.endswith(".lm"))
    if not models:
        fail("no shipped model in " + V2)
    for m in models:
        name = m[:-3]
        r = run(["score", "--filter", name, "--set", "%s.model=%s" % (name, m), probe])
        if r.returncode != 0:
            fail("shipped model %s does not load: %s" % (m, r.stderr))
        if "changed since training" in r.stderr:
            fail("shipped model %s is stale: its pack changed since training (run make models): %s" % (m, r.stderr))
    # the shipped invest filter uses its model: scores differ from the rules alone
    if scores(probe, []) == scores(probe, ["--set", "invest.model="]):
        fail("invest's shipped model changed no score on %s" % probe)


def stale_model_warned(probe):
    """A pack edited after training (one rule's weight) makes the model's evidence drift: loading says so."""
    pack = open(os.path.join(V2, "invest.yml")).read()
    m = re.search(r"^(\s+weight: )(-?[0-9.]+)$", pack, re.M)
    if not m:
        fail("no rule weight found in invest.yml")
    edited = os.path.join(TMP, "invest.yml")
    with open(edited, "w") as f:
        f.write(pack[:m.start(2)] + str(float(m.group(2)) + 0.5) + pack[m.end(2):])
    r = run(["score", "--filter", "invest", "--set", "invest.pack=" + edited,
             "--set", "invest.model=" + os.path.join(V2, "invest.lm"), probe])
    if r.returncode != 0:
        fail("score with an edited pack: %s" % r.stderr)
    if not re.search(r"invest\.lm: the rule packs its evidence came from changed since training .*retrain", r.stderr):
        fail("an edited pack under a trained model gave no warning: %r" % r.stderr)


def train_model():
    rng = random.Random(7)
    items, rows = [], []
    for i in range(120):
        a, b = rng.sample(COMPANIES, 2)
        tpl = DEAL if i % 2 == 0 else OPINION
        items.append(("t%d" % i, rng.choice(tpl).format(a=a, b=b, n=rng.choice([2, 3, 5, 11]))))
        rows.append(("t%d" % i, int(i % 2 == 0)))
    write_articles(os.path.join(TMP, "train.jsonl"), items)
    with open(os.path.join(TMP, "train.tsv"), "w") as f:
        f.write("id\tinvest\n" + "".join("%s\t%d\n" % r for r in rows))
    out = os.path.join(TMP, "mine.lm")
    r = run(["train", "--filter", "invest", "--category", "invest", "--labels", os.path.join(TMP, "train.tsv"),
             "--articles", os.path.join(TMP, "train.jsonl"), "--solver", "lr", "--char-ngrams", "0",
             "--hash-bits", "14", "--folds", "3", "--c", "1,4", "--out", out])
    m = re.search(r"threshold p>=([\d.]+), 3-fold CV P=[\d.]+ R=[\d.]+ F1=([\d.]+)", r.stdout)
    if r.returncode != 0 or not m or float(m.group(2)) < 0.9:
        fail("squawk train --filter invest: %s %s" % (r.stdout, r.stderr))
    return out, 100 * float(m.group(1))


def trained_model_decides(model, thr):
    probe = os.path.join(TMP, "probe.jsonl")
    write_articles(probe, [("deal", "Cendrel agrees to buy Ostrava Mills for $4bn"),
                           ("opinion", "Opinion: Cendrel's plan to acquire Ostrava Mills for $4bn")])
    t = ["--threshold", "invest=%.3f" % thr]
    rules = ["--set", "invest.model="]
    mine = ["--set", "invest.model=" + model]
    if alerts(probe, rules + t) != 2:
        fail("precondition: the rules alone should alert on both probes at %.1f" % thr)
    s = scores(probe, mine + t)
    if len(s) != 2 or not s[0] >= thr > s[1]:
        fail("the trained model should keep the deal and drop the opinion column at %.1f: scores %s" % (thr, s))
    if alerts(probe, mine + t) != 1:
        fail("the trained model should raise one alert")


def gate_keeps_weak_articles(model):
    """model_gate: an article the rules score below the gate keeps the rules' score (never raised)."""
    probe = os.path.join(TMP, "weak.jsonl")
    write_articles(probe, [("weak", "Cendrel says its customer acquisition costs rose")])
    rules = scores(probe, ["--set", "invest.model="])
    if len(rules) != 1 or not 0 < rules[0] < 26.19:
        fail("precondition: one weak rule below the rules' threshold: %s" % rules)
    mine = ["--set", "invest.model=" + model]
    gated = scores(probe, mine + ["--set", "invest.model_gate=26.19"])
    if gated != rules:
        fail("below model_gate the rules' score stays: %s vs %s" % (gated, rules))
    ungated = scores(probe, mine + ["--set", "invest.model_gate=0"])
    if len(ungated) != 1 or ungated == rules:
        fail("model_gate 0 lets the model score any article a rule fired on: %s" % ungated)
    r = run(["score", "--filter", "invest", "--set", "invest.model_gate=120", probe])
    if r.returncode == 0 or "model_gate" not in r.stderr:
        fail("model_gate 120 should be refused naming the key: %s" % r.stderr)


def bad_models_refused(model):
    with open(model, "rb") as f:
        good = f.read()
    cases = {"truncated.lm": (good[: len(good) // 2], "truncated"),
             "flipped.lm": (good[:-40] + bytes([good[-40] ^ 0xFF]) + good[-39:], "checksum"),
             "text.lm": (b"not a model\n", "")}
    for name, (data, why) in cases.items():
        p = os.path.join(TMP, name)
        with open(p, "wb") as f:
            f.write(data)
        r = run(["score", "--filter", "invest", "--set", "invest.model=" + p, os.path.join(TMP, "probe.jsonl")])
        if r.returncode == 0 or p not in r.stderr or why not in r.stderr:
            fail("%s not refused with file and reason (%s): rc %d %s" % (name, why, r.returncode, r.stderr))
    # a model of another category
    r = run(["score", "--filter", "chips", "--set", "chips.model=" + model, os.path.join(TMP, "probe.jsonl")])
    if r.returncode == 0 or "model of another category" not in r.stderr:
        fail("an invest model loaded as chips': %s" % r.stderr)
    # squawk check refuses it too, naming the file and the reason
    cfg = os.path.join(TMP, "squawk.yml")
    with open(cfg, "w") as f:
        f.write('kafka:\n  topics: [a]\n  bootstrap.servers: "localhost:9092"\nsinks:\n  jsonl:\n    path: "-"\n'
                'filters:\n  - name: invest\n    config:\n      model: "%s"\n' % os.path.join(TMP, "truncated.lm"))
    r = run(["check", "-c", cfg])
    if r.returncode == 0 or "truncated.lm" not in r.stderr or "truncated" not in r.stderr:
        fail("squawk check accepted a truncated model: rc %d %s" % (r.returncode, r.stderr))


def live_score(pub, boot, aid, head):
    """Feeds one article to the running squawk and returns its invest alert's score."""
    out = os.path.join(TMP, aid + ".jsonl")
    sub = start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--no-replay", "--count", "1",
                 "--timeout", "90"], stdout=open(out, "w"), stderr=open(out + ".err", "w"))
    wait_subscribed(out + ".err")
    path = os.path.join(TMP, aid + ".json")
    with open(path, "w") as f:
        json.dump({"id": aid, "headline": head}, f)
    if start([SQ, "feed", "-b", boot, "-t", "articles", path], stderr=subprocess.DEVNULL).wait(timeout=60) != 0:
        fail("squawk feed failed")
    if sub.wait(timeout=120) != 0:
        fail("no alert for %s" % aid)
    return json.loads(open(out).readline())["score"]


def one_score(model, head):
    path = os.path.join(TMP, "one.jsonl")
    write_articles(path, [("one", head)])
    return scores(path, ["--set", "invest.model=" + model])[0]


def sighup_swaps(mine):
    """squawk run: SIGHUP after the model file changed scores by the new model; a truncated file keeps the old."""
    broker = start([SQ, "broker", "--topic", "articles:1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                   text=True)
    boot = broker.stdout.readline().strip()
    pub = free_port()
    live = os.path.join(TMP, "live.lm")
    shutil.copy(mine, live)
    cfg = os.path.join(TMP, "run.yml")
    with open(cfg, "w") as f:
        f.write('kafka:\n  topics: [articles]\n  bootstrap.servers: "%s"\n  group.id: test-rescore\n'
                '  auto.offset.reset: earliest\nfilters:\n  - name: invest\n    threshold: 0\n    config:\n'
                '      model: "%s"\nsinks:\n  zmq:\n    endpoints: ["tcp://127.0.0.1:%d"]\n'
                '    replay_endpoints: ["tcp://127.0.0.1:%d"]\nmetrics:\n  listen: "127.0.0.1:0"\nlog:\n  level: info\n'
                % (boot, live, pub, pub + 1))
    log_path = os.path.join(TMP, "run.log")
    sqtest.LOGS.append(log_path)
    run = start([SQ, "run", "-c", cfg], stderr=open(log_path, "w"), stdout=subprocess.DEVNULL)
    mport = wait_until("the metrics port", lambda: (lambda m: int(m.group(1)) if m else None)(
        re.search(r"msg=metrics.listen .*port=(\d+)", open(log_path).read())), 120)
    head = "Cendrel agrees to buy Ostrava Mills for $4bn"
    shipped = os.path.join(V2, "invest.lm")
    want_mine, want_shipped = one_score(mine, head), one_score(shipped, head)
    if abs(want_mine - want_shipped) < 1e-6:
        fail("the two models score the probe alike: the swap would show nothing")
    got = live_score(pub, boot, "hup-0", head)
    if abs(got - want_mine) > 1e-6:
        fail("squawk run scored %.6f with the test's model, squawk score %.6f" % (got, want_mine))
    tmp = live + ".new"  # replaced the way a desk would: written aside, renamed over
    shutil.copy(shipped, tmp)
    os.replace(tmp, live)
    run.send_signal(signal.SIGHUP)
    wait_until("the reload", lambda: metric(mport, "squawk_rule_reloads_total") == 1, 300)
    got = live_score(pub, boot, "hup-1", head)
    if abs(got - want_shipped) > 1e-6:
        fail("after SIGHUP squawk run scored %.6f, the new model %.6f" % (got, want_shipped))
    with open(live, "r+b") as f:
        f.truncate(1000)
    run.send_signal(signal.SIGHUP)
    wait_until("the failed reload", lambda: metric(mport, "squawk_rule_reload_failures_total") == 1, 300)
    if not re.search(r"reload.failed .*%s: truncated" % re.escape(live), open(log_path).read()):
        fail("the failed reload did not name the model file and the reason")
    got = live_score(pub, boot, "hup-2", head)
    if abs(got - want_shipped) > 1e-6:
        fail("after a refused reload squawk run scored %.6f, the kept model %.6f" % (got, want_shipped))
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not exit 0 on SIGTERM")
    print("ok: SIGHUP swapped the model file (score %.2f -> %.2f); a truncated one was refused, the old kept"
          % (want_mine, want_shipped))


def main():
    probe = os.path.join(TMP, "shipped.jsonl")
    write_articles(probe, [("p1", "Brightwave agrees to buy Kolbrook for $2bn"),
                           ("p2", "Opinion: why Trevanor should buy Pellucid")])
    shipped_models_load(probe)
    stale_model_warned(probe)
    model, thr = train_model()
    trained_model_decides(model, thr)
    gate_keeps_weak_articles(model)
    bad_models_refused(model)
    sighup_swaps(model)
    print("test_rescore: ok")


if __name__ == "__main__":
    sqtest.run_main(main, TMP)
