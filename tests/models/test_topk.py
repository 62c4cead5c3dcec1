"""The shared segmented top-k (feedlab.models.rank_kernels.segmented_topk): exact against a sort, on
both of its paths (with and without the threshold prefilter), and its tie-break random."""

from __future__ import annotations

import numpy as np
import pytest

from feedlab.models.kernels import _PREFILTER_RATIO, tie_key, tie_value
from feedlab.models.rank_kernels import SMALL_SEGMENT, segmented_topk


def _reference(score, ptr, k, key):
    """Per segment: sort by (score desc, tie value desc, index asc), keep the first k."""
    tb = np.array([tie_value(np.uint64(key), j) for j in range(score.size)], dtype=np.int64)
    out = []
    for s in range(ptr.size - 1):
        idx = np.arange(ptr[s], ptr[s + 1])
        order = idx[np.lexsort((idx, -tb[idx], -score[idx]))]
        out.extend(order[: k[s]].tolist())
    return out


def _segments(rng, n, low, high):
    sizes = rng.integers(low, high, size=n)
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(sizes, out=ptr[1:])
    return ptr


@pytest.mark.parametrize(
    "scores",
    ["continuous", "few_values", "all_equal", "with_infinities", "sorted_ascending"],
)
def test_topk_matches_a_full_sort(scores: str) -> None:
    rng = np.random.default_rng(3)
    ptr = _segments(rng, 300, 0, 60)
    m = int(ptr[-1])
    score = {
        "continuous": rng.normal(size=m),
        "few_values": rng.integers(0, 4, size=m).astype(float),
        "all_equal": np.zeros(m),
        "with_infinities": np.where(rng.random(m) < 0.3, -np.inf, rng.integers(0, 3, m)),
        "sorted_ascending": np.arange(m, dtype=float),
    }[scores]
    k = rng.integers(0, 25, size=ptr.size - 1)
    sizes = np.diff(ptr)
    # both paths are exercised: segments far longer than k are prefiltered, others not
    assert (sizes >= _PREFILTER_RATIO * k).any() and (sizes < _PREFILTER_RATIO * k).any()
    key = 987654321
    sel, out_ptr = segmented_topk(score, ptr, k, key)
    assert np.array_equal(out_ptr[1:] - out_ptr[:-1], np.minimum(k, sizes))
    assert sel.tolist() == _reference(score, ptr, k, key)


@pytest.mark.parametrize("scores", ["continuous", "few_values", "signed_zeros", "with_infinities"])
def test_counting_path_gives_the_insertion_paths_feeds(scores: str) -> None:
    """Up to SMALL_SEGMENT competing items (a short segment, or a long one's survivors of
    the threshold) are ranked by counting when their scores are distinct; the feeds are
    exactly those of the insertion path (``small=0``), also for the inputs counting must
    hand back (equal scores, +0 and -0) and across the 16, 32 and 64 widths.
    """
    rng = np.random.default_rng(5)
    ptr = _segments(rng, 400, 0, SMALL_SEGMENT + 30)
    m = int(ptr[-1])
    sizes = np.diff(ptr)
    k = rng.integers(0, 25, size=ptr.size - 1)
    whole = sizes < _PREFILTER_RATIO * k  # the whole segment counted (if <= SMALL_SEGMENT)
    for lo, hi in [(0, 16), (16, 32), (32, 64)]:
        assert (whole & (sizes > lo) & (sizes <= hi)).any()
    # longer than SMALL_SEGMENT, and prefiltered (then the survivors are counted)
    assert (sizes > SMALL_SEGMENT).any() and (~whole & (k > 0)).any()
    score = {
        "continuous": rng.normal(size=m),
        "few_values": rng.integers(0, 40, size=m).astype(float),
        "signed_zeros": np.where(rng.random(m) < 0.05, rng.choice([0.0, -0.0], m), rng.random(m)),
        "with_infinities": np.where(rng.random(m) < 0.05, -np.inf, rng.normal(size=m)),
    }[scores]
    key = 123456789
    sel, out_ptr = segmented_topk(score, ptr, k, key)
    ref_sel, ref_ptr = segmented_topk(score, ptr, k, key, small=0)
    assert np.array_equal(out_ptr, ref_ptr)
    assert np.array_equal(sel, ref_sel)
    if scores == "continuous":
        assert sel.tolist() == _reference(score, ptr, k, key)


def test_topk_tie_break_is_uniform() -> None:
    """With equal scores the feed is a uniform sample: over 4000 keys, each of 5 items is
    first (k = 1) in 800 ± 4·25 cases (binomial sd √(4000·0.2·0.8) = 25.3), and keys from
    one generator are reproducible."""
    rng = np.random.default_rng(11)
    ptr = np.array([0, 5], np.int64)
    first = [
        int(segmented_topk(np.zeros(5), ptr, np.array([1]), tie_key(rng))[0][0])
        for _ in range(4000)
    ]
    counts = np.bincount(first, minlength=5)
    assert np.all(np.abs(counts - 800) < 4 * 25.3), counts
    again = np.random.default_rng(11)
    assert first[:50] == [
        int(segmented_topk(np.zeros(5), ptr, np.array([1]), tie_key(again))[0][0])
        for _ in range(50)
    ]


def _lowbias32(h: int) -> int:
    """Wellons' lowbias32, restated in plain Python integers."""
    h ^= h >> 16
    h = (h * 0x7FEB352D) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x846CA68B) & 0xFFFFFFFF
    h ^= h >> 16
    return h


@pytest.mark.parametrize("key,j", [(7, 0), (7, 1), (0xFFFFFFFF, 123456), (3, 2**32 + 5)])
def test_tie_value_is_the_documented_hash(key: int, j: int) -> None:
    """tie_value(key, j) = lowbias32(key ^ low32(j)), then, when j ≥ 2³², lowbias32 of
    that ^ high32(j)."""
    expect = _lowbias32(key ^ (j & 0xFFFFFFFF))
    if j >> 32:
        expect = _lowbias32(expect ^ (j >> 32))
    assert int(tie_value(np.uint64(key), j)) == expect
