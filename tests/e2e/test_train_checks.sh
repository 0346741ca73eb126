#!/usr/bin/env bash
# tests/e2e/test_train_checks.sh: options and model files that must be refused with a clear
# message, and values that must be recorded as used (issue 13):
# - a learning rate that makes training diverge names the divergence, the rate and a hint
#   (train, cv), and writes no model; an lr above the table's limit names the limit;
# - the model metadata records the learning rate used when lr is 0 (the optimizer's default);
# - --shuffle-buffer 0 is refused by the parameter table's range;
# - cv --max-memory below a MiB prints the sizes in a unit that shows them;
# - the model loader refuses quantile_tau outside (0, 1) and a linear model with 2 weights per
#   slot (header rewritten, checksum recomputed).
. "$(dirname "$0")/lib.sh"
G=$GANNET

gen_planted 3000 3 20 > "$T/d.svm"

# divergence: named, with the rate and a hint; no model
run "$G" train -d "$T/d.svm" --bits 12 --quiet --passes 1 --lr 1e200 -m "$T/div.gnm"
expect_rc 2 "diverging lr"
expect_err "training diverged \(.*no longer finite.*\) with lr 1e\+200: use a smaller lr \(the default for ftrl is 0\.1\)" \
    "divergence named with the rate and a hint"
grep -q "weight 0 is not finite" "$T/err" && fail "the old message"
[ -e "$T/div.gnm" ] && fail "a diverged model was written"
run "$G" cv -d "$T/d.svm" --bits 12 -k 3 --lr 1e200
expect_rc 2 "cv with a diverging lr"
expect_err "training diverged .* with lr 1e\+200" "cv names the divergence"
run "$G" train -d "$T/d.svm" --bits 12 --quiet --lr 1e308 -m "$T/div.gnm"
expect_rc 2 "lr above the limit"
expect_err "lr: must be >= 0 and <= 1e\+300 \(got 1e308\)" "the limit is named"
ok "divergence and lr limits are named"

# the learning rate used is recorded
lr_of() {
    "$G" inspect -m "$1" --json > "$T/i.json" || fail "inspect $1"
    json_get "$T/i.json" .metadata.train.lr
}
run_ok "$G" train -d "$T/d.svm" --bits 12 --quiet --passes 1 -m "$T/ftrl.gnm"
check "$(lr_of "$T/ftrl.gnm")" == 0.1 "ftrl's default lr recorded"
run_ok "$G" train -d "$T/d.svm" --bits 12 --quiet --passes 1 --optimizer sgd -m "$T/sgd.gnm"
check "$(lr_of "$T/sgd.gnm")" == 0.5 "sgd's default lr recorded"
run_ok "$G" train -d "$T/d.svm" --bits 12 --quiet --passes 1 --loss squared -m "$T/ada.gnm"
check "$(lr_of "$T/ada.gnm")" == 0.5 "adagrad's default lr recorded"
run_ok "$G" train -d "$T/d.svm" --bits 12 --quiet --passes 1 --lr 0.25 -m "$T/lr.gnm"
check "$(lr_of "$T/lr.gnm")" == 0.25 "a given lr recorded"

# --shuffle-buffer 0: out of the table's range
run "$G" train -d "$T/d.svm" --bits 12 --quiet --shuffle-buffer 0 -m "$T/sb.gnm"
expect_rc 2 "--shuffle-buffer 0"
expect_err "shuffle_buffer: must be in \[1, 67108864\] \(got 0\)" "the range is named"
ok "--shuffle-buffer 0 refused"

# --max-memory below a MiB: sizes in a unit that shows them
run "$G" cv -d "$T/d.svm" --bits 12 -k 3 --max-memory 1K
expect_rc 2 "cv over --max-memory"
expect_err "needs about [0-9.]+ KiB for 3 candidate models \(1 configuration x 3 folds\), more than --max-memory 1\.0 KiB" \
    "sizes in KiB"
grep -q "0\.0 MiB" "$T/err" && fail "a size printed as 0.0 MiB"
ok "cv --max-memory 1K names the sizes in KiB"

# model files with a header the loader must refuse
edit_model() { # IN OUT PYTHON-STATEMENTS-ON-h [NWEIGHTS-FACTOR]
    python3 - "$@" <<'PY' || fail "could not rewrite $1"
import json, struct, sys, ctypes, ctypes.util
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
factor = int(sys.argv[4]) if len(sys.argv) > 4 else 1
data = open(src, 'rb').read()
flags, hl, nw, stored = struct.unpack_from('<IIQQ', data, 16)
assert flags & 1, "the model must be sparse"
h = json.loads(data[40:40 + hl])
exec(code)
hdr = json.dumps(h, separators=(',', ':'), sort_keys=True).encode()
out = bytearray(data[:40]) + hdr + data[40 + hl:-8]
struct.pack_into('<IIQQ', out, 16, flags, len(hdr), nw * factor, stored)
lib = ctypes.CDLL(ctypes.util.find_library('xxhash') or 'libxxhash.so.0')
lib.XXH3_64bits.restype = ctypes.c_uint64
lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
out += struct.pack('<Q', lib.XXH3_64bits(bytes(out), len(out)))
open(dst, 'wb').write(out)
PY
}
head -n 200 "$T/d.svm" | cut -d' ' -f1-3 > "$T/small.svm"
run_ok "$G" train -d "$T/small.svm" --bits 12 --quiet --passes 1 -m "$T/base.gnm"
edit_model "$T/base.gnm" "$T/same.gnm" 'pass'
run_ok "$G" inspect -m "$T/same.gnm"  # the rewrite itself is sound
edit_model "$T/base.gnm" "$T/tau.gnm" 'h["quantile_tau"] = -1'
run "$G" inspect -m "$T/tau.gnm"
expect_rc 2 "quantile_tau -1"
expect_err "tau\.gnm: header: key 'quantile_tau' is out of range \(-1 not in \(0, 1\)\)" "quantile_tau refused"
edit_model "$T/base.gnm" "$T/tau1.gnm" 'h["quantile_tau"] = 1.0; h["loss"] = "quantile"'
run "$G" predict -m "$T/tau1.gnm" -d "$T/small.svm"
expect_rc 2 "quantile_tau 1"
expect_err "quantile_tau' is out of range" "quantile_tau 1 refused"
edit_model "$T/base.gnm" "$T/wps.gnm" 'h["weights_per_slot"] = 2' 2
run "$G" inspect -m "$T/wps.gnm"
expect_rc 2 "a linear model with 2 weights per slot"
expect_err "wps\.gnm: header: key 'weights_per_slot' is 2, but a linear model has 1 weight per slot" "weights_per_slot refused"
ok "the loader refuses quantile_tau outside (0, 1) and weights_per_slot 2 for a linear model"
echo "all train checks passed"
