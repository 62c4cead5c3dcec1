"""Sharing by item content: Brady et al. (2017) and Rathje et al. (2021) — the estimators,
the quantile mapping from a continuous item score to a per-post word count, and two
informative rows (docs/validation.md §Field targets).

**Why the three targets stay NOT MEASURED.** Brady et al. report a rate ratio *per
moral-emotional word* and Rathje et al. a factor *per out-group term*; feedlab items carry
one continuous outrage ``o ∈ [0, 1]`` and one out-group animosity ``α ∈ [0, 1]``. The only
conversion without a free factor is a quantile mapping (:func:`implied_counts`): the
paper's own distribution of words per post, ``P(K = k)``, matched to the model's
distribution of the score over original posts, so that a post at score quantile ``F``
carries ``k`` words when ``P(K < k) < F ≤ P(K ≤ k)``. That distribution is in the papers'
supplements and data deposits (Brady et al.'s OSF data; Rathje et al.'s SI Appendix and
OSF py9u4), which could not be read for this pass: the main texts give the effects but no
distribution of words per post. :func:`per_word_rate_ratio` is the measurement ready for
that table; registering it needs only the cited ``P(K = k)``. Rathje et al.'s out-group vs
in-group comparison needs posts about the in-group, which feedlab does not have (a
political post expresses animosity toward the other group or none; nothing in it praises or
names its own group).

**Estimator.** Shares per impression, a Poisson rate model with the impressions as
exposure, ``E[shares] = impressions · exp(b0 + b x)``, fitted by maximum likelihood
(:func:`poisson_rate_ratio`); ``exp(b)`` is the rate ratio per unit of ``x``, Brady et
al.'s incidence rate ratio when ``x`` counts words. The data are the per-arm histograms of
the feed audit (:mod:`feedlab.analysis.targets.audit`: impressions, shares and the summed
score per bin of 0.01), each bin at the mean score of its impressions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .audit import IMPRESSIONS, SHARES, VALUE_SUM
from .measure_affect import ENGAGEMENT, minority_affect_audits
from .registry import Measured, register_informative

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context


def poisson_rate_ratio(
    x: Sequence[float] | np.ndarray,
    events: Sequence[float] | np.ndarray,
    exposure: Sequence[float] | np.ndarray,
    iterations: int = 50,
) -> tuple[float, float]:
    """Maximum-likelihood Poisson rate model ``E[events] = exposure · exp(b0 + b x)``
    (McCullagh & Nelder 1989, *Generalized Linear Models*, §6.2: log link, the log of the
    exposure as offset), fitted by Newton–Raphson on grouped data. Returns ``(exp(b),
    se(b))``, the rate ratio per unit of ``x`` and the model-based standard error of ``b``
    (NaN, NaN when ``x`` does not vary over cells with exposure, or there are no events).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(events, dtype=np.float64)
    e = np.asarray(exposure, dtype=np.float64)
    keep = e > 0
    x, y, e = x[keep], y[keep], e[keep]
    if y.sum() <= 0 or x.size < 2 or np.ptp(x) == 0:
        return math.nan, math.nan
    xc = x - np.average(x, weights=e)  # centring keeps the Hessian well conditioned
    beta = np.array([math.log(y.sum() / e.sum()), 0.0])
    design = np.column_stack([np.ones_like(xc), xc])
    hess = np.eye(2)
    for _ in range(iterations):
        mu = e * np.exp(np.clip(design @ beta, -700, 700))
        grad = design.T @ (y - mu)
        hess = (design * mu[:, None]).T @ design
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    mu = e * np.exp(design @ beta)
    hess = (design * mu[:, None]).T @ design
    se = float(math.sqrt(np.linalg.inv(hess)[1, 1]))
    return float(math.exp(beta[1])), se


def implied_counts(cdf: Sequence[float] | np.ndarray, pmf: Sequence[float]) -> np.ndarray:
    """Quantile mapping of scores to word counts. ``cdf`` holds, per item (or bin), the
    quantile ``F ∈ [0, 1]`` of its score among the model's posts; ``pmf`` the paper's
    share of posts with ``k = 0, 1, …, K`` words (summing to 1; the last entry may be
    "K or more"). Returns ``k`` with ``P(K < k) < F ≤ P(K ≤ k)``: the lowest-scoring
    ``P(K = 0)`` of posts carry no word, the next ``P(K = 1)`` one word, and so on, so the
    implied counts have the paper's distribution and the scores' order.
    """
    p = np.asarray(pmf, dtype=np.float64)
    if p.ndim != 1 or p.size < 2 or np.any(p < 0) or not math.isclose(p.sum(), 1.0, abs_tol=1e-6):
        raise ValueError("pmf: shares of posts with 0, 1, ..., K words, non-negative, sum 1")
    cum = np.cumsum(p)
    cum[-1] = 1.0
    f = np.clip(np.asarray(cdf, dtype=np.float64), 0.0, 1.0)
    return np.minimum(np.searchsorted(cum, f - 1e-12, side="left"), p.size - 1)


def bin_quantiles(posts_per_bin: Sequence[float] | np.ndarray) -> np.ndarray:
    """Mid-quantile of each score bin among the posts: (posts in lower bins + half the
    bin's) ÷ all posts, the mid-rank rule for tied scores (NaN without posts).
    """
    n = np.asarray(posts_per_bin, dtype=np.float64)
    total = n.sum()
    if total <= 0:
        return np.full(n.shape, math.nan)
    return (np.cumsum(n) - 0.5 * n) / total


def per_word_rate_ratio(
    hist: np.ndarray, posts_per_bin: Sequence[float] | np.ndarray, pmf: Sequence[float]
) -> tuple[float, float]:
    """Rate ratio of shares per impression per implied word: each score bin gets the word
    count of its posts' mid-quantile (:func:`bin_quantiles`, :func:`implied_counts`);
    impressions and shares are summed per count and :func:`poisson_rate_ratio` is fitted
    on the count. ``hist`` is one arm's (3, bins) audit histogram.
    """
    h = np.asarray(hist, dtype=np.float64)
    q = bin_quantiles(posts_per_bin)
    if np.isnan(q).all():
        return math.nan, math.nan
    k = implied_counts(np.nan_to_num(q), pmf)
    n_k = len(pmf)
    impressions = np.bincount(k, weights=h[IMPRESSIONS], minlength=n_k)
    shares = np.bincount(k, weights=h[SHARES], minlength=n_k)
    return poisson_rate_ratio(np.arange(n_k), shares, impressions)


def per_sd_rate_ratio(hist: np.ndarray) -> tuple[float, float, float]:
    """Rate ratio of shares per impression per SD of the score over the impressions:
    returns ``(ratio per SD, SD, ratio per unit)`` from one arm's (3, bins) histogram,
    each bin at the mean score of its impressions.
    """
    h = np.asarray(hist, dtype=np.float64)
    imp, shares, xsum = h[IMPRESSIONS], h[SHARES], h[VALUE_SUM]
    keep = imp > 0
    if not keep.any():
        return math.nan, math.nan, math.nan
    x = xsum[keep] / imp[keep]
    w = imp[keep]
    mean = np.average(x, weights=w)
    # the SD of the bin means: within-bin spread (bins of 0.01) is ignored
    sd = float(math.sqrt(np.average((x - mean) ** 2, weights=w)))
    ratio, _se = poisson_rate_ratio(x, shares[keep], w)
    per_sd = ratio**sd if ratio == ratio else math.nan
    return per_sd, sd, ratio


def _informative(ctx: Context, seeds: Sequence[int], key: str) -> Measured:
    """Per seed, the engagement arm's rate ratio of shares per impression per SD of the
    item's ``key`` (:func:`per_sd_rate_ratio`).
    """
    audits = minority_affect_audits(ctx, seeds)
    per_sd, sds, per_unit, rates = [], [], [], []
    for r in audits:
        hist = np.asarray(r["share_bins"][key], dtype=np.float64)[ENGAGEMENT]
        a, sd, u = per_sd_rate_ratio(hist)
        per_sd.append(a)
        sds.append(sd)
        per_unit.append(u)
        imp = hist[IMPRESSIONS].sum()
        rates.append(float(hist[SHARES].sum() / imp) if imp > 0 else math.nan)
    data: dict[str, Any] = {"sd": sds, "per_unit": per_unit, "share_rate": rates}
    return Measured(
        values=per_sd,
        detail=(
            f"engagement arm: shares per impression {np.nanmean(rates):.4g}, SD of {key} over "
            f"impressions {np.nanmean(sds):.3g}, rate ratio per unit of {key} "
            f"{np.nanmean(per_unit):.3g} (means over seeds)"
        ),
        data=data,
    )


@register_informative(
    "brady2017_share_rate_per_sd_outrage",
    "Shares per impression, rate ratio per SD of item outrage (engagement arm; no target: "
    "Brady et al.'s per-word ratio needs their words-per-tweet distribution)",
)
def brady_outrage_per_sd(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Informative (no target; fixed before the test seeds): the minority design of
    :func:`feedlab.analysis.targets.designs.minority_overrides` with affect on (the runs
    of :func:`feedlab.analysis.targets.measure_affect.minority_affect_audits`), the 95 %
    engagement arm standing for the platform. Over every impression of the arm in all 90
    steps, the Poisson rate ratio of shares per impression per SD of the item's outrage
    (SD over the same impressions), :func:`per_sd_rate_ratio`. Brady et al.'s quantity is
    a rate ratio per moral-emotional word; no per-word figure is claimed here (module
    docstring), so this is shown without a verdict.
    """
    return _informative(ctx, seeds, "outrage")


@register_informative(
    "rathje2021_share_rate_per_sd_animosity",
    "Shares per impression, rate ratio per SD of item out-group animosity, political items "
    "(engagement arm; no target: Rathje et al.'s per-term factor needs their terms-per-post "
    "distribution)",
)
def rathje_animosity_per_sd(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Informative (no target; fixed before the test seeds): the design of
    :func:`brady_outrage_per_sd`, over the engagement arm's impressions of political items
    (a non-political item has no out-group animosity), the Poisson rate ratio of shares per
    impression per SD of the item's animosity ``α``. feedlab's reaction model has no
    animosity term (agents/rules/reaction.py), so any ratio ≠ 1 comes from animosity's
    correlation with outrage (both rise with the author's arousal) and from the ranking's
    selection, not from animosity itself. Rathje et al.'s quantity is a factor per
    out-group term on log(1 + shares); no per-term figure is claimed here.
    """
    return _informative(ctx, seeds, "animosity")
