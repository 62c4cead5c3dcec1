"""Graph plumbing shared by the peer implementations.

Every peer takes the same input: ``n`` nodes labelled ``0..n-1`` and two integer arrays
``src``/``dst`` of undirected edges.  An edge may be listed once (``u, v``) or in both
directions (``u, v`` and ``v, u``); duplicates and self-loops are dropped, so both
conventions give the same simple graph.  Neighbour order is fixed (ascending node id)
so that every implementation is deterministic for a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np

__all__ = [
    "NumpyPyRandom",
    "barabasi_albert_edges",
    "csr_adjacency",
    "erdos_renyi_edges",
    "to_networkx",
    "undirected_edges",
]


def undirected_edges(src, dst, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Canonical edge list: each undirected pair once as ``(u, v)`` with ``u < v``.

    Sorted lexicographically; self-loops and duplicate/reversed copies are removed.
    """
    src = np.asarray(src, dtype=np.int64).ravel()
    dst = np.asarray(dst, dtype=np.int64).ravel()
    if src.shape != dst.shape:
        raise ValueError(f"src and dst differ in length: {src.size} != {dst.size}")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError(f"edge endpoints must lie in [0, {n})")
    u = np.minimum(src, dst)
    v = np.maximum(src, dst)
    keep = u != v
    key = np.unique(u[keep] * np.int64(n) + v[keep])
    return key // n, key % n


def csr_adjacency(src, dst, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR adjacency ``(indptr, indices)``; neighbours sorted ascending."""
    u, v = undirected_edges(src, dst, n)
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols


def to_networkx(src, dst, n: int) -> nx.Graph:
    """A ``networkx.Graph`` with nodes ``0..n-1`` inserted in order (isolated ones too)."""
    u, v = undirected_edges(src, dst, n)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(u.tolist(), v.tolist()))
    return g


class NumpyPyRandom:
    """Adapter giving igraph's RNG hook (``random``/``randint``/``gauss``/``getrandbits``)
    a seeded ``numpy.random.Generator`` instead of Python's global ``random`` module.
    """

    def __init__(self, seed) -> None:
        self._rng = np.random.default_rng(seed)

    def random(self) -> float:
        return float(self._rng.random())

    def randint(self, a: int, b: int) -> int:
        return int(self._rng.integers(a, b, endpoint=True))

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        return float(self._rng.normal(mu, sigma))

    def getrandbits(self, k: int) -> int:
        out = 0
        for shift in range(0, k, 32):
            bits = min(32, k - shift)
            out |= int(self._rng.integers(0, 1 << bits)) << shift
        return out


def _igraph_edges(build: Callable, seed) -> tuple[np.ndarray, np.ndarray]:
    import igraph

    # igraph's RNG is process-global and has no getter, so it cannot be restored: it is
    # left pointing at this seeded generator (benchmark processes only).
    igraph.set_random_number_generator(NumpyPyRandom(seed))
    g = build(igraph)
    el = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    return el[:, 0].copy(), el[:, 1].copy()


def barabasi_albert_edges(n: int, m: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """Barabási–Albert graph via ``igraph.Graph.Barabasi(n, m)`` (no isolated nodes)."""
    return _igraph_edges(lambda ig: ig.Graph.Barabasi(n, m), seed)


def erdos_renyi_edges(n: int, z: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """G(n, p) with mean degree ``z`` via ``igraph.Graph.Erdos_Renyi(n, p=z/(n-1))``."""
    return _igraph_edges(lambda ig: ig.Graph.Erdos_Renyi(n=n, p=z / (n - 1)), seed)
