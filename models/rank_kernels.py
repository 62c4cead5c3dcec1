"""Kernels of the gather → predict → score → top-k path of the large-N feed step.

Kept apart from :mod:`feedlab.models.kernels` (the react and update kernels) so the two
paths can be tuned independently. Every kernel here computes exactly what the plain
loop it replaces computes (same values, same order), only with fewer mispredicted
branches or memory passes: results are bit-identical.
"""

from __future__ import annotations

import numpy as np

from feedlab.models.kernels import (
    _PREFILTER_RATIO,
    BLOCK,
    CHUNKS,
    _logit,
    _sigmoid,
    _top_of_segment,
    block_threshold,
    njit,
    pair_normal_of,
    prange,
    threaded,
    viewer_hash,
)

#: :func:`expand_follow_blocks` writes the first this many posts of an author's block
#: without a data-dependent loop (an account has written 0–2 posts in the window for
#: about 94 % of follow edges at the default posting rate and ``platform.window`` 1).
_SPECULATE = 2


@njit(cache=True)
def expand_follow_blocks(
    indptr, indices, ptr, author_ptr, by_author, slot, edge, start, first
):  # pragma: no cover - jitted
    """The in-network candidate pairs: each follow edge ``e``, in edge order,
    contributes every recent post of its followee ``indices[e]``
    (``by_author[author_ptr[a]:author_ptr[a + 1]]``) as a pair (``slot``, ``edge`` e); the
    viewers (rows of the CSR ``indptr``) are the segments ``ptr`` of
    :func:`feedlab.models.kernels.follow_candidate_ptr`. ``start`` and ``first`` are
    int64 scratch with an entry per edge.

    Two passes over a chunk's edges. (1) Each edge's output position (``start``, the
    running sum of the block lengths) and its followee's first post
    (``first[e] = author_ptr[a]``). (2) The blocks written. In one pass the write
    position of every edge waited on the random read of the previous edge's block
    length (measured ~15 % slower); here pass (2) reads both sequentially.

    The blocks are short (mostly 0, 1 or 2 posts), so a loop over each block mispredicts
    its exit about once per edge. Instead the first :data:`_SPECULATE` entries of a block
    are written unconditionally and the entries past the block are overwritten by the
    next edges (edges are written in order), so the output is the same as the plain
    loop's. Near the end of a chunk's output or of the posts, and for longer blocks, the
    plain loop runs.

    The rows go in :data:`CHUNKS` chunks of consecutive viewers, each writing only its
    own output range ``ptr[first row]:ptr[end row]`` (the speculative writes stay inside
    it) and its own edges' scratch, so the ``prange`` over chunks gives the same arrays
    on any number of threads.
    """
    n = indptr.shape[0] - 1
    n_posts = by_author.shape[0]
    nch = min(n, CHUNKS)
    for c in prange(nch):
        r0 = c * n // nch
        r1 = (c + 1) * n // nch
        e0 = np.uint64(indptr[r0])
        e1 = np.uint64(indptr[r1])
        o = ptr[r0]
        n_out = ptr[r1]
        for e in range(e0, e1):
            a = indices[e]
            lo = author_ptr[a]
            start[e] = o
            first[e] = lo
            o += author_ptr[a + 1] - lo
        for e in range(e0, e1):
            o = start[e]
            cnt = (start[e + np.uint64(1)] if e + np.uint64(1) < e1 else n_out) - o
            lo = first[e]
            if cnt <= _SPECULATE and o + _SPECULATE <= n_out and lo + _SPECULATE <= n_posts:
                slot[o] = by_author[lo]
                slot[o + 1] = by_author[lo + 1]
                edge[o] = e
                edge[o + 1] = e
            else:
                for q in range(cnt):
                    slot[o + q] = by_author[lo + q]
                    edge[o + q] = e


#: Top-k by counting ranks (:func:`ranks_if_distinct`, :func:`top_of_segment`) when at
#: most this many items compete: at the default network, ``platform.window`` 1 and no
#: out-of-network items, a viewer has 22 candidates on average (and fewer than 64 in
#: practically every case) for about 10 feed places.
SMALL_SEGMENT = 64


# Three widths of one loop: a constant trip count lets LLVM vectorise the comparisons
# (with a variable one, a short segment runs the scalar remainder loop).
@njit(cache=True)
def _count_above_16(buf, n, cnt):  # pragma: no cover - jitted
    """cnt[j] = #{q < 16 : buf[q] > buf[j]} for j < n (see :func:`ranks_if_distinct`)."""
    for j in range(n):
        sj = buf[j]
        g = 0
        for q in range(16):
            g += buf[q] > sj
        cnt[j] = g


@njit(cache=True)
def _count_above_32(buf, n, cnt):  # pragma: no cover - jitted
    """cnt[j] = #{q < 32 : buf[q] > buf[j]} for j < n (see :func:`ranks_if_distinct`)."""
    for j in range(n):
        sj = buf[j]
        g = 0
        for q in range(32):
            g += buf[q] > sj
        cnt[j] = g


@njit(cache=True)
def _count_above_64(buf, n, cnt):  # pragma: no cover - jitted
    """cnt[j] = #{q < 64 : buf[q] > buf[j]} for j < n (see :func:`ranks_if_distinct`)."""
    for j in range(n):
        sj = buf[j]
        g = 0
        for q in range(64):
            g += buf[q] > sj
        cnt[j] = g


@njit(cache=True, inline="always")
def ranks_if_distinct(buf, n, cnt):  # pragma: no cover - jitted
    """``cnt[j]`` = the rank of ``buf[j]`` among ``buf[:n]`` (the number of items scoring
    above it; n ≤ :data:`SMALL_SEGMENT`), if all ``n`` scores are distinct; returns
    False if they are not.

    The ranks are counted without a branch, over ``buf`` padded with −inf to 16, 32 or
    64 entries (padding is above nothing; ``buf`` is ``SMALL_SEGMENT`` long). With
    distinct scores they are 0 … n−1, each once, and sorting by them is the order of
    :func:`feedlab.models.kernels._top_of_segment` (score descending; its tie value and
    index only order equal scores). Equal scores (±0 included) share a rank, so ties are
    detected (a bit per rank, set twice). Scores must not be NaN (as for the top-k).
    """
    width = 16 if n <= 16 else (32 if n <= 32 else 64)
    for j in range(n, width):
        buf[j] = -np.inf
    if width == 16:
        _count_above_16(buf, n, cnt)
    elif width == 32:
        _count_above_32(buf, n, cnt)
    else:
        _count_above_64(buf, n, cnt)
    seen = np.uint64(0)
    dup = np.uint64(0)
    for j in range(n):
        bit = np.uint64(1) << np.uint64(cnt[j])
        dup |= seen & bit
        seen |= bit
    return dup == 0


# C901: a Numba kernel; the two counting cases share the fallback
@njit(cache=True)
def top_of_segment(  # noqa: C901
    score, a, b, take, key, off, bs, bt, bi, keep, buf, cnt, small, wait
):  # pragma: no cover - jitted
    """:func:`feedlab.models.kernels._top_of_segment` (same arguments and result; ``buf``
    and ``cnt`` are :data:`SMALL_SEGMENT` long scratch), by counting ranks
    (:func:`ranks_if_distinct`) where at most ``small`` items compete and their scores
    are distinct: the whole segment when it is shorter than the prefilter's
    ``_PREFILTER_RATIO · take``, else the items at or above the prefilter's threshold τ
    (the segment's top ``take`` are among them, and every other item scores below τ, so
    it ties with none of them). Anything else goes to ``_top_of_segment``.

    Counting that meets a tie is wasted work, and some policies tie almost everywhere
    (chronological with one step's posts, random order): after a tie the next
    ``wait[1]`` segments skip counting, a pause that doubles (up to 255) with each
    further tie and ends with the first success (``wait``, two integers, zero at the
    start, carries this from one call to the next). It only chooses the path; each
    path gives the same feed.

    Compiled as a function of its own, not inlined into its callers: inside the fused
    :func:`weighted_topk` the inlined counting loops were no longer vectorised (the
    fused pass then ran ~1.1× slower than with insertion only, instead of ~0.85×).
    """
    n = b - a
    if wait[0] > 0:
        wait[0] -= 1
    elif small > 0:
        if n < _PREFILTER_RATIO * take:
            if n <= small:
                for j in range(n):
                    buf[j] = score[a + j]
                if ranks_if_distinct(buf, n, cnt):
                    for j in range(n):
                        bi[min(cnt[j], take)] = a + j + off  # ranks ≥ take land in bi[take]
                    wait[1] = 0
                    return
                wait[1] = min(2 * wait[1] + 1, 255)
                wait[0] = wait[1]
        else:
            tau = block_threshold(score, a, b, take)
            w = 0
            for j in range(a, b):
                keep[w] = j
                w += score[j] >= tau
            if w <= small:
                for r in range(w):
                    buf[r] = score[keep[r]]
                if ranks_if_distinct(buf, w, cnt):
                    for r in range(w):
                        bi[min(cnt[r], take)] = keep[r] + off
                    wait[1] = 0
                    return
                wait[1] = min(2 * wait[1] + 1, 255)
                wait[0] = wait[1]
    _top_of_segment(score, a, b, take, key, off, bs, bt, bi, keep)


def _topk_fill_src(score, key, ptr, kk, out_ptr, out, small):  # pragma: no cover - jitted below
    """Per segment, the best ``kk[s]`` items in order: score descending, then the tie
    value :func:`tie_value` (key, index) descending, then index ascending.

    Where at most ``small`` (:data:`SMALL_SEGMENT`) items with distinct scores compete,
    they are ranked by counting (:func:`top_of_segment`); otherwise two stages, both
    allocation-free (:func:`feedlab.models.kernels._top_of_segment`). (1) When the segment is
    at least ``_PREFILTER_RATIO`` times its ``k``, a threshold ``τ`` — the smallest of the
    maxima of ``k`` disjoint blocks — drops the items below it without a branch: those
    ``k`` maxima are ``k`` distinct items scoring ≥ τ, so the k-th best score is ≥ τ and
    no feed item is dropped (about half the items go at 50 candidates and k = 10).
    (2) The survivors are inserted, in index order, into a small sorted buffer; an
    item's tie value is hashed only if its score reaches the buffer's worst (no random
    number is drawn per item). Scores must not be NaN. Segments are processed in
    :data:`CHUNKS` independent chunks (threads with ``parallel``; the result does not
    depend on how they are scheduled).
    """
    n = ptr.shape[0] - 1
    kmax = 1
    mmax = 1
    for s in range(n):
        kmax = max(kmax, kk[s])
        mmax = max(mmax, ptr[s + 1] - ptr[s])
    nch = min(n, CHUNKS)
    for c in prange(nch):
        bs = np.empty(kmax + 1)
        bt = np.empty(kmax + 1, dtype=np.int64)
        bi = np.empty(kmax + 1, dtype=np.int64)
        keep = np.empty(mmax, dtype=np.int64)
        buf = np.empty(SMALL_SEGMENT)
        cnt = np.empty(SMALL_SEGMENT, dtype=np.int64)
        wait = np.zeros(2, dtype=np.int64)
        for s in range(c * n // nch, (c + 1) * n // nch):
            take = kk[s]
            if take == 0:
                continue
            top_of_segment(
                score, ptr[s], ptr[s + 1], take, key, 0, bs, bt, bi, keep, buf, cnt, small, wait
            )
            o = out_ptr[s]
            for j in range(take):
                out[o + j] = bi[j]


_topk_fill = njit(cache=True)(_topk_fill_src)


# C901: a Numba kernel; the fused stages share one loop over blocks of segments
def _weighted_topk_src(  # noqa: C901
    viewers,
    ptr,
    slot,
    edge,
    post_id,
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
    noise,
    pkey,
    w,
    kk,
    tkey,
    out_ptr,
    out,
    small,
):  # pragma: no cover - jitted below
    """Predict, score and select in one pass per viewer: for segment ``s`` (viewer
    ``viewers[s]``), the score of pair ``m`` is ``Σ_c w[c] · σ(logit_c)`` over like,
    comment and share, with the platform's log-odds of :func:`prediction_logits`
    (error ``noise · pair_normal(pkey, viewer, post id)``), and the best ``kk[s]`` pairs
    go to ``out[out_ptr[s]:]`` as :func:`_topk_fill` orders them (tie key ``tkey``;
    ``small`` as there). An empty ``sponsored`` says no post is sponsored (then neither
    it nor ``disclosed`` is read: every pair's disclosed-sponsorship feature is 0).

    The same operations in the same order as ``pair_noise`` → ``prediction_logits`` →
    ``sigmoid_inplace`` → weighted sum → ``_topk_fill``, so the feed is bit-identical;
    but no per-candidate array is written: the segments are taken in blocks of about
    :data:`BLOCK` pairs whose temporaries stay in cache, each stage a contiguous loop
    that LLVM vectorises. Every input of the arithmetic is first gathered into the
    block's buffers, in passes of their own: the viewer's opinion and susceptibility
    and the first round of the error's hash (:func:`feedlab.models.kernels.viewer_hash`),
    once per segment; the posts' features (stance, outrage, quality, disclosed
    sponsorship, and the id the error hashes) and the edge's trust (or the stranger's)
    per pair, in one loop (the ids in a loop of their own cost ~8 ms more at 2·10⁶
    pairs: there their random reads did not overlap the others'). The log-odds' loop
    then reads only contiguous buffers (the same values; the random reads no longer
    wait in the arithmetic, and no vector gathers), and the three sigmoids and their
    weighted sum run in one loop (the same operations per value: ~15 % faster than four
    passes). Segments go in :data:`CHUNKS` chunks (threads with ``parallel``).
    """
    n = ptr.shape[0] - 1
    kmax = 1
    mmax = 1
    for s in range(n):
        kmax = max(kmax, kk[s])
        mmax = max(mmax, ptr[s + 1] - ptr[s])
    size = max(mmax, BLOCK)
    has_err = noise > 0
    has_sponsored = sponsored.shape[0] > 0
    w0 = w[0]
    w1 = w[1]
    w2 = w[2]
    nch = min(n, CHUNKS)
    for c in prange(nch):
        bs = np.empty(kmax + 1)
        bt = np.empty(kmax + 1, dtype=np.int64)
        bi = np.empty(kmax + 1, dtype=np.int64)
        keep = np.empty(mmax, dtype=np.int64)
        buf = np.empty(SMALL_SEGMENT)
        cnt = np.empty(SMALL_SEGMENT, dtype=np.int64)
        wait = np.zeros(2, dtype=np.int64)
        vop = np.empty(size)
        vsu = np.empty(size)
        vh = np.empty(size, dtype=np.uint64)
        pid = np.empty(size, dtype=np.int64)
        err = np.zeros(size)
        l0 = np.empty(size)
        l1 = np.empty(size)
        l2 = np.empty(size)
        fs = np.empty(size)
        fo = np.empty(size)
        fq = np.empty(size)
        fz = np.empty(size, dtype=np.bool_)
        ft = np.empty(size)
        s_end = (c + 1) * n // nch
        s0 = c * n // nch
        while s0 < s_end:
            # a block of whole segments with at most BLOCK pairs (or one larger segment)
            s1 = s0 + 1
            while s1 < s_end and ptr[s1 + 1] - ptr[s0] <= BLOCK:
                s1 += 1
            a0 = ptr[s0]
            nb = ptr[s1] - a0
            # the viewer's values, once per segment
            for s in range(s0, s1):
                v = viewers[s]
                op = opinion[v]
                su = susceptibility[v]
                hv = viewer_hash(pkey, v) if has_err else np.uint64(0)
                for m in range(ptr[s] - a0, ptr[s + 1] - a0):
                    vop[m] = op
                    vsu[m] = su
                    vh[m] = hv
            # the posts' features (and ids, for the error) and the edge's trust
            # gathered first, in a pass of their own, then read in order (the random
            # reads no longer wait in the arithmetic's loop, and overlap each other)
            for j in range(nb):
                p = slot[a0 + j]
                fs[j] = stance[p]
                fo[j] = outrage[p]
                fq[j] = quality[p]
                if has_sponsored:
                    fz[j] = sponsored[p] and disclosed[p]
                else:
                    fz[j] = False
                if has_err:
                    pid[j] = post_id[p]
                e = edge[a0 + j]
                ft[j] = edge_trust[e] if e >= 0 else stranger
            if has_err:  # hash contiguous arrays (vectorised)
                for j in range(nb):
                    err[j] = noise * pair_normal_of(vh[j], pid[j])
            # kernels._pair_features and prediction_logits' sums, from the buffers
            for j in range(nb):
                fa = 1.0 - abs(vop[j] - fs[j])
                sj = vsu[j]
                so = sj * fo[j]
                ao = (1.0 - sj) * fo[j]
                tr = ft[j] - 0.5
                qc = fq[j] - 0.5
                zz = 1.0 if fz[j] else 0.0
                ee = err[j]
                l0[j] = _logit(coef, 0, fa, so, ao, tr, qc, zz) + bias[0] + ee
                l1[j] = _logit(coef, 1, fa, so, ao, tr, qc, zz) + bias[1] + ee
                l2[j] = _logit(coef, 2, fa, so, ao, tr, qc, zz) + bias[2] + ee
            # sigmoid_inplace per value and the weighted sum, one contiguous loop
            for j in range(nb):
                l0[j] = w0 * _sigmoid(l0[j]) + w1 * _sigmoid(l1[j]) + w2 * _sigmoid(l2[j])
            for s in range(s0, s1):
                take = kk[s]
                if take == 0:
                    continue
                lo = ptr[s] - a0
                hi = lo + ptr[s + 1] - ptr[s]
                top_of_segment(l0, lo, hi, take, tkey, a0, bs, bt, bi, keep, buf, cnt, small, wait)
                o = out_ptr[s]
                for j in range(take):
                    out[o + j] = bi[j]
            s0 = s1


weighted_topk = njit(cache=True, error_model="numpy")(_weighted_topk_src)


def segmented_topk(
    score: np.ndarray, ptr: np.ndarray, k: np.ndarray, key: int, small: int = SMALL_SEGMENT
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k[s]`` items of each segment ``ptr[s]:ptr[s+1]`` by score (descending).

    Equal scores are ordered at random: by :func:`tie_value` under ``key`` (draw it with
    :func:`tie_key`), then by index. Returns ``(selected, out_ptr)``: indices into the
    input, grouped by segment in rank order, and the segment pointers of the selection.
    O(M log k) for M items; see :func:`_topk_fill` (``small`` = 0 turns the counting path
    off, for tests: the result is the same).
    """
    sizes = np.diff(ptr)
    kk = np.minimum(np.asarray(k, dtype=np.int64), sizes).astype(np.int64)
    out_ptr = np.zeros(kk.shape[0] + 1, dtype=np.int64)
    np.cumsum(kk, out=out_ptr[1:])
    out = np.empty(int(out_ptr[-1]), dtype=np.int64)
    threaded(_topk_fill)(
        np.ascontiguousarray(score, dtype=np.float64),
        np.uint64(key & 0xFFFFFFFF),
        np.ascontiguousarray(ptr, dtype=np.int64),
        kk,
        out_ptr,
        out,
        min(int(small), SMALL_SEGMENT),
    )
    return out, out_ptr
