#!/usr/bin/env bash
# tests/e2e/test_mpi_mf.sh: ALS of kind mf under mpirun (issue 15). On a small generated CSV with
# string ids, 1 and 3 ranks train models whose predictions agree within 1e-4, for explicit
# ratings and for implicit feedback (weighted ALS); only rank 0 prints and writes the model; the
# 3-rank model is good (test RMSE); --optimizer sgd under 3 ranks is refused. A gannet built
# without MPI refuses mf training under mpirun. cv and tune of kind mf give the same fold metrics
# and best under 1 and 3 ranks. Skipped (77) without mpirun.
. "$(dirname "$0")/lib.sh"
command -v mpirun >/dev/null || skip "mpirun not installed"
. "$(dirname "$0")/mpirun.sh"
mpirun_cmd

# users u0..u89 in 3 taste groups, items "it,0".."it,49": rating 4.5 inside the group, 1.5 outside
awk 'BEGIN {
    srand(7); print "user,item,rating,ts" > "'"$T"'/train.csv"; print "user,item" > "'"$T"'/pairs.csv"
    print "user,item,rating" > "'"$T"'/test.csv"; n = 0
    for (u = 0; u < 90; u++) for (i = 0; i < 50; i++) {
        r = (int(i / 17) == u % 3 ? 4.5 : 1.5) + (rand() - 0.5) * 0.4
        printf "u%d,\"it,%d\"\n", u, i > "'"$T"'/pairs.csv"
        if (rand() > 0.3) continue
        line = sprintf("u%d,\"it,%d\",%.3f", u, i, r)
        if (n++ % 5 == 0) print line > "'"$T"'/test.csv"; else print line ",1" > "'"$T"'/train.csv"
    }
}'
[ "$(wc -l < "$T/train.csv")" -gt 800 ] || fail "generated too few rows"
FLAGS=(train --kind mf --user user --item item --rating rating --ignore ts -d "$T/train.csv" --quiet --json)

if ! ldd "$GANNET" 2>/dev/null | grep libmpi >/dev/null; then # not -q: with pipefail, ldd killed by SIGPIPE would read as "no MPI"
    run timeout 60 "${MPIRUN[@]}" -np 2 "$GANNET" "${FLAGS[@]}" -m "$T/m"
    [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] || fail "a gannet without MPI trained kind mf under mpirun -np 2 (exit $RC)"
    grep -q "built without MPI" "$T/out" "$T/err" || fail "no 'built without MPI' message under mpirun"
    [ -e "$T/m" ] && fail "a model was written by a gannet without MPI under mpirun"
    ok "gannet has no MPI: refusal checked"
    exit 0
fi

# maxdiff A B: the largest absolute difference between two files of one number per line
maxdiff() { paste "$1" "$2" | awk 'BEGIN { m = 0 } { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { print m }'; }

for mode in explicit implicit; do
    extra=()
    [ $mode = implicit ] && extra=(--implicit --alpha 2)
    for np in 1 3; do
        run_ok timeout 120 "${MPIRUN[@]}" -np $np "$GANNET" "${FLAGS[@]}" "${extra[@]}" -m "$T/$mode.$np.model" --rank 6
        [ "$(wc -l < "$T/out")" = 1 ] || fail "$mode: $np ranks printed $(wc -l < "$T/out") summaries, not 1 (rank 0 only)"
        [ "$(json_get "$T/out" .ranks)" = $np ] || fail "$mode: summary says ranks=$(json_get "$T/out" .ranks), not $np"
        [ -s "$T/$mode.$np.model" ] || fail "$mode: $np ranks wrote no model"
        run_ok "$GANNET" predict -m "$T/$mode.$np.model" -d "$T/pairs.csv"
        cp "$T/out" "$T/$mode.$np.pred"
    done
    [ "$(wc -l < "$T/$mode.3.pred")" = 4500 ] || fail "$mode: predict gave $(wc -l < "$T/$mode.3.pred") lines, not 4500"
    d=$(maxdiff "$T/$mode.1.pred" "$T/$mode.3.pred")
    awk -v d="$d" 'BEGIN { exit !(d <= 1e-4) }' || fail "$mode: 1 and 3 ranks' predictions differ by up to $d (> 1e-4)"
    ok "$mode: 1 and 3 ranks agree (largest difference $d)"
done

# the 3-rank explicit model learned the groups (the global mean would be ~1.4 off)
run_ok "$GANNET" eval -m "$T/explicit.3.model" "$T/test.csv" --json
rmse=$(json_get "$T/out" .rmse)
awk -v r="$rmse" 'BEGIN { exit !(r < 0.6) }' || fail "3-rank explicit model: test rmse $rmse, expected < 0.6"
ok "3-rank explicit model: test rmse $rmse"

# SGD is one rank's algorithm: refused under MPI, by every rank, and no model is written
run timeout 60 "${MPIRUN[@]}" -np 3 "$GANNET" "${FLAGS[@]}" --optimizer sgd -m "$T/sgd.model"
[ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] || fail "--optimizer sgd under 3 ranks: exit $RC, expected a refusal"
grep -q "trains by ALS" "$T/err" || fail "--optimizer sgd under 3 ranks: no reason given: $(head -3 "$T/err")"
[ -e "$T/sgd.model" ] && fail "--optimizer sgd under 3 ranks wrote a model"
ok "--optimizer sgd refused under MPI"

# cv/tune of kind mf under 1 and 3 ranks (select/mf_select.c deals the candidates out): the same
# fold metrics to the last digit (only the seconds differ); tune picks the same configuration
# and only rank 0 prints
CV=(--kind mf --user user --item item --rating rating -d "$T/train.csv" -k 3 --quiet --json --threads 1)
run_ok "$GANNET" cv "${CV[@]}"
sed 's/"seconds":[^,]*,//' "$T/out" > "$T/cv.1"
run_ok timeout 120 "${MPIRUN[@]}" -np 3 "$GANNET" cv "${CV[@]}"
sed 's/"seconds":[^,]*,//' "$T/out" > "$T/cv.3"
[ "$(wc -l < "$T/cv.3")" = 1 ] || fail "cv under 3 ranks: only rank 0 prints ($(wc -l < "$T/cv.3") lines)"
cmp -s "$T/cv.1" "$T/cv.3" || fail "cv --kind mf: 1 and 3 ranks differ: $(cat "$T/cv.1") vs $(cat "$T/cv.3")"
run_ok "$GANNET" tune "${CV[@]}" --grid 'rank=2,4;l2=0.1,1' --metric ndcg@10
best1=$(json_get "$T/out" .best)
run_ok timeout 120 "${MPIRUN[@]}" -np 3 "$GANNET" tune "${CV[@]}" --grid 'rank=2,4;l2=0.1,1' --metric ndcg@10
[ "$(json_get "$T/out" .best)" = "$best1" ] || fail "tune --kind mf: 3 ranks chose $(json_get "$T/out" .best), 1 rank $best1"
ok "cv/tune --kind mf: 1 and 3 ranks give the same folds' metrics and the same best"
