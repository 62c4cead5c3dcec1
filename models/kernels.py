"""Hot kernels compiled with Numba (cached); pure NumPy/Python when the JIT is off.

Set ``NUMBA_DISABLE_JIT=1`` to run them as plain Python (the test suite runs a small
model both ways and checks identical results). Kernels take every random number as an
argument, pre-drawn from the model's NumPy ``Generator``, so they use no RNG of their own
and results do not depend on the JIT.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import types
from pathlib import Path

import numpy as np


def _source_digest(root: Path) -> str:
    """A digest of every ``.py`` file under ``root`` (names and contents)."""
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


try:  # Numba is a core dependency; the fallback only keeps a broken install usable.
    import numba
    from numba import njit, prange

    # Numba's on-disk cache checks only the file of the cached function itself, so a
    # kernel that inlines a helper from another file (``tie_value`` in the diversity
    # ranker, say) would keep running the old helper after an update. Keying the cache
    # directory on the source of the whole package makes every change start a fresh
    # cache (and removes the caches of earlier versions). A user's own NUMBA_CACHE_DIR
    # is respected.
    if not os.environ.get("NUMBA_CACHE_DIR"):
        _pkg = Path(__file__).resolve().parent
        _cache = _pkg / "__pycache__" / f"numba-{_source_digest(_pkg)}"
        for _old in _cache.parent.glob("numba-*"):
            if _old != _cache:
                shutil.rmtree(_old, ignore_errors=True)
        # numba.config creates its options at import time from the environment; its
        # stubs do not declare them
        numba.config.CACHE_DIR = str(_cache)  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        """Stand-in for ``numba.njit`` without Numba: the kernels run as plain Python
        (much slower). Works bare (``@njit``) and with options (``@njit(...)``).
        """
        if args and callable(args[0]):
            return args[0]
        return lambda f: f

    prange = range  # type: ignore[misc,assignment]


#: Threads the hot kernels may use (``platform.threads``; :func:`set_threads`).
_threads = 1
#: serial kernel -> its parallel twin, compiled on first use (:func:`threaded`)
_parallel: dict[object, object] = {}


def set_threads(n: int) -> None:
    """Run the kernels that :func:`threaded` selects on ``n`` threads (1 = serial).

    Only kernels whose results cannot depend on the schedule have parallel twins:
    per-item or per-segment loops (``prange``) in which every iteration writes only its
    own outputs and reads nothing another iteration writes, so a run is bit-identical
    at any thread count. ``n`` above Numba's pool (``NUMBA_NUM_THREADS``, default the
    number of cores) is an error.
    """
    global _threads
    n = int(n)
    if n > 1:
        numba.set_num_threads(n)  # per calling thread
    _threads = n


def threaded(kernel):
    """``kernel``, or with more than one thread (:func:`set_threads`) its parallel twin:
    the same Python source compiled with ``parallel=True`` (its ``prange`` loops shared
    out over the threads), cached on disk under its own name.
    """
    if _threads <= 1 or not hasattr(kernel, "py_func"):
        return kernel
    twin = _parallel.get(kernel)
    if twin is None:
        py = kernel.py_func
        clone = types.FunctionType(
            py.__code__, py.__globals__, py.__name__ + "_parallel", py.__defaults__, py.__closure__
        )
        clone.__qualname__ = py.__qualname__ + "_parallel"
        clone.__doc__ = py.__doc__
        options = {
            k: v for k, v in kernel.targetoptions.items() if k not in ("parallel", "nopython")
        }
        options["cache"] = True
        twin = njit(parallel=True, **options)(clone)
        _parallel[kernel] = twin
    return twin


def thread_count() -> int:
    """The number of threads :func:`set_threads` set (1: the serial kernels run)."""
    return _threads


#: Per-segment kernels split their segments into this many chunks (each with its own
#: scratch buffers), the units the threads share out (``platform.threads``); a fixed
#: number, so the work and its results do not depend on the thread count.
CHUNKS = 256
# A loop over a chunk's span takes unsigned bounds, ``range(np.uint64(lo), np.uint64(hi))``:
# with signed bounds read from memory Numba cannot tell the index is ≥ 0 and wraps each
# array access for negative indices, which also stops LLVM vectorising (measured ~3×
# slower on a simple pass). Such an index is only used to index (uint64 mixed with
# int64 in arithmetic would give float64).
#: Fused kernels work through their segments in blocks of about this many pairs, small
#: enough that the block's temporaries stay in cache, long enough to vectorise.
BLOCK = 2048

#: Prefilter a viewer's candidates when they outnumber the feed by at least this factor
#: (below it few candidates can be dropped and the threshold pass does not pay off).
_PREFILTER_RATIO = 3


@njit(cache=True, inline="always")
def block_threshold(score, a, b, take):  # pragma: no cover - jitted
    """τ = the smallest of the maxima of ``take`` disjoint blocks of ``score[a:b]``
    (``take ≤ b − a``). Those maxima are ``take`` distinct items scoring ≥ τ, so the
    ``take``-th best score of the segment is ≥ τ: items below τ cannot make its top.
    """
    q = (b - a) // take
    tau = np.inf
    for g in range(take):
        lo = a + g * q
        hi = lo + q if g < take - 1 else b
        mx = score[lo]
        for j in range(lo + 1, hi):
            mx = max(mx, score[j])
        tau = min(tau, mx)
    return tau


@njit(cache=True, inline="always")
def _top_of_segment(score, a, b, take, key, off, bs, bt, bi, keep):  # pragma: no cover
    """The best ``take`` items of ``score[a:b]`` in order into ``bi[:take]`` (item ``j``
    is numbered ``j + off``, the number its tie value is hashed from): score descending,
    then :func:`tie_value` descending, then number ascending. ``bs``, ``bt`` (``take + 1``
    long) and ``keep`` (``b - a`` long) are scratch. See
    :func:`feedlab.models.rank_kernels.segmented_topk`.
    """
    filtered = b - a >= _PREFILTER_RATIO * take
    w = b - a
    if filtered:
        tau = block_threshold(score, a, b, take)
        w = 0
        for j in range(a, b):
            keep[w] = j
            w += score[j] >= tau
    filled = 0
    for r in range(w):
        j = keep[r] if filtered else a + r
        sc = score[j]
        if filled == take:
            last = take - 1
            if sc < bs[last]:
                continue
            tb = tie_value(key, j + off)
            if sc == bs[last] and tb <= bt[last]:  # a full tie keeps the earlier item
                continue
            pos = last
        else:
            tb = tie_value(key, j + off)
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
        bi[pos] = j + off


@njit(cache=True, inline="always")
def _logit(coef, c, a, so, ao, tr, qc, zz):  # pragma: no cover - jitted
    """Action ``c``'s log-odds from centred features (``feedlab.agents.rules.reaction``)."""
    return (
        coef[c, 0]
        + coef[c, 1] * a
        + coef[c, 2] * so
        + coef[c, 3] * ao
        + coef[c, 4] * tr
        + coef[c, 5] * qc
        + coef[c, 6] * zz
    )


@njit(cache=True, inline="always")
def _pair_features(
    v, p, e, opinion, susceptibility, stance, outrage, quality, edge_trust, stranger
):  # pragma: no cover - jitted
    """The centred features of viewer ``v`` and the post in slot ``p`` seen through edge
    ``e`` (``-1``: a stranger) that the reaction log-odds use (:func:`_logit`):
    agreement, outrage × susceptibility, outrage × (1 − susceptibility), trust − ½ and
    quality − ½. Shared by the true reactions and the platform's predictions.
    """
    a = 1.0 - abs(opinion[v] - stance[p])
    s = susceptibility[v]
    o = outrage[p]
    tr = (edge_trust[e] if e >= 0 else stranger) - 0.5
    return a, s * o, (1.0 - s) * o, tr, quality[p] - 0.5


@njit(cache=True, error_model="numpy")
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
    out,
):  # pragma: no cover - jitted
    """The true action probabilities of many (viewer, post) pairs in one pass.

    For pair ``m`` the four action log-odds of :mod:`feedlab.agents.rules.reaction` are computed
    from the gathered features (``seen_sponsored`` is per pair), shifted by
    ``offset[m]`` (or by its single row when it has one row, e.g. zeros; extensions such
    as transparency labels shift single items), and mapped through the logistic function
    (:func:`sigmoid_inplace`) into ``out[m, :]`` (C-contiguous). ``coef`` is (4, 7): intercept, agreement, outrage, aversion,
    trust, quality, sponsorship. The NumPy reference is ``reaction.logits``; a test checks
    they agree. The platform's *predictions* are :func:`prediction_logits`.
    """
    stride = 1 if offset.shape[0] > 1 else 0  # one offset row per pair, or one for all
    for m in prange(viewer.shape[0]):
        a, so, ao, tr, qc = _pair_features(
            viewer[m],
            slot[m],
            edge[m],
            opinion,
            susceptibility,
            stance,
            outrage,
            quality,
            edge_trust,
            stranger,
        )
        zz = 1.0 if seen_sponsored[m] else 0.0
        r = m * stride
        for c in range(4):
            out[m, c] = _logit(coef, c, a, so, ao, tr, qc, zz) + offset[r, c]
    sigmoid_inplace(out.reshape(out.size))  # a separate pass, so that it vectorises


@njit(cache=True)
def gather_into(src, idx, out):  # pragma: no cover - jitted
    """out[m] = src[idx[m]] (``numpy.take`` into a given array, without its buffering)."""
    for m in range(idx.shape[0]):
        out[m] = src[idx[m]]


@njit(cache=True)
def segment_ids(ids, ptr, out):  # pragma: no cover - jitted
    """out[ptr[s]:ptr[s + 1]] = ids[s] (``numpy.repeat(ids, diff(ptr))`` into ``out``)."""
    for s in range(ids.shape[0]):
        v = ids[s]
        for m in range(ptr[s], ptr[s + 1]):
            out[m] = v


@njit(cache=True)
def expand_follow_edges(
    indices, src, author_ptr, by_author, slot, viewer, edge
):  # pragma: no cover
    """The in-network candidates in one pass: for each follow edge ``e`` (in edge order,
    so grouped by viewer), every recent post of its followee ``indices[e]``
    (``by_author[author_ptr[a]:author_ptr[a + 1]]``) becomes a pair (``slot``, viewer
    ``src[e]``, ``edge`` e). Equal to the ``numpy.repeat`` construction, without its
    temporaries.
    """
    o = 0
    for e in range(indices.shape[0]):
        a = indices[e]
        v = src[e]
        for q in range(author_ptr[a], author_ptr[a + 1]):
            slot[o] = by_author[q]
            viewer[o] = v
            edge[o] = e
            o += 1


@njit(cache=True)
def stable_group_order(keys, n, out):  # pragma: no cover - jitted
    """Out = the stable order that groups ``keys`` (integers in [0, n)) ascending: a
    counting sort, O(M + n) (``numpy.argsort(keys, kind="stable")``, without the
    comparison sort).
    """
    start = np.zeros(n + 1, dtype=np.int64)
    for m in range(keys.shape[0]):
        start[keys[m] + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    for m in range(keys.shape[0]):
        k = keys[m]
        out[start[k]] = m
        start[k] += 1


@njit(cache=True)
def count_reactions(
    origin, group, r, impressions, likes, comments, shares, negfb, imp_by_group, likes_by_group
):  # pragma: no cover - jitted
    """Add one step's feed to the post counters, in place: for feed item ``m`` shown to a
    viewer of group ``group[m]``, the original post ``origin[m]`` gains an impression
    (total and in that group) and its reactions ``r[m]`` (like, comment, share, negfb;
    likes also per group). One pass; equal to ``np.bincount`` per counter.
    """
    for m in range(origin.shape[0]):
        o = origin[m]
        g = group[m]
        impressions[o] += 1
        imp_by_group[o, g] += 1
        if r[m, 0]:
            likes[o] += 1
            likes_by_group[o, g] += 1
        if r[m, 1]:
            comments[o] += 1
        if r[m, 2]:
            shares[o] += 1
        if r[m, 3]:
            negfb[o] += 1


@njit(cache=True)
def origin_slot_table(origin, post_id, capacity, out):  # pragma: no cover - jitted
    """out[s] = slot of the original of the record in slot ``s`` of the ring buffer, or
    ``s`` itself when the record is an original or its original has been evicted (one
    pass over the buffer; per pair it is then a plain gather, which avoids an integer
    division per candidate).
    """
    for s in range(capacity):
        o = origin[s]
        if o >= 0:
            so = o % capacity
            out[s] = so if post_id[so] == o else s
        else:
            out[s] = s


@njit(cache=True)
def reached_by_class(viewer, bits, n, arm, n_arms, out):  # pragma: no cover - jitted
    """Users reached by each content class: ``out[a, c]`` = number of users of arm ``a``
    with at least one item whose ``bits`` has bit ``c`` set (``bits`` per feed item,
    uint64, at most 64 classes). One pass over the items and one over the users.
    """
    seen = np.zeros(n, dtype=np.uint64)
    for m in range(viewer.shape[0]):
        seen[viewer[m]] |= bits[m]
    nc = out.shape[1]
    for i in range(n):
        b = seen[i]
        if b:
            a = arm[i] if n_arms > 1 else 0
            for c in range(nc):
                if (b >> np.uint64(c)) & np.uint64(1):
                    out[a, c] += 1


@njit(cache=True)
def unseen_pairs(viewers, ptr, origin_id, seen_ptr, seen_ids, keep):  # pragma: no cover
    """keep[m] = False where pair ``m``'s original post id is among the ids its viewer
    has already been shown (``seen_ids[seen_ptr[v]:seen_ptr[v + 1]]``, a few feeds' worth
    per viewer, scanned linearly).
    """
    for s in range(viewers.shape[0]):
        v = viewers[s]
        a = seen_ptr[v]
        b = seen_ptr[v + 1]
        for m in range(ptr[s], ptr[s + 1]):
            o = origin_id[m]
            k = True
            for j in range(a, b):
                if seen_ids[j] == o:
                    k = False
                    break
            keep[m] = k


# ------------------------------------------------------------ the platform's predictor
_M32 = np.uint64(0xFFFFFFFF)
_S15 = np.uint64(15)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_H1 = np.uint64(0x7FEB352D)
_H2 = np.uint64(0x846CA68B)
_LOW16 = np.uint64(0xFFFF)
#: Irwin–Hall with 8 uniforms: mean 4, variance 8/12 (normalised below).
_IH_SCALE = 1.0 / np.sqrt(8.0 / 12.0)
#: 1/c! for c = 0..13 (the Taylor coefficients of the exponential).
_INV_FACTORIAL = np.array([1.0 / float(np.prod(np.arange(1, c + 1))) for c in range(14)])


@njit(cache=True, inline="always")
def _mix32(h):  # pragma: no cover - jitted
    """Wellons' ``lowbias32`` integer hash of a 32-bit value held in a uint64.

    Every product is below 2**64 (a 32-bit value times a 32-bit constant), so the
    arithmetic is exact in NumPy scalars too and the JIT on and off agree bit for bit.
    """
    h ^= h >> _S16
    h = (h * _H1) & _M32
    h ^= h >> _S15
    h = (h * _H2) & _M32
    h ^= h >> _S16
    return h


_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLD64 = np.uint64(0x9E3779B97F4A7C15)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S48 = np.uint64(48)


@njit(cache=True, inline="always")
def _mix64(z):  # pragma: no cover - jitted
    """The splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit hash.
    Products wrap modulo 2**64 (NumPy scalars warn about it when the JIT is off;
    :func:`pair_noise`'s callers silence that).
    """
    z = (z ^ (z >> _S30)) * _C1
    z = (z ^ (z >> _S27)) * _C2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _sum4x16(h):  # pragma: no cover - jitted
    """The sum of the four 16-bit words of ``h``."""
    return (
        np.int64(h & _LOW16)
        + np.int64((h >> _S16) & _LOW16)
        + np.int64((h >> _S32) & _LOW16)
        + np.int64(h >> _S48)
    )


@njit(cache=True, inline="always")
def pair_normal(key, viewer, post_id):  # pragma: no cover - jitted
    """A standard-normal variate that is a fixed function of (key, viewer, post id).

    Counter-based (no generator state): the key comes from the run's ``prediction``
    stream, and the platform's error for a (viewer, post) pair is the same whenever and
    in whichever batch the pair is scored — as a trained model's error would be. Two
    rounds of :func:`_mix64` hash the pair, a third extends it to 128 bits; the variate
    is the Irwin–Hall sum of their eight 16-bit words, standardised: mean 0, variance 1,
    excess kurtosis −0.15, bounded at ±4.9 (a normal draw beyond that has probability
    1e-6).
    """
    return pair_normal_of(viewer_hash(key, viewer), post_id)


@njit(cache=True, inline="always")
def viewer_hash(key, viewer):  # pragma: no cover - jitted
    """The first round of :func:`pair_normal`'s hash, which depends on the viewer only:
    a kernel scoring a viewer's candidates computes it once per viewer.
    """
    return _mix64(key ^ (np.uint64(viewer) * _GOLD64))


@njit(cache=True, inline="always")
def pair_normal_of(hv, post_id):  # pragma: no cover - jitted
    """:func:`pair_normal` from the viewer's :func:`viewer_hash` ``hv`` (the same bits)."""
    h = _mix64(hv ^ np.uint64(post_id))
    acc = _sum4x16(h) + _sum4x16(_mix64(h + _GOLD64))
    # each 16-bit value + 0.5 over 65536 is uniform on (0, 1)
    return ((float(acc) + 4.0) / 65536.0 - 4.0) * _IH_SCALE


@njit(cache=True, error_model="numpy")
def pair_noise(key, viewer, post_id, scale, out):  # pragma: no cover - jitted
    """out[m] = scale · :func:`pair_normal` (key, viewer[m], post_id[m]).

    A separate pass over contiguous arrays so that LLVM vectorises the hash (inside a
    loop with random post lookups it does not, at ~10× the cost).
    """
    for m in prange(viewer.shape[0]):
        out[m] = scale * pair_normal(key, viewer[m], post_id[m])


@njit(cache=True, error_model="numpy")
def prediction_logits(
    viewer,
    slot,
    edge,
    opinion,
    susceptibility,
    stance,
    outrage,
    quality,
    sponsored,
    disclosed,
    edge_trust,
    stranger,
    coef,
    bias,
    need,
    err,
    out,
):  # pragma: no cover - jitted
    """The ranker's log-odds of the actions with ``need[c]`` for many pairs: ``out[c, m]``
    (rows of actions not needed are left untouched).

    The same linear predictor as :func:`reaction_probabilities` (the platform's model
    is the true model), plus the per-action ``bias`` and the pair's error ``err[m]``
    (from :func:`pair_noise`; pass an empty array for none), shared by its actions.
    Only the actions a policy asks for are computed (an engagement ranker does not
    need negative feedback; a quality ranker needs only likes); the four actions are
    written out one by one (no loop over a list of actions) because that runs ~25 %
    faster. Apply :func:`sigmoid_inplace` to each row to get probabilities.
    """
    has_err = err.shape[0] > 0
    n0, n1, n2, n3 = need[0], need[1], need[2], need[3]
    for m in prange(viewer.shape[0]):
        p = slot[m]
        a, so, ao, tr, qc = _pair_features(
            viewer[m],
            p,
            edge[m],
            opinion,
            susceptibility,
            stance,
            outrage,
            quality,
            edge_trust,
            stranger,
        )
        zz = 1.0 if (sponsored[p] and disclosed[p]) else 0.0
        ee = err[m] if has_err else 0.0
        if n0:
            out[0, m] = _logit(coef, 0, a, so, ao, tr, qc, zz) + bias[0] + ee
        if n1:
            out[1, m] = _logit(coef, 1, a, so, ao, tr, qc, zz) + bias[1] + ee
        if n2:
            out[2, m] = _logit(coef, 2, a, so, ao, tr, qc, zz) + bias[2] + ee
        if n3:
            out[3, m] = _logit(coef, 3, a, so, ao, tr, qc, zz) + bias[3] + ee


@njit(cache=True, error_model="numpy")
def sigmoid_inplace(x):  # pragma: no cover - jitted
    """X ← 1 / (1 + e^(−x)) over a contiguous 1-D array, SIMD-vectorised.

    ``e^y`` is computed as ``(p(y/128))^128`` with ``p`` the degree-13 Taylor polynomial
    of the exponential (|y/128| ≤ 0.3125 after clamping x to ±40, where the logistic is
    within 5e-18 of 0 or 1): relative error below 1e-13 against ``np.exp``, but pure
    multiply–add, so LLVM vectorises it (libm's ``exp`` does not vectorise without
    SVML) and the JIT on and off give the same bits (no fused or reordered arithmetic).
    """
    for i in prange(x.shape[0]):
        y = min(max(x[i], -40.0), 40.0) * -0.0078125
        e = _INV_FACTORIAL[13]
        for c in range(12, -1, -1):  # Horner; a constant trip count, unrolled by LLVM
            e = e * y + _INV_FACTORIAL[c]
        e = e * e
        e = e * e
        e = e * e
        e = e * e
        e = e * e
        e = e * e
        e = e * e
        x[i] = 1.0 / (1.0 + e)


@njit(cache=True, inline="always")
def _sigmoid(x):  # pragma: no cover - jitted
    """1 / (1 + e^(−x)) for one value, by exactly the operations of :func:`sigmoid_inplace`."""
    y = min(max(x, -40.0), 40.0) * -0.0078125
    e = _INV_FACTORIAL[13]
    for c in range(12, -1, -1):
        e = e * y + _INV_FACTORIAL[c]
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    return 1.0 / (1.0 + e)


def tie_key(rng: np.random.Generator) -> int:
    """A 32-bit key for :func:`feedlab.models.rank_kernels.segmented_topk`'s random
    tie-breaking, drawn from ``rng`` (one draw, whatever the number of items).
    """
    return int(rng.integers(0, 2**32))


@njit(cache=True, inline="always")
def tie_value(key, j):  # pragma: no cover - jitted
    """The random tie-break value of item ``j`` under ``key``: the 32-bit hash
    :func:`_mix32` of ``key ^ j`` (a second round mixes in the high word of ``j`` when
    there is one), so equal scores are ordered at random without drawing a random
    number per item.
    """
    ju = np.uint64(j)
    h = _mix32((np.uint64(key) ^ (ju & _M32)) & _M32)
    hi = ju >> _S32
    if hi:
        h = _mix32(h ^ hi)
    return np.int64(h)


# C901: a Numba kernel; the interactions are sequential, so one loop does them all in order
@njit(cache=True)
def pairwise_bounded_confidence(  # noqa: C901
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


# ------------------------------------------------------------ follow-graph edits
@njit(cache=True)
def csr_find(indptr, indices, src, dst, pos):  # pragma: no cover - jitted
    """Where edge (``src[m]``, ``dst[m]``) is in a CSR graph with sorted rows:
    ``pos[m]`` = its position in ``indices`` if present, else ``-(p + 1)`` with ``p``
    the position where it would be inserted to keep the row sorted. A binary search
    within the row, O(log degree) per query (no key array over all edges).
    """
    for m in range(src.shape[0]):
        s = src[m]
        d = dst[m]
        lo = indptr[s]
        end = indptr[s + 1]
        hi = end
        while lo < hi:
            mid = (lo + hi) >> 1
            if indices[mid] < d:
                lo = mid + 1
            else:
                hi = mid
        pos[m] = lo if (lo < end and indices[lo] == d) else -lo - 1


@njit(cache=True)
def splice(old, remove, ins_pos, ins_val, out):  # pragma: no cover - jitted
    """``out`` = ``old`` without the items at ``remove`` (ascending, unique) and with
    ``ins_val[k]`` inserted before ``old[ins_pos[k]]`` (``ins_pos`` non-decreasing; equal
    positions keep the order of ``ins_val``; ``len(old)`` appends). One pass, runs
    copied in blocks: ``numpy.insert(numpy.delete(old, remove), ...)`` without the
    intermediate array.

    ``old`` goes in :data:`CHUNKS` chunks of positions ``[b0, b1)``; a chunk takes the
    removals in it and the insertions before its items (the last chunk also those at
    the end) and writes from ``b0`` − (removals before ``b0``) + (insertions before
    ``b0``), so every chunk writes only its own range of ``out``: the ``prange`` over
    chunks gives the same array on any number of threads.
    """
    n = old.shape[0]
    nk = ins_pos.shape[0]
    nch = max(1, min(n, CHUNKS))
    for c in prange(nch):
        b0 = c * n // nch
        end = (c + 1) * n // nch
        r = np.searchsorted(remove, b0)  # removals before b0
        r1 = np.searchsorted(remove, end)
        k = np.searchsorted(ins_pos, b0)  # insertions before old[b0]
        k1 = nk if c == nch - 1 else np.searchsorted(ins_pos, end)
        i = b0
        o = b0 - r + k
        while True:
            next_r = remove[r] if r < r1 else end
            next_k = ins_pos[k] if k < k1 else end
            nxt = min(next_r, next_k)
            run = nxt - i
            if run > 0:
                out[o : o + run] = old[i:nxt]
                o += run
                i = nxt
            if k < k1 and next_k <= next_r:
                out[o] = ins_val[k]
                o += 1
                k += 1
            elif r < r1:
                i += 1
                r += 1
            else:
                break


@njit(cache=True)
def feed_positions(
    sel, out_ptr, cand_ptr, viewers, cand_slot, cand_edge, viewer, rank, slot, edge
):  # pragma: no cover - jitted
    """For a selection grouped by segment (``sel[out_ptr[s]:out_ptr[s + 1]]`` chosen from
    segment ``s``, ``cand_ptr[s]:cand_ptr[s + 1]``), each item's viewer
    (``viewers[s]``), its rank within the segment and its candidate's post slot and edge
    (``cand_slot[sel[m]]``, ``cand_edge[sel[m]]``), in one pass. Returns False (and the
    outputs are incomplete) if an item lies outside its segment, i.e. the selection is
    not grouped as ``out_ptr`` says.

    Segments go in :data:`CHUNKS` chunks (threads with ``parallel``; each writes only
    its own items), each stopping at its first item out of place.
    """
    n = out_ptr.shape[0] - 1
    nch = max(1, min(n, CHUNKS))
    ok = np.ones(nch, dtype=np.bool_)
    for c in prange(nch):
        for s in range(np.uint64(c * n // nch), np.uint64((c + 1) * n // nch)):
            a = cand_ptr[s]
            b = cand_ptr[s + 1]
            v = viewers[s]
            o = out_ptr[s]
            for m in range(o, out_ptr[s + 1]):
                j = sel[m]
                if j < a or j >= b:
                    ok[c] = False
                    break
                viewer[m] = v
                rank[m] = m - o
                slot[m] = cand_slot[j]
                edge[m] = cand_edge[j]
            if not ok[c]:
                break
    return ok.all()


@njit(cache=True)
def follow_candidate_ptr(indptr, indices, author_count, ptr):  # pragma: no cover - jitted
    """ptr[i + 1] = ptr[i] + the number of recent posts by the accounts user ``i`` follows
    (``author_count[indices[e]]`` summed over row ``i``): the segment pointer of the
    in-network candidates, from one pass over the edges (no per-candidate array).

    The row sums are independent (``prange`` over rows, each writing its own entry);
    the running sum over them is then taken in order, so any thread count gives the
    same pointer.
    """
    n = indptr.shape[0] - 1
    ptr[0] = 0
    for i in prange(n):
        acc = 0
        for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            acc += author_count[indices[e]]
        ptr[i + 1] = acc
    for i in range(n):
        ptr[i + 1] += ptr[i]


@njit(cache=True)
def scale_capped(prob, col, viewer, factor):  # pragma: no cover - jitted
    """prob[m, col] ← min(1, prob[m, col] · factor[viewer[m]]) in place (one pass; the
    values of ``numpy.minimum(1.0, prob[:, col] * factor[viewer])``).
    """
    for m in range(viewer.shape[0]):
        prob[m, col] = min(1.0, prob[m, col] * factor[viewer[m]])


@njit(cache=True)
def edge_evidence(indptr, ptr, edge, good, bad, out_good, out_bad):  # pragma: no cover - jitted
    """Each follow edge's evidence of this step: ``out_good`` and ``out_bad`` (one entry
    per edge, contents undefined on entry) are zeroed, then each item's good and bad
    experiences are added to the follow edge it came through (``edge[m] >= 0``), in
    item order: ``numpy.bincount(edge, weights=...)`` over the in-network items,
    without the masked copies.

    The items are grouped by viewer (viewer ``v``'s are ``ptr[v]:ptr[v + 1]``, the
    feed's contract) and an item's edge is one of its viewer's follow edges (row ``v``
    of the CSR ``indptr``), so viewers in :data:`CHUNKS` chunks touch disjoint edges:
    the ``prange`` over chunks (zeroing the chunk's rows, then adding its items) gives
    the same sums on any number of threads.
    """
    n = indptr.shape[0] - 1
    nch = max(1, min(n, CHUNKS))
    for c in prange(nch):
        v0 = c * n // nch
        v1 = (c + 1) * n // nch
        for e in range(np.uint64(indptr[v0]), np.uint64(indptr[v1])):
            out_good[e] = 0.0
            out_bad[e] = 0.0
        for m in range(np.uint64(ptr[v0]), np.uint64(ptr[v1])):
            e = edge[m]
            if e >= 0:
                out_good[e] += good[m]
                out_bad[e] += bad[m]


@njit(cache=True)
def viewer_sums(viewer, ptr, weights, out):  # pragma: no cover - jitted
    """out[viewer[m]] += weights[m] in item order, for items grouped by viewer (viewer
    ``v``'s are ``ptr[v]:ptr[v + 1]``): :func:`add_at` (``numpy.bincount``'s sums) for items grouped by viewer,
    one viewer per iteration (:data:`CHUNKS` chunks of viewers, threads with
    ``parallel``; each writes only its viewers' entries).
    """
    n = ptr.shape[0] - 1
    nch = max(1, min(n, CHUNKS))
    for c in prange(nch):
        for m in range(np.uint64(ptr[c * n // nch]), np.uint64(ptr[(c + 1) * n // nch])):
            out[viewer[m]] += weights[m]


# ------------------------------------------------------------ the update phase
@njit(cache=True, error_model="numpy")
def opinion_step(
    viewer,
    ptr,
    stance,
    trust,
    opinion,
    eps,
    mu,
    arousal,
    trust_weighted,
    backfire,
    backfire_rate,
    backfire_arousal,
    backfire_distance,
    n_items,
    total,
):  # pragma: no cover - jitted
    """The opinion update of one step in place, fused: per feed item ``m`` (viewer
    ``v = viewer[m]``; items grouped by viewer, ``ptr[v]:ptr[v + 1]``) the change Δ of :func:`feedlab.agents.rules.opinion.opinion_deltas`
    (tolerance ``eps[v]``, already narrowed by arousal), summed per viewer in item order
    into ``total`` (zeros on entry, length N), then
    :func:`feedlab.agents.rules.opinion.apply_mean`: ``opinion ← clip(opinion + total /
    max(n_items, 1), −1, 1)``. ``backfire`` is ``cfg.backfire and cfg.backfire_rate > 0``.

    The same operations in the same order as those NumPy functions (``w · μ · d`` is
    ``(w·μ)·d``; the backfire change ``((−w·rate)·e)·d``; the sums those of
    ``numpy.bincount``), so the opinions are bit-identical (a test checks it), without
    the six per-item temporaries; every item's change reads the opinions before the
    update. An item's change reads only its own viewer's opinion, so the viewers go in
    :data:`CHUNKS` chunks, each summing its items and then updating its viewers
    (threads with ``parallel``; each writes only its viewers' entries).
    """
    n = opinion.shape[0]
    nch = max(1, min(n, CHUNKS))
    for c in prange(nch):
        v0 = c * n // nch
        v1 = (c + 1) * n // nch
        for m in range(np.uint64(ptr[v0]), np.uint64(ptr[v1])):  # the chunk's items, flat
            v = viewer[m]
            d = stance[m] - opinion[v]
            w = trust[m] if trust_weighted else 1.0
            ad = abs(d)
            e = eps[v]
            pull = w * mu[v] * d
            delta = pull if ad < e else 0.0
            if backfire:  # both branches computed, one kept: selects, not jumps
                ar = arousal[v]
                push = -w * backfire_rate * ar * d
                back = (ar > backfire_arousal) & (ad > backfire_distance * e)
                delta = push if back else delta
            total[v] += delta
        for i in range(np.uint64(v0), np.uint64(v1)):
            x = opinion[i] + total[i] / max(n_items[i], 1)
            opinion[i] = min(max(x, -1.0), 1.0)


#: Evidence counts below this are looked up in a table of powers
#: (:func:`asymmetric_trust_step`).
POWER_TABLE = 64


def asymmetric_trust_step(
    trust: np.ndarray,
    baseline: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    up_power: np.ndarray,
    down_power: np.ndarray,
    relax: float,
    out: np.ndarray,
) -> bool:
    """The asymmetric trust rule over all edges in one pass
    (:func:`_asymmetric_trust_chunks`, on ``platform.threads`` threads).

    The rule (:func:`feedlab.agents.rules.trust.asymmetric_update`) is

        t = (1 − (1 − τ) · (1 − α_up)^g) · (1 − α_down)^b,   out = t + ρ (τ0 − t)

    with the powers read from tables: ``up_power[k] = (1 − α_up)^k`` for the whole
    numbers ``k < len(up_power)``, computed by NumPy's ``power`` as the rule computes
    them (an elementwise function: the same input gives the same bits wherever it
    sits in an array), likewise ``down_power``. Evidence is a count of experiences, so
    a whole number in all but unusual extensions; if any edge's ``g`` or ``b`` is not
    in the tables the kernel stops and returns False (``out`` incomplete), and the
    caller applies the NumPy rule. The arithmetic is the rule's, operation for
    operation, so the trust is bit-identical (a test checks it), without the rule's
    two powers and five passes over every edge.
    """
    return bool(
        threaded(_asymmetric_trust_chunks)(
            trust, baseline, good, bad, up_power, down_power, relax, out
        )
    )


@njit(cache=True, error_model="numpy")
def _asymmetric_trust_chunks(
    trust, baseline, good, bad, up_power, down_power, relax, out
):  # pragma: no cover - jitted
    """:func:`asymmetric_trust_step`'s pass: the edges in :data:`CHUNKS` chunks, each
    stopping at its first edge whose evidence is not in the tables (threads with
    ``parallel``; each edge's value depends on that edge alone). True when every
    chunk finished.
    """
    ku = up_power.shape[0]
    kd = down_power.shape[0]
    n = trust.shape[0]
    nch = max(1, min(n, CHUNKS))
    ok = np.ones(nch, dtype=np.bool_)
    for c in prange(nch):
        for e in range(np.uint64(c * n // nch), np.uint64((c + 1) * n // nch)):
            g = good[e]
            b = bad[e]
            if not (g >= 0.0 and g < ku and b >= 0.0 and b < kd):
                ok[c] = False
                break
            ig = int(g)
            ib = int(b)
            if ig != g or ib != b:
                ok[c] = False
                break
            t = 1.0 - (1.0 - trust[e]) * up_power[ig]
            t = t * down_power[ib]
            out[e] = t + relax * (baseline[e] - t)
    return ok.all()


@njit(cache=True, error_model="numpy")
def item_trust_step(
    indptr, ptr, edge, good, bad, trust, baseline, up_power, down_power, relax, out, pg, pb
):  # pragma: no cover - jitted
    """The trust update's passes over the feed and the edges, fused: :func:`edge_evidence`
    (each edge's good and bad evidence from its items), :func:`_asymmetric_trust_chunks`
    (the asymmetric rule with its tables of powers, into ``out``) and :func:`viewer_sums`
    of the items' good and bad experiences per viewer (``pg``, ``pb``, length N; every
    entry written). Returns False, with ``out`` incomplete, if some edge's evidence is not
    in the tables, or an item's edge is not in its chunk (the caller then takes the
    separate passes).

    The same operations in the same order as those kernels (each edge's evidence summed
    from zero in item order, each viewer's sums likewise), so the same bits; but the
    evidence stays in a scratch of the chunk's edges (in cache) instead of two arrays
    over all edges written and read back, and the items are read once. Items are
    grouped by viewer (``ptr``) and an item's edge is one of its viewer's follow edges
    (row ``v`` of the CSR ``indptr``), as for :func:`edge_evidence`, so the viewers go in
    :data:`CHUNKS` chunks that touch disjoint edges (threads with ``parallel``).
    """
    ku = up_power.shape[0]
    kd = down_power.shape[0]
    n = indptr.shape[0] - 1
    nch = max(1, min(n, CHUNKS))
    ok = np.ones(nch, dtype=np.bool_)
    for c in prange(nch):
        v0 = c * n // nch
        v1 = (c + 1) * n // nch
        e0 = indptr[v0]
        ne = indptr[v1] - e0
        eg = np.zeros(ne)
        eb = np.zeros(ne)
        for v in range(v0, v1):
            sg = 0.0
            sb = 0.0
            for m in range(np.uint64(ptr[v]), np.uint64(ptr[v + 1])):
                e = edge[m]
                gm = good[m]
                bm = bad[m]
                if e >= 0:
                    j = e - e0
                    if j < 0 or j >= ne:  # not the chunk's edge (a graph changed since): give up
                        ok[c] = False
                        break
                    eg[j] += gm
                    eb[j] += bm
                sg += gm
                sb += bm
            pg[v] = sg
            pb[v] = sb
        if not ok[c]:
            continue
        for j in range(ne):
            g = eg[j]
            b = eb[j]
            if not (g >= 0.0 and g < ku and b >= 0.0 and b < kd):
                ok[c] = False
                break
            ig = int(g)
            ib = int(b)
            if ig != g or ib != b:
                ok[c] = False
                break
            e = e0 + j
            t = 1.0 - (1.0 - trust[e]) * up_power[ig]
            t = t * down_power[ib]
            out[e] = t + relax * (baseline[e] - t)
    return ok.all()


# ------------------------------------------------------------ per-item features
@njit(cache=True)
def pair_trust(edge, edge_trust, stranger, out):  # pragma: no cover - jitted
    """out[m] = edge_trust[edge[m]], or ``stranger`` where ``edge[m] < 0`` (one pass:
    ``numpy.where(edge >= 0, edge_trust[maximum(edge, 0)], stranger)``).
    """
    for m in range(edge.shape[0]):
        e = edge[m]
        out[m] = edge_trust[e] if e >= 0 else stranger


@njit(cache=True)
def pair_agreement(viewer, opinion, stance, out):  # pragma: no cover - jitted
    """out[m] = 1 − |opinion[viewer[m]] − stance[m]| (one pass, the same operations as
    the NumPy expression of ``Candidates.agreement``).
    """
    for m in range(viewer.shape[0]):
        out[m] = 1.0 - abs(opinion[viewer[m]] - stance[m])


@njit(cache=True)
def trust_evidence(r, quality, low_quality, good, bad):  # pragma: no cover - jitted
    """Add each feed item's trust evidence in place: ``good[m] += 1`` for a like or a
    share, ``bad[m] += 1`` for negative feedback or quality below ``low_quality`` (the
    values of ``good += (r[:, 0] | r[:, 2]).astype(float)`` and its twin, in one pass).
    """
    for m in range(r.shape[0]):
        good[m] += 1.0 if (r[m, 0] | r[m, 2]) else 0.0
        bad[m] += 1.0 if (r[m, 3] | (quality[m] < low_quality)) else 0.0


@njit(cache=True)
def feed_value(
    viewer,
    ptr,
    quality,
    agreement,
    trust,
    outrage,
    r,
    w,
    n_items,
    item_value,
    mean_value,
    engagement,
):  # pragma: no cover - jitted
    """The value phase in one pass over the feed: each item's reflective value
    (:func:`feedlab.agents.rules.value.item_value` of quality, ``(1 + agreement) / 2``,
    trust and outrage with the weights ``w`` = (quality, agreement, tie, regret)) into
    ``item_value``; per viewer the mean value (NaN without items) into ``mean_value``
    and the engagement (likes + comments + shares) into ``engagement`` (zeros on
    entry). The rule's operations in its order and the sums of ``numpy.bincount``
    (item order), so the same bits as the NumPy expressions. The items are grouped by
    viewer (``ptr[v]:ptr[v + 1]``, ``viewer[m]`` the viewer of item ``m``); viewers go
    in :data:`CHUNKS` chunks (threads with ``parallel``; each writes only its viewers'
    entries and items).
    """
    n = n_items.shape[0]
    wq = w[0]
    wa = w[1]
    wt = w[2]
    wr = w[3]
    total = np.zeros(n)
    nch = max(1, min(n, CHUNKS))
    for c in prange(nch):
        v0 = c * n // nch
        v1 = (c + 1) * n // nch
        for m in range(np.uint64(ptr[v0]), np.uint64(ptr[v1])):  # the chunk's items, flat
            v = viewer[m]
            a01 = (1.0 + agreement[m]) / 2.0
            iv = wq * quality[m] + wa * a01 + wt * trust[m] - wr * outrage[m]
            item_value[m] = iv
            total[v] += iv
            e = (1.0 if r[m, 0] else 0.0) + (1.0 if r[m, 1] else 0.0)
            engagement[v] += e + (1.0 if r[m, 2] else 0.0)
        for i in range(np.uint64(v0), np.uint64(v1)):
            mean_value[i] = total[i] / max(n_items[i], 1) if n_items[i] > 0 else np.nan


@njit(cache=True)
def unfollow_cut(
    tested, src, dst, opinion, trust, min_trust, max_distance, out
):  # pragma: no cover
    """The tested edges that are cut, ascending, into ``out``; returns how many: trust
    below ``min_trust`` or the two ends' opinions more than ``max_distance`` apart
    (``tested[(trust[tested] < min_trust) | (|opinion[src] − opinion[dst]| >
    max_distance)]`` of ``FeedModel.rewire``, in one branch-free pass without its
    four temporaries; the same comparisons of the same values).
    """
    k = 0
    for i in range(tested.shape[0]):
        e = tested[i]
        far = abs(opinion[src[e]] - opinion[dst[e]]) > max_distance
        out[k] = e
        k += (trust[e] < min_trust) | far
    return k


@njit(cache=True)
def follow_proposals(r, origin_author, viewer, edge, slot, post_author, out):  # pragma: no cover
    """Feed items whose original author the viewer may follow, ascending, into ``out``;
    returns how many: liked or shared (``r[m, 0]`` or ``r[m, 2]``), not the viewer's own
    post, and not already followed — an out-of-network item (``edge < 0``) or a reshare
    whose original author is not the account it came through (``post_author[slot[m]]``).
    The items of the NumPy mask in ``FeedModel.rewire``, in two branch-free passes (every
    item is written, the count advances only for the chosen): the reaction and the
    viewer over all items, then the edge and the post's author over those kept (about
    a third), compacted in place, so only they read the posts' authors at random
    (measured ~20 % faster than one pass).
    """
    k = 0
    for m in range(viewer.shape[0]):
        out[k] = m
        k += (r[m, 0] | r[m, 2]) & (origin_author[m] != viewer[m])
    j = 0
    for i in range(k):  # j ≤ i: each index is read before it can be overwritten
        m = out[i]
        out[j] = m
        j += (edge[m] < 0) | (origin_author[m] != post_author[slot[m]])
    return j


@njit(cache=True)
def add_at(index, weights, out):  # pragma: no cover - jitted
    """out[index[m]] += weights[m] in item order (``numpy.bincount(index, weights)``
    added into ``out``, the same sums, without bincount's index conversion and checks;
    indices must lie in ``[0, len(out))``).
    """
    for m in range(index.shape[0]):
        out[index[m]] += weights[m]


@njit(cache=True)
def count_at(index, out):  # pragma: no cover - jitted
    """out[index[m]] += 1 (``numpy.bincount(index)`` added into ``out``; indices must
    lie in ``[0, len(out))``).
    """
    for m in range(index.shape[0]):
        out[index[m]] += 1


@njit(cache=True)
def set_bit_where(mask, bit, bits):  # pragma: no cover - jitted
    """bits[m] |= 1 << bit where ``mask[m]`` (``bits |= mask.astype(uint64) << bit``
    without the temporaries).
    """
    b = np.uint64(bit)
    for m in range(mask.shape[0]):
        bits[m] |= np.uint64(mask[m]) << b
