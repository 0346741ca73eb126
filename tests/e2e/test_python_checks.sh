#!/usr/bin/env bash
# test_python_checks.sh: scikit-learn's check_estimator list for every estimator of the Python
# package (python/tests/test_sklearn_checks.py, which lists the checks skipped and why), built and
# run as test_python.sh builds and runs the rest of the suite (python_common.sh). In a sanitizer build
# each estimator runs a subset of the checks (the C paths); the file says which and why.
. "$(dirname "$0")/python_common.sh"
run_pytest "$GN_SRC/python/tests/test_sklearn_checks.py"
ok "scikit-learn estimator checks passed"
