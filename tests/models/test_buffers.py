"""feedlab.models.buffers: pooled memory is reused only when nothing refers to it."""

from __future__ import annotations

import numpy as np

from feedlab.models import buffers
from feedlab.models.buffers import MAX_FREE, MIN_BYTES, BufferPool

BIG = MIN_BYTES // 8 * 4  # float64 elements: well above the pooling threshold


def test_a_block_is_not_reused_while_any_view_of_it_lives() -> None:
    pool = BufferPool()
    a = pool.empty((4, BIG))
    row = a[1]  # a view keeps the block alive even after `a` is gone
    del a
    b = pool.empty((4, BIG))
    assert not np.shares_memory(b, row)
    row[:] = 1.0
    b[:] = 2.0
    assert np.all(row == 1.0)  # the two arrays really are separate memory


def test_a_free_block_is_reused_and_typed() -> None:
    pool = BufferPool()
    a = pool.empty(BIG)
    addr = a.__array_interface__["data"][0]
    del a
    b = pool.empty(BIG, np.int64)
    assert b.__array_interface__["data"][0] == addr and b.dtype == np.int64
    assert b.shape == (BIG,) and b.flags.c_contiguous
    del b
    c = pool.empty((2, BIG // 3), np.float64)  # two thirds of the bytes: still fits
    assert c.__array_interface__["data"][0] == addr and c.shape == (2, BIG // 3)


def test_small_requests_and_much_smaller_ones_are_not_pooled() -> None:
    pool = BufferPool()
    small = pool.empty(10)
    assert small.base is None and pool.nbytes() == 0
    big = pool.empty(BIG)
    del big
    tiny_share = pool.empty(BIG // 4)  # < half the free block: gets its own block
    assert pool.nbytes() > BIG * 8 * 1.2
    del tiny_share


def test_free_blocks_are_bounded() -> None:
    pool = BufferPool()
    # each request 10 % larger than the last: no earlier (freed) block can serve it
    sizes = [int(BIG * 1.1**i) for i in range(MAX_FREE + 4)]
    for n in sizes:
        pool.empty(n)  # freed at once
    assert len(pool._blocks) <= MAX_FREE
    assert pool._blocks[-1].nbytes >= sizes[-1] * 8  # the newest survive


def test_module_level_pool() -> None:
    x = buffers.empty((3, BIG))
    x[:] = 5.0
    assert x.shape == (3, BIG) and float(x.sum()) == 15.0 * BIG
