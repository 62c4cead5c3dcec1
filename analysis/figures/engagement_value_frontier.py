"""Engagement and reflective value by ranking policy (docs/validation.md §Stylized facts,
fact 4).

Runs: the policy comparison of :func:`feedlab.analysis.figures.base.policy_comparison` (the same
runs as the polarisation figure; computed once).

Each policy is a point: x = run mean of engagement per user per step (likes + comments
+ shares ÷ users), y = run mean of reflective value per item read
(:mod:`feedlab.agents.rules.value`). Large markers: means over seeds; small markers: the
seeds (with 10 or more seeds, error bars: 95 % percentile-bootstrap intervals instead,
:func:`feedlab.analysis.figures.base.bounded_interval`; engagement cannot go below 0).
The dashed line, in the legend, joins the Pareto-efficient policies (no other policy
has both more engagement and more value). The title states what is plotted, not the
stylized fact: ``feedlab validate`` reports fact 4 (engagement-optimal is not
value-optimal), and the sidecar carries its verdict. The sidecar adds each policy's
engagement–value gap
(:func:`feedlab.analysis.metrics.engagement_value_gap`: z-scored engagement minus z-scored value
across the policies shown).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style
from feedlab.analysis.metrics import engagement_value_gap

NAME = "engagement_value_frontier"
TITLE = "Engagement and reflective value by ranking policy"
CAPTION = (
    "Each ranking policy as a point: mean engagement per user per step against mean "
    "reflective value per item read, both averaged over the run. Large markers: mean "
    "over seeds; small markers: seeds (with 10 or more seeds, error bars: 95% "
    "percentile-bootstrap intervals). Dashed: Pareto-efficient policies."
)
STATISTICS = (
    "run means per seed; mean over seeds with the range of seeds (< 10 seeds) or a 95% "
    "percentile-bootstrap interval (>= 10)"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_engagement_not_value",)
X, Y = "run_mean_engagement_per_user", "run_mean_mean_value"


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Every platform policy × seeds (:func:`base.policy_comparison`)."""
    return base.policy_comparison(scale)


def pareto(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the points not dominated in (x, y) (both maximised), sorted by x."""
    keep = [
        i
        for i in range(x.size)
        if np.isfinite(x[i])
        and np.isfinite(y[i])
        and not np.any((x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i])))
    ]
    return np.array(sorted(keep, key=lambda i: x[i]), dtype=np.int64)


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Reflective value against engagement per user, one point per policy (mean over
    seeds, with intervals), and the policies' Pareto frontier (:func:`pareto`); the
    sidecar marks the efficient policies and each one's engagement–value gap.
    """
    if all(np.isnan(r.value(X)) for r in runs) or all(np.isnan(r.value(Y)) for r in runs):
        raise base.FigureSkipped(f"summary.json has no finite {X} / {Y}")
    groups = base.group(runs, "policy")
    fig = style.figure(style.COLUMN * 1.45, 3.6)
    ax = fig.subplots()
    names, xs, ys, data = [], [], [], {}
    for i, (policy, rs) in enumerate(groups.items()):
        colour, marker, _, label = style.policy_style(policy, i)
        cx = base.bounded_interval([r.value(X) for r in rs], base.NONNEGATIVE)
        cy = base.bounded_interval([r.value(Y) for r in rs])
        bars = cx["method"] == cy["method"] == "percentile bootstrap"
        xerr = np.array([[cx["estimate"] - cx["low"]], [cx["high"] - cx["estimate"]]])
        yerr = np.array([[cy["estimate"] - cy["low"]], [cy["high"] - cy["estimate"]]])
        if not bars:
            ax.scatter(
                [r.value(X) for r in rs],
                [r.value(Y) for r in rs],
                color=colour,
                marker=marker,
                s=9,
                alpha=0.5,
                lw=0,
            )
        ax.errorbar(
            cx["estimate"],
            cy["estimate"],
            xerr=np.nan_to_num(xerr) if bars else None,
            yerr=np.nan_to_num(yerr) if bars else None,
            color=colour,
            marker=marker,
            ms=6,
            lw=1.0,
            label=label,
        )
        names.append(policy)
        xs.append(cx["estimate"])
        ys.append(cy["estimate"])
        data[policy] = {"engagement": cx, "value": cy, "n_seeds": len(rs)}
    x, y = np.array(xs), np.array(ys)
    front = pareto(x, y)
    if front.size > 1:
        ax.plot(
            x[front],
            y[front],
            color=style.GREY,
            ls="--",
            lw=1.0,
            zorder=0,
            label="Pareto-efficient policies",
        )
    gap = engagement_value_gap(x, y)
    for k, policy in enumerate(names):
        data[policy]["pareto_efficient"] = bool(k in set(front.tolist()))
        data[policy]["engagement_value_gap"] = float(gap[k]) if len(gap) else None
    ax.set_xlabel("Engagement (interactions per user per step)")
    ax.set_ylabel("Reflective value (per item read)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper")
    return fig, data
