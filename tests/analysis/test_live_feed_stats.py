"""The recorder's one-pass feed statistics for one arm equal the general path.

``Recorder.observe`` takes :func:`feedlab.analysis.live.one_arm_feed_stats` when the model
has one arm; it must give the keys, order and values (exactly) of
:func:`feedlab.analysis.live.cross_cutting_share` followed by
:func:`feedlab.analysis.live.reach_and_arm_stats`, the path it replaces (issue 17).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from feedlab.analysis import live
from feedlab.experiments import build, compose


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
    assert list(got) == list(want)
    for k, v in want.items():
        assert got[k] == v or (math.isnan(got[k]) and math.isnan(v)), k
    assert 0 < got["cross_cutting_share"] < 1 and got["reach_outrage_high"] > 0
