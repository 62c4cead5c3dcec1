"""Known answers for every per-person rule (agents/rules, agents/population), worked by
hand from the formulas in their docstrings and docs/model.md."""

from __future__ import annotations

import numpy as np
import pytest

from feedlab.agents.population import (
    OpinionInit,
    PopulationConfig,
    Spread,
    draw_bounded,
    draw_population,
    validate_population,
)
from feedlab.agents.rules.emotion import (
    EmotionConfig,
    effective_tolerance,
    post_outrage,
    update_arousal,
)
from feedlab.agents.rules.opinion import OpinionConfig, apply_mean, opinion_deltas
from feedlab.agents.rules.value import ValueConfig, item_value

OPINION = OpinionConfig(
    enabled=True,
    trust_weighted=True,
    backfire=True,
    backfire_rate=0.1,
    backfire_arousal=0.5,
    backfire_distance=1.5,
)
EMOTION = EmotionConfig(
    enabled=True, decay=0.3, gain=0.5, narrowing=0.5, expression=0.2, post_noise=0.0
)


def a(*v: float) -> np.ndarray:
    return np.array(v, dtype=np.float64)


class TestOpinionDeltas:
    def test_inside_tolerance_pulls_by_trust_times_mu_times_distance(self) -> None:
        # d = 0.4 - 0.0 = 0.4 < eps 0.5: Δ = τ μ d = 0.5 * 0.2 * 0.4 = 0.04
        got = opinion_deltas(OPINION, a(0.0), a(0.4), a(0.5), a(0.2), a(0.0), a(0.5))
        assert got == pytest.approx([0.04])

    def test_untrusted_weighting_off_uses_weight_one(self) -> None:
        cfg = OpinionConfig(**{**OPINION.__dict__, "trust_weighted": False})
        got = opinion_deltas(cfg, a(0.0), a(0.4), a(0.5), a(0.2), a(0.0), a(0.5))
        assert got == pytest.approx([0.08])

    def test_outside_tolerance_and_calm_is_zero(self) -> None:
        got = opinion_deltas(OPINION, a(0.0), a(0.6), a(0.5), a(0.2), a(0.4), a(1.0))
        assert got == pytest.approx([0.0])

    def test_backfire_pushes_away_when_aroused_and_far(self) -> None:
        # d = 0.9 > 1.5 * 0.5 = 0.75 and e = 0.8 > 0.5: Δ = -τ μ_back e d = -1*0.1*0.8*0.9
        got = opinion_deltas(OPINION, a(0.0), a(0.9), a(0.5), a(0.2), a(0.8), a(1.0))
        assert got == pytest.approx([-0.072])

    def test_between_tolerance_and_backfire_distance_is_zero(self) -> None:
        # 0.5 <= |d| = 0.7 <= 0.75: neither pull nor push
        got = opinion_deltas(OPINION, a(0.0), a(-0.7), a(0.5), a(0.2), a(0.8), a(1.0))
        assert got == pytest.approx([0.0])

    def test_apply_mean_averages_per_viewer_and_clips(self) -> None:
        x = a(0.0, 0.95)
        viewer = np.array([0, 0, 1])
        delta = a(0.1, 0.3, 0.2)
        got = apply_mean(x, viewer, delta, np.array([2, 1]))
        assert got == pytest.approx([0.2, 1.0])

    def test_one_item_full_trust_no_arousal_is_deffuant(self) -> None:
        """With trust 1, no arousal and one item this is Deffuant et al. (2000)."""
        x, y, mu = 0.1, 0.3, 0.25
        d = opinion_deltas(OPINION, a(x), a(y), a(0.5), a(mu), a(0.0), a(1.0))
        assert apply_mean(a(x), np.array([0]), d, np.array([1])) == pytest.approx(
            [x + mu * (y - x)]
        )


class TestEmotion:
    def test_update_arousal_known_answer(self) -> None:
        # (1 - 0.3) * 0.4 + 0.5 * 0.6 * 0.5 = 0.28 + 0.15 = 0.43
        assert update_arousal(EMOTION, a(0.4), a(0.6), a(0.5)) == pytest.approx([0.43])

    def test_update_arousal_is_clipped_to_one(self) -> None:
        assert update_arousal(EMOTION, a(0.9), a(1.0), a(1.0)) == pytest.approx([1.0])

    def test_arousal_off_is_zero(self) -> None:
        off = EmotionConfig(**{**EMOTION.__dict__, "enabled": False})
        assert update_arousal(off, a(0.9), a(1.0), a(1.0)) == pytest.approx([0.0])
        assert effective_tolerance(off, a(0.6), a(0.9)) == pytest.approx([0.6])

    def test_effective_tolerance_narrows_with_arousal(self) -> None:
        # 0.6 * (1 - 0.5 * 0.4) = 0.48
        assert effective_tolerance(EMOTION, a(0.6), a(0.4)) == pytest.approx([0.48])

    def test_post_outrage_adds_expression_times_arousal_and_clips(self) -> None:
        rng = np.random.default_rng(0)
        got = post_outrage(EMOTION, a(0.3, 0.95), a(0.5, 0.5), rng)
        assert got == pytest.approx([0.4, 1.0])

    def test_post_outrage_noise_has_its_sd(self) -> None:
        cfg = EmotionConfig(**{**EMOTION.__dict__, "post_noise": 0.1, "expression": 0.0})
        got = post_outrage(cfg, np.full(40_000, 0.5), np.zeros(40_000), np.random.default_rng(1))
        assert got.mean() == pytest.approx(0.5, abs=0.003)
        assert got.std() == pytest.approx(0.1, rel=0.03)


def test_item_value_known_answer() -> None:
    cfg = ValueConfig(quality=1.0, agreement=0.5, tie=0.25, regret=2.0)
    # 1*0.8 + 0.5*0.6 + 0.25*0.4 - 2*0.1 = 0.8 + 0.3 + 0.1 - 0.2 = 1.0
    assert item_value(cfg, a(0.8), a(0.6), a(0.4), a(0.1)) == pytest.approx([1.0])


def _population(**over: object) -> PopulationConfig:
    base: dict[str, object] = {
        "name": "test",
        "opinion": OpinionInit(init="polarised", separation=0.5, spread=0.1),
        "tolerance": Spread(0.4, 0.1),
        "convergence": Spread(0.2, 0.05),
        "susceptibility": Spread(0.5, 0.2),
        "outrage_base": Spread(0.2, 0.1),
        "quality": Spread(0.6, 0.1),
        "activity": Spread(0.5, 0.2),
        "attention": Spread(10.0, 2.0),
        "political": Spread(0.3, 0.1),
        "share_propensity": Spread(1.0, 0.2),
        "platform_trust": Spread(0.6, 0.1),
        "max_posts": 5,
        "max_attention": 50,
    }
    base.update(over)
    return PopulationConfig(**base)  # type: ignore[arg-type]


class TestPopulation:
    def test_draw_bounded_has_the_mean_and_sd_inside_its_bounds(self) -> None:
        x = draw_bounded(Spread(0.3, 0.1), 100_000, 0.0, 1.0, np.random.default_rng(0))
        assert x.min() >= 0 and x.max() <= 1
        assert x.mean() == pytest.approx(0.3, abs=0.002)
        assert x.std() == pytest.approx(0.1, rel=0.02)

    def test_draw_bounded_sd_zero_is_constant(self) -> None:
        x = draw_bounded(Spread(0.3, 0.0), 5, 0.0, 1.0, np.random.default_rng(0))
        assert (x == 0.3).all()

    def test_draw_bounded_infeasible_sd_is_reduced_not_refused(self) -> None:
        x = draw_bounded(Spread(0.5, 5.0), 50_000, 0.0, 1.0, np.random.default_rng(0))
        assert 0 <= x.min() and x.max() <= 1 and x.std() < 0.5

    def test_polarised_opinions_sit_at_the_group_centres(self) -> None:
        groups = np.repeat([0, 1], 5000).astype(np.int32)
        u = draw_population(_population(), 10_000, groups, np.random.default_rng(2))
        assert u.opinion[groups == 0].mean() == pytest.approx(-0.5, abs=0.01)
        assert u.opinion[groups == 1].mean() == pytest.approx(0.5, abs=0.01)
        assert (u.group == groups).all() and (u.arousal == 0).all()
        assert (u.platform_trust == u.platform_trust_baseline).all()
        assert u.platform_trust is not u.platform_trust_baseline
        assert u.attention.min() >= 1 and u.attention.max() <= 50

    def test_without_network_groups_the_group_is_the_opinion_sign(self) -> None:
        u = draw_population(_population(), 2000, None, np.random.default_rng(3))
        assert ((u.opinion > 0) == (u.group == 1)).all()

    def test_validate_population_names_the_field(self) -> None:
        bad = _population(tolerance=Spread(2.5, 0.1), attention=Spread(80.0, 1.0))
        problems = validate_population(bad)
        assert any(p.startswith("population.tolerance.mean") for p in problems)
        assert any(p.startswith("population.attention.mean") for p in problems)
        assert validate_population(_population()) == []
