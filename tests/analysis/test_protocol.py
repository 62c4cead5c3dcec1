"""The powered validation protocol (feedlab.analysis.validation.protocol): known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from feedlab.analysis.validation import protocol as P


def _effects(mean: float, sd: float, n: int, seed: int = 0) -> np.ndarray:
    """n normal draws standardised to exactly ``mean`` and ``sd`` (known answers)."""
    x = np.random.default_rng(seed).normal(size=n)
    return mean + sd * (x - x.mean()) / x.std(ddof=1)


def test_t_interval_matches_textbook():
    # mean 1, sd 2, n = 16: half-width t_{0.975,15} * 2 / 4 = 2.131449546 * 0.5
    mean, sd, lo, hi = P.t_interval(_effects(1.0, 2.0, 16), 0.05)
    assert mean == pytest.approx(1.0) and sd == pytest.approx(2.0)
    assert hi - mean == pytest.approx(2.131449546 * 0.5, rel=1e-6)
    assert mean - lo == pytest.approx(hi - mean)


def test_mde_formula():
    # (1.959964 + 0.841621) * 1 / sqrt(20)
    assert P.mde(1.0, 20, 0.05) == pytest.approx(2.801585 / math.sqrt(20), rel=1e-5)
    assert P.mde(1.0, 1, 0.05) == math.inf


def test_planted_effect_well_above_mde_passes():
    d = P.decide(_effects(1.0, 1.0, 20), P.Criterion.greater(0), 0.05, "planted")
    assert d.mde < 1.0  # the planted effect is above the MDE
    assert d.verdict == P.PASS and d.ci_lo > 0
    assert "PASS" in d.line() and "MDE" in d.line()


def test_zero_effect_is_inconclusive():
    d = P.decide(_effects(0.0, 1.0, 20), P.Criterion.greater(0))
    assert d.verdict == P.INCONCLUSIVE and d.ci_lo < 0 < d.ci_hi


def test_effect_against_the_criterion_fails():
    d = P.decide(_effects(-1.0, 1.0, 20), P.Criterion.greater(0))
    assert d.verdict == P.FAIL
    assert P.decide(_effects(-1.0, 1.0, 20), P.Criterion.less(0)).verdict == P.PASS
    assert P.decide(_effects(1.0, 1.0, 20), P.Criterion.less(0)).verdict == P.FAIL


def test_threshold_criterion():
    # fact 3's form: a cut of 0.99 ± 0.01 exceeds 0.5; a loss of 0.01 ± 0.02 is below 0.1
    assert P.decide(_effects(0.99, 0.01, 10), P.Criterion.greater(0.5)).verdict == P.PASS
    assert P.decide(_effects(0.01, 0.02, 10), P.Criterion.less(0.1)).verdict == P.PASS
    assert P.decide(_effects(0.3, 0.01, 10), P.Criterion.greater(0.5)).verdict == P.FAIL


def test_equivalence_within_interval():
    eq = P.Criterion.within(0.0, 0.1)
    assert P.decide(_effects(0.01, 0.05, 30), eq).verdict == P.PASS  # CI inside ±0.1
    assert P.decide(_effects(0.35, 0.05, 10), eq).verdict == P.FAIL  # fact 1's chronological
    assert P.decide(_effects(0.08, 0.2, 10), eq).verdict == P.INCONCLUSIVE  # straddles 0.1
    out = P.Criterion("outside", -0.1, 0.1)
    assert P.decide(_effects(0.35, 0.05, 10), out).verdict == P.PASS


def test_degenerate_inputs():
    assert P.decide([1.0], P.Criterion.greater(0)).verdict == P.INCONCLUSIVE
    assert P.decide([], P.Criterion.greater(0)).verdict == P.INCONCLUSIVE
    d = P.decide([0.5, 0.5, 0.5, math.nan], P.Criterion.greater(0))
    assert d.n == 3 and d.verdict == P.PASS  # no spread: the point settles it
    with pytest.raises(ValueError, match="lo < hi"):
        P.Criterion.inside(1.0, 0.0)
    with pytest.raises(ValueError, match="alpha"):
        P.decide([1.0, 2.0], P.Criterion.greater(0), alpha=1.5)


def test_combine_is_intersection_union():
    assert P.combine([P.PASS, P.PASS]) == P.PASS
    assert P.combine([P.PASS, P.INCONCLUSIVE]) == P.INCONCLUSIVE
    assert P.combine([P.INCONCLUSIVE, P.FAIL]) == P.FAIL
    assert P.combine([]) == P.INCONCLUSIVE


def test_design_bonferroni():
    d = P.POWERED
    assert d.looks == (20, 30, 40, 50, 60)
    assert d.look_alpha == pytest.approx(0.01)
    with pytest.raises(ValueError, match="start"):
        P.Design(start=1)
    with pytest.raises(ValueError, match="start"):
        P.Design(start=30, maximum=20)


def _seq(effects: np.ndarray, design: P.Design = P.POWERED) -> P.SequentialResult:
    def evaluate(n: int, alpha: float) -> tuple[str, P.Decision]:
        d = P.decide(effects[:n], P.Criterion.greater(0), alpha)
        return d.verdict, d

    return P.sequential(evaluate, design)


def test_sequential_stops_at_first_settled_look():
    res = _seq(_effects(1.0, 1.0, 60))
    assert res.looks == [(20, P.PASS)] and res.n == 20 and res.last.level == pytest.approx(0.99)


def test_sequential_runs_to_the_maximum_when_unsettled():
    res = _seq(_effects(0.0, 1.0, 60, seed=3))
    assert [n for n, _ in res.looks] == [20, 30, 40, 50, 60]
    assert res.verdict == P.INCONCLUSIVE


def test_sequential_needs_more_seeds_for_a_small_effect():
    # effect 0.45 sd in every block of 10: the 99 % CI of 20 seeds (half-width ≈ 0.64)
    # straddles 0; by 40 seeds (≈ 0.43) it settles
    x = np.concatenate([_effects(0.45, 1.0, 10, seed=k) for k in range(6)])
    res = _seq(x)
    assert res.looks[0] == (20, P.INCONCLUSIVE)
    assert res.verdict == P.PASS and 20 < res.n <= 40


def test_sequential_type_one_error_is_controlled():
    """Under a zero effect the design settles PASS in at most ~alpha/2 of experiments
    (one-sided share of the Bonferroni bound), far below naive peeking at 95 %.
    """
    rng = np.random.default_rng(7)
    wrong = 0
    reps = 400
    for _ in range(reps):
        res = _seq(rng.normal(size=60))
        wrong += res.verdict == P.PASS
    assert wrong / reps < 0.04
