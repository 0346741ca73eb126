#!/usr/bin/env bash
# fuzz/build.sh: builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# against the library sources, and optionally runs each one.
#   fuzz/build.sh [OUTDIR]                  build into OUTDIR (default build-fuzz)
#   fuzz/build.sh OUTDIR run SECONDS        build, then fuzz each target for SECONDS
#   fuzz/build.sh OUTDIR smoke RUNS         build, then run each target RUNS inputs (fixed seed)
# Targets: fuzz_parser (LIBSVM/CSV/VW line parsing), fuzz_predict_line (gn_model_predict_line),
# fuzz_source (line reader + gzip/zstd + detection + parsers), fuzz_model_load (gn_model_load),
# fuzz_serve_body (the server's predict bodies: JSON reader + text lines), fuzz_csv (the CSV reader:
# RFC 4180 quoting, BOM, CRLF, NA tokens, header detection, label columns, records across parts).
# Seeds are in fuzz/corpus/<target>/; new corpus entries go to OUTDIR/corpus/<target>/ and
# crashes to OUTDIR/crashes/. The model loader is built with
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION so wrong checksums do not hide the checks behind them.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-build-fuzz}
MODE=${2:-build}
ARG=${3:-60}
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz/build.sh: $CC not found (apt-get install clang)" >&2; exit 1; }
mkdir -p "$OUT/obj" "$OUT/crashes"
OUT=$(cd "$OUT" && pwd)

PKGS="libzstd libxxhash jansson libmicrohttpd zlib"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DGN_HAVE_MPI=0
        -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -I$SRC/include -I$SRC/src $(pkg-config --cflags $PKGS)"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
LIBS="$(pkg-config --libs $PKGS) -lm -lpthread"

# The library, instrumented for coverage (fuzzer-no-link), one object per source.
objs=()
for c in "$SRC"/src/*/*.c "$SRC"/src/*/*/*.c; do
    [ -e "$c" ] || continue
    rel=${c#"$SRC"/src/}
    o=$OUT/obj/${rel//\//_}
    o=${o%.c}.o
    if [ ! -e "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find "$SRC/src" "$SRC/include" -name '*.h' -newer "$o" | head -1)" ]; then
        # shellcheck disable=SC2086
        "$CC" $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$c" -o "$o"
    fi
    objs+=("$o")
done
rm -f "$OUT/libgannet_fuzz.a"
ar rcs "$OUT/libgannet_fuzz.a" "${objs[@]}"

targets=(fuzz_parser fuzz_predict_line fuzz_source fuzz_model_load fuzz_serve_body fuzz_csv)
for t in "${targets[@]}"; do
    # shellcheck disable=SC2086
    "$CC" $CFLAGS $SAN -fsanitize=fuzzer "$SRC/fuzz/$t.c" "$OUT/libgannet_fuzz.a" $LIBS -o "$OUT/$t"
done
echo "fuzz/build.sh: built ${targets[*]} in $OUT"

case "$MODE" in
build) exit 0 ;;
run | smoke)
    rc=0
    for t in "${targets[@]}"; do
        corpus=$OUT/corpus/${t#fuzz_}
        mkdir -p "$corpus"
        if [ "$MODE" = run ]; then limit=(-max_total_time="$ARG"); else limit=(-runs="$ARG" -seed=1); fi
        echo "== $t ${limit[*]}"
        (cd "$OUT/crashes" && "$OUT/$t" "${limit[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$OUT/crashes/$t-" -print_final_stats=1 "$corpus" "$SRC/fuzz/corpus/${t#fuzz_}") \
            > "$OUT/$t.log" 2>&1 || { rc=1; echo "$t FAILED: see $OUT/$t.log" >&2; tail -n 40 "$OUT/$t.log" >&2; }
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|cov:' "$OUT/$t.log" | tail -n 3
    done
    exit $rc ;;
*) echo "usage: fuzz/build.sh [OUTDIR [build|run SECONDS|smoke RUNS]]" >&2; exit 2 ;;
esac
