"""Polarisation, fragmentation, echo-chamber and exposure metrics.

Every function is a pure function on NumPy arrays: no model objects, no state, no global
random numbers. All are vectorised (``O(N)`` or ``O(N log N)`` in the number of users or
edges) so they can run live every few steps at ``N = 10⁵–10⁶``.

Conventions shared by the module
--------------------------------
* Opinions ``x`` live on ``[-1, 1]`` (docs/model.md §State). Only :func:`esteban_ray` clips to that
  interval; the other functions take the values as given.
* Scalars are returned as Python ``float`` (counts of clusters too: they are
  integer-valued floats, so that a non-finite input can give ``nan``).
* **NaN policy**: a non-finite opinion makes the result ``nan`` (NaN in, NaN out), so
  a broken state is visible in the record instead of silently skewing a metric.
  Degenerate but valid inputs (empty, one user, no edges, all-equal opinions) return
  the documented value (``nan`` or ``0.0``) and never raise.
* Only arrays whose shapes do not match (and malformed graphs: indices out of range)
  raise ``ValueError``; invalid *parameters* (e.g. ``bins < 2``) also raise
  ``ValueError``, at the first call.
* Edge conventions follow :mod:`feedlab.models.network`: an edge ``(src, dst)`` means *src
  follows dst*; a CSR follow list holds the followees of ``i`` in
  ``indices[indptr[i]:indptr[i + 1]]``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from feedlab.models.kernels import njit, prange, threaded

__all__ = [
    "bimodality_coefficient",
    "cluster_sizes",
    "cross_cutting_share",
    "echo_chamber_index",
    "effective_clusters",
    "ei_index",
    "esteban_ray",
    "extreme_share",
    "group_mean_distance",
    "major_clusters",
    "opinion_assortativity",
    "opinion_clusters",
    "opinion_variance",
]

NAN = float("nan")

#: Default gap that separates two opinion clusters, on the [-1, 1] scale. Converged
#: bounded-confidence clusters are at least one tolerance apart (> 0.05 for every
#: tolerance feedlab sweeps), while a converged cluster has (numerically) zero width.
DEFAULT_GAP = 0.05


# --------------------------------------------------------------------------- helpers
def _vector(a: ArrayLike, name: str, dtype: type | None = np.float64) -> NDArray:
    """Return ``a`` as a 1-D array (a scalar becomes length 1); reject ``ndim > 1``."""
    arr = np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _same_length(*pairs: tuple[str, NDArray]) -> None:
    sizes = {name: arr.shape[0] for name, arr in pairs}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"arrays must have equal lengths, got {sizes}")


def _index_vector(a: ArrayLike, name: str, n: int) -> NDArray[np.intp]:
    """Integer node indices in ``[0, n)`` (``ValueError`` otherwise)."""
    arr = _vector(a, name, dtype=None)
    if arr.size == 0:
        return arr.astype(np.intp)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer node indices, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"{name} holds node indices outside [0, {n})")
    return arr.astype(np.intp, copy=False)


def _is_constant(a: NDArray[np.float64]) -> bool:
    """True when all values are equal up to floating-point rounding of means."""
    lo, hi = float(a.min()), float(a.max())
    return hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi))


def _pearson(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Pearson correlation; ``nan`` for < 2 pairs, a constant side or non-finite data."""
    if a.size < 2 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return NAN
    if _is_constant(a) or _is_constant(b):
        return NAN
    da = a - a.mean()
    db = b - b.mean()
    r = float(da @ db) / float(np.sqrt(float(da @ da) * float(db @ db)))
    return float(min(1.0, max(-1.0, r)))


def _all_finite(x: NDArray[np.float64]) -> bool:
    return bool(np.isfinite(x).all())


# ------------------------------------------------------------------ distribution shape
def opinion_variance(x: ArrayLike) -> float:
    r"""Population variance of opinions.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions on ``[-1, 1]``.

    Returns
    -------
    float
        :math:`\sigma^2 = \frac1N\sum_i (x_i-\bar x)^2` (``ddof = 0``).

    Notes
    -----
    * Range: ``[0, 1]`` for opinions on ``[-1, 1]``; 1 when half the users sit at -1 and
      half at +1, 0 at consensus.
    * Edge cases: empty → ``nan``; one user → ``0.0``; all equal → ``0.0``.
    * NaN: any non-finite opinion → ``nan``.

    References
    ----------
    DiMaggio, P., Evans, J. & Bryson, B. (1996). Have Americans' social attitudes become
    more polarized? *American Journal of Sociology* 102(3), 690–755 (variance as the
    "dispersion" dimension of polarisation).
    """
    xv = _vector(x, "x")
    if xv.size == 0 or not _all_finite(xv):
        return NAN
    if _is_constant(xv):
        return 0.0
    return float(np.var(xv))


def bimodality_coefficient(x: ArrayLike) -> float:
    r"""Sarle's bimodality coefficient with sample (bias-corrected) moments.

    .. math::

        BC = \frac{g^2 + 1}{k + \dfrac{3(n-1)^2}{(n-2)(n-3)}}

    with the adjusted sample skewness
    :math:`g = \frac{\sqrt{n(n-1)}}{n-2}\, m_3/m_2^{3/2}` and the adjusted sample excess
    kurtosis :math:`k = \frac{n-1}{(n-2)(n-3)}\big[(n+1)(m_4/m_2^2 - 3) + 6\big]`, where
    :math:`m_r = \frac1n\sum (x_i-\bar x)^r` (the SAS / ``scipy.stats`` ``bias=False``
    definitions).

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.

    Returns
    -------
    float
        The coefficient. ``BC > 5/9 ≈ 0.555`` (the value of a uniform distribution)
        suggests bimodality.

    Notes
    -----
    * Range: ``(0, 1]`` as ``n → ∞`` (1 for two equal point masses); the small-sample
      corrections make values for small ``n`` differ (e.g. 12/35 for three users at -1
      and three at +1). The denominator is always positive for ``n ≥ 4``.
    * Edge cases: ``n < 4`` → ``nan``; zero variance (all equal opinions) → ``nan``.
    * NaN: any non-finite opinion → ``nan``.

    References
    ----------
    Pfister, R., Schwarz, K. A., Janczyk, M., Dale, R. & Freeman, J. B. (2013). Good
    things peak in pairs: a note on the bimodality coefficient. *Frontiers in
    Psychology* 4, 700. SAS Institute (1990), *SAS/STAT User's Guide*.
    """
    xv = _vector(x, "x")
    n = xv.size
    if n < 4 or not _all_finite(xv) or _is_constant(xv):
        return NAN
    d = xv - xv.mean()
    d2 = d * d
    m2 = float(d2.mean())
    m3 = float((d2 * d).mean())
    m4 = float((d2 * d2).mean())
    if m2 <= 0.0:
        return NAN
    g = np.sqrt(n * (n - 1.0)) / (n - 2.0) * m3 / m2**1.5
    k = (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * (m4 / m2**2 - 3.0) + 6.0)
    denom = k + 3.0 * (n - 1.0) ** 2 / ((n - 2.0) * (n - 3.0))
    return float((g * g + 1.0) / denom)


def esteban_ray(x: ArrayLike, bins: int = 20, alpha: float = 1.6) -> float:
    r"""Esteban–Ray polarisation index on a histogram of opinions.

    Opinions are clipped to ``[-1, 1]`` and binned into ``bins`` equal-width bins with
    shares :math:`\pi_i`. With the distance between bins measured in units of the
    span between the two outermost bin centres, :math:`d_{ij} = |i-j|/(B-1) \in [0,1]`,

    .. math::

        ER = 2^{1+\alpha}\sum_{i}\sum_{j} \pi_i^{1+\alpha}\, \pi_j\, d_{ij}.

    The constant :math:`K = 2^{1+\alpha}` normalises the index so that the *symmetric
    two-pole split* (half the users in the lowest bin, half in the highest) scores
    exactly 1.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions on ``[-1, 1]`` (values outside are clipped).
    bins : int, default 20
        Number of histogram bins (≥ 2). Twenty bins of width 0.1 resolve the clusters of
        bounded-confidence dynamics for tolerances ≥ 0.1 on the [-1, 1] scale.
    alpha : float, default 1.6
        Polarisation sensitivity α ≥ 0 (Esteban & Ray admit ``0 < α ≤ α* ≈ 1.6``;
        α = 0 gives the Gini mean difference).

    Returns
    -------
    float
        The normalised index.

    Notes
    -----
    * Range: ``[0, 1]`` for ``0 ≤ α ≤ 1.6`` (the two-pole split is the maximum; checked
      numerically for up to 20 bins); for much larger α an unequal two-pole split can
      exceed 1 (e.g. 4/3 at α = 3). 0 when all opinions fall in one bin.
    * Cost: ``O(N + B²)``.
    * Edge cases: empty → ``nan``; one user or all equal → ``0.0``.
    * NaN: any non-finite opinion → ``nan``.

    References
    ----------
    Esteban, J.-M. & Ray, D. (1994). On the measurement of polarization.
    *Econometrica* 62(4), 819–851.
    """
    if int(bins) != bins or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}")
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}")
    bins = int(bins)
    xv = _vector(x, "x")
    if xv.size == 0 or not _all_finite(xv):
        return NAN
    idx = np.floor((np.clip(xv, -1.0, 1.0) + 1.0) * (bins / 2.0)).astype(np.intp)
    np.clip(idx, 0, bins - 1, out=idx)  # x = +1 belongs to the last bin
    pi = np.bincount(idx, minlength=bins) / xv.size
    pos = np.arange(bins, dtype=np.float64)
    dist = np.abs(pos[:, None] - pos[None, :]) / (bins - 1)
    value = 2.0 ** (1.0 + alpha) * float(pi ** (1.0 + alpha) @ dist @ pi)
    return float(value)


def extreme_share(x: ArrayLike, threshold: float = 0.8) -> float:
    r"""Share of users with an extreme opinion, :math:`\frac1N\#\{i : |x_i| \ge \theta\}`.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions on ``[-1, 1]``.
    threshold : float, default 0.8
        θ; an opinion is extreme when ``|x| >= threshold``.

    Returns
    -------
    float
        Share in ``[0, 1]``.

    Notes
    -----
    * Edge cases: empty → ``nan``.
    * NaN: any non-finite opinion → ``nan``.

    References
    ----------
    Baumann, F., Lorenz-Spreen, P., Sokolov, I. M. & Starnini, M. (2020). Modeling echo
    chambers and polarization dynamics in social networks. *Physical Review Letters*
    124, 048301 (radicalisation as mass at extreme opinions).
    """
    xv = _vector(x, "x")
    if xv.size == 0 or not _all_finite(xv):
        return NAN
    return float(np.count_nonzero(np.abs(xv) >= threshold) / xv.size)


# ------------------------------------------------------------------------ group means
def group_mean_distance(
    x: ArrayLike,
    groups: ArrayLike,
    how: Literal["two_largest", "max_pairwise"] = "two_largest",
) -> float:
    r"""Distance between the mean opinions of groups.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.
    groups : array_like, shape (N,)
        Group label of each user (any sortable labels).
    how : {"two_largest", "max_pairwise"}, default "two_largest"
        ``"two_largest"``: :math:`|\bar x_A - \bar x_B|` for the two groups with the
        most members (ties broken by the smaller label). ``"max_pairwise"``: the largest
        distance between any two group means, :math:`\max_g \bar x_g - \min_g \bar x_g`.
        Both agree when there are exactly two groups.

    Returns
    -------
    float
        The distance, in ``[0, 2]`` for opinions on ``[-1, 1]``.

    Notes
    -----
    * Edge cases: empty or fewer than two groups → ``nan``.
    * NaN: any non-finite opinion → ``nan``.
    * Raises ``ValueError`` when ``x`` and ``groups`` differ in length.
    * Cost ``O(N)`` for small non-negative integer labels (the model's groups: counted
      and summed per label), else ``O(N log N)`` (``np.unique``); the same value either
      way.

    References
    ----------
    DiMaggio, P., Evans, J. & Bryson, B. (1996). *American Journal of Sociology* 102(3),
    690–755 ("bimodality"/group divergence); Baldassarri, D. & Gelman, A. (2008).
    Partisans without constraint. *American Journal of Sociology* 114(2), 408–446.
    """
    if how not in ("two_largest", "max_pairwise"):
        raise ValueError(f"how must be 'two_largest' or 'max_pairwise', got {how!r}")
    xv = _vector(x, "x")
    gv = _vector(groups, "groups", dtype=None)
    _same_length(("x", xv), ("groups", gv))
    if xv.size == 0 or not _all_finite(xv):
        return NAN
    top_label = int(gv.max()) if np.issubdtype(gv.dtype, np.integer) and gv.size else -1
    if top_label >= 0 and int(gv.min()) >= 0 and top_label <= max(gv.size, 1024):
        # small non-negative integer labels (the model's groups): count and sum per label
        # directly; each group's sum runs over its members in index order either way, so
        # the means are those of the np.unique form below bit for bit, without its sort
        size = top_label + 1
        counts = np.zeros(size, dtype=np.intp)
        sums = np.zeros(size)
        _label_sums(gv, xv, counts, sums)  # both bincounts in one pass, no intp copy
        present = counts > 0
        counts, sums = counts[present], sums[present]
        if counts.size < 2:
            return NAN
        means = sums / counts
    else:
        _, inverse, counts = np.unique(gv, return_inverse=True, return_counts=True)
        if counts.size < 2:
            return NAN
        means = np.bincount(inverse, weights=xv, minlength=counts.size) / counts
    if how == "max_pairwise":
        return float(means.max() - means.min())
    top = np.argsort(-counts, kind="stable")[:2]
    return float(abs(means[top[0]] - means[top[1]]))


@njit(cache=True)
def _label_sums(labels, x, counts, sums):  # pragma: no cover - jitted
    """counts[g] += 1 and sums[g] += x[i] for every ``i`` with ``labels[i] = g``, in index
    order: ``np.bincount(labels)`` and ``np.bincount(labels, weights=x)`` (each bin's sum
    in array order from 0.0, bit for bit) in one pass, for labels in ``[0, len(counts))``.
    """
    for i in range(labels.shape[0]):
        g = labels[i]
        counts[g] += 1
        sums[g] += x[i]


# ----------------------------------------------------------------------------- clusters
def cluster_sizes(x: ArrayLike, gap: float = DEFAULT_GAP) -> NDArray[np.int64]:
    """Sizes of opinion clusters, found by sorting and splitting at gaps larger than ``gap``.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions. Non-finite values are left out.
    gap : float, default 0.05
        Two neighbouring sorted opinions belong to different clusters when they differ
        by more than ``gap`` (on the scale of ``x``).

    Returns
    -------
    ndarray of int64
        Cluster sizes ordered by increasing opinion; empty for empty input.

    Notes
    -----
    Single-linkage clustering in one dimension: ``O(N log N)`` (one sort).

    References
    ----------
    Deffuant, G., Neau, D., Amblard, F. & Weisbuch, G. (2000). Mixing beliefs among
    interacting agents. *Advances in Complex Systems* 3, 87–98; Sîrbu, A. et al. (2019).
    *PLoS ONE* 14(3), e0213246.
    """
    xv = _vector(x, "x")
    xv = np.sort(xv[np.isfinite(xv)])
    if xv.size == 0:
        return np.zeros(0, dtype=np.int64)
    cuts = np.flatnonzero(np.diff(xv) > gap) + 1
    bounds = np.concatenate(([0], cuts, [xv.size]))
    return np.diff(bounds).astype(np.int64)


def opinion_clusters(x: ArrayLike, gap: float = DEFAULT_GAP) -> float:
    """Number of opinion clusters (sorted opinions split at gaps larger than ``gap``).

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.
    gap : float, default 0.05
        Splitting gap (see :func:`cluster_sizes`). Choose it below the tolerance of the
        dynamics (converged bounded-confidence clusters are > ε apart) and above the
        spread inside a converged cluster.

    Returns
    -------
    float
        Integer-valued count ``≥ 1``; ``0.0`` for empty input.

    Notes
    -----
    * NaN: any non-finite opinion → ``nan``.
    * Deffuant et al. (2000): on ``[0, 1]`` with μ = 0.5 the number of (major) final
      clusters is about ``⌊1/(2ε)⌋``; on feedlab's ``[-1, 1]`` scale ε doubles.

    References
    ----------
    Deffuant, G., Neau, D., Amblard, F. & Weisbuch, G. (2000). Mixing beliefs among
    interacting agents. *Advances in Complex Systems* 3, 87–98.
    """
    xv = _vector(x, "x")
    if not _all_finite(xv):
        return NAN
    return float(cluster_sizes(xv, gap).size)


def effective_clusters(x: ArrayLike, gap: float = DEFAULT_GAP) -> float:
    r"""Effective number of opinion clusters (participation ratio).

    .. math:: C = \frac{(\sum_k c_k)^2}{\sum_k c_k^2} = \frac{N^2}{\sum_k c_k^2}

    over the cluster sizes :math:`c_k` of :func:`cluster_sizes`.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.
    gap : float, default 0.05
        Splitting gap (see :func:`cluster_sizes`).

    Returns
    -------
    float
        ``C`` in ``[1, K]`` for ``K`` clusters; it discounts small clusters (two clusters
        of 90 % and 10 % give 1.22).

    Notes
    -----
    * Edge cases: empty → ``nan`` (0/0); one user or consensus → ``1.0``.
    * NaN: any non-finite opinion → ``nan``.

    References
    ----------
    Sîrbu, A., Pedreschi, D., Giannotti, F. & Kertész, J. (2019). Algorithmic bias
    amplifies opinion fragmentation and polarization: a bounded confidence model.
    *PLoS ONE* 14(3), e0213246.
    """
    xv = _vector(x, "x")
    if xv.size == 0 or not _all_finite(xv):
        return NAN
    c = cluster_sizes(xv, gap).astype(np.float64)
    return float(c.sum() ** 2 / float(c @ c))


def major_clusters(x: ArrayLike, gap: float = DEFAULT_GAP, min_share: float = 0.05) -> float:
    r"""Number of *major* opinion clusters: clusters holding at least ``min_share`` of users.

    Counts :math:`\#\{k : c_k \ge \text{min\_share}\cdot N\}` over the clusters of
    :func:`cluster_sizes`. Bounded-confidence dynamics leave a few tiny "minor" clusters
    near the extremes; the ``⌊1/(2ε)⌋`` law of Deffuant et al. refers to the major ones.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.
    gap : float, default 0.05
        Splitting gap (see :func:`cluster_sizes`).
    min_share : float, default 0.05
        Minimum share of all users for a cluster to count. Lower it for very small
        tolerances (with ``K`` clusters each holds roughly ``1/K`` of the users).

    Returns
    -------
    float
        Integer-valued count; ``0.0`` for empty input.

    Notes
    -----
    * NaN: any non-finite opinion → ``nan``.

    References
    ----------
    Deffuant, G., Neau, D., Amblard, F. & Weisbuch, G. (2000). *Advances in Complex
    Systems* 3, 87–98; Weisbuch, G., Deffuant, G., Amblard, F. & Nadal, J.-P. (2002).
    Meet, discuss and segregate! *Complexity* 7(3), 55–63 (major vs minor clusters).
    """
    xv = _vector(x, "x")
    if not _all_finite(xv):
        return NAN
    c = cluster_sizes(xv, gap)
    return float(np.count_nonzero(c >= min_share * xv.size)) if xv.size else 0.0


# ---------------------------------------------------------------- network correlation
def echo_chamber_index(x: ArrayLike, indptr: ArrayLike, indices: ArrayLike) -> float:
    r"""Correlation between a user's opinion and the mean opinion of the accounts it follows.

    For each user ``i`` with at least one followee,
    :math:`\bar x_{N(i)} = \frac{1}{|N(i)|}\sum_{j \in N(i)} x_j` with
    :math:`N(i) =` ``indices[indptr[i]:indptr[i+1]]``; the index is the Pearson
    correlation of :math:`x_i` and :math:`\bar x_{N(i)}` over those users.

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.
    indptr : array_like of int, shape (N + 1,)
        CSR row pointer of the follow graph (``indptr[0] == 0``, non-decreasing,
        ``indptr[-1] == len(indices)``).
    indices : array_like of int, shape (E,)
        Followee ids in ``[0, N)``. Duplicates count with multiplicity.

    Returns
    -------
    float
        Correlation in ``[-1, 1]``; high values mean users follow like-minded accounts.

    Notes
    -----
    * Cost ``O(N + E)``: one pass over the edges (a Numba kernel; rows shared out over
      ``platform.threads`` threads, the same result at any count) and no per-edge
      temporary, so the live record stays cheap at 10⁶ users and 2·10⁷ edges. The
      correlation itself is :func:`_pearson`'s on the per-user arrays.
    * Edge cases: fewer than two users with followees (incl. no edges) → ``nan``; zero
      variance of either own or neighbourhood-mean opinions (e.g. all equal) → ``nan``.
    * NaN: any non-finite opinion → ``nan``.
    * Raises ``ValueError`` for a malformed CSR (wrong ``indptr`` length, decreasing
      pointers, indices out of range).

    References
    ----------
    Cinelli, M., De Francisci Morales, G., Galeazzi, A., Quattrociocchi, W. & Starnini, M.
    (2021). The echo chamber effect on social media. *PNAS* 118(9), e2023301118.
    """
    xv = _vector(x, "x")
    n = xv.size
    ip = _vector(indptr, "indptr", dtype=None)
    if ip.size != n + 1:
        raise ValueError(f"indptr must have length len(x) + 1 = {n + 1}, got {ip.size}")
    if not np.issubdtype(ip.dtype, np.integer):
        raise ValueError(f"indptr must be integer, got dtype {ip.dtype}")
    ip = ip.astype(np.int64, copy=False)
    ind = _vector(indices, "indices", dtype=None)
    deg = np.diff(ip)
    if ip[0] != 0 or ip[-1] != ind.size or np.any(deg < 0):
        raise ValueError("indptr must start at 0, be non-decreasing and end at len(indices)")
    if ind.size and not np.issubdtype(ind.dtype, np.integer):
        raise ValueError(f"indices must hold integer node indices, got dtype {ind.dtype}")
    # one pass over the edges, no edge-sized temporary (the indices keep their dtype)
    means = np.empty(n)
    bad = threaded(_neighbour_means)(xv, ip, ind if ind.size else ind.astype(np.intp), means)
    if bad:
        raise ValueError(f"indices holds node indices outside [0, {n})")
    if n == 0 or not _all_finite(xv):
        return NAN
    has = deg > 0
    if has.all():  # everyone follows someone (the model's graphs): no copies needed
        return _pearson(xv, means)
    return _pearson(xv[has], means[has])


@njit(cache=True)
def _neighbour_means(x, indptr, indices, out):  # pragma: no cover - jitted
    """``out[i]`` = the mean of ``x`` over ``indices[indptr[i]:indptr[i + 1]]`` (``nan``
    for an empty row) for :func:`echo_chamber_index`; returns how many indices fall
    outside ``[0, len(x))`` (their rows get ``nan``).

    Each row's sum runs in edge order from 0.0 and is then divided by the row's length,
    the arithmetic of ``np.bincount(owner, weights=x[indices]) / degree`` (bincount adds
    each weight to its bin in array order), so the means are those bit for bit. Rows are
    independent (``prange``; the same result at any thread count).
    """
    n = x.shape[0]
    bad = 0
    for i in prange(n):
        a, b = indptr[i], indptr[i + 1]
        s = 0.0
        ok = True
        # unsigned bounds: Numba then drops its wraparound of negative edge indices
        # (``a >= 0`` once the caller has checked ``indptr``)
        for e in range(np.uint64(a), np.uint64(b)):
            j = indices[e]
            if j < 0 or j >= n:
                ok = False
            else:
                s += x[j]
        if not ok:
            bad += 1
            out[i] = np.nan
        elif b > a:
            out[i] = s / (b - a)
        else:
            out[i] = np.nan
    return bad


def opinion_assortativity(
    x: ArrayLike, src: ArrayLike, dst: ArrayLike, directed: bool = True
) -> float:
    r"""Opinion assortativity: Pearson correlation of opinions at the two ends of edges.

    .. math:: r = \operatorname{corr}\big(x_{src(e)},\, x_{dst(e)}\big)_{e \in E}

    Parameters
    ----------
    x : array_like, shape (N,)
        Opinions.
    src, dst : array_like of int, shape (E,)
        Edge end points (``src`` follows ``dst``).
    directed : bool, default True
        If False, each edge is counted in both directions (Newman's symmetric form for
        undirected graphs), which makes ``r`` symmetric in the two ends.

    Returns
    -------
    float
        ``r`` in ``[-1, 1]``; positive when connected users hold similar opinions.

    Notes
    -----
    * Edge cases: fewer than two edges (incl. no edges) → ``nan``; zero variance at
      either end (e.g. all equal opinions) → ``nan``.
    * NaN: a non-finite opinion at an edge end → ``nan``.
    * Raises ``ValueError`` when ``src`` and ``dst`` differ in length or hold indices
      outside ``[0, N)``.

    References
    ----------
    Newman, M. E. J. (2003). Mixing patterns in networks. *Physical Review E* 67,
    026126.
    """
    xv = _vector(x, "x")
    s = _vector(src, "src", dtype=None)
    d = _vector(dst, "dst", dtype=None)
    _same_length(("src", s), ("dst", d))
    s = _index_vector(s, "src", xv.size)
    d = _index_vector(d, "dst", xv.size)
    a, b = xv[s], xv[d]
    if not directed:
        a, b = np.concatenate((a, b)), np.concatenate((b, a))
    return _pearson(a, b)


def ei_index(
    groups: ArrayLike,
    src: ArrayLike,
    dst: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    r"""Krackhardt–Stern E–I index of interactions.

    .. math:: EI = \frac{E - I}{E + I}

    where ``E`` is the (weighted) number of interactions between users of different
    groups and ``I`` the number within a group.

    Parameters
    ----------
    groups : array_like, shape (N,)
        Group label per user.
    src, dst : array_like of int, shape (E,)
        Interactions (follows, comments, reshares, ...) from ``src`` to ``dst``.
    weights : array_like, shape (E,), optional
        Non-negative interaction weights (e.g. counts or trust); default 1 each.

    Returns
    -------
    float
        ``EI`` in ``[-1, 1]``: -1 all interactions inside groups (homophily), +1 all
        across groups.

    Notes
    -----
    * Edge cases: no interactions, or total weight 0 → ``nan``.
    * NaN: a non-finite weight → ``nan``.
    * Raises ``ValueError`` for mismatched lengths or indices outside ``[0, N)``.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises: an
    experimental simulation. *Social Psychology Quarterly* 51(2), 123–140.
    """
    gv = _vector(groups, "groups", dtype=None)
    s = _vector(src, "src", dtype=None)
    d = _vector(dst, "dst", dtype=None)
    _same_length(("src", s), ("dst", d))
    s = _index_vector(s, "src", gv.size)
    d = _index_vector(d, "dst", gv.size)
    external = gv[s] != gv[d]
    if weights is None:
        total = float(s.size)
        ext = float(np.count_nonzero(external))
    else:
        w = _vector(weights, "weights")
        _same_length(("src", s), ("weights", w))
        total = float(w.sum())
        ext = float(w[external].sum())
    if not np.isfinite(total) or total <= 0.0:
        return NAN
    internal = total - ext
    return float((ext - internal) / total)


def cross_cutting_share(viewer_group: ArrayLike, author_group: ArrayLike) -> float:
    r"""Share of feed impressions whose author belongs to another group than the viewer.

    .. math:: CC = \frac{1}{M}\sum_{m=1}^{M} \mathbf 1[g_{viewer(m)} \ne g_{author(m)}]

    over the ``M`` impressions (one entry per item shown in a feed).

    Parameters
    ----------
    viewer_group, author_group : array_like, shape (M,)
        Group label of the viewer and of the author of each impression.

    Returns
    -------
    float
        Share in ``[0, 1]``. Bakshy et al. report ≈ 0.29 of hard news shared by friends
        as cross-cutting, cut by ≈ 15 % by the ranking.

    Notes
    -----
    * Edge cases: no impressions → ``nan``.
    * Raises ``ValueError`` when the two arrays differ in length.

    References
    ----------
    Bakshy, E., Messing, S. & Adamic, L. A. (2015). Exposure to ideologically diverse
    news and opinion on Facebook. *Science* 348(6239), 1130–1132.
    """
    v = _vector(viewer_group, "viewer_group", dtype=None)
    a = _vector(author_group, "author_group", dtype=None)
    _same_length(("viewer_group", v), ("author_group", a))
    if v.size == 0:
        return NAN
    return float(np.count_nonzero(v != a) / v.size)
