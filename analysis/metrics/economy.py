"""Pure metrics of the attention economy: ad slots, brand-safety adjacency, exposure by
decile (docs/attention.md). Arrays in, numbers out; the economy extension
(:mod:`feedlab.models.economy`) and offline analyses share them.
"""

from __future__ import annotations

import numpy as np


def ad_slots(k_total: np.ndarray, first: int, spacing: int) -> np.ndarray:
    """Number of ad slots in a feed of ``k_total`` slots (organic + ads): ads sit at the
    positions ``first, first + spacing, first + 2·spacing, …`` below ``k_total``.
    """
    k = np.asarray(k_total, dtype=np.int64)
    return np.where(k > first, 1 + (k - 1 - first) // spacing, 0)


def organic_before(a: np.ndarray, first: int, spacing: int) -> np.ndarray:
    """Organic items above the ``a``-th ad (0-based) of a feed: ad ``a`` sits at position
    ``first + a·spacing``, below ``a`` earlier ads.
    """
    return first + np.asarray(a, dtype=np.int64) * (spacing - 1)


def shown_ads(organic_len: np.ndarray, planned: np.ndarray, first: int, spacing: int) -> np.ndarray:
    """Ads actually shown to each viewer: the planned slots whose organic items above them
    exist (a feed cut short by a lack of candidates shows only the ads it reaches; an
    empty feed shows none).
    """
    L = np.asarray(organic_len, dtype=np.int64)
    reach = np.where(L >= first, 1 + (L - first) // max(spacing - 1, 1), 0)
    return np.where(L > 0, np.minimum(np.asarray(planned, dtype=np.int64), reach), 0)


def unsafe_adjacent(
    ptr: np.ndarray,
    viewer: np.ndarray,
    before: np.ndarray,
    unsafe_item: np.ndarray,
    window: int,
) -> np.ndarray:
    """For each ad (viewer ``viewer[s]``, ``before[s]`` organic items above it), whether
    any of the ``window`` organic items directly above or below it is unsafe.

    ``unsafe_item`` flags the organic feed items, grouped by viewer in rank order with
    segment pointers ``ptr`` (viewer ``i``'s items are ``ptr[i]:ptr[i+1]``).
    """
    cum = np.zeros(unsafe_item.shape[0] + 1, dtype=np.int64)
    np.cumsum(unsafe_item, out=cum[1:])
    start, stop = ptr[viewer], ptr[viewer + 1]
    lo = np.clip(start + before - window, start, stop)
    hi = np.clip(start + before + window, start, stop)
    return (cum[hi] - cum[lo]) > 0


def deciles(x: np.ndarray) -> np.ndarray:
    """Decile (0-9) of each value of ``x`` by rank (ties in index order)."""
    n = x.shape[0]
    order = np.argsort(x, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return (rank * 10) // max(n, 1)


def decile_shares(decile: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share of the total ``weights`` (per user) falling in each decile (10 values; NaN
    when the total is 0). Equal exposure gives 0.1 each.
    """
    tot = np.bincount(decile, weights=weights, minlength=10)[:10]
    s = float(tot.sum())
    return tot / s if s > 0 else np.full(10, np.nan)


def share(num: float, den: float) -> float:
    """``num / den``, NaN when ``den`` is 0."""
    return num / den if den > 0 else float("nan")
