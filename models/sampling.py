"""Sparse Bernoulli sampling: which of ``n`` items a coin of probability ``p`` selects.

Testing each of ``n`` items with an independent coin of probability ``p`` needs ``n``
uniform numbers; when ``p`` is small almost all of them are wasted. The gaps between
successive selected items of such a Bernoulli process are independent geometric
variables on {1, 2, ...} with success probability ``p`` (Devroye 1986, *Non-Uniform
Random Variate Generation*, §VI.2: the waiting-time method), so drawing the gaps and
summing them yields the same law — every item selected independently with probability
``p`` — from about ``n·p`` draws. Rewiring (``FeedModel.rewire``) uses this to visit
only the follow edges it tests.

:func:`uniform_fill` draws a large batch of uniforms in parts on several threads, the
same numbers as one ``rng.random(out=...)``.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from feedlab.models import pcg64

#: Batches below this many numbers are drawn in one part (threads would not pay off).
PARALLEL_MIN = 1 << 16
_pool: ThreadPoolExecutor | None = None


def uniform_fill(rng: np.random.Generator, out: np.ndarray, threads: int = 1) -> None:
    """``rng.random(out=out)``, the same numbers and the same generator state after it,
    drawn in ``threads`` parts at once, or on one thread by the Numba kernel of
    :mod:`feedlab.models.pcg64` (~1.5× faster than NumPy's loop).

    A PCG64 double consumes exactly one 64-bit output of the generator (NumPy's
    ``next_double``), so part ``i``, starting at number ``s_i`` of the batch, is drawn by
    a copy of the generator advanced ``s_i`` outputs (``PCG64.advance``, O(log s_i));
    NumPy releases the GIL while it fills an array, so the parts run in parallel. The
    generator then continues ``n`` outputs on, keeping its buffered 32-bit half-word (as
    ``random`` leaves it). Other bit generators, non-contiguous output or a small batch
    (or one thread without Numba): one plain call.
    """
    global _pool
    bg = rng.bit_generator
    n = int(out.size)
    if (
        n < PARALLEL_MIN
        or type(bg) is not np.random.PCG64
        or out.dtype != np.float64
        or not out.flags.c_contiguous
        or (threads <= 1 and not pcg64.AVAILABLE)
    ):
        rng.random(out=out)
        return
    flat = out.reshape(-1)
    state = bg.state
    if threads <= 1:  # one thread: the Numba kernel (the same numbers, models/pcg64.py)
        pcg64.fill(state["state"]["state"], state["state"]["inc"], flat)
        bg.state = pcg64.advanced_state(state, n)
        return
    bounds = [n * i // threads for i in range(threads + 1)]

    def part(i: int) -> None:
        g = np.random.PCG64()
        g.state = state
        g.advance(bounds[i])
        np.random.Generator(g).random(out=flat[bounds[i] : bounds[i + 1]])

    if _pool is None or _pool._max_workers < threads - 1:
        _pool = ThreadPoolExecutor(max_workers=threads - 1)
    futures = [_pool.submit(part, i) for i in range(1, threads)]
    part(0)
    for f in futures:
        f.result()
    bg.state = pcg64.advanced_state(state, n)


def bernoulli_indices(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Indices in ``[0, n)``, ascending, each present independently with probability ``p``.

    Geometric gaps (module docstring) drawn from ``rng`` in chunks sized to cover ``n``
    with high probability (a rare shortfall draws another chunk), so the draws consumed
    are a fixed function of the generator's state. ``p <= 0`` selects nothing and draws
    nothing; ``p >= 1`` selects everything and draws nothing.
    """
    n = int(n)
    if n <= 0 or p <= 0.0:
        return np.zeros(0, np.int64)
    if p >= 1.0:
        return np.arange(n, dtype=np.int64)
    parts = []
    last = -1  # index of the last selected item so far
    while True:
        left = n - 1 - last  # items not yet passed
        mean = left * p
        size = int(mean + 6.0 * math.sqrt(mean) + 16)
        idx = last + np.cumsum(rng.geometric(p, size=size))
        if idx[-1] >= n:
            parts.append(idx[: int(np.searchsorted(idx, n))])
            break
        parts.append(idx)
        last = int(idx[-1])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
