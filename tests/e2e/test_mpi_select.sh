#!/usr/bin/env bash
# e2e: `gannet cv` and `gannet tune` under mpirun. The (configuration x fold) candidates are dealt
# out to the ranks, so 2 and 3 ranks must give exactly the metrics of one process (each candidate
# learns the same examples in the same order wherever it runs), with halving too, and for the
# batch solver (whole folds dealt out); only rank 0
# prints, writes --results and saves the refitted model; a rank that cannot open its data makes
# the whole job exit non-zero within seconds, naming that rank. Skipped (77) without mpirun or
# when gannet was built without MPI (test_mpi.sh checks the refusal then).
set -u
GANNET=${GANNET:?GANNET must point to the gannet binary}
# Under a sanitizer (ASan, TSan) every rank is several times slower and the 2-core CI machine
# runs the suite twice more: the largest rank count is left to the Release run there.
SANITIZED=0
ldd "$GANNET" 2>/dev/null | grep -qE 'lib(a|t)san' && SANITIZED=1
NPS="2 3"
[ "$SANITIZED" = 1 ] && NPS="3"
PY=/usr/bin/python3
command -v mpirun >/dev/null || { echo "SKIP: mpirun not installed"; exit 77; }
ldd "$GANNET" 2>/dev/null | grep -q libmpi || { echo "SKIP: gannet built without MPI"; exit 77; }
$PY -c 'import json' 2>/dev/null || { echo "SKIP: no $PY"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
FAILED() { echo "FAIL: $*"; fail=1; }
. "$(dirname "$0")/mpirun.sh"
mpirun_cmd timeout 300

D=${GN_SHARED_DATA:-}/a9a
if [ -n "${GN_SHARED_DATA:-}" ] && [ -r "$D/a9a.gz" ]; then
    DATA=$D/a9a.gz
else # a generated logistic problem with 3,000 rows
    awk 'BEGIN { s = 11; for (i = 0; i < 3000; i++) { line = ""; z = 0;
        for (j = 1; j <= 20; j++) { s = (s * 1103515245 + 12345) % 2147483648; v = s / 2147483648 - 0.5;
            line = line " " j ":" sprintf("%.4f", v); z += v * (j % 5 - 2) }
        s = (s * 1103515245 + 12345) % 2147483648;
        print ((s / 2147483648 < 1 / (1 + exp(-2 * z))) ? "+1" : "-1") line } }' >"$T/gen.svm"
    DATA=$T/gen.svm
    echo "a9a not found under GN_SHARED_DATA: using a generated set"
fi

# same_results A B: equal JSON output apart from the timings
same_results() {
    $PY - "$1" "$2" <<'EOF'
import json, sys
def load(p):
    d = json.load(open(p))
    d.pop('model', None)  # the -m path
    for r in d.get('results', [d]):
        r.pop('seconds', None)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    print(json.dumps(a)[:400]); print(json.dumps(b)[:400]); sys.exit(1)
EOF
}

# cv: 4 folds over 1, 2 and 3 ranks
"$GANNET" cv -d "$DATA" -k 4 --threads 1 --json --quiet >"$T/cv.1" || FAILED "cv on one process failed"
for np in $NPS; do
    "${MPIRUN[@]}" -np $np "$GANNET" cv -d "$DATA" -k 4 --threads 1 --json --quiet >"$T/cv.$np" 2>"$T/cv.$np.err" ||
        FAILED "cv on $np ranks failed: $(head -3 "$T/cv.$np.err")"
    [ "$(wc -l <"$T/cv.$np")" = 1 ] || FAILED "cv on $np ranks printed $(wc -l <"$T/cv.$np") lines, not 1 (rank 0 only)"
    same_results "$T/cv.1" "$T/cv.$np" || FAILED "cv on $np ranks differs from one process"
done
echo "cv: 1, 2 and 3 ranks agree: $(head -c 160 "$T/cv.1")"

# the batch solver: folds dealt out to ranks, each solving its folds' l2 path alone
BG='l2=0.3,3,30'
"$GANNET" tune -d "$DATA" -k 4 --optimizer lbfgs --grid "$BG" --threads 1 --json --quiet >"$T/lb.1" ||
    FAILED "lbfgs tune on one process failed"
for np in $NPS; do
    "${MPIRUN[@]}" -np $np "$GANNET" tune -d "$DATA" -k 4 --optimizer lbfgs --grid "$BG" --threads 1 --json --quiet \
        >"$T/lb.$np" 2>"$T/lb.$np.err" || FAILED "lbfgs tune on $np ranks failed: $(head -3 "$T/lb.$np.err")"
    same_results "$T/lb.1" "$T/lb.$np" || FAILED "lbfgs tune on $np ranks differs from one process"
done
echo "tune --optimizer lbfgs: 1, 2 and 3 ranks agree"

# tune with halving, a refit and a results file
GRID='l2=0.1,1,10;lr=0.1,0.5'
"$GANNET" tune -d "$DATA" -k 3 --grid "$GRID" --halving --passes 3 --threads 1 --json --quiet -m "$T/m.1" >"$T/tune.1" ||
    FAILED "tune on one process failed"
for np in $NPS; do
    (cd "$T" && "${MPIRUN[@]}" -np $np "$GANNET" tune -d "$DATA" -k 3 --grid "$GRID" --halving --passes 3 --threads 1 --json \
        --quiet -m "$T/m.$np" --results "res$np.csv" >"$T/tune.$np" 2>"$T/tune.$np.err") ||
        FAILED "tune on $np ranks failed: $(head -3 "$T/tune.$np.err")"
    [ "$(wc -l <"$T/tune.$np")" = 1 ] || FAILED "tune on $np ranks printed $(wc -l <"$T/tune.$np") lines, not 1"
    same_results "$T/tune.1" "$T/tune.$np" || FAILED "tune on $np ranks differs from one process"
    [ -s "$T/m.$np" ] || FAILED "tune on $np ranks saved no model"
    "$GANNET" inspect -m "$T/m.$np" >/dev/null || FAILED "the model of tune on $np ranks does not load"
    [ "$(wc -l <"$T/res$np.csv")" = 7 ] || FAILED "--results on $np ranks has $(wc -l <"$T/res$np.csv") lines, not 1 + 6"
    dropped=$($PY -c 'import json,sys; print(sum(r["dropped"] for r in json.load(open(sys.argv[1]))["results"]))' "$T/tune.$np")
    [ "$dropped" -ge 1 ] || FAILED "halving on $np ranks dropped no configuration"
done
echo "tune --halving: 1, 2 and 3 ranks agree; best $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["best"])' "$T/tune.1")"

# one rank cannot open its data (MPMD launch): the job stops, naming the rank and the file
start=$(date +%s)
rc=0
"${MPIRUN[@]}" -np 1 "$GANNET" tune -d "$DATA" -k 3 --grid "$GRID" --threads 1 --quiet : \
    -np 1 "$GANNET" tune -d "$T/missing.svm" -k 3 --grid "$GRID" --threads 1 --quiet >/dev/null 2>"$T/miss.err" || rc=$?
took=$(($(date +%s) - start))
echo "missing file on rank 1: exit $rc after ${took}s: $(grep gannet "$T/miss.err" | head -1)"
[ $rc -ne 0 ] && [ $rc -ne 124 ] || FAILED "a missing file on rank 1 did not stop the job with an error (exit $rc)"
[ $took -le 30 ] || FAILED "the job took ${took}s to stop"
grep -q "rank 1: .*missing.svm" "$T/miss.err" || FAILED "the message does not name rank 1 and the file: $(cat "$T/miss.err")"
exit $fail
