#!/usr/bin/env bash
# bench/throughput.sh: one-pass training throughput of the current gannet against a baseline
# gannet built from a git ref (issue 12: the scale-free default learner must stay within 10% of
# the baseline's speed on LIBSVM text, and must not lose quality). Default flags apart from
# --threads (and --bits when BITS is set), one pass, whole process timed (reading, parsing,
# learning, saving the model); the page cache is warmed first.
#   data: a9a (../shared/data/a9a/a9a.gz, decompressed and concatenated 10x: 325,610 rows),
#         the synthetic set (gen-synth 1000000 50 1000000 1, as bench/train.sh and scale.sh
#         make it), the Criteo sample (raw TSV, concatenated 20x: 200,000 rows, `--format csv
#         --sep tab --no-header --label 1 --numeric 2-14 --categorical 15-40`);
#   runs: --threads 1 and the default threads (all cores), RUNS runs each, baseline and current
#         alternating so that machine noise hits both alike; medians of wall time, CPU time,
#         examples/s, MB/s (decimal) and peak RSS, and the ratio current/baseline of examples/s
#         (above 1: current is faster; the target is >= 0.90 on the LIBSVM sets);
#   quality: test AUC of both binaries, one pass with --threads 1 (deterministic): trained on
#         a9a.gz, tested on a9a.t.gz; trained on the synthetic train file, tested on
#         synth_test.libsvm (gen-synth 100000 50 1000000 2, same planted model).
# The baseline: `git archive BASE_REF` exported to bench/out/base-<commit>/src (a clean copy of
# that commit; nothing is added to the repository's worktree list) and built there with
# BASE_CMAKE_FLAGS, once: later runs reuse bench/out/base-<commit>/build/bin/gannet.
#   usage: bench/throughput.sh [RUNS]   (default 3)
#   env:   GANNET (current, default build/bin/gannet), BASE_REF (default 879416f, the commit
#          before issue 12's work), BASE_GANNET (use this binary as the baseline instead of
#          building one), BASE_CMAKE_FLAGS (default "-DCMAKE_BUILD_TYPE=Release -DGN_WERROR=ON",
#          as the current build), GN_SHARED_DATA (default ../shared/data), BENCH_DATA (default
#          bench/data), BITS (passed as --bits to every run when set; default: gannet's default),
#          SYNTH_ROWS (rows of the synthetic train file, default 1000000), ONLY="a9a synth criteo".
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
SHARED=${GN_SHARED_DATA:-$GN_SRC/../shared/data}
BASE_REF=${BASE_REF:-879416f}
BASE_CMAKE_FLAGS=${BASE_CMAKE_FLAGS:--DCMAKE_BUILD_TYPE=Release -DGN_WERROR=ON}
SYNTH_ROWS=${SYNTH_ROWS:-1000000}
ONLY=${ONLY:-a9a synth criteo}
A9A=$SHARED/a9a/a9a.gz
A9A_TEST=$SHARED/a9a/a9a.t.gz
CRITEO=$SHARED/criteo/dac_train_first10k.txt.gz
BITS_FLAG=()
[ -n "${BITS:-}" ] && BITS_FLAG=(--bits "$BITS")
for f in "$A9A" "$A9A_TEST" "$CRITEO"; do
    [ -r "$f" ] || { echo "missing data: $f (set GN_SHARED_DATA)" >&2; exit 1; }
done
wants() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
show() { printf '+'; printf ' %q' "$@"; printf '\n'; }
build_gannet

# the baseline binary, built once per commit
if [ -z "${BASE_GANNET:-}" ]; then
    base_commit=$(git -C "$GN_SRC" rev-parse --verify "$BASE_REF^{commit}") ||
        { echo "BASE_REF $BASE_REF is not a commit of this repository" >&2; exit 1; }
    base_dir=$GN_SRC/bench/out/base-$base_commit
    BASE_GANNET=$base_dir/build/bin/gannet
    if [ ! -x "$BASE_GANNET" ]; then
        echo "building the baseline gannet at $BASE_REF ($base_commit) in $base_dir (once)" >&2
        rm -rf "$base_dir"
        mkdir -p "$base_dir/src"
        git -C "$GN_SRC" archive "$base_commit" | tar -x -C "$base_dir/src"
        # shellcheck disable=SC2086  # BASE_CMAKE_FLAGS is a list of flags
        cmake -S "$base_dir/src" -B "$base_dir/build" $BASE_CMAKE_FLAGS > "$base_dir/build.log" 2>&1 &&
            cmake --build "$base_dir/build" -j"$(nproc)" --target gannet_cli >> "$base_dir/build.log" 2>&1 ||
            { tail -20 "$base_dir/build.log" >&2; echo "baseline build failed (log: $base_dir/build.log)" >&2; exit 1; }
    fi
fi
[ -x "$BASE_GANNET" ] || { echo "baseline binary $BASE_GANNET not found" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cut -d' ' -f1 /proc/loadavg > "$OUT/load"
echo "# bench/throughput.sh $RUNS   ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "#   current:  $GANNET (commit $(git -C "$GN_SRC" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$GN_SRC" diff --quiet HEAD -- src cli include 2>/dev/null || echo ' + uncommitted changes'))"
echo "#   baseline: $BASE_GANNET (BASE_REF=$BASE_REF${base_commit:+, $base_commit})"
echo "# reproduce: GANNET=$GANNET BASE_REF=$BASE_REF ${BITS:+BITS=$BITS }bench/throughput.sh $RUNS"

# one-time data: concatenations in BENCH_DATA, written atomically
concat_once() {   # concat_once OUTFILE TIMES SOURCE.gz
    local out=$1 n=$2 src=$3
    if [ ! -s "$out" ] || [ "$src" -nt "$out" ]; then
        echo "writing $out (zcat $src, $n times)" >&2
        for i in $(seq "$n"); do zcat "$src"; done > "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
    fi
}

# pair NAME FILE ROWS FLAGS...: RUNS alternating timed runs of baseline and current
# `gannet train -d FILE FLAGS`; one row of medians each and the ratio current/baseline of examples/s.
pair() {
    local name=$1 file=$2 rows=$3; shift 3
    set -- --passes 1 "$@" # one pass for both (the current default, passes auto, may make several)
    local bytes
    bytes=$(stat -c %s "$file")
    show gannet train -d "$file" -m model.gnm "$@" --quiet
    : > "$OUT/base"; : > "$OUT/cur"
    for i in $(seq "$RUNS"); do
        timed "$OUT/base" "$BASE_GANNET" train -d "$file" -m "$OUT/b.gnm" "$@" --quiet > /dev/null 2> "$OUT/err" ||
            { echo "  baseline FAILED: $(tail -2 "$OUT/err")"; return 0; }
        timed "$OUT/cur" "$GANNET" train -d "$file" -m "$OUT/c.gnm" "$@" --quiet > /dev/null 2> "$OUT/err" ||
            { echo "  current FAILED: $(tail -2 "$OUT/err")"; return 0; }
    done
    local who w c r
    for who in base cur; do
        w=$(awk '{print $1}' "$OUT/$who" | median)
        c=$(awk '{print $2 + $3}' "$OUT/$who" | median)
        r=$(awk '{print $4}' "$OUT/$who" | median)
        echo "$w $c" > "$OUT/$who.med"
        awk -v n="$name" -v who="$who" -v rows="$rows" -v bytes="$bytes" -v w="$w" -v c="$c" -v r="$r" 'BEGIN {
            printf "  %-26s %-8s wall %6.2f s  cpu %6.2f s  %10.0f ex/s  %7.1f MB/s  peak RSS %7.1f MiB\n",
                n, (who == "cur" ? "current" : "baseline"), w, c, rows / w, bytes / w / 1e6, r / 1024 }'
    done
    read -r bw bc < "$OUT/base.med"
    read -r cw cc < "$OUT/cur.med"
    awk -v n="$name" -v bw="$bw" -v bc="$bc" -v cw="$cw" -v cc="$cc" -v runs="$RUNS" 'BEGIN {
        printf "  %-26s ratio current/baseline: ex/s %.3f, ex per CPU-second %.3f  (medians of %d)\n", n, bw / cw, bc / cc, runs
        printf "%s\t%.6f\t%.6f\n", n, bw / cw, bc / cc >> "'"$OUT/ratios"'" }'
}

# auc_pair NAME TRAIN TEST FLAGS...: test AUC of baseline and current, one pass, --threads 1.
auc_pair() {
    local name=$1 train=$2 test=$3; shift 3
    set -- --passes 1 "$@"
    echo "+ gannet train -d $train -m model.gnm --threads 1${*:+ $*} --quiet && gannet eval -m model.gnm -d $test --json"
    local who bin a
    for who in baseline current; do
        bin=$BASE_GANNET; [ "$who" = current ] && bin=$GANNET
        if "$bin" train -d "$train" -m "$OUT/q.gnm" --threads 1 "$@" --quiet > /dev/null 2> "$OUT/err" &&
           "$bin" eval -m "$OUT/q.gnm" -d "$test" --json > "$OUT/e.json" 2>> "$OUT/err"; then
            a=$("$PY" -c 'import json, sys; e = json.load(open(sys.argv[1])); print("AUC %.6f  logloss %.6f" % (e["auc"], e["logloss"]))' "$OUT/e.json")
        else
            a="FAILED: $(tail -1 "$OUT/err")"
        fi
        printf "  %-26s %-8s test %s\n" "$name" "$who" "$a"
    done
}

: > "$OUT/ratios"
if wants a9a; then
    A9A10=$BENCH_DATA/a9a_x10.libsvm
    echo "+ for i in \$(seq 10); do zcat $A9A; done > a9a_x10.libsvm"
    concat_once "$A9A10" 10 "$A9A"
    rows=$(wc -l < "$A9A10")
    echo "== a9a x10 (LIBSVM text, $rows rows, $(( $(stat -c %s "$A9A10") / 1000000 )) MB)"
    pair "a9a x10, --threads 1" "$A9A10" "$rows" --threads 1 "${BITS_FLAG[@]}"
    pair "a9a x10, default threads" "$A9A10" "$rows" "${BITS_FLAG[@]}"
    auc_pair "a9a -> a9a.t" "$A9A" "$A9A_TEST" "${BITS_FLAG[@]}"
fi

if wants synth; then
    if [ "$SYNTH_ROWS" = 1000000 ]; then
        synth_default
        STRAIN=$BENCH_DATA/synth_train.libsvm
    else
        STRAIN=$BENCH_DATA/synth_train_$SYNTH_ROWS.libsvm
        synth "$STRAIN" "$SYNTH_ROWS" 50 1000000 1
        synth "$BENCH_DATA/synth_test.libsvm" 100000 50 1000000 2
    fi
    STEST=$BENCH_DATA/synth_test.libsvm
    echo "+ gen-synth $SYNTH_ROWS 50 1000000 1 > $(basename "$STRAIN"); gen-synth 100000 50 1000000 2 > synth_test.libsvm"
    cat "$STRAIN" > /dev/null   # warm the page cache: we measure the trainer, not the disk
    rows=$(wc -l < "$STRAIN")
    echo "== synthetic (LIBSVM text, $rows x 50 over 1,000,000 features, $(( $(stat -c %s "$STRAIN") / 1000000 )) MB)"
    pair "synthetic, --threads 1" "$STRAIN" "$rows" --threads 1 "${BITS_FLAG[@]}"
    pair "synthetic, default threads" "$STRAIN" "$rows" "${BITS_FLAG[@]}"
    auc_pair "synthetic -> held-out" "$STRAIN" "$STEST" "${BITS_FLAG[@]}"
fi

if wants criteo; then
    C20=$BENCH_DATA/criteo_x20.tsv
    echo "+ for i in \$(seq 20); do zcat $CRITEO; done > criteo_x20.tsv"
    concat_once "$C20" 20 "$CRITEO"
    rows=$(wc -l < "$C20")
    CSV=(--format csv --sep tab --no-header --label 1 --numeric 2-14 --categorical 15-40)
    echo "== Criteo x20 (raw TSV, $rows rows, $(( $(stat -c %s "$C20") / 1000000 )) MB)"
    pair "criteo x20, --threads 1" "$C20" "$rows" "${CSV[@]}" --threads 1 "${BITS_FLAG[@]}"
    pair "criteo x20, default threads" "$C20" "$rows" "${CSV[@]}" "${BITS_FLAG[@]}"
    echo "  (Criteo test AUC of either binary: GANNET=... bench/realdata.sh)"
fi

echo "== summary: ratio current/baseline (target: ex/s >= 0.90 on LIBSVM text, a9a and synthetic)"
printf "  %-28s %8s %14s\n" "" "ex/s" "ex/CPU-second"
awk -F'\t' '{ libsvm = ($1 ~ /^(a9a|synthetic)/)
    printf "  %-28s %8.3f %14.3f%s\n", $1, $2, $3, libsvm ? ($2 >= 0.90 ? "   met" : "   NOT met") : "" }' "$OUT/ratios"
awk '$1 > 1.5 { printf "  (load average was %s when this run started: on a busy machine the wall-time ratios are noise;\n   the CPU-time ratios hold up better. Rerun on a quiet machine for the record.)\n", $1 }' "$OUT/load"
