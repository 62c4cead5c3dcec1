"""Polarisation over time by ranking policy (docs/validation.md §Stylized facts, fact 2).

Runs: every platform ranking policy × seed from ``conf/experiment/ranking_comparison.yaml``
(common random numbers: one seed = one network and one population for every policy), at
the figure scale (default 2,000 users, 100 steps, seeds 0–2).

Panels: (a) opinion variance per step; (b) and (c) the *paired* change relative to
chronological ranking, per seed (same network, same people), of opinion variance and
of the distance between the two largest groups' mean opinions
(:mod:`feedlab.analysis.metrics.polarisation`). Pairing removes the between-seed spread
that dominates the absolute levels in (a). With fewer than 10 seeds every seed is drawn
(thin lines) with the mean over seeds (thick); with more, the mean and a 95 %
percentile-bootstrap band (:func:`feedlab.analysis.figures.base.draw_replicates`), which
stays inside the metric's bounds (variance in [0, 1]). The horizontal line at 0 in (b)
and (c) is chronological ranking itself, in the legend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style

NAME = "polarisation_over_time"
TITLE = "Polarisation over time by ranking policy"
CAPTION = (
    "(a) Opinion variance per step under each ranking policy. (b, c) Change relative to "
    "chronological ranking in the same seed (same network and population: common random "
    "numbers) of opinion variance and of the distance between the two groups' mean "
    "opinions; the line at 0 is chronological ranking. Thin lines: seeds; thick lines: "
    "mean over seeds (with 10 or more seeds: mean and 95% percentile-bootstrap band)."
)
STATISTICS = (
    "(a) per-seed curves and their mean (>= 10 seeds: 95% percentile-bootstrap band, "
    "inside [0, 1]); (b, c) per-seed paired difference to chronological, likewise; "
    "sidecar: mean with the range of seeds (< 10 seeds) or a percentile-bootstrap interval"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_engagement_polarises", "fact_bridging_depolarises")
#: Bounds: variance of x in [-1, 1] is in [0, 1]; group-mean distance in [0, 2].
BOUNDS = {"opinion_variance": (0.0, 1.0), "group_mean_distance": (0.0, 2.0)}
REFERENCE = "chronological"


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Every platform policy × seeds (:func:`base.policy_comparison`)."""
    return base.policy_comparison(scale)


def _paired(rs: list[base.Run], ref: dict[int, base.Run], metric: str) -> list[np.ndarray]:
    out = []
    for r in rs:
        c = ref.get(r.label("seed"))
        if c is not None:
            a, b = r.timeseries[metric], c.timeseries[metric]
            m = min(a.size, b.size)
            out.append(a[:m] - b[:m])
    return out


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """(a) Opinion variance over time per policy; (b, c) each policy's difference in
    opinion variance and in group-mean distance from the chronological feed of the same
    seed (common random numbers).
    """
    base.require_columns(
        runs[0].timeseries,
        ["step", "opinion_variance", "group_mean_distance"],
        "timeseries.parquet",
    )
    groups = base.group(runs, "policy")
    ref = {r.label("seed"): r for r in groups.get(REFERENCE, [])}
    fig = style.figure(style.DOUBLE, 3.1)
    ax_a, ax_b, ax_c = fig.subplots(1, 3)
    data: dict[str, Any] = {}
    for i, (policy, rs) in enumerate(groups.items()):
        colour, _, ls, label = style.policy_style(policy, i)
        step = rs[0].timeseries["step"]
        base.draw_replicates(
            ax_a,
            step,
            [r.timeseries["opinion_variance"] for r in rs],
            BOUNDS["opinion_variance"],
            colour=colour,
            ls=ls,
            label=label,
        )
        d: dict[str, Any] = {
            "n_seeds": len(rs),
            "final_opinion_variance": base.bounded_interval(
                [r.timeseries["opinion_variance"][-1] for r in rs], BOUNDS["opinion_variance"]
            ),
        }
        for ax, metric in ((ax_b, "opinion_variance"), (ax_c, "group_mean_distance")):
            diffs = _paired(rs, ref, metric)
            if not diffs or policy == REFERENCE:
                if policy == REFERENCE:
                    ax.axhline(
                        0.0, color=colour, ls=ls, lw=1.0, label=f"(b, c) reference: {label}, Δ = 0"
                    )
                continue
            lo_b, hi_b = BOUNDS[metric]
            diff_bounds = (lo_b - hi_b, hi_b - lo_b)
            base.draw_replicates(ax, step, diffs, diff_bounds, colour=colour, ls=ls)
            d[f"final_change_{metric}_vs_{REFERENCE}"] = base.bounded_interval(
                [x[-1] for x in diffs], diff_bounds
            )
        data[policy] = d
    ax_a.set_ylabel("Opinion variance (x ∈ [−1, 1])")
    ax_b.set_ylabel("Δ opinion variance vs chronological")
    ax_c.set_ylabel("Δ group-mean distance vs chronological")
    for ax, tag in zip((ax_a, ax_b, ax_c), "abc"):
        ax.set_xlabel(style.LABELS["step"])
        ax.set_title(f"({tag})", loc="left")
    handles, labels = ax_a.get_legend_handles_labels()
    for h, lb in zip(*ax_b.get_legend_handles_labels()):
        handles.append(h)
        labels.append(lb)
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)))
    return fig, data
