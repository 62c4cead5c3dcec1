"""Measurements of field targets in the current model: a registry keyed by target id.

Each registered measurement is a function ``(ctx, seeds) -> Measured`` that runs the
model through the validation run cache (:class:`feedlab.analysis.validation.Context`) and
returns **one value per seed in the paper's units**; its docstring is the mapping from the
model to the paper (design, quantity, units), fixed before the test seeds were run
(docs/validation.md §Field targets). Targets the model cannot measure yet are listed in
:data:`NEEDS` with the mechanism they need.

Adding a measurement (e.g. affective polarisation, animosity)::

    from feedlab.analysis.targets.measurements import Measured, register_measurement

    @register_measurement("milli2025_outgroup_animosity")
    def _animosity(ctx, seeds):
        '''Mapping: ... (paper's units) ...'''
        runs = ctx.run_many([[..., f"seed={s}"] for s in seeds])
        return Measured(values=[...], detail="...")

Registering removes the target from :data:`NEEDS`; ``feedlab validate --targets`` then
measures it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context


@dataclass(frozen=True)
class Measured:
    """Per-seed values in the paper's units and a one-line description of the numbers."""

    values: list[float]
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


MeasureFn = Callable[["Context", Sequence[int]], Measured]

#: target id → measurement function.
MEASUREMENTS: dict[str, MeasureFn] = {}

#: target id → the mechanism a measurement needs (targets without a measurement).
NEEDS: dict[str, str] = {
    "bakshy2015_editors_summary_15pct": (
        "nothing the model lacks — the editors' figure is not a quantity of the paper "
        "(data/targets README); measure bakshy2015_ranking_crosscutting_pooled instead"
    ),
    "bakshy2015_ranking_crosscutting_conservatives": (
        "an ideological (liberal/conservative) label on the two groups and per-group "
        "cross-cutting shares per arm"
    ),
    "bakshy2015_ranking_crosscutting_liberals": (
        "an ideological (liberal/conservative) label on the two groups and per-group "
        "cross-cutting shares per arm"
    ),
    "brady2017_moral_emotional_words": (
        "moral-emotional word counts per item (items carry a continuous outrage score, "
        "not words) and a retweet-count regression"
    ),
    "guess2023_polarisation": (
        "affective polarisation on a survey scale (being added in parallel; register it here)"
    ),
    "guess2023_political_content": "a per-arm political share of impressions in the summary",
    "guess2023_untrustworthy_content": "a source-reliability attribute of items",
    "huszar2022_right_vs_left": (
        "asymmetric left/right party accounts in several countries; the default model's two "
        "groups are symmetric by construction, so a right-vs-left count has no analogue"
    ),
    "milli2025_anger": "reader emotion survey measures (anger) per item shown",
    "milli2025_outgroup_animosity": (
        "out-group animosity of readers (being added in parallel; register it here)"
    ),
    "milli2025_outgroup_feeling": (
        "out-group feeling of readers (being added in parallel; register it here)"
    ),
    "milli2025_partisanship": "a partisanship score of items shown to readers",
    "piccardi2025_engagement": (
        "reranking by an affective-polarisation classifier of items (up- and down-ranking arms)"
    ),
    "piccardi2025_thermometer_downrank": (
        "a 0–100 feeling thermometer towards the out-group (affective polarisation)"
    ),
    "piccardi2025_thermometer_uprank": (
        "a 0–100 feeling thermometer towards the out-group (affective polarisation)"
    ),
    "rathje2021_outgroup_term_odds": "out-group terms in items and a share-count regression",
    "rathje2021_outgroup_vs_ingroup_shares": "items about the out-group vs the in-group",
}


def register_measurement(target_id: str) -> Callable[[MeasureFn], MeasureFn]:
    """Register ``fn`` as the measurement of ``target_id`` (replacing any earlier one)."""

    def deco(fn: MeasureFn) -> MeasureFn:
        MEASUREMENTS[target_id] = fn
        NEEDS.pop(target_id, None)
        return fn

    return deco


# ---------------------------------------------------------------- TikTok engagement slope

#: Decades of followers spanned by the TikTok table (1,145 to 1,400,000: log10 ratio 3.09).
TIKTOK_DECADES = math.log10(1_400_000 / 1_145)


@register_measurement("tiktok_top25_engagement_slope")
def tiktok_slope(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): ``experiment=engagement_rate_by_tier`` (follower
    graph, influencers, engagement ranking), one run per seed. Engagement rate per account =
    (likes + comments) per post ÷ mean followers (:func:`feedlab.analysis.influencers.
    engagement_rates`, the table's likes per post ÷ followers); OLS slope of log10 rate on
    log10 followers (:func:`feedlab.analysis.metrics.engagement_rate_scaling`) over the
    non-bot accounts whose followers lie in **the same follower range as the table in
    relative terms**: the top 3.09 decades of the run, [F_max / 1,223, F_max] — the table
    spans 1,145 to 1.4 M followers, which a network of a few thousand users cannot hold, so
    the same span of audience sizes is taken from the largest account down. Units: the
    paper's (a dimensionless elasticity); no conversion. One slope per seed.
    """
    from feedlab.analysis import influencers as infl
    from feedlab.analysis.metrics import engagement_rate_scaling

    runs = ctx.run_many([["experiment=engagement_rate_by_tier", f"seed={s}"] for s in seeds])
    slopes, counts = [], []
    for r in runs:
        a = infl.read_run(r["run_dir"])["agents"]
        er = infl.engagement_rates(
            a["likes_received"], a["comments_received"], a["posts_made"], a["mean_followers"]
        )
        f = np.asarray(a["mean_followers"], dtype=np.float64)
        keep = np.asarray(a["role"]) != infl.ROLE_BOT
        top = float(np.max(f[keep])) if keep.any() else math.nan
        keep &= f >= top / 10**TIKTOK_DECADES
        slope, _lo, _hi, n = engagement_rate_scaling(f[keep], er[keep])
        slopes.append(float(slope))
        counts.append(int(n))
    return Measured(
        values=slopes,
        detail=f"accounts in range per seed {min(counts)}–{max(counts)}",
        data={"accounts": counts},
    )


# ------------------------------------------------ minority chronological arm (Guess 2023)

#: Share of users on the chronological feed: a small treated minority inside an
#: engagement-ranked platform, as in Guess et al. (2023).
MINORITY_SHARE = 0.05
#: Days of the minority-arm runs (one step = one day; Guess et al.'s 3-month study).
MINORITY_STEPS = 90


def minority_overrides(seed: int) -> list[str]:
    """One run with a chronological minority arm: ``experiment=feed_ab_test`` (its control
    arm is chronological, its treatment the engagement ranking) with the shares swapped to
    5 % chronological / 95 % engagement, 90 steps, window 3, N = 3000.
    """
    return [
        "experiment=feed_ab_test",
        "ranking=engagement",
        f"arms.0.share={MINORITY_SHARE}",
        f"arms.1.share={1 - MINORITY_SHARE}",
        f"steps={MINORITY_STEPS}",
        f"seed={seed}",
    ]


def _arm_ratio(
    ctx: Context,
    seeds: Sequence[int],
    metric: str,
    invert: bool,
    extra: Sequence[str] = (),
) -> Measured:
    """Per seed 100 × (chronological ÷ engagement − 1) of the summary's
    ``run_mean_<metric>__<arm>`` (``invert``: engagement ÷ chronological − 1); ``extra``
    overrides are appended to :func:`minority_overrides` (e.g. a mechanism switched on).
    """
    runs = ctx.run_many([[*minority_overrides(s), *extra] for s in seeds])
    chrono = [float(r["summary"][f"run_mean_{metric}__control"]) for r in runs]
    eng = [float(r["summary"][f"run_mean_{metric}__treatment"]) for r in runs]
    num, den = (eng, chrono) if invert else (chrono, eng)
    values = [100.0 * (a / b - 1.0) if b > 0 else math.nan for a, b in zip(num, den)]
    return Measured(
        values=values,
        detail=(
            f"{metric}: chronological arm {np.nanmean(chrono):.4g}, engagement arm "
            f"{np.nanmean(eng):.4g} (means over seeds)"
        ),
        data={"chronological": chrono, "engagement": eng},
    )


@register_measurement("guess2023_engagement")
def guess_engagement(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`minority_overrides`; per seed, reactions (likes + comments + shares) per user per
    step of the chronological arm relative to the engagement arm, 100 × (chronological ÷
    engagement − 1), in % (the summary's ``run_mean_engagement_per_user__<arm>``). The paper
    reports a direction (chronological minus algorithmic < 0), so the sign is compared.
    """
    return _arm_ratio(ctx, seeds, "engagement_per_user", invert=False)


#: Sessions on: how far a user scrolls is endogenous (docs/attention.md §Sessions).
SESSION_OVERRIDES = ("dynamics.session.enabled=true",)


@register_measurement("guess2023_time_spent")
def guess_time_spent(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`minority_overrides` with **sessions on** (``dynamics.session.enabled=true``: each
    user stops scrolling by the foraging rule of ``agents/rules/session.py``, the rest of
    the configuration at its defaults). Time on platform per user and day is feedlab's
    ``time_spent_mean`` (items read × item time per user and step, every user of the arm
    counted). Per seed, the chronological arm's run mean relative to the engagement arm's,
    100 × (chronological ÷ engagement − 1), in % (``run_mean_time_spent_mean__<arm>``). The
    paper reports a direction ("substantially decreased"), so the sign is compared.
    """
    return _arm_ratio(ctx, seeds, "time_spent_mean", invert=False, extra=SESSION_OVERRIDES)


@register_measurement("guess2023_uncivil_slur_content")
def guess_uncivil(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`minority_overrides`; feedlab's analogue of uncivil content is the high-outrage
    item (outrage ≥ 0.6). Per seed, the high-outrage share of the chronological arm's
    impressions relative to the engagement arm's, 100 × (chronological ÷ engagement − 1), in
    % (``run_mean_outrage_share_impressions__<arm>``). The paper gives a direction
    (chronological < algorithmic), so the sign is compared.
    """
    return _arm_ratio(ctx, seeds, "outrage_share_impressions", invert=False)


@register_measurement("bakshy2015_ranking_crosscutting_pooled")
def bakshy_pooled(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`minority_overrides`. Bakshy et al. compare the cross-cutting share of the ranked
    feed with that of what friends posted. The chronological arm's cross-cutting share of
    impressions stands for what followees posted: its order (time) is blind to the author's
    group, so even truncated by attention it is a group-blind sample of the candidates. Per
    seed, 100 × (engagement arm ÷ chronological arm − 1) of
    ``run_mean_cross_cutting_share__<arm>``, in % relative change (the paper's −2.03 %:
    29.5 % → 28.9 %).
    """
    return _arm_ratio(ctx, seeds, "cross_cutting_share", invert=True)
