"""dynamics.affect in the model: off changes nothing, on without feedback changes nothing
else, warmth and anger stay on their scales, reshares carry animosity, the
down-ranking option keeps high-animosity items out of feeds while others are left, and
the experiment reports per-arm warmth (docs/model.md §Affective polarisation and anger)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from feedlab.analysis.metrics.affect import affective_gap, mean_anger, mean_change, mean_warmth
from feedlab.experiments.run import build, compose, run_experiment
from feedlab.experiments.schema import ConfigError
from feedlab.models.extension import Extension
from feedlab.models.posts import KIND_RESHARE

BASE = ["network.n=300", "output.progress=false", "output.quiet=true"]
AFFECT_KEYS = {
    "mean_outgroup_warmth",
    "outgroup_warmth_change",
    "mean_ingroup_warmth",
    "affective_gap",
    "mean_anger",
    "animosity_share_impressions",
}


def _model(*extra: str, extensions: Any = ()) -> Any:
    return build(compose([*BASE, *extra]), extensions=extensions)


def _rows(model: Any, steps: int) -> list[dict[str, float]]:
    rows = []
    for _ in range(steps):
        model.step()
        rows.append(model.metrics())
    return rows


def test_off_draws_nothing_and_adds_no_state_or_metric() -> None:
    m = _model()
    assert m.users.affect is None and m.affect_rng is None
    rows = _rows(m, 3)
    assert not AFFECT_KEYS & set(rows[-1])
    assert not (m.posts.animosity != 0).any()
    assert "outgroup_warmth" not in m.users.columns()


def test_on_without_feedback_leaves_everything_else_identical() -> None:
    off, on = _model(), _model("dynamics.affect.enabled=true")
    rows_off, rows_on = _rows(off, 4), _rows(on, 4)
    for r_off, r_on in zip(rows_off, rows_on, strict=True):
        assert AFFECT_KEYS <= set(r_on)
        for k, v in r_off.items():
            assert r_on[k] == pytest.approx(v, nan_ok=True, rel=0, abs=0), k
    np.testing.assert_array_equal(off.users.opinion, on.users.opinion)
    np.testing.assert_array_equal(off.graph.trust, on.graph.trust)


def test_state_on_its_scales_and_exposure_cools_the_outgroup() -> None:
    m = _model("dynamics.affect.enabled=true", "dynamics.affect.outgroup_warmth.sd=0")
    rows = _rows(m, 5)
    a = m.users.affect
    assert a.outgroup_warmth.min() >= 0 and a.ingroup_warmth.max() <= 100
    assert a.anger.min() >= 0 and a.anger.max() <= 1 and a.anger.max() > 0
    # everyone starts at the baseline 30; exposure only cools, relaxation only pulls back
    assert (a.outgroup_warmth <= 30.0 + 1e-12).all()
    assert rows[-1]["mean_outgroup_warmth"] < 30.0
    assert rows[-1]["outgroup_warmth_change"] == pytest.approx(
        rows[-1]["mean_outgroup_warmth"] - 30.0
    )
    assert rows[-1]["affective_gap"] == pytest.approx(
        float((a.ingroup_warmth - a.outgroup_warmth).mean())
    )
    assert 0 < rows[-1]["animosity_share_impressions"] < 1
    p = m.posts
    live = p.id >= 0
    assert (p.animosity[live & ~p.political] == 0).all()
    assert (p.animosity[live & p.political] > 0).any()
    # a reshare carries its original's animosity
    rs = np.flatnonzero(live & (p.kind == KIND_RESHARE))
    orig = p.slot_of(p.origin[rs])
    ok = orig >= 0
    assert ok.any()
    np.testing.assert_array_equal(p.animosity[rs[ok]], p.animosity[orig[ok]])


def test_feedback_makes_current_warmth_set_post_animosity() -> None:
    args = ("dynamics.affect.enabled=true", "dynamics.affect.cooling=30")
    plain, fed = _model(*args), _model(*args, "dynamics.affect.feedback=true")
    _rows(plain, 4)
    _rows(fed, 4)
    newest = plain.posts.time == plain.t - 1
    assert (newest == (fed.posts.time == fed.t - 1)).all()
    # colder authors under feedback write posts with more animosity
    assert fed.posts.animosity[newest].mean() > plain.posts.animosity[newest].mean()


class FeedSpy(Extension):
    """Keeps each step's candidates and feed."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, Any]] = []

    def on_feed(self, model: Any, t: int, ctx: Any) -> None:
        self.seen.append((ctx.cand, ctx.feed))


def test_downranking_shows_no_item_above_threshold_while_others_are_left() -> None:
    spy = FeedSpy()
    thr = 0.3
    m = _model(
        "dynamics.affect.enabled=true",
        "ranking=engagement",
        f"ranking.downrank_animosity={thr}",
        extensions=[spy],
    )
    _rows(m, 3)
    k = m.feed_lengths()
    checked = 0
    for cand, feed in spy.seen:
        flag_c = m.posts.animosity[cand.slot] >= thr
        clean = np.bincount(cand.viewer[~flag_c], minlength=m.n)
        flagged = np.bincount(cand.viewer[flag_c], minlength=m.n)
        flag_f = m.posts.animosity[feed.slot] >= thr
        shown_flag = np.bincount(feed.viewer[flag_f], minlength=m.n)
        shown_clean = np.bincount(feed.viewer[~flag_f], minlength=m.n)
        enough = clean >= k
        assert (shown_flag[enough] == 0).all()
        # with too few clean items, every clean one is shown, then flagged ones
        np.testing.assert_array_equal(shown_clean[~enough], clean[~enough])
        checked += int((enough & (flagged > 0)).sum())
    assert checked > 0  # viewers who had flagged candidates and saw none of them


def test_upranking_fills_the_top_with_items_above_threshold() -> None:
    spy = FeedSpy()
    thr = 0.3
    m = _model(
        "dynamics.affect.enabled=true",
        "ranking=engagement",
        f"+ranking.uprank_animosity={thr}",
        extensions=[spy],
    )
    assert m.policies[0].uprank_animosity == thr and m.policies[0].downrank_animosity == 0
    _rows(m, 3)
    k = m.feed_lengths()
    checked = 0
    for cand, feed in spy.seen:
        flag_c = m.posts.animosity[cand.slot] >= thr
        flagged = np.bincount(cand.viewer[flag_c], minlength=m.n)
        flag_f = m.posts.animosity[feed.slot] >= thr
        shown_flag = np.bincount(feed.viewer[flag_f], minlength=m.n)
        # every viewer sees min(flagged candidates, k) flagged items, all above the others
        np.testing.assert_array_equal(shown_flag, np.minimum(flagged, k))
        last_flag = np.full(m.n, -1)
        np.maximum.at(last_flag, feed.viewer[flag_f], feed.rank[flag_f])
        first_clean = np.full(m.n, 10**9)
        np.minimum.at(first_clean, feed.viewer[~flag_f], feed.rank[~flag_f])
        assert (last_flag < first_clean).all()
        checked += int(((flagged > 0) & (flagged < k)).sum())
    assert checked > 0  # viewers with some flagged candidates saw them on top


def test_uprank_off_is_the_plain_policy() -> None:
    base = _model("dynamics.affect.enabled=true", "ranking=engagement")
    off = _model(
        "dynamics.affect.enabled=true", "ranking=engagement", "+ranking.uprank_animosity=0"
    )
    _rows(base, 3)
    _rows(off, 3)
    np.testing.assert_array_equal(base.users.opinion, off.users.opinion)
    np.testing.assert_array_equal(base.posts.animosity, off.posts.animosity)


def test_upranking_needs_a_threshold_in_range() -> None:
    with pytest.raises(ConfigError, match=r"ranking\.uprank_animosity: -0\.5 is out of range"):
        build(compose([*BASE, "+ranking.uprank_animosity=-0.5"]))


def test_downranking_needs_a_threshold_in_range() -> None:
    with pytest.raises(ConfigError, match=r"ranking\.downrank_animosity: 1\.5 is out of range"):
        build(compose([*BASE, "ranking.downrank_animosity=1.5"]))


def test_bad_affect_value_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"dynamics\.affect\.cooling: -1\.0 is out of range"):
        build(compose([*BASE, "dynamics.affect.cooling=-1"]))


def test_experiment_reports_warmth_per_arm_and_the_difference(tmp_path: Path) -> None:
    res = run_experiment(
        [
            "experiment=affect_downrank",
            "network.n=400",
            "steps=3",
            "output.progress=false",
            "output.quiet=true",
            f"output.dir={tmp_path}",
        ]
    )
    s = res.summary
    for key in (
        "mean_outgroup_warmth__control",
        "mean_outgroup_warmth__downrank",
        "mean_outgroup_warmth__downrank-control",
        "outgroup_warmth_change__downrank-control",
        "affective_gap__downrank-control",
        "mean_anger__downrank-control",
        "run_mean_animosity_share_impressions__downrank-control",
    ):
        assert key in s and np.isfinite(s[key]), key
    # the treated arm sees a lower share of high-animosity items
    assert s["run_mean_animosity_share_impressions__downrank-control"] < 0
    cols = pq.read_table(res.run_dir / "agents.parquet").to_pydict()
    assert {"outgroup_warmth", "ingroup_warmth", "anger"} <= set(cols)
    # live = offline: every per-arm state metric from agents.parquet, bit for bit
    arm = np.asarray(cols["arm"])
    w_in, w_out = np.asarray(cols["ingroup_warmth"]), np.asarray(cols["outgroup_warmth"])
    w_out0 = np.asarray(cols["outgroup_warmth_baseline"])
    for a, name in enumerate(("control", "downrank")):
        sel = arm == a
        assert s[f"mean_outgroup_warmth__{name}"] == mean_warmth(w_out[sel])
        assert s[f"mean_ingroup_warmth__{name}"] == mean_warmth(w_in[sel])
        assert s[f"affective_gap__{name}"] == affective_gap(w_in[sel], w_out[sel])
        assert s[f"outgroup_warmth_change__{name}"] == mean_change(w_out[sel], w_out0[sel])
        assert s[f"mean_anger__{name}"] == mean_anger(np.asarray(cols["anger"])[sel])


def test_downrank_moves_flagged_below_all_and_keeps_their_order() -> None:
    from feedlab.models.ranking.base import downrank

    s = np.array([5.0, -2.0, 3.0, 9.0, 0.5])
    flag = np.array([False, False, True, True, False])
    out = downrank(s, flag)
    # shift = 9 - (-2) + 1 = 12: 3 -> -9, 9 -> -3; unflagged unchanged
    np.testing.assert_array_equal(out, [5.0, -2.0, -9.0, -3.0, 0.5])
    assert out[flag].max() < out[~flag].min()
    np.testing.assert_array_equal(downrank(s, np.zeros(5, bool)), s)
    assert downrank(np.zeros(0), np.zeros(0, bool)).size == 0
