"""Sparse Bernoulli sampling: which of ``n`` items a coin of probability ``p`` selects.

Testing each of ``n`` items with an independent coin of probability ``p`` needs ``n``
uniform numbers; when ``p`` is small almost all of them are wasted. The gaps between
successive selected items of such a Bernoulli process are independent geometric
variables on {1, 2, ...} with success probability ``p`` (Devroye 1986, *Non-Uniform
Random Variate Generation*, §VI.2: the waiting-time method), so drawing the gaps and
summing them yields the same law — every item selected independently with probability
``p`` — from about ``n·p`` draws. Rewiring (``FeedModel.rewire``) uses this to visit
only the follow edges it tests.
"""

from __future__ import annotations

import math

import numpy as np


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
