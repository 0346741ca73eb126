"""Ctrl-C stops a long fit cleanly: SIGINT to a process inside fit (online passes, or the L-BFGS
solver) raises KeyboardInterrupt within about a second (the C loop checks a stop flag), and the
interpreter goes on (the script catches it and exits 0)."""
import os
import signal
import subprocess
import sys
import time

import pytest

import gannet

CHILD = r"""
import sys, time, numpy as np
sys.path.insert(0, sys.argv[1])
import gannet
rng = np.random.default_rng(0)
if sys.argv[2] == "online":
    X = rng.normal(size=(20000, 20))
    y = (X[:, 0] + rng.normal(size=20000) > 0).astype(int)
    clf = gannet.LinearClassifier(passes=100000, threads=1)
else:  # separable, unregularised: the solver goes on for seconds (about 550 iterations)
    X = rng.normal(size=(100000, 50))
    y = (X[:, 0] > 0).astype(int)
    clf = gannet.LinearClassifier(optimizer="lbfgs", max_iter=10000000, tol=1e-300, l2=0.0, threads=1)
print("fitting", flush=True)
t0 = time.time()
try:
    clf.fit(X, y)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted %.1f" % (time.time() - t0), flush=True)
assert not hasattr(clf, "model_")
"""


@pytest.mark.parametrize("how", ["online", "lbfgs"])
def test_sigint_interrupts_fit(how):
    pkg = os.path.dirname(os.path.dirname(gannet.__file__))
    p = subprocess.Popen([sys.executable, "-c", CHILD, pkg, how], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "fitting"
    time.sleep(1.5)
    sent = time.time()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("fit did not stop within 20 s of SIGINT")
    waited = time.time() - sent
    assert p.returncode == 0, err
    assert out.startswith("interrupted"), out
    assert waited < 5, waited
