"""Influencer metrics: engagement rate and its scaling, trust episodes, fake engagement.

Pure functions on per-account columns (``agents.parquet`` rows, or the influencer
extension's own books) and per-step series, never on model internals: the influencer
extension (:mod:`feedlab.agents.behaviours.accounts`) calls them live and
:mod:`feedlab.analysis.influencers` calls them on run outputs, so the two agree.

* **Engagement rate** (industry definition, :func:`feedlab.analysis.metrics.engagement_rate`):
  ``ER = (likes + comments) / posts / followers`` per account, likes and comments as the
  platform counts them (paid ones included), followers averaged over the run.
  :func:`engagement_summary` fits its log–log scaling with audience size
  (:func:`feedlab.analysis.metrics.engagement_rate_scaling`; stylized fact 5 expects a negative
  slope) and averages it per tier and behaviour.
* **Trust episodes** (:func:`episode_trust`): for a mean-trust trajectory and a campaign
  window ``[start, stop)``: the level before, the trough, the share lost, the half-life
  of the fall (exponential fit over the window, :func:`feedlab.analysis.metrics.trust_half_life`)
  and of the recovery (fit from the trough after ``stop`` to the end), and the share of
  the loss recovered by the end (stylized fact 6).
* **Fake-engagement indicators** (:func:`fake_indicators`): comment-to-like ratio,
  engagement rate relative to the audience-size trend (log residual), and the share of
  followers who never posted (an audit of the follower list: bots do not post); and how
  well each separates bought from other influencer accounts (:func:`auc`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from feedlab.analysis.metrics.engagement import (
    comment_like_ratio,
    engagement_rate,
    engagement_rate_scaling,
)
from feedlab.analysis.metrics.trust import trust_half_life, trust_loss_share

NAN = float("nan")
ROLE_USER, ROLE_INFLUENCER, ROLE_BRAND, ROLE_BOT = 0, 1, 2, 3
TIERS = ("nano", "micro", "macro", "mega")
#: Horizon (steps after the campaign start) of the fixed-horizon loss ``trust_loss_h``.
LOSS_HORIZON = 10


# ---------------------------------------------------------------- engagement rate
def engagement_rates(
    likes: ArrayLike, comments: ArrayLike, posts: ArrayLike, followers: ArrayLike
) -> NDArray[np.float64]:
    """Per-account industry engagement rate, ``nan`` where posts or followers are 0
    (:func:`feedlab.analysis.metrics.engagement_rate`, always as an array).
    """
    return np.atleast_1d(np.asarray(engagement_rate(likes, comments, posts, followers)))


def _accounts(cols: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Accounts with a defined engagement rate: not bots, posted, have followers."""
    role = np.asarray(cols["role"])
    return (
        (role != ROLE_BOT)
        & (np.asarray(cols["posts_made"]) > 0)
        & (np.asarray(cols["mean_followers"]) > 0)
    )


def engagement_summary(cols: Mapping[str, Any]) -> dict[str, float]:
    """Engagement-rate scaling and means from per-account columns.

    ``cols`` holds the ``agents.parquet`` columns ``role``, ``posts_made``,
    ``likes_received``, ``comments_received``, ``mean_followers``, ``tier`` and
    ``behaviour``. Returns ``er_slope`` (log–log slope of ER on followers over all
    non-bot accounts that posted) with ``er_slope_ci_low/high`` (95 %) and ``er_n``; the
    same over influencer accounts only (``er_slope_influencers...``); the mean ER of
    regular users (``er_mean_users``), of each tier (``er_mean_tier_<tier>``) and of each
    behaviour label (``er_mean_<label>``). With ``impressions_received`` also the
    decomposition ``ER = reach × conversion`` (impressions per post per follower ×
    interactions per impression): ``reach_slope``, ``conversion_slope`` (their log–log
    slopes, which add up to ``er_slope`` when fitted on the same accounts), the same
    over regular users (``..._users``) and ``er_slope_users``. With several labels (a mixture) also the slope
    per label (``er_slope_<label>...``) and the tier means per label
    (``er_mean_tier_<tier>_<label>``).
    """
    ok = _accounts(cols)
    er = engagement_rates(
        cols["likes_received"],
        cols["comments_received"],
        cols["posts_made"],
        cols["mean_followers"],
    )
    f = np.asarray(cols["mean_followers"], dtype=np.float64)
    role = np.asarray(cols["role"])
    out: dict[str, float] = {}
    for suffix, mask in (("", ok), ("_influencers", ok & (role == ROLE_INFLUENCER))):
        slope, lo, hi, n = engagement_rate_scaling(f[mask], er[mask])
        out.update(
            {
                f"er_slope{suffix}": slope,
                f"er_slope{suffix}_ci_low": lo,
                f"er_slope{suffix}_ci_high": hi,
                f"er_n{suffix}": float(n),
            }
        )
    if "impressions_received" in cols:  # ER = reach per follower × interactions per impression
        imp = np.asarray(cols["impressions_received"], dtype=np.float64)
        posts = np.asarray(cols["posts_made"], dtype=np.float64)
        inter = np.asarray(cols["likes_received"], dtype=np.float64) + np.asarray(
            cols["comments_received"], dtype=np.float64
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = imp / posts / f
            conv = inter / imp
        for suffix, mask in (("", ok), ("_users", ok & (role == ROLE_USER))):
            out[f"reach_slope{suffix}"] = engagement_rate_scaling(f[mask], reach[mask])[0]
            out[f"conversion_slope{suffix}"] = engagement_rate_scaling(f[mask], conv[mask])[0]
        out["er_slope_users"] = engagement_rate_scaling(
            f[ok & (role == ROLE_USER)], er[ok & (role == ROLE_USER)]
        )[0]
    out["er_mean_users"] = _mean(er[ok & (role == ROLE_USER)])
    tier = np.asarray(cols["tier"], dtype=object)
    for t in TIERS:
        out[f"er_mean_tier_{t}"] = _mean(er[ok & (tier == t)])
    beh = np.asarray(cols["behaviour"], dtype=object)
    labels = sorted({b for b in beh.tolist() if b})
    for label in labels:
        m = ok & (beh == label)
        out[f"er_mean_{label}"] = _mean(er[m])
        if len(labels) > 1:
            slope, lo, hi, n = engagement_rate_scaling(f[m], er[m])
            out[f"er_slope_{label}"] = slope
            out[f"er_slope_{label}_ci_low"] = lo
            out[f"er_slope_{label}_ci_high"] = hi
            for t in TIERS:
                out[f"er_mean_tier_{t}_{label}"] = _mean(er[m & (tier == t)])
    return out


def _mean(a: NDArray[np.float64]) -> float:
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else NAN


# ---------------------------------------------------------------- trust episodes
def episode_trust(
    t: ArrayLike, values: ArrayLike, start: int = 0, stop: int | None = None
) -> dict[str, float]:
    """Trust lost and recovered around a campaign ``[start, stop)``.

    Parameters
    ----------
    t, values : array_like, shape (T,)
        Steps and mean trust (e.g. the ``trust_<group>`` column of ``timeseries.parquet``).
    start, stop : int
        The campaign is active in steps ``start .. stop − 1`` (``stop=None``: to the end
        of the series). Recorded values at ``τ`` are the state after ``τ`` steps, so the
        campaign shapes ``τ = start + 1 .. stop``.

    Returns
    -------
    dict
        ``trust_initial`` (value at the last step ``<= start``), ``trust_trough`` and
        ``trust_trough_step`` (minimum from ``start`` on), ``trust_final``,
        ``trust_loss`` (share lost at the trough, :func:`feedlab.analysis.metrics.trust_loss_share`),
        ``trust_loss_h`` (share lost ``LOSS_HORIZON`` steps after ``start``),
        ``trust_half_life`` (exponential fit over ``[start, stop]``, free asymptote:
        the time to close half the gap to the new level). With ``stop``:
        ``trust_recovery_half_life`` (fit from the lowest point at or after ``stop`` to
        the end) and ``trust_recovered`` (share of the loss at that point regained by
        the end). Undefined values are ``nan`` (see ``trust_half_life``).
    """
    tv = np.asarray(t, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if tv.shape != v.shape:
        raise ValueError("t and values must have equal shapes")
    keep = np.isfinite(tv) & np.isfinite(v)
    tv, v = tv[keep], v[keep]
    out = dict.fromkeys(
        (
            "trust_initial",
            "trust_trough",
            "trust_trough_step",
            "trust_final",
            "trust_loss",
            "trust_loss_h",
            "trust_half_life",
        ),
        NAN,
    )
    if stop is not None:
        out.update(trust_recovery_half_life=NAN, trust_recovered=NAN)
    if tv.size == 0:
        return out
    order = np.argsort(tv, kind="stable")
    tv, v = tv[order], v[order]
    before = np.flatnonzero(tv <= start)
    v0 = float(v[before[-1]]) if before.size else float(v[0])
    after = tv >= start
    out["trust_initial"] = v0
    out["trust_final"] = float(v[-1])
    if after.any():
        i = int(np.argmin(np.where(after, v, np.inf)))
        out["trust_trough"], out["trust_trough_step"] = float(v[i]), float(tv[i])
        out["trust_loss"] = float(trust_loss_share(v0, v[i]))
        h = np.flatnonzero(tv <= start + LOSS_HORIZON)
        if h.size and tv[h[-1]] > start:
            out["trust_loss_h"] = float(trust_loss_share(v0, v[h[-1]]))
    end = np.inf if stop is None else stop
    win = (tv >= start) & (tv <= end)
    out["trust_half_life"] = trust_half_life(tv[win], v[win])
    if stop is not None:
        post = np.flatnonzero(tv >= stop)
        if post.size >= 3:
            j = post[int(np.argmin(v[post]))]
            rec = slice(j, None)
            out["trust_recovery_half_life"] = trust_half_life(tv[rec], v[rec])
            gap = v0 - v[j]
            out["trust_recovered"] = float((v[-1] - v[j]) / gap) if gap > 0 else NAN
    return out


def campaign_effect(
    t: ArrayLike,
    treated: ArrayLike,
    control: ArrayLike,
    start: int,
    stop: int | None = None,
) -> dict[str, float]:
    """Effect of a campaign on trust against a same-seed control run (common random
    numbers): ``d(t) = treated(t) − control(t)``, which is 0 before ``start``.

    Times are recorded steps: the value at ``τ`` is the state after ``τ`` steps, so a
    campaign active in steps ``start .. stop − 1`` shows from ``τ = start + 1`` to
    ``τ = stop``.

    Returns ``effect_min`` (the most negative ``d``) and ``effect_min_step``,
    ``effect_h`` (``d`` at ``τ = start + LOSS_HORIZON``: how fast trust is lost),
    ``effect_at_stop`` (``d`` at ``τ = stop``), ``effect_relative`` (``d`` at its
    minimum ÷ the control's level there), ``effect_final`` (``d`` at the end),
    ``fall_half_life`` (exponential fit of ``d`` over ``[start, stop]`` with a free
    asymptote) and, with ``stop``, ``recovery_half_life`` (fit of ``d`` from its minimum
    at or after ``stop`` to the end, with the asymptote fixed at 0: the campaign's effect
    fades) and ``recovered`` (``1 − d_end / d_min``). Trust falls faster than it
    recovers when ``fall_half_life < recovery_half_life``.
    """
    tv = np.asarray(t, dtype=np.float64)
    d = np.asarray(treated, dtype=np.float64) - np.asarray(control, dtype=np.float64)
    c = np.asarray(control, dtype=np.float64)
    if not tv.shape == d.shape == c.shape:
        raise ValueError("t, treated and control must have equal shapes")
    out = dict.fromkeys(
        (
            "effect_min",
            "effect_min_step",
            "effect_h",
            "effect_at_stop",
            "effect_relative",
            "fall_half_life",
            "recovery_half_life",
            "effect_final",
            "recovered",
        ),
        NAN,
    )
    keep = np.isfinite(tv) & np.isfinite(d)
    tv, d, c = tv[keep], d[keep], c[keep]
    after = tv >= start
    if not after.any():
        return out
    i = int(np.argmin(np.where(after, d, np.inf)))
    out["effect_min"], out["effect_min_step"] = float(d[i]), float(tv[i])
    out["effect_relative"] = float(d[i] / c[i]) if c[i] else NAN
    out["effect_final"] = float(d[-1])
    h = np.flatnonzero(tv <= start + LOSS_HORIZON)
    if h.size and tv[h[-1]] > start:
        out["effect_h"] = float(d[h[-1]])
    end = np.inf if stop is None else stop
    win = (tv >= start) & (tv <= end)
    out["fall_half_life"] = trust_half_life(tv[win], d[win])
    if stop is not None:
        pre = np.flatnonzero(tv <= stop)
        out["effect_at_stop"] = float(d[pre[-1]]) if pre.size else NAN
        post = np.flatnonzero(tv >= stop)
        if post.size >= 3:
            j = post[int(np.argmin(d[post]))]
            out["recovery_half_life"] = trust_half_life(tv[j:], d[j:], baseline=0.0)
            out["recovered"] = float(1.0 - d[-1] / d[j]) if d[j] < 0 else NAN
    return out


# ---------------------------------------------------------------- fake engagement
def auc(scores: ArrayLike, labels: ArrayLike) -> float:
    r"""Area under the ROC curve of ``scores`` for binary ``labels`` (1 = positive).

    The Mann–Whitney form :math:`AUC = (R_1 - n_1(n_1+1)/2)/(n_1 n_0)` with mid-ranks
    for ties: the probability that a random positive scores above a random negative
    (ties count ½). 1 = perfect separation, ½ = none, 0 = perfectly reversed.
    ``nan`` when either class is empty after dropping non-finite scores.

    References
    ----------
    Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area under a
    receiver operating characteristic (ROC) curve. *Radiology* 143(1), 29–36.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).astype(bool).ravel()
    if s.shape != y.shape:
        raise ValueError("scores and labels must have equal lengths")
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return NAN
    from scipy import stats  # imported where used: scipy.stats costs ~0.7 s

    ranks = stats.rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def er_residual(
    followers: ArrayLike, rate: ArrayLike, fit_mask: ArrayLike | None = None
) -> NDArray[np.float64]:
    """``log10 ER − (c + β log10 F)``: engagement relative to the audience-size trend.

    The line is the OLS fit of :func:`feedlab.analysis.metrics.engagement_rate_scaling` over the
    accounts in ``fit_mask`` (default: all with finite positive F and ER). Negative
    residual: fewer interactions than accounts of that size get (e.g. bought followers
    who never engage); positive: more (e.g. paid likes). ``nan`` where undefined.
    """
    f = np.asarray(followers, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    valid = np.isfinite(f) & np.isfinite(r) & (f > 0) & (r > 0)
    fit = valid if fit_mask is None else valid & np.asarray(fit_mask, dtype=bool)
    out = np.full(f.shape, np.nan)
    if fit.sum() < 2:
        return out
    lx, ly = np.log10(f[fit]), np.log10(r[fit])
    slope, intercept = np.polyfit(lx, ly, 1) if np.ptp(lx) > 0 else (0.0, ly.mean())
    out[valid] = np.log10(r[valid]) - (intercept + slope * np.log10(f[valid]))
    return out


def fake_indicators(cols: Mapping[str, Any]) -> dict[str, NDArray[np.float64]]:
    """Per-account fake-engagement indicators, each oriented so that *higher is more
    suspicious*.

    * ``comment_like_ratio``: comments ÷ likes received (comment inflation);
    * ``low_engagement``: minus :func:`er_residual` (fit over all non-bot accounts that
      posted): an engagement rate below the trend for the audience size, which bought
      followers who never interact produce — the engagement-vs-follower mismatch;
    * ``abnormal_engagement``: the absolute residual (too little *or* too much
      engagement for the audience size: paid likes push it up, fake followers down);
    * ``inactive_followers``: share of the current followers who never posted during
      the run (``1 − active_followers / in_degree``; bots never post).

    ``cols`` holds the ``agents.parquet`` columns (``in_degree``, ``active_followers``,
    and those of :func:`engagement_summary`).
    """
    likes = np.asarray(cols["likes_received"], dtype=np.float64)
    comments = np.asarray(cols["comments_received"], dtype=np.float64)
    er = engagement_rates(likes, comments, cols["posts_made"], cols["mean_followers"])
    indeg = np.asarray(cols["in_degree"], dtype=np.float64)
    active = np.asarray(cols["active_followers"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inactive = np.where(indeg > 0, 1.0 - active / np.where(indeg > 0, indeg, 1.0), np.nan)
    resid = er_residual(cols["mean_followers"], er, _accounts(cols))
    return {
        "comment_like_ratio": np.atleast_1d(np.asarray(comment_like_ratio(comments, likes))),
        "low_engagement": -resid,
        "abnormal_engagement": np.abs(resid),
        "inactive_followers": inactive,
    }


def indicator_summary(cols: Mapping[str, Any]) -> dict[str, float]:
    """AUC of each indicator of :func:`fake_indicators` for telling bought influencer
    accounts (``cols["bought"]`` true) from the other influencer accounts; empty when
    either group is missing. Keys ``auc_<indicator>``, plus the group means
    ``<indicator>_bought`` and ``<indicator>_other``.
    """
    if "bought" not in cols:
        return {}
    role = np.asarray(cols["role"])
    bought = np.asarray(cols["bought"], dtype=bool)
    infl = role == ROLE_INFLUENCER
    if not (bought & infl).any() or not (~bought & infl).any():
        return {}
    out: dict[str, float] = {}
    for name, score in fake_indicators(cols).items():
        out[f"auc_{name}"] = auc(score[infl], bought[infl])
        out[f"{name}_bought"] = _mean(score[infl & bought])
        out[f"{name}_other"] = _mean(score[infl & ~bought])
    return out
