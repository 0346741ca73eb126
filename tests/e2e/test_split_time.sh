#!/usr/bin/env bash
# tests/e2e/test_split_time.sh: `gannet split --by time` (issue 15): on a generated ratings CSV
# with shuffled timestamps (ties included) and string ids with commas, the test file holds
# exactly the latest rows (of all rows, and with --per user of each user's: round(F x n)), the
# two files together are the input (file order kept, the header in both); the MF model trains
# and evaluates on the split; a time that is not a number names file:line and leaves no output;
# stdin and --by random are refused.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "/usr/bin/python3 is not installed"

awk 'BEGIN {
    srand(3); print "user,item,rating,timestamp"
    for (n = 0; n < 1500; n++) {
        u = int(rand() * 60); i = int(rand() * 40)
        printf "u%d,\"it,%d\",%.1f,%d\n", u, i, 1 + int(rand() * 9) / 2, 1500000000 + int(rand() * 3000) * 7
    }
}' > "$T/r.csv"

# check.py DATA TRAIN TEST F [GROUPCOL]: the split is exactly the latest rows
cat > "$T/check.py" <<'PY'
import csv, math, sys
data, train, test, f = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
group = sys.argv[5] if len(sys.argv) > 5 else None
rd = lambda p: list(csv.reader(open(p, newline="")))
rows, tr, te = rd(data), rd(train), rd(test)
hdr, rows = rows[0], rows[1:]
assert tr[0] == hdr and te[0] == hdr, "header missing from an output"
tr, te = tr[1:], te[1:]
ti, gi = hdr.index("timestamp"), (hdr.index(group) if group else None)
groups = {}
for k, r in enumerate(rows):
    groups.setdefault(r[gi] if group else "", []).append(k)
want = set()
for ks in groups.values():
    ks.sort(key=lambda k: (float(rows[k][ti]), k))
    take = int(math.floor(f * len(ks) + 0.5))
    want.update(ks[len(ks) - take:])
exp_te = [rows[k] for k in range(len(rows)) if k in want]
exp_tr = [rows[k] for k in range(len(rows)) if k not in want]
assert te == exp_te, "test rows are not the latest ones (%d vs %d expected)" % (len(te), len(exp_te))
assert tr == exp_tr, "train rows are not the others in file order"
print(len(tr), len(te))
PY

run_ok "$GANNET" split --by time --time-col timestamp --test 0.2 "$T/r.csv" --train-out "$T/tr.csv" --test-out "$T/te.csv" --json
[ "$(json_get "$T/out" .test)" = 300 ] || fail "global split: $(json_get "$T/out" .test) test rows, expected 300"
$PY "$T/check.py" "$T/r.csv" "$T/tr.csv" "$T/te.csv" 0.2 > "$T/chk" || fail "global time split is wrong"
ok "global: the latest 20% (train/test rows: $(cat "$T/chk"))"

run_ok "$GANNET" split --by time --time-col 4 --per user --test 0.25 "$T/r.csv" --train-out "$T/tru.csv" --test-out "$T/teu.csv"
$PY "$T/check.py" "$T/r.csv" "$T/tru.csv" "$T/teu.csv" 0.25 user > "$T/chk" || fail "per-user time split is wrong"
ok "per user: each user's latest 25% (train/test rows: $(cat "$T/chk"))"

# the split feeds training and evaluation
run_ok "$GANNET" train --kind mf --user user --item item --rating rating --ignore timestamp "$T/tru.csv" -m "$T/m" --quiet
run_ok "$GANNET" eval -m "$T/m" "$T/teu.csv" --json
[ "$(json_get "$T/out" .rmse)" != null ] || fail "eval on the time split gave no rmse"
ok "train/eval on the per-user time split: rmse $(json_get "$T/out" .rmse)"

# errors: a bad time names file:line and writes nothing; stdin, --by random, a missing column
sed '7s/,[0-9]*$/,yesterday/' "$T/r.csv" > "$T/bad.csv"
run "$GANNET" split --by time --time-col timestamp "$T/bad.csv" --train-out "$T/b1" --test-out "$T/b2"
[ "$RC" -ne 0 ] && grep -q "bad.csv:7: time 'yesterday' is not a number" "$T/err" || fail "bad time: $(cat "$T/err")"
ls "$T"/b1* "$T"/b2* >/dev/null 2>&1 && fail "a failed split left output files"
run "$GANNET" split --by time --time-col timestamp - --train-out "$T/b1" --test-out "$T/b2" < "$T/r.csv"
[ "$RC" -ne 0 ] && grep -q "stdin" "$T/err" || fail "stdin input was not refused: $(cat "$T/err")"
run "$GANNET" split --by random --time-col timestamp "$T/r.csv" --train-out "$T/b1" --test-out "$T/b2"
[ "$RC" -ne 0 ] && grep -q "only 'time'" "$T/err" || fail "--by random was not refused: $(cat "$T/err")"
run "$GANNET" split --by time --time-col when "$T/r.csv" --train-out "$T/b1" --test-out "$T/b2"
[ "$RC" -ne 0 ] && grep -q "no column 'when'" "$T/err" || fail "a missing time column: $(cat "$T/err")"
ok "errors"
