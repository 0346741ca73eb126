"""pandas DataFrames with text columns are read as the CSV reader reads the same table: a model
trained by `gannet train` on a CSV file and one trained from pd.read_csv of that file predict the
same numbers, and both predict a DataFrame as `gannet predict` predicts the file."""
import numpy as np
import pytest

import gannet
from conftest import run_cli

pd = pytest.importorskip("pandas")


def _table(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.integers(18, 80, n),
                       "income": np.round(rng.normal(50, 10, n), 3),
                       "city": rng.choice(["paris", "lyon", "nice", "NA", ""], n),
                       "score": rng.normal(size=n)})
    df.loc[rng.random(n) < 0.1, "income"] = np.nan
    df["label"] = np.where(df.score + df.age / 100 + (df.city == "lyon") > 1, "yes", "no")
    df.to_csv(path, index=False)


def test_frame_trains_and_predicts_as_the_csv_reader(tmp_path, gannet_cli):
    csv = tmp_path / "t.csv"
    _table(csv)
    run_cli(gannet_cli, "train", "-d", csv, "-m", tmp_path / "cli.gnm", "--label", "label", "--threads", "1")
    cli_pred = np.loadtxt(run_cli(gannet_cli, "predict", "-d", csv, "-m", tmp_path / "cli.gnm").stdout.split())
    df = pd.read_csv(csv)
    X, y = df.drop(columns="label"), df["label"]
    assert X["city"].isna().any() and X["income"].isna().any()  # missing values on both sides
    est = gannet.LinearClassifier(threads=1).fit(X, y)
    assert list(est.feature_names_in_) == ["age", "income", "city", "score"] and est.n_features_in_ == 4
    assert set(est.classes_) == {"no", "yes"}
    loaded = gannet.load(tmp_path / "cli.gnm")
    for a, b in zip(est.model_.weights(), loaded.model_.weights()):  # the same model, bit for bit
        np.testing.assert_array_equal(a, b)
    p = est.predict_proba(X)[:, list(est.classes_).index("yes")]
    np.testing.assert_array_equal(p, loaded.predict_proba(X)[:, list(loaded.classes_).index("yes")])
    np.testing.assert_allclose(p, cli_pred, rtol=1e-8)  # as `gannet predict` prints them (%.9g)
    assert 0.1 < np.mean(cli_pred) < 0.9 and np.std(cli_pred) > 0.05
    assert (est.predict(X) == y).mean() > 0.7
    with pytest.raises(ValueError, match="columns"):
        est.predict_proba(X[["income", "age", "city", "score"]])


def test_frame_regressor_and_refusals(tmp_path):
    csv = tmp_path / "t.csv"
    _table(csv, seed=1)
    df = pd.read_csv(csv)
    X = df.drop(columns=["label"])
    y = X.pop("score") * 2 + 1
    reg = gannet.LinearRegressor(threads=1, passes=5).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (len(y),) and np.isfinite(pred).all()
    with pytest.raises(ValueError, match="sample_weight"):
        gannet.LinearRegressor().fit(X, y, sample_weight=np.ones(len(y)))
