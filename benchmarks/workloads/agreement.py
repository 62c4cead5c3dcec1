"""Agreement of the algorithmic-bias implementations: a fast wrong answer must not win.

At a small N, replicates with shared seeds and initial opinions through feedlab's kernel,
the model, every peer and the plain NumPy reference;
:func:`feedlab.benchmarks.peers.stats.agree_in_distribution` compares the final-state
summaries (:func:`feedlab.benchmarks.peers.stats.opinion_summary`). Two exact checks
too: the model's graph is the peers' graph, and the model's step is bit-for-bit the
kernel fed with the model's own random stream.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.benchmarks.machine import log
from feedlab.benchmarks.peers._graph import barabasi_albert_edges
from feedlab.benchmarks.peers.stats import agree_in_distribution, opinion_summary
from feedlab.benchmarks.settings import Settings
from feedlab.benchmarks.workloads.algorithmic_bias import (
    MU,
    Graph,
    build_model,
    initial_opinions,
    kernel_sweeps,
)

#: agreement: statistics compared and tolerances (see agreement_algorithmic_bias)
AGREE_STATS = ("std", "n_clusters", "effective_clusters", "largest_cluster_fraction")
AGREE_K = 4.0
AGREE_ABS_TOL = 0.01
MESA_REL_TOL = 0.05


def summary01(x_feedlab: np.ndarray) -> dict[str, float]:
    """:func:`opinion_summary` of feedlab opinions, mapped from [-1, 1] to the peers' [0, 1]."""
    return opinion_summary((np.asarray(x_feedlab) + 1.0) / 2.0)


def _peers(ndlib_ok: bool) -> dict[str, Any]:
    """The implementations compared with feedlab: ndlib (when installed), the NumPy
    reference and Mesa.
    """
    from feedlab.benchmarks.peers.mesa_models import run_mesa_algorithmic_bias
    from feedlab.benchmarks.peers.numpy_reference import run_reference_algorithmic_bias

    peers: dict[str, Any] = {
        "reference": run_reference_algorithmic_bias,
        "mesa": run_mesa_algorithmic_bias,
    }
    if ndlib_ok:
        from feedlab.benchmarks.peers.ndlib_models import run_ndlib_algorithmic_bias

        peers = {"ndlib": run_ndlib_algorithmic_bias, **peers}
    return peers


def _model_replicate(g: Graph, eps01, gamma, seed, x01, sweeps, exact: dict | None) -> np.ndarray:
    """The model's final opinions after ``sweeps`` steps. With ``exact`` (a dict), also
    record whether the model's graph is ``g`` and whether its steps are bit-for-bit the
    bare kernel replaying the model's own random stream.
    """
    model = build_model(g, eps01, gamma, seed, x01)
    if exact is not None:
        exact["same_graph"] = bool(
            np.array_equal(model.graph.indptr, g.indptr)
            and np.array_equal(model.graph.indices, g.indices)
        )
        # the model's own random stream, replayed through the bare kernel
        bg = model.dyn_rng.bit_generator
        twin = type(bg)()
        twin.state = bg.state
        x_twin = model.users.opinion.copy()
        kernel_sweeps(x_twin, g, eps01, gamma, np.random.Generator(twin), sweeps)
    for _ in range(sweeps):
        model.step()
    if exact is not None:
        exact["model_step_is_kernel"] = bool(np.array_equal(model.users.opinion, x_twin))
    return model.users.opinion


def _compare(samples: dict[str, list[dict]], peers: dict[str, Any]) -> list[dict[str, Any]]:
    """The kernel against every peer, and the model against ndlib (or the reference)."""
    comparisons = []
    pairs = [("feedlab_kernel", p) for p in peers]
    pairs.append(("feedlab_model", "ndlib" if "ndlib" in peers else "reference"))
    for a, b in pairs:
        rel = MESA_REL_TOL if "mesa" in (a, b) else 0.0
        res = agree_in_distribution(
            samples[a], samples[b], rel, k=AGREE_K, abs_tol=AGREE_ABS_TOL, stats=AGREE_STATS
        )
        comparisons.append({"a": a, "b": b, "rel_tol": rel, **res})
    return comparisons


def _case(
    g: Graph, edges: tuple, eps01: float, gamma: float, s: Settings, peers: dict[str, Any]
) -> dict[str, Any]:
    """Replicates of one (ε, γ) through every implementation, compared. The peers get the
    generator's edge list ``edges`` as it is; feedlab the graph ``g`` made of it.
    """
    src, dst = edges
    n, reps, sweeps = s.agree_n, s.agree_replicates, s.agree_sweeps
    t0 = time.perf_counter()
    samples: dict[str, list[dict]] = {"feedlab_kernel": [], "feedlab_model": []}
    samples.update({p: [] for p in peers})
    exact: dict[str, bool] = {}
    for rep in range(reps):
        seed = 1000 + rep
        x01 = initial_opinions(n, seed)
        x = 2.0 * x01 - 1.0
        kernel_sweeps(x, g, eps01, gamma, np.random.default_rng(seed), sweeps)
        samples["feedlab_kernel"].append(summary01(x))
        final = _model_replicate(g, eps01, gamma, seed, x01, sweeps, exact if rep == 0 else None)
        samples["feedlab_model"].append(summary01(final))
        for name, run in peers.items():
            res = run(src, dst, n, eps01, gamma, MU, sweeps, seed, x01)
            samples[name].append(opinion_summary(res["final_opinions"]))
    comparisons = _compare(samples, peers)
    means = {
        impl: {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        for impl, rows in samples.items()
    }
    ok = all(c["ok"] for c in comparisons) and all(exact.values())
    log(
        f"agreement ε={eps01:g} γ={gamma:g}: {'PASS' if ok else 'FAIL'} "
        f"({time.perf_counter() - t0:.1f} s; exact {exact})"
    )
    return {
        "epsilon01": eps01,
        "gamma": gamma,
        "n": n,
        "replicates": reps,
        "sweeps": sweeps,
        "exact": exact,
        "comparisons": comparisons,
        "means": means,
        "ok": ok,
    }


def agreement_algorithmic_bias(s: Settings, workdir: Path, ndlib_ok: bool) -> dict[str, Any]:
    """Replicates of every implementation at a small N; distribution and exact checks.

    Tolerances: ``agree_in_distribution`` with k = ``AGREE_K`` standard errors (Welch).
    With ~12 replicates a side the t tails make k = 3 fail ~1 % of honest comparisons per
    statistic; over the ~30 comparisons here that is a ~25 % false-alarm rate for the
    suite, so k = 4 (≈ 0.1 % each, ~2–3 % for the suite). A wrong ε (×2), a missing
    symmetric update or a wrong bias changes the cluster statistics by many standard
    errors, far outside k = 4. ``abs_tol`` 0.01 is an opinion-scale floor for
    statistics without replicate spread (e.g. all at consensus); Mesa gets
    ``MESA_REL_TOL`` = 5 % more for its random-sequential schedule (as in
    tests/benchmarks/test_bench_peers.py).
    """
    n = s.agree_n
    src, dst = barabasi_albert_edges(n, s.ba_m, seed=10_000 + n)
    g = Graph.from_edges(src, dst, n)
    g.write(workdir)
    peers = _peers(ndlib_ok)
    cases = [_case(g, (src, dst), eps01, gamma, s, peers) for eps01, gamma in s.agree_cases]
    return {
        "graph": f"Barabási–Albert m={s.ba_m}, N={n}",
        "stats": list(AGREE_STATS),
        "k": AGREE_K,
        "abs_tol": AGREE_ABS_TOL,
        "cases": cases,
        "ok": all(c["ok"] for c in cases),
    }
