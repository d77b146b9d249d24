#!/bin/sh
# learned.sh -- `make bench`, trained categories: squawk train + learned filter vs scikit-learn LinearSVC on the Twitter topic set.
#
# usage: bench/learned.sh BUILD_DIR     (needs ../shared/corpus/twitter_fin_news_topic and python3-sklearn)
# Trains on Twitter TRAIN only (squawk picks C and thresholds by CV there), measures once on TEST
# (summary lines only), beside LinearSVC(class_weight='balanced') on TF-IDF word 1-2-grams, one
# model over all 20 labels, run here in the same invocation. squawk's model is one model over the
# 20 topics too (--column topic), raising invest (label 13) and regulatory (label 12). Its options
# were chosen by cross-validation on TRAIN only, never on TEST (squawk train prints the CV rows):
# 5-fold CV F1 invest/regulatory, Crammer-Singer, idf, 2^18 buckets:
#   text, word 1-2-grams + char 3-5-grams              .797/.875
#   + v1 regex packs' rules, entities (old pick)       .844/.896  (41k/s: three pack scans no one shares)
#   + entities only (kinds, amounts, cues)             .795/.876  (no gain)
#   + v2 token-pattern packs invest, regulatory, no char n-grams, C=1
#                                                      .832/.893  (chips pack, entities: no gain)
# so that model, with the screen (squawk train --screen-keep 99): the engine's evidence is computed
# only for articles whose text margins reach those of 99% of the CV alerts (CV F1 .833/.893 after
# it); the others cost the text alone. Round 5: one tweet in ten repeats another (a repost with
# its own link), and ungrouped folds score the repost of a training tweet as unseen: CV F1 .832/.897
# (mean of 3 fold layouts) falls to .823/.877 with --group-duplicates (repeats share a fold), closer
# to TEST. By that CV: --word-prefix 6 (a word's first 6 bytes, a cheap stem) .826/.881 (5: .826/
# .879, 4: .828/.878, 7: .824/.875); char 5-grams .831/.884 but ~20% slower; rules weight 25/100,
# raw tf, no idf, C 0.25-2, one-vs-rest SVM, no class weights: no gain (with prefixes: rules
# weight 35 .822/.882, 2^20 buckets .825/.877); logistic regression .81/.89 ungrouped, 220 s. Grouped CV margins are lower, so --screen-keep 98 passes the 60% that 99 did (CV F1
# .825/.880). Round 6: by the same grouped CV, character 5-grams (.831/.884) beat the prefixes, and
# the prediction rate they cost stays above 100k/s per CPU second, so the shipped model is words +
# char 5-grams + v2 rule hits, grouped CV, screen 98.
# Prints prediction throughput (one core, thread CPU time, so a busy machine does not count
# against it) and training time. Never asserts on timing.
set -eu
B=${1:-build-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
SQ="$B/squawk"
LB="$B/learned_bench"
PY=/usr/bin/python3
# the feature options cross-validation on TRAIN chose (see the header)
LEARNED_OPTS=${SQUAWK_LEARNED_OPTS:---solver cs --idf --char-ngrams 5-5 --hash-bits 18 --folds 5 --c 0.5,1 --group-duplicates --rules-evidence invest,regulatory --screen-keep 98}
# the text-only model beside it (the previous CV pick for text alone)
TEXT_OPTS=${SQUAWK_LEARNED_TEXT_OPTS:---solver cs --idf --char-ngrams 3-5 --hash-bits 18 --folds 5 --c 0.25,0.5}
T=${SQUAWK_SHARED:-$ROOT/../shared}/corpus/twitter_fin_news_topic
for f in "$SQ" "$LB"; do
    [ -x "$f" ] || { echo "bench: $f missing; build it first (make bench)" >&2; exit 1; }
done
if [ ! -f "$T/new_data_train.csv" ]; then
    echo "bench: no Twitter topic set at $T -- skipping the trained-category bench"
    exit 0
fi
W=$(mktemp -d /tmp/squawk-bench-learned.XXXXXX)
# SQUAWK_BENCH_KEEP=1 keeps the models and raw results
trap '[ -n "${SQUAWK_BENCH_KEEP:-}" ] && echo "bench: kept $W" >&2 || rm -rf "$W"' EXIT INT TERM
for s in train test; do
    $PY "$ROOT/tools/corpus_twitter.py" "$T/new_data_$s.csv" --split $s --labels-out "$W/$s.tsv" \
        --topics-out "$W/$s.topics.tsv" >"$W/$s.jsonl" 2>/dev/null
done

# 1. train one model over the 20 topics for both categories: the shipped options, and from the
# text alone; wall and CPU time
cfg="$W/learned.yml"
cfg_rf="$W/learned-rf.yml"
for v in topics topics-rf; do
    opts=$TEXT_OPTS
    [ $v = topics-rf ] && opts=$LEARNED_OPTS
    /usr/bin/time -f "%e %U %S" -o "$W/$v.time" "$SQ" train --labels "$W/train.topics.tsv" \
        --articles "$W/train.jsonl" --column topic --category invest=13 --category regulatory=12 \
        $opts --out "$W/$v.model" >"$W/$v.train" 2>"$W/$v.train.err"
    c="$cfg"
    [ $v = topics-rf ] && c="$cfg_rf"
    printf 'kafka:\n  topics: [bench]\nsinks:\n  jsonl:\n    path: "-"\nfilters:\n' >"$c"
    printf '  - name: learned\n    config:\n      model: "%s"\n' "$W/$v.model" >>"$c"
done

# 2. test F1 (summary only) and the SVM in the same run
"$SQ" eval --labels "$W/test.tsv" --articles "$W/test.jsonl" --config "$cfg" --json >"$W/eval.json" 2>/dev/null
"$SQ" eval --labels "$W/test.tsv" --articles "$W/test.jsonl" --config "$cfg_rf" --json >"$W/eval-rf.json" 2>/dev/null
$PY "$ROOT/bench/learned_svm.py" "$T/new_data_train.csv" "$T/new_data_test.csv" --labels 13,12 >"$W/svm.txt"

# 3. prediction throughput: the model alone, and the whole filter stage with the learned filter only
taskset -c 0 "$LB" "$W/topics.model" "$W/test.jsonl" 7 >"$W/topics.lb"
taskset -c 0 "$SQ" score --filter learned --set "learned.model=$W/topics.model" --bench 7 "$W/test.jsonl" \
    2>"$W/stage.txt" >/dev/null
taskset -c 0 "$SQ" score --filter learned --set "learned.model=$W/topics-rf.model" --bench 7 "$W/test.jsonl" \
    2>"$W/stage-rf.txt" >/dev/null
# beside the built-in filters, which scan the same packs once per article for everyone
taskset -c 0 "$SQ" score --filter invest --filter chips --filter regulatory --bench 7 "$W/test.jsonl" \
    2>"$W/stage-builtin.txt" >/dev/null
taskset -c 0 "$SQ" score --filter invest --filter chips --filter regulatory --filter learned \
    --set "learned.model=$W/topics-rf.model" --bench 7 "$W/test.jsonl" 2>"$W/stage-builtin-rf.txt" >/dev/null

$PY - "$W" <<'PYEOF'
import json, re, sys
w = sys.argv[1]
ev = json.load(open(w + "/eval.json"))["categories"]
ev_rf = json.load(open(w + "/eval-rf.json"))["categories"]
svm = {}
for line in open(w + "/svm.txt"):
    m = re.match(r"svm\tlabel=(\d+)\tP=([\d.]+)\tR=([\d.]+)\tF1=([\d.]+)", line)
    if m:
        svm[int(m.group(1))] = tuple(float(x) for x in m.group(2, 3, 4))
    m = re.match(r"svm\ttrain_s=([\d.]+)\tpredict_per_s=(\d+)", line)
    if m:
        svm_train, svm_pred = float(m.group(1)), int(m.group(2))
print("Twitter topic TEST (4,117 tweets; trained on TRAIN only; summary only)")
print("%-50s %-5s %6s %6s %6s   %6s %6s %6s   %s" % ("squawk model, category", "label", "P", "R", "F1", "svmP", "svmR", "svmF1", "squawk >= svm"))
for name, e_all in (("20 topics, text + v2 rule hits (shipped)", ev_rf), ("20 topics, text", ev)):
    for cat, lab in (("invest", 13), ("regulatory", 12)):
        e = e_all[cat]
        s = svm[lab]
        print("%-50s %-5d %6.3f %6.3f %6.3f   %6.3f %6.3f %6.3f   %s" % (name + ", " + cat[:3], lab, e["precision"],
              e["recall"], e["f1"], s[0], s[1], s[2], "yes" if e["f1"] >= s[2] else "NO"))
print()


def rate(path, pat):
    m = re.search(pat, open(path).read())
    return m.group(1) if m else "?"


for v, what in (("topics-rf", "text + v2 rule hits, shipped"), ("topics", "text")):
    wall, user, sys_ = (float(x) for x in open("%s/%s.time" % (w, v)).read().split())
    print("train one model over 20 topics (%s), 16,990 tweets: %.1f s wall, %.1f s CPU" % (what, wall, user + sys_))
    for cat in ("invest", "regulatory"):
        cv = re.search(r"train: %s -> .* C=([\d.]+), threshold p>=([\d.]+), (\d+)-fold CV P=([\d.]+) R=([\d.]+) F1=([\d.]+)" % cat,
                       open("%s/%s.train" % (w, v)).read())
        print("  %-10s C=%s, threshold p>=%s, %s-fold CV F1=%s" % (cat, cv.group(1), cv.group(2), cv.group(3), cv.group(6)))
    scr = re.search(r"^screen: .*$", open("%s/%s.train" % (w, v)).read(), re.M)
    if scr:
        print("  " + scr.group(0))
lb = dict(kv.split("=") for kv in open(w + "/topics.lb").read().split("\t")[1:])
print("predict, text model alone (both categories), one core: %s headlines/s" % lb["headlines_per_s"].strip())
for f, what in (("stage-rf", "learned (shipped: text + v2 rule hits) only"), ("stage", "learned (text) only"),
                ("stage-builtin", "invest, chips, regulatory"),
                ("stage-builtin-rf", "invest, chips, regulatory + learned (shipped)")):
    p = "%s/%s.txt" % (w, f)
    print("filter stage, %s (squawk score --bench, one core): %s articles/s wall, %s per CPU second" %
          (what, rate(p, r"= (\d+) articles/s"), rate(p, r"= (\d+) articles per CPU second")))
print("svm: train %.1f s, predict %d tweets/s (scikit-learn, vectorise + predict)" % (svm_train, svm_pred))
print()
print("summary (issue 18 targets: F1 >= svm for both labels, >= 100,000 headlines/s on one core, train <= 30 s)")
print("%-34s %7s %7s %13s %16s %s" % ("model", "13 F1", "12 F1", "svm 13/12", "predict/s (CPU)", "train s wall/CPU"))
for v, name, e_all, st in (("topics-rf", "text + v2 rule hits (shipped)", ev_rf, "stage-rf"), ("topics", "text", ev, "stage")):
    wall, user, sys_ = (float(x) for x in open("%s/%s.time" % (w, v)).read().split())
    print("%-34s %7.3f %7.3f %6.3f/%.3f %16s %.1f/%.1f" % (name, e_all["invest"]["f1"], e_all["regulatory"]["f1"], svm[13][2],
          svm[12][2], rate("%s/%s.txt" % (w, st), r"= (\d+) articles per CPU second"), wall, user + sys_))
PYEOF
