#!/usr/bin/env bash
# bench/scale.sh: multi-core and cache throughput of `gannet train` on the issues' synthetic
# workload (gen-synth 1000000 50 1000000 1, --bits 20, logistic): one text pass with 1 and 2
# threads, one pass from the binary cache with 1 and 2 threads, up to 10 passes from the cache
# (best test AUC), and how throughput changes with --bits (18 20 24 28) and non-zeros per row.
# Medians of RUNS runs; wall time, CPU time, examples/s and peak RSS. The CPU column matters on
# a shared machine: examples/s per CPU-second is what the code does, wall time what the box gave.
#   usage: bench/scale.sh [RUNS]      (default 3)
#   env:   BENCH_DATA, GANNET (see common.sh); QUICK=1 skips the bits / nnz sweeps and the
#          10-pass run; BIG=1 also checks peak RSS on a 10x larger file (6.8 GB, generated in
#          BENCH_DATA and deleted afterwards).
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
synth_setup

# row NAME ROWS FILE: prints the medians of the runs recorded in FILE
row() {
    local name=$1 rows=$2 f=$3
    local w c r
    w=$(awk '{print $1}' "$f" | median)
    c=$(awk '{print $2+$3}' "$f" | median)
    r=$(awk '{print $4}' "$f" | median)
    awk -v n="$name" -v rows="$rows" -v w="$w" -v c="$c" -v r="$r" 'BEGIN {
        printf "%-34s wall %6.2f s  cpu %6.2f s  %9.0f ex/s  %9.0f ex/cpu-s  peak RSS %6.1f MiB\n",
            n, w, c, rows / w, rows / c, r / 1024 }'
}

# bench NAME N CMD...: runs CMD N times, then prints its row
bench() {
    local name=$1 n=$2; shift 2
    rm -f "$OUT/t"
    for i in $(seq "$n"); do timed "$OUT/t" "$@" >/dev/null 2>&1; done
    row "$name" "$ROWS" "$OUT/t"
}

cat "$TRAIN" > /dev/null # warm the page cache: we measure the trainer, not the disk
echo "== one pass, --bits 20, $ROWS rows, median of $RUNS"
for t in 1 2; do
    bench "text, $t thread(s)" "$RUNS" "$GANNET" train -d "$TRAIN" -m "$OUT/m.gnm" --bits 20 --threads $t --quiet
done
bench "text, 2 threads, --deterministic" "$RUNS" "$GANNET" train -d "$TRAIN" -m "$OUT/m.gnm" --bits 20 --threads 2 --deterministic --quiet
rm -f "$OUT/c"; timed "$OUT/c" "$GANNET" cache -d "$TRAIN" -o "$OUT/train.cache" --bits 20 >/dev/null
row "make the cache (1 thread)" "$ROWS" "$OUT/c"
echo "   cache size $(( $(stat -c %s "$OUT/train.cache") >> 20 )) MiB (text $(( $(stat -c %s "$TRAIN") >> 20 )) MiB)"
for t in 1 2; do
    bench "cache, $t thread(s)" "$RUNS" "$GANNET" train -d "$TRAIN" --cache "$OUT/train.cache" -m "$OUT/m.gnm" --bits 20 --threads $t --quiet
done

"$GANNET" train -d "$TRAIN" --cache "$OUT/train.cache" -m "$OUT/m.gnm" --bits 20 --threads 2 --quiet >/dev/null 2>&1
"$GANNET" predict -m "$OUT/m.gnm" -d "$TEST" -o "$OUT/p"
cut -d' ' -f1 "$TEST" | paste -d' ' - "$OUT/p" > "$OUT/ls"
echo "   test AUC after one pass from the cache, 2 threads: $(auc "$OUT/ls")"

if [ "${QUICK:-0}" != 1 ]; then
    echo "== up to 10 passes from the cache, 2 threads, holdout 0.05 keeps the best pass"
    rm -f "$OUT/t"
    timed "$OUT/t" "$GANNET" train -d "$TRAIN" --cache "$OUT/train.cache" -m "$OUT/m10.gnm" --bits 20 --threads 2 \
        --passes 10 --holdout 0.05 --early-stop 2 --quiet
    "$GANNET" predict -m "$OUT/m10.gnm" -d "$TEST" -o "$OUT/p"
    cut -d' ' -f1 "$TEST" | paste -d' ' - "$OUT/p" > "$OUT/ls"
    read -r w u s r < "$OUT/t"
    echo "   wall $w s, test AUC $(auc "$OUT/ls")"

    echo "== --bits sweep: one text pass, 2 threads"
    for b in 18 20 24 28; do
        bench "text, 2 threads, --bits $b" "$RUNS" "$GANNET" train -d "$TRAIN" -m "$OUT/m.gnm" --bits $b --threads 2 --quiet
    done
    echo "== non-zeros per row: 200,000 rows, one text pass, 2 threads"
    for nnz in 10 50 200; do
        synth "$BENCH_DATA/synth_nnz$nnz.libsvm" 200000 $nnz 1000000 3
        rm -f "$OUT/t"
        for i in $(seq "$RUNS"); do
            timed "$OUT/t" "$GANNET" train -d "$BENCH_DATA/synth_nnz$nnz.libsvm" -m "$OUT/m.gnm" --bits 20 --threads 2 --quiet >/dev/null 2>&1
        done
        row "nnz $nnz, 2 threads" 200000 "$OUT/t"
    done
fi

if [ "${BIG:-0}" = 1 ]; then
    echo "== peak RSS on a 10x larger file (generated, then deleted)"
    big=$BENCH_DATA/synth_big.libsvm
    for i in $(seq 10); do cat "$TRAIN"; done > "$big"
    rm -f "$OUT/t"
    timed "$OUT/t" "$GANNET" train -d "$big" -m "$OUT/m.gnm" --bits 20 --threads 2 --quiet >/dev/null 2>&1
    row "10x file, 2 threads" $((ROWS * 10)) "$OUT/t"
    rm -f "$big"
fi
