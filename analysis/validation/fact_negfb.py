"""Stylized fact 3: negative-feedback ranking cuts political outrage at a modest engagement cost."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .facts_common import (
    FACT_SEEDS,
    _arm_runs,
    _fmt_ms,
    _paired_greater,
    _values,
    decide,
    protocol_outcome,
)
from .plotting import _plotting, _save
from .protocol import Criterion
from .registry import Check, Outcome, register
from .runner import Context

# Decision rule (docs/validation.md §Decision protocol): the test named below now only reports a p-value; the verdict is
# the protocol's (protocol.py) on the same per-seed effect: its two-sided t-interval (95 %
# on the fixed seeds, 99 % per look under --powered) must settle the criterion.
# Fact 3 criteria (fixed after exploring seeds 100–109 and before running the test seeds).
# (a) "Cuts exposure": per seed, the share of high-outrage political impressions that
# engagement_negfb removes, 1 − P_negfb / P_eng (P = run-mean
# political_outrage_share_impressions, paired by seed), exceeds one half on average
# (one-sided one-sample t-test of the mean cut against FACT3_MIN_CUT at α = 0.05). A ratio
# per seed, not a difference: under engagement ranking P varies 16-fold between seeds
# (0.05–0.78 over the exploration seeds; n = 1000, 200 steps, window 3), so raw
# differences are dominated by a few seeds; the cut was 0.998 ± 0.002 (P_negfb ≤ 0.0004
# in every run; 0.000 in the ranking comparison of docs/ranking.md at N = 3000). (b) "Modest engagement cost": the
# relative loss per seed, 1 − E_negfb / E_eng, is below FACT3_MAX_LOSS = 10 % (one-sided
# t-test of the mean against 0.10 at α = 0.05) for both engagement measures: MSI points per
# user-step (like 1, comment 30, share 5: the objective the policy re-weights,
# conf/ranking/engagement.yaml) and reactions per user-step (run_mean_engagement_per_user).
# "Modest" is feedlab's definition (the reports of Facebook's 2021 test give no number):
# a loss of less than a tenth of engagement, at most a fifth of the cut in exposure that
# (a) requires. Exploration: MSI loss −0.011 ± 0.020 (max +0.016: MSI points mostly
# rise), reactions −0.12 ± 0.065 (they rise), so the bound is ≈ 17 SE above the mean
# loss with 10 seeds; a true loss of 5 % would still pass with power > 0.99.
FACT3_MIN_CUT = 0.5
FACT3_MAX_LOSS = 0.10


def _msi_per_user(run: Mapping[str, Any], weights: Mapping[str, float]) -> float:
    """MSI points per user-step of a run: Σ_a w_a · total_a / (N · steps)."""
    s = run["summary"]
    pts = sum(float(w) * float(s[f"total_{a}s"]) for a, w in weights.items())
    return pts / (float(s["n_users"]) * float(s["steps"]))


def _relative_change(treated: Sequence[float], control: Sequence[float]) -> list[float]:
    """Per pair, 1 − treated / control (NaN where the control is not positive)."""
    return [1.0 - t / c if c > 0 else math.nan for t, c in zip(treated, control)]


def check_fact_negfb_political_outrage(ctx: Context, seeds: Sequence[int] = FACT_SEEDS) -> Outcome:
    """Fact 3: negative-feedback ranking removes most high-outrage political impressions
    at an engagement cost below 10 % (criteria (a) and (b) above).
    """
    exp = "fact_negfb_political_outrage"
    runs = _arm_runs(
        ctx,
        exp,
        {"engagement": ["ranking=engagement"], "engagement_negfb": ["ranking=engagement_negfb"]},
        seeds,
    )
    weights = ctx.config(f"experiment={exp}", "ranking=engagement")["ranking"]["weights"]
    pol = {a: _values(r, "run_mean_political_outrage_share_impressions") for a, r in runs.items()}
    cut = _relative_change(pol["engagement_negfb"], pol["engagement"])
    t_cut = _paired_greater(cut, [FACT3_MIN_CUT] * len(cut))
    msi = {a: [_msi_per_user(x, weights) for x in r] for a, r in runs.items()}
    react = {a: _values(r, "run_mean_engagement_per_user") for a, r in runs.items()}
    loss = {
        "msi": _relative_change(msi["engagement_negfb"], msi["engagement"]),
        "reactions": _relative_change(react["engagement_negfb"], react["engagement"]),
    }
    t_loss = {k: _paired_greater([FACT3_MAX_LOSS] * len(v), v) for k, v in loss.items()}
    outrage = {a: _values(r, "run_mean_outrage_share_impressions") for a, r in runs.items()}
    negfb = {
        a: [
            x["summary"]["total_negfb"] / (x["summary"]["n_users"] * x["summary"]["steps"])
            for x in r
        ]
        for a, r in runs.items()
    }
    decisions = [decide(ctx, "share cut", cut, Criterion.greater(FACT3_MIN_CUT))]
    decisions += [
        decide(ctx, f"{k} loss", v, Criterion.less(FACT3_MAX_LOSS)) for k, v in loss.items()
    ]
    ok_cut = decisions[0].verdict == "PASS"
    ok_loss = {k: d.verdict == "PASS" for k, d in zip(loss, decisions[1:])}
    reasons = []
    if not ok_cut:
        reasons.append(
            f"engagement_negfb does not cut exposure to high-outrage political items by more "
            f"than {FACT3_MIN_CUT:.0%}: mean cut {_fmt_ms(cut)} (one-sided p = "
            f"{t_cut['p']:.3g})"
        )
    names = {"msi": "MSI points", "reactions": "reactions"}
    for k, ok in ok_loss.items():
        if not ok:
            reasons.append(
                f"engagement cost not modest: {names[k]} per user-step fall by "
                f"{_fmt_ms(loss[k])} (not below {FACT3_MAX_LOSS:.0%}: one-sided p = "
                f"{t_loss[k]['p']:.3g})"
            )
    measured = (
        f"high-outrage political share of impressions engagement {_fmt_ms(pol['engagement'])} "
        f"→ engagement_negfb {_fmt_ms(pol['engagement_negfb'])} (cut {_fmt_ms(cut)}, p = "
        f"{t_cut['p']:.2g} for > {FACT3_MIN_CUT:g}); engagement loss: MSI points "
        f"{_fmt_ms(msi['engagement'])} → {_fmt_ms(msi['engagement_negfb'])} per user-step "
        f"({_fmt_ms(loss['msi'])}, p = {t_loss['msi']['p']:.2g} for < {FACT3_MAX_LOSS:g}), "
        f"reactions {_fmt_ms(react['engagement'])} → {_fmt_ms(react['engagement_negfb'])} "
        f"({_fmt_ms(loss['reactions'])}, p = {t_loss['reactions']['p']:.2g}); high-outrage "
        f"share of impressions, all topics, {_fmt_ms(outrage['engagement'])} → "
        f"{_fmt_ms(outrage['engagement_negfb'])}; negative feedback per user-step "
        f"{_fmt_ms(negfb['engagement'])} → {_fmt_ms(negfb['engagement_negfb'])} "
        f"({len(seeds)} seeds)"
    )
    data = {
        "seeds": list(seeds),
        "political_outrage_share": pol,
        "cut": cut,
        "p_cut": t_cut["p"],
        "msi_per_user": msi,
        "reactions_per_user": react,
        "loss": loss,
        "p_loss": {k: t["p"] for k, t in t_loss.items()},
        "outrage_share": outrage,
        "negfb_per_user": negfb,
        "min_cut": FACT3_MIN_CUT,
        "max_loss": FACT3_MAX_LOSS,
    }
    return protocol_outcome(decisions, measured, reasons, data, _plot_negfb(ctx, pol, loss))


def _plot_negfb(
    ctx: Context, pol: Mapping[str, Sequence[float]], loss: Mapping[str, Sequence[float]]
) -> str | None:
    path = ctx.figure_path("fact_negfb_political_outrage")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.DOUBLE, 2.8)
        ax, bx = fig.subplots(1, 2)
        labels = list(pol)
        mat = np.array([pol[a] for a in labels], dtype=float)
        for j in range(mat.shape[1]):
            ax.plot(range(len(labels)), mat[:, j], color=style.GREY, lw=0.7, alpha=0.6)
        for k, a in enumerate(labels):
            colour, marker, _, _ = style.policy_style(a, k)
            ax.scatter(
                np.full(mat.shape[1], k), mat[k], color=colour, marker=marker, s=18, zorder=3
            )
        ax.set_xticks(
            range(len(labels)), [style.policy_style(a, k)[3] for k, a in enumerate(labels)]
        )
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.set_ylabel("High-outrage political items\n(share of impressions, run mean)")
        ax.set_title("(a) Exposure to political outrage (per seed)")
        names = {"msi": "MSI points", "reactions": "Reactions"}
        for k, v in enumerate(loss.values()):
            x = 100.0 * np.asarray(v, dtype=float)
            bx.scatter(np.full(x.size, k), x, color=style.CYCLE[k], s=18, zorder=3)
            bx.errorbar(
                k + 0.18,
                np.nanmean(x),
                yerr=np.nanstd(x, ddof=1) if x.size > 1 else 0,
                fmt="_",
                color=style.CYCLE[k],
                ms=12,
                capsize=3,
            )
        bx.axhline(
            100 * FACT3_MAX_LOSS,
            color=style.GREY,
            lw=0.8,
            ls="--",
            label=f"modest: < {FACT3_MAX_LOSS:.0%}",
        )
        bx.axhline(0, color=style.GREY, lw=0.8, ls=":")
        bx.set_xticks(range(len(loss)), [names.get(k, k) for k in loss])
        bx.set_xlim(-0.5, len(loss) - 0.5)
        bx.set_ylabel("Engagement lost under engagement_negfb\n(% of engagement ranking, per seed)")
        bx.set_title("(b) Engagement cost per user-step")
        bx.legend(loc="upper right")
        return _save(fig, path)


register(
    Check(
        name="fact_negfb_political_outrage",
        kind="fact",
        title="3. Negative-feedback ranking cuts political outrage at a modest engagement cost",
        expected=(
            "engagement_negfb vs engagement, paired by seed (window 3): the share of "
            "high-outrage political impressions removed exceeds "
            f"{FACT3_MIN_CUT:.0%} and the engagement lost per user-step — MSI points and "
            f"reactions — is below {FACT3_MAX_LOSS:.0%} (95 % CIs of the means, "
            f"{len(FACT_SEEDS)} seeds; --powered: 20–60 test seeds)"
        ),
        source=(
            "Stylized fact 3 (docs/validation.md). Facebook's 2021 test on political content: less weight on "
            "predicted comments and shares, more on predicted negative feedback "
            "(docs/validation.md §References, 'Ranking and field experiments'; the reports give the "
            "direction, not magnitudes)."
        ),
        run=check_fact_negfb_political_outrage,
        experiment="fact_negfb_political_outrage",
    )
)
