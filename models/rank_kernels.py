"""Kernels of the gather → predict → score → top-k path of the large-N feed step.

Kept apart from :mod:`feedlab.models.kernels` (the react and update kernels) so the two
paths can be tuned independently. Every kernel here computes exactly what the plain
loop it replaces computes (same values, same order), only with fewer mispredicted
branches or memory passes: results are bit-identical.
"""

from __future__ import annotations

from feedlab.models.kernels import njit

#: :func:`expand_follow_blocks` writes the first this many posts of an author's block
#: without a data-dependent loop (an account has written 0–2 posts in the window for
#: about 94 % of follow edges at the default posting rate and ``platform.window`` 1).
_SPECULATE = 2


@njit(cache=True)
def expand_follow_blocks(indices, author_ptr, by_author, slot, edge):  # pragma: no cover
    """The in-network candidate pairs: each follow edge ``e``, in edge order,
    contributes every recent post of its followee ``indices[e]``
    (``by_author[author_ptr[a]:author_ptr[a + 1]]``) as a pair (``slot``, ``edge`` e); the
    viewers are the segments of :func:`feedlab.models.kernels.follow_candidate_ptr`.

    The blocks are short (mostly 0, 1 or 2 posts), so a loop over each block mispredicts
    its exit about once per edge. Instead the first :data:`_SPECULATE` entries of a block
    are written unconditionally and the write position then advances by the block's true
    length: entries past the block are overwritten by the next edges (edges are written
    in order), so the output is the same as the plain loop's. Near either array's end,
    and for longer blocks, the plain loop runs.
    """
    o = 0
    n_out = slot.shape[0]
    n_posts = by_author.shape[0]
    for e in range(indices.shape[0]):
        a = indices[e]
        lo = author_ptr[a]
        c = author_ptr[a + 1] - lo
        if c <= _SPECULATE and o + _SPECULATE <= n_out and lo + _SPECULATE <= n_posts:
            slot[o] = by_author[lo]
            slot[o + 1] = by_author[lo + 1]
            edge[o] = e
            edge[o + 1] = e
        else:
            for q in range(c):
                slot[o + q] = by_author[lo + q]
                edge[o + q] = e
        o += c
