"""Hot kernels compiled with Numba (cached); pure NumPy/Python when the JIT is off.

Set ``NUMBA_DISABLE_JIT=1`` to run them as plain Python (the test suite runs a small
model both ways and checks identical results). Kernels take every random number as an
argument, pre-drawn from the model's NumPy ``Generator``, so they use no RNG of their own
and results do not depend on the JIT.
"""

from __future__ import annotations

import numpy as np

try:  # Numba is a core dependency; the fallback only keeps a broken install usable.
    from numba import njit
except ImportError:  # pragma: no cover

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        if args and callable(args[0]):
            return args[0]
        return lambda f: f


@njit(cache=True)
def _topk_fill(score, tiebreak, ptr, kk, out_ptr, out):  # pragma: no cover - jitted
    """Per segment, keep the best ``kk[s]`` items in a small sorted buffer (insertion),
    O(m·log k)-ish in practice and allocation-free; order: score desc, tiebreak desc."""
    n = ptr.shape[0] - 1
    kmax = 0
    for s in range(n):
        if kk[s] > kmax:
            kmax = kk[s]
    bs = np.empty(kmax + 1)
    bt = np.empty(kmax + 1)
    bi = np.empty(kmax + 1, dtype=np.int64)
    for s in range(n):
        take = kk[s]
        if take == 0:
            continue
        a = ptr[s]
        b = ptr[s + 1]
        filled = 0
        for j in range(a, b):
            sc = score[j]
            tb = tiebreak[j]
            if filled == take:
                last = filled - 1
                if sc < bs[last] or (sc == bs[last] and tb <= bt[last]):
                    continue
                pos = last
            else:
                pos = filled
                filled += 1
            # shift worse items down and insert
            while pos > 0 and (sc > bs[pos - 1] or (sc == bs[pos - 1] and tb > bt[pos - 1])):
                bs[pos] = bs[pos - 1]
                bt[pos] = bt[pos - 1]
                bi[pos] = bi[pos - 1]
                pos -= 1
            bs[pos] = sc
            bt[pos] = tb
            bi[pos] = j
        o = out_ptr[s]
        for j in range(take):
            out[o + j] = bi[j]


@njit(cache=True)
def reaction_probabilities(
    viewer,
    slot,
    edge,
    opinion,
    susceptibility,
    stance,
    outrage,
    quality,
    seen_sponsored,
    edge_trust,
    stranger,
    coef,
    offset,
    noise,
    z,
    out,
):  # pragma: no cover - jitted
    """Action probabilities for many (viewer, post) pairs in one pass.

    For pair ``m`` the four action log-odds of :mod:`agents.rules.reaction` are computed
    from the gathered features (``seen_sponsored`` is per pair), shifted by
    ``offset[m]`` (or by its single row when it has one row: the ranker's per-action bias)
    and by ``noise·z[m]`` (one shared prediction error per pair; ``noise = 0`` for the
    true probabilities), and mapped through the logistic function into ``out[m, :]``.
    ``coef`` is (4, 7): intercept, agreement, outrage, aversion, trust, quality,
    sponsorship. The NumPy reference is ``reaction.logits``; a test checks they agree.
    """
    per_pair = offset.shape[0] > 1
    for m in range(viewer.shape[0]):
        v = viewer[m]
        p = slot[m]
        e = edge[m]
        a = 1.0 - abs(opinion[v] - stance[p])
        s = susceptibility[v]
        o = outrage[p]
        tr = edge_trust[e] if e >= 0 else stranger
        zz = 1.0 if seen_sponsored[m] else 0.0
        err = noise * z[m] if noise > 0.0 else 0.0
        r = m if per_pair else 0
        for c in range(4):
            lg = (
                coef[c, 0]
                + coef[c, 1] * a
                + coef[c, 2] * s * o
                + coef[c, 3] * (1.0 - s) * o
                + coef[c, 4] * (tr - 0.5)
                + coef[c, 5] * (quality[p] - 0.5)
                + coef[c, 6] * zz
                + offset[r, c]
                + err
            )
            out[m, c] = 1.0 / (1.0 + np.exp(-lg))


def segmented_topk(
    score: np.ndarray, tiebreak: np.ndarray, ptr: np.ndarray, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k[s]`` items of each segment ``ptr[s]:ptr[s+1]`` by score (descending).

    Ties are broken by ``tiebreak`` (pass uniform random numbers for a random order).
    Returns ``(selected, out_ptr)``: indices into the input, grouped by segment in rank
    order, and the segment pointers of the selection. O(M log m) for segments of size m.
    """
    sizes = np.diff(ptr)
    kk = np.minimum(np.asarray(k, dtype=np.int64), sizes).astype(np.int64)
    out_ptr = np.zeros(kk.shape[0] + 1, dtype=np.int64)
    np.cumsum(kk, out=out_ptr[1:])
    out = np.empty(int(out_ptr[-1]), dtype=np.int64)
    _topk_fill(
        np.ascontiguousarray(score, dtype=np.float64),
        np.ascontiguousarray(tiebreak, dtype=np.float64),
        np.ascontiguousarray(ptr, dtype=np.int64),
        kk,
        out_ptr,
        out,
    )
    return out, out_ptr


@njit(cache=True)
def pairwise_bounded_confidence(
    x, indptr, indices, eps, mu, gamma, floor, symmetric, initiators, u
):  # pragma: no cover - jitted
    """Sequential Deffuant–Weisbuch / algorithmic-bias interactions, in place.

    For each elementary step ``t``: initiator ``i = initiators[t]`` picks a neighbour
    ``j`` with probability ∝ max(|x_i − x_j|, floor)^(−γ) (γ = 0: uniform; Sîrbu et al.
    2019, PLoS ONE 14:e0213246) using the uniform number ``u[t]``; if ``|x_i − x_j| < ε``
    the initiator (and, if ``symmetric``, the partner, with its own ε and μ) moves by μ
    toward the other (Deffuant et al. 2000). Returns the number of interactions that
    had a partner (initiators without neighbours are skipped).
    """
    done = 0
    maxdeg = 0
    for v in range(indptr.shape[0] - 1):
        if indptr[v + 1] - indptr[v] > maxdeg:
            maxdeg = indptr[v + 1] - indptr[v]
    w = np.empty(max(maxdeg, 1))
    for t in range(initiators.shape[0]):
        i = initiators[t]
        a = indptr[i]
        b = indptr[i + 1]
        deg = b - a
        if deg == 0:
            continue
        if gamma == 0.0:
            pick = int(u[t] * deg)
            if pick >= deg:
                pick = deg - 1
            j = indices[a + pick]
        else:
            # weights once per neighbour; exact fast paths for the common γ = 1 and 2
            total = 0.0
            xi = x[i]
            for e in range(deg):
                d = abs(x[indices[a + e]] - xi)
                if d < floor:
                    d = floor
                if gamma == 1.0:
                    we = 1.0 / d
                elif gamma == 2.0:
                    we = 1.0 / (d * d)
                else:
                    we = d ** (-gamma)
                w[e] = we
                total += we
            target = u[t] * total
            acc = 0.0
            j = indices[b - 1]
            for e in range(deg):
                acc += w[e]
                if acc > target:
                    j = indices[a + e]
                    break
        diff = x[j] - x[i]
        ad = abs(diff)
        if ad < eps[i]:
            x[i] += mu[i] * diff
        if symmetric and ad < eps[j]:
            x[j] -= mu[j] * diff
        done += 1
    return done
