"""Audience-size mechanisms (agents/rules/audience.py): known answers of the transforms,
their wiring into the model (edge baselines at set-up and for new follows, the reaction
log-odds), and that they are exact no-ops when off or at zero strength."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from feedlab.agents.rules import audience
from feedlab.experiments import build, compose
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError
from feedlab.models import model as model_module

BASE = ["network.n=200", "output.mesa_agents=false", "seed=3"]
TIES = "dynamics.audience.ties"
DIL = "dynamics.audience.dilution"


# ------------------------------------------------------------------ the transforms
def test_tie_factor_known_answers() -> None:
    d = np.array([0, 1, 10, 40, 1000])
    f = audience.tie_factor(d, 10.0, 0.5)
    # at or below d_ref: 1; 40 = 4·d_ref: 4^-½ = ½; 1000 = 100·d_ref: 100^-½ = 0.1
    np.testing.assert_allclose(f, [1.0, 1.0, 1.0, 0.5, 0.1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(audience.tie_factor(np.array([20]), 5.0, 1.0), [0.25], atol=1e-15)
    assert np.all(audience.tie_factor(d, 10.0, 0.0) == 1.0)  # γ = 0: exactly no change


def test_dilution_logit_known_answers() -> None:
    k = np.array([0, 5, 10, 10 * np.e, 100, 1000])
    s = audience.dilution_logit(k, 10.0, 1.0)
    np.testing.assert_allclose(s, [0, 0, 0, -1, -np.log(10), -np.log(100)], atol=1e-12)
    np.testing.assert_allclose(audience.dilution_logit(np.array([40]), 10.0, 0.5), [-np.log(2)])
    assert np.all(audience.dilution_logit(k, 10.0, 0.0) == 0.0)  # δ = 0: exactly no change


def test_reference_degree() -> None:
    d = np.array([0, 0, 3, 1, 7, 5])
    assert audience.reference_degree(d, 0) == 4.0  # median of 3, 1, 7, 5
    assert audience.reference_degree(d, 12.5) == 12.5
    assert audience.reference_degree(np.zeros(4), 0) == 1.0


# ------------------------------------------------------------------ wiring in the model
def test_ties_scale_setup_baselines() -> None:
    off = build(compose(BASE))
    on = build(
        compose([*BASE, f"{TIES}.enabled=true", f"{TIES}.exponent=1", f"{TIES}.reference=5"])
    )
    g0, g1 = off.graph, on.graph
    np.testing.assert_array_equal(g0.indices, g1.indices)  # the same network (same seed)
    d = g1.in_degree()[g1.indices]
    np.testing.assert_allclose(g1.baseline, g0.baseline * np.minimum(1.0, 5.0 / d), atol=1e-15)
    np.testing.assert_array_equal(g1.trust, g1.baseline)
    assert np.any(d > 5) and np.all(g1.baseline[d <= 5] == g0.baseline[d <= 5])
    # the default reference is the median in-degree of followed accounts, fixed at set-up
    deg = g0.in_degree()
    assert off.audience_ref[0] == float(np.median(deg[deg > 0]))
    assert on.audience_ref[0] == 5.0


def test_ties_scale_new_follows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new follow's baseline uses the followee's audience then, the follower included."""
    over = [
        *BASE,
        f"{TIES}.enabled=true",
        f"{TIES}.exponent=0.5",
        "dynamics.follow.follow_prob=1",
        "dynamics.follow.homophily=0",
        "platform.out_of_network=3",
    ]
    m = build(compose(over))
    calls: list[dict[str, Any]] = []
    real = m.graph.rewire

    def spy(remove: Any, add_src: Any, add_dst: Any, add_trust: Any, add_base: Any) -> Any:
        calls.append({"dst": add_dst.copy(), "base": add_base.copy(), "deg": m.graph.in_degree()})
        return real(remove, add_src, add_dst, add_trust, add_base)

    monkeypatch.setattr(m.graph, "rewire", spy)
    for _ in range(3):
        m.step()
    tr, d_ref = m.dynamics.trust, m.audience_ref[0]
    seen = 0
    for c in calls:
        role = m.users.role[c["dst"]]
        rel = np.where(np.isin(role, (1, 2)), tr.influencer_baseline, tr.follow_baseline)
        want = rel * np.minimum(1.0, ((c["deg"][c["dst"]] + 1) / d_ref) ** -0.5)
        np.testing.assert_allclose(c["base"], want, atol=1e-15)
        seen += c["dst"].size
    assert seen > 0  # follows were proposed


def _captured_offsets(monkeypatch: pytest.MonkeyPatch, m: Any) -> list[tuple[Any, Any]]:
    got: list[tuple[Any, Any]] = []
    real = model_module.react_items

    def spy(viewer: Any, *args: Any) -> None:
        got.append((viewer.copy(), np.array(args[11])))  # the log-odds offset
        real(viewer, *args)

    monkeypatch.setattr(model_module, "react_items", spy)
    return got


def test_dilution_shifts_reaction_log_odds(monkeypatch: pytest.MonkeyPatch) -> None:
    m = build(compose([*BASE, f"{DIL}.enabled=true", f"{DIL}.strength=0.7"]))
    got = _captured_offsets(monkeypatch, m)
    out = m.graph.out_degree()  # before the step's rewiring
    m.step()
    viewer, offset = got[0]
    k, k_ref = out.astype(float), m.audience_ref[1]
    assert k_ref == float(np.median(out[out > 0]))
    want = -0.7 * np.maximum(0.0, np.log(np.maximum(k, 1) / k_ref))[viewer]
    assert offset.shape == (viewer.size, 4)
    for c in range(4):
        np.testing.assert_allclose(offset[:, c], want, atol=1e-15)
    assert np.any(want < 0) and np.any(want == 0)


def test_dilution_off_passes_no_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    m = build(compose(BASE))
    got = _captured_offsets(monkeypatch, m)
    m.step()
    assert got[0][1].shape == (1, 4) and np.all(got[0][1] == 0)


# ------------------------------------------------------------------ off is off
def _state(m: Any) -> list[np.ndarray]:
    return [m.users.opinion, m.users.arousal, m.graph.indices, m.graph.trust, m.posts.likes]


def _run(over: list[str], steps: int = 4) -> Any:
    m = build(compose([*BASE, *over]))
    for _ in range(steps):
        m.step()
    return m


def test_zero_strength_is_bit_identical_to_off() -> None:
    off = _run([])
    zero = _run(
        [f"{TIES}.enabled=true", f"{TIES}.exponent=0", f"{DIL}.enabled=true", f"{DIL}.strength=0"]
    )
    for a, b in zip(_state(off), _state(zero), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(off.graph.baseline, zero.graph.baseline)


def test_mechanisms_draw_no_random_numbers() -> None:
    """With the draw count fixed by the set-up (no rewiring, no reshares), the dynamics
    stream ends in the same state with both mechanisms on, while reactions differ."""
    fixed = ["dynamics.follow.enabled=false", "dynamics.reshares=false"]
    off = _run(fixed)
    on = _run(
        [
            *fixed,
            f"{TIES}.enabled=true",
            f"{TIES}.exponent=1",
            f"{DIL}.enabled=true",
            f"{DIL}.strength=1",
        ]
    )
    assert off.dyn_rng.bit_generator.state == on.dyn_rng.bit_generator.state
    assert on.posts.likes.sum() < off.posts.likes.sum()  # weaker ties, diluted attention


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        (f"{TIES}.exponent=-1", (f"{TIES}.exponent", ">= 0")),
        (f"{DIL}.reference=-2", (f"{DIL}.reference", ">= 0")),
        (f"{DIL}.enabled=maybe", (f"{DIL}.enabled",)),
    ],
)
def test_bad_audience_config_refused(override: str, needles: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as ei:
        validate(compose([override]))
    for n in needles:
        assert n in str(ei.value)
