"""Fast threshold cascades (Watts 2002): a breadth-first Numba kernel over CSR arrays.

The Watts (2002) threshold model: a node ``i`` that follows ``k_i > 0`` accounts becomes
active once the share of them that are active reaches its threshold,
``(active followees of i) / k_i ≥ φ_i``; active nodes stay active; nodes with ``k_i = 0``
never activate unless seeded. Because the rule is monotone the final active set does not
depend on the update order, and it is the fixed point of synchronous rounds.

:func:`threshold_cascade` computes that fixed point from the seeds in one breadth-first
pass (``O(n + edges reached)``). Each node starts with ``need_i``, the number of active
followees it still needs (:func:`need_counts`); when ``j`` activates every follower of
``j`` decrements its ``need`` and activates when it reaches zero — one random
read-modify-write per edge, the memory-access floor of the problem. The queue is
processed round by round (synchronous rounds of Watts' model): a node activated while
round ``r`` is processed belongs to round ``r + 1``, and ``via`` records the followee that
tipped it. The kernel takes seeds and thresholds as arrays and draws no random numbers;
callers draw them from their own ``Generator``.

``need_i`` is the smallest ``c`` with ``c / k_i ≥ φ_i`` evaluated in float64, the very
comparison the ``transgression`` event makes on its reduction
(``feedlab.models.events.transgression``), so the two agree bit for bit on which nodes activate.

:func:`watts_window` gives the analytic cascade window in mean degree ``z`` on
Erdős–Rényi graphs (Poisson degrees): global cascades are possible where the vulnerable
cluster percolates, ``Σ_k k(k−1) ρ_k p_k = z`` with ``ρ_k = 1`` for ``1 ≤ k ≤ ⌊1/φ⌋``
(Watts 2002, eq. 4); for Poisson ``p_k`` this reads ``z · P(K ≤ ⌊1/φ⌋ − 2) = 1``.

References
----------
Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS* 99(9),
5766–5771.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from feedlab.models.kernels import njit

__all__ = [
    "Cascade",
    "Workspace",
    "followers_csr",
    "need_counts",
    "run_cascade",
    "threshold_cascade",
    "watts_window",
]

NEVER = 1 << 30  # "need" of a node that can never activate


def followers_csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of followers from follow edges (``src`` follows ``dst``).

    Returns ``(indptr, indices)`` with ``indices[indptr[j]:indptr[j+1]]`` the followers of
    ``j`` (ascending). For an undirected graph given as mutual follows this is the
    adjacency itself.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    order = np.lexsort((src, dst))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=indptr[1:])
    return indptr, src[order].astype(np.int32)


@njit(cache=True)
def need_counts(degree, phi, need):  # pragma: no cover - jitted
    """Active followees each node needs: the smallest ``c ≥ 1`` with ``c / k_i ≥ φ_i``.

    Found with the float64 comparison ``c / k >= φ`` itself (not only ``ceil(φ k)``), so
    it agrees bit for bit with the share test of the event path. Nodes that can never
    activate (``k_i = 0``, or ``φ_i > 1``) get ``2**30``.
    """
    for i in range(degree.shape[0]):
        k = degree[i]
        if k <= 0:
            need[i] = NEVER
            continue
        p = phi[i]
        c = max(math.ceil(p * k), 1) if p > 0 else 1
        while c > 1 and (c - 1) / k >= p:
            c -= 1
        while c <= k and c / k < p:
            c += 1
        need[i] = c if c <= k else NEVER


@njit(cache=True)
def threshold_cascade(indptr, indices, need, seeds, order, via, level_ptr):  # pragma: no cover
    """Watts threshold cascade to its fixed point, breadth first (module docstring).

    Parameters
    ----------
    indptr, indices : int arrays
        Followers CSR (:func:`followers_csr`): row ``j`` lists who follows ``j``.
    need : int32 array, shape (n,)
        From :func:`need_counts`; **modified in place** (pass a fresh copy per cascade).
    seeds : int array
        Initially active nodes (round 0; duplicates ignored).
    order : int array, shape (n,)
        Output: active nodes in order of activation (seeds first).
    via : int array, shape (n,)
        Output, aligned with ``order``: the followee whose activation tipped the node
        (``-1`` for seeds).
    level_ptr : int64 array, shape (n + 1,)
        Output: round ``r`` activated ``order[level_ptr[r]:level_ptr[r+1]]``.

    Returns
    -------
    (int, int)
        Number of active nodes, number of rounds (seeds count as round 0).
    """
    tail = 0
    for s in seeds:
        if need[s] != 0:
            need[s] = 0  # later decrements go negative: never activated twice
            order[tail] = s
            via[tail] = -1
            tail += 1
    head = 0
    n_levels = 0
    level_ptr[0] = 0
    while head < tail:
        end = tail
        n_levels += 1
        level_ptr[n_levels] = end
        while head < end:
            j = order[head]
            head += 1
            for e in range(indptr[j], indptr[j + 1]):
                i = indices[e]
                r = need[i] - 1
                need[i] = r
                if r == 0:
                    order[tail] = i
                    via[tail] = j
                    tail += 1
    return tail, n_levels


@dataclass
class Cascade:
    """Result of :func:`run_cascade`.

    ``order`` lists the active nodes in order of activation (seeds first), ``via`` the
    followee that tipped each (``-1`` for seeds); round ``r`` activated
    ``order[level_ptr[r]:level_ptr[r + 1]]``.
    """

    n: int
    order: np.ndarray
    via: np.ndarray
    level_ptr: np.ndarray

    @property
    def size(self) -> int:
        """Number of activated nodes, seeds included."""
        return int(self.order.shape[0])

    @property
    def generation(self) -> np.ndarray:
        """Synchronous round of each node of ``order`` (seeds 0)."""
        return np.repeat(np.arange(self.level_ptr.size - 1), np.diff(self.level_ptr))

    @property
    def active(self) -> np.ndarray:
        """Boolean mask of the final active set."""
        a = np.zeros(self.n, dtype=np.bool_)
        a[self.order] = True
        return a


class Workspace:
    """Reusable buffers for many cascades on one graph of ``n`` nodes.

    Without one, :func:`run_cascade` allocates about 3 MB per cascade at ``n = 10⁵``;
    fresh pages are zero-filled by the operating system on first touch, which costs a
    noticeable share of a 5 ms cascade. With a workspace the returned :class:`Cascade`
    holds *views* into it, valid until the next cascade run with the same workspace.
    """

    def __init__(self, n: int):
        self.n = int(n)
        self.need = np.empty(self.n, dtype=np.int32)
        self.order = np.empty(self.n, dtype=np.int32)
        self.via = np.empty(self.n, dtype=np.int32)
        self.level_ptr = np.empty(self.n + 1, dtype=np.int64)


def run_cascade(
    indptr: np.ndarray,
    indices: np.ndarray,
    degree: np.ndarray | None,
    phi: np.ndarray | float,
    seeds: np.ndarray | int,
    need: np.ndarray | None = None,
    workspace: Workspace | None = None,
) -> Cascade:
    """One threshold cascade: thresholds → ``need`` (unless given), kernel, outputs.

    ``phi`` may be a scalar (uniform threshold). Pass a precomputed ``need`` (from
    :func:`need_counts`, left untouched here) to reuse it across many seeds; then
    ``degree`` and ``phi`` are not read. Pass a :class:`Workspace` to reuse buffers
    across cascades (the result then views the workspace).
    """
    n = int(indptr.shape[0] - 1)
    seed_arr = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    if seed_arr.size and (seed_arr.min() < 0 or seed_arr.max() >= n):
        raise ValueError(f"seeds must lie in [0, {n})")
    ws = workspace if workspace is not None else Workspace(n)
    if ws.n != n:
        raise ValueError(f"workspace is for {ws.n} nodes, the graph has {n}")
    if need is None:
        if degree is None:
            raise ValueError("pass degree and phi, or a precomputed need")
        phi_arr = np.broadcast_to(np.asarray(phi, dtype=np.float64), (n,))
        need_counts(np.asarray(degree, dtype=np.int64), np.ascontiguousarray(phi_arr), ws.need)
    else:
        np.copyto(ws.need, need)
    size, levels = threshold_cascade(
        indptr, indices, ws.need, seed_arr, ws.order, ws.via, ws.level_ptr
    )
    return Cascade(n, ws.order[:size], ws.via[:size], ws.level_ptr[: levels + 1])


def watts_window(phi: float, z_max: float = 50.0) -> tuple[float, float]:
    """Analytic cascade window ``(z_lo, z_hi)`` in mean degree on Erdős–Rényi graphs.

    Vulnerable nodes have degree ``1 ≤ k ≤ K = ⌊1/φ⌋`` (one active neighbour suffices).
    Global cascades are possible where ``F(z) = z · P(Poisson(z) ≤ K − 2) > 1`` (Watts
    2002, eq. 4 with Poisson degrees): the lower edge is the percolation of the graph
    itself (``z ≈ 1``), the upper edge the loss of vulnerable nodes as degrees grow.
    Returns ``(nan, nan)`` when ``F`` never exceeds 1 (``φ > 1/3``: no window).

    >>> lo, hi = watts_window(0.18)
    >>> round(lo, 2), round(hi, 2)
    (1.02, 5.76)
    """
    from scipy.optimize import brentq
    from scipy.stats import poisson

    if not 0 < phi <= 1:
        raise ValueError(f"phi must lie in (0, 1], got {phi!r}")
    big_k = math.floor(1.0 / phi + 1e-12)

    def excess(z: float) -> float:
        return z * float(poisson.cdf(big_k - 2, z)) - 1.0

    grid = np.linspace(1e-3, z_max, 20_000)
    vals = grid * poisson.cdf(big_k - 2, grid) - 1.0
    above = np.flatnonzero(vals > 0)
    if above.size == 0:
        return float("nan"), float("nan")
    i, j = int(above[0]), int(above[-1])
    lo = brentq(excess, grid[i - 1], grid[i]) if i > 0 else float(grid[0])
    hi = brentq(excess, grid[j], grid[j + 1]) if j + 1 < grid.size else float("inf")
    return float(lo), float(hi)
