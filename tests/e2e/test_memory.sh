#!/usr/bin/env bash
# tests/e2e/test_memory.sh: memory does not grow with the data (learn/train.c, io/source.c,
# io/cache.c, io/pipeline.c). Each worker holds one batch and one 1 MiB read buffer (about 2 MiB in flight per
# thread); a generated file of at least 20x that bound for 2 threads is trained on from text and
# from the cache, and the peak RSS (getrusage of the child, via /usr/bin/time or python3) must
# stay under a fixed bound, and must not grow when the file is 3 times larger; likewise with
# --shuffle (chunks and cache blocks in a random order, a bounded buffer).
. "$(dirname "$0")/lib.sh"

peak_kb() { # peak_kb CMD...: runs CMD, prints its peak RSS in KiB
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$T/rss" "$@" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; fail "'$*' failed"; }
        tail -n 1 "$T/rss"
    elif [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import resource,subprocess,sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
if r.returncode: sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@" || fail "'$*' failed"
    else
        skip "neither /usr/bin/time nor /usr/bin/python3 to measure memory"
    fi
}

# ~80 MB of LIBSVM: 20x a queue bound of 4 MiB (2 threads x (1 MiB buffer + 1 batch)) = 80 MiB
gen_planted 40000 5 60 > "$T/base.svm"
for i in 1 2 3 4 5 6 7 8; do cat "$T/base.svm"; done > "$T/big.svm"
size=$(stat -c %s "$T/big.svm")
check "$size" ">=" $((80 << 20)) "generated file is at least 20x the in-flight bound"

# KiB: the process's own footprint (code and shared libraries such as OpenBLAS, sanitizer
# runtimes; measured on `gannet --version`) plus 32 MiB: a 2^18-slot FTRL table is 4 MiB, the rest
# is buffers and libc
base=$(peak_kb "$GANNET" --version)
bound=$((base + (32 << 10)))
rss=$(peak_kb "$GANNET" train --passes 1 -d "$T/big.svm" -m "$T/m.gnm" --bits 18 --threads 2 --quiet)
check "$rss" "<" "$bound" "peak RSS (KiB) training 2 threads on $((size >> 20)) MiB of text"
rss1=$(peak_kb "$GANNET" train --passes 1 -d "$T/big.svm" -m "$T/m.gnm" --bits 18 --threads 1 --quiet)
check "$rss1" "<" "$bound" "peak RSS (KiB) training 1 thread on $((size >> 20)) MiB of text"
rssc=$(peak_kb "$GANNET" train -d "$T/big.svm" -m "$T/m.gnm" --bits 18 --threads 2 --quiet --cache "$T/big.cache" --passes 2)
check "$rssc" "<" "$bound" "peak RSS (KiB) making and reading a cache of $((size >> 20)) MiB of text"

gzip -1 -c "$T/big.svm" > "$T/big.svm.gz"
rssz=$(peak_kb "$GANNET" train --passes 1 -d "$T/big.svm.gz" -m "$T/m.gnm" --bits 18 --threads 2 --quiet)
check "$rssz" "<" "$bound" "peak RSS (KiB) training 2 threads on gzip (reader thread + chunk queues)"

# --shuffle adds the buffer (4096 examples of ~37 features: ~1.2 MiB per thread, more under
# sanitizers) and, from the cache, the blocks read at once (up to 32 of 256 KiB per thread): up
# to 16 MiB more; never the input
SH=(--shuffle --shuffle-buffer 4096)
sbound=$((bound + (16 << 10)))
rsss=$(peak_kb "$GANNET" train -d "$T/big.svm" -m "$T/m.gnm" --bits 18 --threads 2 --quiet "${SH[@]}" --passes 2)
check "$rsss" "<" "$sbound" "peak RSS (KiB) training 2 threads with --shuffle on $((size >> 20)) MiB of text"
rsssc=$(peak_kb "$GANNET" train -d "$T/big.svm" -m "$T/m.gnm" --bits 18 --threads 2 --quiet "${SH[@]}" --cache "$T/big.cache" --passes 2)
check "$rsssc" "<" "$sbound" "peak RSS (KiB) reading a cache of $((size >> 20)) MiB of text with --shuffle"

# a file 3 times larger needs no more memory (within 4 MiB of noise)
head -c $((size / 3)) "$T/big.svm" | head -n -1 > "$T/third.svm"
rss_small=$(peak_kb "$GANNET" train --passes 1 -d "$T/third.svm" -m "$T/m.gnm" --bits 18 --threads 2 --quiet)
check "$rss" "<" $((rss_small + 4096)) "peak RSS does not grow with the data ($rss_small KiB for a third of it)"
rss_small=$(peak_kb "$GANNET" train -d "$T/third.svm" -m "$T/m.gnm" --bits 18 --threads 2 --quiet "${SH[@]}" --passes 2)
check "$rsss" "<" $((rss_small + 4096)) "with --shuffle, peak RSS does not grow with the data ($rss_small KiB for a third)"
echo "all memory tests passed"
