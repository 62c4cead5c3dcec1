"""Plain sequential reference implementations (oracles for small N).

These are the textbook algorithms written as directly as possible — one elementary step
at a time in a Python loop — so that they can be read against the papers. They are slow
(tens of thousands of interactions per second) and meant for N up to a few thousand.

Randomness: one ``numpy.random.Generator`` built from ``seed`` (an int, a
``SeedSequence`` or a ``Generator``); nothing global is touched.
"""

from __future__ import annotations

import time

import numpy as np

from feedlab.benchmarks.peers._graph import csr_adjacency

__all__ = ["run_reference_algorithmic_bias", "run_reference_threshold"]

MIN_DIST = 1e-5  # distance floor of Sîrbu et al. (2019) and of ndlib's AlgorithmicBiasModel


def run_reference_algorithmic_bias(
    src,
    dst,
    n: int,
    epsilon: float,
    gamma: float,
    mu: float = 0.5,
    n_steps: int = 1,
    seed=None,
    initial_opinions=None,
    *,
    min_dist: float = MIN_DIST,
) -> dict:
    """Deffuant model with algorithmic bias (Sîrbu, Pedreschi, Giannotti & Kertész 2019,
    PLoS ONE 14(3): e0213246; Deffuant et al. 2000 for γ = 0).

    One *elementary step*: draw an agent ``i`` uniformly at random (with replacement);
    draw a neighbour ``j`` with probability ∝ ``max(|x_i − x_j|, min_dist)^(−γ)``
    (γ = 0: uniform over neighbours); if ``|x_i − x_j| < ε`` both move toward each other
    by ``μ``: ``x_i += μ(x_j − x_i)``, ``x_j += μ(x_i − x_j)`` (old values on the right).
    An agent without neighbours wastes its elementary step.

    ``n_steps`` counts *sweeps* of ``n`` elementary steps, the unit of ndlib's
    ``iteration()`` and of Sîrbu et al.'s "interactions per individual".

    Returns ``dict(final_opinions, interactions, seconds)`` where ``interactions`` is the
    number of elementary steps (attempted encounters, successful or not) = ``n_steps·n``
    and ``seconds`` is the wall time of the dynamics alone.
    """
    rng = np.random.default_rng(seed)
    x = (
        rng.random(n)
        if initial_opinions is None
        else np.array(initial_opinions, dtype=np.float64).reshape(n)
    )
    indptr, indices = csr_adjacency(src, dst, n)
    gamma = float(gamma)
    epsilon = float(epsilon)
    mu = float(mu)
    total = int(n_steps) * n

    t0 = time.perf_counter()
    for _ in range(int(n_steps)):
        agents = rng.integers(0, n, size=n)
        u = rng.random(n)
        for i, r in zip(agents.tolist(), u.tolist()):
            lo, hi = indptr[i], indptr[i + 1]
            if lo == hi:
                continue
            nbrs = indices[lo:hi]
            xi = x[i]
            if gamma == 0.0:
                j = nbrs[int(r * (hi - lo))]
            else:
                w = np.maximum(np.abs(x[nbrs] - xi), min_dist) ** -gamma
                cw = np.cumsum(w)
                k = int(np.searchsorted(cw, r * cw[-1], side="right"))
                j = nbrs[min(k, hi - lo - 1)]
            xj = x[j]
            if abs(xi - xj) < epsilon:
                x[i] = xi + mu * (xj - xi)
                x[j] = xj + mu * (xi - xj)
    seconds = time.perf_counter() - t0
    return {"final_opinions": x, "interactions": total, "seconds": seconds}


def run_reference_threshold(src, dst, n: int, threshold, seed_nodes, seed=None) -> dict:
    """Watts (2002, PNAS 99: 5766) threshold cascade, iterated to its fixed point.

    A node of degree ``k > 0`` becomes active when (active neighbours)/k ≥ φ; active nodes
    stay active; degree-0 nodes never activate unless seeded. ``threshold`` is φ (scalar
    or per-node array). Updates are synchronous rounds (all nodes look at the previous
    round's state), exactly like ndlib's ``ThresholdModel.iteration()``; because the
    rule is monotone the fixed point is the same as under any sequential order.

    ``seed`` is accepted for signature parity and unused (the model is deterministic
    given ``seed_nodes``).

    Returns ``dict(final_active, cascade_size, iterations, seconds, cpu_seconds)``:
    ``iterations`` is the number of rounds that activated at least one node (the cascade's
    depth in synchronous rounds); ``cascade_size`` counts all active nodes, seeds
    included; ``cpu_seconds`` is the process CPU time of the rounds.
    """
    del seed
    indptr, indices = csr_adjacency(src, dst, n)
    deg = np.diff(indptr)
    phi = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,))
    rows = np.repeat(np.arange(n), deg)
    active = np.zeros(n, dtype=bool)
    active[np.asarray(seed_nodes, dtype=np.int64)] = True

    t0, c0 = time.perf_counter(), time.process_time()
    iterations = 0
    while True:
        n_active_nbrs = np.bincount(rows, weights=active[indices], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = n_active_nbrs / deg
        new = ~active & (deg > 0) & (frac >= phi)
        if not new.any():
            break
        active |= new
        iterations += 1
    seconds = time.perf_counter() - t0
    return {
        "final_active": active,
        "cascade_size": int(active.sum()),
        "iterations": iterations,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - c0,
    }
