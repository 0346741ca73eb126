#!/usr/bin/env bash
# e2e: no command destroys data (issue 13). (1) An output that is an input (same path, a symlink,
# a hard link; every command and output flag, stdout appended to an input too) is refused before
# anything is written: exit 2, both named, the input byte-identical afterwards; two outputs that
# are one file likewise; --resume and --checkpoint on one file still work. (2) A failed write to
# stdout or to a log (/dev/full) exits 1 naming stdout or the path and the reason, for every
# command that prints. (3) SIGINT/SIGTERM during `gannet cache` of a large file leave no temp
# file and exit 130/143; the temp file a SIGKILL leaves is removed by the next write there.
. "$(dirname "$0")/lib.sh"

cd "$T" || fail "cannot cd to $T"
G=$GANNET
gen_planted 3000 5 10 > d.svm
cp d.svm d.orig
gen_planted 500 6 10 > t.svm
cp t.svm t.orig
run_ok "$G" train -d d.svm -m m.gnm --passes 1 --quiet
cp m.gnm m.orig
awk '{ printf "%s", ($1 > 0 ? 1 : 0); for (i = 2; i <= NF; i++) { split($i, kv, ":"); printf ",%s", kv[2] } print "" }' \
    t.svm > d.csv
cp d.csv d.csv.orig

no_temps() { # DESC: no temp file of an atomic write is left in $T
    local left
    left=$(find . -name '*.tmp.*' | head -3)
    [ -z "$left" ] || fail "$1: temp files left: $left"
}

# refused WANT_IN WANT_OUT DESC CMD...: exit 2, stderr names both, every input byte-identical
refused() {
    local want_in=$1 want_out=$2 desc=$3
    shift 3
    run "$@"
    expect_rc 2 "$desc"
    expect_err "$want_out.*same file.*$want_in" "$desc"
    cmp -s d.svm d.orig || fail "$desc: d.svm changed"
    cmp -s t.svm t.orig || fail "$desc: t.svm changed"
    cmp -s m.gnm m.orig || fail "$desc: m.gnm changed"
    cmp -s d.csv d.csv.orig || fail "$desc: d.csv changed"
    no_temps "$desc"
    ok "$desc: refused, inputs intact"
}

# ---- (1) outputs that are inputs
refused "-d d.svm" "--model d.svm" "train -m DATA" "$G" train -d d.svm -m d.svm --passes 1
ln -s d.svm link.svm
ln d.svm hard.svm
refused "-d d.svm" "--model link.svm" "train -m SYMLINK-TO-DATA" "$G" train -d d.svm -m link.svm --passes 1
refused "-d hard.svm" "--model d.svm" "train -m DATA, -d its HARD LINK" "$G" train -d hard.svm -m d.svm --passes 1
refused "--test t.svm" "--model t.svm" "train -m TEST" "$G" train -d d.svm --test t.svm -m t.svm --passes 1
refused "-d d.svm" "--checkpoint d.svm" "train --checkpoint DATA" \
    "$G" train -d d.svm -m x.gnm --checkpoint d.svm --checkpoint-every 100
refused "-d d.svm" "--log-json d.svm" "train --log-json DATA" "$G" train -d d.svm -m x.gnm --log-json d.svm --passes 1
refused "-d d.svm" "--cache d.svm" "train --cache DATA" "$G" train -d d.svm -m x.gnm --cache d.svm --passes 1
run_ok "$G" cache -d d.svm -o c.cache
cp c.cache c.orig
run "$G" train --cache c.cache -m c.cache --passes 1
expect_rc 2 "train --cache ALONE -m CACHE"
expect_err "--model c.cache.*same file.*--cache c.cache" "train --cache ALONE -m CACHE"
cmp -s c.cache c.orig || fail "train --cache ALONE -m CACHE: the cache changed"
ok "train --cache ALONE -m CACHE: refused, cache intact"
run_ok "$G" train -d d.svm -m r.gnm --passes 1 --checkpoint r.ck --checkpoint-every 500 --quiet
cp r.ck r.ck.orig
run "$G" train -d d.svm -m r.ck --resume r.ck --passes 1
expect_rc 2 "train --resume CK -m CK"
expect_err "--model r.ck.*same file.*--resume r.ck" "train --resume CK -m CK"
cmp -s r.ck r.ck.orig || fail "train --resume CK -m CK: the checkpoint changed"
# resuming from the checkpoint the run saves to is the normal use
run_ok "$G" train -d d.svm -m r2.gnm --passes 1 --resume r.ck --checkpoint r.ck --checkpoint-every 500 --quiet
ok "train --resume CK --checkpoint CK still works"
refused "-d d.svm" "--output d.svm" "predict -o DATA" "$G" predict -m m.gnm -d d.svm -o d.svm
refused "--model m.gnm" "--output m.gnm" "predict -o MODEL" "$G" predict -m m.gnm -d d.svm -o m.gnm
refused "-d d.svm" "--output d.svm" "cache -o DATA" "$G" cache -d d.svm -o d.svm
refused "-d hard.svm" "--output link.svm" "cache -o SYMLINK, -d HARD LINK" "$G" cache -d hard.svm -o link.svm
refused "-d d.svm" "--model d.svm" "tune -m DATA" "$G" tune -d d.svm --grid 'l2=0,1e-3' -k 2 -m d.svm --quiet
refused "-d d.csv" "--results d.csv" "tune --results DATA" "$G" tune -d d.csv --grid 'l2=0,1e-3' -k 2 --results d.csv --quiet
run "$G" tune -d d.svm --grid 'l2=0,1e-3' -k 2 -m best.json --results best.json --quiet
expect_rc 2 "tune -m X --results X"
expect_err "--model best.json and --results best.json are the same file" "tune -m X --results X"
[ ! -e best.json ] || fail "tune -m X --results X wrote X"
refused "--model m.gnm" "--access-log m.gnm" "serve --access-log MODEL" timeout 20 "$G" serve -m m.gnm --access-log m.gnm --port 0
# stdout appended to an input: the shell opens it, gannet refuses to write into it
for c in "train -d d.svm -m x.gnm --passes 1" "predict -m m.gnm -d d.svm" "eval -m m.gnm -d d.svm" "cv -d d.svm -k 2" \
    "describe -d d.svm" "cache -d d.svm -o x.cache"; do
    # shellcheck disable=SC2086
    refused "-d d.svm" "stdout" "$c >> DATA" sh -c "exec \"\$0\" \"\$@\" >> d.svm" "$G" $c
done
refused "--model m.gnm" "stdout" "inspect >> MODEL" sh -c "exec \"\$0\" \"\$@\" >> m.gnm" "$G" inspect -m m.gnm
# --log-json /dev/stdout with stdout in a file is one output, on purpose
run_ok sh -c "exec \"\$0\" \"\$@\" > both.txt" "$G" train -d d.svm -m y.gnm --passes 1 --log-json /dev/stdout --quiet
grep -q '"end_of_pass":true' both.txt || fail "--log-json /dev/stdout: no log line in stdout's file"
grep -q 'model saved to y.gnm' both.txt || fail "--log-json /dev/stdout: no summary in stdout's file"
ok "--log-json /dev/stdout next to stdout in a file works"

# ---- (2) failed writes to stdout and logs exit 1 with the reason
if [ -w /dev/full ]; then
    full() { # DESC CMD...: stdout to /dev/full: exit 1 naming stdout and the reason
        local desc=$1
        shift
        RC=0
        "$@" >/dev/full 2>"$T/err" || RC=$?
        [ "$RC" -lt 128 ] || { cat "$T/err" >&2; fail "$desc: died with status $RC"; }
        expect_rc 1 "$desc >/dev/full"
        expect_err "stdout: .*No space left on device" "$desc >/dev/full"
    }
    full "train" "$G" train -d d.svm -m f1.gnm --passes 1 --quiet
    full "train --json" "$G" train -d d.svm -m f2.gnm --passes 1 --quiet --json
    full "predict" "$G" predict -m m.gnm -d d.svm
    full "eval" "$G" eval -m m.gnm -d d.svm
    full "eval --json" "$G" eval -m m.gnm -d d.svm --json
    full "inspect" "$G" inspect -m m.gnm
    full "inspect --json" "$G" inspect -m m.gnm --json
    full "cache" "$G" cache -d d.svm -o f.cache
    full "cache --json" "$G" cache -d d.svm -o f.cache --json
    full "cache --check" "$G" cache --check -d d.svm -o f.cache
    full "describe" "$G" describe -d d.svm
    full "describe --json" "$G" describe -d d.svm --json
    full "cv" "$G" cv -d d.svm -k 2 --quiet
    full "cv --json" "$G" cv -d d.svm -k 2 --quiet --json
    full "tune" "$G" tune -d d.svm --grid 'l2=0,1e-3' -k 2 --quiet
    full "tune --json" "$G" tune -d d.svm --grid 'l2=0,1e-3' -k 2 --quiet --json
    full "params" "$G" params
    full "params --json" "$G" params --json
    full "params --markdown" "$G" params --markdown
    full "--help" "$G" --help
    full "train --help" "$G" train --help
    full "--version" "$G" --version
    ok "stdout on a full device: exit 1 with the reason, for every command that prints"
    run "$G" predict -m m.gnm -d d.svm -o /dev/full
    expect_rc 1 "predict -o /dev/full"
    expect_err "--output /dev/full: .*No space left on device" "predict -o /dev/full"
    run "$G" train -d d.svm -m lj.gnm --passes 1 --log-json /dev/full --quiet
    expect_rc 1 "train --log-json /dev/full"
    expect_err "--log-json /dev/full: write failed: No space left on device" "train --log-json /dev/full"
    [ -s lj.gnm ] || fail "train --log-json /dev/full: the model was not saved"
    ok "predict -o and train --log-json on a full device: exit 1 with the path and the reason (model kept)"
else
    echo "note: /dev/full is not writable here; the full-disk checks are skipped"
fi

# ---- (3) signals during an atomic write, and what SIGKILL leaves
# A large input: 40,000 lines, doubled to 320,000 (about 60 MB), given several times.
gen_planted 40000 7 30 > big1.svm
for _ in 1 2 3; do cat big1.svm big1.svm > big2.svm && mv big2.svm big1.svm; done
copies=(big1.svm big1.svm)
# interrupt SIG: starts `gannet cache` on the big input, waits for its temp file, signals it.
# Sets RC; "early" when it ended before its temp file was seen (then a larger input is tried).
interrupt() {
    local sig=$1 pid i
    RC=0
    set -m # a job of a non-interactive shell would ignore SIGINT; job control gives it its own
    "$G" cache -d "${copies[@]}" -o big.cache 2>"$T/err" &
    pid=$!
    set +m
    for i in $(seq 2000); do
        compgen -G "big.cache.tmp.*" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    if ! compgen -G "big.cache.tmp.*" >/dev/null; then
        wait "$pid" || true
        RC=early
        return
    fi
    kill -s "$sig" "$pid"
    wait "$pid" || RC=$?
}
# interrupt_big SIG: interrupt, with a longer write (the input given twice as often) while the
# cache was done before the signal came
interrupt_big() {
    local attempt
    for attempt in 1 2 3 4; do
        rm -f big.cache
        interrupt "$1"
        [ "$RC" = early ] || [ "$RC" = 0 ] || return 0
        copies+=("${copies[@]}")
    done
}
for sig in INT TERM; do
    want=$([ $sig = INT ] && echo 130 || echo 143)
    interrupt_big $sig
    [ "$RC" = "$want" ] || { cat "$T/err" >&2; fail "SIG$sig during cache: exit status $RC, expected $want"; }
    no_temps "SIG$sig during cache"
    [ ! -e big.cache ] || fail "SIG$sig during cache: a cache file was made"
    ok "SIG$sig during cache of ${#copies[@]} x $(wc -c <big1.svm) bytes: exit $RC, no temp file left"
done
interrupt_big KILL
[ "$RC" = 137 ] || fail "SIGKILL during cache: exit status $RC, expected 137"
orphan=$(compgen -G "big.cache.tmp.*") || fail "SIGKILL during cache left no temp file (the next check would mean nothing)"
run_ok "$G" cache -d d.svm -o big.cache
[ ! -e "$orphan" ] || fail "the next cache write did not remove $orphan, left by a dead process"
no_temps "cache after a SIGKILL"
ok "the temp file a SIGKILL left ($orphan) is removed by the next write to big.cache"
# a temp file of a live process (this shell's) stays
touch "big.cache.tmp.$$.0123456789abcdef"
run_ok "$G" cache -d d.svm -o big.cache
[ -e "big.cache.tmp.$$.0123456789abcdef" ] || fail "a live process's temp file was removed"
rm -f "big.cache.tmp.$$.0123456789abcdef"
ok "a live process's temp file is left alone"
