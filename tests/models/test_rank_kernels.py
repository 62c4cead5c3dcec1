"""The kernels of the gather → rank path (models/rank_kernels.py) equal, bit for bit, the
plain NumPy expressions they replace (issue 17, "The large-N step").
"""

from __future__ import annotations

import numpy as np
import pytest

from feedlab.models.config import thread_limit
from feedlab.models.kernels import feed_positions, follow_candidate_ptr, set_threads, threaded
from feedlab.models.rank_kernels import expand_follow_blocks


def _blocks_reference(
    indices: np.ndarray, author_ptr: np.ndarray, by_author: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each edge's followee block, in edge order, by NumPy (the definition)."""
    lo, hi = author_ptr[indices], author_ptr[indices + 1]
    count = hi - lo
    edge = np.repeat(np.arange(indices.size, dtype=np.int64), count)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
    return by_author[start + np.arange(edge.size)], edge


def _scratch(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`expand_follow_blocks`' scratch (an entry per edge), filled with junk."""
    return np.full(indices.size, -3, np.int64), np.full(indices.size, -5, np.int64)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_posts", [1, 2, 3, 7])
def test_expand_follow_blocks_matches_reference(seed: int, max_posts: int) -> None:
    """Blocks of 0 to ``max_posts`` posts (the speculative writes of 2 and the plain loop),
    the first and last authors with and without posts, equal the reference exactly.
    """
    rng = np.random.default_rng(seed)
    n = 50
    count = rng.integers(0, max_posts + 1, n)
    count[rng.integers(0, n)] = 0
    if seed % 2:
        count[-1] = 0  # the last block empty: the speculative read past the posts is avoided
        count[0] = max_posts
    author_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=author_ptr[1:])
    by_author = rng.permutation(int(author_ptr[-1]) * 3)[: author_ptr[-1]].astype(np.int64)
    indices = rng.integers(0, n, 400).astype(np.int32)
    indices[-3:] = [n - 1, 0, n - 1]  # end on the edges that border the arrays' ends
    ref_slot, ref_edge = _blocks_reference(indices.astype(np.int64), author_ptr, by_author)
    # viewers' rows: 30 (one chunk each) or 300 (more than CHUNKS), some empty
    rows = 30 if seed < 3 else 300
    indptr = np.zeros(rows + 1, np.int64)
    indptr[1:-1] = np.sort(rng.integers(0, indices.size + 1, rows - 1))
    indptr[-1] = indices.size
    ptr = np.empty(rows + 1, np.int64)
    follow_candidate_ptr(indptr, indices, count, ptr)
    np.testing.assert_array_equal(ptr, np.concatenate([[0], np.cumsum(count[indices])])[indptr])
    slot = np.full(ref_slot.size, -7, np.int64)
    edge = np.full(ref_slot.size, -7, np.int64)
    expand_follow_blocks(
        indptr, indices, ptr, author_ptr, by_author, slot, edge, *_scratch(indices)
    )
    np.testing.assert_array_equal(slot, ref_slot)
    np.testing.assert_array_equal(edge, ref_edge)


def test_expand_follow_blocks_no_posts() -> None:
    """No recent posts at all: nothing is written (and nothing read out of bounds)."""
    indices = np.array([0, 1, 1], np.int32)
    author_ptr = np.zeros(3, np.int64)
    slot = np.empty(0, np.int64)
    edge = np.empty(0, np.int64)
    indptr = np.array([0, 1, 3], np.int64)
    ptr = np.zeros(3, np.int64)
    expand_follow_blocks(
        indptr, indices, ptr, author_ptr, np.empty(0, np.int64), slot, edge, *_scratch(indices)
    )
    assert slot.size == 0 and edge.size == 0


@pytest.mark.skipif(thread_limit() < 2, reason="Numba's pool has one thread here")
def test_gather_kernels_do_not_depend_on_the_thread_count() -> None:
    """The parallel twins (``platform.threads`` 2) of the candidate pointer and the
    block expansion write the same arrays as the serial kernels.
    """
    rng = np.random.default_rng(5)
    n, m = 700, 9000  # more viewers than CHUNKS: several rows per chunk
    count = rng.integers(0, 4, n)
    author_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=author_ptr[1:])
    by_author = rng.permutation(int(author_ptr[-1])).astype(np.int64)
    indices = rng.integers(0, n, m).astype(np.int32)
    indptr = np.zeros(n + 1, np.int64)
    indptr[1:-1] = np.sort(rng.integers(0, m + 1, n - 1))
    indptr[-1] = m
    out = []
    for threads in (1, 2):
        set_threads(threads)
        try:
            ptr = np.empty(n + 1, np.int64)
            threaded(follow_candidate_ptr)(indptr, indices, count, ptr)
            slot = np.full(int(ptr[-1]), -7, np.int64)
            edge = np.full(int(ptr[-1]), -7, np.int64)
            threaded(expand_follow_blocks)(
                indptr, indices, ptr, author_ptr, by_author, slot, edge, *_scratch(indices)
            )
        finally:
            set_threads(1)
        out.append((ptr, slot, edge))
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("threads", [1, 2])
def test_feed_positions_read_off_viewer_rank_slot_and_edge(threads: int) -> None:
    """Each selected item's viewer, rank in its feed, post slot and edge, on one or two
    threads; a selection not grouped as its pointer says is refused.
    """
    if threads > thread_limit():
        pytest.skip("Numba's pool has one thread here")
    rng = np.random.default_rng(3)
    n = 600  # more segments than CHUNKS
    sizes = rng.integers(0, 9, n)
    cand_ptr = np.concatenate([[0], np.cumsum(sizes)])
    take = np.minimum(rng.integers(0, 5, n), sizes)
    out_ptr = np.concatenate([[0], np.cumsum(take)])
    sel = np.concatenate(
        [cand_ptr[s] + rng.permutation(sizes[s])[: take[s]] for s in range(n)]
    ).astype(np.int64)
    viewers = rng.permutation(n).astype(np.int32)
    cand_slot = rng.integers(0, 10_000, int(cand_ptr[-1]))
    cand_edge = rng.integers(-1, 10_000, int(cand_ptr[-1]))
    f = sel.size
    seg = np.repeat(np.arange(n), take)
    want = [viewers[seg], np.arange(f) - out_ptr[seg], cand_slot[sel], cand_edge[sel]]
    outs = [np.full(f, -7, np.int32), *[np.full(f, -7, np.int64) for _ in range(3)]]
    set_threads(threads)
    try:
        kernel = threaded(feed_positions)
        assert kernel(sel, out_ptr, cand_ptr, viewers, cand_slot, cand_edge, *outs)
        for a, b in zip(outs, want, strict=True):
            assert np.array_equal(a, b)
        bad = sel.copy()
        bad[f // 2] = cand_ptr[-1] - 1 if bad[f // 2] < cand_ptr[-1] // 2 else 0
        assert not kernel(bad, out_ptr, cand_ptr, viewers, cand_slot, cand_edge, *outs)
    finally:
        set_threads(1)
