"""MatrixFactorization (kind mf) against the CLI on the same data: a model fit here and one from
`gannet train --kind mf` on the equivalent CSV file predict the same numbers; `gannet recommend`
and `gannet predict` on a model saved here answer what recommend()/predict() answer, with string
ids (commas, quotes, spaces inside, non-ASCII) round-tripping exactly."""
import csv
import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone

import gannet
from conftest import run_cli

# ids the CSV writer must quote, and one the reader must keep as is
ODD = ['u,comma', 'u"quote"', 'u inner space', 'ü-ñ', '"lead', "tab\tin"]


def _ratings(n_users=60, n_items=40, per_user=12, seed=0, odd=True):
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(size=(n_users, 3)), rng.normal(size=(n_items, 3))
    users = ["u%d" % u for u in range(n_users)]
    items = ["i%d" % i for i in range(n_items)]
    if odd:
        users[:len(ODD)] = ODD
        items[:len(ODD)] = [s.replace("u", "i", 1) for s in ODD]
    rows, y = [], []
    for u in range(n_users):
        for i in rng.choice(n_items, per_user, replace=False):
            rows.append((users[u], items[i]))
            y.append(float(np.clip(3 + P[u] @ Q[i] + 0.1 * rng.normal(), 1, 5)))
    return np.array(rows, dtype=object), np.array(y), users, items


def _write_csv(path, X, y=None):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user", "item"] + ([] if y is None else ["rating"]))
        for i, (u, it) in enumerate(X):
            w.writerow([u, it] + ([] if y is None else [repr(float(y[i]))]))


def test_fit_matches_the_cli_and_ids_round_trip(tmp_path, gannet_cli):
    X, y, users, items = _ratings()
    mf = gannet.MatrixFactorization(rank=4, passes=8, threads=1, seed=5).fit(X, y)
    assert mf.model_.kind == "mf" and mf.n_features_in_ == 2
    info = mf.mf_info_
    assert (info["users"], info["items"], info["rank"]) == (len(users), len(items), 4)
    # the CLI on the same data (a CSV file written here) trains the same model
    _write_csv(tmp_path / "r.csv", X, y)
    run_cli(gannet_cli, "train", "--kind", "mf", "--user", "user", "--item", "item", "--rating", "rating",
            "--rank", 4, "--passes", 8, "--threads", 1, "--seed", 5, "-d", tmp_path / "r.csv", "-m", tmp_path / "cli.gnm")
    cli = gannet.load(tmp_path / "cli.gnm")
    assert isinstance(cli, gannet.MatrixFactorization)
    np.testing.assert_array_equal(cli.predict(X), mf.predict(X))
    # a model saved here: `gannet predict` and `gannet recommend` answer what Python answers
    mf.save(tmp_path / "py.gnm")
    _write_csv(tmp_path / "pairs.csv", X)
    out = np.loadtxt(run_cli(gannet_cli, "predict", "-m", tmp_path / "py.gnm", "-d", tmp_path / "pairs.csv").stdout.split())
    np.testing.assert_allclose(out, mf.predict(X), rtol=1e-6)
    for user in ODD + ["u7", "never-seen"]:
        ours = mf.recommend(user, k=5)
        r = run_cli(gannet_cli, "recommend", "-m", tmp_path / "py.gnm", "--user", user, "-k", 5, "--exclude-seen", "--json")
        theirs = json.loads(r.stdout.splitlines()[0])
        assert theirs["user"] == user
        assert [t["item"] for t in theirs["items"]] == [item for item, _ in ours]
        np.testing.assert_allclose([t["score"] for t in theirs["items"]], [s for _, s in ours], rtol=1e-6)
    # every id came back exactly: the model knows each one, recommend returns the same strings
    assert all(mf.known(u, None)[0] for u in users) and all(mf.known(None, i)[1] for i in items)
    everything = {item for item, _ in mf.recommend(ODD[0], k=1000, exclude_seen=False)}
    assert everything == set(items)


def test_recommend_options_and_predict_quality():
    X, y, users, items = _ratings(seed=1, odd=False)
    mf = gannet.MatrixFactorization(rank=3, threads=1).fit(X, y)
    assert mf.score(X, y) > 0.5  # R^2 on the training ratings
    seen = {it for u, it in X if u == "u3"}
    top = mf.recommend("u3", k=10)
    assert len(top) == 10 and not seen & {item for item, _ in top}
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    with_seen = mf.recommend("u3", k=len(items), exclude_seen=False)
    assert {item for item, _ in with_seen} == set(items)
    ex = [top[0][0], top[1][0]]
    assert not set(ex) & {item for item, _ in mf.recommend("u3", k=10, exclude=ex)}
    cand = ["i1", "i2", "i3", "nope"]
    got = mf.recommend("u3", k=10, exclude_seen=False, candidates=cand)
    assert {item for item, _ in got} == {"i1", "i2", "i3"}
    # predict of a pair equals its recommend score
    item, score = got[0]
    assert mf.predict([["u3", item]])[0] == pytest.approx(score, rel=1e-6)
    assert mf.recommend("u3", k=0) == []
    with pytest.raises(ValueError):
        mf.recommend("u3", k=-1)


def test_implicit_int_ids_pickle_and_clone(tmp_path):
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.integers(0, 50, 800), rng.integers(100, 140, 800)])  # int64 ids
    mf = gannet.MatrixFactorization(implicit=True, rank=4, threads=1).fit(X)  # y None: each row counts 1
    assert mf.mf_info_["implicit"] is True
    top = mf.recommend(int(X[0, 0]), k=5)
    assert all(isinstance(item, int) and 100 <= item < 140 for item, _ in top)
    seen = set(X[X[:, 0] == X[0, 0], 1].tolist())
    assert not seen & {item for item, _ in top}
    again = pickle.loads(pickle.dumps(mf))
    assert again.recommend(int(X[0, 0]), k=5) == top
    np.testing.assert_array_equal(again.predict(X[:50]), mf.predict(X[:50]))
    c = clone(mf)
    assert c.get_params() == mf.get_params() and not hasattr(c, "model_")
    with pytest.raises(ValueError, match="required unless implicit"):
        gannet.MatrixFactorization().fit(X)


def test_sgd_and_dataframe():
    pd = pytest.importorskip("pandas")
    X, y, _, _ = _ratings(seed=3, odd=False)
    df = pd.DataFrame({"who": X[:, 0], "what": X[:, 1]})
    mf = gannet.MatrixFactorization(optimizer="sgd", rank=3, passes=20, seed=1).fit(df, y)
    assert list(mf.feature_names_in_) == ["who", "what"]
    np.testing.assert_array_equal(mf.predict(df), mf.predict(X))
    assert np.sqrt(np.mean((mf.predict(X) - y) ** 2)) < np.std(y)


def _cli_model(gannet_cli, tmp_path, X, y, *flags):
    """`gannet train --kind mf` on the CSV file of these rows."""
    _write_csv(tmp_path / "cli.csv", X, y)
    rating = [] if y is None else ["--rating", "rating"]
    run_cli(gannet_cli, "train", "--kind", "mf", "--user", "user", "--item", "item", *rating, *flags,
            "-d", tmp_path / "cli.csv", "-m", tmp_path / "cli.gnm")
    return gannet.load(tmp_path / "cli.gnm")


@pytest.mark.parametrize("case", ["als", "sgd", "implicit-int", "implicit-rated"])
def test_in_memory_fit_is_the_cli_model(tmp_path, gannet_cli, monkeypatch, case):
    """fit trains from the arrays (gn_train_mf_rows), writing no file: the model predicts and
    recommends bit for bit what the CLI trains on the CSV file of the same rows."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)  # tempfile reads TMPDIR again
    rng = np.random.default_rng(7)
    if case.startswith("implicit"):
        X = np.column_stack([rng.integers(0, 40, 600), rng.integers(1000, 1030, 600)])  # int64 ids
        y = None if case == "implicit-int" else rng.integers(1, 6, 600).astype(float)
        est = gannet.MatrixFactorization(implicit=True, rank=3, passes=6, threads=1, seed=2)
        flags = ["--implicit", "--rank", 3, "--passes", 6, "--threads", 1, "--seed", 2]
    else:
        X, y, _, _ = _ratings(seed=4)
        est = gannet.MatrixFactorization(optimizer=case, rank=3, passes=7, threads=1, seed=3)
        flags = ["--optimizer", case, "--rank", 3, "--passes", 7, "--threads", 1, "--seed", 3]
    mf = est.fit(X, y)
    assert list(scratch.iterdir()) == []  # no temporary file
    assert mf.info["data"]["files"] == []  # trained from no file
    cli = _cli_model(gannet_cli, tmp_path, X, y, *flags)
    assert cli.mf_info_ == mf.mf_info_
    np.testing.assert_array_equal(cli.predict(X), mf.predict(X))
    for user in [X[0, 0], X[5, 0], X[-1, 0], "never-seen"]:
        ours = mf.recommend(user, k=6)
        theirs = cli.recommend(user, k=6)
        assert [str(i) for i, _ in ours] == [i for i, _ in theirs]
        assert [s for _, s in ours] == [s for _, s in theirs]


def test_ids_are_kept_exactly_and_bad_rows_are_refused():
    # spaces at either end and line breaks: kept byte for byte (no CSV file in between)
    odd = [" lead", "trail ", "line\nbreak", "tab\tx"]
    X = np.array([[u, "x%d" % k] for k, u in enumerate(odd)] + [["a", "x0"]], dtype=object)
    mf = gannet.MatrixFactorization(rank=2, threads=1).fit(X, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert all(mf.known(u, None)[0] for u in odd) and not mf.known("lead", None)[0]
    assert mf.mf_info_["users"] == 5
    two = np.array([["a", "x"], ["b", "y"]], dtype=object)
    for bad, what in [("", "empty user id"), ("nul\0", "NUL"), ("z" * 4097, "longer than 4096")]:
        Xb = two.copy()
        Xb[1, 0] = bad
        with pytest.raises(ValueError, match="row 1: .*" + what if what != "NUL" else "row 1: the user id holds a NUL"):
            gannet.MatrixFactorization().fit(Xb, [1.0, 2.0])
    Xb = two.copy()
    Xb[0, 1] = ""
    with pytest.raises(ValueError, match="row 0: empty item id"):
        gannet.MatrixFactorization().fit(Xb, [1.0, 2.0])
    for y, what in [([1.0, np.nan], "finite"), ([1.0, np.inf], "finite"), ([1.0], "one rating per row"),
                    ([1.0, 2.0, 3.0], "one rating per row"), ([[1.0, 2.0]], "one rating per row")]:
        with pytest.raises(ValueError, match=what):
            gannet.MatrixFactorization().fit(two, y)
    with pytest.raises(ValueError, match="finite"):  # beyond a 32-bit float: the library's check
        gannet.MatrixFactorization().fit(two, [1.0, 1e300])
    with pytest.raises(ValueError, match="no rows"):
        gannet.MatrixFactorization().fit(np.empty((0, 2), dtype=np.int64), np.empty(0))
    with pytest.raises(ValueError, match="float"):
        gannet.MatrixFactorization().fit(np.array([[1.0, 2.0], [3.0, 4.0]]), [1.0, 2.0])
    with pytest.raises(ValueError, match="as many|users but"):
        gannet._gannet.train_mf({"kind": "mf"}, ("a", "b"), ("x",), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="ratings"):
        gannet._gannet.train_mf({"kind": "mf"}, ("a", "b"), ("x", "y"), np.array([1.0]))


def test_bad_parameters_raise_the_library_message():
    X, y, _, _ = _ratings(n_users=5, n_items=5, per_user=3, odd=False)
    with pytest.raises(ValueError, match="optimizer"):
        gannet.MatrixFactorization(optimizer="ftrl").fit(X, y)
    with pytest.raises(ValueError):
        gannet.MatrixFactorization().fit(X[:, :1], y)


def test_partial_fit_adds_users_and_items_and_learns_them(tmp_path, gannet_cli):
    X, y, _, _ = _ratings(n_users=80, n_items=50, seed=5, odd=False)
    first = np.array([int(u[1:]) < 50 for u in X[:, 0]])  # users u50.. come in the second batch only
    mf = gannet.MatrixFactorization(optimizer="sgd", rank=3, passes=30, seed=1).fit(X[first], y[first])
    base = mf.model_
    before = base.info
    known_new = mf.known("u60")[0]
    X2, y2 = X[~first], y[~first]
    cold = np.sqrt(np.mean((mf.predict(X2) - y2) ** 2))
    old_pred = mf.predict(X[first][:40])
    mf.partial_fit(X2, y2)
    one = np.sqrt(np.mean((mf.predict(X2) - y2) ** 2))
    for _ in range(19):
        mf.partial_fit(X2, y2)
    many = np.sqrt(np.mean((mf.predict(X2) - y2) ** 2))
    assert not known_new and mf.known("u60")[0]
    assert one < cold and many < 0.8 * one, (cold, one, many)
    # the base model is not changed (a served model may be the base)
    assert base.info == before
    assert base._h.mf_info()["users"] == 50
    # the second batch's items are now seen by their users
    u = X2[0, 0]
    seen2 = {it for uu, it in X2 if uu == u}
    assert not seen2 & {item for item, _ in mf.recommend(u, k=50)}
    # the updated model saves and loads, and the CLI answers as recommend() does
    mf.save(tmp_path / "upd.gnm")
    again = gannet.load(tmp_path / "upd.gnm")
    np.testing.assert_array_equal(again.predict(X2[:30]), mf.predict(X2[:30]))
    out = run_cli(gannet_cli, "recommend", "-m", tmp_path / "upd.gnm", "--user", u, "-k", 5, "--exclude-seen", "--json")
    assert [d["item"] for d in json.loads(out.stdout.splitlines()[0])["items"]] == [it for it, _ in mf.recommend(u, k=5)]
    # users only in the first batch whose items no new row touched predict as before
    touched = set(X2[:, 1])
    keep = np.array([it not in touched for it in X[first][:40, 1]])
    if keep.any():
        np.testing.assert_array_equal(mf.predict(X[first][:40][keep]), old_pred[keep])
    # before any fit, partial_fit is fit; an explicit model needs the ratings
    a = gannet.MatrixFactorization(rank=3, seed=1, threads=1).partial_fit(X, y)
    b = gannet.MatrixFactorization(rank=3, seed=1, threads=1).fit(X, y)
    np.testing.assert_array_equal(a.predict(X[:20]), b.predict(X[:20]))
    with pytest.raises(ValueError, match="ratings"):
        mf.partial_fit(X2, None)


def _two_tastes(users, first=0, seed=0):
    """Clicks of users u<first>.. in two taste groups: user u's group is u % 2, and a user clicks
    8 of the 20 items of its group (group g's items are i<2j+g>)."""
    rng = np.random.default_rng(seed)
    rows = [("u%d" % u, "i%d" % (2 * j + u % 2)) for u in range(first, first + users)
            for j in rng.choice(20, 8, replace=False)]
    return np.array(rows, dtype=object)


def test_implicit_partial_fit_folds_in_new_users_and_items(tmp_path, gannet_cli):
    """Implicit feedback: partial_fit solves the new users' and new items' factors by weighted ALS
    with the known factors fixed (fold-in); known users and items keep theirs."""
    X = _two_tastes(60)
    mf = gannet.MatrixFactorization(implicit=True, rank=4, threads=1).fit(X)
    base = mf.model_
    known = np.array([("u7", "i3"), ("u8", "i10"), ("u9", "i0")], dtype=object)
    before = mf.predict(known)
    # two new users of each group, and a new item i40 clicked by group 0 (new and known users)
    new = _two_tastes(4, first=100, seed=1)
    extra = np.array([("u100", "i40"), ("u102", "i40"), ("u0", "i40"), ("u2", "i40"), ("u4", "i40")], dtype=object)
    mf.partial_fit(np.concatenate([new, extra]))
    info = mf.mf_info_
    assert (info["users"], info["items"], info["interactions"]) == (64, 41, 480 + 32 + 5)
    assert mf.train_summary_["passes"] == 3
    np.testing.assert_array_equal(mf.predict(known), before)  # fixed: not solved again
    assert base._h.mf_info()["users"] == 60  # the base model is not changed
    for u in (100, 101, 102, 103):
        recs = [it for it, _ in mf.recommend("u%d" % u, k=6)]
        assert all(int(it[1:]) % 2 == u % 2 for it in recs if it != "i40"), (u, recs)
        seen = {it for uu, it in new if uu == "u%d" % u}
        assert not seen & set(recs)  # the new rows are seen items now
    # the new item is liked by its group, not by the other
    g0 = mf.predict(np.array([("u%d" % u, "i40") for u in range(10, 30, 2)], dtype=object))
    g1 = mf.predict(np.array([("u%d" % u, "i40") for u in range(11, 31, 2)], dtype=object))
    assert g0.mean() > g1.mean() + 0.2, (g0.mean(), g1.mean())
    # saved, the CLI answers as recommend() does
    mf.save(tmp_path / "imp.gnm")
    out = run_cli(gannet_cli, "recommend", "-m", tmp_path / "imp.gnm", "--user", "u101", "-k", 5, "--exclude-seen",
                  "--json")
    assert [d["item"] for d in json.loads(out.stdout.splitlines()[0])["items"]] == \
        [it for it, _ in mf.recommend("u101", k=5)]
    # passes is the number of alternations
    again = gannet.MatrixFactorization(implicit=True, rank=4, threads=1, passes=1).fit(X)
    again.partial_fit(new)
    assert again.train_summary_["passes"] == 1
