"""Trust rules (agents/rules/trust.py): known answers and properties of the asymmetric
rule and of the Beta reputation system with forgetting, and their wiring in the model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from feedlab.agents.rules import trust
from feedlab.experiments import build, compose
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError
from feedlab.models.graph import FollowGraph

unit = st.floats(0.0, 1.0, allow_nan=False)
count = st.floats(0.0, 20.0, allow_nan=False)
weight = st.floats(0.01, 50.0, allow_nan=False)


def a(x: float) -> np.ndarray:
    return np.array([x], dtype=np.float64)


# ------------------------------------------------------------------ asymmetric: known answers
def test_asymmetric_known_answers() -> None:
    up = trust.asymmetric_update(a(0.5), a(0.5), a(1), a(0), 0.1, 0.2, 0.0)
    down = trust.asymmetric_update(a(0.5), a(0.5), a(0), a(1), 0.1, 0.2, 0.0)
    relax = trust.asymmetric_update(a(0.2), a(0.6), a(0), a(0), 0.1, 0.2, 0.5)
    both = trust.asymmetric_update(a(0.5), a(0.3), a(2), a(1), 0.1, 0.2, 0.1)
    assert up[0] == pytest.approx(0.55, abs=1e-15)  # 1 - 0.5·0.9
    assert down[0] == pytest.approx(0.40, abs=1e-15)  # 0.5·0.8
    assert relax[0] == pytest.approx(0.40, abs=1e-15)  # 0.2 + 0.5·(0.6 - 0.2)
    # 1 - 0.5·0.81 = 0.595; ·0.8 = 0.476; + 0.1·(0.3 - 0.476) = 0.4584
    assert both[0] == pytest.approx(0.4584, abs=1e-15)


# ------------------------------------------------------------------ beta: known answers
def test_beta_josang_ismail_expectation() -> None:
    """W = 2, τ0 = ½: E = (r + 1)/(r + s + 2) (Jøsang & Ismail 2002, eq. 2)."""
    r = np.array([0.0, 1.0, 8.0, 3.0, 0.0])
    s = np.array([0.0, 0.0, 2.0, 1.0, 4.0])
    e = trust.beta_expectation(r, s, 0.5, 2.0)
    np.testing.assert_allclose(e, [0.5, 2 / 3, 9 / 12, 4 / 6, 1 / 6], rtol=0, atol=1e-15)


def test_beta_evidence_known_answers() -> None:
    r, s = trust.beta_evidence(a(4), a(2), a(1), a(1), 0.5, 2.0)
    assert (r[0], s[0]) == (3.0, 3.0)  # 0.5·4 + 1, 0.5·2 + 2·1
    assert trust.beta_expectation(r, s, a(0.3), 2.0)[0] == pytest.approx(3.6 / 8, abs=1e-15)
    # three steps of one good experience each with λ = ½: r = 1 + ½ + ¼
    r, s = np.zeros(1), np.zeros(1)
    for _ in range(3):
        r, s = trust.beta_evidence(r, s, a(1), a(0), 0.5, 1.0)
    assert r[0] == 1.75 and s[0] == 0.0
    # λ = 1 (no forgetting) is plain counting
    r, s = np.zeros(1), np.zeros(1)
    for g, b in ((1, 0), (1, 0), (0, 1), (1, 0)):
        r, s = trust.beta_evidence(r, s, a(g), a(b), 1.0, 1.0)
    assert trust.beta_expectation(r, s, 0.5, 2.0)[0] == pytest.approx(4 / 6, abs=1e-15)


# ------------------------------------------------------------------ properties
@settings(max_examples=200, deadline=None)
@given(tau=unit, base=unit, g=count, b=count, au=unit, ad=unit, rho=unit)
def test_asymmetric_bounded(
    tau: float, base: float, g: float, b: float, au: float, ad: float, rho: float
) -> None:
    t = trust.asymmetric_update(a(tau), a(base), a(g), a(b), au, ad, rho)[0]
    assert -1e-12 <= t <= 1 + 1e-12


@settings(max_examples=200, deadline=None)
@given(tau=unit, base=unit, au=unit, ad=unit, rho=st.floats(0.001, 1.0))
def test_asymmetric_relaxes_to_baseline(
    tau: float, base: float, au: float, ad: float, rho: float
) -> None:
    t = trust.asymmetric_update(a(tau), a(base), a(0), a(0), au, ad, rho)[0]
    assert abs(t - base) == pytest.approx((1 - rho) * abs(tau - base), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(au=st.floats(0.001, 0.99), ad=st.floats(0.001, 0.99))
def test_asymmetric_bad_outweighs_good_iff_alpha_down_larger(au: float, ad: float) -> None:
    assume(abs(ad - au) > 1e-9)  # equal rates: equal moves up to rounding
    half = a(0.5)
    gain = trust.asymmetric_update(half, half, a(1), a(0), au, ad, 0.0)[0] - 0.5
    loss = 0.5 - trust.asymmetric_update(half, half, a(0), a(1), au, ad, 0.0)[0]
    assert (loss > gain) == (ad > au)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(count, count), min_size=1, max_size=30),
    base=unit,
    lam=unit,
    w=weight,
    k=st.floats(0.0, 20.0),
)
def test_beta_bounded(
    steps: list[tuple[float, float]], base: float, lam: float, w: float, k: float
) -> None:
    r, s = np.zeros(1), np.zeros(1)
    for g, b in steps:
        r, s = trust.beta_evidence(r, s, a(g), a(b), lam, k)
        e = trust.beta_expectation(r, s, a(base), w)[0]
        assert -1e-12 <= e <= 1 + 1e-12


@settings(max_examples=200, deadline=None)
@given(r0=count, s0=count, base=unit, lam=st.floats(0.0, 0.999), w=weight)
def test_beta_forgets_toward_prior(r0: float, s0: float, base: float, lam: float, w: float) -> None:
    """Without evidence |E - τ0| never grows, shrinks strictly when λ < 1, and → 0."""
    r, s = a(r0), a(s0)
    dev = abs(trust.beta_expectation(r, s, base, w)[0] - base)
    for _ in range(20):
        r, s = trust.beta_evidence(r, s, a(0), a(0), lam, 1.0)
        new = abs(trust.beta_expectation(r, s, base, w)[0] - base)
        assert new <= dev + 1e-12
        if dev > 1e-9:
            assert new < dev
        dev = new
    # |E − τ0| ≤ λ^n (r0 + s0)/W: choose n so that the bound is ≤ 1e-9
    tol = 1e-9 * w / (r0 + s0 + 1)
    n = 1 if lam == 0 else int(np.ceil(np.log(tol) / np.log(lam)))
    r, s = trust.beta_evidence(a(r0), a(s0), a(0), a(0), lam**n, 1.0)  # n steps at once
    assert abs(trust.beta_expectation(r, s, base, w)[0] - base) < 1e-6


@settings(max_examples=200, deadline=None)
@given(w=weight, k=st.floats(0.0, 20.0), base=st.floats(0.01, 0.99))
def test_beta_asymmetric_iff_bad_weight_above_one(w: float, k: float, base: float) -> None:
    """From the prior, one bad experience removes the share κ/(κ+W) of the trust and one
    good closes the share 1/(1+W) of the gap to 1: bad outweighs good iff κ > 1."""
    z = np.zeros(1)
    r, s = trust.beta_evidence(z, z, a(1), a(0), 1.0, k)
    closed = (trust.beta_expectation(r, s, base, w)[0] - base) / (1 - base)
    r, s = trust.beta_evidence(z, z, a(0), a(1), 1.0, k)
    removed = (base - trust.beta_expectation(r, s, base, w)[0]) / base
    assert closed == pytest.approx(1 / (1 + w), rel=1e-9)
    assert removed == pytest.approx(k / (k + w), rel=1e-9, abs=1e-12)
    if abs(k - 1) > 1e-6:
        assert (removed > closed) == (k > 1)


@settings(max_examples=100, deadline=None)
@given(s1=st.floats(0.5, 50), extra=st.floats(0.5, 50), lam=st.floats(0.5, 0.99), w=weight)
def test_beta_deeper_loss_recovers_later(s1: float, extra: float, lam: float, w: float) -> None:
    """Steps until half the loss is regained grow with the bad evidence accumulated."""

    def half_time(s0: float) -> int:
        e0 = trust.beta_expectation(a(0), a(s0), 0.5, w)[0]
        r, s = a(0), a(s0)
        for n in range(1, 10_000):
            r, s = trust.beta_evidence(r, s, a(0), a(0), lam, 1.0)
            if trust.beta_expectation(r, s, 0.5, w)[0] >= 0.5 - (0.5 - e0) / 2:
                return n
        return 10_000

    assert half_time(s1 + extra) >= half_time(s1)


# ------------------------------------------------------------------ dispatch and the graph
def _cfg(rule: str, **kw: float) -> trust.TrustConfig:
    data = compose([f"dynamics.trust.rule={rule}"])["dynamics"]["trust"]
    data.update(kw)
    return trust.TrustConfig(**data)


def test_update_edge_trust_dispatches_and_keeps_beta_state_through_rewire() -> None:
    g = FollowGraph.from_edges(4, np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0]))
    g.baseline = np.array([0.5, 0.5, 0.3, 0.8])
    g.trust = g.baseline.copy()
    cfg = _cfg("beta", forgetting=1.0, prior_weight=2.0, bad_weight=1.0)
    good, bad = np.array([1.0, 0, 0, 2]), np.array([0, 1.0, 0, 0])
    g.trust = trust.update_edge_trust(cfg, g, good, bad)
    np.testing.assert_allclose(g.trust, [2 / 3, 1 / 3, 0.3, (2 + 1.6) / 4], atol=1e-15)
    # remove edge 1->2, add 2->0: the surviving edges keep their evidence, the new one has none
    g.rewire(np.array([False, True, False, False]), np.array([2]), np.array([0]), a(0.5), a(0.5))
    keys = g.src.astype(int) * 4 + g.indices
    r = dict(zip(keys.tolist(), g.state(trust.BETA_R).tolist(), strict=True))
    s = dict(zip(keys.tolist(), g.state(trust.BETA_S).tolist(), strict=True))
    assert r == {1: 1.0, 8: 0.0, 11: 0.0, 12: 2.0} and s == {1: 0.0, 8: 0.0, 11: 0.0, 12: 0.0}
    g.trust = trust.update_edge_trust(cfg, g, np.zeros(4), np.zeros(4))
    e = trust.beta_expectation(g.state(trust.BETA_R), g.state(trust.BETA_S), g.baseline, 2.0)
    np.testing.assert_array_equal(g.trust, e)
    # the asymmetric rule ignores the state
    asym = _cfg("asymmetric", alpha_up=0.1, alpha_down=0.2, relax=0.0)
    t = trust.update_edge_trust(asym, g, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(t, 1 - (1 - g.trust) * 0.9, atol=1e-15)


@pytest.mark.parametrize("rule", ["asymmetric", "beta"])
def test_model_runs_each_rule_with_rewiring(rule: str) -> None:
    """In the full model (unfollows and follows on), trust stays in [0, 1]; under beta it
    is exactly E(r, s) of the evidence carried through every rewiring."""
    cfg = compose(
        [
            "network=follower_graph",
            "network.n=300",
            "output.mesa_agents=false",
            f"dynamics.trust.rule={rule}",
            "dynamics.follow.unfollow_prob=0.5",
            "dynamics.follow.follow_prob=0.5",
        ]
    )
    m = build(cfg)
    changed = 0
    for _ in range(6):
        before = m.graph.n_edges
        m.step()
        changed += m.step_stats.get("follows", 0) + m.step_stats.get("unfollows", 0)
        g = m.graph
        assert g.trust.shape == (g.n_edges,) and np.all((g.trust >= 0) & (g.trust <= 1))
        if rule == "beta":
            tc = m.dynamics.trust
            e = trust.beta_expectation(
                g.state(trust.BETA_R), g.state(trust.BETA_S), g.baseline, tc.prior_weight
            )
            np.testing.assert_allclose(g.trust, e, rtol=0, atol=1e-12)
        assert g.n_edges > 0 and before > 0
    assert changed > 0  # the graph was really rewired
    if rule == "asymmetric":
        assert "trust_r" not in m.graph.edge_state


def test_trust_disabled_keeps_baseline_under_beta() -> None:
    m = build(
        compose(
            [
                "network.n=200",
                "output.mesa_agents=false",
                "dynamics.trust.rule=beta",
                "dynamics.trust.enabled=false",
                "dynamics.follow.enabled=false",
            ]
        )
    )
    for _ in range(3):
        m.step()
    np.testing.assert_array_equal(m.graph.trust, m.graph.baseline)


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("dynamics.trust.rule=bayes", ("dynamics.trust.rule", "'bayes'", "asymmetric, beta")),
        ("dynamics.trust.forgetting=1.5", ("dynamics.trust.forgetting", "1.5", "<= 1")),
        ("dynamics.trust.prior_weight=0", ("dynamics.trust.prior_weight", "> 0")),
        ("dynamics.trust.bad_weight=-1", ("dynamics.trust.bad_weight", ">= 0")),
    ],
)
def test_bad_trust_config_refused(override: str, needles: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as ei:
        validate(compose([override]))
    for n in needles:
        assert n in str(ei.value)
