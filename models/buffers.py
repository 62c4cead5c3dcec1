"""Recycled memory for the large per-step arrays of the hot path.

A step allocates the same big temporaries again and again (the platform's predictions
for every candidate, the prediction errors, the scores): at 10⁵ users about 40 MB each.
Fresh memory from the operating system must be faulted in and zeroed page by page, which
costs as much as a pass of arithmetic over it; :func:`empty` hands out memory of an
earlier step instead.

Safety does not rest on anyone returning a buffer: a pooled block is reused only when
nothing else refers to it. NumPy views keep their owner alive (``view.base`` is the
owning array), so while any array handed out from a block — or any slice, row or view of
one — is alive, the block's reference count is above the pool's own and it is skipped.
Contents are undefined, as with :func:`numpy.empty`: callers write before they read, so
results never depend on the pool.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import numpy.typing as npt

#: Requests below this size go straight to :func:`numpy.empty` (the allocator keeps
#: small blocks warm by itself).
MIN_BYTES = 1 << 22
#: A free block serves a request of at least this fraction of its size (so a small
#: request does not pin a large block).
FILL = 0.5
#: New blocks get this much headroom, so a batch a little larger than the last one
#: (candidate counts vary from step to step) still fits.
HEADROOM = 1.05
#: At most this many free blocks are kept; the least recently used go first.
MAX_FREE = 8


class BufferPool:
    """Blocks of raw memory, handed out as typed arrays (module docstring)."""

    def __init__(self) -> None:
        self._blocks: list[np.ndarray] = []
        self._last_use: list[int] = []
        self._clock = 0

    def _free(self, i: int) -> bool:
        """Nothing outside the pool refers to block ``i`` (its references: the list and
        getrefcount's argument).
        """
        return sys.getrefcount(self._blocks[i]) == 2

    def empty(self, shape: int | tuple[int, ...], dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """An uninitialised C-contiguous array, from a free pooled block when one fits."""
        dt = np.dtype(dtype)
        # math.prod, not np.prod: ~0.2 µs instead of ~4 (28 calls a step; small runs)
        n = (math.prod(shape) if isinstance(shape, tuple | list) else int(shape)) * dt.itemsize
        if n < MIN_BYTES:
            return np.empty(shape, dt)
        self._clock += 1
        sizes = [b.nbytes for b in self._blocks]  # no loop variable may hold a block
        best = -1
        for i, size in enumerate(sizes):
            if FILL * size <= n <= size and (best < 0 or size < sizes[best]) and self._free(i):
                best = i
        if best < 0:
            self._evict()
            self._blocks.append(np.empty(int(n * HEADROOM), np.uint8))
            self._last_use.append(0)
            best = len(self._blocks) - 1
        self._last_use[best] = self._clock
        return self._blocks[best][:n].view(dt).reshape(shape)

    def _evict(self) -> None:
        """Drop the least recently used free blocks beyond ``MAX_FREE``."""
        free = [i for i in range(len(self._blocks)) if self._free(i)]
        if len(free) < MAX_FREE:
            return
        free.sort(key=lambda i: self._last_use[i])
        drop = set(free[: len(free) - MAX_FREE + 1])
        self._blocks = [b for i, b in enumerate(self._blocks) if i not in drop]
        self._last_use = [u for i, u in enumerate(self._last_use) if i not in drop]

    def nbytes(self) -> int:
        """Bytes held by the pool (in use or free)."""
        return sum(b.nbytes for b in self._blocks)


#: The process's pool (feedlab runs one model at a time per process; no threads).
POOL = BufferPool()


def empty(shape: int | tuple[int, ...], dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    """:meth:`BufferPool.empty` of the process's pool."""
    return POOL.empty(shape, dtype)
