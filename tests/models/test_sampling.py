"""Sparse Bernoulli sampling (models/sampling.py) and the unfollow law it serves.

Rewiring used to test every edge with its own uniform number (``rng.random(E) < p``) and
now draws the tested edges through geometric gaps; both must give every edge an
independent probability ``p`` of being tested. These tests compare the new sampler (and
the model's unfollow counts) with the old law across seeds: binomial counts (chi-square
goodness of fit), per-item uniformity and pairwise independence.
"""

import numpy as np
import pytest
from scipy import stats

from feedlab.experiments import build, compose
from feedlab.models import sampling
from feedlab.models.sampling import bernoulli_indices, uniform_fill


def test_edges_of_the_range():
    rng = np.random.default_rng(0)
    assert bernoulli_indices(rng, 0, 0.5).size == 0
    assert bernoulli_indices(rng, 10, 0.0).size == 0
    assert bernoulli_indices(rng, 5, 1.0).tolist() == [0, 1, 2, 3, 4]
    idx = bernoulli_indices(rng, 1000, 0.3)
    assert idx.dtype == np.int64 and np.all(np.diff(idx) > 0)
    assert idx.min() >= 0 and idx.max() < 1000


def test_same_generator_state_gives_the_same_indices():
    a = bernoulli_indices(np.random.default_rng(7), 10_000, 0.05)
    b = bernoulli_indices(np.random.default_rng(7), 10_000, 0.05)
    assert np.array_equal(a, b)


def _binomial_chi2(counts: np.ndarray, n: int, p: float) -> float:
    """P-value of a chi-square test of ``counts`` against Binomial(n, p), pooling the
    tails so that every expected cell holds at least 5.
    """
    lo, hi = int(stats.binom.ppf(0.001, n, p)), int(stats.binom.ppf(0.999, n, p))
    edges = np.arange(lo, hi + 2)
    obs = np.array([np.sum(counts < lo)] + [np.sum(counts == k) for k in edges[:-1]])
    obs = np.append(obs, np.sum(counts > hi))
    exp = np.array([stats.binom.cdf(lo - 1, n, p)])
    exp = np.append(exp, stats.binom.pmf(edges[:-1], n, p))
    exp = np.append(exp, stats.binom.sf(hi, n, p)) * counts.size
    # pool adjacent cells until every expected count is >= 5
    o_pool, e_pool, o_acc, e_acc = [], [], 0.0, 0.0
    for o, e in zip(obs, exp, strict=True):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 5:
            o_pool.append(o_acc)
            e_pool.append(e_acc)
            o_acc = e_acc = 0.0
    o_pool[-1] += o_acc
    e_pool[-1] += e_acc
    return float(stats.chisquare(o_pool, e_pool).pvalue)


@pytest.mark.parametrize("p", [0.05, 0.5])
def test_counts_follow_the_binomial_law_of_per_item_coins(p):
    n, seeds = 300, 2000
    counts = np.empty(seeds, np.int64)
    hits = np.zeros(n)
    pair = 0  # items 3 and 4 both selected (independence)
    for s in range(seeds):
        idx = bernoulli_indices(np.random.default_rng(s), n, p)
        counts[s] = idx.size
        hits[idx] += 1
        pair += (3 in idx) and (4 in idx)
    assert _binomial_chi2(counts, n, p) > 1e-3
    # every item equally likely: the per-item counts are Binomial(seeds, p) each
    z = (hits - seeds * p) / np.sqrt(seeds * p * (1 - p))
    assert stats.kstest(z, "norm").pvalue > 1e-3 or abs(z).max() < 4.5
    assert abs(hits.mean() / seeds - p) < 4 * np.sqrt(p * (1 - p) / (seeds * n))
    # adjacent items independent: P(both) = p²
    assert abs(pair / seeds - p * p) < 4.5 * np.sqrt(p * p * (1 - p * p) / seeds)


def test_model_unfollow_counts_match_the_old_per_edge_law():
    """With every edge eligible (trust below 1 or opinions apart), a step's unfollows
    are Binomial(E, unfollow_prob) given the E edges before rewiring, as under the old
    per-edge uniform test: the standardised total over steps and seeds is within 4 sd
    and the per-step dispersion is binomial (follows off, so only rewiring removes edges).
    """
    counts, edges = [], []
    for seed in range(4):
        cfg = compose(
            [
                "network.n=400",
                f"seed={seed}",
                "dynamics.follow.unfollow_trust=1.0",
                "dynamics.follow.unfollow_distance=0",
                "dynamics.follow.unfollow_prob=0.05",
                "dynamics.follow.follow_prob=0",
                "output.mesa_agents=false",
            ]
        )
        model = build(cfg)
        for _ in range(25):
            e0 = model.graph.n_edges
            model.step()
            counts.append(int(model.step_stats["unfollows"]))
            edges.append(e0)
            assert model.graph.n_edges == e0 - counts[-1]
    counts_a, edges_a = np.array(counts), np.array(edges)
    mean = edges_a * 0.05
    var = edges_a * 0.05 * 0.95
    z = (counts_a.sum() - mean.sum()) / np.sqrt(var.sum())
    assert abs(z) < 4.0
    ratio = np.sum((counts_a - mean) ** 2 / var) / counts_a.size
    assert 0.6 < ratio < 1.5


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape", [(10,), (70_001, 4), (300_000,)])
def test_uniform_fill_is_rng_random(threads: int, shape: tuple[int, ...]) -> None:
    """The parts drawn on threads are the numbers of one ``rng.random(out=...)``, and the
    generator goes on as after it (a buffered 32-bit half-word included).
    """
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    a.integers(0, 2**32), b.integers(0, 2**32)  # leaves a buffered 32-bit half-word
    want, got = np.empty(shape), np.empty(shape)
    a.random(out=want)
    uniform_fill(b, got, threads)
    assert np.array_equal(got, want)
    assert np.array_equal(a.integers(0, 2**32, 5), b.integers(0, 2**32, 5))
    assert np.array_equal(a.random(7), b.random(7))


@pytest.mark.skipif(not sampling.PCG64_JIT, reason="the JIT is off")
@pytest.mark.parametrize("seed", [0, 1, 2**40 + 3])
def test_pcg64_fill_is_rng_random(seed: int) -> None:
    """The Numba kernel's lanes give ``rng.random``'s numbers for every length (whole
    rounds of :data:`~feedlab.models.sampling.PCG64_LANES` lanes and every remainder) and
    ``pcg64_advanced_state`` the generator's state after them.
    """
    for n in [*range(1, 2 * sampling.PCG64_LANES + 2), 1000, 1003]:
        a = np.random.default_rng(seed)
        a.integers(0, 2**32)  # a buffered 32-bit half-word, kept
        st = a.bit_generator.state
        want, got = a.random(n), np.empty(n)
        sampling.pcg64_fill(st["state"]["state"], st["state"]["inc"], got)
        assert np.array_equal(got, want), n
        assert sampling.pcg64_advanced_state(st, n) == a.bit_generator.state
