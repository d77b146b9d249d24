#!/bin/sh
# models.sh -- the `make models` script: trains the built-in filters' rescoring models (filters/rules/v2/<filter>.lm).
#
# usage: tools/models.sh [BUILD_DIR] [FILTER...]   (default: invest, the one the plugins ship)
# chips and regulatory train the same way (tools/models.sh build chips regulatory) but ship no
# model: theirs did not raise modern_dev_2 check F1 and worsened its calibration, nor did regulatory's
# scoring the articles where no rule fired but the headline names an authority (docs/EVAL.md).
# Each model is `squawk train --filter NAME` (logistic regression, liblinear)
# on the TUNING sets only: modern_dev_2 labels-tune.tsv, labels-dev.tsv and
# labels-modern-dev.tsv; the threshold by 5-fold CV on them (C: see TRAIN_OPTS). Never on
# modern_dev_2 labels-check.tsv, Reuters TEST or any held-out set. The
# printed threshold is the model's own CV pick over every training article; the
# plugin asks the model only past model_gate (articles the rules already pass), where
# a lower cut does better out of fold, so the filter's threshold (plugin
# default_threshold) is chosen through the gate by tools/rescore_cv.py --threshold
# (its "all sets" line) and does not follow the printed one (docs/EVAL.md, round 6 invest).
# tools/rescore_cv.py measures such a model out of fold. Each model's out-of-fold scores go to
# BUILD_DIR/eval/<filter>.cv.tsv, which tools/calibrate.py reads to calibrate the model's output.
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
FILTERS=${*:-invest}
ROOT=$(git rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
C=${SQUAWK_SHARED:-$ROOT/../shared}/corpus
M2=$C/modern_dev_2
EV=$B/eval
for f in "$B/squawk" "$M2/labels-tune.tsv" "$C/labels-dev.tsv" "$C/labels-modern-dev.tsv"; do
    [ -e "$f" ] || { echo "models: $f missing" >&2; exit 1; }
done
for f in "$EV/reuters-all.jsonl" "$EV/modern.jsonl"; do
    [ -s "$f" ] || { echo "models: $f missing: run make eval once (it converts the corpora)" >&2; exit 1; }
done
# The training options, chosen by tools/rescore_cv.py (out-of-fold F1 on the tuning sets):
# word 1-2-grams only, the engine block half the word block's length (see the report in the commit).
# C is pinned at 16 (session 19): 5-fold CV F1 at C = 1, 4, 16 was .866 / .869 / .867, a spread inside
# CV noise, and the pick flipped between 4 and 16 with rule changes that moved no tuning-set decision;
# the filter's threshold (plugin default_threshold, chosen through the gate by rescore_cv.py) is C=16's.
TRAIN_OPTS="--solver lr --char-ngrams 0 --hash-bits 16 --folds 5 --c 16"
# The model's "trained" date: the last commit of what it is trained from (packs, gazetteer), so
# retraining unchanged inputs rewrites the same bytes (squawk train reads SOURCE_DATE_EPOCH).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct -- "filters/rules/v2/*.yml" filters/gazetteer.yml 2>/dev/null || true)}
[ -n "$SOURCE_DATE_EPOCH" ] && export SOURCE_DATE_EPOCH
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat "$M2/articles.jsonl" "$EV/modern.jsonl" "$EV/reuters-all.jsonl" >"$T/articles.jsonl"
for f in $FILTERS; do
    # id and the filter's column of each tuning set
    printf 'id\t%s\n' "$f" >"$T/$f.tsv"
    for l in "$M2/labels-tune.tsv" "$C/labels-dev.tsv" "$C/labels-modern-dev.tsv"; do
        awk -F'\t' -v c="$f" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } k { print $1 "\t" $k }' "$l" >>"$T/$f.tsv"
    done
    # shellcheck disable=SC2086 # TRAIN_OPTS is a list of options
    SQUAWK_LOG__LEVEL=warn "$B/squawk" train --filter "$f" --category "$f" --labels "$T/$f.tsv" --cv-scores "$EV/$f.cv.tsv" \
        --articles "$T/articles.jsonl" $TRAIN_OPTS --out "$ROOT/filters/rules/v2/$f.lm" --quiet
done
