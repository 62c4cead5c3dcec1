"""Sessions, churn and return in the model (docs/attention.md): off changes nothing, on
draws only from its own stream, and the rest of the model copes with inactive users.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from feedlab.experiments.run import build, compose, run_experiment
from feedlab.experiments.schema import ConfigError

BASE = ["network.n=300", "output.progress=false", "output.quiet=true"]
ATTENTION_KEYS = {"time_spent_mean", "time_well_spent", "regret_time_mean", "session_time_p50"}
CHURN_KEYS = {"dau", "survival", "users_left", "users_returned"}


def _model(*extra: str) -> Any:
    return build(compose([*BASE, *extra]))


def _rows(model: Any, steps: int) -> list[dict[str, float]]:
    rows = []
    for _ in range(steps):
        model.step()
        rows.append(model.metrics())
    return rows


def _same_shared(rows_a: list[dict[str, float]], rows_b: list[dict[str, float]]) -> None:
    for ra, rb in zip(rows_a, rows_b, strict=True):
        for k, v in ra.items():
            assert rb[k] == pytest.approx(v, nan_ok=True, rel=0, abs=0), k


def test_off_adds_no_metric_and_keeps_the_interface() -> None:
    m = _model("dynamics.session.item_time=7", "dynamics.churn.leave_prob=1")
    ref = _model()
    rows, rows_ref = _rows(m, 3), _rows(ref, 3)
    assert not (ATTENTION_KEYS | CHURN_KEYS) & set(rows[-1])
    _same_shared(rows_ref, rows)
    assert m.active.all() and m.active.dtype == bool
    # with sessions off: items seen × item_time
    assert m.time_spent.sum() == pytest.approx(7 * m.step_stats["impressions"])
    assert m.session_theta is None and m.churn_state is None and m.attention_columns() == {}


def test_sessions_that_never_stop_draw_nothing_from_other_streams() -> None:
    # never stop (threshold -10) and ranked for exactly k (max_factor 1): the feed is the
    # fixed-length one, so every shared metric must be bit-identical to sessions off
    off = _model()
    on = _model(
        "dynamics.session.enabled=true",
        "dynamics.session.threshold=-10",
        "dynamics.session.max_factor=1",
    )
    rows_off, rows_on = _rows(off, 4), _rows(on, 4)
    assert ATTENTION_KEYS <= set(rows_on[-1])
    _same_shared(rows_off, rows_on)
    np.testing.assert_array_equal(off.users.opinion, on.users.opinion)


def test_churn_that_never_fires_draws_nothing_from_other_streams() -> None:
    off = _model()
    on = _model("dynamics.churn.enabled=true", "dynamics.churn.leave_prob=0")
    rows_off, rows_on = _rows(off, 4), _rows(on, 4)
    assert CHURN_KEYS <= set(rows_on[-1]) and rows_on[-1]["dau"] == 1.0
    _same_shared(rows_off, rows_on)
    np.testing.assert_array_equal(off.graph.trust, on.graph.trust)


def test_sessions_end_where_the_rule_says_and_nothing_past_the_stop_is_seen() -> None:
    m = _model("dynamics.session.enabled=true", "dynamics.session.threshold=1.3")
    k = m.feed_lengths()
    _rows(m, 3)
    t = m.time_spent / m.dynamics.session.item_time
    assert (t <= np.ceil(2.0 * k)).all()
    assert m.step_stats["impressions"] == pytest.approx(t.sum())
    assert (t < k).any() and (t > k).any()  # shorter and longer than the fixed length
    assert m.attention_books["time_total"].sum() >= t.sum()


def test_inactive_users_neither_post_nor_see_feeds() -> None:
    m = _model(
        "dynamics.churn.enabled=true",
        "dynamics.churn.trust_threshold=1",  # everyone at risk
        "dynamics.churn.leave_prob=0.5",
        "dynamics.churn.return_prob=0",
    )
    _rows(m, 3)
    off = ~m.active
    assert off.any() and m.active.any()
    assert (m.time_spent[off] == 0).all()
    authors = m.posts.author[(m.posts.time == m.t - 1) & (m.posts.id >= 0)]
    assert not off[authors].any()
    assert m.metrics()["dau"] == pytest.approx(m.active.mean())
    assert m.metrics()["survival"] < 1


@pytest.mark.parametrize(
    "extra",
    [
        ["influencer=mixture"],
        ["event=transgression", "event.time=1"],
        ["experiment=feed_ab_test", "network.n=300"],
    ],
    ids=["influencers", "transgression", "arms"],
)
def test_everything_copes_with_churn_and_sessions(extra: list[str], tmp_path: Path) -> None:
    res = run_experiment(
        [
            *BASE,
            *extra,
            "steps=6",
            "dynamics.session.enabled=true",
            "dynamics.churn.enabled=true",
            "dynamics.churn.trust_threshold=0.7",
            "dynamics.churn.return_prob=0.3",
            f"output.dir={tmp_path}",
        ]
    )
    s = json.loads((res.run_dir / "summary.json").read_text())
    assert 0 < s["run_mean_dau"] < 1
    assert s["run_mean_time_spent_mean"] > 0
    agents = pq.read_table(res.run_dir / "agents.parquet").to_pydict()
    assert {"time_total", "regret_time_total", "first_left", "active"} <= set(agents)
    if "experiment=feed_ab_test" in extra:
        for arm in ("control", "treatment"):
            assert s[f"run_mean_time_spent_mean__{arm}"] > 0
            assert 0 < s[f"run_mean_dau__{arm}"] <= 1
        assert "run_mean_time_spent_mean__treatment-control" in s


def test_bad_session_or_churn_value_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"dynamics\.session\.max_factor: 0\.5 is out of range"):
        build(compose([*BASE, "dynamics.session.max_factor=0.5"]))
    with pytest.raises(ConfigError, match=r"dynamics\.churn\.leave_prob: 2\.0 is out of range"):
        build(compose([*BASE, "dynamics.churn.leave_prob=2"]))


def test_sessions_and_churn_are_refused_in_pairwise_mode() -> None:
    for name in ("session", "churn"):
        with pytest.raises(ConfigError, match=rf"dynamics\.{name}\.enabled: true has no feed"):
            build(
                compose(
                    [
                        *BASE,
                        "dynamics.interaction=pairwise",
                        "ranking=random",
                        f"dynamics.{name}.enabled=true",
                    ]
                )
            )
