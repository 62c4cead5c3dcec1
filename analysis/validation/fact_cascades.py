"""Stylized fact 7: outrage cascades rise fast and fade; reputations mostly recover."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .facts_common import _arm_runs, _fmt_ms, _paired_greater, _values, decide, protocol_outcome
from .plotting import _label, _plotting, _save
from .protocol import Criterion
from .registry import Check, Outcome, register
from .runner import Context
from .watts import _WATTS

# Decision rule (docs/validation.md §Decision protocol): the test named below now only reports a p-value; the verdict is
# the protocol's (protocol.py) on the same per-seed effect: its two-sided t-interval (95 %
# on the fixed seeds, 99 % per look under --powered) must settle the criterion.
# Fact 7 criteria (experiment apology_timing: the cancel_storm transgression on day 10 by
# the most-followed account of a 3,000-user follower graph, engagement ranking — the
# default — 100 days; the seed fixes network, population and thresholds). A *storm* is
# a cascade that reached ≥ 1 % of the users (feedlab.analysis.cascades.table's definition).
# Over the storms without an apology: (a) rise fast — the median time from the
# transgression to the day with the most call-outs is ≤ FACT7_PEAK_DAYS; (b) fade
# within weeks — every storm's last call-out comes ≤ FACT7_FADE_DAYS (four weeks) after
# the transgression; (c) reputations mostly recover — on average more than half of the
# reputation lost at the trough (mean follower trust in the target) is regained by the
# end (one-sided t-test of the mean regained share against FACT7_REGAINED at α = 0.05);
# the number of runs back at 90 % of the pre-event level (the yardstick of docs/cascades.md §5) is
# reported beside it. (d) Faster after an apology — days to recover to 90 % are fewer
# with an apology on day 1 after the transgression than without, paired by seed (one-
# sided paired t-test at α = 0.05; a run that never recovers counts as the horizon, 90
# days, which is conservative when only the no-apology run is censored). An apology on
# day 7 is run and reported (docs/cascades.md §5 found it makes no difference), not tested: the fact
# claims only that an apology helps. Exploration (seeds 100–107): every run a storm;
# time to peak 0–6 days (median 0); duration 6–9 days (docs/cascades.md §5, five rankings: ≤ 27);
# share of the loss regained 0.91 ± 0.10 (min 0.82; > 1 where trust ends above its
# pre-event level); 6/8 back at 90 %; days to 90 % without vs with an early apology,
# paired difference 41 ± 16 (all 8 positive); with a day-7 apology +0.75 ± 4.6. The
# thresholds are the fact's words made numbers ("fast": within three days; "within
# weeks": four weeks; "mostly": more than half); they sit well outside the measured
# spread. 8 seeds, the experiment's own: the apology test needs them (the censored
# recovery times are noisy; on seeds 0–2 alone p = 0.11).
FACT7_SEEDS = tuple(range(8))
FACT7_STORM = 0.01
FACT7_PEAK_DAYS = 3.0
FACT7_FADE_DAYS = 28.0
FACT7_REGAINED = 0.5
FACT7_EARLY = 1
FACT7_LATE = 7


def check_fact_cascades_fade(
    ctx: Context, seeds: Sequence[int] = FACT7_SEEDS, late: bool = True
) -> Outcome:
    """Fact 7 (criteria above); ``late=False`` skips the day-7 apology arm, which is
    reported but not part of the criterion.
    """
    exp = "apology_timing"
    cfg = ctx.config(f"experiment={exp}")
    t0, steps = int(cfg["event"]["time"]), int(cfg["steps"])
    horizon = float(steps - t0)
    arms = {
        "none": ["event.apology_time=null"],
        "early": [f"event.apology_time={t0 + FACT7_EARLY}"],
    }
    if late:
        arms["late"] = [f"event.apology_time={t0 + FACT7_LATE}"]
    runs = _arm_runs(ctx, exp, arms, seeds)

    def vals(arm: str, key: str) -> np.ndarray:
        return np.asarray(_values(runs[arm], key), dtype=float)

    size = vals("none", "cascade_size")
    storm = size >= FACT7_STORM * vals("none", "n_users")
    peak = vals("none", "time_to_peak")[storm]
    duration = vals("none", "cascade_duration")[storm]
    base, trough = vals("none", "reputation_baseline"), vals("none", "reputation_trough")
    final = vals("none", "reputation_final")
    with np.errstate(divide="ignore", invalid="ignore"):
        regained = np.where(base > trough, (final - trough) / (base - trough), np.nan)[storm]
    recover = {a: vals(a, "time_to_recover_90") for a in runs}
    censored = {a: np.where(np.isfinite(v), v, horizon) for a, v in recover.items()}
    t_regained = _paired_greater(regained, np.full(regained.size, FACT7_REGAINED))
    t_apology = _paired_greater(censored["none"], censored["early"])
    decisions = [
        decide(ctx, "share of loss regained", regained, Criterion.greater(FACT7_REGAINED)),
        decide(
            ctx,
            f"days to 90 %, none − apology day {FACT7_EARLY}",
            censored["none"] - censored["early"],
            Criterion.greater(0),
        ),
    ]
    reasons: list[str] = []
    settled_against = False
    if storm.sum() < 2:
        reasons.append(f"fewer than two call-out storms (≥ {FACT7_STORM:.0%} of users) to test")
        settled_against = True
    else:
        if not np.median(peak) <= FACT7_PEAK_DAYS:
            settled_against = True
            reasons.append(
                f"storms do not rise fast: median time to peak {np.median(peak):g} days "
                f"> {FACT7_PEAK_DAYS:g}"
            )
        if not np.max(duration) <= FACT7_FADE_DAYS:
            settled_against = True
            reasons.append(
                f"storms do not fade within weeks: longest lasted {np.max(duration):g} days "
                f"> {FACT7_FADE_DAYS:g}"
            )
        if decisions[0].verdict != "PASS":
            reasons.append(
                f"reputations do not mostly recover: share of the loss regained by day "
                f"{steps} {_fmt_ms(regained)} (one-sided p = {t_regained['p']:.3g} for > "
                f"{FACT7_REGAINED:g})"
            )
    if decisions[1].verdict != "PASS":
        reasons.append(
            f"reputation does not recover faster after an apology on day {FACT7_EARLY}: days "
            f"to 90 % without {_fmt_ms(censored['none'])}, with {_fmt_ms(censored['early'])} "
            f"(one-sided paired p = {t_apology['p']:.3g})"
        )
    n_rec = int(np.isfinite(recover["none"]).sum())
    measured = (
        f"no apology: {int(storm.sum())}/{len(seeds)} runs a storm (median "
        f"{np.median(size):.0f} callers of {int(vals('none', 'n_users')[0])}); time to peak "
        f"{_fmt_ms(peak)} days (median {np.median(peak) if peak.size else math.nan:g}, max "
        f"{np.max(peak) if peak.size else math.nan:g}); duration {_fmt_ms(duration)} days "
        f"(max {np.max(duration) if duration.size else math.nan:g}); reputation trough "
        f"{_fmt_ms(trough / base)} of baseline, share of the loss regained by day {steps} "
        f"{_fmt_ms(regained)} (p = {t_regained['p']:.2g} for > {FACT7_REGAINED:g}); "
        f"{n_rec}/{len(seeds)} back at 90 % by day {steps}; days to 90 % (not recovered = "
        f"{horizon:g}): none {_fmt_ms(censored['none'])}, apology on day {FACT7_EARLY} "
        f"{_fmt_ms(censored['early'])} (paired p = {t_apology['p']:.2g})"
    )
    data: dict[str, Any] = {
        "seeds": list(seeds),
        "storm": storm,
        "cascade_size": {a: vals(a, "cascade_size") for a in runs},
        "time_to_peak": {a: vals(a, "time_to_peak") for a in runs},
        "cascade_duration": {a: vals(a, "cascade_duration") for a in runs},
        "reputation_trough_rel": {a: vals(a, "reputation_trough_rel") for a in runs},
        "time_to_recover_90": recover,
        "regained": regained,
        "p_regained": t_regained["p"],
        "p_apology": t_apology["p"],
        "apology_days": {"early": FACT7_EARLY, **({"late": FACT7_LATE} if late else {})},
    }
    if late:
        t_late = _paired_greater(censored["none"], censored["late"])
        data["p_late_apology"] = t_late["p"]
        measured += (
            f", on day {FACT7_LATE} {_fmt_ms(censored['late'])} (paired difference "
            f"{t_late['mean_diff']:+.3g}, p = {t_late['p']:.2g})"
        )
    measured += f" ({len(seeds)} seeds)"
    return protocol_outcome(
        decisions,
        measured,
        reasons,
        data,
        _plot_cascades(ctx, runs, t0, steps),
        extra_fail=settled_against,
    )


def _plot_cascades(
    ctx: Context, runs: Mapping[str, Sequence[Mapping[str, Any]]], t0: int, steps: int
) -> str | None:
    path = ctx.figure_path("fact_cascades_fade")
    if path is None:
        return None
    from feedlab.analysis.cascades import callout_counts, cascade_tree
    from feedlab.analysis.cascades import read_run as read_cascade

    style, figure = _plotting()
    labels = {
        "none": "no apology",
        "early": f"apology on day {FACT7_EARLY}",
        "late": f"apology on day {FACT7_LATE}",
    }
    with style.rc():
        fig = figure(style.DOUBLE, 2.9)
        ax, bx = fig.subplots(1, 2)
        for k, (arm, rs) in enumerate(runs.items()):
            colour = style.CYCLE[k]
            counts = [
                callout_counts(cascade_tree(read_cascade(r["run_dir"])["events"]), t_end=steps)
                for r in rs
            ]
            m = min(c.size for c in counts)
            mat = np.array([c[:m] for c in counts])
            days = np.arange(m)
            ls = "--" if arm == "late" else "-"  # it overlays "none": dashed to see both
            ax.plot(days, mat.mean(0), color=colour, ls=ls, label=labels.get(arm, arm))
            reps = []
            st = np.asarray(rs[0]["timeseries"]["step"], float)
            for r in rs:
                rep = np.asarray(r["timeseries"]["reputation"], float)
                reps.append(rep / rep[st <= t0][-1])
                bx.plot(st - t0, reps[-1], color=colour, lw=0.4, alpha=0.35)
            mean = np.nanmean(reps, axis=0)
            bx.plot(st - t0, mean, color=colour, ls=ls, label=labels.get(arm, arm))
        ax.set_xlim(-0.5, 30)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Days since the transgression")
        ax.set_ylabel("Call-outs per day (mean over seeds)")
        ax.set_title("(a) Storms rise fast and fade")
        ax.legend(loc="upper right")
        bx.axhline(0.9, color=style.GREY, lw=0.8, ls="--")
        bx.axvline(0, color=style.GREY, lw=0.8, ls=":")
        bx.set_xlabel("Days since the transgression")
        bx.set_ylabel(_label(style, "reputation_rel", 34))
        bx.set_title("(b) Reputation (thin: seeds; thick: mean)")
        bx.legend(loc="lower right")
        return _save(fig, path)


register(
    Check(
        name="fact_cascades_fade",
        kind="fact",
        title="7. Outrage cascades rise fast and fade; reputations mostly recover",
        expected=(
            "a transgression by the most-followed account, engagement ranking: storms "
            f"(≥ {FACT7_STORM:.0%} of users) peak within {FACT7_PEAK_DAYS:g} days (median) "
            f"and end within {FACT7_FADE_DAYS:g} days; more than {FACT7_REGAINED:.0%} of the "
            f"lost reputation regained by day 100 (95 % CI above); recovery to 90 % "
            f"faster with an apology on day {FACT7_EARLY} than without (paired, "
            f"95 % CI above 0); a day-{FACT7_LATE} apology reported ({len(FACT7_SEEDS)} seeds; "
            "--powered: 20–60 test seeds)"
        ),
        source=(
            "Stylized fact 7. " + _WATTS + " Crane, R. & Sornette, D. (2008). Robust dynamic "
            "classes revealed by measuring the response function of a social system. PNAS "
            "105(41), 15649–15653. Slovic, P. (1993). Perceived risk, trust, and democracy. "
            "Risk Analysis 13(6), 675–682."
        ),
        run=check_fact_cascades_fade,
        experiment="apology_timing",
    )
)
