# shellcheck shell=bash
# tests/e2e/lib.sh: helpers sourced by the end-to-end tests (not a test itself: only test_*.sh
# are registered). Sets GANNET, GN_SRC, GN_SHARED_DATA, a scratch dir $T removed on exit, and
# gives run/expect/json helpers. Exit codes follow automake: 0 pass, 1 fail, 77 skip.
set -u
set -o pipefail

GN_SRC=${GN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GANNET=${GANNET:-$GN_SRC/build/bin/gannet}
GN_SHARED_DATA=${GN_SHARED_DATA:-$GN_SRC/../shared/data}
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/gn-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
ok() { echo "ok: $*"; }

[ -x "$GANNET" ] || fail "gannet binary not found at $GANNET (set GANNET)"

# run CMD...: runs it with stdout in $T/out and stderr in $T/err; sets RC. A signal (RC >= 128:
# crash, abort, sanitizer kill) always fails the test.
run() {
    RC=0
    "$@" >"$T/out" 2>"$T/err" || RC=$?
    if [ "$RC" -ge 128 ]; then
        cat "$T/err" >&2
        fail "'$*' died with status $RC (signal)"
    fi
    return 0
}

# run_ok CMD...: like run, and fails unless the exit status is 0.
run_ok() {
    run "$@"
    if [ "$RC" -ne 0 ]; then
        cat "$T/err" >&2
        fail "'$*' exited $RC, expected 0"
    fi
}

# expect_rc WANT DESC: fails unless RC is WANT (or one of "1|2").
expect_rc() {
    case "|$1|" in *"|$RC|"*) ;; *) cat "$T/err" >&2; fail "$2: exit status $RC, expected $1" ;; esac
}

# expect_err REGEX DESC: fails unless stderr matches the extended regex.
expect_err() {
    grep -Eq -- "$1" "$T/err" || { echo "stderr was:" >&2; cat "$T/err" >&2; fail "$2: stderr does not match /$1/"; }
}

# json_get FILE PATH: prints the value at PATH (jq syntax limited to .key, .a.b and [N]), with
# jq when installed, else python3. Strings print raw, null prints "null". Fails on bad JSON.
have_jq() { [ "${GN_NO_JQ:-0}" != 1 ] && command -v jq >/dev/null 2>&1; }  # GN_NO_JQ=1 tests the fallback
json_get() {
    if have_jq; then
        jq -e . "$1" >/dev/null 2>&1 || { cat "$1" >&2; fail "$1 is not valid JSON"; }
        jq -c -r "$2 | if . == null then \"null\" else . end" "$1" || fail "$1: cannot read $2"
    elif [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 - "$1" "$2" <<'EOF' || fail "$1 is not valid JSON or lacks $2"
import json, re, sys
v = json.load(open(sys.argv[1]))
for key, idx in re.findall(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]', sys.argv[2]):
    if key:
        v = v.get(key) if isinstance(v, dict) else None
    else:
        v = v[int(idx)] if isinstance(v, list) and int(idx) < len(v) else None
    if v is None:
        break
if v is None: print("null")
elif isinstance(v, bool): print("true" if v else "false")
elif isinstance(v, (dict, list)): print(json.dumps(v, sort_keys=True))
else: print(v)
EOF
    else
        skip "neither jq nor /usr/bin/python3 is installed (run scripts/install-deps)"
    fi
}

# top_weights FILE: the "slot weight" pairs of an `inspect --json` output, one per line.
top_weights() {
    if have_jq; then
        jq -r '.top_weights[] | "\(.slot) \(.weight)"' "$1" || fail "$1: no top_weights"
    elif [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import json,sys
for w in json.load(open(sys.argv[1]))["top_weights"]: print(w["slot"], repr(w["weight"]))' "$1" ||
            fail "$1: no top_weights"
    else
        skip "neither jq nor /usr/bin/python3 is installed (run scripts/install-deps)"
    fi
}

# json_valid FILE: fails unless FILE holds exactly one valid JSON value.
json_valid() {
    if have_jq; then
        jq -e . "$1" >/dev/null 2>&1 || { cat "$1" >&2; fail "$1 is not valid JSON"; }
    elif [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" ||
            { cat "$1" >&2; fail "$1 is not valid JSON"; }
    else
        skip "neither jq nor /usr/bin/python3 is installed (run scripts/install-deps)"
    fi
}

# check A OP B DESC: numeric comparison with awk (OP one of < <= > >= ==); fails when false.
check() {
    local num='^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
    [[ $1 =~ $num ]] || fail "$4: '$1' is not a number"
    [[ $3 =~ $num ]] || fail "$4: '$3' is not a number"
    awk -v a="$1" -v b="$3" "BEGIN { exit !((a + 0) $2 (b + 0)) }" ||
        fail "$4: $1 $2 $3 does not hold"
    ok "$4: $1 $2 $3"
}

# gen_planted N SEED DIM: writes N LIBSVM rows (labels +1/-1) drawn from a planted logistic
# model over DIM features to stdout; the true weights (1-based "index weight" lines, index 0 is
# the bias) go to $T/planted.w. Each feature is present with probability 0.6, value uniform in
# (-1, 1); weights are uniform in (-3, 3) with a bias of 0.3. awk only, so it runs everywhere.
gen_planted() {
    awk -v n="$1" -v seed="$2" -v d="$3" -v wfile="$T/planted.w" 'BEGIN {
        srand(seed)
        w[0] = 0.3
        print 0, w[0] > wfile
        for (j = 1; j <= d; j++) { w[j] = 6 * rand() - 3; print j, w[j] > wfile }
        for (i = 0; i < n; i++) {
            z = w[0]; line = ""
            for (j = 1; j <= d; j++) {
                if (rand() < 0.6) {
                    x = sprintf("%.4f", 2 * rand() - 1)
                    z += w[j] * x
                    line = line " " j ":" x
                }
            }
            p = 1 / (1 + exp(-z))
            print (rand() < p ? "+1" : "-1") line
        }
    }'
}
