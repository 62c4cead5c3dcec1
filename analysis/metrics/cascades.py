"""Cascade metrics: tree structure (size, depth, breadth, structural virality), forests,
time courses (duration, time to peak, decay half-life, reputation trough and recovery),
conformist share and size distributions.

A cascade is a diffusion *tree* given as a parent array over its nodes:
``parent[i]`` is the index of the node ``i`` was adopted/reshared from, ``-1`` for the
root. A *forest* (several roots) is split with :func:`forest_components`. Node order is
free (it need not be topological). All tree functions are vectorised: a breadth-first
order from :func:`scipy.sparse.csgraph.breadth_first_order` (``O(n)``, in C) makes the
parent matrix triangular, and depths and subtree sizes come from one sparse triangular
solve each (``O(n)``, in C) — no Python loop over nodes, exact on paths and stars alike.

Pure functions on NumPy arrays (see :mod:`feedlab.analysis.metrics.polarisation` for the shared
conventions). A malformed parent array (indices outside ``[-1, n)``, a cycle) raises
``ValueError``; degenerate trees (empty, one node) return documented values.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import breadth_first_order
from scipy.sparse.linalg import spsolve_triangular

from .trust import LN2, _fit_exp_rate, _series

__all__ = [
    "cascade_depth",
    "cascade_duration",
    "cascade_size",
    "cascade_structure",
    "ccdf",
    "conformist_share",
    "decay_half_life",
    "forest_components",
    "max_breadth",
    "reputation_trough_and_recovery",
    "structural_virality",
    "time_to_peak",
]

NAN = float("nan")


# ------------------------------------------------------------------------ tree helpers
def _parent_array(parent: ArrayLike) -> NDArray[np.int64]:
    """Validate a parent array: 1-D, integer-valued, entries in ``[-1, n)``."""
    p = np.asarray(parent)
    if p.ndim == 0:
        p = p.reshape(1)
    if p.ndim != 1:
        raise ValueError(f"parent must be one-dimensional, got shape {p.shape}")
    if p.size == 0:
        return np.zeros(0, dtype=np.int64)
    if p.dtype == np.bool_ or not (
        np.issubdtype(p.dtype, np.integer) or np.issubdtype(p.dtype, np.floating)
    ):
        raise TypeError(f"parent must hold integer indices, got dtype {p.dtype}")
    if np.issubdtype(p.dtype, np.floating):
        if not (np.isfinite(p).all() and np.all(p == np.round(p))):
            raise ValueError("parent must hold integer indices (or -1 for a root)")
    p = p.astype(np.int64)
    if p.min() < -1 or p.max() >= p.size:
        raise ValueError(f"parent entries must lie in [-1, {p.size}), -1 marking a root")
    return p


def _bfs(parent: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Breadth-first order of a (validated, non-empty) forest and relabelled parents.

    Returns ``order`` (node ids, every parent before its children) and ``rp`` with
    ``rp[i]`` the position in ``order`` of the parent of ``order[i]`` (``-1`` for
    roots), so that ``rp[i] < i``. Raises ``ValueError`` if some node cannot be reached
    from a root (a cycle).
    """
    n = parent.size
    src = np.where(parent < 0, n, parent)  # a virtual super-root n above all roots
    graph = sp.csr_matrix((np.ones(n, dtype=np.float64), (src, np.arange(n))), shape=(n + 1, n + 1))
    order = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    if order.size != n + 1:
        raise ValueError("parent array contains a cycle: some nodes have no root")
    order = order[1:].astype(np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    p_ord = parent[order]
    rp = np.where(p_ord >= 0, rank[np.maximum(p_ord, 0)], -1)
    return order, rp


def _lower(rp: NDArray[np.int64]) -> sp.csr_matrix:
    """``I - P`` in BFS order (``P[i, rp[i]] = 1``): unit lower-triangular."""
    n = rp.size
    child = np.flatnonzero(rp >= 0)
    rows = np.concatenate((np.arange(n), child))
    cols = np.concatenate((np.arange(n), rp[child]))
    data = np.concatenate((np.ones(n), -np.ones(child.size)))
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def _solve(mat: sp.csr_matrix, rhs: NDArray[np.float64], lower: bool) -> NDArray[np.float64]:
    return np.asarray(spsolve_triangular(mat, rhs, lower=lower), dtype=np.float64)


def _depths(parent: NDArray[np.int64]) -> NDArray[np.int64]:
    """Depth of every node (roots 0): solves ``(I - P) d = 1[non-root]``."""
    order, rp = _bfs(parent)
    d_ord = _solve(_lower(rp), (rp >= 0).astype(np.float64), lower=True)
    depth = np.empty(parent.size, dtype=np.int64)
    depth[order] = np.rint(d_ord).astype(np.int64)
    return depth


def _subtree_sizes(parent: NDArray[np.int64]) -> NDArray[np.int64]:
    """Subtree size of every node: solves ``(I - C) s = 1`` with ``C = Pᵀ`` (children)."""
    order, rp = _bfs(parent)
    upper = _lower(rp).T.tocsr()
    s_ord = _solve(upper, np.ones(parent.size), lower=False)
    size = np.empty(parent.size, dtype=np.int64)
    size[order] = np.rint(s_ord).astype(np.int64)
    return size


# ------------------------------------------------------------------------- structure
def cascade_size(parent: ArrayLike) -> int:
    """Number of nodes of a cascade (root included).

    Parameters
    ----------
    parent : array_like of int, shape (n,)
        Parent of each node, ``-1`` for the root.

    Returns
    -------
    int
        ``n``; 0 for an empty cascade. For a forest, the total over its trees.

    References
    ----------
    Goel, S., Anderson, A., Hofman, J. & Watts, D. J. (2016). The structural virality of
    online diffusion. *Management Science* 62(1), 180–196.
    """
    return int(_parent_array(parent).size)


def cascade_depth(parent: ArrayLike) -> float:
    """Depth of a cascade: the largest distance from the root (root depth 0).

    Parameters
    ----------
    parent : array_like of int, shape (n,)
        Parent of each node, ``-1`` for the root.

    Returns
    -------
    float
        Integer-valued maximum depth; ``0.0`` for a single node. For a forest, the
        maximum over its trees.

    Notes
    -----
    * Edge cases: empty → ``nan``.
    * Raises ``ValueError`` for a malformed parent array (out of range, cycle).

    References
    ----------
    Goel, S., Anderson, A., Hofman, J. & Watts, D. J. (2016). *Management Science*
    62(1), 180–196; Vosoughi, S., Roy, D. & Aral, S. (2018). The spread of true and
    false news online. *Science* 359(6380), 1146–1151.
    """
    p = _parent_array(parent)
    if p.size == 0:
        return NAN
    return float(_depths(p).max())


def max_breadth(parent: ArrayLike) -> int:
    r"""Maximum breadth: the largest number of nodes at one depth.

    Parameters
    ----------
    parent : array_like of int, shape (n,)
        Parent of each node, ``-1`` for the root.

    Returns
    -------
    int
        :math:`\max_d \#\{i : depth_i = d\}`; 1 for a single node or a path,
        ``n - 1`` for a star of ``n ≥ 3`` nodes, 0 for an empty cascade. For a forest
        the counts add up across trees (all roots at depth 0).

    Notes
    -----
    Raises ``ValueError`` for a malformed parent array.

    References
    ----------
    Vosoughi, S., Roy, D. & Aral, S. (2018). The spread of true and false news online.
    *Science* 359(6380), 1146–1151.
    """
    p = _parent_array(parent)
    if p.size == 0:
        return 0
    return int(np.bincount(_depths(p)).max())


def structural_virality(parent: ArrayLike) -> float:
    r"""Structural virality: the mean shortest-path distance over all pairs of the tree.

    .. math::

        \nu = \frac{2}{n(n-1)}\sum_{i<j} d_{ij} = \frac{2W}{n(n-1)},\qquad
        W = \sum_{\text{edges } e} s_e\,(n - s_e)

    where the Wiener index ``W`` sums, over the edge above each non-root node, the
    product of the subtree size ``s_e`` below it and the rest of the tree (each pair's
    path crosses exactly the edges separating them). Computed exactly in ``O(n)``.

    Parameters
    ----------
    parent : array_like of int, shape (n,)
        Parent of each node, ``-1`` for the root.

    Returns
    -------
    float
        ``ν ∈ [2(n-1)/n, (n+1)/3]``: the star of ``n`` nodes gives the minimum
        ``2(n-1)/n`` (broadcast), the path the maximum ``(n+1)/3`` (viral chain).

    Notes
    -----
    * Edge cases: ``n < 2`` → ``nan``; a forest (several roots: disconnected pairs) →
      ``nan`` (split it with :func:`forest_components`).
    * Raises ``ValueError`` for a malformed parent array.

    References
    ----------
    Goel, S., Anderson, A., Hofman, J. & Watts, D. J. (2016). The structural virality of
    online diffusion. *Management Science* 62(1), 180–196; Wiener, H. (1947). Structural
    determination of paraffin boiling points. *JACS* 69(1), 17–20.
    """
    p = _parent_array(parent)
    n = p.size
    if n < 2:
        return NAN
    sizes = _subtree_sizes(p)  # validates (cycles) before the root count is used
    if np.count_nonzero(p < 0) != 1:
        return NAN
    s = sizes[p >= 0].astype(np.float64)
    wiener = float(s @ (n - s))
    return 2.0 * wiener / (n * (n - 1.0))


def cascade_structure(parent: ArrayLike) -> dict[str, float]:
    """All structural metrics of one cascade tree in one call.

    Parameters
    ----------
    parent : array_like of int, shape (n,)
        Parent of each node, ``-1`` for the root.

    Returns
    -------
    dict
        ``{"size", "depth", "max_breadth", "structural_virality"}`` as floats, with the
        edge-case values of :func:`cascade_size`, :func:`cascade_depth`,
        :func:`max_breadth` and :func:`structural_virality`.

    References
    ----------
    Goel, S., Anderson, A., Hofman, J. & Watts, D. J. (2016). *Management Science*
    62(1), 180–196.
    """
    p = _parent_array(parent)
    if p.size == 0:
        return {"size": 0.0, "depth": NAN, "max_breadth": 0.0, "structural_virality": NAN}
    depth = _depths(p)
    return {
        "size": float(p.size),
        "depth": float(depth.max()),
        "max_breadth": float(np.bincount(depth).max()),
        "structural_virality": structural_virality(p),
    }


def forest_components(parent: ArrayLike) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Split a forest (parent array with several roots) into its trees.

    Parameters
    ----------
    parent : array_like of int, shape (n,)
        Parent of each node, ``-1`` for each root.

    Returns
    -------
    list of (nodes, local_parent)
        One entry per tree, ordered by root id. ``nodes`` are the tree's global node ids
        in increasing order; ``local_parent`` is the parent array re-indexed into
        positions of ``nodes`` (``-1`` for the root), ready for the tree functions.
        Empty list for an empty forest.

    Notes
    -----
    ``O(n log n)``; raises ``ValueError`` for a malformed parent array (cycle, out of
    range).

    References
    ----------
    Goel, S., Anderson, A., Hofman, J. & Watts, D. J. (2016). *Management Science*
    62(1), 180–196 (cascades as trees of adoptions).
    """
    p = _parent_array(parent)
    n = p.size
    if n == 0:
        return []
    order, rp = _bfs(p)
    rhs = np.where(rp < 0, order, 0).astype(np.float64)  # root id at each root
    root_ord = _solve(_lower(rp), rhs, lower=True)  # r = r[parent]: propagate root ids
    root = np.empty(n, dtype=np.int64)
    root[order] = np.rint(root_ord).astype(np.int64)
    nodes = np.lexsort((np.arange(n), root))  # by root, then node id
    r_sorted = root[nodes]
    starts = np.flatnonzero(np.r_[True, r_sorted[1:] != r_sorted[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    local = np.empty(n, dtype=np.int64)
    local[nodes] = np.arange(n) - group_start
    p_sorted = p[nodes]
    local_parent = np.where(p_sorted >= 0, local[np.maximum(p_sorted, 0)], -1)
    cuts = starts[1:]
    return list(zip(np.split(nodes, cuts), np.split(local_parent, cuts), strict=True))


# ----------------------------------------------------------------------- time courses
def cascade_duration(times: ArrayLike) -> float:
    """Duration of a cascade: last event time minus first event time.

    Parameters
    ----------
    times : array_like, shape (m,)
        Times of the cascade's events (call-outs, reshares), any order.

    Returns
    -------
    float
        ``max(times) - min(times)``, ``≥ 0``; ``0.0`` for one event.

    Notes
    -----
    * Edge cases: no (finite) events → ``nan``.
    * NaN: non-finite times are ignored.

    References
    ----------
    Goel, S., Anderson, A., Hofman, J. & Watts, D. J. (2016). *Management Science*
    62(1), 180–196; Vosoughi, S., Roy, D. & Aral, S. (2018). *Science* 359, 1146–1151.
    """
    tv = np.asarray(times, dtype=np.float64).ravel()
    tv = tv[np.isfinite(tv)]
    if tv.size == 0:
        return NAN
    return float(tv.max() - tv.min())


def _count_series(
    counts: ArrayLike, t: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    c = np.asarray(counts, dtype=np.float64).ravel()
    tv = np.arange(c.size, dtype=np.float64) if t is None else t
    tau, y = _series(tv, c, "t", "counts")
    return tau, y


def time_to_peak(counts: ArrayLike, t: ArrayLike | None = None) -> float:
    """Time from the start of a count series to its (first) maximum.

    Parameters
    ----------
    counts : array_like, shape (T,)
        Events per step (e.g. call-outs), starting at the event time ``t0``: slice the
        series so that it starts there.
    t : array_like, shape (T,), optional
        Times of the counts (default ``0, 1, ..., T-1``).

    Returns
    -------
    float
        ``t[argmax] - t[0]``; ties go to the earliest maximum.

    Notes
    -----
    * Edge cases: empty, or no positive count → ``nan``.
    * NaN: steps with a non-finite count or time are ignored.
    * Raises ``ValueError`` when ``t`` and ``counts`` differ in shape.

    References
    ----------
    Crane, R. & Sornette, D. (2008). Robust dynamic classes revealed by measuring the
    response function of a social system. *PNAS* 105(41), 15649–15653.
    """
    tau, y = _count_series(counts, t)
    if y.size == 0 or not np.any(y > 0):
        return NAN
    return float(tau[int(np.argmax(y))])


def decay_half_life(counts: ArrayLike, t: ArrayLike | None = None) -> float:
    r"""Half-life of the decay of a count series after its peak.

    From the (first) maximum onward, fits :math:`c(t) = A\,e^{-k (t - t_{peak})}` by
    non-linear least squares (zeros included; the profile grid over ``k`` starts
    :func:`scipy.optimize.curve_fit`) and returns :math:`\ln 2 / k`.

    Parameters
    ----------
    counts : array_like, shape (T,)
        Events per step (e.g. call-outs, impressions of an event).
    t : array_like, shape (T,), optional
        Times (default ``0, 1, ..., T-1``).

    Returns
    -------
    float
        Half-life in the units of ``t``.

    Notes
    -----
    * ``nan`` when fewer than 3 points from the peak on, no positive count, the counts
      after the peak do not decay (``k ≤ 0``, constant, not significantly better than
      a constant level by an F-test at 5 %, or a half-life over 100 × the observed
      span), the drop is a jump faster than 0.1 sampling step, or the fit fails.
    * NaN: steps with a non-finite count or time are ignored.
    * Raises ``ValueError`` when ``t`` and ``counts`` differ in shape.

    References
    ----------
    Crane, R. & Sornette, D. (2008). *PNAS* 105(41), 15649–15653; Wu, F. & Huberman,
    B. A. (2007). Novelty and collective attention. *PNAS* 104(45), 17599–17601.
    """
    tau, y = _count_series(counts, t)
    if y.size == 0 or not np.any(y > 0):
        return NAN
    peak = int(np.argmax(y))
    tau, y = tau[peak:] - tau[peak], y[peak:]
    rate = _fit_exp_rate(tau, y, 0.0, require_positive_amplitude=True)
    return LN2 / rate if np.isfinite(rate) else NAN


def reputation_trough_and_recovery(
    t: ArrayLike,
    reputation: ArrayLike,
    baseline: float,
    t0: float,
    recover_share: float = 0.9,
) -> tuple[float, float, float]:
    """Trough of a reputation series after an event, and the time to recover.

    Parameters
    ----------
    t : array_like, shape (T,)
        Times (need not be sorted).
    reputation : array_like, shape (T,)
        Reputation of the target (e.g. mean trust of its followers) at those times.
    baseline : float
        Pre-event reputation (``> 0``).
    t0 : float
        Event (transgression) time.
    recover_share : float, default 0.9
        Recovery means reaching ``reputation ≥ recover_share × baseline``.

    Returns
    -------
    trough : float
        Minimum reputation at times ``≥ t0`` (first occurrence).
    trough_time : float
        Its time.
    recovery_time : float
        Time from ``t0`` to the first time at or after the trough with reputation
        ``≥ recover_share × baseline``; ``0.0`` if the trough never fell below that
        level; ``nan`` if it never recovers within the series.

    Notes
    -----
    * Edge cases: no sample at ``t ≥ t0`` or a non-finite ``baseline`` → all ``nan``.
    * NaN: samples with a non-finite time or reputation are ignored.
    * Raises ``ValueError`` when ``t`` and ``reputation`` differ in shape.

    References
    ----------
    docs/cascades.md §1 The mechanism (transgression events); Muchnik, L., Aral, S. & Taylor, S. J. (2013). Social
    influence bias: a randomized experiment. *Science* 341(6146), 647–651.
    """
    tv = np.asarray(t, dtype=np.float64).ravel()
    rv = np.asarray(reputation, dtype=np.float64).ravel()
    if np.shape(t) != np.shape(reputation):
        raise ValueError("t and reputation must have equal shapes")
    keep = np.isfinite(tv) & np.isfinite(rv) & (tv >= t0)
    if not np.any(keep) or not np.isfinite(baseline) or not np.isfinite(t0):
        return NAN, NAN, NAN
    tv, rv = tv[keep], rv[keep]
    order = np.argsort(tv, kind="stable")
    tv, rv = tv[order], rv[order]
    i = int(np.argmin(rv))
    trough, trough_time = float(rv[i]), float(tv[i])
    level = recover_share * float(baseline)
    if trough >= level:
        return trough, trough_time, 0.0
    after = np.flatnonzero(rv[i:] >= level)
    recovery = float(tv[i + after[0]] - t0) if after.size else NAN
    return trough, trough_time, recovery


def conformist_share(is_conformist: ArrayLike) -> float:
    """Share of call-outs that are conformist shaming rather than proportionate.

    Parameters
    ----------
    is_conformist : array_like of bool, shape (m,)
        One flag per call-out: True when the caller's own perceived offence was below
        its threshold (it joined because enough followees had called out).

    Returns
    -------
    float
        Share in ``[0, 1]``.

    Notes
    -----
    * Edge cases: no call-outs → ``nan``.

    References
    ----------
    Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS*
    99(9), 5766–5771 (threshold contagion); docs/cascades.md §1 The mechanism (proportionate vs conformist).
    """
    f = np.asarray(is_conformist).ravel()
    if f.size == 0:
        return NAN
    return float(np.count_nonzero(f.astype(bool)) / f.size)


def ccdf(sizes: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Empirical complementary cumulative distribution :math:`P(S \ge s)`.

    Parameters
    ----------
    sizes : array_like
        Cascade sizes (pooled across runs).

    Returns
    -------
    values : ndarray of float64
        The distinct sizes, increasing.
    prob : ndarray of float64
        :math:`P(S \ge s)` at each: 1 at the smallest size, ``count(max)/m`` at the
        largest.

    Notes
    -----
    * Edge cases: no (finite) sizes → two empty arrays.
    * NaN: non-finite sizes are ignored. ``O(m log m)``.

    References
    ----------
    Clauset, A., Shalizi, C. R. & Newman, M. E. J. (2009). Power-law distributions in
    empirical data. *SIAM Review* 51(4), 661–703.
    """
    s = np.asarray(sizes, dtype=np.float64).ravel()
    s = s[np.isfinite(s)]
    if s.size == 0:
        return np.zeros(0), np.zeros(0)
    values, counts = np.unique(s, return_counts=True)
    at_least = np.cumsum(counts[::-1])[::-1]
    return values, at_least / s.size
