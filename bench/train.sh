#!/usr/bin/env bash
# bench/train.sh: one single-threaded training pass from text, gannet vs LIBLINEAR (Debian's
# liblinear-tools, `liblinear-train -s 0 -B 1`) on the same synthetic files in the same run.
# Prints examples/s, peak RSS and test AUC of each, and the ratios.
#   usage: bench/train.sh [RUNS]        (default 5 gannet runs; LIBLINEAR runs once: ~30 s)
#   env:   BENCH_DATA (default bench/data), GANNET (default build/bin/gannet), BITS (20),
#          SKIP_LIBLINEAR=1 to time gannet only.
source "$(dirname "$0")/common.sh"
RUNS=${1:-5}
BITS=${BITS:-20}
synth_setup

echo "== gannet train, 1 pass, --threads 1 --bits $BITS, $ROWS rows, $RUNS runs"
THREADS_FLAG=""
"$GANNET" train --help | grep -q -- '--threads' && THREADS_FLAG="--threads 1"
for i in $(seq "$RUNS"); do
    timed "$OUT/gannet" "$GANNET" train -d "$TRAIN" -m "$OUT/model.gnm" --bits "$BITS" $THREADS_FLAG --quiet >/dev/null 2>&1
done
g_wall=$(awk '{print $1}' "$OUT/gannet" | median)
g_cpu=$(awk '{print $2+$3}' "$OUT/gannet" | median)
g_rss=$(awk '{print $4}' "$OUT/gannet" | median)
"$GANNET" predict -m "$OUT/model.gnm" -d "$TEST" -o "$OUT/gannet.pred"
cut -d' ' -f1 "$TEST" | paste -d' ' - "$OUT/gannet.pred" > "$OUT/gannet.ls"
g_auc=$(auc "$OUT/gannet.ls")
g_eps=$(awk -v n="$ROWS" -v t="$g_wall" 'BEGIN {printf "%.0f", n / t}')
printf "gannet     wall %.2f s (median)  cpu %.2f s  %s examples/s  peak RSS %.1f MiB  test AUC %s\n" \
    "$g_wall" "$g_cpu" "$g_eps" "$(echo "$g_rss / 1024" | bc -l)" "$g_auc"

if [ "${SKIP_LIBLINEAR:-0}" = 1 ] || ! command -v liblinear-train >/dev/null; then
    echo "(LIBLINEAR skipped)"
    exit 0
fi
echo "== liblinear-train -s 0 -B 1 (1 run)"
timed "$OUT/ll" liblinear-train -s 0 -B 1 -q "$TRAIN" "$OUT/ll.model"
liblinear-predict -b 1 "$TEST" "$OUT/ll.model" "$OUT/ll.pred" >/dev/null
# with -b 1 the first line names the label order ("labels 1 -1"): take P(+1)
col=$(head -1 "$OUT/ll.pred" | awk '{for (i = 2; i <= NF; i++) if ($i == "1" || $i == "+1") print i}')
tail -n +2 "$OUT/ll.pred" | awk -v c="$col" '{print $c}' > "$OUT/ll.p"
cut -d' ' -f1 "$TEST" | paste -d' ' - "$OUT/ll.p" > "$OUT/ll.ls"
l_auc=$(auc "$OUT/ll.ls")
read -r l_wall l_user l_sys l_rss < "$OUT/ll"
l_eps=$(awk -v n="$ROWS" -v t="$l_wall" 'BEGIN {printf "%.0f", n / t}')
printf "liblinear  wall %.2f s  cpu %.2f s  %s examples/s  peak RSS %.1f MiB  test AUC %s\n" \
    "$l_wall" "$(echo "$l_user + $l_sys" | bc -l)" "$l_eps" "$(echo "$l_rss / 1024" | bc -l)" "$l_auc"
echo "== ratios"
awk -v gw="$g_wall" -v lw="$l_wall" -v gr="$g_rss" -v lr="$l_rss" -v ga="$g_auc" -v la="$l_auc" 'BEGIN {
    printf "speed: gannet %.1fx faster   memory: gannet uses %.3fx   AUC: gannet - liblinear = %+.4f\n",
        lw / gw, gr / lr, ga - la }'
