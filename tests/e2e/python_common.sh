# python_common.sh: sourced by test_python.sh and test_python_checks.sh (not a test itself).
# Builds the Python package's extension with Debian's setuptools from this checkout's sources into
# $GN_BUILD/python (no install; the source tree stays clean; a lock keeps two tests from building
# at once) and defines run_pytest ARGS..., which runs pytest on python/tests files against this
# build's gannet CLI. Skips (77) when /usr/bin/python3, its headers, numpy, scipy, scikit-learn or
# pytest are missing. In a sanitizer build (GN_SANITIZE=ON) the extension is built with ASan+UBSan
# too and python runs with libasan preloaded (leak checks off: the interpreter keeps its memory at
# exit by design; the peak-memory test skips there, as ASan's redzones and quarantine change what
# memory is used).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
"$PY" -c 'import numpy, scipy, sklearn, pytest' 2>/dev/null ||
    skip "python3-numpy, python3-scipy, python3-sklearn or python3-pytest is missing (scripts/install-deps)"
"$PY" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
    skip "python3-dev is missing (scripts/install-deps)"

BUILD=${GN_BUILD:-$GN_SRC/build}
OUT=$BUILD/python
SAN=0
if grep -q '^GN_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then SAN=1; fi
mkdir -p "$OUT"
# setup.py rebuilds only when a source changed since the last build in $OUT
(cd "$GN_SRC/python" && flock "$OUT/.build-lock" env GANNET_SANITIZE=$SAN PYTHONDONTWRITEBYTECODE=1 \
    "$PY" setup.py -q build --build-base "$OUT" >"$T/build.log" 2>&1) ||
    { tail -40 "$T/build.log" >&2; fail "building the extension failed (log above)"; }
LIB=$(ls -d "$OUT"/lib.*/ 2>/dev/null | head -1)
[ -n "$LIB" ] && [ -e "$LIB/gannet/__init__.py" ] || fail "no built package under $OUT"
ok "extension built into $LIB"

PRELOAD=
if [ "$SAN" = 1 ]; then
    PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
cd "$T" || fail "no scratch dir"

run_pytest() {
    local rc=0
    LD_PRELOAD=$PRELOAD GANNET_PYTHON=$LIB GANNET=$GANNET GANNET_SANITIZED=$SAN PYTHONDONTWRITEBYTECODE=1 \
        "$PY" -m pytest -q -p no:cacheprovider -rs "$@" || rc=$?
    [ "$rc" -eq 0 ] || fail "pytest failed (status $rc)"
}
