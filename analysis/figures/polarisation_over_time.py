"""Polarisation over time by ranking policy (SPEC §8, stylized fact 2).

Runs: every platform ranking policy × seed from ``conf/experiment/ranking_comparison.yaml``
(common random numbers: one seed = one network and one population for every policy), at
the figure scale (default 2,000 users, 100 steps, seeds 0–2).

Panels: (a) opinion variance per step, mean over seeds with a 95 % Student-t band across
seeds; (b) and (c) the *paired* change relative to chronological ranking, per seed
(same network, same people), of opinion variance and of the distance between the two
largest groups' mean opinions (:mod:`feedlab.analysis.metrics.polarisation`), mean and 95 %
t-band of the per-seed differences. Pairing removes the between-seed spread that
dominates the absolute levels in (a).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style

NAME = "polarisation_over_time"
TITLE = "Polarisation over time by ranking policy"
CAPTION = (
    "(a) Opinion variance per step under each ranking policy (mean over seeds, band: 95% "
    "Student-t interval across seeds). (b, c) Change relative to chronological ranking in "
    "the same seed (same network and population: common random numbers) of opinion "
    "variance and of the distance between the two groups' mean opinions; mean and 95% "
    "t-interval of the per-seed differences."
)
STATISTICS = (
    "(a) mean over seeds, 95% Student-t interval across seeds per step; (b, c) per-seed "
    "paired difference to chronological, mean and 95% Student-t interval"
)
REFERENCE = "chronological"


def design(scale: base.Scale) -> list[base.RunSpec]:
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
        mean, lo, hi = base.t_band([r.timeseries["opinion_variance"] for r in rs])
        ax_a.plot(step[: mean.size], mean, color=colour, ls=ls, label=label)
        ax_a.fill_between(step[: mean.size], lo, hi, color=colour, alpha=0.12, lw=0)
        d: dict[str, Any] = {
            "n_seeds": len(rs),
            "final_opinion_variance": base.interval(
                [r.timeseries["opinion_variance"][-1] for r in rs]
            ),
        }
        for ax, metric in ((ax_b, "opinion_variance"), (ax_c, "group_mean_distance")):
            diffs = _paired(rs, ref, metric)
            if not diffs or policy == REFERENCE:
                if policy == REFERENCE:
                    ax.axhline(0.0, color=colour, ls=ls, lw=1.0)
                continue
            mean, lo, hi = base.t_band(diffs)
            ax.plot(step[: mean.size], mean, color=colour, ls=ls)
            ax.fill_between(step[: mean.size], lo, hi, color=colour, alpha=0.12, lw=0)
            d[f"final_change_{metric}_vs_{REFERENCE}"] = base.interval([x[-1] for x in diffs])
        data[policy] = d
    ax_a.set_ylabel("Opinion variance (x ∈ [−1, 1])")
    ax_b.set_ylabel("Δ opinion variance vs chronological")
    ax_c.set_ylabel("Δ group-mean distance vs chronological")
    for ax, tag in zip((ax_a, ax_b, ax_c), "abc"):
        ax.set_xlabel(style.LABELS["step"])
        ax.set_title(f"({tag})", loc="left")
    fig.legend(
        *ax_a.get_legend_handles_labels(),
        loc="outside lower center",
        ncol=min(4, len(groups)),
    )
    return fig, data
