"""Canonical reductions: Deffuant–Weisbuch bounded confidence.

The freeze criterion shared by every bounded-confidence check, the cluster law
⌊1/(2ε)⌋ on the complete graph and on sparse graphs, and Fortunato's consensus threshold
ε = 1/2 on every topology: constants (with how their tolerances were chosen), measurement,
figure and registration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .plotting import _plotting, _save
from .registry import Check, Outcome, register
from .runner import Context

#: Opinions are frozen "up to δ" when every follow edge joins two users whose opinions
#: differ by less than δ (they have met) or by at least the tolerance (they never will).
#: δ = 1e-3 on the [-1, 1] scale (5e-4 on [0, 1]): 50× below the cluster-splitting gap
#: of the metrics (0.05), so cluster counts no longer change once frozen.
FREEZE_DELTA = 1e-3


def frozen(model: Any, delta: float = FREEZE_DELTA) -> bool:
    """True when no follow edge can still move an opinion by more than μ·δ.

    An edge (i, j) is *active* while ``δ ≤ |x_i − x_j| < max(ε_i, ε_j)`` (either end
    would move). Frozen = no active edge; after that, interactions only merge opinions
    already within δ, so the cluster structure is final (a standard absorbing-state
    criterion for bounded confidence; Lorenz 2007, Int. J. Mod. Phys. C 18:1819).
    """
    x, g, tol = model.users.opinion, model.graph, model.users.tolerance
    d = np.abs(x[g.src] - x[g.indices])
    eps = np.maximum(tol[g.src], tol[g.indices])
    return bool(np.all((d < delta) | (d >= eps)))


def step_until_frozen(model: Any, max_steps: int, every: int = 1) -> int | None:
    """Step (N pairwise interactions each) until :func:`frozen`; the number of steps
    = interactions per individual, or ``None`` if still active after ``max_steps``.
    """
    for _ in range(max_steps):
        model.step()
        if model.t % every == 0 and frozen(model):
            return int(model.t)
    return None


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    node = cfg
    *path, last = dotted.split(".")
    for k in path:
        node = node[k]
    node[last] = value


def pairwise_config(
    ctx: Context,
    experiment: str,
    *,
    eps01: float,
    seed: int,
    n: int | None = None,
    network: Mapping[str, Any] | None = None,
    gamma: float | None = None,
) -> dict[str, Any]:
    """A canonical run's config: the experiment config with ε (given on the papers'
    [0, 1] scale, set as 2ε on feedlab's [-1, 1] scale), the root seed, optionally a
    replacement network node (its parameters except ``n``), the number of users ``n``
    and the algorithmic-bias γ.
    """
    cfg = ctx.config(f"experiment={experiment}")
    _set(cfg, "population.tolerance.mean", 2.0 * eps01)
    cfg["seed"] = seed
    if network is not None:
        cfg["network"] = dict(network)
    if n is not None:
        cfg["network"]["n"] = n
    if gamma is not None:
        _set(cfg, "ranking.gamma", gamma)
    return cfg


def freeze_task(task: tuple[dict[str, Any], int, int]) -> tuple[np.ndarray, int | None]:
    """Build ``cfg`` with :func:`feedlab.experiments.build` and step it until :func:`frozen`:
    ``(final opinions, steps or None)``. A top-level function, so workers can run it.
    """
    from feedlab.experiments import build

    cfg, max_steps, every = task
    model = build(cfg)
    steps = step_until_frozen(model, max_steps, every)
    return model.users.opinion.copy(), steps


def dw_law(eps01: float) -> int:
    """⌊1/(2ε)⌋ major clusters (Deffuant et al. 2000; ε on the [0, 1] scale)."""
    return math.floor(1.0 / (2.0 * eps01) + 1e-12)


# Deffuant–Weisbuch cluster law. ε values (on [0, 1]) put 1/(2ε) = 3.33, 2.5, 1.67 inside
# the intervals of the floor law, away from its integer jumps (at ε = 0.1, 1/(2ε) = 5
# exactly and 4 or 5 clusters are equally likely). N = 500; 10 replicates per ε
# (root seeds 0–9, shared across ε: common random numbers). Measured over 20 replicates
# (seeds 0–19): complete graph 20/20, 20/20, 19/20 runs on the law; Erdős–Rényi and
# Watts–Strogatz 8/10 at ε = 0.15 (the others 2 clusters + a large minority cluster),
# 10/10 at ε = 0.2 and 0.3; Barabási–Albert 9/10, 10/10, 10/10. Criterion: for every
# (graph, ε) the modal number of major clusters (≥ 5 % of users) equals ⌊1/(2ε)⌋ and
# at least 60 % of the replicates agree. With a per-replicate agreement p ≥ 0.85, the
# chance that fewer than 6 of 10 agree is ≤ 1 % per cell (binomial), so a correct model
# fails this check in well under 5 % of seed choices across its cells.
DW_EPS = (0.15, 0.2, 0.3)
DW_N = 500
DW_REPLICATES = 10
DW_MIN_AGREE = 0.6
DW_MAX_STEPS = 5000
SPARSE_GRAPHS: dict[str, dict[str, Any]] = {
    "Erdős–Rényi z=10": {"name": "erdos_renyi", "mean_degree": 10},
    "Barabási–Albert m=5": {"name": "barabasi_albert", "m": 5},
    "Watts–Strogatz k=10 p=0.1": {"name": "watts_strogatz", "k": 10, "p": 0.1},
}


def _cluster_law_cells(
    ctx: Context, experiment: str, graphs: Mapping[str, Mapping[str, Any] | None], every: int
) -> dict[str, dict[float, dict[str, Any]]]:
    from feedlab.analysis.metrics import effective_clusters, major_clusters

    keys, tasks = [], []
    for label, net in graphs.items():
        for eps in DW_EPS:
            for seed in range(DW_REPLICATES):
                cfg = pairwise_config(ctx, experiment, eps01=eps, seed=seed, n=DW_N, network=net)
                keys.append((label, eps))
                tasks.append((cfg, DW_MAX_STEPS, every))
    ctx.log(f"  {len(tasks)} runs of {experiment}")
    results = ctx.map(freeze_task, tasks)
    out: dict[str, dict[float, dict[str, Any]]] = {}
    for label in graphs:
        out[label] = {}
        for eps in DW_EPS:
            runs = [r for k, r in zip(keys, results) if k == (label, eps)]
            counts = [int(major_clusters(x)) for x, _ in runs]
            steps = [t for _, t in runs]
            values, freq = np.unique(counts, return_counts=True)
            mode = int(values[np.argmax(freq)])
            agree = sum(c == dw_law(eps) for c in counts)
            out[label][eps] = {
                "law": dw_law(eps),
                "major_clusters": counts,
                "effective_clusters": [float(effective_clusters(x)) for x, _ in runs],
                "mode": mode,
                "agree": agree,
                "frozen_steps": steps,
                "not_frozen": sum(t is None for t in steps),
                "ok": mode == dw_law(eps) and agree >= DW_MIN_AGREE * DW_REPLICATES,
            }
            ctx.log(f"  {label} ε={eps}: major clusters {counts}")
    return out


def _cluster_law_outcome(
    ctx: Context, cells: dict[str, dict[float, dict[str, Any]]], name: str, title: str
) -> Outcome:
    parts, bad = [], []
    for label, row in cells.items():
        txt = ", ".join(
            f"ε={e:g}: {c['mode']} ({c['agree']}/{DW_REPLICATES})" for e, c in row.items()
        )
        parts.append(f"{label}: {txt}" if len(cells) > 1 else txt)
        bad += [
            f"{label} ε={e:g}: mode {c['mode']} (law {c['law']}), {c['agree']}/{DW_REPLICATES} agree"
            for e, c in row.items()
            if not c["ok"]
        ]
        bad += [
            f"{label} ε={e:g}: {c['not_frozen']} runs not frozen after {DW_MAX_STEPS} steps"
            for e, c in row.items()
            if c["not_frozen"]
        ]
    fig = _plot_cluster_law(ctx, cells, name, title)
    return Outcome(
        passed=not bad,
        measured="modal major clusters (replicates on the law): " + "; ".join(parts),
        reason="; ".join(bad),
        data={"cells": cells, "replicates": DW_REPLICATES, "n": DW_N},
        figure=fig,
    )


def _plot_cluster_law(
    ctx: Context, cells: dict[str, dict[float, dict[str, Any]]], name: str, title: str
) -> str | None:
    path = ctx.figure_path(name)
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * (1.4 if len(cells) > 1 else 1.0), 2.8)
        ax = fig.subplots()
        grid = np.linspace(1.0, 4.0, 400)
        ax.plot(grid, np.floor(grid + 1e-12), color=style.GREY, lw=1.2, label="⌊1/(2ε)⌋")
        offsets = np.linspace(-0.08, 0.08, max(len(cells), 1))
        for k, (label, row) in enumerate(cells.items()):
            xs, ys = [], []
            for e, c in row.items():
                vals, freq = np.unique(c["major_clusters"], return_counts=True)
                for v, f in zip(vals, freq):
                    xs.append(1 / (2 * e) + offsets[k])
                    ys.append((v, f))
            ax.scatter(
                [x for x in xs],
                [v for v, _ in ys],
                s=[12 + 10 * f for _, f in ys],
                alpha=0.75,
                color=style.CYCLE[k % len(style.CYCLE)],
                label=label if len(cells) > 1 else "feedlab (marker area ∝ replicates)",
            )
        ax.set_xlabel("1/(2ε)  (ε on the [0, 1] scale)")
        ax.set_ylabel("Major opinion clusters (≥ 5 % of users)")
        ax.set_title(title)
        ax.legend(loc="upper left")
        return _save(fig, path)


def check_dw_complete(ctx: Context) -> Outcome:
    """Deffuant et al. (2000) on the complete graph: the modal number of major clusters
    is ⌊1/(2ε)⌋ (criterion above).
    """
    cells = _cluster_law_cells(ctx, "dw_complete", {"complete graph": None}, every=5)
    return _cluster_law_outcome(ctx, cells, "dw_complete", "Deffuant–Weisbuch, complete graph")


def check_dw_sparse(ctx: Context) -> Outcome:
    """The cluster law ⌊1/(2ε)⌋ on sparse graphs (Erdős–Rényi, Watts–Strogatz,
    Barabási–Albert), same criterion as :func:`check_dw_complete`.
    """
    cells = _cluster_law_cells(ctx, "dw_sparse", SPARSE_GRAPHS, every=5)
    return _cluster_law_outcome(ctx, cells, "dw_sparse", "Deffuant–Weisbuch, sparse graphs")


# Fortunato (2004): complete consensus (every user in one cluster) for ε > 1/2 on any
# connected graph; below 1/2 it becomes improbable as N grows. ε = 0.55 (above) and
# ε = 0.4 (below), N = 500, 10 replicates per graph (seeds 0–9). Measured (seeds 0–19
# on the complete graph, 0–9 on the sparse ones): above, 20/20 and 10/10 complete
# consensus everywhere; below, complete graph 5/20 (P ≈ 0.25) and 0/10 on every sparse
# graph. Criterion: above, all replicates reach complete consensus (Fortunato finds it in
# every run above 1/2, so one miss contradicts the result); below, at least one replicate
# does not (with P ≈ 0.25 the chance that all 10 do is 0.25¹⁰ ≈ 1e-6).
CONSENSUS_ABOVE = 0.55
CONSENSUS_BELOW = 0.4
CONSENSUS_REPLICATES = 10
CONSENSUS_GRAPHS: dict[str, dict[str, Any] | None] = {"complete graph": None, **SPARSE_GRAPHS}


def check_dw_consensus(ctx: Context) -> Outcome:
    """Fortunato (2004): complete consensus above ε = 1/2 on every graph, and not always
    below it (criterion above).
    """
    from feedlab.analysis.metrics import cluster_sizes

    keys, tasks = [], []
    for label, net in CONSENSUS_GRAPHS.items():
        for key, eps in (("above", CONSENSUS_ABOVE), ("below", CONSENSUS_BELOW)):
            for seed in range(CONSENSUS_REPLICATES):
                cfg = pairwise_config(
                    ctx, "dw_consensus", eps01=eps, seed=seed, n=DW_N, network=net
                )
                keys.append((label, key))
                tasks.append((cfg, DW_MAX_STEPS, 5))
    ctx.log(f"  {len(tasks)} runs of dw_consensus")
    results = ctx.map(freeze_task, tasks)
    res: dict[str, dict[str, Any]] = {}
    bad = []
    for label in CONSENSUS_GRAPHS:
        row: dict[str, Any] = {}
        for key, eps in (("above", CONSENSUS_ABOVE), ("below", CONSENSUS_BELOW)):
            runs = [r for k, r in zip(keys, results) if k == (label, key)]
            full = [t is not None and cluster_sizes(x).size == 1 for x, t in runs]
            row[key] = {"eps": eps, "consensus": int(sum(full)), "runs": len(runs)}
        res[label] = row
        if row["above"]["consensus"] < CONSENSUS_REPLICATES:
            bad.append(
                f"{label}: complete consensus in {row['above']['consensus']}/"
                f"{CONSENSUS_REPLICATES} runs at ε = {CONSENSUS_ABOVE}"
            )
        if row["below"]["consensus"] == CONSENSUS_REPLICATES:
            bad.append(f"{label}: complete consensus in every run at ε = {CONSENSUS_BELOW}")
        ctx.log(f"  {label}: {row}")
    measured = "; ".join(
        f"{label}: {r['above']['consensus']}/{r['above']['runs']} at ε={CONSENSUS_ABOVE}, "
        f"{r['below']['consensus']}/{r['below']['runs']} at ε={CONSENSUS_BELOW}"
        for label, r in res.items()
    )
    return Outcome(
        passed=not bad,
        measured="runs in complete consensus: " + measured,
        reason="; ".join(bad),
        data={"graphs": res, "n": DW_N},
        figure=_plot_consensus(ctx, res),
    )


def _plot_consensus(ctx: Context, res: dict[str, dict[str, Any]]) -> str | None:
    path = ctx.figure_path("dw_consensus")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * 1.4, 2.8)
        ax = fig.subplots()
        labels = list(res)
        xs = np.arange(len(labels))
        for k, key in enumerate(("below", "above")):
            share = [res[g][key]["consensus"] / res[g][key]["runs"] for g in labels]
            eps = res[labels[0]][key]["eps"]
            ax.bar(xs + (k - 0.5) * 0.38, share, 0.36, label=f"ε = {eps:g}", color=style.CYCLE[k])
        ax.axhline(1.0, color=style.GREY, lw=0.8, ls=":")
        ax.set_xticks(xs, [g.replace(" ", "\n", 1) for g in labels])
        ax.set_ylabel("Share of runs in complete consensus")
        ax.set_ylim(0, 1.3)
        ax.set_title("Consensus threshold ε = 1/2 (Fortunato 2004)")
        ax.legend(loc="upper left", ncols=2)
        return _save(fig, path)


_DW = (
    "Deffuant, G., Neau, D., Amblard, F. & Weisbuch, G. (2000). Mixing beliefs among "
    "interacting agents. Advances in Complex Systems 3(1–4), 87–98."
)
_FORTUNATO = (
    "Fortunato, S. (2004). Universality of the threshold for complete consensus for the "
    "opinion dynamics of Deffuant et al. International Journal of Modern Physics C 15(9), "
    "1301–1307."
)

register(
    Check(
        name="dw_complete",
        kind="canonical",
        title="Deffuant–Weisbuch cluster law, complete graph",
        expected=(
            "μ = 0.5, uniform opinions: ⌊1/(2ε)⌋ major clusters (≥ 5 % of users; ε on "
            "[0, 1], feedlab tolerance 2ε) — 3, 2, 1 at ε = 0.15, 0.2, 0.3: the modal count "
            f"of {DW_REPLICATES} replicates, ≥ {DW_MIN_AGREE:.0%} of them on the law"
        ),
        source=_DW,
        run=check_dw_complete,
        tier="fast",
        experiment="dw_complete",
    )
)

register(
    Check(
        name="dw_sparse",
        kind="canonical",
        title="Deffuant–Weisbuch cluster law, sparse graphs",
        expected=(
            "the same ⌊1/(2ε)⌋ major clusters on Erdős–Rényi (z = 10), Barabási–Albert "
            "(m = 5) and Watts–Strogatz (k = 10, p = 0.1) graphs, N = 500 (modal count, "
            f"≥ {DW_MIN_AGREE:.0%} of {DW_REPLICATES} replicates on the law)"
        ),
        source=(
            _DW + " Weisbuch, G., Deffuant, G., Amblard, F. & Nadal, J.-P. (2002). Meet, "
            "discuss and segregate! Complexity 7(3), 55–63. " + _FORTUNATO
        ),
        run=check_dw_sparse,
        experiment="dw_sparse",
    )
)

register(
    Check(
        name="dw_consensus",
        kind="canonical",
        title="Consensus threshold ε = 1/2 on every topology",
        expected=(
            f"complete consensus (one cluster) in all {CONSENSUS_REPLICATES} runs at "
            f"ε = {CONSENSUS_ABOVE} on complete, Erdős–Rényi, Barabási–Albert and "
            f"Watts–Strogatz graphs; not in all runs at ε = {CONSENSUS_BELOW}"
        ),
        source=_FORTUNATO,
        run=check_dw_consensus,
        tier="fast",
        experiment="dw_consensus",
    )
)
