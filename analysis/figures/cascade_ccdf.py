"""Call-out cascade sizes: CCDF by ranking policy (docs/cascades.md §1 The mechanism and
§3 Metrics; docs/validation.md §Stylized facts, fact 7).

Runs: ``conf/experiment/cancel_storm.yaml`` (one transgression by the most-followed
account of a heavy-tailed follower graph; exposed users call it out by complex
contagion, :mod:`feedlab.models.events.transgression`) under chronological and engagement
ranking, over many seeds (common random numbers: a seed fixes the network, the
population and the thresholds for both policies), at the figure scale. One cascade per
run; its size is ``summary.json``'s ``cascade_size`` (:mod:`feedlab.analysis.cascades`, from
``events.parquet``). Skipped with a message when this install has no transgression
event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis import stats
from feedlab.analysis.figures import base, style
from feedlab.analysis.metrics import ccdf

NAME = "cascade_ccdf"
TITLE = "Call-out cascade sizes by ranking policy"
CAPTION = (
    "Complementary cumulative distribution of call-out cascade sizes (accounts, the "
    "transgressor included; one cascade per run) under chronological and engagement "
    "ranking; the same networks, populations and thresholds for both (seeds)."
)
STATISTICS = (
    "empirical CCDF over runs; per-seed paired difference in log10 size, engagement "
    "minus chronological, with a BCa bootstrap interval (sidecar)"
)
#: Stylized facts this figure bears on (their ``feedlab validate`` verdicts go in the sidecar).
FACTS = ("fact_cascades_fade",)
POLICIES = ("chronological", "engagement")
METRIC = "cascade_size"


def cascade_spec(
    scale: base.Scale,
    policy: str,
    seed: int,
    extra: tuple[str, ...] = (),
    experiment: str = "cancel_storm",
    **labels: Any,
) -> base.RunSpec:
    """A transgression run of ``experiment`` at the figure scale."""
    return base.RunSpec.make(
        [
            f"experiment={experiment}",
            f"ranking={policy}",
            *extra,
            f"event.time={scale.event_time}",
            f"seed={seed}",
            f"network.n={scale.n}",
            f"steps={scale.cascade_steps}",
        ],
        policy=policy,
        seed=seed,
        **labels,
    )


def design(scale: base.Scale) -> list[base.RunSpec]:
    """One cancel-storm run per policy and seed of ``scale.many_seeds`` (the same seed under
    both policies: common random numbers).
    """
    base.require_options("event", ["transgression"], "call-out cascades")
    base.require_options("experiment", ["cancel_storm"], "the cancel-storm experiment")
    return [cascade_spec(scale, p, s) for p in POLICIES for s in scale.many_seeds]


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """CCDF of the cascade size per policy over seeds; the sidecar gets each policy's
    sizes, median and share of runs reaching half the users, and the paired difference of
    log sizes, engagement − chronological.
    """
    if METRIC not in runs[0].summary:
        raise base.FigureSkipped(f"summary.json has no {METRIC!r} (cascade metrics)")
    fig = style.figure(style.COLUMN * 1.3, 3.0)
    ax = fig.subplots()
    data: dict[str, Any] = {}
    for i, (policy, rs) in enumerate(base.group(runs, "policy").items()):
        colour, marker, ls, label = style.policy_style(policy, i)
        sizes = np.array([r.value(METRIC) for r in rs])
        s, p = ccdf(sizes)
        ax.step(s, p, where="pre", color=colour, ls=ls, label=f"{label} ({sizes.size} runs)")
        ax.plot(s, p, ls="none", marker=marker, ms=3.5, color=colour)
        n_users = np.array([r.value("n_users") for r in rs])
        fin = np.isfinite(sizes)
        data[policy] = {
            "n_runs": int(sizes.size),
            "n_nonfinite": int((~fin).sum()),
            "sizes": sorted(sizes[fin].tolist()),
            "median_size": float(np.median(sizes[fin])) if fin.any() else None,
            "share_reaching_half_of_users": float(np.mean(sizes[fin] >= 0.5 * n_users[fin]))
            if fin.any()
            else None,
        }
    cols = {
        "policy": np.array([r.label("policy") for r in runs], dtype=object),
        "seed": np.array([r.label("seed") for r in runs]),
        "log_size": np.log10([max(r.value(METRIC), 1.0) for r in runs]),
    }
    [pd] = stats.paired_difference(
        cols,
        "log_size",
        factor="policy",
        treatment="engagement",
        control="chronological",
        match_on=[],
        seed=0,
    )
    data["paired_log10_size_engagement_minus_chronological"] = pd.interval.as_dict()
    style.plain_log_axes(ax)
    ax.set_xlabel(style.LABELS["cascade_size"])
    ax.set_ylabel(style.LABELS["ccdf"])
    ax.legend(loc="lower left")
    return fig, data
