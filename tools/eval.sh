#!/bin/sh
# eval.sh -- the `make eval` script: converts every dev set and prints squawk eval's table for each.
#
# usage: tools/eval.sh [BUILD_DIR] [extra squawk eval options, e.g. --errors 20 --sweep]
# Converted corpora go to BUILD_DIR/eval/ (never committed: the corpora are
# licensed for internal evaluation only).
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
ROOT=$(git rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
SHARED=${SQUAWK_SHARED:-$ROOT/../shared}
C=$SHARED/corpus
PY=${PYTHON:-python3}
SQ=$B/squawk
OUT=$B/eval

if [ ! -d "$C" ]; then
    echo "eval: no shared corpora at $C -- skipping (set SQUAWK_SHARED to point elsewhere)"
    exit 0
fi
if [ ! -x "$SQ" ]; then
    echo "eval: $SQ not built (run make build first)" >&2
    exit 1
fi
mkdir -p "$OUT"

# Converts once; re-converts when a converter or the corpus is newer than its output.
stale() { # stale OUT INPUT...
    o=$1; shift
    [ -s "$o" ] || return 0
    for i in "$@"; do [ "$i" -nt "$o" ] && return 0; done
    return 1
}
R=$C/reuters21578
T=$C/twitter_fin_news_topic
if stale "$OUT/reuters-train.jsonl" "$ROOT/tools/corpus_reuters.py"; then
    $PY "$ROOT/tools/corpus_reuters.py" "$R" --split train --labels acq \
        --labels-out "$OUT/reuters-train.tsv" >"$OUT/reuters-train.jsonl"
fi
if stale "$OUT/reuters-test.jsonl" "$ROOT/tools/corpus_reuters.py"; then
    $PY "$ROOT/tools/corpus_reuters.py" "$R" --split test --labels acq \
        --labels-out "$OUT/reuters-test.tsv" >"$OUT/reuters-test.jsonl"
fi
if stale "$OUT/reuters-all.jsonl" "$ROOT/tools/corpus_reuters.py"; then
    $PY "$ROOT/tools/corpus_reuters.py" "$R" --split all >"$OUT/reuters-all.jsonl"
fi
if stale "$OUT/modern.jsonl" "$ROOT/tools/corpus_modern.py"; then
    $PY "$ROOT/tools/corpus_modern.py" "$C" >"$OUT/modern.jsonl"
fi
if stale "$OUT/modern-fh.jsonl" "$ROOT/tools/corpus_modern.py"; then
    $PY "$ROOT/tools/corpus_modern.py" "$C" --with-fin-headlines >"$OUT/modern-fh.jsonl"
fi
for s in train test; do
    if stale "$OUT/twitter-$s.topics.tsv" "$ROOT/tools/corpus_twitter.py" "$T/new_data_$s.csv"; then
        $PY "$ROOT/tools/corpus_twitter.py" "$T/new_data_$s.csv" --split "$s" \
            --labels-out "$OUT/twitter-$s.tsv" --topics-out "$OUT/twitter-$s.topics.tsv" >"$OUT/twitter-$s.jsonl"
    fi
done

# Measure what ships: the default configuration's filters and thresholds.
CONF=""
[ -f "$ROOT/config/squawk.yml" ] && CONF="--config $ROOT/config/squawk.yml"
EXTRA="$CONF $*"
# The held-out sets print their summary lines only: --errors and --sweep there
# would show what tuning must never see.
HELD="$CONF"
skip=0
for a in "$@"; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    case $a in
    --sweep | --errors=*) ;;
    --errors) skip=1 ;;
    *) HELD="$HELD $a" ;;
    esac
done
rc=0
run_set() { # run_set NAME TITLE LABELS ARTICLES [OPTIONS]; the JSON result is kept in OUT/NAME.json,
    # the per-article outcomes in OUT/NAME.scores.tsv (tools/evalcmp.py compares two runs' by pairs)
    opts=${5-$EXTRA}
    echo
    echo "== $2"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # opts is a list of options
    if "$SQ" eval --labels "$3" --articles "$4" --json-out "$OUT/$1.json" --scores "$OUT/$1.scores.tsv" $opts \
        2>"$OUT/last.err"; then
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "wall time: %.2f s\n", b - a }'
    else
        cat "$OUT/last.err" >&2
        rc=1
    fi
}
echo "squawk eval -- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
run_set reuters-train "Reuters-21578 ModApte TRAIN: acq -> invest (tuning set)" "$OUT/reuters-train.tsv" "$OUT/reuters-train.jsonl"
run_set reuters-test "Reuters-21578 ModApte TEST: acq -> invest (HELD OUT: never tune on it)" "$OUT/reuters-test.tsv" "$OUT/reuters-test.jsonl" "$HELD"
run_set labels-dev "labels-dev.tsv: 1987 newswire (Reuters ids), invest/chips/regulatory" "$C/labels-dev.tsv" "$OUT/reuters-all.jsonl"
run_set labels-modern-dev "labels-modern-dev.tsv: 2023-2026 tech and AI news, invest/chips/regulatory (routing: parties-modern-dev.tsv)" "$C/labels-modern-dev.tsv" "$OUT/modern.jsonl" "$EXTRA --parties $C/parties-modern-dev.tsv"
M2=$C/modern_dev_2
if [ -d "$M2" ]; then
    run_set md2-tune "modern_dev_2 TUNE: fresh 2024-2025 news by GUIDE.md, categories and routing (tuning set)" "$M2/labels-tune.tsv" "$M2/articles.jsonl" "$EXTRA --parties $M2/parties.tsv"
    run_set md2-check "modern_dev_2 CHECK: summary lines only, never its errors (generalisation check)" "$M2/labels-check.tsv" "$M2/articles.jsonl" "$HELD --parties $M2/parties.tsv"
fi
# Our labels of shared-corpus items nobody labelled before (eval/labels/README.md), by id, split in two.
# NAME:ARTICLES -- pooltw labels Twitter TRAIN tweets by the guide (not by their topic labels)
for pa in pool26:modern-fh pool20:modern-fh pool25:modern-fh pooltw:twitter-train pooltw2:twitter-train pooltw3:twitter-train pooltw4:twitter-train pooltw5:twitter-train pooltw6:twitter-train; do
    p=${pa%%:*} A=$OUT/${pa#*:}.jsonl
    L=$ROOT/eval/labels/$p.tsv
    [ -f "$L" ] || continue
    if stale "$OUT/$p-tune-labels.tsv" "$L" "$ROOT/tools/corpus_pool.py"; then
        $PY "$ROOT/tools/corpus_pool.py" "$L" "$OUT/$p"
    fi
    run_set "$p-tune" "eval/labels/$p.tsv TUNE half: our GUIDE labels of corpus items no set covered (tuning set)" "$OUT/$p-tune-labels.tsv" "$A" "$EXTRA --parties $OUT/$p-tune-parties.tsv"
    run_set "$p-check" "eval/labels/$p.tsv CHECK half: summary lines only, never its errors" "$OUT/$p-check-labels.tsv" "$A" "$HELD --parties $OUT/$p-check-parties.tsv"
done
# Hand-written sets (eval/sets/: our own wording, labelled by GUIDE.md with parties; sessions 13-14 and 19).
# hand_set NAME TSV DESCRIPTION OPTS: converts TSV when stale and runs it as set NAME.
hand_set() {
    [ -f "$2" ] || return 0
    if stale "$OUT/$1.jsonl" "$2" "$ROOT/tools/corpus_handwritten.py"; then
        $PY "$ROOT/tools/corpus_handwritten.py" "$2" "$OUT/$1"
    fi
    run_set "$1" "$3" "$OUT/$1-labels.tsv" "$OUT/$1.jsonl" "$4 --parties $OUT/$1-parties.tsv"
}
# Every eval/sets/handwritten-<x>.tsv is a tuning set; a new one runs without editing this script.
for f in "$ROOT"/eval/sets/handwritten-*.tsv; do
    h=$(basename "$f" .tsv)
    case $h in *-check) continue ;; esac
    hand_set "$h" "$f" "eval/sets/$h.tsv: hand-written 2024-2026-style items, categories and routing (tuning set)" "$EXTRA"
done
# handwritten-<x>-check.tsv: written like the others but never looked into -- check sets like md2 CHECK:
# summary lines only, never their errors
for f in "$ROOT"/eval/sets/handwritten-*-check.tsv; do
    h=$(basename "$f" .tsv)
    hand_set "$h" "$f" "eval/sets/$h.tsv: hand-written, CHECK: summary lines only, never its errors" "$HELD"
done
# Twitter topic labels are another taxonomy (issue 15): not a target for the
# built-in filters; kept as an unlabelled-by-guide sanity row.
run_set twitter-train "Twitter topic TRAIN: label 13 -> invest, 12 -> regulatory (another taxonomy; not a target)" "$OUT/twitter-train.tsv" "$OUT/twitter-train.jsonl"
run_set twitter-test "Twitter topic TEST: label 13 -> invest, 12 -> regulatory (HELD OUT, another taxonomy)" "$OUT/twitter-test.tsv" "$OUT/twitter-test.jsonl" "$HELD"

# Trained categories (squawk train + the learned filter): fit on Twitter TRAIN only (C and threshold
# by cross-validation there), measured once on TEST, summary only.
LCONF="$OUT/learned-twitter.yml"
# one model over the 20 topics raising both categories, with the options bench/learned.sh uses
# (CV's pick on TRAIN: the v2 packs' rule hits beside the words, screened; see its header)
if "$SQ" train --labels "$OUT/twitter-train.topics.tsv" --articles "$OUT/twitter-train.jsonl" --column topic \
    --category invest=13 --category regulatory=12 --solver cs --idf --char-ngrams 5-5 --hash-bits 18 \
    --folds 5 --c 0.5,1 --group-duplicates --rules-evidence invest,regulatory --screen-keep 98 --out "$OUT/twitter-topics.model" --quiet; then
    printf 'kafka:\n  topics: [eval]\nsinks:\n  jsonl:\n    path: "-"\nfilters:\n' >"$LCONF"
    printf '  - name: learned\n    config:\n      model: "%s"\n' "$OUT/twitter-topics.model" >>"$LCONF"
    run_set twitter-test-learned "Twitter topic TEST, learned filter trained on TRAIN (HELD OUT: summary only)" \
        "$OUT/twitter-test.tsv" "$OUT/twitter-test.jsonl" "--config $LCONF"
else
    rc=1
fi

# The same tuning articles written another way (tools/surface.py): Title Case, capitals, lower case, quotes,
# wire slugs, outlets, amounts, no-break spaces, HTML references, no headline. Tuning sets only.
if [ -d "$M2" ]; then
    S="$M2/labels-tune.tsv,$M2/parties.tsv,$M2/articles.jsonl $C/labels-modern-dev.tsv,$C/parties-modern-dev.tsv,$OUT/modern.jsonl"
    for pa in pool26:modern-fh pool20:modern-fh pool25:modern-fh pooltw:twitter-train pooltw2:twitter-train \
        pooltw3:twitter-train pooltw4:twitter-train pooltw5:twitter-train pooltw6:twitter-train; do
        p=${pa%%:*}
        [ -f "$OUT/$p-tune-labels.tsv" ] && S="$S $OUT/$p-tune-labels.tsv,$OUT/$p-tune-parties.tsv,$OUT/${pa#*:}.jsonl"
    done
    echo
    echo "== surface: the tuning sets written another way"
    mkdir -p "$OUT/surface" # its own folder: evalcmp.py compares the sets' scores files in OUT
    # shellcheck disable=SC2086 # S is a list of sets
    $PY "$ROOT/tools/surface.py" table "$SQ" "$ROOT/config/squawk.yml" "$OUT/surface/sf" $S || rc=1
fi
exit $rc
