"""Outrage amplification by ranking policy (docs/validation.md §Stylized facts, fact 1).

Runs: the policy comparison of :func:`feedlab.analysis.figures.base.policy_comparison`.

Outrage amplification = share of high-outrage items among impressions ÷ share among
posts (:func:`feedlab.analysis.metrics.outrage_amplification`; 1 = exposure proportional to
supply), averaged over the run's steps (``run_mean_outrage_amplification``). Dots: seeds;
diamonds: mean over seeds; with 10 or more seeds, bars: a 95 % percentile-bootstrap
interval, which cannot go below 0 (:func:`feedlab.analysis.figures.base.bounded_interval`).
The dotted reference line at 1 is in the legend. The sidecar adds the paired
difference of each policy to chronological ranking under common random numbers
(:func:`feedlab.analysis.stats.paired_difference`, BCa bootstrap over seeds).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis import stats
from feedlab.analysis.figures import base, style

NAME = "outrage_amplification"
TITLE = "Outrage amplification by ranking policy"
CAPTION = (
    "Share of high-outrage items in impressions divided by their share in posts, "
    "averaged over each run (1 = exposure proportional to supply, dotted). Dots: "
    "seeds; diamonds: mean over seeds (with 10 or more seeds, bars: 95% "
    "percentile-bootstrap interval)."
)
STATISTICS = (
    "run means per seed; mean over seeds with the range of seeds (< 10 seeds) or a 95% "
    "percentile-bootstrap interval (>= 10); paired differences to chronological per "
    "seed with a BCa bootstrap interval (sidecar)"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_outrage_amplification",)
METRIC = "run_mean_outrage_amplification"
REFERENCE = "chronological"


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Every platform policy × seeds (:func:`base.policy_comparison`)."""
    return base.policy_comparison(scale)


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Run-mean outrage amplification per policy (seeds and their mean, policies
    ordered by the mean); the sidecar adds each policy's paired difference to the
    chronological feed.
    """
    if all(np.isnan(r.value(METRIC)) for r in runs):
        raise base.FigureSkipped(f"summary.json has no finite {METRIC}")
    groups = base.group(runs, "policy")
    order = sorted(groups, key=lambda p: np.nanmean([r.value(METRIC) for r in groups[p]]) or 0.0)
    fig = style.figure(style.COLUMN * 1.45, 0.32 * len(order) + 1.0)
    ax = fig.subplots()
    cols = {
        "policy": np.array([r.label("policy") for r in runs], dtype=object),
        "seed": np.array([r.label("seed") for r in runs]),
        METRIC: np.array([r.value(METRIC) for r in runs]),
    }
    data: dict[str, Any] = {}
    index = list(groups)
    for k, policy in enumerate(order):
        colour = style.policy_style(policy, index.index(policy))[0]
        vals = np.array([r.value(METRIC) for r in groups[policy]])
        ci = base.bounded_interval(vals, base.NONNEGATIVE)
        ax.scatter(vals, np.full(vals.size, k) + 0.18, color=colour, s=12, alpha=0.7, lw=0)
        bars = ci["method"] == "percentile bootstrap"
        ax.errorbar(
            ci["estimate"],
            k,
            xerr=np.nan_to_num([[ci["estimate"] - ci["low"]], [ci["high"] - ci["estimate"]]])
            if bars
            else None,
            color=colour,
            marker="D",
            ms=5,
            lw=1.2,
        )
        data[policy] = {"amplification": ci}
        if policy != REFERENCE and REFERENCE in groups:
            [pd] = stats.paired_difference(
                cols,
                METRIC,
                factor="policy",
                treatment=policy,
                control=REFERENCE,
                match_on=[],
                n_resamples=9999,
                seed=0,
            )
            data[policy][f"paired_difference_vs_{REFERENCE}"] = {
                **pd.interval.as_dict(),
                "unpaired": pd.unpaired,
            }
    ax.axvline(1.0, color=style.GREY, ls=":", lw=1.0, label="1 = exposure ∝ supply")
    ax.scatter([], [], color=style.GREY, s=12, lw=0, label="seeds")
    ax.scatter([], [], color=style.GREY, marker="D", s=25, lw=0, label="mean over seeds")
    ax.legend(loc="lower right")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([style.policy_style(p)[3] for p in order])
    ax.set_xlabel("Outrage amplification (impression share ÷ post share)")
    ax.grid(axis="y", visible=False)
    return fig, data
