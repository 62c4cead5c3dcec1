"""Engagement rate against audience size (docs/validation.md §Stylized facts, fact 5).

Runs: ``conf/experiment/engagement_rate_by_tier.yaml`` (the top 10 % of a heavy-tailed
follower graph are influencers; three quarters post authentically, a quarter buy
followers, likes and comments from bots) × seeds, at the figure scale. Needs the
per-account books that the influencer extension writes into ``agents.parquet``
(``posts_made``, ``likes_received``, ``comments_received``, ``mean_followers``,
``role``, ``tier``, ``behaviour``; :mod:`feedlab.analysis.influencers`); skipped with a message
when this install does not write them.

(a) Engagement rate ``ER = (likes + comments) / posts / followers`` (the industry
definition, :func:`feedlab.analysis.metrics.engagement_rate`; paid likes and comments count, as
the platform counts them) against mean followers, per non-bot account that posted,
pooled over seeds; accounts with ER = 0 cannot be drawn on log axes and are counted in
the sidecar. Line: the log–log OLS fit over all those accounts
(:func:`feedlab.analysis.metrics.engagement_rate_scaling`, the run summary's ``er_slope``).
(b) Mean ER of regular users and of each influencer tier, authentic and bought
separately: bars are means over seeds, dots the seeds (with 10 or more seeds, error bars:
95 % percentile-bootstrap intervals, which cannot go below 0;
:func:`feedlab.analysis.figures.base.bounded_interval`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style
from feedlab.analysis.metrics import engagement_rate, engagement_rate_scaling

NAME = "engagement_rate_audience"
TITLE = "Engagement rate against audience size"
CAPTION = (
    "(a) Engagement rate ((likes + comments) per post per follower) against audience "
    "size for every account that posted, pooled over seeds, with the log-log OLS fit "
    "(crosses: influencers that buy engagement). (b) Mean engagement rate of regular "
    "users and of each influencer tier, authentic and bought; bars: mean over seeds, "
    "dots: seeds."
)
STATISTICS = (
    "(a) pooled log-log OLS slope with Student-t interval, and per-seed slopes (sidecar); "
    "(b) per-seed means; mean over seeds with the range of seeds (< 10 seeds) or a 95% "
    "percentile-bootstrap interval (>= 10)"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_engagement_rate_audience",)
COLUMNS = (
    "role",
    "tier",
    "behaviour",
    "posts_made",
    "likes_received",
    "comments_received",
    "mean_followers",
)
TIERS = ("nano", "micro", "macro", "mega")
TIER_COLOUR = {
    "nano": style.OKABE_ITO["sky_blue"],
    "micro": style.OKABE_ITO["blue"],
    "macro": style.OKABE_ITO["orange"],
    "mega": style.OKABE_ITO["vermillion"],
}
ROLE_USER, ROLE_BOT = 0, 3


def design(scale: base.Scale) -> list[base.RunSpec]:
    """One ``engagement_rate_by_tier`` run per seed of the scale."""
    base.require_options("influencer", ["mixture"], "influencer behaviours")
    base.require_options(
        "experiment", ["engagement_rate_by_tier"], "the engagement-rate experiment"
    )
    return [
        base.RunSpec.make(
            [
                "experiment=engagement_rate_by_tier",
                f"seed={s}",
                f"network.n={scale.n}",
                f"steps={scale.steps}",
            ],
            seed=s,
        )
        for s in scale.seeds
    ]


def _accounts(r: base.Run) -> dict[str, np.ndarray]:
    a = r.agents
    base.require_columns(a, COLUMNS, "agents.parquet (influencer books)")
    er = np.atleast_1d(
        np.asarray(
            engagement_rate(
                a["likes_received"], a["comments_received"], a["posts_made"], a["mean_followers"]
            ),
            dtype=np.float64,
        )
    )
    role = np.asarray(a["role"])
    ok = (role != ROLE_BOT) & (np.asarray(a["posts_made"]) > 0) & np.isfinite(er)
    return {
        "er": er[ok],
        "followers": np.asarray(a["mean_followers"], dtype=np.float64)[ok],
        "role": role[ok],
        "tier": np.asarray(a["tier"], dtype=object)[ok],
        "bought": np.array(["bought" in str(b) for b in np.asarray(a["behaviour"])[ok]]),
    }


def _draw_accounts(ax: Any, pooled: dict[str, np.ndarray], pos: np.ndarray) -> None:
    """Panel (a)'s points: regular users in grey, influencers coloured by tier (crosses
    for those that buy engagement); only accounts with ER > 0 and followers > 0 (``pos``).
    """
    users = pos & (pooled["role"] == ROLE_USER)
    ax.scatter(
        pooled["followers"][users],
        pooled["er"][users],
        s=3,
        color=style.GREY,
        alpha=0.25,
        lw=0,
        label="regular users",
        rasterized=True,
    )
    for t in TIERS:
        for bought, marker, size in ((False, "o", 14), (True, "x", 16)):
            m = pos & (pooled["tier"] == t) & (pooled["role"] != ROLE_USER)
            m &= pooled["bought"] == bought
            if m.any():
                ax.scatter(
                    pooled["followers"][m],
                    pooled["er"][m],
                    s=size,
                    color=TIER_COLOUR[t],
                    marker=marker,
                    lw=0 if marker == "o" else 1.0,
                    alpha=0.85,
                    label=None if bought else f"{t} influencers",
                )
    if (pos & pooled["bought"]).any():
        ax.scatter([], [], marker="x", s=16, lw=1.0, color="black", label="buys engagement")


def _class_means(acc: list[dict[str, np.ndarray]], sel: tuple[str, bool] | None) -> list[float]:
    """Per run, the mean ER of one class: regular users (``sel`` None) or the influencers
    of tier ``sel[0]`` that buy engagement (``sel[1]``) or not; NaN for an empty class.
    """
    means = []
    for a in acc:
        if sel is None:
            m = a["role"] == ROLE_USER
        else:
            m = (a["tier"] == sel[0]) & (a["role"] != ROLE_USER) & (a["bought"] == sel[1])
        means.append(float(a["er"][m].mean()) if m.any() else np.nan)
    return means


def _draw_class_bars(bx: Any, acc: list[dict[str, np.ndarray]]) -> dict[str, Any]:
    """Panel (b): mean ER per class over seeds (hatched for bought engagement), with a
    bootstrap interval or the seeds as dots; returns each class's interval.
    """
    classes = [("users", "regular users", style.GREY, None)] + [
        (f"{t}_{kind}", f"{t} {kind}", TIER_COLOUR[t], (t, kind == "bought"))
        for t in TIERS
        for kind in ("authentic", "bought")
    ]
    mean_rate = {}
    k = 0
    ticks = []
    for key, label, colour, sel in classes:
        ci = base.bounded_interval(_class_means(acc, sel), base.NONNEGATIVE)
        mean_rate[key] = ci
        if ci["n"] == 0:
            continue
        bought = sel is not None and sel[1]
        bx.bar(
            k,
            ci["estimate"],
            color="white" if bought else colour,
            edgecolor=colour,
            hatch="xxx" if bought else None,
            width=0.7,
            lw=1.0,
        )
        if ci["method"] == "percentile bootstrap":
            err = [[ci["estimate"] - ci["low"]], [ci["high"] - ci["estimate"]]]
            bx.errorbar(k, ci["estimate"], yerr=err, color="black", lw=1.0)
        else:
            bx.scatter(np.full(ci["n"], k), ci["values"], color="black", s=7, lw=0, zorder=3)
        ticks.append((k, label))
        k += 1
    bx.set_xticks([t for t, _ in ticks])
    bx.set_xticklabels([lb for _, lb in ticks], rotation=35, ha="right")
    return mean_rate


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Draw panels (a) and (b) (module docstring) from the runs' per-account books;
    the sidecar gets the pooled and per-seed slopes and the class means.
    """
    acc = [_accounts(r) for r in runs]
    pooled = {k: np.concatenate([a[k] for a in acc]) for k in acc[0]}
    fig = style.figure(style.DOUBLE, 3.5)
    ax, bx = fig.subplots(1, 2, width_ratios=[1.5, 1])
    pos = (pooled["er"] > 0) & (pooled["followers"] > 0)
    _draw_accounts(ax, pooled, pos)
    slope, lo, hi, n = engagement_rate_scaling(pooled["followers"], pooled["er"])
    data: dict[str, Any] = {
        "pooled_slope": {"estimate": slope, "low": lo, "high": hi, "n_accounts": n},
        "accounts_zero_rate": int(((pooled["er"] == 0) & (pooled["followers"] > 0)).sum()),
    }
    if np.isfinite(slope):
        lf, le = np.log10(pooled["followers"][pos]), np.log10(pooled["er"][pos])
        xs = np.geomspace(pooled["followers"][pos].min(), pooled["followers"][pos].max(), 50)
        ax.plot(
            xs,
            10 ** (le.mean() + slope * (np.log10(xs) - lf.mean())),
            color="black",
            lw=1.4,
            label=f"OLS slope {slope:.2f} [{lo:.2f}, {hi:.2f}]",
        )
    per_seed = [engagement_rate_scaling(a["followers"], a["er"])[0] for a in acc]
    data["per_seed_slopes"] = base.bounded_interval(per_seed)
    style.plain_log_axes(ax)
    ax.set_xlabel(style.LABELS["followers"])
    ax.set_ylabel("Engagement rate (per post per follower)")
    ax.set_title("(a)", loc="left")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", ncol=4, markerscale=1.5)
    data["mean_rate"] = _draw_class_bars(bx, acc)
    bx.set_ylabel("Mean engagement rate")
    bx.set_title("(b)", loc="left")
    bx.grid(axis="x", visible=False)
    return fig, data
