"""Peer implementations for the side-by-side benchmark (benchmarks/peers).

Small and fast (N ≤ 300): each peer runs, is deterministic for a fixed seed, conserves
the mean opinion where the model does, and the three Deffuant / algorithmic-bias
implementations (ndlib, idiomatic Mesa, NumPy reference) agree in distribution.
ndlib tests skip when the ``bench`` extra (ndlib, six, scikit-learn) is not installed.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

# ``benchmarks`` is not an installed package; make the repository root importable when
# pytest runs with the default (prepend) import mode from tests/.
from feedlab.benchmarks.peers._graph import csr_adjacency, undirected_edges
from feedlab.benchmarks.peers.mesa_models import run_mesa_algorithmic_bias
from feedlab.benchmarks.peers.numpy_reference import (
    run_reference_algorithmic_bias,
    run_reference_threshold,
)
from feedlab.benchmarks.peers.stats import (
    agree_in_distribution,
    cluster_sizes,
    opinion_summary,
)

NDLIB_REASON = "ndlib is not installed (pip install '.[bench]': ndlib needs six and scikit-learn)"


@pytest.fixture(scope="module")
def ndlib_models():
    pytest.importorskip("six", reason=NDLIB_REASON)
    pytest.importorskip("sklearn", reason=NDLIB_REASON)
    pytest.importorskip("ndlib.models.opinions", reason=NDLIB_REASON)
    from feedlab.benchmarks.peers import ndlib_models

    return ndlib_models


def _edges(g: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    return e[:, 0], e[:, 1]


@pytest.fixture(scope="module")
def ba100():
    """BA graph, N=100, m=3 (no isolated nodes: ndlib crashes on those)."""
    src, dst = _edges(nx.barabasi_albert_graph(100, 3, seed=1))
    return src, dst, 100


def _x0(n: int, rep: int) -> np.ndarray:
    return np.random.default_rng(np.random.SeedSequence([20190315, rep])).random(n)


def _ab_runner(request, impl: str):
    if impl == "ndlib":
        return request.getfixturevalue("ndlib_models").run_ndlib_algorithmic_bias
    return {"mesa": run_mesa_algorithmic_bias, "reference": run_reference_algorithmic_bias}[impl]


# --- graph input ---------------------------------------------------------------------


def test_edges_given_once_or_both_ways_give_the_same_graph():
    src = np.array([0, 1, 2, 2, 3])
    dst = np.array([1, 2, 0, 2, 0])  # includes a self-loop (2, 2)
    both_src = np.concatenate([src, dst])
    both_dst = np.concatenate([dst, src])
    u1, v1 = undirected_edges(src, dst, 4)
    u2, v2 = undirected_edges(both_src, both_dst, 4)
    assert np.array_equal(u1, u2) and np.array_equal(v1, v2)
    assert list(zip(u1.tolist(), v1.tolist())) == [(0, 1), (0, 2), (0, 3), (1, 2)]
    indptr, indices = csr_adjacency(both_src, both_dst, 4)
    assert indptr.tolist() == [0, 3, 5, 7, 8]
    assert indices.tolist() == [1, 2, 3, 0, 2, 0, 1, 0]


# --- each implementation runs, is deterministic, conserves the mean ------------------


@pytest.mark.parametrize("gamma", [0.0, 1.0])
@pytest.mark.parametrize("impl", ["ndlib", "mesa", "reference"])
def test_algorithmic_bias_runs_deterministic_and_conserves_mean(request, ba100, impl, gamma):
    src, dst, n = ba100
    run = _ab_runner(request, impl)
    x0 = _x0(n, 0)
    a = run(src, dst, n, 0.3, gamma, 0.5, 10, 42, x0)
    b = run(src, dst, n, 0.3, gamma, 0.5, 10, 42, x0)
    c = run(src, dst, n, 0.3, gamma, 0.5, 10, 43, x0)
    # same edges listed in both directions: same graph, same run
    d = run(np.concatenate([src, dst]), np.concatenate([dst, src]), n, 0.3, gamma, 0.5, 10, 42, x0)
    assert a["interactions"] == 10 * n
    assert a["seconds"] >= 0.0
    assert a["final_opinions"].shape == (n,)
    assert np.array_equal(a["final_opinions"], b["final_opinions"]), "not reproducible"
    assert np.array_equal(a["final_opinions"], d["final_opinions"])
    assert not np.array_equal(a["final_opinions"], c["final_opinions"]), "seed ignored"
    assert not np.array_equal(a["final_opinions"], x0), "nothing happened"
    assert np.all((a["final_opinions"] >= 0.0) & (a["final_opinions"] <= 1.0))
    # symmetric pairwise moves conserve the sum of opinions (up to float rounding)
    assert abs(a["final_opinions"].mean() - x0.mean()) < 1e-12


@pytest.mark.parametrize("impl", ["mesa", "reference"])
def test_symmetric_mu_other_than_half_conserves_mean(request, ba100, impl):
    src, dst, n = ba100
    run = _ab_runner(request, impl)
    x0 = _x0(n, 1)
    out = run(src, dst, n, 0.4, 0.5, 0.3, 10, 5, x0)
    assert abs(out["final_opinions"].mean() - x0.mean()) < 1e-12


def test_ndlib_rejects_what_it_cannot_do(ndlib_models, ba100):
    src, dst, n = ba100
    with pytest.raises(ValueError, match=r"μ fixed at 0\.5"):
        ndlib_models.run_ndlib_algorithmic_bias(src, dst, n, 0.3, 0.0, 0.3, 1, 0, _x0(n, 0))
    with pytest.raises(ValueError, match="isolated"):
        ndlib_models.run_ndlib_algorithmic_bias(src, dst, n + 1, 0.3, 0.0, 0.5, 1, 0, None)


def test_ndlib_own_seed_misses_python_random(ndlib_models, ba100):
    """Documents the peer's seeding gap that ``run_ndlib_algorithmic_bias`` works around:
    ``AlgorithmicBiasModel(g, seed=s)`` seeds NumPy only, while agents are drawn with
    Python's global ``random``. If this starts failing, ndlib fixed it: update the
    docstring of benchmarks/peers/ndlib_models.py."""
    import ndlib.models.ModelConfig as mc
    import ndlib.models.opinions as op

    src, dst, n = ba100
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(src.tolist(), dst.tolist()))
    rng = np.random.default_rng(3)

    def run_once() -> list[float]:
        # Another library draws from Python's global random between the two runs.
        ndlib_models.random.seed(int(rng.integers(2**31)))
        model = op.AlgorithmicBiasModel(g, seed=7)
        cfg = mc.Configuration()
        cfg.add_model_parameter("epsilon", 0.3)
        cfg.add_model_parameter("gamma", 0.0)
        model.set_initial_status(cfg)
        model.iteration_bunch(3, node_status=False)
        return [model.status[v] for v in range(n)]

    state = ndlib_models.random.getstate()
    try:
        assert run_once() != run_once()
    finally:
        ndlib_models.random.setstate(state)


def test_ndlib_wrapper_leaves_global_rngs_as_it_found_them(ndlib_models, ba100):
    src, dst, n = ba100
    py_before = ndlib_models.random.getstate()
    # ndlib uses NumPy's legacy global state; checked here, never drawn from.
    np_before = np.random.get_state()[1].copy()  # noqa: NPY002
    ndlib_models.run_ndlib_algorithmic_bias(src, dst, n, 0.3, 0.0, 0.5, 2, 9, _x0(n, 0))
    assert ndlib_models.random.getstate() == py_before
    assert np.array_equal(np.random.get_state()[1], np_before)  # noqa: NPY002


# --- the three Deffuant / algorithmic-bias implementations agree in distribution ----


_REFERENCE_CACHE: dict[tuple, list[dict]] = {}


def _replicates(run, src, dst, n, epsilon, gamma, n_steps, reps=10):
    out = []
    for rep in range(reps):
        res = run(src, dst, n, epsilon, gamma, 0.5, n_steps, 1000 + rep, _x0(n, rep))
        out.append(opinion_summary(res["final_opinions"]))
    return out


@pytest.mark.parametrize(
    ("epsilon", "gamma", "n_steps"),
    [
        (0.2, 0.0, 30),  # fragmented: ~3 effective clusters plus outliers on BA
        (0.6, 0.0, 30),  # ε > ½: consensus (Fortunato 2004)
        pytest.param(0.3, 1.0, 30, marks=pytest.mark.slow),  # algorithmic bias
    ],
)
@pytest.mark.parametrize("peer", ["ndlib", "mesa"])
def test_implementations_agree_in_distribution(request, ba100, peer, epsilon, gamma, n_steps):
    """ndlib and Mesa each against the NumPy reference (the reference's replicates are
    cached, so the three pairs cost three sets of runs)."""
    src, dst, n = ba100
    key = (epsilon, gamma, n_steps)
    if key not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[key] = _replicates(
            run_reference_algorithmic_bias, src, dst, n, epsilon, gamma, n_steps
        )
    samples = {
        peer: _replicates(_ab_runner(request, peer), src, dst, n, epsilon, gamma, n_steps),
        "reference": _REFERENCE_CACHE[key],
    }
    stats = ["n_clusters", "effective_clusters", "std"]
    # abs_tol 0.01: opinion-scale floor (at consensus ``std`` is a ~1e-4 convergence
    # residual that depends on the schedule); negligible for the cluster counts.
    res = agree_in_distribution(
        samples[peer], samples["reference"], 0.05, k=3.0, abs_tol=0.01, stats=stats
    )
    assert res["ok"], res["stats"]
    if epsilon > 0.5:
        for name, reps in samples.items():
            assert all(s["n_clusters"] == 1 for s in reps), name
    else:
        for name, reps in samples.items():
            assert np.mean([s["effective_clusters"] for s in reps]) > 1.5, name


# --- Watts threshold model -------------------------------------------------------------


def test_reference_threshold_on_a_ring_is_hand_checkable():
    n = 20
    src = np.arange(n)
    dst = (src + 1) % n
    out = run_reference_threshold(src, dst, n, 0.5, [0])
    assert out["final_active"].all() and out["cascade_size"] == n
    assert out["iterations"] == n // 2  # the front moves one node each way per round
    blocked = run_reference_threshold(src, dst, n, 0.51, [0])
    assert blocked["cascade_size"] == 1 and blocked["iterations"] == 0


def test_ndlib_threshold_matches_reference_exactly(ndlib_models):
    g = nx.gnp_random_graph(300, 4 / 299, seed=4)
    src, dst = _edges(g)
    phi = np.full(300, 0.18)
    phi[::7] = 0.4  # heterogeneous thresholds go through the per-node path too
    for seed_node in [0, 5, 17, 123]:
        a = ndlib_models.run_ndlib_threshold(src, dst, 300, phi, [seed_node], seed=1)
        b = run_reference_threshold(src, dst, 300, phi, [seed_node])
        assert np.array_equal(a["final_active"], b["final_active"])
        assert a["cascade_size"] == b["cascade_size"] == int(a["final_active"].sum())
        assert a["iterations"] == b["iterations"]
        again = ndlib_models.run_ndlib_threshold(src, dst, 300, phi, [seed_node], seed=1)
        assert np.array_equal(a["final_active"], again["final_active"])


# --- stats helpers ---------------------------------------------------------------------


def test_opinion_summary_clusters():
    x = np.array([0.1, 0.1 + 1e-12, 0.1, 0.5, 0.5, 0.9])
    assert cluster_sizes(x).tolist() == [3, 2, 1]
    s = opinion_summary(x)
    assert s["n_clusters"] == 3
    assert s["effective_clusters"] == pytest.approx(36 / 14)
    assert s["largest_cluster_fraction"] == pytest.approx(0.5)
    consensus = opinion_summary(np.full(50, 0.37) + np.linspace(0, 1e-12, 50))
    assert consensus["n_clusters"] == 1 and consensus["effective_clusters"] == 1.0


def test_agree_in_distribution_tolerance():
    a = {"m": [1.0, 1.2, 0.8, 1.1, 0.9]}
    same = agree_in_distribution(a, {"m": [1.05, 0.95, 1.1, 0.9, 1.0]})
    assert same["ok"]
    far = agree_in_distribution(a, {"m": [2.0, 2.1, 1.9, 2.05, 1.95]})
    assert not far["ok"]
    # no replicate spread: only the absolute floor / relative tolerance remain
    assert agree_in_distribution({"m": [1.0] * 3}, {"m": [1.0] * 3})["ok"]
    assert not agree_in_distribution({"m": [1.0] * 3}, {"m": [1.1] * 3})["ok"]
    assert agree_in_distribution({"m": [1.0] * 3}, {"m": [1.1] * 3}, rel_tol=0.1)["ok"]
