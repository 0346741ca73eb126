#!/usr/bin/env bash
# bench/criteo_interactions.sh: CTR with interactions on the Criteo sample (issue 14).
# ../shared/data/criteo/dac_train_first10k.txt.gz, read as bench/realdata.sh reads it (lines
# 1-8,000 train, 8,001-10,000 test; --format csv --sep tab --no-header --label 1 --numeric 2-14
# --categorical 15-40, --log-numeric). Which pairs of the 26 categorical columns are useful is
# chosen on the training rows only: each of the 325 pairs alone is scored by the AUC it adds on a
# validation split of them (rows 1-6,000 learn, 6,001-8,000 validate), and the TOP pairs that add
# the most become the --interactions list. Then the test AUC with that list and without it (and
# with the 60 best pairs, near gannet's limit of 64 terms, for reference), and the training throughput both ways (examples/s over
# PASSES passes, from gannet's own "trained on N examples ... (S s)" line, so process start and
# parsing are out of it: --cache, read from memory-resident blocks).
#   usage: bench/criteo_interactions.sh [TOP] [PASSES]   (defaults 10 and 200)
source "$(dirname "$0")/common.sh"
TOP=${1:-10}
PASSES=${2:-200}
SHARED=${GN_SHARED_DATA:-$GN_SRC/../shared/data}
CRITEO=$SHARED/criteo/dac_train_first10k.txt.gz
[ -r "$CRITEO" ] || { echo "no $CRITEO: nothing to measure" >&2; exit 0; }
build_gannet
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
zcat "$CRITEO" | awk -v tr="$OUT/train.tsv" -v te="$OUT/test.tsv" 'NR <= 8000 {print > tr; next} {print > te}'
head -6000 "$OUT/train.tsv" > "$OUT/learn.tsv"
tail -2000 "$OUT/train.tsv" > "$OUT/valid.tsv"
CSV=(--format csv --sep tab --no-header --label 1 --numeric 2-14 --categorical 15-40 --log-numeric)
echo "# bench/criteo_interactions.sh $TOP $PASSES (commit $(git -C "$GN_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'),"
echo "#   $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"

auc() { # auc TRAIN TEST FLAGS...: test AUC of a model trained on TRAIN
    local tr=$1 te=$2
    shift 2
    "$GANNET" train -d "$tr" "${CSV[@]}" "$@" --threads 1 -m "$OUT/m.model" -q >/dev/null 2> "$OUT/err" ||
        { echo "gannet train $* failed:" >&2; cat "$OUT/err" >&2; exit 1; }
    "$GANNET" eval -m "$OUT/m.model" -d "$te" | awk '$1 == "auc" {print $2}'
}

base_valid=$(auc "$OUT/learn.tsv" "$OUT/valid.tsv")
: > "$OUT/pairs"
for a in $(seq 15 40); do
    for b in $(seq $((a + 1)) 40); do
        v=$(auc "$OUT/learn.tsv" "$OUT/valid.tsv" --interactions "$a*$b")
        echo "$a*$b $v" >> "$OUT/pairs"
    done
done
best() { sort -k2 -g -r "$OUT/pairs" | head -"$1" | awk '{printf "%s%s", (NR > 1 ? "," : ""), $1}'; }
PAIRS=$(best "$TOP")
MANY=$(best 60)
echo "validation AUC without crosses: $base_valid; the $TOP best pairs alone: $(sort -k2 -g -r "$OUT/pairs" | head -"$TOP" | awk '{printf "%s %s; ", $1, $2}')"

rate() { # rate FLAGS...: examples/s of training (PASSES passes from a cache)
    rm -f "$OUT/c.cache"
    "$GANNET" train -d "$OUT/train.tsv" "${CSV[@]}" "$@" --threads 1 --passes 1 --cache "$OUT/c.cache" -m "$OUT/r.model" -q >/dev/null 2>&1
    "$GANNET" train -d "$OUT/train.tsv" "${CSV[@]}" "$@" --threads 1 --passes "$PASSES" --cache "$OUT/c.cache" \
        -m "$OUT/r.model" 2>&1 | sed -n 's/^trained on \([0-9]*\) examples in .*(\([0-9.]*\) s)$/\1 \2/p' |
        awk '{printf "%.0f", $1 / $2}'
}

printf "%-28s %10s %12s\n" "Criteo 8k/2k, --log-numeric" "test AUC" "examples/s"
printf "%-28s %10s %12s\n" "no interactions" "$(auc "$OUT/train.tsv" "$OUT/test.tsv")" "$(rate)"
printf "%-28s %10s %12s\n" "$TOP chosen pairs" "$(auc "$OUT/train.tsv" "$OUT/test.tsv" --interactions "$PAIRS")" \
    "$(rate --interactions "$PAIRS")"
printf "%-28s %10s %12s\n" "60 best pairs" "$(auc "$OUT/train.tsv" "$OUT/test.tsv" --interactions "$MANY")" \
    "$(rate --interactions "$MANY")"
echo "chosen pairs: $PAIRS"
