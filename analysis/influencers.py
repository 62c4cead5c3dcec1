"""Influencer analyses: engagement rate and its scaling, trust episodes, fake engagement.

Pure functions on run outputs — the columns of ``agents.parquet`` (per account),
``timeseries.parquet`` (per step) and ``summary.json`` — never on model internals. The
influencer extension (:mod:`feedlab.agents.behaviours.accounts`) calls the same functions on its
own books for the live summary, so the offline and live numbers agree.

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

Command line: ``python -m feedlab.analysis.influencers DIR [DIR ...] [--figures OUT]`` prints the
tables of the influencer experiments whose runs lie anywhere under the directories and
draws the ``influencers_*.png`` figures into ``OUT``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from feedlab.analysis.metrics import (
    comment_like_ratio,
    engagement_rate,
    engagement_rate_scaling,
    trust_half_life,
    trust_loss_share,
)

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
    (:func:`feedlab.analysis.metrics.engagement_rate`, always as an array)."""
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
    ``<indicator>_bought`` and ``<indicator>_other``."""
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


# ---------------------------------------------------------------- run directories
def read_run(run_dir: str | Path) -> dict[str, Any]:
    """A run directory's outputs: ``summary`` (dict), ``config`` (dict), ``timeseries``
    and ``agents`` (dicts of NumPy arrays; ``agents`` empty if not written)."""
    import pyarrow.parquet as pq
    import yaml

    d = Path(run_dir)

    def table(name: str) -> dict[str, np.ndarray]:
        p = d / name
        if not p.exists():
            return {}
        tab = pq.read_table(p)
        return {c: tab.column(c).to_numpy(zero_copy_only=False) for c in tab.column_names}

    cfg_path = d / ".hydra" / "config.yaml"
    return {
        "dir": d,
        "summary": json.loads((d / "summary.json").read_text()),
        "config": yaml.safe_load(cfg_path.read_text()) if cfg_path.exists() else {},
        "timeseries": table("timeseries.parquet"),
        "agents": table("agents.parquet"),
    }


def find_runs(root: str | Path, experiment: str | None = None) -> list[Path]:
    """Complete run directories (those with a ``DONE`` marker) anywhere under ``root``
    (an output directory, a sweep directory or a run), optionally only those whose
    config names ``experiment``; sorted by path."""
    import yaml

    out = []
    for d in sorted({p.parent for p in Path(root).rglob("DONE")}):
        if experiment is not None:
            cfg = yaml.safe_load((d / ".hydra" / "config.yaml").read_text())
            if cfg.get("experiment") != experiment:
                continue
        out.append(d)
    return out


def _summary_float(s: Mapping[str, Any], key: str) -> float:
    v = s.get(key)
    return float(v) if isinstance(v, int | float) else NAN


def disclosure_table(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per run of a disclosure experiment: seed, rule, disclosed, and the trust
    episode and detection numbers of the sponsored accounts."""
    rows = []
    for r in runs:
        c, s = r["config"], r["summary"]
        row = {
            "seed": c.get("seed"),
            "rule": c.get("dynamics", {}).get("trust", {}).get("rule"),
            "disclosed": c.get("influencer", {}).get("disclosed"),
        }
        for k in (
            "trust_initial_sponsored",
            "trust_trough_sponsored",
            "trust_loss_h_sponsored",
            "trust_loss_sponsored",
            "trust_half_life_sponsored",
            "trust_recovery_half_life_sponsored",
            "trust_recovered_sponsored",
            "trust_final_sponsored",
            "total_detections",
            "total_sponsored_exposures",
            "total_unfollows",
        ):
            row[k] = _summary_float(s, k)
        rows.append(row)
    return rows


def _arm(run: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    c = run["config"]
    return c.get("seed"), c["dynamics"]["trust"]["rule"], c["influencer"]["disclosed"]


def disclosure_effects(
    runs: Sequence[Mapping[str, Any]], column: str = "trust_sponsored"
) -> list[dict[str, Any]]:
    """Campaign effects of the disclosure experiment: each run with sponsored posts
    (``influencer.rate > 0``) against the control of the same seed, rule and flag
    (``rate = 0``), by :func:`campaign_effect` on ``column``; one row per treated run
    with seed, rule, disclosed, exposures and detections."""
    ctrl = {_arm(r): r for r in runs if r["config"]["influencer"]["rate"] == 0}
    rows = []
    for r in runs:
        inf = r["config"]["influencer"]
        if inf["rate"] == 0 or _arm(r) not in ctrl:
            continue
        ts, tc = r["timeseries"], ctrl[_arm(r)]["timeseries"]
        stop = inf["stop"] if inf["stop"] >= 0 else None
        seed, rule, disclosed = _arm(r)
        s = r["summary"]
        rows.append(
            {
                "seed": seed,
                "rule": rule,
                "disclosed": disclosed,
                "exposures": _summary_float(s, "total_sponsored_exposures"),
                "detections": _summary_float(s, "total_detections"),
                "detection_trust_loss": _summary_float(s, "detection_trust_loss"),
                **campaign_effect(ts["step"], ts[column], tc[column], inf["start"], stop),
            }
        )
    return sorted(rows, key=lambda r: (str(r["rule"]), str(r["disclosed"]), r["seed"]))


def mean_sd(rows: Sequence[Mapping[str, Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """Rows grouped by the keys ``by``: ``n`` and, for every numeric column, the mean
    and the standard deviation over the group (``"m ± sd"`` strings for tables)."""
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in by), []).append(r)
    out = []
    for key, rs in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["n"] = len(rs)
        for k, v in rs[0].items():
            if k in by or k == "seed" or not isinstance(v, int | float) or isinstance(v, bool):
                continue
            a = np.array([float(x[k]) for x in rs])
            a = a[np.isfinite(a)]
            row[k] = (
                f"{a.mean():.3g} ± {a.std(ddof=1):.2g}"
                if a.size > 1
                else _fmt(float(a[0]) if a.size else NAN)
            )
        out.append(row)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3g}"
    return str(v)


def markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table of dict rows (keys of the first row as columns)."""
    if not rows:
        return "(no runs)"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_fmt(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- figures
def figure_disclosure(runs: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Disclosure experiment, one column per trust rule. Top: mean trust of followers in
    the sponsored accounts (thin: each seed; thick: mean over seeds) for disclosed,
    undisclosed and the control without sponsored posts. Bottom: the campaign effect,
    each run minus its same-seed control."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def arm(r: Mapping[str, Any]) -> str:
        inf = r["config"]["influencer"]
        if inf["rate"] == 0:
            return "control" if inf["disclosed"] else "duplicate control"
        return "disclosed" if inf["disclosed"] else "undisclosed"

    rules = sorted({r["config"]["dynamics"]["trust"]["rule"] for r in runs})
    ctrl = {_arm(r): r for r in runs if r["config"]["influencer"]["rate"] == 0}
    fig, axes = plt.subplots(
        2, len(rules), figsize=(5.5 * len(rules), 6.4), squeeze=False, sharex=True
    )
    colours = {"disclosed": "tab:blue", "undisclosed": "tab:red", "control": "0.4"}
    inf = runs[0]["config"]["influencer"]
    for col, rule in enumerate(rules):
        ax, dx = axes[0, col], axes[1, col]
        for name, colour in colours.items():
            sel = [r for r in runs if r["config"]["dynamics"]["trust"]["rule"] == rule]
            sel = [r for r in sel if arm(r) == name]
            if not sel:
                continue
            t = sel[0]["timeseries"]["step"]
            ys = [r["timeseries"]["trust_sponsored"] for r in sel]
            for y in ys:
                ax.plot(t, y, color=colour, lw=0.6, alpha=0.3)
            ax.plot(t, np.nanmean(ys, axis=0), color=colour, lw=2, label=f"{name} (n={len(ys)})")
            if name == "control":
                continue
            ds = [
                r["timeseries"]["trust_sponsored"] - ctrl[_arm(r)]["timeseries"]["trust_sponsored"]
                for r in sel
                if _arm(r) in ctrl
            ]
            for d in ds:
                dx.plot(t, d, color=colour, lw=0.6, alpha=0.3)
            if ds:
                dx.plot(t, np.nanmean(ds, axis=0), color=colour, lw=2, label=name)
        stop = inf["stop"] if inf["stop"] >= 0 else runs[0]["timeseries"]["step"][-1]
        for a in (ax, dx):
            a.axvspan(inf["start"], stop, color="0.92", zorder=0)
        dx.axhline(0, color="0.4", lw=0.8)
        ax.set_title(f"trust rule: {rule} (shaded: campaign)")
        ax.set_ylabel("mean trust in sponsored influencers")
        dx.set_ylabel("campaign − same-seed control")
        dx.set_xlabel("step")
        ax.legend(frameon=False, fontsize=8)
        dx.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def figure_engagement_rate(runs: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Engagement rate vs followers (log–log) per account, coloured by role/behaviour,
    with the fitted scaling line; right: mean ER per tier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    per_tier: dict[str, list[float]] = {t: [] for t in ("users", *TIERS)}
    f_all, er_all = [], []
    for i, r in enumerate(runs):
        a = r["agents"]
        ok = _accounts(a)
        er = engagement_rates(
            a["likes_received"], a["comments_received"], a["posts_made"], a["mean_followers"]
        )
        f = np.asarray(a["mean_followers"], dtype=np.float64)
        beh = np.asarray(a["behaviour"], dtype=object)
        groups = [("regular users", ok & (a["role"] == ROLE_USER) & (beh == ""), "0.6", 4)]
        for label in sorted({b for b in beh.tolist() if b}):
            colour = "tab:red" if "bought" in label else "tab:blue"
            groups.append((label, ok & (beh == label), colour, 14))
        for label, m, colour, size in groups:
            ax.scatter(
                f[m], er[m], s=size, c=colour, alpha=0.5, lw=0, label=label if i == 0 else None
            )
        f_all.append(f[ok])
        er_all.append(er[ok])
        s = r["summary"]
        per_tier["users"].append(_summary_float(s, "er_mean_users"))
        for t in TIERS:
            per_tier[t].append(_summary_float(s, f"er_mean_tier_{t}"))
    fa, ea = np.concatenate(f_all), np.concatenate(er_all)
    slope, lo, hi, n = engagement_rate_scaling(fa, ea)
    good = (fa > 0) & (ea > 0) & np.isfinite(ea)
    if np.isfinite(slope):
        xs = np.geomspace(fa[good].min(), fa[good].max(), 50)
        c = np.mean(np.log10(ea[good])) - slope * np.mean(np.log10(fa[good]))
        ax.plot(
            xs,
            10 ** (c + slope * np.log10(xs)),
            "k-",
            lw=1.5,
            label=f"slope {slope:.2f} [{lo:.2f}, {hi:.2f}], n={n}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers (mean over run)")
    ax.set_ylabel("engagement rate (likes+comments)/post/follower")
    ax.legend(frameon=False, fontsize=8)
    names = list(per_tier)
    means = [np.nanmean(per_tier[k]) if np.isfinite(per_tier[k]).any() else np.nan for k in names]
    bx.bar(names, means, color=["0.6", "tab:green", "tab:olive", "tab:orange", "tab:purple"])
    for k, name in enumerate(names):
        pts = np.asarray(per_tier[name], dtype=np.float64)
        bx.scatter(np.full(pts.size, k), pts, c="k", s=8, zorder=3)
    bx.set_yscale("log")
    bx.set_ylabel("mean engagement rate (dots: seeds)")
    bx.set_title("by tier (influencers) and regular users")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def figure_indicators(runs: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Fake-engagement indicators of influencer accounts, bought vs other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
    names = ("comment_like_ratio", "low_engagement", "abnormal_engagement", "inactive_followers")
    data: dict[str, dict[bool, list[np.ndarray]]] = {n: {True: [], False: []} for n in names}
    for r in runs:
        a = dict(r["agents"])
        beh = np.asarray(a["behaviour"], dtype=object)
        a["bought"] = np.array(["bought" in b for b in beh.tolist()])
        infl = a["role"] == ROLE_INFLUENCER
        ind = fake_indicators(a)
        for n in names:
            for b in (True, False):
                data[n][b].append(ind[n][infl & (a["bought"] == b)])
    for ax, n in zip(axes, names, strict=True):
        xs = [np.concatenate(data[n][b]) for b in (False, True)]
        xs = [x[np.isfinite(x)] for x in xs]
        ax.boxplot(xs, tick_labels=["other", "bought"])
        y = np.r_[np.zeros(xs[0].size), np.ones(xs[1].size)]
        ax.set_title(f"{n}\nAUC {auc(np.concatenate(xs), y):.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m feedlab.analysis.influencers DIR [DIR ...] [--figures OUT]`` (module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m feedlab.analysis.influencers")
    ap.add_argument("root", nargs="+", help="output or sweep directories (searched for runs)")
    ap.add_argument("--figures", default=None, help="write influencers_*.png here")
    args = ap.parse_args(argv)
    disc = [read_run(d) for root in args.root for d in find_runs(root, "influencer_disclosure")]
    tier = [read_run(d) for root in args.root for d in find_runs(root, "engagement_rate_by_tier")]
    print(f"## influencer_disclosure ({len(disc)} runs)\n")
    effects = disclosure_effects(disc)
    print(markdown(effects))
    print("\nmean ± sd over seeds:\n")
    print(markdown(mean_sd(effects, ("rule", "disclosed"))))
    print(f"\n## engagement_rate_by_tier ({len(tier)} runs)\n")
    keys = (
        "er_slope",
        "er_slope_ci_low",
        "er_slope_ci_high",
        "er_slope_users",
        "er_slope_authentic",
        "reach_slope_users",
        "conversion_slope_users",
        "er_mean_users",
        "er_mean_authentic",
        "er_mean_bought",
        *(f"er_mean_tier_{t}" for t in TIERS),
        "auc_comment_like_ratio",
        "auc_low_engagement",
        "auc_abnormal_engagement",
        "auc_inactive_followers",
    )
    rows = [
        {"seed": r["config"].get("seed"), **{k: _summary_float(r["summary"], k) for k in keys}}
        for r in tier
    ]
    print(markdown(rows))
    if args.figures:
        out = Path(args.figures)
        out.mkdir(parents=True, exist_ok=True)
        if disc:
            figure_disclosure(disc, out / "influencers_disclosure.png")
        if tier:
            figure_engagement_rate(tier, out / "influencers_engagement_rate.png")
            figure_indicators(tier, out / "influencers_indicators.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
