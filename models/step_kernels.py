"""Fused Numba kernels of the react and count phases of a feed step.

Each kernel does in one call what the phase used to do in several NumPy
passes and smaller kernels, with the same operations in the same order, so the results
are bit-identical (tests check each against its reference):

* :func:`react_items` — the true reaction probabilities
  (:func:`feedlab.models.kernels.reaction_probabilities`), the share probability scaled
  by the viewer's propensity and capped at 1 (:func:`feedlab.models.kernels.scale_capped`)
  and the Bernoulli draws against pre-drawn uniforms (``draw < prob``), without the
  (F, 4) probability array; it also keeps the post features it reads (stance, outrage,
  quality per item) for the later phases.
* :func:`count_items` — trust evidence (:func:`feedlab.models.kernels.trust_evidence`),
  the posts' reaction counters (:func:`feedlab.models.kernels.count_reactions`), the
  step's reaction totals and the items shared, in one kernel.

Like every kernel they take their random numbers as arguments (drawn by the caller from
the model's NumPy ``Generator``), so the JIT on or off gives the same results.
"""

from __future__ import annotations

import numpy as np

from feedlab.models.kernels import (
    CHUNKS,
    _logit,
    _pair_features,
    njit,
    prange,
    sigmoid_inplace,
)


@njit(cache=True)
def sponsored_seen(slot, sponsored, disclosed, out):  # pragma: no cover - jitted
    """out[m] = sponsored[slot[m]] & disclosed[slot[m]] (one pass, no temporaries)."""
    for m in range(slot.shape[0]):
        s = slot[m]
        out[m] = sponsored[s] & disclosed[s]


# C901: a Numba kernel; its two ways of reading the post features share the arithmetic
@njit(cache=True, error_model="numpy")
def react_items(  # noqa: C901
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
    share_factor,
    draw,
    prob,
    reactions,
    item_stance,
    item_outrage,
    item_quality,
):  # pragma: no cover - jitted
    """The Bernoulli reactions of every feed item, in two passes.

    (1) The four action log-odds of item ``m`` (viewer ``viewer[m]``, post slot
    ``slot[m]``, edge ``edge[m]``, ``-1`` a stranger) plus ``offset[m]`` (or its one
    row) from the same feature and log-odds helpers as
    :func:`feedlab.models.kernels.reaction_probabilities` (``_pair_features``,
    ``_logit``: one statement of the reaction model for truth and predictions) into
    ``prob`` (4F scratch). (2) Per chunk of items: the logistic function over the
    chunk's slice (:func:`feedlab.models.kernels.sigmoid_inplace`, the same vectorised
    pass; elementwise, so the same bits in any slicing), then, while the slice is in
    cache, the share probability times ``share_factor[viewer[m]]`` capped at 1 and
    ``reactions[m, c] = draw[m, c] < prob``. ``draw`` is (F, 4) C-order
    uniforms (``rng.random(out=draw)``). The same probabilities, bit for bit, and so the
    same reactions as those kernels followed by ``draw < prob``.

    The post features read on the way (stance, outrage, quality by slot, the values
    of ``Candidates.stance`` etc.) are written out where the output has F entries
    (skipped when it is empty). When all three are kept they are gathered first, in a
    pass of their own, and pass (1) reads them in item order: the same values, so the
    same bits, with the random reads of the posts out of the arithmetic's loop
    (measured ~4 ms of ~16 at 10⁶ items).
    Each item is written only by its own iteration (the logistic function and the
    draws go in :data:`CHUNKS` chunks of items, each over its own slice of ``prob``),
    so the ``prange`` loops give the same bits on any number of threads.
    """
    n = viewer.shape[0]
    stride = 1 if offset.shape[0] > 1 else 0  # one offset row per item, or one for all
    keep_s = item_stance.shape[0] > 0
    keep_o = item_outrage.shape[0] > 0
    keep_q = item_quality.shape[0] > 0
    if keep_s and keep_o and keep_q:
        # all three kept: gathered first, in a pass of their own, then read in order
        # (the random reads of the posts no longer wait in the arithmetic's loop)
        for m in prange(n):
            p = slot[m]
            item_stance[m] = stance[p]
            item_outrage[m] = outrage[p]
            item_quality[m] = quality[p]
    for m in prange(n):
        p = slot[m]
        if keep_s and keep_o and keep_q:  # the item's own features, at index m
            a, so, ao, tr, qc = _pair_features(
                viewer[m],
                m,
                edge[m],
                opinion,
                susceptibility,
                item_stance,
                item_outrage,
                item_quality,
                edge_trust,
                stranger,
            )
        else:
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
            if keep_s:
                item_stance[m] = stance[p]
            if keep_o:
                item_outrage[m] = outrage[p]
            if keep_q:
                item_quality[m] = quality[p]
        zz = 1.0 if seen_sponsored[m] else 0.0
        r = m * stride
        for c in range(4):
            prob[4 * m + c] = _logit(coef, c, a, so, ao, tr, qc, zz) + offset[r, c]
    # the logistic function and the draws per chunk of items, while the chunk's
    # probabilities are in cache; in chunks, so that both run on the threads too
    nch = max(1, min(n, CHUNKS))
    one = np.uint64(1)
    for ch in prange(nch):
        lo = ch * n // nch
        hi = (ch + 1) * n // nch
        sigmoid_inplace(prob[4 * lo : 4 * hi])  # a separate pass, so that it vectorises
        for m in range(np.uint64(lo), np.uint64(hi)):  # unsigned: see the note at CHUNKS
            j = m + m + m + m  # 4m, unsigned
            reactions[m, 0] = draw[m, 0] < prob[j]
            reactions[m, 1] = draw[m, 1] < prob[j + one]
            reactions[m, 2] = draw[m, 2] < min(1.0, prob[j + one + one] * share_factor[viewer[m]])
            reactions[m, 3] = draw[m, 3] < prob[j + one + one + one]


@njit(cache=True)
def count_items(
    r,
    quality,
    low_quality,
    outrage,
    high_outrage,
    origin,
    viewer,
    group,
    impressions,
    likes,
    comments,
    shares,
    negfb,
    imp_by_group,
    likes_by_group,
    good,
    bad,
    totals,
    shared,
):  # pragma: no cover - jitted
    """The count phase in one kernel (two loops over the feed, below); returns how many
    items were shared.

    Per item ``m``: trust evidence added in place (``good[m] += 1`` for a like or share,
    ``bad[m] += 1`` for negative feedback or quality below ``low_quality``, as
    :func:`feedlab.models.kernels.trust_evidence`); the original post ``origin[m]``
    gains an impression and its reactions, in total and for the viewer's group
    ``group[viewer[m]]`` (:func:`feedlab.models.kernels.count_reactions`); ``totals``
    (int64, zeros on entry) gets the likes, comments, shares, negative feedback and
    high-outrage impressions (outrage ≥ ``high_outrage``); the shared items' indices
    go, ascending, to the front of ``shared``. All counts are whole numbers, so the
    same values as the separate passes.

    Three loops: the per-item work in item order first (evidence, totals, the shared
    and the liked items: sequential reads and writes, an index written for every item
    and advanced only for a share or a like), then the posts' counters (the random
    read-modify-writes), which measured ~10 % faster than one loop doing both: every
    item's impressions, comments, shares and negative feedback, then the liked items'
    likes. A third of the items are liked, so a branch on the like mispredicted often,
    and each misprediction stopped the other items' random reads in flight; the rarer
    reactions keep their branches (measured ~15 % faster than likes in the same loop).
    """
    n = r.shape[0]
    k = 0
    t_like = 0
    t_comment = 0
    t_share = 0
    t_neg = 0
    t_outrage = 0
    liked = np.empty(n, np.int32)  # the liked items, ascending
    n_liked = 0
    for m in range(n):
        like = r[m, 0]
        share = r[m, 2]
        neg = r[m, 3]
        good[m] += 1.0 if (like | share) else 0.0
        bad[m] += 1.0 if (neg | (quality[m] < low_quality)) else 0.0
        t_like += like
        t_comment += r[m, 1]
        t_share += share
        t_neg += neg
        t_outrage += outrage[m] >= high_outrage
        shared[k] = m  # k ≤ m: inside the array
        k += share
        liked[n_liked] = m
        n_liked += like
    for m in range(n):
        o = origin[m]
        impressions[o] += 1
        imp_by_group[o, group[viewer[m]]] += 1
        if r[m, 1]:
            comments[o] += 1
        if r[m, 2]:
            shares[o] += 1
        if r[m, 3]:
            negfb[o] += 1
    for i in range(n_liked):
        m = liked[i]
        o = origin[m]
        likes[o] += 1
        likes_by_group[o, group[viewer[m]]] += 1
    totals[0] += t_like
    totals[1] += t_comment
    totals[2] += t_share
    totals[3] += t_neg
    totals[4] += t_outrage
    return k


#: :func:`count_items_split` balances its ranges of post slots with a histogram of at
#: most this many bins over the post buffer's capacity.
SLOT_BINS = 256


# C901: a Numba kernel; its three loops share the per-chunk counts
@njit(cache=True)
def count_items_split(  # noqa: C901
    r,
    quality,
    low_quality,
    outrage,
    high_outrage,
    origin,
    viewer,
    group,
    impressions,
    likes,
    comments,
    shares,
    negfb,
    imp_by_group,
    likes_by_group,
    good,
    bad,
    totals,
    shared,
    parts,
):  # pragma: no cover - jitted
    """:func:`count_items` (same arguments and result) as independent loops, for threads.

    (1) The items in :data:`CHUNKS` chunks: trust evidence per item, and per chunk the
    totals, the number of items shared and a histogram of the original posts' slots
    (at most :data:`SLOT_BINS` bins of 2^k slots). (2) The shared items' indices, each
    chunk at its offset (the running sum of the chunks' counts), so in ascending
    order. (3) The posts' counters in ``parts`` ranges of post slots: part ``q`` reads
    every item and counts only those whose original post falls in its range, so each
    counter is written by one iteration. The ranges split the histogram's items about
    evenly: the live posts of the ring buffer fill only part of its capacity, so equal
    ranges of slots leave parts with little or nothing to count (at 10⁵ users, with
    two parts, one did all the counting). All counts are whole numbers added to
    integers, so every value is that of :func:`count_items` whatever ``parts`` and the
    thread count.
    """
    n = r.shape[0]
    nch = max(1, min(n, CHUNKS))
    tot = np.zeros((nch, 5), np.int64)
    cap = impressions.shape[0]
    shift = 0  # slot o is in bin o >> shift (a shift: a division per item is slow)
    while (cap - 1) >> shift >= SLOT_BINS:
        shift += 1
    n_bins = ((cap - 1) >> shift) + 1
    hist = np.zeros((nch, n_bins), np.int64)
    for c in prange(nch):
        for m in range(np.uint64(c * n // nch), np.uint64((c + 1) * n // nch)):
            like = r[m, 0]
            share = r[m, 2]
            neg = r[m, 3]
            good[m] += 1.0 if (like | share) else 0.0
            bad[m] += 1.0 if (neg | (quality[m] < low_quality)) else 0.0
            tot[c, 0] += like
            tot[c, 1] += r[m, 1]
            tot[c, 2] += share
            tot[c, 3] += neg
            tot[c, 4] += outrage[m] >= high_outrage
            hist[c, origin[m] >> shift] += 1
    start = np.zeros(nch + 1, np.int64)
    for c in range(nch):
        start[c + 1] = start[c] + tot[c, 2]
        for j in range(5):
            totals[j] += tot[c, j]
    for c in prange(nch):
        k = start[c]
        for m in range(np.uint64(c * n // nch), np.uint64((c + 1) * n // nch)):
            if r[m, 2]:  # a write only for a share: the next chunk's slots are its own
                shared[k] = m
                k += 1
    # part q: slots first[q] ≤ o < first[q + 1]; a boundary at the first bin b before
    # which q·F / parts items fall (first = b << shift, the bin's smallest slot)
    first = np.full(parts + 1, cap, np.int64)
    first[0] = 0
    q = 1
    below = 0
    for b in range(n_bins):
        while q < parts and below >= q * n // parts:
            first[q] = b << shift
            q += 1
        for c in range(nch):
            below += hist[c, b]
    for q in prange(parts):
        lo = first[q]
        hi = first[q + 1]
        for m in range(n):
            o = origin[m]
            if o < lo or o >= hi:
                continue
            g = group[viewer[m]]
            impressions[o] += 1
            imp_by_group[o, g] += 1
            if r[m, 0]:
                likes[o] += 1
                likes_by_group[o, g] += 1
            comments[o] += r[m, 1]
            shares[o] += r[m, 2]
            negfb[o] += r[m, 3]
    return start[nch]
