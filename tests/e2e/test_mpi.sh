#!/usr/bin/env bash
# e2e: data-parallel L-BFGS / OWL-QN under mpirun (binary, and --oaa). The same run with 1, 2 and
# 4 ranks gives the same objective within 1e-6 relative; only rank 0 prints and writes the model; a rank given a
# bad line or a missing file makes the whole job exit non-zero within seconds with a message
# naming it. A gannet built without MPI refuses to run under mpirun (checked instead when the
# binary has no MPI). Skipped (77) without mpirun.
set -u
GANNET=${GANNET:?GANNET must point to the gannet binary}
PY=/usr/bin/python3
command -v mpirun >/dev/null || { echo "SKIP: mpirun not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
FAILED() { echo "FAIL: $*"; fail=1; }
. "$(dirname "$0")/mpirun.sh"
mpirun_cmd
# Under a sanitizer (ASan, TSan) every rank is several times slower and the 2-core CI machine
# runs the suite twice more: the largest rank count is left to the Release run there.
SANITIZED=0
ldd "$GANNET" 2>/dev/null | grep -qE 'lib(a|t)san' && SANITIZED=1

HS=/usr/share/doc/liblinear-tools/examples/heart_scale
if [ -r "$HS" ]; then
    for i in 1 2 3 4 5 6 7 8; do cat "$HS"; done >"$T/small" # 2160 lines: every rank gets a share
else
    awk 'BEGIN { s = 7; for (i = 0; i < 2000; i++) { line = ""; z = 0;
        for (j = 1; j <= 15; j++) { s = (s * 1103515245 + 12345) % 2147483648; v = s / 2147483648 - 0.5;
            line = line " " j ":" sprintf("%.4f", v); z += v * (j % 4 - 1.5) }
        s = (s * 1103515245 + 12345) % 2147483648;
        print ((s / 2147483648 < 1 / (1 + exp(-3 * z))) ? "+1" : "-1") line } }' >"$T/small"
fi

if ! ldd "$GANNET" 2>/dev/null | grep -q libmpi; then
    # built without MPI: under mpirun it must refuse instead of training N separate models
    out=$(timeout 60 "${MPIRUN[@]}" -np 2 "$GANNET" train -d "$T/small" -m "$T/m" --optimizer lbfgs --quiet 2>&1)
    rc=$?
    echo "$out" | head -3
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || FAILED "a gannet without MPI ran under mpirun -np 2 (exit $rc)"
    echo "$out" | grep -q "built without MPI" || FAILED "no 'built without MPI' message under mpirun"
    [ -e "$T/m" ] && FAILED "a model was written by a gannet without MPI under mpirun"
    # the same from the environment alone (srun-style launch)
    out=$(SLURM_STEP_ID=0 SLURM_STEP_NUM_TASKS=3 SLURM_PROCID=1 timeout 30 "$GANNET" train -d "$T/small" -m "$T/m" 2>&1)
    [ $? -ne 0 ] && echo "$out" | grep -q "without MPI" || FAILED "srun-style launch of a gannet without MPI was not refused: $out"
    echo "gannet has no MPI: refusal checked"
    exit $fail
fi

json_get() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
rel() { $PY -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(abs(a-b)/abs(b))' "$1" "$2"; }
le() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# ranks_agree NAME DATA FLAGS...: 1, 2 and 4 ranks (1 and 2 under a sanitizer) reach the same objective
RANKS="1 2 4"
[ "$SANITIZED" = 1 ] && RANKS="1 2"
ranks_agree() {
    local name=$1 data=$2
    shift 2
    local f1="" np
    for np in $RANKS; do
        local out="$T/$name.$np"
        timeout 300 "${MPIRUN[@]}" -np $np "$GANNET" train -d "$data" -m "$out.model" --json --quiet --threads 1 "$@" \
            >"$out.json" 2>"$out.err" || { FAILED "$name: $np ranks failed: $(head -5 "$out.err")"; continue; }
        [ "$(wc -l <"$out.json")" = 1 ] || FAILED "$name: $np ranks printed $(wc -l <"$out.json") summaries, not 1 (rank 0 only)"
        [ -s "$out.model" ] || FAILED "$name: $np ranks wrote no model"
        [ "$(json_get "$out.json" ranks)" = $np ] || FAILED "$name: summary says ranks=$(json_get "$out.json" ranks), not $np"
        [ "$(json_get "$out.json" examples)" = "$(wc -l <"$data")" ] || FAILED "$name: $np ranks did not see every example once"
        local f
        f=$(json_get "$out.json" objective)
        echo "$name: $np rank(s): objective $f, iterations $(json_get "$out.json" iterations)"
        if [ -z "$f1" ]; then f1=$f; else
            le "$(rel "$f" "$f1")" 1e-6 || FAILED "$name: $np ranks reached $f, 1 rank $f1 (more than 1e-6 apart)"
        fi
    done
}

ranks_agree small "$T/small" --optimizer lbfgs --l2 1
ranks_agree small_owlqn "$T/small" --optimizer owlqn --l1 2
ranks_agree small_warm "$T/small" --optimizer lbfgs --l2 1 --warm-start online
# one-against-all: K binary logistic problems in one objective, summed over ranks as binary's
awk 'BEGIN { srand(3); split("a b c", c, " "); for (i = 0; i < 900; i++) { k = 1 + int(3 * rand());
    print c[k] "," 0.5 * (k - 2) + 1.5 * rand() "," rand() } }' >"$T/abc.csv"
ranks_agree oaa "$T/abc.csv" --no-header --oaa --optimizer lbfgs --l2 1
ranks_agree oaa_owlqn "$T/abc.csv" --no-header --oaa --optimizer owlqn --l1 2
D=${GN_SHARED_DATA:-}/a9a
if [ -n "${GN_SHARED_DATA:-}" ] && [ -r "$D/a9a.gz" ]; then
    zcat "$D/a9a.gz" >"$T/a9a" # plain text, so ranks can take byte ranges of it
    ranks_agree a9a "$T/a9a" --optimizer lbfgs --l2 1
else
    echo "a9a not found under GN_SHARED_DATA: only the small set was used"
fi

# several files are dealt out to ranks whole
n=$(wc -l <"$T/small")
head -n $((n / 3)) "$T/small" >"$T/f1"
sed -n "$((n / 3 + 1)),$((2 * n / 3))p" "$T/small" >"$T/f2"
sed -n "$((2 * n / 3 + 1)),\$p" "$T/small" >"$T/f3"
timeout 120 "${MPIRUN[@]}" -np 2 "$GANNET" train -d "$T/f1" "$T/f2" "$T/f3" -m "$T/files.model" --optimizer lbfgs --l2 1 \
    --json --quiet >"$T/files.json" 2>"$T/files.err" || FAILED "3 files on 2 ranks failed: $(head -3 "$T/files.err")"
if [ -s "$T/files.json" ] && [ -s "$T/small.1.json" ]; then
    le "$(rel "$(json_get "$T/files.json" objective)" "$(json_get "$T/small.1.json" objective)")" 1e-6 ||
        FAILED "3 files on 2 ranks: objective differs from one rank on the whole file"
fi

# timed_train OUT ERR ARGS...: `gannet train ARGS...` on 2 ranks (60 s at most), stdout to OUT
# and stderr to ERR; sets rc and took (seconds).
timed_train() {
    local out=$1 err=$2 start
    shift 2
    start=$(date +%s)
    rc=0
    timeout 60 "${MPIRUN[@]}" -np 2 "$GANNET" train "$@" >"$out" 2>"$err" || rc=$?
    took=$(($(date +%s) - start))
}
# job_stopped WHAT: fails unless the last timed_train exited with an error (not the timeout)
# within 30 s.
job_stopped() {
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || FAILED "$1 did not stop the job with an error (exit $rc)"
    [ $took -le 30 ] || FAILED "$1 took ${took}s to stop the job"
}

# a bad line that only the last rank reads: the whole job stops, quickly, naming rank and line
cp "$T/small" "$T/bad"
bad_line=$((n - 5))
sed -i "${bad_line}s/.*/+1 1:0.5 2:oops/" "$T/bad"
timed_train "$T/bad.out" "$T/bad.err" -d "$T/bad" -m "$T/bad.model" --optimizer lbfgs --quiet
echo "bad line: exit $rc after ${took}s: $(grep gannet "$T/bad.err" | head -2)"
job_stopped "a bad line on rank 1"
grep -q "rank 1: .*bad:$bad_line" "$T/bad.err" || FAILED "the message does not name rank 1 and bad:$bad_line: $(cat "$T/bad.err")"
[ "$(grep -c "bad:$bad_line" "$T/bad.err")" = 1 ] || FAILED "the message was printed by more than one rank"
[ -e "$T/bad.model" ] && FAILED "a model was written although a rank failed"

# a missing file (dealt to rank 1)
timed_train /dev/null "$T/miss.err" -d "$T/f1" "$T/nonexistent.svm" -m "$T/miss.model" --optimizer lbfgs --quiet
echo "missing file: exit $rc after ${took}s: $(grep gannet "$T/miss.err" | head -1)"
job_stopped "a missing file"
grep -q "nonexistent.svm" "$T/miss.err" || FAILED "the message does not name the missing file: $(cat "$T/miss.err")"

# a launcher that started more processes than MPI can see (srun without --mpi) is refused
out=$(SLURM_STEP_ID=0 SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=0 timeout 60 "$GANNET" train -d "$T/small" -m "$T/s.model" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "MPI sees 1 rank" || FAILED "srun-style launch without PMI was not refused: $out"
exit $fail
