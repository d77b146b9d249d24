#!/usr/bin/python3
"""test_learned.py -- squawk train + the learned filter: synthetic categories through score and run, bad model files, SIGHUP swap under load."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import PROCS, fail, free_port, metric, start, wait_subscribed, wait_until  # noqa: E402

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
TMP = tempfile.mkdtemp(prefix="squawk-test-learned.")
sqtest.LOGS += [os.path.join(TMP, "run.log"), os.path.join(TMP, "feed.log")]

# Sentences written for this test: made-up companies, two made-up desk categories.
COMPANIES = ["Brightwave", "Kolbrook", "Trevanor", "Ostmark Foods", "Pellucid", "Varnholt",
             "Quillon", "Maribel Toys", "Drayfield", "Sunhollow"]
PRODUCTS = ["baby strollers", "space heaters", "frozen dumplings", "e-bikes", "laptop chargers",
            "car seats", "toasters", "dog treats", "ski bindings", "kettles"]
RECALL = ["{c} recalls {n} {p} over fire risk", "{c} pulls {p} from shelves after injury reports",
          "Regulator orders {c} to recall {p}", "{c} issues voluntary recall of {n} {p}",
          "{c} recalls {p} sold since March, citing a choking hazard"]
LAYOFF = ["{c} to cut {n} jobs as demand slows", "{c} lays off {n} workers at its main plant",
          "{c} announces layoffs of {n} staff in restructuring", "{c} slashes workforce by {n} positions"]
OTHER = ["{c} reports higher quarterly sales of {p}", "{c} opens a new store for {p} in Lisbon",
         "{c} shares rise after strong {p} demand", "{c} names a new chief marketing officer",
         "Weather delays deliveries of {p} for {c}", "{c} launches a cheaper line of {p}",
         "{c} sponsors the city marathon this weekend", "{c} expects {p} prices to stay flat"]


def make(rng, templates):
    t = rng.choice(templates)
    return t.format(c=rng.choice(COMPANIES), p=rng.choice(PRODUCTS), n=rng.choice([120, 4000, 75, 900, 15000]))


def write_set(path_prefix, n, seed):
    """n articles: a third recall, a third layoffs, a third neither; labels TSV beside them."""
    rng = random.Random(seed)
    arts, rows = [], []
    for i in range(n):
        kind = i % 3
        head = make(rng, [RECALL, LAYOFF, OTHER][kind])
        aid = "%s-%d" % (os.path.basename(path_prefix), i)
        arts.append({"id": aid, "headline": head, "body": ""})
        rows.append((aid, int(kind == 0), int(kind == 1)))
    with open(path_prefix + ".jsonl", "w") as f:
        for a in arts:
            f.write(json.dumps(a) + "\n")
        f.write("{not json\n")  # a bad line is skipped and counted, never fatal
    with open(path_prefix + ".tsv", "w") as f:
        f.write("id\trecall\tlayoffs\tkind\n")
        for r in rows:
            f.write("%s\t%d\t%d\t%s\n" % (r + ("recall" if r[1] else "layoffs" if r[2] else "other",)))
    return arts, rows


def train(prefix, category, out, extra=()):
    r = subprocess.run([SQ, "train", "--labels", prefix + ".tsv", "--articles", prefix + ".jsonl",
                        "--category", category, "--out", out, "--folds", "3", "--hash-bits", "16",
                        "--c", "0.5,2"] + list(extra), capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("squawk train %s failed: %s" % (category, r.stderr))
    m = re.search(r"CV P=([\d.]+) R=([\d.]+) F1=([\d.]+)", r.stdout)
    if not m or float(m.group(3)) < 0.9:
        fail("squawk train %s: no or poor CV line: %s" % (category, r.stdout))
    if "1 unreadable lines" not in r.stdout:
        fail("squawk train did not count the bad line: %s" % r.stdout)
    return r.stdout


def check_reproducible(prefix):
    """With SOURCE_DATE_EPOCH (make models sets it) the same inputs give the same model file, byte for byte."""
    blobs = []
    for k in range(2):
        out = os.path.join(TMP, "repro%d.model" % k)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        r = subprocess.run([SQ, "train", "--labels", prefix + ".tsv", "--articles", prefix + ".jsonl", "--category",
                            "recall", "--out", out, "--folds", "3", "--hash-bits", "16", "--c", "2"],
                           capture_output=True, text=True, timeout=120, env=env)
        if r.returncode != 0:
            fail("squawk train with SOURCE_DATE_EPOCH failed: %s" % r.stderr)
        with open(out, "rb") as f:
            blobs.append(f.read())
    if blobs[0] != blobs[1] or b"trained 2023-11-14T22:13:20Z" not in blobs[0]:
        fail("squawk train: two runs with SOURCE_DATE_EPOCH=1700000000 differ or do not carry its date")
    print("ok: squawk train is reproducible under SOURCE_DATE_EPOCH")


def score(model, arts_path, extra=()):
    return subprocess.run([SQ, "score", "--filter", "learned", "--set", "learned.model=" + model,
                           arts_path] + list(extra), capture_output=True, text=True, timeout=120)


def check_score(model, test_prefix, rows, multi=False):
    """The recall model raises exactly the recall articles; a multi-class model
    (recall=recall, layoffs=layoffs over the kind column) each with its category."""
    r = score(model, test_prefix + ".jsonl")
    if r.returncode != 0:
        fail("squawk score with the learned filter failed: %s" % r.stderr)
    got = {}
    for line in r.stdout.splitlines():
        a = json.loads(line)
        got[a["article"]["id"]] = a
    want = {aid: "recall" for aid, rec, _ in rows if rec}
    if multi:
        want.update({aid: "layoffs" for aid, _, lay in rows if lay})
    if {k: a["category"] for k, a in got.items()} != want:
        fail("learned alerts differ: missing %s, extra %s" % (sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]))
    for a in got.values():
        if a["filter"]["name"] != "learned" or not 0 < a["score"] <= 100:
            fail("bad learned alert: %s" % a)
        ev = a["evidence"]
        if not ev or not all(e["rule"].startswith("ngram:+") and e["field"] == "headline" for e in ev):
            fail("learned alert without n-gram evidence: %s" % ev)
        head = a["article"]["headline"].encode()
        for e in ev:
            if head[e["start"]:e["end"]].decode() != e["text"]:
                fail("evidence span does not match its text: %s" % e)
        weights = [float(e["rule"].split(":")[1]) for e in ev]
        if weights != sorted(weights, reverse=True):
            fail("evidence is not ordered by weight: %s" % ev)
    print("ok: squawk score raised exactly the %d %s alerts, each explained by n-grams" %
          (len(want), "recall and layoffs (one multi-class model)" if multi else "recall"))


def reseal(blob):
    """The model with its trailing FNV-1a 64 checksum recomputed (as lm_save writes it)."""
    h = 1469598103934665603
    for b in blob[:-8]:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return blob[:-8] + h.to_bytes(8, "little")


def rows_train(prefix):
    with open(prefix + ".tsv") as fh:
        return fh.read().splitlines()[1:]


def check_multiclass(prefix, test_prefix, rows):
    """One model over the three classes of the kind column raising two categories; bad
    class arguments are refused by name."""
    model = os.path.join(TMP, "kinds.model")
    out = train(prefix, "recall=recall", model, ["--column", "kind", "--category", "layoffs=layoffs"])
    if len(re.findall(r"^train: (recall|layoffs) -> ", out, re.M)) != 2:
        fail("multi-class train did not report both categories: %s" % out)
    check_score(model, test_prefix, rows, multi=True)
    cv = os.path.join(TMP, "kinds-cs.cv.tsv")
    train(prefix, "recall=recall", os.path.join(TMP, "kinds-cs.model"), ["--column", "kind", "--solver", "cs",
                                                                        "--cv-scores", cv, "--raw-tf"])
    # the out-of-fold class scores: one row per labelled article, its class, a score per class
    with open(cv) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        cv_rows = [line.rstrip("\n").split("\t") for line in fh]
    if head != ["id", "class", "layoffs", "other", "recall"] or len(cv_rows) != len(rows_train(prefix)):
        fail("--cv-scores: header %s, %d rows" % (head, len(cv_rows)))
    right = sum(1 for r in cv_rows if head[2 + max(range(3), key=lambda k: float(r[2 + k]))] == r[1])
    if right < 0.9 * len(cv_rows):
        fail("--cv-scores: the out-of-fold scores put only %d of %d articles in their class" % (right, len(cv_rows)))
    bad = [(["--column", "kind", "--category", "recall=nope"], "no article of class 'nope' in column 'kind'"),
           (["--column", "kind", "--category", "recall"], "want an id and 0/1 in column 'kind'"),
           (["--category", "recall=recall"], "needs --column"),
           (["--column", "kind", "--category", "recall=recall", "--category", "recall=other"], "given twice"),
           (["--category", "recall", "--solver", "cs"], "--solver cs is for multi-class"),
           (["--column", "kind", "--category", "recall=recall", "--class-weight", "half"],
            "bad value for --class-weight: 'half'")]
    for args, why in bad:
        r = subprocess.run([SQ, "train", "--labels", prefix + ".tsv", "--articles", prefix + ".jsonl", "--out",
                            os.path.join(TMP, "bad.model")] + args, capture_output=True, text=True, timeout=60)
        if r.returncode == 0 or why not in r.stderr:
            fail("squawk train %s: want an error '%s', got rc=%d %s" % (args, why, r.returncode, r.stderr))
    print("ok: a multi-class model (kind column) raises recall and layoffs; Crammer-Singer trains and writes its "
          "out-of-fold scores (%d of %d in their class); bad class arguments are refused by name" % (right, len(cv_rows)))
    # the engine's evidence as features: the filter opens the same packs and computes them the same way
    rf = os.path.join(TMP, "recall-rf.model")
    train(prefix, "recall", rf, ["--rules-features"])
    if b"\nrules_features 50\n" not in open(rf, "rb").read(1000):
        fail("--rules-features did not reach the model header")
    check_score(rf, test_prefix, rows)
    check_evidence(prefix, test_prefix, rows, rf)


def check_evidence(prefix, test_prefix, rows, rf):
    """--rules-evidence picks the evidence (the token-pattern packs' rule hits here) and the
    header says which; a model without the key (made before it) still loads as v1,entities;
    a bad or repeated key is refused with file and reason."""
    blob = open(rf, "rb").read()
    if b"\nrules_evidence v1,entities\n" not in blob[:1000]:
        fail("--rules-features without --rules-evidence did not write rules_evidence v1,entities")
    legacy = os.path.join(TMP, "recall-rf-legacy.model")
    with open(legacy, "wb") as f:
        f.write(reseal(blob.replace(b"rules_evidence v1,entities\n", b"", 1)))
    def alerts(model):
        return [(a["article"]["id"], a["category"], round(a["score"], 6))
                for a in map(json.loads, score(model, test_prefix + ".jsonl").stdout.splitlines())]
    want = alerts(rf)
    if not want or alerts(legacy) != want:
        fail("a rules-features model without rules_evidence did not score as v1,entities")
    v2 = os.path.join(TMP, "recall-v2.model")
    train(prefix, "recall", v2, ["--rules-evidence", "invest,regulatory"])
    blob = open(v2, "rb").read()
    if b"\nrules_features 50\n" not in blob[:1000] or b"\nrules_evidence invest,regulatory\n" not in blob[:1000]:
        fail("--rules-evidence invest,regulatory did not reach the model header")
    check_score(v2, test_prefix, rows)
    # the screen: squawk train writes one text margin per output, --no-screen none
    screen = re.search(rb"\nrules_screen (-?[\d.e+-]+)\n", blob[:1000])
    if not screen:
        fail("a rules-features model has no rules_screen line (one value for its one output)")
    ns = os.path.join(TMP, "recall-v2-noscreen.model")
    train(prefix, "recall", ns, ["--rules-evidence", "invest,regulatory", "--no-screen"])
    if b"rules_screen" in open(ns, "rb").read(1000):
        fail("--no-screen still wrote rules_screen")
    check_score(ns, test_prefix, rows)
    # a threshold below the model's turns the screen off: the screened model then scores every
    # article as the same model without its rules_screen line does
    unscreened = os.path.join(TMP, "recall-v2-unscreened.model")
    with open(unscreened, "wb") as f:
        f.write(reseal(blob.replace(screen.group(0)[1:], b"", 1)))

    def low(model):
        r = score(model, test_prefix + ".jsonl", ["--set", "learned.threshold=0.001"])
        return [(a["article"]["id"], round(a["score"], 6)) for a in map(json.loads, r.stdout.splitlines())]
    if len(low(v2)) <= sum(r[1] for r in rows) or low(v2) != low(unscreened):
        fail("with a threshold below the model's, the screened model did not score every article as unscreened")
    ev = b"rules_evidence invest,regulatory\n"
    cases = {"bogus": ((ev, b"rules_evidence invest,bogus\n"), "bad value for key 'rules_evidence'"),
             "empty": ((ev, b"rules_evidence ,\n"), "bad value for key 'rules_evidence'"),
             "twice": ((ev, b"rules_evidence invest\nrules_evidence chips\n"), "duplicate key 'rules_evidence'"),
             "screen-nan": ((screen.group(0)[1:], b"rules_screen nan\n"), "bad value for key 'rules_screen'"),
             "screen-two": ((screen.group(0)[1:], b"rules_screen 0.5 0.25\n"),
                            "rules_screen has 2 values, but the model has 1 outputs")}
    for name, ((was, line), reason) in cases.items():
        path = os.path.join(TMP, "bad-evidence-%s.model" % name)
        with open(path, "wb") as f:
            f.write(reseal(blob.replace(was, line, 1)))
        r = score(path, test_prefix + ".jsonl")
        if r.returncode == 0 or path not in r.stderr or reason not in r.stderr:
            fail("rules_evidence %s: not refused with file and reason '%s': rc=%d %s" % (name, reason, r.returncode,
                                                                                          r.stderr))
    for opt, val in (("--rules-evidence", "v3"), ("--screen-keep", "20")):
        r = subprocess.run([SQ, "train", "--labels", prefix + ".tsv", "--articles", prefix + ".jsonl", "--category",
                            "recall", "--out", os.path.join(TMP, "bad.model"), opt, val],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0 or "bad value for %s: '%s'" % (opt, val) not in r.stderr:
            fail("squawk train %s %s: want it refused, got rc=%d %s" % (opt, val, r.returncode, r.stderr))
    print("ok: --rules-evidence invest,regulatory trains and raises recall, screened or not (--no-screen); a model "
          "without rules_evidence loads as v1,entities; bad rules_evidence and rules_screen keys and bad "
          "--rules-evidence / --screen-keep values are refused with file and reason")


def check_prefix_group(prefix, test_prefix, rows):
    """--word-prefix reaches the header (word_prefix N) and the model still raises exactly the
    recall articles, its evidence spans on the words; --group-duplicates counts the distinct
    texts the way this test does (lower-cased words, links and punctuation aside); bad values
    are refused."""
    model = os.path.join(TMP, "recall-prefix.model")
    out = train(prefix, "recall", model, ["--word-prefix", "6", "--group-duplicates"])
    heads = [json.loads(l)["headline"] for l in open(prefix + ".jsonl") if l.startswith("{\"")]
    texts = {" ".join(re.findall(r"[a-z0-9]+", h.lower())) for h in heads}
    if "cv: %d articles, %d distinct texts" % (len(heads), len(texts)) not in out:
        fail("--group-duplicates: want %d distinct texts of %d: %s" % (len(texts), len(heads), out))
    blob = open(model, "rb").read()
    if b"\nword_prefix 6\n" not in blob[:1000]:
        fail("--word-prefix 6 did not reach the model header")
    check_score(model, test_prefix, rows)
    path = os.path.join(TMP, "bad-prefix.model")
    with open(path, "wb") as f:
        f.write(reseal(blob.replace(b"\nword_prefix 6\n", b"\nword_prefix 2\n", 1)))
    r = score(path, test_prefix + ".jsonl")
    if r.returncode == 0 or path not in r.stderr or "bad value for key 'word_prefix'" not in r.stderr:
        fail("word_prefix 2: not refused with file and reason: rc=%d %s" % (r.returncode, r.stderr))
    r = subprocess.run([SQ, "train", "--labels", prefix + ".tsv", "--articles", prefix + ".jsonl", "--category",
                        "recall", "--out", os.path.join(TMP, "bad.model"), "--word-prefix", "2"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode == 0 or "bad value for --word-prefix: '2'" not in r.stderr:
        fail("squawk train --word-prefix 2: want it refused, got rc=%d %s" % (r.returncode, r.stderr))
    print("ok: --word-prefix 6 --group-duplicates trains (%d distinct texts of %d in the folds) and raises exactly "
          "recall; word_prefix 2 is refused with file and reason" % (len(texts), len(heads)))


def check_bad_models(model):
    blob = open(model, "rb").read()
    cases = {
        "truncated": (blob[:len(blob) // 2], "truncated"),
        "corrupt": (blob[:-100] + bytes([blob[-100] ^ 0x55]) + blob[-99:], "checksum mismatch"),
        "version": (blob.replace(b"squawk-learned-model 2\n", b"squawk-learned-model 7\n", 1),
                    "model version 7 is not supported"),
        # a file from the one-category format before multi-class models
        "old-version": (blob.replace(b"squawk-learned-model 2\n", b"squawk-learned-model 1\n", 1),
                        "model version 1 is not supported (this squawk reads 2; retrain it"),
        # resealed: the checksum holds, the decoder's own checks must catch it
        "bad-output": (reseal(re.sub(rb"output recall 0 ", b"output recall 5 ", blob, count=1)),
                       "output recall: class 5, but the model has 1"),
        "no-output": (reseal(re.sub(rb"output recall [^\n]*\n", b"", blob, count=1)), "'weights' before every other key"),
        "empty": (b"", "truncated"),
        "text": (b"hello world\n" * 10, "not a squawk model"),
    }
    for name, (data, reason) in cases.items():
        path = os.path.join(TMP, "bad-%s.model" % name)
        with open(path, "wb") as f:
            f.write(data)
        r = score(path, os.path.join(TMP, "test.jsonl"))
        if r.returncode == 0 or path not in r.stderr or reason not in r.stderr:
            fail("%s model file not refused with file and reason '%s': rc=%d %s" % (name, reason, r.returncode, r.stderr))
    r = score(os.path.join(TMP, "missing.model"), os.path.join(TMP, "test.jsonl"))
    if r.returncode == 0 or "missing.model" not in r.stderr:
        fail("a missing model file was not refused by name: %s" % r.stderr)
    print("ok: truncated, corrupt, wrong-version, old-version, empty, foreign and missing model files refused with file and reason")


def run_config(boot, pub, models):
    cfg = os.path.join(TMP, "squawk.yml")
    filters = "".join("  - name: learned\n    config:\n      model: \"%s\"\n" % m for m in models)
    with open(cfg, "w") as f:
        f.write("""kafka:
  topics: [articles]
  commit_interval_ms: 200
  bootstrap.servers: "%s"
  group.id: test-learned
  auto.offset.reset: earliest
filters:
%ssinks:
  zmq:
    endpoints: ["tcp://127.0.0.1:%d"]
    replay_endpoints: ["tcp://127.0.0.1:%d"]
metrics:
  listen: "127.0.0.1:0"
log:
  level: info
""" % (boot, filters, pub, pub + 1))
    return cfg


def sub_collect(pub, count, name):
    return start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--count", str(count),
                  "--timeout", "120"], stdout=open(os.path.join(TMP, name), "w"),
                 stderr=open(os.path.join(TMP, name + ".err"), "w"))


def feed(boot, paths, rate=None):
    args = [SQ, "feed", "-b", boot, "-t", "articles"]
    if rate:
        args += ["--rate", str(rate)]
    return start(args + paths, stderr=open(os.path.join(TMP, "feed.log"), "a"))


def swap(src, dst):
    """Replaces the model file the way a desk would: write aside, rename over."""
    tmp = dst + ".new"
    shutil.copy(src, tmp)
    os.replace(tmp, dst)


def check_run(rows_test):
    """squawk run with two learned filters; then SIGHUP model swaps under load lose nothing."""
    broker = start([SQ, "broker", "--topic", "articles:2"], stdout=subprocess.PIPE,
                   stderr=subprocess.DEVNULL, text=True)
    boot = broker.stdout.readline().strip()
    if not boot:
        fail("squawk broker printed no bootstrap address")
    pub = free_port()
    live_recall = os.path.join(TMP, "live-recall.model")
    swap(os.path.join(TMP, "recall.model"), live_recall)
    cfg = run_config(boot, pub, [live_recall, os.path.join(TMP, "layoffs.model")])
    log = open(os.path.join(TMP, "run.log"), "w")
    run = start([SQ, "run", "-c", cfg], stderr=log, stdout=log)

    def metrics_port():
        m = re.search(r"msg=metrics.listen .*port=(\d+)", open(os.path.join(TMP, "run.log")).read())
        return int(m.group(1)) if m else None
    mport = wait_until("the metrics port in the log", metrics_port, 120)

    # 1. the held-out set: one alert per recall and per layoffs article, as squawk score says
    n_want = sum(r[1] + r[2] for r in rows_test)
    s1 = sub_collect(pub, n_want, "alerts.jsonl")
    wait_subscribed(os.path.join(TMP, "alerts.jsonl.err"))
    if feed(boot, [os.path.join(TMP, "test.jsonl")]).wait(timeout=120) != 0:
        fail("squawk feed failed")
    if s1.wait(timeout=150) != 0:
        fail("squawk sub did not receive %d alerts" % n_want)
    got = set()
    for line in open(os.path.join(TMP, "alerts.jsonl")):
        a = json.loads(line)
        got.add((a["article"]["id"], a["category"]))
    want = {(aid, "recall") for aid, rec, _ in rows_test if rec} | {(aid, "layoffs") for aid, _, lay in rows_test if lay}
    if got != want:
        fail("run alerts differ: missing %s, extra %s" % (sorted(want - got)[:5], sorted(got - want)[:5]))
    print("ok: squawk run with two learned filters raised %d recall and layoffs alerts" % len(want))
    fed = len(rows_test) + 1  # + the bad line

    # 2. SIGHUP swaps under load: 900 recall articles fed in six chunks back to back while the
    # model file is replaced (a --rules-features model raising recall3 <-> the text model recall2)
    # and SIGHUP sent between chunks, without waiting for the reloads; every article must get its
    # one alert from one model or another, and the engine-features model must be the one in effect
    rng = random.Random(7)
    chunks = []
    for c in range(6):
        path = os.path.join(TMP, "load-%d.jsonl" % c)
        with open(path, "w") as fh:
            for i in range(150):
                fh.write(json.dumps({"id": "load-%d-%d" % (c, i), "headline": make(rng, RECALL)}) + "\n")
        chunks.append(path)
    s2 = start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--no-replay", "--count", "901",
                "--topic", "recall", "--timeout", "200"], stdout=open(os.path.join(TMP, "load-alerts.jsonl"), "w"),
               stderr=open(os.path.join(TMP, "load-alerts.err"), "w"))
    wait_subscribed(os.path.join(TMP, "load-alerts.err"))
    models = [os.path.join(TMP, "recall3-rf.model"), os.path.join(TMP, "recall2.model")]
    for c, path in enumerate(chunks):
        if feed(boot, [path]).wait(timeout=120) != 0:
            fail("squawk feed of load chunk %d failed" % c)
        fed += 150
        if c == 0:  # the first chunk is served by the first model for sure
            wait_until("chunk 0 consumed", lambda: metric(mport, "squawk_articles_consumed_total") == fed, 120)
        if c < 5:
            swap(models[c % 2], live_recall)  # ends on recall3-rf (c = 4)
            run.send_signal(signal.SIGHUP)
    wait_until("all load consumed", lambda: metric(mport, "squawk_articles_consumed_total") == fed, 200)
    # signals sent during a reload are merged into one more build after it (the build runs off
    # the loop): once none runs or waits, one more SIGHUP settles the final model file
    time.sleep(0.5)
    wait_until("no reload in progress", lambda: metric(mport, "squawk_rule_reload_in_progress") == 0, 200)
    before = metric(mport, "squawk_rule_reloads_total")
    run.send_signal(signal.SIGHUP)
    wait_until("final reload", lambda: metric(mport, "squawk_rule_reloads_total") == before + 1, 120)
    probe = os.path.join(TMP, "probe.json")
    with open(probe, "w") as fh:
        json.dump({"id": "probe", "headline": "Quillon recalls 75 e-bikes over fire risk"}, fh)
    if feed(boot, [probe]).wait(timeout=60) != 0:
        fail("squawk feed of the probe failed")
    fed += 1
    if s2.wait(timeout=200) != 0:
        fail("lost alerts during SIGHUP model swaps (sub did not get 901)")
    seen, cats, probe_cat = set(), set(), None
    for line in open(os.path.join(TMP, "load-alerts.jsonl")):
        a = json.loads(line)
        seen.add(a["article"]["id"])
        cats.add(a["category"])
        if a["article"]["id"] == "probe":
            probe_cat = a["category"]
    if len(seen) != 901 or not cats <= {"recall", "recall2", "recall3"} or "recall" not in cats or probe_cat != "recall3":
        fail("swap under load: %d distinct articles alerted (want 901), categories %s, probe %s" %
             (len(seen), sorted(cats), probe_cat))
    reloads = int(metric(mport, "squawk_rule_reloads_total"))
    print("ok: %d reloads during 900 articles fed with 5 model swaps (text <-> rules-features): every article "
          "alerted once, categories %s, the last file (rules-features) in effect" % (reloads, sorted(cats)))

    # 3. a bad model file on SIGHUP keeps the old model and says which file and why
    with open(live_recall, "r+b") as fh:
        fh.truncate(1000)
    run.send_signal(signal.SIGHUP)
    wait_until("failed reload", lambda: metric(mport, "squawk_rule_reload_failures_total") == 1, 120)
    text = open(os.path.join(TMP, "run.log")).read()
    if not re.search(r"reload.failed .*%s: truncated" % re.escape(live_recall), text):
        fail("the failed reload did not name the model file and the reason")
    s3 = start([SQ, "sub", "-c", "tcp://127.0.0.1:%d" % pub, "--json", "--no-replay", "--count", "1",
                "--topic", "recall", "--timeout", "90"], stdout=open(os.path.join(TMP, "after.jsonl"), "w"),
               stderr=open(os.path.join(TMP, "after.err"), "w"))
    wait_subscribed(os.path.join(TMP, "after.err"))
    after = os.path.join(TMP, "after-bad.json")
    with open(after, "w") as fh:
        json.dump({"id": "after-bad", "headline": "Kolbrook recalls 4000 kettles over fire risk"}, fh)
    if feed(boot, [after]).wait(timeout=60) != 0:
        fail("squawk feed failed")
    if s3.wait(timeout=120) != 0:
        fail("the old model stopped alerting after a bad model reload")
    print("ok: a truncated model on SIGHUP was refused by name and reason; the old model kept alerting")
    run.send_signal(signal.SIGTERM)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not exit 0 on SIGTERM")


def main():
    _, _ = write_set(os.path.join(TMP, "train"), 600, 1)
    _, rows_test = write_set(os.path.join(TMP, "test"), 60, 2)
    out = train(os.path.join(TMP, "train"), "recall", os.path.join(TMP, "recall.model"))
    # the set is separable: both C values reach CV F1 1.0, a tie, and a tie goes to the largest C
    cv = [float(f) for f in re.findall(r"^cv C=\S+ +recall +P=\S+ R=\S+ F1=([\d.]+)", out, re.M)]
    if len(cv) != 2 or abs(cv[0] - cv[1]) > 0.001 or ", C=2," not in out:
        fail("squawk train: a CV tie should pick the largest C (2): %s" % out)
    check_reproducible(os.path.join(TMP, "train"))
    train(os.path.join(TMP, "train"), "layoffs", os.path.join(TMP, "layoffs.model"))
    train(os.path.join(TMP, "train"), "recall2", os.path.join(TMP, "recall2.model"), ["--column", "recall"])
    train(os.path.join(TMP, "train"), "recall3", os.path.join(TMP, "recall3-rf.model"),
          ["--column", "recall", "--rules-features"])
    print("ok: squawk train: " + out.strip().splitlines()[-1])
    check_score(os.path.join(TMP, "recall.model"), os.path.join(TMP, "test"), rows_test)
    check_multiclass(os.path.join(TMP, "train"), os.path.join(TMP, "test"), rows_test)
    check_prefix_group(os.path.join(TMP, "train"), os.path.join(TMP, "test"), rows_test)
    check_bad_models(os.path.join(TMP, "recall.model"))
    check_run(rows_test)


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not os.environ.get("SQUAWK_TEST_KEEP"):
            shutil.rmtree(TMP, ignore_errors=True)
