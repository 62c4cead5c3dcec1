"""Verdict rules of field targets (feedlab.analysis.targets.verdict) and the measurement
registry's seam (feedlab.analysis.targets.registry, re-exported by .measurements)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from feedlab.analysis.targets import Interval, load_targets
from feedlab.analysis.targets import measurements as M
from feedlab.analysis.targets import registry as R
from feedlab.analysis.targets import verdict as TV


@pytest.fixture(scope="module")
def targets():
    return load_targets()


def _vals(mean: float, sd: float, n: int = 20) -> np.ndarray:
    x = np.random.default_rng(0).normal(size=n)
    return mean + sd * (x - x.mean()) / x.std(ddof=1)


def test_quantitative_pass_needs_mean_inside_and_a_narrower_ci(targets):
    t = targets["tiktok_top25_engagement_slope"]  # [-0.57, -0.31], verified
    v = TV.target_verdict(t, _vals(-0.44, 0.05))
    assert v.verdict == TV.PASS and v.ci_lo < -0.44 < v.ci_hi and v.n == 20
    wide = TV.target_verdict(t, _vals(-0.44, 0.5))  # mean inside, CI wider than the interval
    assert wide.verdict == TV.INCONCLUSIVE and "wider" in wide.reason
    off = TV.target_verdict(t, _vals(0.1, 0.05))  # CI disjoint from the interval
    assert off.verdict == TV.FAIL and "does not overlap" in off.reason
    near = TV.target_verdict(t, _vals(-0.25, 0.2))  # mean outside, CI overlaps
    assert near.verdict == TV.INCONCLUSIVE and "outside" in near.reason


def test_unverified_targets_are_never_judged(targets):
    t = dataclasses.replace(targets["milli2025_anger"], verified=False)
    boxed = dataclasses.replace(t, interval=Interval(0.3, 0.6, "95% CI"))
    direction = dataclasses.replace(t, interval=None)
    # inside the interval (would PASS), far outside (would FAIL), and a direction
    for cand, mean in ((t, 0.47), (boxed, 0.47), (boxed, -5.0), (direction, -5.0)):
        v = TV.target_verdict(cand, _vals(mean, 0.01))
        assert v.verdict == TV.UNVERIFIED and v.mean == pytest.approx(mean)


def test_a_published_direction_is_decided_on_its_sign(targets):
    t = targets["guess2023_engagement"]  # verified direction: decrease, no interval
    agree = TV.target_verdict(t, _vals(-10.0, 2.0))
    assert agree.verdict == TV.PASS_DIRECTION and "wholly on that side" in agree.reason
    opposite = TV.target_verdict(t, _vals(10.0, 2.0))
    assert opposite.verdict == TV.FAIL_DIRECTION and "other side" in opposite.reason
    unsettled = TV.target_verdict(t, _vals(0.5, 2.0))
    assert unsettled.verdict == TV.INCONCLUSIVE and "contains 0" in unsettled.reason
    # known answer: MDE = (z_.975 + z_.8) * sd / sqrt(n) = 2.80159 * 2 / sqrt(20)
    assert unsettled.mde == pytest.approx(2.801585 * 2.0 / 20**0.5, rel=1e-5)
    assert "minimum detectable effect at these 20 seeds 1.25" in unsettled.reason
    assert np.isnan(agree.mde) and np.isnan(opposite.mde)


def test_a_magnitude_without_an_interval_is_decided_on_its_sign_only(targets):
    t = targets["piccardi2025_thermometer_downrank"]  # +2 points, verified, no interval
    assert t.interval is None and t.estimate == 2.0
    small = TV.target_verdict(t, _vals(0.387, 0.04))  # far below 2 but on its side
    assert small.verdict == TV.PASS_DIRECTION
    assert "magnitude is not compared" in small.reason
    assert TV.target_verdict(t, _vals(-0.3, 0.04)).verdict == TV.FAIL_DIRECTION


def test_a_ratio_direction_is_decided_against_1_not_0(targets):
    """A rate ratio (``scale: ratio``) has no effect at 1: a ratio of 0.8 is the opposite of
    Brady et al.'s increase although it is positive."""
    t = dataclasses.replace(targets["brady2017_moral_emotional_words"], interval=None)
    assert t.scale == "ratio" and t.sign > 0 and t.verified
    assert TV.null_value(t) == 1.0
    assert TV.target_verdict(t, _vals(1.3, 0.05)).verdict == TV.PASS_DIRECTION
    below = TV.target_verdict(t, _vals(0.8, 0.05))
    assert below.verdict == TV.FAIL_DIRECTION and "other side of 1" in below.reason
    around = TV.target_verdict(t, _vals(1.01, 0.1))
    assert around.verdict == TV.INCONCLUSIVE and "contains 1" in around.reason


def test_a_published_null_without_an_interval_is_not_decidable(targets):
    null = targets["guess2023_polarisation"]
    assert null.sign == 0 and null.interval is None
    for mean in (0.0, -0.045, 3.0):  # whatever the model gives
        v = TV.target_verdict(null, _vals(mean, 0.02))
        assert v.verdict == TV.NO_INTERVAL and "cannot be tested" in v.reason


def test_milli_targets_known_answers(targets):
    """The model values of the 20-seed run of record (docs/validation_targets.md) against
    the verified Milli et al. intervals: mean inside and CI narrower -> PASS; disjoint ->
    FAIL-reported."""
    anger = targets["milli2025_anger"]  # [0.4044, 0.5412]
    assert TV.target_verdict(anger, _vals(0.456, 0.0185)).verdict == TV.PASS
    feel = targets["milli2025_outgroup_feeling"]  # [-0.2239, -0.1171]
    assert TV.target_verdict(feel, _vals(-0.208, 0.078)).verdict == TV.PASS
    part = targets["milli2025_partisanship"]  # [0.1793, 0.3070]
    assert TV.target_verdict(part, _vals(0.0417, 0.096)).verdict == TV.FAIL
    # the same anger mean with a CI wider than the paper's interval is not a PASS
    assert TV.target_verdict(anger, _vals(0.456, 0.2)).verdict == TV.INCONCLUSIVE


def test_published_null_with_interval_is_an_equivalence_test(targets):
    t = dataclasses.replace(
        targets["guess2023_polarisation"], interval=Interval(-0.1, 0.1, "95% CI"), sign=0
    )
    assert TV.target_verdict(t, _vals(0.0, 0.05)).verdict == TV.PASS
    assert TV.target_verdict(t, _vals(0.5, 0.05)).verdict == TV.FAIL
    assert TV.target_verdict(t, _vals(0.05, 0.3)).verdict == TV.INCONCLUSIVE


def test_not_measured_names_the_mechanism(targets):
    v = TV.target_verdict(
        targets["brady2017_moral_emotional_words"],
        None,
        M.NEEDS["brady2017_moral_emotional_words"],
    )
    assert v.verdict == TV.NOT_MEASURED and v.reason.startswith("not measured: needs ")


def test_every_target_is_measured_or_says_what_it_needs(targets):
    for tid in targets:
        assert (tid in M.MEASUREMENTS) != (tid in M.NEEDS), tid
    for tid in (
        "tiktok_top25_engagement_slope",
        "guess2023_engagement",
        "guess2023_uncivil_slur_content",
        "bakshy2015_ranking_crosscutting_pooled",
        "guess2023_polarisation",
        "guess2023_political_content",
        "guess2023_untrustworthy_content",
        "milli2025_anger",
        "milli2025_outgroup_animosity",
        "milli2025_outgroup_feeling",
        "milli2025_partisanship",
        "piccardi2025_thermometer_downrank",
        "piccardi2025_thermometer_uprank",
        "piccardi2025_engagement",
    ):
        assert tid in M.MEASUREMENTS
        assert "Mapping" in (M.MEASUREMENTS[tid].__doc__ or "")  # the mapping beside it


def test_register_measurement_is_the_seam(monkeypatch):
    assert M.MEASUREMENTS is R.MEASUREMENTS and M.NEEDS is R.NEEDS  # one registry
    monkeypatch.setattr(R, "MEASUREMENTS", dict(R.MEASUREMENTS))
    monkeypatch.setattr(R, "NEEDS", dict(R.NEEDS))

    @M.register_measurement("brady2017_moral_emotional_words")
    def brady(ctx, seeds):
        """Mapping: a test measurement."""
        return M.Measured(values=[0.2] * len(seeds))

    assert R.MEASUREMENTS["brady2017_moral_emotional_words"] is brady
    assert "brady2017_moral_emotional_words" not in R.NEEDS
    assert "brady2017_moral_emotional_words" not in M.MEASUREMENTS  # the patch was a copy


def test_a_lower_level_is_stated_and_decides(targets):
    t = targets["guess2023_engagement"]
    x = _vals(-1.0, 2.0)  # 95 % CI just below 0, a 99.9 % CI contains it
    assert TV.target_verdict(t, x).verdict == TV.PASS_DIRECTION
    strict = TV.target_verdict(t, x, level=0.999)
    assert strict.verdict == TV.INCONCLUSIVE and "99.9 % CI" in strict.reason
    assert strict.level == 0.999 and strict.ci_lo < TV.target_verdict(t, x).ci_lo
    with pytest.raises(ValueError, match="level"):
        TV.target_verdict(t, x, level=1.0)


def test_sequential_design_extends_only_while_inconclusive(targets, monkeypatch):
    """Looks at 2, 4, 6 seeds (alpha 0.05 / 3 each): a target whose 2-seed CI contains 0 is
    measured again on the first 4 seeds, settles there and is not run on 6; a target settled
    at the first look (a published null without an interval) is measured once."""
    from feedlab.analysis.validation.protocol import Design
    from feedlab.analysis.validation.targets_report import measure_targets

    per_seed = {0: -1.0, 1: -1.2, 2: -1.1, 3: -1.05, 4: 5.0, 5: 5.0}
    calls: list[tuple[str, list[int]]] = []

    def fake(tid):
        def fn(ctx, seeds):
            calls.append((tid, list(seeds)))
            return M.Measured(values=[per_seed[s] for s in seeds])

        return fn

    registry = dict(R.MEASUREMENTS)
    for tid in ("guess2023_engagement", "guess2023_polarisation"):
        registry[tid] = fake(tid)
    monkeypatch.setattr(R, "MEASUREMENTS", registry)
    monkeypatch.setattr(M, "MEASUREMENTS", registry)
    rows = measure_targets(
        None,  # type: ignore[arg-type]  # the fake measurements need no context
        list(range(6)),
        only=("guess2023_engagement", "guess2023_polarisation"),
        design=Design(start=2, step=2, maximum=6),
    )
    by = {r["target"]: r for r in rows}
    eng = by["guess2023_engagement"]
    assert [c[1] for c in calls if c[0] == "guess2023_engagement"] == [[0, 1], [0, 1, 2, 3]]
    assert eng["looks"] == [[2, TV.INCONCLUSIVE], [4, TV.PASS_DIRECTION]]
    assert eng["verdict"] == TV.PASS_DIRECTION and eng["n"] == 4 and eng["seeds"] == [0, 1, 2, 3]
    assert eng["level"] == pytest.approx(1 - 0.05 / 3)
    pol = by["guess2023_polarisation"]
    assert [c[1] for c in calls if c[0] == "guess2023_polarisation"] == [[0, 1]]
    assert pol["looks"] == [[2, TV.NO_INTERVAL]] and pol["n"] == 2
    # without a design the fixed rule: one measurement on all the seeds, 95 %
    calls.clear()
    fixed = measure_targets(None, list(range(4)), only=("guess2023_engagement",))  # type: ignore[arg-type]
    assert calls == [("guess2023_engagement", [0, 1, 2, 3])] and fixed[0]["looks"] == []
    assert fixed[0]["level"] == 0.95
