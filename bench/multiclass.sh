#!/usr/bin/env bash
# bench/multiclass.sh: one-pass training throughput (examples/s) of multiclass models on a
# generated set (ROWS rows, 20 features of 40 per row, hashed; the class is the argmax of K
# planted linear scores; bench/gen-multiclass.c, compiled into BENCH_DATA) for K = 2, 20, 100
# classes: softmax vs --oaa (logistic), and the binary logistic figure on the same rows (K binary models cost about K times that, per example).
# Usage: bench/multiclass.sh [ROWS] (default 200000; the issue's full figure: 1000000).
# Single-threaded (--threads 1) so the figures compare per core.
. "$(dirname "$0")/common.sh"
ROWS=${1:-200000}
build_gannet
OUT=$BENCH_DATA/multiclass
mkdir -p "$OUT"
GEN=$OUT/gen-multiclass # bench/gen-multiclass.c (the class of 40 planted linear scores)
[ -x "$GEN" ] && [ "$GEN" -nt "$GN_SRC/bench/gen-multiclass.c" ] || cc -O2 -o "$GEN" "$GN_SRC/bench/gen-multiclass.c"
printf '%-5s %14s %14s %14s %14s\n' K softmax oaa binary binary/K
for K in 2 20 100; do
    f=$OUT/mc_${K}_${ROWS}.svm
    [ -s "$f" ] || "$GEN" "$ROWS" "$K" > "$f"
    [ -s "$f.bin" ] || "$GEN" "$ROWS" "$K" --binary > "$f.bin"
    rate() { # examples/s of one training run
        local t0 t1
        t0=$(date +%s.%N)
        "$GANNET" train -d "$1" "${@:2}" --passes 1 --threads 1 -m "$OUT/m.gnm" --quiet >/dev/null
        t1=$(date +%s.%N)
        awk -v n="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
    }
    sm=$(rate "$f" --loss softmax)
    oaa=$(rate "$f" --oaa --loss logistic)
    bin=$(rate "$f.bin" --loss logistic)
    printf '%-5s %14s %14s %14s %14s\n' "$K" "$sm" "$oaa" "$bin" "$(awk -v b="$bin" -v k="$K" 'BEGIN { printf "%.0f", b / k }')"
done
