#!/usr/bin/env bash
# tests/e2e/test_mf_select.sh: `gannet cv` and `gannet tune` for kind mf (select/mf_select.c) on
# small generated rating CSVs: cv prints finite rmse and ndcg@10 (text and --json, explicit and
# implicit); tune's best configuration is the best of its printed grid, and each printed score
# equals a separate `gannet cv` of that configuration; --split-by time folds never learn from
# rows later than their test rows (users who appear only later are unknown to every fold's
# model: a leak would make them known and the error small); a pipeline with
# data.split {by: time} and tune over time folds runs and its train part precedes its test part;
# bad flags are refused with a reason.
. "$(dirname "$0")/lib.sh"

# taste groups: users u0..u59 in 3 groups, items i0..i29; rating 4.5 inside the group's items,
# 1.5 outside (+ noise); rows in random order with random times
awk 'BEGIN {
    srand(11); print "user,item,rating,ts"
    for (u = 0; u < 60; u++) for (i = 0; i < 30; i++) {
        if (rand() > 0.45) continue
        r = (int(i / 10) == u % 3 ? 4.5 : 1.5) + (rand() - 0.5) * 0.4
        printf "u%d,i%d,%.3f,%d\n", u, i, r, int(rand() * 100000)
    }
}' > "$T/taste.csv"
[ "$(wc -l < "$T/taste.csv")" -gt 600 ] || fail "generated too few rows"
MF=(--kind mf --user user --item item --rating rating)
# mean_of FILE KEY: the "mean" object's KEY of a cv --json output (keys like ndcg@10)
mean_of() {
    if have_jq; then jq -r --arg k "$2" '.mean[$k]' "$1"
    else /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mean"][sys.argv[2]])' "$1" "$2"; fi
}
same6() { awk -v a="$1" -v b="$2" 'BEGIN { exit !((a - b) ^ 2 < 1e-11) }'; } # equal to the 6 printed digits
finite() { awk -v v="$1" 'BEGIN { exit !(v + 0 == v && v != "" && v != "nan" && v != "-nan" && v != "inf") }'; }

# 1. cv: finite rmse and ndcg@10, text and JSON
run_ok "$GANNET" cv "${MF[@]}" -d "$T/taste.csv" -k 3 --quiet
mean_line=$(grep '^mean ' "$T/out") || fail "cv: no mean row: $(cat "$T/out")"
grep -q 'ndcg@10' "$T/out" || fail "cv: no ndcg@10 column"
rmse=$(echo "$mean_line" | awk '{ print $4 }'); ndcg=$(echo "$mean_line" | awk '{ print $8 }')
finite "$rmse" && finite "$ndcg" || fail "cv: rmse '$rmse' ndcg@10 '$ndcg' not finite"
check "$rmse" "<" 0.8 "cv: mean rmse (ratings 1.5 vs 4.5)"
check "$ndcg" ">" 0.05 "cv: mean ndcg@10"
run_ok "$GANNET" cv "${MF[@]}" -d "$T/taste.csv" -k 3 --quiet --json
same6 "$(mean_of "$T/out" rmse)" "$rmse" || fail "cv --json rmse $(mean_of "$T/out" rmse) differs from the text's $rmse"
jn=$(mean_of "$T/out" ndcg@10)
same6 "$jn" "$ndcg" || fail "cv --json ndcg@10 $jn differs from the text's $ndcg"
[ "$(grep -o '"rmse"' "$T/out" | wc -l)" = 5 ] || fail "cv --json: 3 folds, mean and std expected: $(cat "$T/out")"
ok "cv --kind mf: rmse $rmse, ndcg@10 $ndcg (json $jn)"

run_ok "$GANNET" cv --kind mf --user user --item item --rating rating --implicit -d "$T/taste.csv" -k 3 --quiet \
    --metric ndcg@5 --json
in5=$(mean_of "$T/out" ndcg@5)
finite "$in5" && check "$in5" ">" 0.1 "cv --implicit: ndcg@5"

# 2. tune: the best row is the best of the grid, and each row's score is that configuration's cv
tune_check() { # METRIC DIRECTION(max|min) GRID FLAGS...
    local metric=$1 dir=$2 grid=$3; shift 3
    run_ok "$GANNET" tune "$@" -d "$T/taste.csv" -k 3 --quiet --grid "$grid" --metric "$metric" -m "$T/best.gnm"
    cp "$T/out" "$T/tune.txt"
    local rows best_row best_val
    rows=$(grep -E '^[0-9]+ ' "$T/tune.txt")
    [ "$(echo "$rows" | wc -l)" = 4 ] || fail "tune $metric: 4 rows expected: $(cat "$T/tune.txt")"
    best_row=$(echo "$rows" | grep -- '<- best') || fail "tune $metric: no row marked best"
    best_val=$(echo "$best_row" | awk '{ print $2 }')
    echo "$rows" | awk -v b="$best_val" -v d="$dir" '{ if ((d == "max" && $2 > b) || (d == "min" && $2 < b)) bad = 1 }
        END { exit bad }' || fail "tune $metric: a row beats the one marked best ($best_val): $rows"
    local params rank l2 other
    params=$(echo "$best_row" | grep -oE 'rank=[^ ]+ l2=[^ ]+')
    grep -q "^best: $params " "$T/tune.txt" || fail "tune $metric: the best line is not the marked row's ($params)"
    [ -s "$T/best.gnm" ] || fail "tune $metric: no best model saved"
    # the marked row's score and another row's are what gannet cv prints for those flags
    for line in "$best_row" "$(echo "$rows" | grep -v -- '<- best' | head -1)"; do
        rank=$(echo "$line" | grep -oE 'rank=[^ ]+' | cut -d= -f2); l2=$(echo "$line" | grep -oE 'l2=[^ ]+' | cut -d= -f2)
        run_ok "$GANNET" cv "$@" -d "$T/taste.csv" -k 3 --quiet --metric "$metric" --rank "$rank" --l2 "$l2" --json
        other=$(mean_of "$T/out" "$metric")
        same6 "$other" "$(echo "$line" | awk '{ print $2 }')" ||
            fail "tune $metric: row rank=$rank l2=$l2 prints $(echo "$line" | awk '{ print $2 }'), gannet cv gives $other"
    done
    ok "tune $metric: best $params ($best_val) is the $dir of the grid; rows agree with gannet cv"
}
tune_check rmse min 'rank=2,6;l2=0.05,2' "${MF[@]}"
tune_check ndcg@10 max 'rank=2,6;l2=0.01,5' --kind mf --user user --item item --rating rating --implicit
run_ok "$GANNET" recommend -m "$T/best.gnm" --user u1 -k 3
[ "$(grep -o ':' "$T/out" | wc -l)" = 3 ] || fail "the saved best model recommends 3 items: $(cat "$T/out")"

# 3. time folds: periods 0..3 (times p*1000 + 0..999), 300 rows each, in random file order. Group b
# of 10 users rates in periods b and b+1 (group -1: period 0 only, group 3: period 3 only), 15
# items each period; a user's ratings are all 5 or all 1. Forward chaining with 3 folds cuts the
# rows into the 4 periods: fold f learns periods 0..f and is tested on f+1, where half the users
# (group f+1) have no earlier rows: unknown to the model, predicted ~3, error ~2. A fold that
# learned from its test period or later would know them (small error), as hashed folds do.
awk 'BEGIN {
    srand(7)
    for (b = -1; b <= 3; b++) for (j = 0; j < 10; j++) for (p = b; p <= b + 1; p++) {
        if (p < 0 || p > 3) continue
        for (i = 0; i < 40; i++) pick[i] = i
        for (n = 0; n < 15; n++) { s = n + int(rand() * (40 - n)); t = pick[n]; pick[n] = pick[s]; pick[s] = t }
        for (n = 0; n < 15; n++)
            printf "%.9f,g%d_%d,i%d,%.2f,%d\n", rand(), b, j, pick[n], (j % 2 ? 1 : 5) + (rand() - 0.5) * 0.2, p * 1000 + int(rand() * 1000)
    }
}' | sort -t, -k1,1 | cut -d, -f2- > "$T/body.csv"
{ echo "user,item,rating,ts"; cat "$T/body.csv"; } > "$T/drift.csv"
[ "$(wc -l < "$T/body.csv")" = 1200 ] || fail "drift data: $(wc -l < "$T/body.csv") rows, expected 1200"
run_ok "$GANNET" cv "${MF[@]}" -d "$T/drift.csv" -k 3 --quiet --split-by time --time-col ts
grep -q 'forward-chaining time folds (by ts)' "$T/out" || fail "cv --split-by time says what it did: $(cat "$T/out")"
for f in 1 2 3; do
    line=$(awk -v f="$f" '$1 == f && $2 ~ /^[0-9]+$/' "$T/out")
    [ "$(echo "$line" | awk '{ print $2 }')" = 300 ] || fail "time fold $f tests $(echo "$line" | awk '{ print $2 }') rows, expected one period (300)"
    check "$(echo "$line" | awk '{ print $4 }')" ">" 1.0 "time fold $f: rmse (the test period's new users are unknown: no later rows learned)"
done
run_ok "$GANNET" cv "${MF[@]}" -d "$T/drift.csv" -k 3 --quiet
check "$(grep '^mean ' "$T/out" | awk '{ print $4 }')" "<" 0.7 "hashed folds on the same rows know every user (the contrast)"
# the time column may be given by index; tune takes time folds too
run_ok "$GANNET" tune "${MF[@]}" -d "$T/drift.csv" -k 3 --quiet --split-by time --time-col 4 --grid 'rank=2,4'
grep -q '<- best' "$T/out" || fail "tune --split-by time"
ok "time folds: rows later than a fold's test rows are never learned"

# 4. bad flags and data
run "$GANNET" cv "${MF[@]}" -d "$T/drift.csv" --split-by time
expect_rc 2 "--split-by time without --time-col"
expect_err "time-col" "--split-by time names --time-col"
run "$GANNET" cv "${MF[@]}" -d "$T/drift.csv" --split-by when --time-col ts
expect_rc 2 "--split-by when"
run "$GANNET" cv "${MF[@]}" -d "$T/drift.csv" --split-by time --time-col user
expect_rc "1|2" "a time column of ids"
expect_err "drift.csv:2: time 'g" "a time that is not a number names file:line"
printf '1 1:1\n0 2:1\n1 1:1\n0 2:1\n' > "$T/tiny.svm"
run "$GANNET" cv -d "$T/tiny.svm" -k 2 --split-by time --time-col 2
expect_rc "1|2" "--split-by time for kind linear"
expect_err "for kind mf" "--split-by time says it is for kind mf"
run "$GANNET" cv -d "$T/tiny.svm" -k 2 --metric ndcg@10
expect_rc "1|2" "--metric ndcg@10 for kind linear"
run "$GANNET" cv "${MF[@]}" -d "$T/taste.csv" --metric ndcg@0
expect_rc 2 "--metric ndcg@0"
ok "bad flags refused with reasons"

# 5. a pipeline: data.split by time, tune over time folds, train, eval, gate, publish
W=$T/pipe
mkdir -p "$W"
cp "$T/drift.csv" "$W/ratings.csv"
cat > "$W/p.yaml" <<'YAML'
name: recs
data: {train: [ratings.csv], split: {by: time, time_col: ts, test: 0.25}}
model: {kind: mf, user: user, item: item, rating: rating}
tune: {folds: 2, grid: {rank: [2, 4]}, metric: rmse, split_by: time, time_col: ts}
publish: {repository: models/}
YAML
run_ok "$GANNET" pipeline run "$W/p.yaml"
expect_err 'split: 900 train, 300 test rows' "pipeline split by time"
S=$W/.gannet-pipeline/recs/split
last_train=$(tail -n +2 "$S/train" | cut -d, -f4 | sort -n | tail -1)
first_test=$(tail -n +2 "$S/test" | cut -d, -f4 | sort -n | head -1)
check "$last_train" "<=" "$first_test" "pipeline split by time: the train part precedes the test part"
[ -s "$W/models/recs/1/model.gnm" ] || fail "pipeline published no model"
run_ok "$GANNET" pipeline status "$W/p.yaml" --json
grep -q '"by": *"time"' "$T/out" || fail "the run record's split: $(cat "$T/out")"
printf 'name: bad\ndata: {train: [ratings.csv], split: {by: time, test: 0.2}}\nmodel: {kind: mf, user: user, item: item, rating: rating}\n' > "$W/bad.yaml"
run "$GANNET" pipeline run "$W/bad.yaml"
expect_rc 2 "data.split by time without time_col"
expect_err "time_col" "the pipeline names time_col"
ok "pipeline: data.split by time and tune over time folds"
