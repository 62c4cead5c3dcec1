"""The fused reaction kernel equals the readable NumPy reference of feedlab.agents.rules.reaction."""

import numpy as np
from scipy.special import expit

from feedlab.agents.rules import reaction
from feedlab.experiments import compose
from feedlab.experiments.config import validate
from feedlab.models.kernels import reaction_probabilities


def test_kernel_matches_reference_logits():
    run, _ = validate(compose(["network.n=50"]))
    cfg = run.dynamics.reaction
    rng = np.random.default_rng(0)
    m, n_users, n_posts, n_edges = 500, 40, 60, 80
    viewer = rng.integers(0, n_users, m).astype(np.int32)
    slot = rng.integers(0, n_posts, m).astype(np.int64)
    edge = rng.integers(-1, n_edges, m).astype(np.int64)
    opinion, sus = rng.uniform(-1, 1, n_users), rng.random(n_users)
    stance, outrage, quality = rng.uniform(-1, 1, n_posts), rng.random(n_posts), rng.random(n_posts)
    seen = rng.random(m) < 0.3
    trust_e, stranger = rng.random(n_edges), 0.2
    offset = rng.normal(size=(m, 4))
    out = np.empty((m, 4))
    reaction_probabilities(
        viewer,
        slot,
        edge,
        opinion,
        sus,
        stance,
        outrage,
        quality,
        seen,
        trust_e,
        stranger,
        cfg.matrix(),
        offset,
        out,
    )
    trust = np.where(edge >= 0, trust_e[np.maximum(edge, 0)], stranger)
    ref = reaction.logits(
        cfg,
        1 - np.abs(opinion[viewer] - stance[slot]),
        sus[viewer],
        outrage[slot],
        trust,
        quality[slot],
        seen,
    )
    np.testing.assert_allclose(out, expit(ref + offset), rtol=1e-12, atol=1e-14)


def test_signs_follow_the_literature():
    """Outrage raises engagement for susceptible users; disagreement raises comments
    and negative feedback; low quality raises negative feedback (default config)."""
    run, _ = validate(compose(["network.n=50"]))
    cfg = run.dynamics.reaction
    one = np.ones(2)

    def lg(agree, s, o, q):
        return reaction.logits(
            cfg, agree * one, s * one, o * one, 0.5 * one, q * one, np.zeros(2, bool)
        )[0]

    like, comment, share, negfb = range(4)
    assert lg(0.5, 0.9, 0.9, 0.5)[share] > lg(0.5, 0.9, 0.1, 0.5)[share]
    assert lg(-0.8, 0.5, 0.3, 0.5)[comment] > lg(0.8, 0.5, 0.3, 0.5)[comment]
    assert lg(-0.8, 0.5, 0.3, 0.5)[negfb] > lg(0.8, 0.5, 0.3, 0.5)[negfb]
    assert lg(0.0, 0.5, 0.3, 0.1)[negfb] > lg(0.0, 0.5, 0.3, 0.9)[negfb]
    assert lg(0.8, 0.5, 0.3, 0.5)[like] > lg(-0.8, 0.5, 0.3, 0.5)[like]
