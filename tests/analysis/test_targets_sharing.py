"""Known answers for the sharing estimators of :mod:`feedlab.analysis.targets.measure_sharing`:
the Poisson rate ratio, the quantile mapping of scores to word counts, and the per-word and
per-SD ratios on hand-made audit histograms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from feedlab.analysis.targets import audit as A
from feedlab.analysis.targets import measure_sharing as S
from feedlab.analysis.targets.measurements import INFORMATIVE, NEEDS


def test_poisson_rate_ratio_is_exact_on_expected_counts() -> None:
    # events equal to their expectation: the MLE is the true parameter exactly
    x = np.array([0.0, 1.0, 2.0, 3.0])
    exposure = np.array([1000.0, 500.0, 200.0, 50.0])
    events = exposure * 0.05 * 1.2**x
    ratio, se = S.poisson_rate_ratio(x, events, exposure)
    assert ratio == pytest.approx(1.2, rel=1e-10)
    assert 0 < se < 1


def test_poisson_rate_ratio_recovers_a_known_irr_from_poisson_draws() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 5, size=20_000).astype(float)
    events = rng.poisson(0.1 * 1.67**x)
    ratio, se = S.poisson_rate_ratio(x, events, np.ones_like(x))
    assert abs(math.log(ratio) - math.log(1.67)) < 3 * se
    assert se < 0.02
    # no variation in x, or no events: undefined
    assert math.isnan(S.poisson_rate_ratio([1, 1], [3, 4], [10, 10])[0])
    assert math.isnan(S.poisson_rate_ratio([0, 1], [0, 0], [10, 10])[0])


def test_implied_counts_follow_the_papers_distribution() -> None:
    pmf = [0.5, 0.3, 0.2]  # 50 % no word, 30 % one, 20 % two or more
    cdf = [0.0, 0.1, 0.5, 0.5001, 0.8, 0.8001, 1.0]
    assert S.implied_counts(cdf, pmf).tolist() == [0, 0, 0, 1, 1, 2, 2]
    # uniform quantiles reproduce the pmf
    k = S.implied_counts((np.arange(10_000) + 0.5) / 10_000, pmf)
    assert np.bincount(k).tolist() == [5000, 3000, 2000]
    with pytest.raises(ValueError, match="pmf"):
        S.implied_counts([0.5], [0.5, 0.4])
    with pytest.raises(ValueError, match="pmf"):
        S.implied_counts([0.5], [1.2, -0.2])


def test_bin_quantiles_use_mid_ranks() -> None:
    q = S.bin_quantiles([2, 0, 6, 2])
    assert q.tolist() == pytest.approx([0.1, 0.2, 0.5, 0.9])
    assert np.isnan(S.bin_quantiles([0, 0])).all()


def _hist(x: np.ndarray, impressions: np.ndarray, shares: np.ndarray) -> np.ndarray:
    h = np.zeros((3, x.size))
    h[A.IMPRESSIONS], h[A.SHARES], h[A.VALUE_SUM] = impressions, shares, x * impressions
    return h


def test_per_word_rate_ratio_recovers_the_irr_of_the_implied_counts() -> None:
    # 4 score bins with 40 %, 30 %, 20 %, 10 % of the posts; a pmf of 40/30/30 gives the
    # bins 0, 1, 2, 2 words; shares per impression 0.1 × 1.2^k
    posts = np.array([40.0, 30.0, 20.0, 10.0])
    k = np.array([0, 1, 2, 2])
    imp = np.array([1000.0, 800.0, 300.0, 100.0])
    h = _hist(np.array([0.1, 0.4, 0.6, 0.9]), imp, imp * 0.1 * 1.2**k)
    ratio, _se = S.per_word_rate_ratio(h, posts, [0.4, 0.3, 0.3])
    assert ratio == pytest.approx(1.2, rel=1e-9)
    # a different pmf changes the implied counts and so the ratio: the mapping matters
    other, _ = S.per_word_rate_ratio(h, posts, [0.7, 0.3])
    assert other != pytest.approx(1.2, rel=1e-3)


def test_per_sd_rate_ratio_on_a_known_histogram() -> None:
    x = np.array([0.0, 1.0])
    h = _hist(x, np.array([100.0, 100.0]), np.array([10.0, 20.0]))
    per_sd, sd, per_unit = S.per_sd_rate_ratio(h)
    assert per_unit == pytest.approx(2.0)
    assert sd == pytest.approx(0.5)
    assert per_sd == pytest.approx(math.sqrt(2.0))
    assert all(math.isnan(v) for v in S.per_sd_rate_ratio(np.zeros((3, 4))))


def test_brady_and_rathje_stay_unmeasured_with_informative_rows() -> None:
    for tid in (
        "brady2017_moral_emotional_words",
        "rathje2021_outgroup_term_odds",
        "rathje2021_outgroup_vs_ingroup_shares",
    ):
        assert tid in NEEDS
    assert "quantile mapping" in NEEDS["brady2017_moral_emotional_words"]
    assert "in-group" in NEEDS["rathje2021_outgroup_vs_ingroup_shares"]
    assert "brady2017_share_rate_per_sd_outrage" in INFORMATIVE
    assert "rathje2021_share_rate_per_sd_animosity" in INFORMATIVE
