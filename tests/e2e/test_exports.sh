#!/usr/bin/env bash
# test_exports.sh: the shared libgannet.so exports the public gn_* calls and nothing else (no
# internal gn__ symbol, no helper without a prefix), and a program written against the public
# headers only links with it and runs: it trains through options set by name, predicts a batch
# with gn_model_predict_batch and reads the answers back.
. "$(dirname "$0")/lib.sh"
LIB=${GN_BUILD:-$GN_SRC/build}/lib/libgannet.so
[ -e "$LIB" ] || fail "no shared library at $LIB"
command -v nm >/dev/null || skip "nm is not installed"
nm -D --defined-only "$LIB" | awk '{ print $3 }' | sort -u >"$T/syms"
[ "$(wc -l <"$T/syms")" -ge 60 ] || fail "libgannet.so exports only $(wc -l <"$T/syms") symbols"
if grep -v '^gn_' "$T/syms" | grep -v '^_' >"$T/bad"; [ -s "$T/bad" ]; then
    head "$T/bad" >&2
    fail "libgannet.so exports symbols without the gn_ prefix"
fi
if grep '^gn__' "$T/syms" >"$T/bad"; then head "$T/bad" >&2; fail "libgannet.so exports internal gn__ symbols"; fi
ok "libgannet.so exports $(wc -l <"$T/syms") gn_* calls and no internal symbol"

command -v cc >/dev/null || skip "no C compiler"
cat >"$T/client.c" <<'C'
#include <gannet/gannet.h>
#include <stdio.h>
int main(int argc, char **argv) {
    gn_train_options o;
    gn_data_spec s;
    gn_train_options_init(&o);
    gn_data_spec_init(&s);
    if (gn_param_set(&o, &s, "passes", "3") != GN_OK || gn_param_set(&o, &s, "bits", "12") != GN_OK ||
        gn_train_options_set(&o, "l2", "nope") == GN_OK) return 10;
    const char *paths[] = {argv[1]};
    gn_model *m = NULL;
    gn_status st = gn_train(&o, &s, paths, 1, NULL, NULL, &m, NULL);
    if (st != GN_OK) { fprintf(stderr, "%s\n", gn_last_error()); return 11; }
    size_t start[3] = {0, 2, 4};
    uint32_t index[4] = {0, 1, 0, 2};
    float value[4] = {1, 1, 1, 1};
    gn_rows rows = {2, start, index, value};
    double out[2];
    if (gn_model_outputs(m) != 1 || gn_model_predict_batch(m, &rows, out, 2) != GN_OK) return 12;
    index[1] = 1u << 20; /* outside 2^12 slots: refused */
    if (gn_model_predict_batch(m, &rows, out, 2) != GN_EINVAL) return 13;
    printf("%.6f %.6f\n", out[0], out[1]);
    gn_model_free(m);
    return 0;
}
C
# a sanitizer build's library needs the sanitizer runtime in its client too
SAN=""
nm -D "$LIB" >"$T/dynsyms" # (a pipe into grep -q would lose nm to SIGPIPE under pipefail)
grep -q ' U __asan' "$T/dynsyms" && SAN="-fsanitize=address,undefined"
cc -std=c11 -Wall -Werror $SAN -I"$GN_SRC/include" "$T/client.c" -L"$(dirname "$LIB")" -lgannet -o "$T/client" ||
    fail "a program using only the public headers does not build against libgannet.so"
printf '1 1:1\n-1 2:1\n1 1:1\n-1 2:1\n1 1:1 3:1\n-1 2:1 3:1\n' >"$T/d.svm"
LD_LIBRARY_PATH=$(dirname "$LIB") run_ok "$T/client" "$T/d.svm"
read -r p1 p2 <"$T/out"
python3 -c "import sys; sys.exit(0 if $p1 > 0.5 > $p2 else 1)" || fail "predictions $p1 $p2: feature 1 should be positive, 2 negative"
ok "a client of the public API links with libgannet.so, trains and predicts a batch ($p1 $p2)"
