"""Outrage amplification split into the ranker's selection and the pool's drift, and
Huszár et al. (2022)'s amplification in percent: known answers for the pure functions
(feedlab.analysis.metrics) and the live columns recomputed by hand from one step's
candidates and feed (docs/metrics.md §Engagement and value, docs/ranking.md §Amplification).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from feedlab.analysis.metrics import (
    amplification_ratio,
    huszar_amplification,
    outrage_amplification,
    outrage_split,
    outrage_split_counts,
    unique_reach,
)
from feedlab.experiments import build, compose
from feedlab.models.extension import Extension
from feedlab.models.posts import KIND_RESHARE

SMALL = ["network.n=300", "output.mesa_agents=false"]
AB = [
    "arms=[{name: control, ranking: {name: chronological}, share: 0.5},"
    "{name: treatment, ranking: ${ranking}, share: 0.5}]",
    "ranking=engagement",
]


# ------------------------------------------------------------------ pure functions
def test_outrage_split_counts_known_answer() -> None:
    # impressions 30 of 100 high (0.3), candidates 20 of 200 (0.1), posts 5 of 100 (0.05):
    # selection 0.3/0.1 = 3, pool drift 0.1/0.05 = 2, amplification 0.3/0.05 = 6 = 3 × 2
    s = outrage_split_counts(30, 100, 20, 200, 5, 100)
    assert s.share_impressions == pytest.approx(0.3)
    assert s.share_candidates == pytest.approx(0.1)
    assert s.share_posts == pytest.approx(0.05)
    assert s.selection == pytest.approx(3.0)
    assert s.pool_drift == pytest.approx(2.0)
    assert s.amplification == pytest.approx(6.0)
    assert s.selection * s.pool_drift == pytest.approx(s.amplification)


def test_outrage_split_nan_cases() -> None:
    # no high-outrage candidate: selection undefined; the other ratios still defined
    s = outrage_split_counts(0, 10, 0, 50, 2, 10)
    assert math.isnan(s.selection) and s.pool_drift == 0.0 and s.amplification == 0.0
    # no high-outrage post: pool drift and amplification undefined, selection defined
    s = outrage_split_counts(1, 10, 5, 50, 0, 10)
    assert s.selection == pytest.approx(1.0)
    assert math.isnan(s.pool_drift) and math.isnan(s.amplification)
    # no impressions / no candidates / no posts: that share is nan, and so its ratios
    s = outrage_split_counts(0, 0, 0, 0, 0, 0)
    assert all(math.isnan(v) for v in s)


def test_outrage_split_from_items_matches_outrage_amplification() -> None:
    imp = np.array([0.9, 0.7, 0.1, 0.2])  # 2 of 4 high (θ = 0.6): 0.5
    cand = np.array([0.9, 0.7, 0.1, 0.2, 0.3, 0.0, 0.8, 0.1])  # 3 of 8: 0.375
    posts = np.array([0.6, 0.1, 0.2, 0.3, 0.4])  # 1 of 5 (o = θ counts): 0.2
    s = outrage_split(imp, cand, posts, threshold=0.6)
    assert s.selection == pytest.approx(0.5 / 0.375)
    assert s.pool_drift == pytest.approx(0.375 / 0.2)
    assert s.amplification == pytest.approx(2.5)
    assert s.amplification == outrage_amplification(imp, posts, threshold=0.6)
    # a ranker that shows every candidate selects nothing: selection exactly 1
    assert outrage_split(cand, cand, posts).selection == 1.0
    # a non-finite outrage poisons every field
    assert all(math.isnan(v) for v in outrage_split(imp, [np.nan], posts))
    with pytest.raises(ValueError, match="candidate_outrage"):
        outrage_split(imp, np.zeros((2, 2)), posts)


def test_huszar_amplification_hand_built_case() -> None:
    """Huszár et al.'s design: treatment four times the control. Treatment users 0-7,
    control users 8-9; a party of two authors (A, B). Impressions (viewer, author):
    treatment sees A at 0, 0, 1, 2 and B at 2, 3, 4 -> the party reaches the distinct
    users {0, 1, 2, 3, 4} = 5 (not 7 impressions, not 3 + 3 per-author reaches);
    control sees A at 8, 8 and B at 8 -> 1 user.

    a = 100 % · ((5 + 1) / (1 · 8/2 + 1) − 1) = 100 % · (6/5 − 1) = 20 %;
    per-user reach ratio (s = 0): (5/8) / (1/2) = 1.25, i.e. 25 % without the pseudo-count.
    """
    viewer = np.array([0, 0, 1, 2, 2, 3, 4, 8, 8, 8])
    author = np.array(["A", "A", "A", "A", "B", "B", "B", "A", "A", "B"])
    treated = viewer < 8
    party = np.isin(author, ["A", "B"])
    r_t = unique_reach(viewer, party & treated)
    r_c = unique_reach(viewer, party & ~treated)
    assert (r_t, r_c) == (5, 1)
    assert huszar_amplification(r_t, r_c, 8, 2) == pytest.approx(20.0)
    assert amplification_ratio(r_t / 8, r_c / 2) == pytest.approx(1.25)
    assert amplification_ratio(r_t, r_c, 8, 2, smoothing=1.0) == pytest.approx(1.2)
    # equal per-user reach with the pseudo-count: (4k + 1) / (k · 4 + 1) = 1 -> 0 %
    assert huszar_amplification(400, 100, 8, 2) == pytest.approx(0.0)
    # nobody reached in either arm: 0 %; in the control only: (0 + 1)/(1·4 + 1) − 1 = −80 %
    assert huszar_amplification(0, 0, 8, 2) == pytest.approx(0.0)
    assert huszar_amplification(0, 1, 8, 2) == pytest.approx(-80.0)
    assert math.isnan(huszar_amplification(1, 1, 0, 2))
    np.testing.assert_allclose(huszar_amplification([5, 8], [1, 2], 8, 2), [20.0, 0.0])


# ------------------------------------------------------------------ live columns
class _Capture(Extension):
    """Keeps, for the last step, what the recorder's new columns are computed from,
    read directly from the posts and users (not through the recorder's code)."""

    def on_feed(self, model: Any, t: int, ctx: Any) -> None:
        p, u = model.posts, model.users
        theta = model.dynamics.high_outrage
        cand_hi = p.outrage[ctx.cand.slot] >= theta
        cand_arm = u.arm[np.repeat(ctx.cand.viewers, np.diff(ctx.cand.ptr))]
        feed_hi = p.outrage[ctx.feed.slot] >= theta
        new = (p.time == t) & (p.id >= 0) & (p.kind != KIND_RESHARE)
        self.last = {
            "cand_hi": cand_hi,
            "cand_arm": cand_arm,
            "feed_hi": feed_hi,
            "feed_arm": u.arm[ctx.feed.viewer],
            "viewer": ctx.feed.viewer.copy(),
            "author_group": u.group[ctx.feed.items.origin_author],
            "posts_share": float((p.outrage[new] >= theta).sum()) / float(new.sum()),
        }


def _share(hi: np.ndarray) -> float:
    return float(hi.sum()) / hi.size


def test_live_split_and_huszar_columns_recomputed_by_hand() -> None:
    cap = _Capture()
    model = build(compose([*SMALL, *AB, "seed=3"]), extensions=[cap])
    for _ in range(4):
        model.step()
    row = model.metrics()
    c = cap.last
    s_p = c["posts_share"]
    s_c, s_i = _share(c["cand_hi"]), _share(c["feed_hi"])
    assert row["outrage_share_candidates"] == pytest.approx(s_c, rel=1e-12)
    assert row["outrage_selection"] == pytest.approx(s_i / s_c, rel=1e-12)
    assert row["outrage_pool_drift"] == pytest.approx(s_c / s_p, rel=1e-12)
    assert row["outrage_selection"] * row["outrage_pool_drift"] == pytest.approx(
        row["outrage_amplification"], rel=1e-12
    )
    sizes = np.bincount(model.users.arm, minlength=2)
    for a, name in enumerate(model.arm_names):
        s_ca = _share(c["cand_hi"][c["cand_arm"] == a])
        s_ia = _share(c["feed_hi"][c["feed_arm"] == a])
        assert row[f"outrage_share_candidates__{name}"] == pytest.approx(s_ca, rel=1e-12)
        assert row[f"outrage_selection__{name}"] == pytest.approx(s_ia / s_ca, rel=1e-12)
        assert row[f"outrage_pool_drift__{name}"] == pytest.approx(s_ca / s_p, rel=1e-12)
        assert row[f"outrage_selection__{name}"] * row[
            f"outrage_pool_drift__{name}"
        ] == pytest.approx(row[f"outrage_amplification__{name}"], rel=1e-12)
    # Huszár: distinct users of each arm who saw an item by a group-g author this step
    for g in range(model.n_groups):
        reach = [
            np.unique(c["viewer"][(c["author_group"] == g) & (c["feed_arm"] == a)]).size
            for a in (1, 0)
        ]
        want = 100.0 * ((reach[0] + 1) / (reach[1] * sizes[1] / sizes[0] + 1) - 1)
        assert row[f"huszar_amplification_group{g}__treatment"] == pytest.approx(want, rel=1e-12)
    assert "huszar_amplification_group0__control" not in row  # the control has none


def test_chronological_showing_every_candidate_selects_nothing() -> None:
    """A feed longer than any viewer's candidate list shows the whole pool: the
    chronological ranker's selection is exactly 1 and amplification is all pool drift."""
    cap = _Capture()
    model = build(
        compose([*SMALL, "ranking=chronological", "platform.feed_length=100000", "seed=1"]),
        extensions=[cap],
    )
    for _ in range(3):
        model.step()
    row = model.metrics()
    assert float(cap.last["cand_hi"].size) == row["impressions"]  # every candidate shown
    assert row["outrage_selection"] == 1.0
    assert row["outrage_pool_drift"] == pytest.approx(row["outrage_amplification"], rel=1e-12)
