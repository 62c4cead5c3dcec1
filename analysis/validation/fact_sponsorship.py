"""Stylized fact 6: undisclosed sponsorship erodes trust faster; trust falls fast and recovers
slowly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .facts_common import _arm_runs, _fmt_ms, _paired_greater, _values, decide, protocol_outcome
from .plotting import _plotting, _save
from .protocol import Criterion
from .registry import Check, Outcome, register
from .runner import Context

# Decision rule (docs/validation.md §Decision protocol): the test named below now only reports a p-value; the verdict is
# the protocol's (protocol.py) on the same per-seed effect: its two-sided t-interval (95 %
# on the fixed seeds, 99 % per look under --powered) must settle the criterion.
# Fact 6 criteria (experiment influencer_disclosure: sponsored influencers, campaign from
# step 60 to 120, 240 steps, N = 2000). Each campaign run is compared with the control
# of the same seed without sponsored posts (influencer.rate = 0; the disclosure flag is
# then irrelevant), d(t) = trust in the sponsored accounts minus the control's
# (feedlab.analysis.influencers.campaign_effect). (a) "Undisclosed erodes trust faster": d after
# 10 campaign steps (effect_h) is lower for undisclosed than for disclosed sponsorship,
# one-sided paired t-test over seeds at α = 0.05. (b) "Trust falls fast and recovers
# slowly": for undisclosed sponsorship the fall half-life (exponential fit of d over the
# campaign) is shorter than the recovery half-life (fit from the lowest d after the
# campaign, toward 0), one-sided paired t-test at α = 0.05; disclosed sponsorship moves
# trust too little for reliable half-lives (docs/influencers.md §6.1), so they are reported, not tested.
# Exploration (seeds 100–105): d after 10 steps −0.0121 vs −0.0013 (paired difference
# 0.0108 ± 0.0031); half-lives, undisclosed, fall 12.3 ± 3.0 vs recovery 46 ± 9.5 steps
# (paired difference 34 ± 12). Over every 4-seed subset of those 6 the larger of the two
# p-values was ≤ 0.010 (median 0.006; ≤ 0.04 over 3-seed subsets), so 4 seeds leave a
# margin.
FACT6_SEEDS = tuple(range(4))
FACT6_COLUMN = "trust_sponsored"


def _campaign_runs(
    ctx: Context, seeds: Sequence[int]
) -> tuple[dict[str, list[dict[str, Any]]], int, int | None]:
    exp = "influencer_disclosure"
    arms = {
        "control": ["influencer.rate=0.0", "influencer.disclosed=true"],
        "disclosed": ["influencer.disclosed=true"],
        "undisclosed": ["influencer.disclosed=false"],
    }
    runs = _arm_runs(ctx, exp, arms, seeds)
    inf = ctx.config(f"experiment={exp}")["influencer"]
    return runs, int(inf["start"]), (None if inf["stop"] < 0 else int(inf["stop"]))


def check_fact_sponsorship_trust(ctx: Context, seeds: Sequence[int] = FACT6_SEEDS) -> Outcome:
    """Fact 6: undisclosed sponsorship lowers trust faster than disclosed, and trust
    falls faster than it recovers (criteria (a) and (b) above).
    """
    from feedlab.analysis.influencers import campaign_effect

    runs, start, stop = _campaign_runs(ctx, seeds)
    effects: dict[str, list[dict[str, float]]] = {}
    for arm in ("disclosed", "undisclosed"):
        effects[arm] = []
        for r, c in zip(runs[arm], runs["control"]):
            ts, tc = r["timeseries"], c["timeseries"]
            effects[arm].append(
                campaign_effect(ts["step"], ts[FACT6_COLUMN], tc[FACT6_COLUMN], start, stop)
            )

    def col(arm: str, key: str) -> list[float]:
        return [float(e[key]) for e in effects[arm]]

    t_fast = _paired_greater(col("disclosed", "effect_h"), col("undisclosed", "effect_h"))
    t_slow = _paired_greater(
        col("undisclosed", "recovery_half_life"), col("undisclosed", "fall_half_life")
    )
    decisions = [
        decide(
            ctx,
            "effect after 10 steps, disclosed − undisclosed",
            np.subtract(col("disclosed", "effect_h"), col("undisclosed", "effect_h")),
            Criterion.greater(0),
        ),
        decide(
            ctx,
            "half-life, recovery − fall",
            np.subtract(
                col("undisclosed", "recovery_half_life"), col("undisclosed", "fall_half_life")
            ),
            Criterion.greater(0),
        ),
    ]
    ok_fast, ok_slow = (d.verdict == "PASS" for d in decisions)
    reasons = []
    if not ok_fast:
        reasons.append(
            f"undisclosed sponsorship does not erode trust faster than disclosed: effect after "
            f"10 campaign steps {_fmt_ms(col('undisclosed', 'effect_h'))} vs "
            f"{_fmt_ms(col('disclosed', 'effect_h'))} (one-sided paired p = {t_fast['p']:.3g})"
        )
    if not ok_slow:
        reasons.append(
            f"trust does not recover more slowly than it falls (undisclosed): fall half-life "
            f"{_fmt_ms(col('undisclosed', 'fall_half_life'))} vs recovery "
            f"{_fmt_ms(col('undisclosed', 'recovery_half_life'))} steps (one-sided paired p = "
            f"{t_slow['p']:.3g})"
        )
    pct = {a: [100 * v for v in col(a, "effect_relative")] for a in effects}
    measured = (
        f"trust in sponsored accounts minus same-seed control after 10 campaign steps: "
        f"undisclosed {_fmt_ms(col('undisclosed', 'effect_h'), 2)}, disclosed "
        f"{_fmt_ms(col('disclosed', 'effect_h'), 2)} (paired p = {t_fast['p']:.2g}); largest "
        f"loss {_fmt_ms(pct['undisclosed'])} % vs {_fmt_ms(pct['disclosed'])} % of the "
        f"control; undisclosed half-lives: fall {_fmt_ms(col('undisclosed', 'fall_half_life'))}"
        f" vs recovery {_fmt_ms(col('undisclosed', 'recovery_half_life'))} steps (paired p = "
        f"{t_slow['p']:.2g}), {_fmt_ms(col('undisclosed', 'recovered'))} of the loss regained "
        f"by step {int(runs['undisclosed'][0]['timeseries']['step'][-1])}; disclosed "
        f"(unreliable, small loss): fall {_fmt_ms(col('disclosed', 'fall_half_life'))}, "
        f"recovery {_fmt_ms(col('disclosed', 'recovery_half_life'))} "
        f"({len(seeds)} seeds)"
    )
    data = {
        "seeds": list(seeds),
        "campaign": [start, stop],
        "effects": effects,
        "p_faster": t_fast["p"],
        "p_recovers_slower": t_slow["p"],
        "exposures": {a: _values(runs[a], "total_sponsored_exposures") for a in effects},
        "detections": {a: _values(runs[a], "total_detections") for a in effects},
    }
    return protocol_outcome(
        decisions, measured, reasons, data, _plot_sponsorship(ctx, runs, effects, start, stop)
    )


def _plot_sponsorship(
    ctx: Context,
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    effects: Mapping[str, Sequence[Mapping[str, float]]],
    start: int,
    stop: int | None,
) -> str | None:
    path = ctx.figure_path("fact_sponsorship_trust")
    if path is None:
        return None
    style, figure = _plotting()
    colour = {"disclosed": style.CYCLE[0], "undisclosed": style.CYCLE[1]}
    with style.rc():
        fig = figure(style.DOUBLE, 2.9)
        ax, bx = fig.subplots(1, 2, width_ratios=[1.6, 1])
        for arm in ("disclosed", "undisclosed"):
            ds = [
                np.asarray(r["timeseries"][FACT6_COLUMN], float)
                - np.asarray(c["timeseries"][FACT6_COLUMN], float)
                for r, c in zip(runs[arm], runs["control"])
            ]
            t = np.asarray(runs[arm][0]["timeseries"]["step"], float)
            for d in ds:
                ax.plot(t, d, color=colour[arm], lw=0.5, alpha=0.35)
            ax.plot(t, np.mean(ds, axis=0), color=colour[arm], label=arm)
        end = stop if stop is not None else float(t[-1])
        ax.axvspan(start, end, color=style.GREY, alpha=0.12, lw=0, label="campaign")
        ax.axhline(0, color=style.GREY, lw=0.8, ls=":")
        ax.set_xlabel(style.LABELS["step"])
        ax.set_ylabel("Trust in sponsored accounts\nminus same-seed control")
        ax.set_title("(a) Campaign effect on followers' trust")
        ax.legend(loc="lower right")
        pairs = [(e["fall_half_life"], e["recovery_half_life"]) for e in effects["undisclosed"]]
        for f, r in pairs:
            bx.plot([0, 1], [f, r], color=style.GREY, lw=0.7, alpha=0.7)
        bx.scatter(
            [0] * len(pairs), [p[0] for p in pairs], color=colour["undisclosed"], s=18, zorder=3
        )
        bx.scatter(
            [1] * len(pairs),
            [p[1] for p in pairs],
            color=colour["undisclosed"],
            marker="s",
            s=18,
            zorder=3,
        )
        bx.set_xticks([0, 1], ["Fall\n(during campaign)", "Recovery\n(after it)"])
        bx.set_xlim(-0.5, 1.5)
        bx.set_ylabel("Half-life of the trust effect (steps)")
        bx.set_title("(b) Undisclosed: half-lives")
        return _save(fig, path)


register(
    Check(
        name="fact_sponsorship_trust",
        kind="fact",
        title="6. Undisclosed sponsorship erodes trust faster; trust falls fast, recovers slowly",
        expected=(
            "against a same-seed control without sponsored posts: trust in the sponsored "
            "accounts after 10 campaign steps lower with undisclosed than disclosed "
            "sponsorship, and for undisclosed sponsorship a fall half-life shorter than the "
            f"recovery half-life (95 % CIs of the mean paired differences above 0, "
            f"{len(FACT6_SEEDS)} seeds; --powered: 20–60 test seeds)"
        ),
        source=(
            "Stylized fact 6 (docs/validation.md). Slovic, P. (1993). Perceived risk, trust, and democracy. Risk "
            "Analysis 13(6), 675–682. Carr, C. T. & Hayes, R. A. (2014). The effect of "
            "disclosure of third-party influence on an opinion leader's credibility and "
            "electronic word of mouth in two-step flow. Journal of Interactive Advertising "
            "14(1), 38–50."
        ),
        run=check_fact_sponsorship_trust,
        experiment="influencer_disclosure",
    )
)
