"""Measurements of field targets in the current model: a registry keyed by target id.

Each registered measurement is a function ``(ctx, seeds) -> Measured`` that runs the
model through the validation run cache (:class:`feedlab.analysis.validation.Context`) and
returns **one value per seed in the paper's units**; its docstring is the mapping from the
model to the paper (design, quantity, units), fixed before the test seeds were run
(docs/validation.md §Field targets). Targets the model cannot measure yet are listed in
:data:`NEEDS` with the mechanism they need.

The registry (:data:`MEASUREMENTS`, :data:`NEEDS`, :data:`INFORMATIVE`, the decorators)
is :mod:`feedlab.analysis.targets.registry`, re-exported here. Adding a measurement in a
new module (imported at the end of this one; it must import the registry and
:mod:`.designs`, never this module, or the imports would cycle)::

    from feedlab.analysis.targets.registry import Measured, register_measurement

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
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .designs import MINORITY_SHARE, MINORITY_STEPS, minority_overrides
from .registry import (
    INFORMATIVE,
    MEASUREMENTS,
    NEEDS,
    Measured,
    MeasureFn,
    register_informative,
    register_measurement,
)

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context


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


__all__ = [
    "INFORMATIVE",
    "MEASUREMENTS",
    "MINORITY_SHARE",
    "MINORITY_STEPS",
    "NEEDS",
    "MeasureFn",
    "Measured",
    "minority_overrides",
    "register_informative",
    "register_measurement",
]

# Measurements registered in their own modules (they import .registry and .designs).
from . import (  # noqa: E402, F401
    measure_affect,
    measure_exposure,
    measure_ideology,
    measure_sharing,
)
