"""Canonical reduction: Sîrbu et al.'s (2019) algorithmic bias — fragmentation and slow
convergence grow with the bias exponent γ.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .deffuant import freeze_task, pairwise_config
from .plotting import _plotting, _save
from .registry import Check, Outcome, register
from .runner import Context

# Algorithmic bias (Sîrbu et al. 2019), complete graph, N = 100 as in the paper; γ ∈ {0,
# 0.5, 1}; seeds shared across γ (paired). Clusters at ε = 0.2 and 0.3 (20 replicates);
# time to freeze at ε = 0.4 (10 replicates). Measured (seeds 0–19 / 0–7): effective
# clusters at ε = 0.2: 2.15 ± 0.31, 2.31 ± 0.41, 2.33 ± 0.40; median time to freeze at
# ε = 0.4: 20, 37, 1281 interactions per individual (reference 35, 192, 1049), with a
# heavy right tail at γ = 0 (mean 29, one straggling pair). Criteria: (a) the effective
# number of clusters never falls from one γ to the next by more than 3 standard errors
# of the paired difference (a flat truth fails this with probability ≈ 0.2 % per step,
# < 1 % over the four steps); (b) the median time to freeze never decreases with γ and
# grows ≥ 10× from γ = 0 to 1 (reference 30×, measured 64×); (c) every median lies
# within 10× of 35·exp(3.4γ) ("order of magnitude": measured 0.2–1.2×; the reference
# is the paper's visual aid and its convergence criterion differs from ours).
# γ > 1 is left out: with the 1e-5 distance floor, two users who have just met hold the
# same opinion and pick each other with weight 1e5^γ, so freezing slows like ≈ 1e5^γ
# rather than exp(3.4γ): at γ = 1.25 five of six runs were still active after 40,000
# interactions per individual (reference 2,456) — see docs/validation.md.
AB_N = 100
AB_CLUSTER_EPS = (0.2, 0.3)
AB_GAMMAS = (0.0, 0.5, 1.0)
AB_REPLICATES = 20
AB_TIME_EPS = 0.4
AB_TIME_REPLICATES = 10
AB_MAX_STEPS = 20_000
AB_NOT_DECREASING_SE = 3.0
AB_TIME_FACTOR = 10.0
AB_MIN_TIME_RATIO = 10.0


def sirbu_reference_time(gamma: float) -> float:
    """Interactions per individual to converge at ε = 0.4: 35·exp(3.4γ) (Sîrbu et al.
    2019, Fig. 4, drawn there 'as a visual aid').
    """
    return 35.0 * math.exp(3.4 * gamma)


def _paired_se(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the paired differences a − b."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else 0.0


def _ab_tasks(ctx: Context) -> tuple[list[tuple[str, float, float]], list[Any]]:
    """The runs of the check: ``(kind, ε, γ)`` keys and their freeze tasks — the cluster
    runs (recorded every 10 steps) at each ε of ``AB_CLUSTER_EPS``, then the time runs at
    ``AB_TIME_EPS`` (every step, to time the freeze exactly); seeds shared across γ.
    """
    keys, tasks = [], []
    for eps in AB_CLUSTER_EPS:
        for g in AB_GAMMAS:
            for seed in range(AB_REPLICATES):
                cfg = pairwise_config(
                    ctx, "algorithmic_bias_sweep", eps01=eps, seed=seed, n=AB_N, gamma=g
                )
                keys.append(("clusters", eps, g))
                tasks.append((cfg, AB_MAX_STEPS, 10))
    for g in AB_GAMMAS:
        for seed in range(AB_TIME_REPLICATES):
            cfg = pairwise_config(
                ctx, "algorithmic_bias_sweep", eps01=AB_TIME_EPS, seed=seed, n=AB_N, gamma=g
            )
            keys.append(("time", AB_TIME_EPS, g))
            tasks.append((cfg, AB_MAX_STEPS, 1))
    return keys, tasks


def _run_longest_first(
    ctx: Context, keys: Sequence[tuple[str, float, float]], tasks: Sequence[Any]
) -> list[Any]:
    """Freeze every task, largest γ first (those runs dominate, so they start early in the
    pool), and return the results in the order of ``tasks``.
    """
    order = sorted(range(len(tasks)), key=lambda i: -keys[i][2])
    ctx.log(f"  {len(tasks)} runs of algorithmic_bias_sweep")
    done = ctx.map(freeze_task, [tasks[i] for i in order])
    results: list[Any] = [None] * len(tasks)
    for i, r in zip(order, done):
        results[i] = r
    return results


def _ab_clusters(
    ctx: Context, keys: Sequence[Any], results: Sequence[Any], bad: list[str]
) -> dict[float, dict[float, list[float]]]:
    """Effective number of clusters per ε and γ, one value per replicate; criterion (a)
    and runs that never froze are appended to ``bad``.
    """
    from feedlab.analysis.metrics import effective_clusters

    clusters: dict[float, dict[float, list[float]]] = {}
    for eps in AB_CLUSTER_EPS:
        clusters[eps] = {}
        for g in AB_GAMMAS:
            runs = [r for k, r in zip(keys, results) if k == ("clusters", eps, g)]
            if any(t is None for _, t in runs):
                bad.append(f"ε={eps:g} γ={g:g}: runs not frozen after {AB_MAX_STEPS} steps")
            clusters[eps][g] = [float(effective_clusters(x)) for x, _ in runs]
            ctx.log(f"  ε={eps} γ={g}: effective clusters {np.mean(clusters[eps][g]):.2f}")
        for g0, g1 in itertools.pairwise(AB_GAMMAS):
            m, se = _paired_se(clusters[eps][g1], clusters[eps][g0])
            if m < -AB_NOT_DECREASING_SE * se:
                bad.append(
                    f"ε={eps:g}: effective clusters fall from γ={g0:g} to γ={g1:g} "
                    f"({m:+.2f} ± {se:.2f})"
                )
    return clusters


def _ab_times(
    ctx: Context, keys: Sequence[Any], results: Sequence[Any], bad: list[str]
) -> tuple[dict[float, list[float]], dict[float, float]]:
    """Interactions per individual to freeze at ``AB_TIME_EPS`` per γ (NaN for a run that
    never froze, also appended to ``bad``) and their medians.
    """
    times: dict[float, list[float]] = {}
    for g in AB_GAMMAS:
        runs = [r for k, r in zip(keys, results) if k == ("time", AB_TIME_EPS, g)]
        times[g] = [float(t) if t is not None else math.nan for _, t in runs]
        ctx.log(f"  ε={AB_TIME_EPS} γ={g}: steps to freeze {times[g]}")
    med = {
        g: float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan for g, v in times.items()
    }
    for g, v in times.items():
        if not np.isfinite(v).all():
            bad.append(f"ε={AB_TIME_EPS:g} γ={g:g}: some runs not frozen after {AB_MAX_STEPS}")
    return times, med


def _ab_time_problems(med: dict[float, float]) -> list[str]:
    """Criteria (b) and (c) on the median times: non-decreasing in γ, at least
    ``AB_MIN_TIME_RATIO``-fold growth from the smallest to the largest γ, and each within
    ``AB_TIME_FACTOR`` of Sîrbu et al.'s 35·exp(3.4γ).
    """
    bad: list[str] = []
    gs = list(AB_GAMMAS)
    if any(med[b] < med[a] for a, b in itertools.pairwise(gs)):
        bad.append("median time to freeze is not non-decreasing in γ")
    ratio = med[gs[-1]] / med[gs[0]]
    if not ratio >= AB_MIN_TIME_RATIO:
        bad.append(
            f"time to freeze grows only {ratio:.3g}× from γ={gs[0]:g} to γ={gs[-1]:g} "
            f"(reference {sirbu_reference_time(gs[-1]) / sirbu_reference_time(gs[0]):.3g}×)"
        )
    for g in gs:
        f = med[g] / sirbu_reference_time(g)
        if not (1 / AB_TIME_FACTOR <= f <= AB_TIME_FACTOR):
            bad.append(
                f"γ={g:g}: median time {med[g]:.0f} is {f:.3g}× the reference "
                f"{sirbu_reference_time(g):.0f} (allowed within {AB_TIME_FACTOR:g}×)"
            )
    return bad


def _ab_measured(clusters: dict[float, dict[float, list[float]]], med: dict[float, float]) -> str:
    """The check's one-line measurement: mean clusters per ε and γ with the paired change
    over the γ range, and the median times against the reference.
    """
    gs = list(AB_GAMMAS)
    eff_txt = "; ".join(
        f"ε={e:g}: "
        + ", ".join(f"{np.mean(clusters[e][g]):.2f}" for g in gs)
        + " (paired change γ={:g}→{:g}: {:+.2f} ± {:.2f})".format(
            gs[0], gs[-1], *_paired_se(clusters[e][gs[-1]], clusters[e][gs[0]])
        )
        for e in clusters
    )
    t_txt = ", ".join(f"{med[g]:.0f} (ref {sirbu_reference_time(g):.0f})" for g in gs)
    return (
        f"effective clusters at γ = {', '.join(f'{g:g}' for g in gs)}: {eff_txt}; "
        f"median interactions per individual to freeze at ε={AB_TIME_EPS:g}: {t_txt}"
    )


def check_algorithmic_bias(ctx: Context) -> Outcome:
    """Sîrbu et al. (2019) on the complete graph: more bias γ fragments opinions into more
    clusters and slows convergence by orders of magnitude (criteria (a)–(c) above).
    """
    keys, tasks = _ab_tasks(ctx)
    results = _run_longest_first(ctx, keys, tasks)
    bad: list[str] = []
    clusters = _ab_clusters(ctx, keys, results, bad)
    times, med = _ab_times(ctx, keys, results, bad)
    bad.extend(_ab_time_problems(med))
    gs = list(AB_GAMMAS)
    data = {
        "effective_clusters": {
            str(e): {str(g): v for g, v in r.items()} for e, r in clusters.items()
        },
        "time_to_freeze": {str(g): v for g, v in times.items()},
        "median_time": {str(g): v for g, v in med.items()},
        "reference_time": {str(g): sirbu_reference_time(g) for g in gs},
        "replicates": AB_REPLICATES,
        "time_replicates": AB_TIME_REPLICATES,
    }
    return Outcome(
        passed=not bad,
        measured=_ab_measured(clusters, med),
        reason="; ".join(bad),
        data=data,
        figure=_plot_algorithmic_bias(ctx, clusters, times),
    )


def _plot_algorithmic_bias(
    ctx: Context, clusters: dict[float, dict[float, list[float]]], times: dict[float, list[float]]
) -> str | None:
    path = ctx.figure_path("algorithmic_bias")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.DOUBLE, 2.8)
        ax, bx = fig.subplots(1, 2)
        for k, (eps, row) in enumerate(clusters.items()):
            gs = np.array(list(row)) + 0.02 * (k - (len(clusters) - 1) / 2)  # dodge
            m = np.array([np.mean(v) for v in row.values()])
            sd = np.array([np.std(v, ddof=1) for v in row.values()])
            ax.errorbar(gs, m, yerr=sd, marker="o", color=style.CYCLE[k], label=f"ε = {eps:g}")
        ax.set_xlabel("Algorithmic bias γ")
        ax.set_ylabel("Effective number of clusters (mean ± sd)")
        ax.set_title("(a) Fragmentation grows with γ")
        ax.legend()
        gs = np.array(list(times))
        for g, tv in times.items():
            v = np.asarray(tv, dtype=float)
            bx.scatter(np.full(v.size, g), v, s=10, alpha=0.5, color=style.CYCLE[0])
        bx.plot(
            gs,
            [np.nanmedian(v) for v in times.values()],
            "o-",
            color=style.CYCLE[0],
            label="feedlab (median)",
        )
        fine = np.linspace(gs.min(), gs.max(), 100)
        bx.plot(
            fine,
            [sirbu_reference_time(g) for g in fine],
            "--",
            color=style.GREY,
            label="35·exp(3.4γ) (Sîrbu et al.)",
        )
        bx.set_yscale("log")
        bx.set_xlabel("Algorithmic bias γ")
        bx.set_ylabel(f"Interactions per individual\nto freeze (ε = {AB_TIME_EPS:g})")
        bx.set_title("(b) Convergence slows with γ")
        bx.legend()
        return _save(fig, path)


_SIRBU = (
    "Sîrbu, A., Pedreschi, D., Giannotti, F. & Kertész, J. (2019). Algorithmic bias "
    "amplifies opinion fragmentation and polarization: a bounded confidence model. PLoS "
    "ONE 14(3), e0213246."
)

register(
    Check(
        name="algorithmic_bias",
        kind="canonical",
        title="Algorithmic bias: fragmentation and slow convergence grow with γ",
        expected=(
            "complete graph, N = 100, γ = 0, 0.5, 1: at ε = 0.2 and 0.3 the effective number "
            "of clusters does not fall as γ grows (no paired drop beyond "
            f"{AB_NOT_DECREASING_SE:g} SE); at ε = 0.4 the median interactions per individual "
            f"to converge never decrease with γ, grow ≥ {AB_MIN_TIME_RATIO:g}× from γ = 0 to 1 "
            f"and lie within {AB_TIME_FACTOR:g}× of 35·exp(3.4γ)"
        ),
        source=_SIRBU,
        run=check_algorithmic_bias,
        experiment="algorithmic_bias_sweep",
    )
)
