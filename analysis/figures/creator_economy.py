"""Does undisclosed sponsorship emerge? (docs/attention.md §Creator economy).

Runs: ``experiment=creator_economy`` without fines (``influencer.pay.fine=0``) at the
detection probabilities of the experiment × seeds, at the figure scale. Needs
``conf/influencer/creator_economy.yaml``; skipped otherwise.

(a) Share of influencers playing undisclosed sponsorship per step
(``creator_share_undisclosed``), one colour per detection probability; thin lines:
seeds, thick: mean (with 10 or more seeds: 95 % percentile-bootstrap band). The dotted
line is the share under uniform random choice (1 / number of strategies). (b) Final
share of each strategy against the detection probability (means over seeds).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style

NAME = "creator_economy"
TITLE = "Strategies influencers learn from pay, by detection probability"
CAPTION = (
    "(a) Share of influencers playing undisclosed sponsorship per step, per detection "
    "probability (thin: seeds; thick: mean). Dotted: uniform random choice. (b) Final "
    "share of each strategy against the detection probability (mean over seeds)."
)
STATISTICS = "per-seed curves and their mean; sidecar: mean with the range of seeds"
STRATEGIES = ("authentic", "farming", "disclosed", "undisclosed")
COLUMN = "creator_share_undisclosed"


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Detection probabilities of ``experiment=creator_economy`` × seeds, no fine."""
    base.require_options("influencer", ["creator_economy"], "influencers that learn from pay")
    grid = base.experiment_sweep("creator_economy").get("influencer.detection") or ["0.0", "0.6"]
    if scale.max_policies:
        grid = [grid[0], grid[-1]]
    return [
        base.RunSpec.make(
            [
                "experiment=creator_economy",
                f"influencer.detection={d}",
                "influencer.pay.fine=0.0",
                f"seed={s}",
                f"network.n={scale.n}",
                f"steps={scale.steps}",
            ],
            detection=float(d),
            seed=s,
        )
        for d in grid
        for s in scale.seeds
    ]


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Undisclosed share over time; final shares against detection (module docstring)."""
    base.require_columns(runs[0].timeseries, ["step", COLUMN], "timeseries.parquet")
    groups = base.group(runs, "detection")
    fig = style.figure(style.DOUBLE, 3.0)
    ax_a, ax_b = fig.subplots(1, 2)
    data: dict[str, Any] = {}
    for i, (det, rs) in enumerate(groups.items()):
        colour = style.CYCLE[i % len(style.CYCLE)]
        ts = rs[0].timeseries
        base.draw_replicates(
            ax_a,
            ts["step"],
            [r.timeseries[COLUMN] for r in rs],
            base.SHARE,
            colour=colour,
            label=f"detection {det:g}",
        )
        data[f"detection={det:g}"] = {
            s: base.bounded_interval([r.value(f"creator_share_{s}_final") for r in rs], base.SHARE)
            for s in STRATEGIES
        }
    dets = sorted(groups)
    for j, s in enumerate(STRATEGIES):
        means = [np.nanmean([r.value(f"creator_share_{s}_final") for r in groups[d]]) for d in dets]
        ax_b.plot(dets, means, marker="o", color=style.CYCLE[j % len(style.CYCLE)], label=s)
    ax_a.axhline(1 / len(STRATEGIES), color=style.GREY, ls=":", lw=1.0, label="uniform choice")
    ax_a.set_xlabel(style.LABELS["step"])
    ax_a.set_ylabel("Share playing undisclosed sponsorship")
    ax_b.set_xlabel("Detection probability per exposure")
    ax_b.set_ylabel("Final share of influencers")
    ax_a.set_title("(a)", loc="left")
    ax_b.set_title("(b)", loc="left")
    ax_a.legend(loc="upper right", fontsize="small")
    ax_b.legend(loc="upper right", fontsize="small")
    return fig, data
