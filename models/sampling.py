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
same numbers as one ``rng.random(out=...)``; on one thread, by :func:`pcg64_fill`.

One-thread draws (:func:`pcg64_fill`): ``Generator.random`` with a
:class:`numpy.random.PCG64` steps a 128-bit linear congruential generator,
``s ← s·M + c (mod 2¹²⁸)``, and turns each new state into a 64-bit output (XSL-RR: the
two halves XORed, rotated by the state's top six bits) and the output into a double (its
top 53 bits times 2⁻⁵³). Each step waits on the previous one's 128-bit product.
:func:`pcg64_fill` runs :data:`PCG64_LANES` interleaved copies of the recurrence instead:
lane ``j`` starts at the state ``j + 1`` steps on and advances L = ``PCG64_LANES`` steps
at a time (``s ← s·M^L + c·(1 + M + … + M^(L−1))``, the same states), so the lanes'
products overlap. Every number is the one ``Generator.random`` draws at that position
(integer arithmetic, exact), and the generator is left where ``Generator.random`` leaves
it (:func:`pcg64_advanced_state`). Measured ~6.6 ms instead of ~9.1 ms for the react
phase's 4·10⁶ uniforms at 10⁵ users. Without Numba (or with ``NUMBA_DISABLE_JIT``)
:data:`PCG64_JIT` is False and NumPy draws.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: Batches below this many numbers are drawn in one part (threads would not pay off).
PARALLEL_MIN = 1 << 16
_pool: ThreadPoolExecutor | None = None


def uniform_fill(rng: np.random.Generator, out: np.ndarray, threads: int = 1) -> None:
    """``rng.random(out=out)``, the same numbers and the same generator state after it,
    drawn in ``threads`` parts at once, or on one thread by the Numba kernel of
    :func:`pcg64_fill` (~1.5× faster than NumPy's loop).

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
        or (threads <= 1 and not PCG64_JIT)
    ):
        rng.random(out=out)
        return
    flat = out.reshape(-1)
    state = bg.state
    if threads <= 1:  # one thread: the Numba kernel (the same numbers: pcg64_fill)
        pcg64_fill(state["state"]["state"], state["state"]["inc"], flat)
        bg.state = pcg64_advanced_state(state, n)
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
    bg.state = pcg64_advanced_state(state, n)


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


# ------------------------------------------------ PCG64 on one thread (module docstring)
#: Interleaved copies of the recurrence (measured: 4 and 8 equally fast, 1 ~1.5× slower).
PCG64_LANES = 8
#: PCG64's multiplier (``PCG_DEFAULT_MULTIPLIER_128`` of NumPy's ``pcg64.h``).
PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
_MASK128 = (1 << 128) - 1
_MASK64 = (1 << 64) - 1

PCG64_JIT = False
try:
    from llvmlite import ir
    from numba import config as numba_config
    from numba import njit, types
    from numba.extending import intrinsic

    # numba.config creates its options at import time; its stubs do not declare them
    PCG64_JIT = not numba_config.DISABLE_JIT  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Numba is a core dependency
    pass

if PCG64_JIT:

    @intrinsic
    def _lcg_step(_typingctx: Any, hi: Any, lo: Any, mhi: Any, mlo: Any, chi: Any, clo: Any):  # type: ignore[no-untyped-def]
        """(hi, lo) of ``(hi:lo)·(mhi:mlo) + (chi:clo) mod 2¹²⁸`` (LLVM's 128-bit integers)."""
        u64 = types.uint64
        sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            i128 = ir.IntType(128)
            shift = ir.Constant(i128, 64)

            def wide(h, low):  # type: ignore[no-untyped-def]
                return builder.or_(
                    builder.shl(builder.zext(h, i128), shift), builder.zext(low, i128)
                )

            r = builder.add(
                builder.mul(wide(args[0], args[1]), wide(args[2], args[3])), wide(args[4], args[5])
            )
            out_hi = builder.trunc(builder.lshr(r, shift), ir.IntType(64))
            out_lo = builder.trunc(r, ir.IntType(64))
            return context.make_tuple(builder, signature.return_type, (out_hi, out_lo))

        return sig, codegen

    @njit(cache=True, inline="always")
    def _double(hi, lo):  # type: ignore[no-untyped-def]  # pragma: no cover - jitted
        """The double of state (hi:lo): XSL-RR output, top 53 bits times 2⁻⁵³."""
        x = hi ^ lo
        rot = hi >> np.uint64(58)
        v = (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))
        return np.float64(v >> np.uint64(11)) * (1.0 / 9007199254740992.0)

    @njit(cache=True)
    def _fill_lanes(hi, lo, mhi, mlo, chi, clo, out):  # type: ignore[no-untyped-def]  # pragma: no cover - jitted
        """``out[i·L + j]`` = the double of lane ``j``'s state after ``i`` jumps (lanes'
        states ``hi``/``lo``; jump: multiplier ``mhi:mlo``, increment ``chi:clo``).
        """
        n = out.shape[0]
        h = hi.copy()
        low = lo.copy()
        i = 0
        while i + PCG64_LANES <= n:
            for j in range(PCG64_LANES):
                out[i + j] = _double(h[j], low[j])
                h[j], low[j] = _lcg_step(h[j], low[j], mhi, mlo, chi, clo)
            i += PCG64_LANES
        for j in range(n - i):
            out[i + j] = _double(h[j], low[j])


def _halves(x: int) -> tuple[np.uint64, np.uint64]:
    return np.uint64(x >> 64), np.uint64(x & _MASK64)


def pcg64_fill(state: int, inc: int, out: np.ndarray) -> None:
    """``out`` (1-D float64, C-contiguous) ← the doubles a PCG64 at ``state`` (with
    increment ``inc``) draws next, as ``Generator.random(out=out)`` (the module
    docstring); the generator's state is not touched (see :func:`pcg64_advanced_state`).
    """
    lanes = []
    s = state
    for _ in range(PCG64_LANES):
        s = (s * PCG64_MULTIPLIER + inc) & _MASK128
        lanes.append(s)
    jump = pow(PCG64_MULTIPLIER, PCG64_LANES, 1 << 128)
    step = (inc * sum(pow(PCG64_MULTIPLIER, k, 1 << 128) for k in range(PCG64_LANES))) & _MASK128
    hi = np.array([x >> 64 for x in lanes], np.uint64)
    lo = np.array([x & _MASK64 for x in lanes], np.uint64)
    _fill_lanes(hi, lo, *_halves(jump), *_halves(step), out)


def pcg64_advanced_state(state: Any, n: int) -> Any:
    """A PCG64 ``state`` dict advanced ``n`` 64-bit outputs (``PCG64.advance``), keeping
    its buffered 32-bit half-word: where ``Generator.random`` of ``n`` numbers leaves it.
    """
    end = np.random.PCG64()
    end.state = state
    end.advance(n)
    after: Any = end.state
    after["has_uint32"], after["uinteger"] = state["has_uint32"], state["uinteger"]
    return after
