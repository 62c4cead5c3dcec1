"""The recorder's one-pass feed statistics for one arm equal the general path.

``Recorder.observe`` takes :func:`feedlab.analysis.live.one_arm_feed_stats` when the model
has one arm; it must give the keys, order and values (exactly) of
:func:`feedlab.analysis.live.cross_cutting_share` followed by
:func:`feedlab.analysis.live.reach_and_arm_stats`, the path it replaces (issue 17), at
any thread count, and hand a feed it cannot count (viewers not in increasing order) to
that path.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from feedlab.analysis import live
from feedlab.experiments import build, compose
from feedlab.models.config import thread_limit
from feedlab.models.kernels import set_threads


def _ctx(overrides: list[str]) -> tuple[Any, Any]:  # (model, StepContext)
    m = build(compose(["network.n=400", "seed=5", "output.mesa_agents=false", *overrides]))
    m.step()
    t = m.t
    m.post(t)
    cand = m.gather(t)
    feed = m.rank(cand)
    ctx = m.react(t, cand, feed)
    m.count(ctx)
    return m, ctx


@pytest.mark.parametrize(
    "overrides", [[], ["ranking=diversity", "network.n_groups=3"], ["ranking=chronological"]]
)
def test_one_arm_feed_stats_are_the_general_path(overrides: list[str]) -> None:
    m, ctx = _ctx(overrides)
    items, group = ctx.feed.items, m.users.group
    want = {
        "cross_cutting_share": live.cross_cutting_share(
            group[ctx.feed.viewer], group[items.origin_author]
        ),
        **live.reach_and_arm_stats(m, ctx),
    }
    got = live.one_arm_feed_stats(m, ctx)
    _same(got, want)
    assert 0 < got["cross_cutting_share"] < 1 and got["reach_outrage_high"] > 0


def _same(got: dict[str, float], want: dict[str, float]) -> None:
    assert list(got) == list(want)
    for k, v in want.items():
        assert got[k] == v or (math.isnan(got[k]) and math.isnan(v)), k


@pytest.mark.skipif(thread_limit() < 2, reason="Numba's pool has one thread here")
def test_feed_and_candidate_counts_do_not_depend_on_the_thread_count() -> None:
    """The chunked kernels' parallel twins (``platform.threads`` 2) count the same: the
    feed statistics and the high-outrage candidates, checked against NumPy's masks.
    """
    m, ctx = _ctx(["network.n_groups=3"])
    slot, outrage = ctx.cand.slot, m.posts.outrage
    thr = m.dynamics.high_outrage
    want = int(np.count_nonzero(outrage[slot] >= thr))
    one = live.one_arm_feed_stats(m, ctx)
    assert live._count_at_least(outrage, slot, thr) == want > 0
    set_threads(2)
    try:
        two = live.one_arm_feed_stats(m, ctx)
        assert live._count_at_least(outrage, slot, thr) == want
        assert live._count_at_least(outrage, slot[:3], thr) == np.count_nonzero(
            outrage[slot[:3]] >= thr
        )  # fewer items than chunks
        assert live._count_at_least(outrage, slot[:0], thr) == 0
    finally:
        set_threads(1)
    _same(two, one)


def test_a_feed_not_grouped_by_increasing_viewers_takes_the_general_path() -> None:
    """Reach counts distinct users: segments of a viewer seen twice (or out of order)
    would count it twice, so the one-pass kernel flags them and the general path runs.
    """
    m, ctx = _ctx([])
    items = ctx.feed.items
    want = live.one_arm_feed_stats(m, ctx)
    # the same items, the viewers' segments in reverse order
    order = np.concatenate(
        [np.arange(items.ptr[s], items.ptr[s + 1]) for s in range(items.viewers.size)[::-1]]
    )
    counts = np.diff(items.ptr)[::-1]
    ptr = np.concatenate([[0], np.cumsum(counts)])
    rev = items.select(order, items.viewers[::-1].copy(), ptr, predictions=False)
    ctx.feed = dataclasses.replace(ctx.feed, viewer=ctx.feed.viewer[order], items=rev)
    _same(live.one_arm_feed_stats(m, ctx), want)
    flags = np.zeros((4, m.n_groups + 7), dtype=np.int64)
    live._feed_class_counts(
        rev.viewers, rev.ptr, rev.origin_author, m.users.group, rev.outrage, rev.quality,
        rev.slot, m.posts.political, m.dynamics.high_outrage, live.QUALITY_SPLIT,
        m.n_groups, flags,
    )  # fmt: skip
    assert flags[:, -1].any()
