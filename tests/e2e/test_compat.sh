#!/usr/bin/env bash
# test_compat.sh: model files written by format version 1 (gannet 0.1.0, tests/data/compat, never
# regenerated) still load through the model-kind registry and predict the very numbers that
# gannet printed then, through predict, eval, inspect and the library's batch scoring (the
# server's path); a file whose kind this build does not know is refused, not misread.
. "$(dirname "$0")/serve_common.sh"
G=$GANNET
D=$GN_SRC/tests/data/compat
[ -d "$D" ] || fail "missing $D"

for k in libsvm lbfgs csv vw; do
    case $k in libsvm | lbfgs) data=heart120.svm ;; csv) data=small.csv ;; vw) data=small.vw ;; esac
    run_ok "$G" predict -m "$D/v1_$k.gnm" -d "$D/$data" -o "$T/p_$k"
    cmp -s "$T/p_$k" "$D/v1_$k.pred" || {
        diff <(head -5 "$T/p_$k") <(head -5 "$D/v1_$k.pred") >&2
        fail "v1_$k.gnm: predictions differ from the ones version 1 wrote"
    }
    [ "$(wc -l <"$T/p_$k")" -gt 100 ] || fail "v1_$k.gnm: too few predictions"
    run_ok "$G" eval -m "$D/v1_$k.gnm" -d "$D/$data" --json
    run_ok "$G" inspect -m "$D/v1_$k.gnm" --json
    grep -q '"kind":"linear"' "$T/out" || fail "v1_$k.gnm: inspect does not show kind linear"
    ok "v1_$k.gnm loads and predicts exactly as version 1 did"
done

# the server scores through the same batch scoring: same numbers for the same lines
start_server "$T/server.log" -m "v1=$D/v1_libsvm.gnm"
head -20 "$D/heart120.svm" | cut -d' ' -f2- >"$T/lines.txt"
curl -s -X POST -H 'Content-Type: text/plain' --data-binary @"$T/lines.txt" "$BASE/v1/models/v1:predict" >"$T/resp.json"
python3 -c 'import json,sys
got = json.load(open(sys.argv[1]))["predictions"]
want = [float(x) for x in open(sys.argv[2]).read().split()[:20]]
assert len(got) == 20, len(got)
bad = [(a, b) for a, b in zip(got, want) if abs(a - b) > 1e-9 * max(1, abs(b))]
assert not bad, bad[:3]' "$T/resp.json" "$D/v1_libsvm.pred" || fail "the server's predictions differ from version 1's"
ok "the server predicts version 1's numbers"

# an unknown kind is refused with a message naming it (rewrite kind and checksum with python)
python3 - "$D/v1_libsvm.gnm" "$T/alien.gnm" <<'PY' || fail "could not write the alien model"
import struct, sys, ctypes, ctypes.util
data = bytearray(open(sys.argv[1], 'rb').read())
hl = struct.unpack_from('<I', data, 20)[0]
hdr = bytes(data[40:40 + hl]).replace(b'"kind":"linear"', b'"kind":"alien!"')
assert len(hdr) == hl
data[40:40 + hl] = hdr
lib = ctypes.CDLL(ctypes.util.find_library('xxhash') or 'libxxhash.so.0')
lib.XXH3_64bits.restype = ctypes.c_uint64
lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
body = bytes(data[:-8])
data[-8:] = struct.pack('<Q', lib.XXH3_64bits(body, len(body)))
open(sys.argv[2], 'wb').write(data)
PY
run "$G" inspect -m "$T/alien.gnm"
expect_rc 2 "unknown kind"
expect_err "model kind 'alien!' is not supported" "unknown kind refused"
ok "a model of an unknown kind is refused"
