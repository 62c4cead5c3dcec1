"""Field-target measurements of exposure: what each arm of Guess et al.'s (2023) minority
design saw (political and untrustworthy content), and Huszár et al.'s (2022) amplification
of political content as an informative row without a target.

Every mapping below was fixed (committed) before any test seed was run; only the
exploration seeds were looked at while writing them. The quantities come from the per-arm
feed audit (:mod:`feedlab.analysis.targets.audit`) of the minority design with affect on
(the same audit runs as :mod:`.measure_affect`; affect with ``feedback`` off changes no
other number of a run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .audit import arm_mean
from .measure_affect import CHRONO, ENGAGEMENT, minority_affect_audits
from .registry import Measured, register_informative, register_measurement

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context


def _share_difference(ctx: Context, seeds: Sequence[int], key: str) -> Measured:
    """Per seed, 100 × (share of the chronological arm's impressions with ``key`` − the
    engagement arm's), in percentage points.
    """
    audits = minority_affect_audits(ctx, seeds)
    chrono = [arm_mean(r, key, CHRONO) for r in audits]
    eng = [arm_mean(r, key, ENGAGEMENT) for r in audits]
    values = [100.0 * (c - e) for c, e in zip(chrono, eng, strict=True)]
    return Measured(
        values=values,
        detail=(
            f"{key} share of impressions: chronological arm {np.mean(chrono):.4g}, engagement "
            f"arm {np.mean(eng):.4g} (means over seeds)"
        ),
        data={"chronological": chrono, "engagement": eng},
    )


@register_measurement("guess2023_political_content")
def guess_political(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`feedlab.analysis.targets.designs.minority_overrides` (5 % chronological,
    95 % engagement, 90 steps of one day, N = 3000; affect on, which changes no other
    number). Political content is an item with feedlab's ``political`` flag (a reshare
    carries its original's). Per seed, the political share of the chronological arm's
    impressions minus the engagement arm's over all 90 steps, in percentage points;
    positive = more political content under chronological (the paper's direction). The
    shares are counted from each step's feed by the audit, not from a summary column, so
    no run output changes.
    """
    return _share_difference(ctx, seeds, "political")


@register_measurement("guess2023_untrustworthy_content")
def guess_untrustworthy(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the design of :func:`guess_political`. Guess
    et al. count content from sources rated untrustworthy (a source-level rating). feedlab's
    source rating is the author's mean post quality ``users.quality`` (the stand-in for a
    fact-checker's or NewsGuard's rating that ``ranking=quality`` and the transparency
    labels use); an item is from an untrustworthy source when its original author's mean
    quality is below ``platform.labels.reliability_threshold`` (default 0.4). Per seed, that
    share of the chronological arm's impressions minus the engagement arm's, in percentage
    points; positive = more untrustworthy content under chronological (the paper's
    direction). The paper's ranked feed also demoted such sources by integrity rules;
    feedlab's engagement ranking has none, so the comparison asks whether engagement
    ranking alone reproduces the direction.
    """
    return _share_difference(ctx, seeds, "unreliable")


@register_informative(
    "huszar2022_political_amplification",
    "Huszár et al. (2022)-style amplification of political content, engagement vs "
    "chronological (%; no target: the paper's count of countries has no analogue)",
)
def huszar_political(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Informative (no target; fixed before the test seeds): the minority design, whose
    small chronological arm is Huszár et al.'s reverse-chronological holdout inside a
    ranked platform. The item set is every political item; per step, ``R_T`` and ``R_C``
    are the distinct users of the engagement and chronological arms with at least one
    political item in their feed, and Huszár's amplification is
    ``100 · ((R_T + 1) / (R_C · N_T/N_C + 1) − 1)`` %
    (:func:`feedlab.analysis.metrics.engagement.huszar_amplification`), 0 % = equal reach
    per user. Per seed, its mean over the 90 steps.
    """
    from feedlab.analysis.metrics.engagement import huszar_amplification

    audits = minority_affect_audits(ctx, seeds)
    values = []
    for r in audits:
        reach = np.asarray(r["political_reach"], dtype=np.float64)
        n_c, n_t = r["arm_size"][CHRONO], r["arm_size"][ENGAGEMENT]
        if reach.size == 0:
            values.append(math.nan)
            continue
        a = huszar_amplification(reach[:, ENGAGEMENT], reach[:, CHRONO], n_t, n_c)
        values.append(float(np.mean(a)))
    return Measured(
        values=values,
        detail="political content reach per user, engagement arm vs chronological holdout",
    )
