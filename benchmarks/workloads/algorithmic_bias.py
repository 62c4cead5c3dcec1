"""Deffuant / algorithmic-bias throughput: feedlab's kernel, the model and the peers.

On a Barabási–Albert graph (m = 5) at each size: feedlab's sequential Numba kernel
:func:`feedlab.models.kernels.pairwise_bounded_confidence` on CSR arrays ("feedlab
kernel"), the same dynamics through the model (``network=from_file`` on that graph, then
``model.step()``; "feedlab model"), ndlib's ``AlgorithmicBiasModel`` and the idiomatic
Mesa 3 model (Sîrbu et al. 2019; γ = 0 is Deffuant et al. 2000). Same graph, seed and
initial opinions: feedlab's opinion scale is [-1, 1], the peers' [0, 1], so a peer's
``x₀`` maps to ``2x₀ − 1``, ε to 2ε and the distance floor to 2·10⁻⁵ (γ-weights scale by a
common factor, so the neighbour probabilities are identical). Throughput is elementary
interactions per second of the dynamics, set-up excluded and reported apart.
"""

from __future__ import annotations

import copy
import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.benchmarks.machine import loadavg, log
from feedlab.benchmarks.peers._graph import barabasi_albert_edges, csr_adjacency, undirected_edges
from feedlab.benchmarks.settings import Settings
from feedlab.benchmarks.workloads.common import median

#: distance floor of Sîrbu et al. (2019) and ndlib, on the peers' [0, 1] scale
FLOOR01 = 1e-5
#: μ: ndlib averages (μ = ½ fixed)
MU = 0.5


@dataclass
class Graph:
    """One undirected graph, as the peers take it and as feedlab's CSR (both directions)."""

    n: int
    src: np.ndarray  # each undirected edge once, u < v
    dst: np.ndarray
    indptr: np.ndarray  # int64, as feedlab.models.graph.FollowGraph
    indices: np.ndarray  # int32, as feedlab.models.graph.FollowGraph
    edge_file: Path | None = None

    @classmethod
    def from_edges(cls, src, dst, n: int) -> Graph:
        """The graph of the edge list ``src → dst`` on ``n`` nodes, read as undirected."""
        u, v = undirected_edges(src, dst, n)
        indptr, indices = csr_adjacency(u, v, n)
        return cls(n, u, v, indptr.astype(np.int64), indices.astype(np.int32))

    def write(self, directory: Path) -> Path:
        """Edge list for ``network=from_file`` (``u v`` per line, read as mutual follows)."""
        path = directory / f"graph_{self.n}_{len(self.src)}.txt"
        np.savetxt(path, np.column_stack([self.src, self.dst]), fmt="%d")
        self.edge_file = path
        return path


def initial_opinions(n: int, key: int) -> np.ndarray:
    """Initial opinions on [0, 1] shared by every implementation."""
    return np.random.default_rng(np.random.SeedSequence([n, key])).random(n)


def kernel_sweeps(x, g: Graph, eps01: float, gamma: float, rng, sweeps: int) -> None:
    """``sweeps`` × N interactions of feedlab's kernel on ``x`` (in place, [-1, 1] scale).

    Draws initiators and uniforms per sweep exactly as ``FeedModel.pairwise_session``.
    """
    from feedlab.models.kernels import pairwise_bounded_confidence

    n = g.n
    eps = np.full(n, 2.0 * eps01)
    mu = np.full(n, MU)
    for _ in range(sweeps):
        initiators = rng.integers(0, n, size=n).astype(np.int64)
        uniforms = rng.random(n)
        pairwise_bounded_confidence(
            x, g.indptr, g.indices, eps, mu, float(gamma), 2 * FLOOR01, True, initiators, uniforms
        )


RECORD_NEVER = 10**9  # record_every past any benchmark's sweeps: live metrics at step 0 only


def model_overrides(g: Graph, eps01: float, gamma: float, seed: int) -> list[str]:
    """Hydra overrides of the pairwise model on graph ``g`` (the peers' dynamics)."""
    return [
        "network=from_file",
        f"network.path={g.edge_file}",
        "network.format=edgelist",
        "network.directed=false",
        "network.relabel=false",
        "population=homogeneous",
        f"population.tolerance.mean={2.0 * eps01!r}",
        f"population.convergence.mean={MU!r}",
        "dynamics.interaction=pairwise",
        "dynamics.symmetric=true",
        "ranking=algorithmic_bias",
        f"ranking.gamma={float(gamma)!r}",
        f"ranking.floor={2 * FLOOR01!r}",
        f"seed={seed}",
        # no live metrics between sweeps: the peers compute none (the model's default,
        # record_every=1, adds the polarisation metrics' cost to every sweep)
        f"record_every={RECORD_NEVER}",
        "output.mesa_agents=true",
        "output.progress=false",
    ]


_COMPOSED: dict[tuple, dict[str, Any]] = {}


def build_model(g: Graph, eps01: float, gamma: float, seed: int, x01: np.ndarray):
    """The pairwise model on graph ``g`` with opinions ``2·x01 − 1`` (Hydra composes once
    per configuration; only the seed changes between replicates).
    """
    from feedlab.experiments import build, compose

    key = (str(g.edge_file), eps01, gamma)
    if key not in _COMPOSED:
        _COMPOSED[key] = compose(model_overrides(g, eps01, gamma, 0))
    cfg = {**copy.deepcopy(_COMPOSED[key]), "seed": seed}
    model = build(cfg)
    model.users.opinion[:] = 2.0 * x01 - 1.0
    return model


def interleaved_blocks(
    steps: dict[str, Callable[[], Any]], per_sweep_n: int, repeats: int, block_seconds: float
) -> dict[str, dict[str, Any]]:
    """Median interactions/s of ``repeats`` timed blocks of ≥ ``block_seconds`` of
    ``step()`` calls (one sweep each) for each ``name: step`` in ``steps``, after one
    warm-up and one calibration call each. The blocks of the implementations are
    interleaved (a, b, a, b, ...), so that a change in the machine's load hits both.
    """
    block = {}
    for name, step in steps.items():
        step()  # warm-up: JIT load, first-touch
        t0 = time.perf_counter()
        step()
        block[name] = max(1, math.ceil(block_seconds / max(time.perf_counter() - t0, 1e-7)))
    rates: dict[str, list[float]] = {name: [] for name in steps}
    rates_wall: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(block[name]):
                step()
            rates[name].append(block[name] * per_sweep_n / max(time.process_time() - c0, 1e-9))
            rates_wall[name].append(block[name] * per_sweep_n / (time.perf_counter() - t0))
    return {
        name: {
            "interactions_per_s": median(rates[name]),
            "interactions_per_s_wall": median(rates_wall[name]),
            "rates": rates[name],
            "rates_wall": rates_wall[name],
            "sweeps_per_repeat": block[name],
            "repeats": repeats,
        }
        for name in steps
    }


def peer_rates(
    run, g: Graph, eps01, gamma, seed, x01, s: Settings, guess: float | None = None
) -> dict[str, Any]:
    """One budgeted peer run; ``guess`` = expected seconds per sweep (from a smaller N),
    so that the budget stretches to ``peer_min_sweeps`` sweeps without a second run.
    """
    gc.collect()
    budget = s.peer_budget_seconds
    if guess:
        budget = max(budget, (s.peer_min_sweeps - 0.5) * guess)
    res = run(g.src, g.dst, g.n, eps01, gamma, MU, s.peer_max_sweeps, seed, x01, max_seconds=budget)
    sweeps = list(res["sweep_seconds"])
    # the first sweep is a warm-up (Mesa fills neighbourhood caches lazily); the rest
    # are the repeats. Too few sweeps → top up to peer_min_sweeps (a budget overrun).
    if len(sweeps) < s.peer_min_sweeps:
        res = run(g.src, g.dst, g.n, eps01, gamma, MU, s.peer_min_sweeps, seed, x01)
        sweeps = list(res["sweep_seconds"])
    cpu = list(res["sweep_cpu_seconds"])
    skip = 1 if len(sweeps) > 1 else 0
    rates = [g.n / max(t, 1e-9) for t in cpu[skip:]]
    rates_wall = [g.n / t for t in sweeps[skip:]]
    timed = sweeps[skip:]
    return {
        "interactions_per_s": median(rates),
        "interactions_per_s_wall": median(rates_wall),
        "rates": rates,
        "rates_wall": rates_wall,
        "sweeps_per_repeat": 1,
        "repeats": len(timed),
        "first_sweep_seconds": sweeps[0],
        "setup_seconds": res["setup_seconds"],
        "overall_interactions_per_s": res["interactions"] / res["seconds"],
        "budget_seconds": budget,
    }


def _peers(ndlib_ok: bool) -> dict[str, Any]:
    """The peer runners timed beside feedlab: ndlib (when installed) and Mesa."""
    from feedlab.benchmarks.peers.mesa_models import run_mesa_algorithmic_bias

    peers: dict[str, Any] = {"mesa": run_mesa_algorithmic_bias}
    if ndlib_ok:
        from feedlab.benchmarks.peers.ndlib_models import run_ndlib_algorithmic_bias

        peers = {"ndlib": run_ndlib_algorithmic_bias, **peers}
    return peers


def _feedlab_rates(g: Graph, x01: np.ndarray, gamma: float, s: Settings) -> dict[str, dict]:
    """Feedlab's kernel on the CSR arrays and the same dynamics through the model,
    timed in interleaved blocks; the model's build time is its set-up.
    """
    x = 2.0 * x01 - 1.0
    rng = np.random.default_rng(1)
    t_build = time.perf_counter()
    model = build_model(g, s.ab_epsilon, gamma, 1, x01)
    build_s = time.perf_counter() - t_build
    by = interleaved_blocks(
        {
            "feedlab_kernel": lambda: kernel_sweeps(x, g, s.ab_epsilon, gamma, rng, 1),
            "feedlab_model": model.step,
        },
        g.n,
        s.feedlab_repeats,
        s.feedlab_block_seconds,
    )
    by["feedlab_kernel"]["setup_seconds"] = 0.0
    by["feedlab_model"]["setup_seconds"] = build_s
    return by


def _ratios(n: int, gamma: float, by: dict[str, dict], peers: list[str]) -> dict[str, Any]:
    """Rates of the kernel and the model relative to each other and to each peer."""
    k = by["feedlab_kernel"]["interactions_per_s"]
    m = by["feedlab_model"]["interactions_per_s"]
    ratio = {
        "n": n,
        "gamma": gamma,
        "model_over_kernel": m / k,
        "model_overhead_pct": 100.0 * (k / m - 1.0),
    }
    for peer in peers:
        p = by[peer]["interactions_per_s"]
        ratio[f"kernel_over_{peer}"] = k / p
        ratio[f"model_over_{peer}"] = m / p
    return ratio


def bench_algorithmic_bias(s: Settings, workdir: Path, ndlib_ok: bool) -> dict[str, Any]:
    """Interactions per second of every implementation at each N and γ of ``s``.

    feedlab: the median of ``feedlab_repeats`` blocks of ≥ ``feedlab_block_seconds``
    after one warm-up sweep. Peers: one run per (N, γ) with a time budget
    (``peer_budget_seconds``, at least ``peer_min_sweeps`` sweeps), the first sweep a
    warm-up (Mesa fills its neighbourhood caches lazily), each later one a repeat.
    """
    peers = _peers(ndlib_ok)
    rows, ratios = [], []
    last_rate: dict[tuple[str, float], float] = {}
    for n in sorted(s.ab_sizes):
        t0 = time.perf_counter()
        src, dst = barabasi_albert_edges(n, s.ba_m, seed=n)
        g = Graph.from_edges(src, dst, n)
        g.write(workdir)
        log(
            f"algorithmic bias: BA N={n:,} m={s.ba_m} ({len(g.src):,} edges) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        x01 = initial_opinions(n, 0)
        for gamma in s.ab_gammas:
            t0 = time.perf_counter()
            by = _feedlab_rates(g, x01, gamma, s)
            for name, run in peers.items():
                # a sweep at this N, guessed from the last rate at a smaller N (×1.5:
                # larger graphs are slower per interaction)
                guess = 1.5 * n / last_rate[name, gamma] if (name, gamma) in last_rate else None
                by[name] = peer_rates(run, g, s.ab_epsilon, gamma, 1, x01, s, guess)
                last_rate[name, gamma] = by[name]["interactions_per_s"]
            for name, r in by.items():
                rows.append({"n": n, "gamma": gamma, "impl": name, **r})
                log(
                    f"  γ={gamma:g} {name:15s} {r['interactions_per_s'] / 1e6:10.3f} M/s "
                    f"(median of {r['repeats']}; set-up {r['setup_seconds']:.2f} s)"
                )
            ratios.append(_ratios(n, gamma, by, list(peers)))
            log(f"  γ={gamma:g} wall {time.perf_counter() - t0:.1f} s")
    return {
        "graph": f"Barabási–Albert m={s.ba_m} (igraph, seed N)",
        "epsilon01": s.ab_epsilon,
        "mu": MU,
        "rows": rows,
        "ratios": ratios,
        "peers": list(peers),
        "peer_budget_seconds": s.peer_budget_seconds,
        "peer_min_sweeps": s.peer_min_sweeps,
        "feedlab_repeats": s.feedlab_repeats,
        "feedlab_block_seconds": s.feedlab_block_seconds,
        "load_after": loadavg(),
    }
