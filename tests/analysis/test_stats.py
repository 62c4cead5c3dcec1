"""Statistics across runs: known answers, oracles and properties."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from scipy import stats as sps

from feedlab.analysis import stats


# ---------------------------------------------------------------- intervals
def test_t_interval_known_answer() -> None:
    # mean 2, s = 1, n = 3, t_{2, 0.975} = 4.302653: half-width 4.302653/√3 = 2.484138
    ci = stats.t_interval([1.0, 2.0, 3.0])
    assert ci.estimate == 2.0 and ci.n == 3
    assert ci.low == pytest.approx(2 - 2.484138, abs=1e-6)
    assert ci.high == pytest.approx(2 + 2.484138, abs=1e-6)


def test_percentile_bootstrap_known_answer_two_points() -> None:
    # Resampling {0, 1} twice: mean 0 w.p. 1/4, 0.5 w.p. 1/2, 1 w.p. 1/4 (exact).
    ci = stats.bootstrap_ci([0.0, 1.0], method="percentile", n_resamples=20000, seed=1)
    assert (ci.low, ci.high) == (0.0, 1.0)
    # The central 40 % lies in the atom at 0.5 (cumulative 0.25 → 0.75); Monte Carlo error
    # of the 0.3/0.7 quantile positions (~0.003 with 20000 draws) cannot leave the atom.
    ci = stats.bootstrap_ci([0.0, 1.0], method="percentile", level=0.4, n_resamples=20000, seed=1)
    assert (ci.low, ci.high) == (0.5, 0.5)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_degenerate_and_nonfinite(method: str) -> None:
    ci = stats.bootstrap_ci([2.5] * 7, method=method)
    assert (ci.estimate, ci.low, ci.high, ci.n) == (2.5, 2.5, 2.5, 7)
    ci = stats.bootstrap_ci([1.0, np.nan, 2.0, None, 3.0, np.inf], method=method)
    assert ci.n == 3 and ci.n_nonfinite == 3 and ci.estimate == 2.0
    empty = stats.bootstrap_ci([np.nan], method=method)
    assert empty.n == 0 and math.isnan(empty.estimate) and empty.n_nonfinite == 1
    one = stats.bootstrap_ci([4.0], method=method)
    assert (one.low, one.high) == (4.0, 4.0)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_agrees_with_scipy(method: str) -> None:
    """Oracle: scipy.stats.bootstrap estimates the same interval with its own draws.
    With 200000 resamples each, the endpoints' Monte Carlo sd is about 0.003 here
    (checked over 3 seeds each: spreads ≤ 0.004), so 0.015 is a 5-sd bound."""
    x = np.random.default_rng(1).exponential(size=20)
    ours = stats.bootstrap_ci(x, method=method, n_resamples=200_000, seed=3)
    ref = sps.bootstrap(
        (x,),
        np.mean,
        n_resamples=200_000,
        method="BCa" if method == "bca" else "percentile",
        random_state=np.random.default_rng(4),
    ).confidence_interval
    assert ours.low == pytest.approx(ref.low, abs=0.015)
    assert ours.high == pytest.approx(ref.high, abs=0.015)


def test_bca_corrects_skew_percentile_does_not() -> None:
    """On right-skewed data BCa shifts the interval right of the percentile interval
    (positive bias correction and acceleration), as Efron (1987) describes."""
    x = np.random.default_rng(2).lognormal(sigma=1.0, size=30)
    p = stats.bootstrap_ci(x, method="percentile", seed=0)
    b = stats.bootstrap_ci(x, method="bca", seed=0)
    assert b.low > p.low and b.high > p.high


def test_bootstrap_is_reproducible_and_seeded() -> None:
    x = np.random.default_rng(3).normal(size=15)
    a = stats.bootstrap_ci(x, n_resamples=500, seed=7)
    b = stats.bootstrap_ci(x, n_resamples=500, seed=7)
    c = stats.bootstrap_ci(x, n_resamples=500, seed=8)
    assert a == b and (a.low, a.high) != (c.low, c.high)


def test_bootstrap_median_and_callable() -> None:
    x = [1.0, 2.0, 3.0, 4.0, 100.0]
    med = stats.bootstrap_ci(x, "median", method="percentile", n_resamples=2000)
    assert med.estimate == 3.0 and 1.0 <= med.low <= 3.0 <= med.high <= 100.0
    trimmed = stats.bootstrap_ci(
        x, lambda a, axis: np.sort(a, axis=axis)[..., 1:-1].mean(axis=axis), n_resamples=500
    )
    assert trimmed.estimate == 3.0


def test_bootstrap_coverage() -> None:
    """Property: a 95 % interval for a normal mean covers the truth in about 95 % of
    samples. 300 samples of n = 25: binomial sd 1.3 %; the percentile/BCa intervals
    under-cover slightly at this n (~93–94 %), so accept 88–99 %."""
    rng = np.random.default_rng(11)
    for method in ("percentile", "bca"):
        hits = 0
        for s in range(300):
            x = rng.normal(1.0, 2.0, size=25)
            ci = stats.bootstrap_ci(x, method=method, n_resamples=999, seed=s)
            hits += ci.low <= 1.0 <= ci.high
        assert 0.88 <= hits / 300 <= 0.99, (method, hits)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="level"):
        stats.bootstrap_ci([1, 2], level=95)
    with pytest.raises(ValueError, match="method"):
        stats.bootstrap_ci([1, 2], method="studentized")
    with pytest.raises(ValueError, match="statistic"):
        stats.bootstrap_ci([1, 2], "mode")


# -------------------------------------------------------------- replicates and pairs
def _table() -> dict[str, np.ndarray]:
    """Two policies × 5 seeds × 2 network sizes; y = seed effect + policy effect."""
    seed_eff = np.array([0.0, 1.0, -2.0, 5.0, 3.0])
    rows = []
    for n in (100, 200):
        for pol, eff in (("chronological", 0.0), ("engagement", 0.3 if n == 100 else 0.7)):
            for s in range(5):
                rows.append((pol, s, n, seed_eff[s] + eff, 1.0 if pol == "engagement" else None))
    order = np.random.default_rng(0).permutation(len(rows))  # row order must not matter
    rows = [rows[i] for i in order]
    cols = list(zip(*rows))
    return {
        "ranking.name": np.array(cols[0], dtype=object),
        "seed": np.array(cols[1]),
        "network.n": np.array(cols[2]),
        "y": np.array(cols[3], dtype=float),
        "ranking.weights.like": np.array(cols[4], dtype=object),
    }


def test_replicate_summary_groups_and_means() -> None:
    t = _table()
    rows = stats.replicate_summary(t, "y", ["ranking.name", "network.n"], n_resamples=999)
    assert [(r["ranking.name"], r["network.n"]) for r in rows] == [
        ("chronological", 100),
        ("chronological", 200),
        ("engagement", 100),
        ("engagement", 200),
    ]
    # mean of seed effects = 7/5 = 1.4; plus the policy effect
    assert [r["mean"] for r in rows] == pytest.approx([1.4, 1.4, 1.7, 2.1])
    assert all(r["n"] == 5 and r["low"] <= r["mean"] <= r["high"] for r in rows)
    assert rows[0]["sd"] == pytest.approx(np.std([0, 1, -2, 5, 3], ddof=1))


def test_paired_difference_known_answer() -> None:
    t = _table()
    match = stats.matching_columns(
        ["ranking.name", "ranking.weights.like", "seed", "network.n"], "ranking.name"
    )
    assert match == ["network.n"]
    [pooled] = stats.paired_difference(
        t,
        "y",
        factor="ranking.name",
        treatment="engagement",
        control="chronological",
        match_on=match,
        n_resamples=999,
    )
    # ten pairs: five differences of 0.3 (n = 100) and five of 0.7 (n = 200)
    assert pooled.interval.n == 10 and pooled.unpaired == 0
    assert pooled.interval.estimate == pytest.approx(0.5)
    assert sorted(np.round(pooled.differences, 12)) == [0.3] * 5 + [0.7] * 5
    by_n = stats.paired_difference(
        t,
        "y",
        factor="ranking.name",
        treatment="engagement",
        control="chronological",
        match_on=match,
        by=["network.n"],
        n_resamples=999,
    )
    # within a stratum the seed effect cancels exactly: a zero-width interval
    assert [r.stratum for r in by_n] == [{"network.n": 100}, {"network.n": 200}]
    for r, d in zip(by_n, (0.3, 0.7)):
        assert r.interval.estimate == pytest.approx(d)
        assert r.interval.low == pytest.approx(d) and r.interval.high == pytest.approx(d)


def test_pairing_beats_independent_samples_under_common_random_numbers() -> None:
    """Same seeds share most variance; pairing removes it, so the paired interval is
    far narrower than a difference of two independent means would be."""
    rng = np.random.default_rng(5)
    s = np.arange(20)
    base = rng.normal(0, 3.0, size=20)
    y = np.concatenate([base, base + 0.5 + rng.normal(0, 0.1, size=20)])
    t = {
        "p": np.array(["c"] * 20 + ["t"] * 20, dtype=object),
        "seed": np.concatenate([s, s]),
        "y": y,
    }
    [r] = stats.paired_difference(t, "y", factor="p", treatment="t", control="c", match_on=[])
    # the mean difference has sd 0.1/√20 ≈ 0.022: within 0.1 of 0.5 is a 4.5-sd bound
    assert r.interval.estimate == pytest.approx(0.5, abs=0.1)
    assert r.interval.high - r.interval.low < 0.15
    welch = stats.t_interval(y[20:]).high - stats.t_interval(y[20:]).low
    assert welch > 10 * (r.interval.high - r.interval.low)


def test_paired_difference_unpaired_duplicates_and_nonfinite() -> None:
    t = {
        "p": np.array(["c", "t", "c", "t", "t"], dtype=object),
        "seed": np.array([0, 0, 1, 1, 2]),
        "y": np.array([1.0, 2.0, 1.0, np.nan, 5.0]),
    }
    [r] = stats.paired_difference(t, "y", factor="p", treatment="t", control="c", match_on=[])
    assert r.unpaired == 1 and r.interval.n == 1 and r.interval.n_nonfinite == 1
    assert r.interval.estimate == 1.0
    dup = {k: np.concatenate([v, v[:1]]) for k, v in t.items()}
    with pytest.raises(ValueError, match="duplicate runs"):
        stats.paired_difference(dup, "y", factor="p", treatment="t", control="c", match_on=[])
    with pytest.raises(KeyError, match="column 'q' not found"):
        stats.paired_difference(t, "y", factor="q", treatment="t", control="c", match_on=[])


# ---------------------------------------------------------------------- sensitivity
def test_main_effect_indices_known_answer() -> None:
    # Full grid a ∈ {0,1}, b ∈ {0,1,2}, two replicates, Y = 2a + b (no noise):
    # Var(2a) = 4·1/4 = 1, Var(b) = 2/3, Var(Y) = 5/3 ⇒ S_a = 0.6, S_b = 0.4.
    a, b = np.meshgrid([0, 1], [0, 1, 2], indexing="ij")
    a, b = np.tile(a.ravel(), 2), np.tile(b.ravel(), 2)
    y = (2 * a + b).astype(float)
    y_nan = np.append(y, np.nan)
    cols = {"a": np.append(a, 0), "b": np.append(b, 0), "y": y_nan}
    res = stats.main_effect_indices(cols, "y", ["a", "b"])
    assert res["S1"]["a"] == pytest.approx(0.6) and res["S1"]["b"] == pytest.approx(0.4)
    assert res["n"] == 12 and res["n_nonfinite"] == 1 and res["levels"] == {"a": 2, "b": 3}
    # an interaction-only response (XOR on a balanced 2×2 grid) has no main effects
    xa, xb = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    res = stats.main_effect_indices(
        {"a": xa, "b": xb, "y": (xa ^ xb).astype(float)}, "y", ["a", "b"]
    )
    assert res["S1"]["a"] == pytest.approx(0.0) and res["S1"]["b"] == pytest.approx(0.0)
    g = stats.sensitivity(cols, "y", {"names": ["a", "b"]}, method="grid")
    assert g["S1"]["a"] == pytest.approx(0.6)


ISHIGAMI = {"names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def _ishigami(X: np.ndarray) -> np.ndarray:
    return np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol_ishigami_known_answer() -> None:
    """Ishigami (a=7, b=0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)
    (Saltelli et al. 2008, §4.6). At n = 1024 SALib's 95 % half-widths are ~0.05-0.06;
    the measured errors are ≤ 0.011, so 0.04 is generous but tight enough to catch a
    mis-ordered design (which gives errors of order 0.3)."""
    pytest.importorskip("SALib")
    X = stats.sobol_design(ISHIGAMI, 1024, seed=0)
    assert X.shape == (1024 * 5, 3)
    order = np.random.default_rng(0).permutation(X.shape[0])  # runs come back in any order
    cols = {"x1": X[order, 0], "x2": X[order, 1], "x3": X[order, 2], "y": _ishigami(X)[order]}
    res = stats.sensitivity(cols, "y", ISHIGAMI, method="sobol", n=1024, seed=0)
    for name, s1, st in zip(ISHIGAMI["names"], (0.3139, 0.4424, 0.0), (0.5576, 0.4424, 0.2437)):
        assert res["S1"][name] == pytest.approx(s1, abs=0.04), name
        assert res["ST"][name] == pytest.approx(st, abs=0.04), name
    missing = {k: v[1:] for k, v in cols.items()}
    with pytest.raises(ValueError, match="1 of 5120 design points have no run"):
        stats.sensitivity(missing, "y", ISHIGAMI, method="sobol", n=1024, seed=0)


def test_morris_linear_known_answer() -> None:
    """Y = 3a − 2b on a ∈ [0, 2], b, c ∈ [0, 1]: every elementary effect, in units of
    the normalised range (SALib's convention), is 3·2 = 6 for a, −2 for b, 0 for c."""
    pytest.importorskip("SALib")
    prob = {"names": ["a", "b", "c"], "bounds": [[0, 2], [0, 1], [0, 1]]}
    X = stats.morris_design(prob, 10, seed=0)
    y = 3 * X[:, 0] - 2 * X[:, 1]
    # two replicates per point (e.g. two seeds) are averaged
    cols = {
        "a": np.tile(X[:, 0], 2),
        "b": np.tile(X[:, 1], 2),
        "c": np.tile(X[:, 2], 2),
        "y": np.concatenate([y - 0.25, y + 0.25]),
    }
    res = stats.sensitivity(cols, "y", prob, method="morris", n=10)
    assert res["mu_star"]["a"] == pytest.approx(6.0) and res["mu"]["b"] == pytest.approx(-2.0)
    assert res["mu_star"]["c"] == pytest.approx(0.0, abs=1e-12)
    assert res["min_replicates"] == 2


def test_design_overrides_round_trip() -> None:
    pytest.importorskip("SALib")
    prob = {
        "names": ["network.homophily", "network.n"],
        "bounds": [[0.5, 0.9], [100, 400]],
        "integer": ["network.n"],
    }
    X = stats.sobol_design(prob, 8, seed=3)
    ov = stats.design_overrides(prob, X)
    assert len(ov) == X.shape[0] and ov[0][0].startswith("network.homophily=")
    assert all(o[1].split("=")[1].isdigit() for o in ov)
    back = np.array([[float(o.split("=")[1]) for o in row] for row in ov])
    np.testing.assert_array_equal(back, X)  # repr() round-trips floats exactly


def test_salib_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in [m for m in sys.modules if m == "SALib" or m.startswith("SALib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "SALib", None)  # import SALib now raises ImportError
    with pytest.raises(ImportError, match="pip install 'feedlab\\[dev\\]'"):
        stats.sensitivity(
            {"a": [1.0], "y": [1.0]}, "y", {"names": ["a"], "bounds": [[0, 1]]}, method="sobol", n=8
        )
    # the grid method needs no SALib
    assert stats.sensitivity({"a": [0, 1], "y": [0.0, 1.0]}, "y", {"names": ["a"]}, method="grid")[
        "S1"
    ] == {"a": 1.0}
