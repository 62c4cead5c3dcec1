"""Known answers of the session stopping rule and the churn rule (agents/rules/)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from feedlab.agents.rules import churn, session
from feedlab.analysis.metrics import attention

SESSION = session.SessionConfig(
    enabled=True,
    item_time=1.0,
    max_factor=2.0,
    min_items=1,
    memory=2,
    threshold=1.0,
    threshold_sd=0.0,
    boredom=0.0,
    arousal_pull=1.0,
)


def _feed(gains: list[list[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(viewer, rank, gain) of feeds given per viewer, grouped in rank order."""
    viewer = np.concatenate([np.full(len(g), i) for i, g in enumerate(gains)]).astype(np.int64)
    rank = np.concatenate([np.arange(len(g)) for g in gains]).astype(np.int64)
    gain = np.concatenate([np.asarray(g, float) for g in gains])
    return viewer, rank, gain


def test_stops_at_the_first_window_mean_below_the_threshold() -> None:
    # viewer 0: window means (w=2) 2, 1.5, 0.5 -> stops after item 2 (reads 3 of 4)
    # viewer 1: never below 1 -> reads all 3; viewer 2: first item 0.5 < 1 -> reads 1
    # viewer 3: no items -> 0
    v, r, g = _feed([[2.0, 1.0, 0.0, 5.0], [1.0, 1.0, 1.0], [0.5, 3.0]])
    theta = np.ones(4)
    s = session.session_lengths(v, r, g, theta, SESSION, 4)
    np.testing.assert_array_equal(s, [3, 3, 1, 0])
    keep = session.seen_mask(v, r, s)
    np.testing.assert_array_equal(keep, [1, 1, 1, 0, 1, 1, 1, 1, 0])


def test_window_never_reaches_into_the_previous_feed() -> None:
    # viewer 1's first item alone (0.9 < 1) must stop it, whatever viewer 0 read
    v, r, g = _feed([[5.0, 5.0], [0.9, 5.0]])
    s = session.session_lengths(v, r, g, np.ones(2), SESSION, 2)
    np.testing.assert_array_equal(s, [2, 1])


def _lengths_vectorised(viewer, rank, gain, theta, cfg, n):  # type: ignore[no-untyped-def]
    """The stopping rule in whole-array NumPy form (the kernel's arithmetic, step by step)."""
    m = gain.shape[0]
    length = np.bincount(viewer, minlength=n).astype(np.int64)
    csum = np.zeros(m + 1)
    np.cumsum(gain, out=csum[1:])
    j = np.arange(m, dtype=np.int64)
    start = np.maximum(j - rank, j - cfg.memory + 1)
    recent = (csum[j + 1] - csum[start]) / (j + 1 - start)
    stop = (rank + 1 >= cfg.min_items) & (recent < theta[viewer] + cfg.boredom * rank)
    idx = np.flatnonzero(stop)
    v = viewer[idx]
    first = np.ones(idx.shape[0], dtype=bool)
    first[1:] = v[1:] != v[:-1]
    length[v[first]] = rank[idx[first]] + 1
    return length


def test_the_kernel_equals_the_vectorised_rule_on_random_feeds() -> None:
    # long feeds, windows of several sizes, gains around the thresholds: the kernel's
    # lengths are those of the whole-array form exactly
    gen = np.random.default_rng(3)
    for trial in range(30):
        n = int(gen.integers(1, 60))
        gains = [list(gen.normal(1.0, 1.0, int(gen.integers(0, 40)))) for _ in range(n)]
        v, r, g = _feed(gains)
        cfg = dataclasses.replace(
            SESSION,
            memory=int(gen.integers(1, 8)),
            min_items=int(gen.integers(1, 5)),
            boredom=float(gen.choice([0.0, 0.05])),
        )
        theta = gen.normal(0.5, 0.5, n)
        got = session.session_lengths(v, r, g, theta, cfg, n)
        np.testing.assert_array_equal(got, _lengths_vectorised(v, r, g, theta, cfg, n), str(trial))


def test_boredom_raises_the_threshold_and_min_items_delays_the_stop() -> None:
    v, r, g = _feed([[1.5, 1.5, 1.5, 1.5, 1.5]])
    bored = dataclasses.replace(SESSION, boredom=0.2)  # threshold 1, 1.2, 1.4, 1.6: stop at r=3
    np.testing.assert_array_equal(session.session_lengths(v, r, g, np.ones(1), bored, 1), [4])
    early = np.zeros(1)
    v2, r2, g2 = _feed([[0.0, 0.0, 0.0]])
    atleast = dataclasses.replace(SESSION, min_items=2)
    np.testing.assert_array_equal(session.session_lengths(v2, r2, g2, early + 1, atleast, 1), [2])


def test_arousal_pull_adds_outrage_to_the_gain() -> None:
    g = session.item_gain(
        dataclasses.replace(SESSION, arousal_pull=1.5), np.array([0.2]), np.array([0.4])
    )
    assert g[0] == pytest.approx(0.8)


def test_thresholds_are_drawn_once_per_user() -> None:
    cfg = dataclasses.replace(SESSION, threshold=1.0, threshold_sd=0.5)
    th = session.draw_thresholds(cfg, 4, np.random.default_rng(3))
    z = np.random.default_rng(3).standard_normal(4)
    np.testing.assert_allclose(th, 1.0 + 0.5 * z)


CHURN = churn.ChurnConfig(
    enabled=True,
    trust_threshold=0.4,
    trust_threshold_sd=0.0,
    value_threshold=0.5,
    value_threshold_sd=0.0,
    memory=0.5,
    leave_prob=0.3,
    return_prob=0.1,
)


def test_recent_value_is_an_ewma_that_starts_at_the_first_session() -> None:
    recent = np.array([np.nan, 1.0, 1.0])
    v = np.array([0.4, 0.0, np.nan])  # user 2 had no session
    np.testing.assert_allclose(churn.update_recent_value(recent, v, 0.5), [0.4, 0.5, 1.0])


def test_at_risk_on_low_trust_or_low_value_never_on_unknown_value() -> None:
    risk = churn.at_risk(
        np.array([0.3, 0.9, 0.9, 0.9]),
        np.array([1.0, 0.2, np.nan, 0.8]),
        np.full(4, 0.4),
        np.full(4, 0.5),
    )
    np.testing.assert_array_equal(risk, [True, True, False, False])


def test_leave_and_return_hazards() -> None:
    active = np.array([True, True, True, False, False, True])
    risk = np.array([True, True, False, False, False, True])
    eligible = np.array([True, True, True, True, True, False])
    u = np.array([0.2, 0.5, 0.0, 0.05, 0.5, 0.0])
    new, left, back = churn.next_active(active, risk, eligible, u, 0.3, 0.1)
    np.testing.assert_array_equal(left, [True, False, False, False, False, False])
    np.testing.assert_array_equal(back, [False, False, False, True, False, False])
    np.testing.assert_array_equal(new, [False, True, True, True, False, True])


def test_advance_keeps_the_books() -> None:
    state = churn.draw_state(CHURN, np.array([True, True]), np.random.default_rng(0))
    active = np.ones(2, bool)
    trust = np.array([0.3, 0.9])  # user 0 at risk
    a1 = churn.advance(state, CHURN, active, trust, np.array([1.0, 1.0]), np.array([0.1, 0.9]), 4)
    np.testing.assert_array_equal(a1, [False, True])
    assert state.first_left.tolist() == [4, -1] and state.left_now == 1
    a2 = churn.advance(state, CHURN, a1, trust, np.array([np.nan, 1.0]), np.array([0.05, 0.9]), 5)
    np.testing.assert_array_equal(a2, [True, True])
    assert state.returns.tolist() == [1, 0] and np.isnan(state.recent_value[0])
    assert state.active_steps.tolist() == [1, 2] and state.first_left.tolist() == [4, -1]


def test_survival_curve_and_shares() -> None:
    first_left = np.array([-1, 2, 0, 2, 5], np.int32)
    eligible = np.array([True, True, True, True, False])
    np.testing.assert_allclose(
        attention.survival_curve(first_left, eligible, 3), [1, 0.75, 0.75, 0.25]
    )
    assert attention.survival_share(first_left, eligible) == pytest.approx(0.25)
    iv = np.array([1.0, -0.5, 0.5, -1.0])
    assert attention.time_well_spent(iv, 2.0) == pytest.approx(0.0)
    assert attention.regret_time(iv, 2.0) == pytest.approx(4.0)
    assert attention.regret_share(iv) == pytest.approx(0.5)
    q = attention.session_quantiles(
        np.array([0.0, 1.0, 2.0, 3.0]), np.array([False, True, True, True])
    )
    assert q["session_time_p50"] == pytest.approx(2.0)


def test_feed_gains_equal_value_then_gain_bit_for_bit() -> None:
    """The fused gains are item_gain(item_value(...)) exactly (same operations, same
    order), including the ends of the agreement range and a signed zero."""
    from feedlab.agents.rules import value

    gen = np.random.default_rng(3)
    m = 5000
    q, tr, o = gen.random(m), gen.random(m), gen.random(m)
    a = gen.uniform(-1, 1, m)
    a[:3] = [-1.0, 1.0, -0.0]
    vc = value.ValueConfig(quality=1.3, agreement=0.7, tie=0.45, regret=0.9)
    cfg = dataclasses.replace(SESSION, arousal_pull=0.35)
    want = session.item_gain(cfg, value.item_value(vc, q, (1 + a) / 2, tr, o), o)
    got = session.feed_gains(cfg, vc, q, a, tr, o)
    assert got.tobytes() == want.tobytes()
