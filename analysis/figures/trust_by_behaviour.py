"""Trust trajectories by influencer behaviour (SPEC §8, stylized fact 6).

Runs: one influencer behaviour per run on the heavy-tailed follower graph of the
influencer experiments (``network=follower_graph``) — authentic, sponsored with and
without disclosure (a campaign over the second quarter of the run, after
``conf/experiment/influencer_disclosure.yaml``, so that both the fall and the recovery
show), engagement farming, bought engagement; each ``conf/influencer`` option present
in this install — × seeds, at the figure scale. Needs the time-series column
``trust_influencers`` (mean trust of real followers' edges into influencer accounts)
that the influencer extension records; skipped with a message otherwise.

Lines: mean over seeds; bands: 95 % Student-t interval across seeds; shaded: the
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
    "runs). Lines: mean over seeds; bands: 95% Student-t interval across seeds."
)
STATISTICS = "mean over seeds; 95% Student-t interval across seeds per step"
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
    return round(CAMPAIGN[0] * scale.steps), round(CAMPAIGN[1] * scale.steps)


def design(scale: base.Scale) -> list[base.RunSpec]:
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
    base.require_columns(runs[0].timeseries, [COLUMN, "step"], "timeseries.parquet")
    look = {b[0]: (b[3], b[4]) for b in BEHAVIOURS}
    fig = style.figure(style.COLUMN * 1.6, 3.0)
    ax = fig.subplots()
    start, stop = campaign(scale)
    if any(r.label("behaviour").startswith("Sponsored") for r in runs):
        ax.axvspan(start, stop, color="#EDEDED", lw=0, zorder=0)
    data: dict[str, Any] = {"campaign": [start, stop]}
    for label, rs in base.group(runs, "behaviour").items():
        colour, ls = look[label]
        step = rs[0].timeseries["step"]
        mean, lo, hi = base.t_band([r.timeseries[COLUMN] for r in rs])
        ax.plot(step[: mean.size], mean, color=colour, ls=ls, label=label)
        ax.fill_between(step[: mean.size], lo, hi, color=colour, alpha=0.12, lw=0)
        at = [int(np.searchsorted(r.timeseries["step"], start)) for r in rs]
        data[label] = {
            "at_campaign_start": base.interval(
                [
                    r.timeseries[COLUMN][min(a, r.timeseries[COLUMN].size - 1)]
                    for r, a in zip(rs, at)
                ]
            ),
            "minimum": base.interval([float(np.nanmin(r.timeseries[COLUMN])) for r in rs]),
            "final": base.interval([r.timeseries[COLUMN][-1] for r in rs]),
        }
    ax.set_xlabel(style.LABELS["step"])
    ax.set_ylabel("Followers' trust in influencers (0–1)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper")
    return fig, data
