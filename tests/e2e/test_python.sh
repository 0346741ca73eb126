#!/usr/bin/env bash
# test_python.sh: the Python package (python/): builds its extension (python_common.sh) and runs
# its pytest suite (python/tests) against this build's gannet CLI, all but scikit-learn's
# estimator checks, which test_python_checks.sh runs (the slow part, a test of its own).
. "$(dirname "$0")/python_common.sh"
run_pytest "$GN_SRC/python/tests" --ignore="$GN_SRC/python/tests/test_sklearn_checks.py"
ok "python tests passed"
