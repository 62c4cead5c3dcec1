"""Known answers for the affect rules (agents/rules/affect.py) and the affect metrics
(analysis/metrics/affect.py), worked by hand from their docstrings and docs/model.md
§Affective polarisation and anger."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from feedlab.agents.population import Spread, draw_affect
from feedlab.agents.rules.affect import (
    AffectConfig,
    anger,
    feed_exposure,
    post_animosity,
    update_ingroup_warmth,
    update_outgroup_warmth,
)
from feedlab.analysis.metrics.affect import (
    affective_gap,
    animosity_share,
    mean_anger,
    mean_change,
    mean_warmth,
)
from feedlab.experiments.schema import ConfigError, parse

CFG = AffectConfig(
    enabled=True,
    feedback=False,
    ingroup_warmth=Spread(mean=70.0, sd=0.0),
    outgroup_warmth=Spread(mean=30.0, sd=0.0),
    animosity_base=0.1,
    animosity_coldness=0.5,
    animosity_arousal=0.3,
    animosity_noise=0.0,
    cooling=2.0,
    outrage_weight=0.5,
    rally=4.0,
    relax=0.1,
    anger_arousal=0.5,
    anger_outrage=0.3,
    anger_animosity=0.2,
    high_animosity=0.5,
)


def a(*v: float) -> np.ndarray:
    return np.array(v, dtype=np.float64)


class TestPostAnimosity:
    def test_political_posts_from_coldness_and_arousal(self) -> None:
        # 0.1 + 0.5 (1 - 30/100) + 0.3 * 0.5 = 0.1 + 0.35 + 0.15 = 0.6; 0.1 + 0 + 0 = 0.1
        got = post_animosity(
            CFG,
            np.array([True, True, False]),
            a(30.0, 100.0, 0.0),
            a(0.5, 0.0, 1.0),
            np.random.default_rng(0),
        )
        assert got == pytest.approx([0.6, 0.1, 0.0])

    def test_clipped_to_unit_interval(self) -> None:
        cfg = dataclasses.replace(CFG, animosity_base=0.9)
        got = post_animosity(cfg, np.array([True]), a(0.0), a(1.0), np.random.default_rng(0))
        assert got == pytest.approx([1.0])

    def test_noise_is_one_normal_per_post_from_the_given_stream(self) -> None:
        cfg = dataclasses.replace(CFG, animosity_noise=0.1)
        xi = np.random.default_rng(7).standard_normal(2)
        got = post_animosity(
            cfg, np.array([True, False]), a(50.0, 50.0), a(0.0, 0.0), np.random.default_rng(7)
        )
        assert got == pytest.approx([0.1 + 0.25 + 0.1 * xi[0], 0.0])


class TestFeedExposure:
    def test_means_over_each_viewers_items(self) -> None:
        # viewer 0 reads an in-group item (α 0.4, o 0.6) and an out-group item (α 0.8, o 1):
        #   h = (0.4 + 0.5*0.6 + 0.8) / 2 = 0.75, r = 0.8 / 2 = 0.4, ᾱ = 0.6
        # viewer 1 reads nothing: all 0; viewer 2 one out-group item (α 0.2): h = r = ᾱ = 0.2
        h, r, mean_a = feed_exposure(
            CFG,
            np.array([0, 0, 2]),
            np.array([True, False, False]),
            a(0.4, 0.8, 0.2),
            a(0.6, 1.0, 0.9),
            3,
        )
        assert h == pytest.approx([0.75, 0.0, 0.2])
        assert r == pytest.approx([0.4, 0.0, 0.2])
        assert mean_a == pytest.approx([0.6, 0.0, 0.2])


class TestWarmth:
    def test_outgroup_cools_with_exposure_and_relaxes_to_baseline(self) -> None:
        # 40 - 2*0.5 + 0.1 (50 - 40) = 40; 20 - 0 + 0.1 (30 - 20) = 21
        got = update_outgroup_warmth(CFG, a(40.0, 20.0), a(50.0, 30.0), a(0.5, 0.0))
        assert got == pytest.approx([40.0, 21.0])

    def test_outgroup_warmth_stays_on_the_thermometer(self) -> None:
        cfg = dataclasses.replace(CFG, cooling=100.0)
        assert update_outgroup_warmth(cfg, a(5.0), a(5.0), a(1.0)) == pytest.approx([0.0])

    def test_ingroup_rallies_with_outgroup_animosity(self) -> None:
        # 70 + 4*0.25 + 0.1 (70 - 70) = 71; 100 + 4 - 0 -> clipped to 100
        got = update_ingroup_warmth(CFG, a(70.0, 100.0), a(70.0, 100.0), a(0.25, 1.0))
        assert got == pytest.approx([71.0, 100.0])

    def test_no_exposure_no_change_at_baseline(self) -> None:
        w = a(10.0, 60.0)
        assert update_outgroup_warmth(CFG, w, w, a(0.0, 0.0)) == pytest.approx(w)


class TestAnger:
    def test_weighted_sum(self) -> None:
        # 0.5*0.4 + 0.3*0.5 + 0.2*1.0 = 0.2 + 0.15 + 0.2 = 0.55
        assert anger(CFG, a(0.4), a(0.5), a(1.0)) == pytest.approx([0.55])

    def test_clipped_to_one(self) -> None:
        cfg = dataclasses.replace(CFG, anger_arousal=1.0, anger_outrage=1.0)
        assert anger(cfg, a(1.0), a(1.0), a(0.0)) == pytest.approx([1.0])


class TestDrawAffect:
    def test_fixed_means_and_baselines_equal_initial_values(self) -> None:
        st = draw_affect(Spread(70.0, 0.0), Spread(30.0, 0.0), 4, np.random.default_rng(0))
        assert st.ingroup_warmth == pytest.approx([70.0] * 4)
        assert st.outgroup_warmth_baseline == pytest.approx([30.0] * 4)
        assert st.anger == pytest.approx([0.0] * 4)
        st.outgroup_warmth[0] = 0.0  # the state is not the baseline
        assert st.outgroup_warmth_baseline[0] == 30.0

    def test_spread_draws_stay_on_the_thermometer(self) -> None:
        st = draw_affect(Spread(70.0, 30.0), Spread(30.0, 30.0), 5000, np.random.default_rng(1))
        for w in (st.ingroup_warmth, st.outgroup_warmth):
            assert w.min() >= 0.0 and w.max() <= 100.0
        assert st.ingroup_warmth.mean() == pytest.approx(70.0, abs=1.5)
        assert st.outgroup_warmth.mean() == pytest.approx(30.0, abs=1.5)


def test_config_refuses_a_warmth_mean_off_the_thermometer() -> None:
    data = dataclasses.asdict(CFG)
    data["outgroup_warmth"] = {"mean": 130.0, "sd": 0.0}
    with pytest.raises(ConfigError, match=r"dynamics\.affect\.outgroup_warmth: mean 130"):
        parse(AffectConfig, data, "dynamics.affect")


class TestMetrics:
    def test_affective_gap_is_mean_in_minus_out(self) -> None:
        assert affective_gap(a(80.0, 60.0), a(20.0, 40.0)) == pytest.approx(40.0)
        assert np.isnan(affective_gap(a(), a()))
        with pytest.raises(ValueError, match="differ in shape"):
            affective_gap(a(1.0), a(1.0, 2.0))

    def test_means_and_empty(self) -> None:
        assert mean_warmth(a(10.0, 30.0)) == pytest.approx(20.0)
        assert mean_anger(a(0.2, 0.4)) == pytest.approx(0.3)
        assert mean_change(a(25.0, 30.0), a(30.0, 30.0)) == pytest.approx(-2.5)
        assert np.isnan(mean_change(a(), a()))
        assert np.isnan(mean_warmth(a())) and np.isnan(mean_anger(a()))

    def test_animosity_share_counts_at_or_above_threshold(self) -> None:
        assert animosity_share(a(0.1, 0.5, 0.7, 0.49), 0.5) == pytest.approx(0.5)
        assert np.isnan(animosity_share(a(), 0.5))
