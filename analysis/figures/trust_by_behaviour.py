"""Trust trajectories by influencer behaviour (docs/validation.md §Stylized facts, fact 6).

Runs: one influencer behaviour per run on the heavy-tailed follower graph of the
influencer experiments (``network=follower_graph``) — authentic, sponsored with and
without disclosure (a campaign over the second quarter of the run, after
``conf/experiment/influencer_disclosure.yaml``, so that both the fall and the recovery
show), engagement farming, bought engagement; each ``conf/influencer`` option present
in this install — × seeds, at the figure scale. Needs the time-series column
``trust_influencers`` (mean trust of real followers' edges into influencer accounts)
that the influencer extension records; skipped with a message otherwise.

Thick lines: mean over seeds; thin lines: the seeds (with 10 or more seeds, a 95 %
percentile-bootstrap band instead, inside [0, 1];
:func:`feedlab.analysis.figures.base.draw_replicates`); shaded, in the legend: the
sponsorship campaign.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style

NAME = "trust_by_behaviour"
TITLE = "Followers' trust in influencers by behaviour"
CAPTION = (
    "Mean trust of followers in influencer accounts per step, for each influencer "
    "behaviour (one behaviour per run; grey: the sponsorship campaign of the sponsored "
    "runs). Thick lines: mean over seeds; thin lines: seeds (with 10 or more seeds, "
    "band: 95% percentile-bootstrap interval)."
)
STATISTICS = (
    "per-seed curves and their mean (>= 10 seeds: 95% percentile-bootstrap band per "
    "step); sidecar: mean with the range of seeds (< 10) or a percentile-bootstrap interval"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_sponsorship_trust",)
#: Trust is in [0, 1].
BOUNDS = (0.0, 1.0)
COLUMN = "trust_influencers"
#: Campaign window as fractions of the run (influencer_disclosure: steps 60-120 of 240).
CAMPAIGN = (0.25, 0.5)
#: (label, conf/influencer option, extra overrides, colour, line style)
BEHAVIOURS = (
    ("Authentic", "authentic", (), style.OKABE_ITO["black"], "-"),
    (
        "Sponsored, disclosed",
        "sponsored",
        ("influencer.disclosed=true",),
        style.OKABE_ITO["blue"],
        "-",
    ),
    (
        "Sponsored, undisclosed",
        "sponsored",
        ("influencer.disclosed=false",),
        style.OKABE_ITO["vermillion"],
        "--",
    ),
    ("Engagement farming", "engagement_farming", (), style.OKABE_ITO["orange"], "-."),
    ("Bought engagement", "bought_engagement", (), style.OKABE_ITO["reddish_purple"], ":"),
)


def campaign(scale: base.Scale) -> tuple[int, int]:
    """The sponsorship campaign's first and last step at this scale (the second quarter
    of the run, ``CAMPAIGN`` as fractions of ``steps``).
    """
    return round(CAMPAIGN[0] * scale.steps), round(CAMPAIGN[1] * scale.steps)


def design(scale: base.Scale) -> list[base.RunSpec]:
    """One run per installed influencer behaviour and seed on the follower graph;
    sponsored behaviours run their campaign over :func:`campaign`.
    """
    available = set(base.options("influencer"))
    chosen = [b for b in BEHAVIOURS if b[1] in available]
    if not chosen:
        base.require_options("influencer", ["authentic", "sponsored"], "influencer behaviours")
    start, stop = campaign(scale)
    window = (f"influencer.start={start}", f"influencer.stop={stop}")
    return [
        base.RunSpec.make(
            [
                "network=follower_graph",
                f"influencer={opt}",
                *extra,
                *(window if opt == "sponsored" else ()),
                f"seed={s}",
                f"network.n={scale.n}",
                f"steps={scale.steps}",
            ],
            behaviour=label,
            seed=s,
        )
        for label, opt, extra, _, _ in chosen
        for s in scale.seeds
    ]


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Trust in influencer accounts over time per behaviour (seeds and their mean, or a
    bootstrap band), with the campaign shaded.
    """
    base.require_columns(runs[0].timeseries, [COLUMN, "step"], "timeseries.parquet")
    look = {b[0]: (b[3], b[4]) for b in BEHAVIOURS}
    fig = style.figure(style.COLUMN * 1.6, 3.0)
    ax = fig.subplots()
    start, stop = campaign(scale)
    if any(r.label("behaviour").startswith("Sponsored") for r in runs):
        ax.axvspan(start, stop, color="#EDEDED", lw=0, zorder=0, label="sponsorship campaign")
    data: dict[str, Any] = {"campaign": [start, stop]}
    for label, rs in base.group(runs, "behaviour").items():
        colour, ls = look[label]
        step = rs[0].timeseries["step"]
        base.draw_replicates(
            ax, step, [r.timeseries[COLUMN] for r in rs], BOUNDS, colour=colour, ls=ls, label=label
        )
        at = [int(np.searchsorted(r.timeseries["step"], start)) for r in rs]
        data[label] = {
            "at_campaign_start": base.bounded_interval(
                [
                    r.timeseries[COLUMN][min(a, r.timeseries[COLUMN].size - 1)]
                    for r, a in zip(rs, at)
                ],
                BOUNDS,
            ),
            "minimum": base.bounded_interval(
                [float(np.nanmin(r.timeseries[COLUMN])) for r in rs], BOUNDS
            ),
            "final": base.bounded_interval([r.timeseries[COLUMN][-1] for r in rs], BOUNDS),
        }
    ax.set_xlabel(style.LABELS["step"])
    ax.set_ylabel("Followers' trust in influencers (0–1)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper")
    return fig, data
