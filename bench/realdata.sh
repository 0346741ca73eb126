#!/usr/bin/env bash
# bench/realdata.sh: quality of one pass with default flags on raw real data (issue 12, "real
# tables out of the box"): test AUC and logloss of gannet against the targets and against
# scikit-learn (and xgboost when installed) on the same splits, in the same run.
#   1. Criteo sample (../shared/data/criteo, raw Kaggle TSV): lines 1-8,000 train, 8,001-10,000
#      test, `--format csv --sep tab --no-header --label 1 --numeric 2-14 --categorical 15-40`:
#      gannet default flags (raw counts); with --log-numeric; --optimizer lbfgs over L2S on both
#      (best on the test set: an oracle, for reference only); scikit-learn LogisticRegression on
#      standardised numbers + one-hot categoricals (C = 0.01, 0.1, 1); xgboost if installed.
#   2. IMDB reviews (../shared/data/imdb) as VW text, one token per word occurrence, converted by
#      bench/imdb_to_vw.py into bench/data/ once (25,000 train / 25,000 test, rows in a seeded
#      random order); the same rows as token:count; scikit-learn tf-idf + LogisticRegression and
#      tf-idf + SGDClassifier (one epoch) for context.
#   3. scikit-learn's bundled breast_cancer table (569 x 30 dense columns whose scales run from
#      1e-3 to 4e3; its first line "569,30,malignant,benign" is not a header and is dropped), rows
#      1, 2 of every 3 train, every 3rd test: gannet default flags vs LogisticRegression on
#      standardised columns. (sklearn's digits is left out: its 64 pixel columns share one 0..16
#      scale and it is multiclass, so it says nothing about scale.)
# gannet figures are medians of RUNS runs (default threads: Hogwild is not deterministic);
# peers run once (deterministic). Every command is printed before its runs ("+ ...").
#   usage: bench/realdata.sh [RUNS]   (default 3)
#   env:   GANNET (default build/bin/gannet), GN_SHARED_DATA (default ../shared/data),
#          BENCH_DATA (default bench/data: the converted IMDB files), L2S (lbfgs l2 values,
#          default "1 3 10 30 100"), SKIP_PEERS=1 (gannet only), ONLY="criteo imdb table".
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
SHARED=${GN_SHARED_DATA:-$GN_SRC/../shared/data}
L2S=${L2S:-1 3 10 30 100}
ONLY=${ONLY:-criteo imdb table}
CRITEO=$SHARED/criteo/dac_train_first10k.txt.gz
IMDB_TAR=$SHARED/imdb/aclImdb_labeled_raw.tar.gz
BREAST=${BREAST:-/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv}
build_gannet
for f in "$CRITEO" "$IMDB_TAR"; do
    [ -r "$f" ] || { echo "missing data: $f (set GN_SHARED_DATA)" >&2; exit 1; }
done
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
wants() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
show() { printf '+'; printf ' %q' "$@"; printf '\n'; }

echo "# bench/realdata.sh $RUNS   (GANNET=$GANNET, $("$GANNET" --version 2>/dev/null | head -1 || echo 'version unknown'),"
echo "#   commit $(git -C "$GN_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "# reproduce: GANNET=$GANNET GN_SHARED_DATA=$SHARED bench/realdata.sh $RUNS"

# quality NAME TRAIN TEST FLAGS...: RUNS x (gannet train FLAGS on TRAIN; gannet eval on TEST);
# prints the median test AUC, logloss and training wall time, and appends "AUC NAME" to $OUT/best.
quality() {
    local name=$1 train=$2 test=$3; shift 3
    local runs=${QRUNS:-$RUNS}
    : > "$OUT/q"; : > "$OUT/t"
    show "$GANNET" train -d "$train" -m model.gnm "$@" --quiet
    show "$GANNET" eval -m model.gnm -d "$test" --json
    for i in $(seq "$runs"); do
        if ! timed "$OUT/t" "$GANNET" train -d "$train" -m "$OUT/m.gnm" "$@" --quiet > /dev/null 2> "$OUT/err" ||
           ! "$GANNET" eval -m "$OUT/m.gnm" -d "$test" --json > "$OUT/e.json" 2>> "$OUT/err"; then
            printf "  %-46s FAILED: %s\n" "$name" "$(grep -v '^Command exited' "$OUT/err" | tail -1)"
            return 0
        fi
        "$PY" -c 'import json, sys; e = json.load(open(sys.argv[1])); print(e["auc"], e["logloss"])' "$OUT/e.json" >> "$OUT/q"
    done
    local auc ll wall
    auc=$(awk '{print $1}' "$OUT/q" | median)
    ll=$(awk '{print $2}' "$OUT/q" | median)
    wall=$(awk '{print $1}' "$OUT/t" | median)
    printf "  %-46s test AUC %.4f  logloss %.4f  train %.2f s  (median of %d; AUC %s)\n" "$name" "$auc" "$ll" "$wall" "$runs" \
        "$(awk 'NR == 1 || $1 < lo {lo = $1} NR == 1 || $1 > hi {hi = $1} END {printf "%.4f..%.4f", lo, hi}' "$OUT/q")"
    echo "$auc $name" >> "$OUT/best"
}

# peers KIND ARGS...: the scikit-learn/xgboost peers of bench/realdata_peers.py, one run.
peers() {
    if [ "${SKIP_PEERS:-0}" = 1 ]; then echo "  (peers skipped: SKIP_PEERS=1)"; return; fi
    show "$PY" bench/realdata_peers.py "$@"
    "$PY" "$GN_SRC/bench/realdata_peers.py" "$@" | while read -r name auc ll s; do
        if [ "$auc" = skipped ]; then printf "  %-46s skipped (%s)\n" "$name" "$ll"
        else printf "  %-46s test AUC %.4f  logloss %.4f  fit %.2f s  (1 run)\n" "$name" "$auc" "$ll" "$s"; fi
    done
}

# best_of PATTERN LABEL: the best AUC of the quality rows whose name matches PATTERN.
best_of() {
    grep -- "$1" "$OUT/best" | sort -g | tail -1 | awk -v l="$2" '{a = $1; $1 = ""; printf "  %-46s best test AUC %.4f (%s; chosen on the test set: an oracle)\n", l, a, substr($0, 2)}'
}

# verdict NAME MIN: says whether the median AUC of quality row NAME reaches MIN.
verdict() {
    awk -v n="$1" -v m="$2" '{a = $1; $1 = ""; if (substr($0, 2) == n) { found = 1
        printf "  -> %s: median test AUC %.4f, target >= %s: %s\n", n, a, m, (a >= m ? "met" : "NOT met") } }
        END { if (!found) printf "  -> %s: no figure (failed)\n", n }' "$OUT/best"
}

if wants criteo; then
    echo "== 1. Criteo sample: lines 1-8,000 train, 8,001-10,000 test (raw TSV, 13 counts + 26 categoricals)"
    echo "+ zcat $CRITEO | awk 'NR <= 8000 {print > \"criteo_train.tsv\"; next} {print > \"criteo_test.tsv\"}'"
    zcat "$CRITEO" | awk -v tr="$OUT/criteo_train.tsv" -v te="$OUT/criteo_test.tsv" 'NR <= 8000 {print > tr; next} {print > te}'
    [ "$(wc -l < "$OUT/criteo_test.tsv")" = 2000 ] || { echo "unexpected row count in $CRITEO" >&2; exit 1; }
    CSV=(--format csv --sep tab --no-header --label 1 --numeric 2-14 --categorical 15-40)
    : > "$OUT/best"
    quality "gannet default flags" "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv" "${CSV[@]}"
    quality "gannet --passes 1" "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv" "${CSV[@]}" --passes 1
    quality "gannet --no-normalize --passes 1 (0.1)" "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv" "${CSV[@]}" --no-normalize --passes 1
    quality "gannet --log-numeric" "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv" "${CSV[@]}" --log-numeric
    for l2 in $L2S; do
        QRUNS=1 quality "gannet lbfgs --l2 $l2" "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv" "${CSV[@]}" --optimizer lbfgs --l2 "$l2"
    done
    for l2 in $L2S; do
        QRUNS=1 quality "gannet lbfgs --l2 $l2 --log-numeric" "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv" "${CSV[@]}" --optimizer lbfgs --l2 "$l2" --log-numeric
    done
    best_of "lbfgs --l2 [0-9.e-]*$" "gannet lbfgs, raw counts"
    best_of "lbfgs.*--log-numeric" "gannet lbfgs, --log-numeric"
    peers criteo "$OUT/criteo_train.tsv" "$OUT/criteo_test.tsv"
    echo "  targets: default flags >= 0.70 (VW default one pass on the raw counts: 0.697; gannet --log-numeric: 0.738)"
    verdict "gannet default flags" 0.70
fi

if wants imdb; then
    echo "== 2. IMDB reviews, VW text: 25,000 train / 25,000 test"
    conv=$GN_SRC/bench/imdb_to_vw.py
    need=0
    for s in train test train_counts test_counts; do
        f=$BENCH_DATA/imdb_$s.vw
        { [ -s "$f" ] && [ "$f" -nt "$conv" ] && [ "$f" -nt "$IMDB_TAR" ]; } || need=1
    done
    show python3 bench/imdb_to_vw.py "$IMDB_TAR" "$BENCH_DATA"
    if [ "$need" = 1 ]; then python3 "$conv" "$IMDB_TAR" "$BENCH_DATA"; else echo "  (converted files in $BENCH_DATA are current)"; fi
    : > "$OUT/best"
    quality "gannet default flags, one token per word" "$BENCH_DATA/imdb_train.vw" "$BENCH_DATA/imdb_test.vw"
    quality "gannet --passes 1, one token per word" "$BENCH_DATA/imdb_train.vw" "$BENCH_DATA/imdb_test.vw" --passes 1
    quality "gannet default flags, token:count" "$BENCH_DATA/imdb_train_counts.vw" "$BENCH_DATA/imdb_test_counts.vw"
    peers imdb "$BENCH_DATA/imdb_train.vw" "$BENCH_DATA/imdb_test.vw"
    echo "  target: default flags >= 0.95 (VW one pass with unigrams: 0.949)"
    verdict "gannet default flags, one token per word" 0.95
fi

if wants table; then
    echo "== 3. breast_cancer (scikit-learn's bundled copy): 569 x 30, every 3rd row test"
    if [ ! -r "$BREAST" ]; then
        echo "  (skipped: $BREAST not found; install python3-sklearn)"
    else
        echo "+ awk 'NR > 1 && (NR - 1) % 3 != 0' $BREAST > bc_train.csv; awk 'NR > 1 && (NR - 1) % 3 == 0' $BREAST > bc_test.csv"
        awk 'NR > 1 && (NR - 1) % 3 != 0' "$BREAST" > "$OUT/bc_train.csv"
        awk 'NR > 1 && (NR - 1) % 3 == 0' "$BREAST" > "$OUT/bc_test.csv"
        quality "gannet default flags" "$OUT/bc_train.csv" "$OUT/bc_test.csv" --format csv --no-header --label 31
        quality "gannet --passes 1" "$OUT/bc_train.csv" "$OUT/bc_test.csv" --format csv --no-header --label 31 --passes 1
        quality "gannet --log-numeric" "$OUT/bc_train.csv" "$OUT/bc_test.csv" --format csv --no-header --label 31 --log-numeric
        peers table "$OUT/bc_train.csv" "$OUT/bc_test.csv" 31
    fi
fi
