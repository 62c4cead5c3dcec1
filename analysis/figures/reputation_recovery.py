"""Call-out storm and reputation recovery, with and without an apology (docs/cascades.md
§1 The mechanism; docs/validation.md §Stylized facts, fact 7: storms rise fast and
fade; reputations mostly recover, faster after an apology).

Runs: ``conf/experiment/apology_timing.yaml`` (the cancel storm under engagement
ranking) without an apology and with one three steps after the transgression, × the
figure scale's many seeds (the no-apology runs are those of ``cascade_ccdf``). Needs the time-series columns ``callouts`` and ``reputation``
(mean trust of the target's followers) that the event records; skipped with a message
otherwise.

(a) Call-outs per step; (b) reputation ÷ its value at the transgression step. Thin
lines: single seeds (storms differ a lot between seeds: some reach everybody, so a
symmetric interval band would cross impossible values); thick lines: the mean over
seeds. Vertical lines, in the legend of (a), which serves both panels: the transgression
(solid) and the apology (dashed). The sidecar gives the mean of the storm and recovery metrics with the range
of seeds (fewer than 10 seeds) or a 95 % percentile-bootstrap interval, inside each
metric's bounds (:func:`feedlab.analysis.figures.base.bounded_interval`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style
from feedlab.analysis.figures.cascade_ccdf import cascade_spec

NAME = "reputation_recovery"
TITLE = "Call-out storm and reputation recovery"
CAPTION = (
    "A transgression by the most-followed account under engagement ranking, with and "
    "without an apology three steps later. (a) Call-outs per step; (b) the target's "
    "reputation (mean trust of its followers) relative to its value at the "
    "transgression. Thin lines: seeds; thick lines: mean over seeds."
)
STATISTICS = (
    "per-seed curves and their mean; summary metrics: mean with the range of seeds "
    "(< 10 seeds) or a 95% percentile-bootstrap interval (>= 10), inside the bounds"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_cascades_fade",)
APOLOGY_DELAY = 3
LOOK = {
    "no apology": (style.OKABE_ITO["vermillion"], "-"),
    "apology": (style.OKABE_ITO["blue"], "--"),
}
#: Summary metrics in the sidecar, with their bounds (sizes, times, ratios are >= 0).
SUMMARY = {
    "cascade_size": base.NONNEGATIVE,
    "reputation_trough_rel": base.NONNEGATIVE,
    "time_to_recover_90": base.NONNEGATIVE,
    "reputation_final_rel": base.NONNEGATIVE,
    "time_to_peak": base.NONNEGATIVE,
    "decay_half_life": base.NONNEGATIVE,
}


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Cancel-storm runs under engagement ranking with and without an apology
    ``APOLOGY_DELAY`` steps after the transgression, one per seed of ``scale.many_seeds``.
    """
    base.require_options("event", ["transgression"], "call-out cascades")
    base.require_options("experiment", ["apology_timing"], "the apology experiment")
    apology = scale.event_time + APOLOGY_DELAY
    return [
        cascade_spec(scale, "engagement", s, extra, experiment="apology_timing", condition=cond)
        for cond, extra in (
            ("no apology", ("event.apology_time=null",)),
            ("apology", (f"event.apology_time={apology}",)),
        )
        for s in scale.many_seeds
    ]


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """(a) Call-outs per step and (b) the target's reputation relative to its value at
    the transgression, with and without an apology (seeds thin, their mean thick).
    """
    base.require_columns(
        runs[0].timeseries, ["step", "callouts", "reputation"], "timeseries.parquet"
    )
    t0 = scale.event_time
    fig = style.figure(style.DOUBLE, 2.8)
    ax, bx = fig.subplots(1, 2)
    data: dict[str, Any] = {}
    for cond, rs in base.group(runs, "condition").items():
        colour, ls = LOOK[cond]
        rel = []
        for r in rs:
            ts = r.timeseries
            at = np.flatnonzero(ts["step"] <= t0)
            b = ts["reputation"][at[-1]] if at.size else np.nan
            ok = np.isfinite(b) and b > 0
            rel.append(ts["reputation"] / b if ok else np.full(ts["step"].size, np.nan))
            ax.plot(ts["step"], ts["callouts"], color=colour, ls=ls, lw=0.6, alpha=0.35)
            bx.plot(ts["step"], rel[-1], color=colour, ls=ls, lw=0.6, alpha=0.35)
        m = min(len(r.timeseries["step"]) for r in rs)
        step = rs[0].timeseries["step"][:m]
        calls = np.vstack([r.timeseries["callouts"][:m] for r in rs])
        ax.plot(
            step,
            np.nanmean(calls, axis=0),
            color=colour,
            ls=ls,
            lw=2.0,
            label=f"{cond} ({len(rs)} seeds)",
        )
        bx.plot(
            step,
            np.nanmean(np.vstack([x[:m] for x in rel]), axis=0),
            color=colour,
            ls=ls,
            lw=2.0,
            label=cond,
        )
        data[cond] = {
            k: base.bounded_interval([r.value(k) for r in rs], b) for k, b in SUMMARY.items()
        }
    for a, tag in ((ax, "a"), (bx, "b")):
        a.axvline(t0, color="black", lw=0.8, label="transgression")
        a.axvline(
            t0 + APOLOGY_DELAY,
            color=LOOK["apology"][0],
            lw=0.8,
            ls="--",
            label="time of the apology",
        )
        a.set_xlabel(style.LABELS["step"])
        a.set_title(f"({tag})", loc="left")
    ax.set_ylabel(style.LABELS["callouts"])
    bx.set_ylabel("Reputation ÷ value at transgression")
    ax.legend(loc="upper right")  # its entries name the lines of (b) too
    return fig, data
