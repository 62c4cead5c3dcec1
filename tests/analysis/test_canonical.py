"""Canonical reductions (docs/validation.md §Canonical reductions): with its mechanisms off, feedlab reproduces published
models — and every check of it fails when a bug is planted (a check that cannot fail
proves nothing).

The science tests (``slow``) run the checks of :mod:`feedlab.analysis.validation` exactly as
``feedlab validate`` does (same seeds, sizes and tolerances; the tolerances are justified
beside their constants there), in two forked worker processes. The planted-bug tests
replace the pairwise kernel the model calls (``feedlab.models.model.pairwise_bounded_confidence``)
with a wrong one — forked workers inherit the replacement — and shrink only the number
of replicates and steps, never the criterion.
"""

from __future__ import annotations

import numpy as np
import pytest

import feedlab.models.events.threshold as threshold
import feedlab.models.model as model_module
from feedlab.analysis import validation as V
from feedlab.analysis.validation import algorithmic_bias, deffuant, watts
from feedlab.experiments import build, compose
from feedlab.models.kernels import pairwise_bounded_confidence as KERNEL
from feedlab.models.network import NETWORKS


def _ctx(tmp_path, jobs: int = 2) -> V.Context:
    return V.Context(cache=tmp_path / "runs", figures=None, jobs=jobs)


# --------------------------------------------------------------------------- fast
def test_complete_network_is_every_ordered_pair() -> None:
    unit = NETWORKS.build({"name": "complete", "n": 6}, "network")
    net = unit.generate(np.random.default_rng(0))
    pairs = {(int(a), int(b)) for a, b in zip(net.src, net.dst)}
    assert pairs == {(a, b) for a in range(6) for b in range(6) if a != b}
    assert net.n_edges == 30 == unit.size_estimate()[1]
    keys = net.src.astype(np.int64) * 6 + net.dst
    assert np.all(np.diff(keys) > 0)  # sorted by (src, dst), no duplicates
    assert net.src.dtype == np.int32 and net.dst.dtype == np.int32


def test_dw_law() -> None:
    assert [V.dw_law(e) for e in (0.15, 0.2, 0.25, 0.3, 0.5, 0.55)] == [3, 2, 2, 1, 1, 0]


def test_frozen_criterion_on_a_small_model() -> None:
    """Frozen iff every follow edge is below δ (met) or at least ε apart (never will)."""
    m = build(compose(["experiment=dw_complete", "network.n=6", "output.mesa_agents=false"]))
    eps = float(m.users.tolerance[0])  # 0.4
    m.users.opinion[:] = [-0.9, -0.9, -0.9 + 1e-4, 0.2, 0.2, 0.2]
    assert V.frozen(m)  # two clusters 1.1 apart, each within δ
    m.users.opinion[5] = 0.2 + eps / 2  # an active pair inside the right cluster
    assert not V.frozen(m)
    m.users.opinion[5] = 0.2 + eps  # exactly ε apart: never interact again
    assert V.frozen(m)


def test_canonical_configs_compose_as_reductions() -> None:
    """Each canonical experiment is the pairwise, mechanism-free reduction (docs/validation.md §Canonical reductions)."""
    for name in ("dw_complete", "dw_sparse", "dw_consensus", "algorithmic_bias_sweep"):
        cfg = compose([f"experiment={name}"])
        assert cfg["experiment"] == name
        d = cfg["dynamics"]
        assert d["interaction"] == "pairwise" and d["symmetric"] is True
        assert not (d["emotion"]["enabled"] or d["trust"]["enabled"] or d["follow"]["enabled"])
        assert cfg["population"]["opinion"]["init"] == "uniform"
        assert cfg["population"]["convergence"] == {"mean": 0.5, "sd": 0.0}
    assert compose(["experiment=dw_complete"])["network"]["name"] == "complete"
    assert compose(["experiment=algorithmic_bias_sweep"])["ranking"]["name"] == "algorithmic_bias"


# --------------------------------------------------------------------------- slow
@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["dw_complete", "dw_sparse", "dw_consensus", "algorithmic_bias", "watts_cascade_window"]
)
def test_canonical_reduction_reproduces_the_literature(name: str, tmp_path) -> None:
    r = V.run_check(V.CHECKS[name], _ctx(tmp_path))
    print(f"{name}: {r.status}\n  measured: {r.measured}\n  reason: {r.reason}")
    assert r.status == V.PASS, f"{r.measured}\n{r.reason}"


def _wrong_sign(x, indptr, indices, eps, mu, gamma, floor, symmetric, initiators, u):
    """Planted bug: ``x[i] -= μ·(x_j − x_i)`` — partners within ε repel."""
    return KERNEL(x, indptr, indices, eps, -mu, gamma, floor, symmetric, initiators, u)


def _gamma_sign(x, indptr, indices, eps, mu, gamma, floor, symmetric, initiators, u):
    """Planted bug: partner drawn ∝ |x_i − x_j|^(+γ) — the exponent's sign lost."""
    return KERNEL(x, indptr, indices, eps, mu, -gamma, floor, symmetric, initiators, u)


@pytest.mark.slow
def test_dw_checks_fail_with_a_wrong_update_sign(tmp_path, monkeypatch) -> None:
    """A shrunken design (fewer ε, replicates, one sparse graph, a step cap) on which the
    correct model passes — the control — and fails with the wrong sign."""
    monkeypatch.setattr(deffuant, "DW_EPS", (0.2, 0.3))
    monkeypatch.setattr(deffuant, "DW_REPLICATES", 3)
    monkeypatch.setattr(deffuant, "CONSENSUS_REPLICATES", 5)
    monkeypatch.setattr(deffuant, "DW_MAX_STEPS", 1000)
    er = {"ER": deffuant.SPARSE_GRAPHS["Erdős–Rényi z=10"]}
    monkeypatch.setattr(deffuant, "SPARSE_GRAPHS", er)
    monkeypatch.setattr(deffuant, "CONSENSUS_GRAPHS", {"complete graph": None, **er})
    names = ("dw_complete", "dw_sparse", "dw_consensus")
    for name in names:  # control: the correct kernel passes this design
        r = V.run_check(V.CHECKS[name], _ctx(tmp_path))
        assert r.status == V.PASS, (name, r.measured, r.reason)
    monkeypatch.setattr(model_module, "pairwise_bounded_confidence", _wrong_sign)
    # repelling users never freeze, so a lower cap saves time; the failures asserted
    # below are of the law and the consensus criteria, not of the cap
    monkeypatch.setattr(deffuant, "DW_MAX_STEPS", 200)
    for name in ("dw_complete", "dw_sparse"):
        r = V.run_check(V.CHECKS[name], _ctx(tmp_path))
        assert r.status == V.FAIL, (name, r.measured, r.reason)
        cells = [c for row in r.data["cells"].values() for c in row.values()]
        assert any(c["mode"] != c["law"] for c in cells), r.measured
    r = V.run_check(V.CHECKS["dw_consensus"], _ctx(tmp_path))
    assert r.status == V.FAIL and "complete consensus in 0/5 runs at ε = 0.55" in r.reason


def _gamma_ignored(x, indptr, indices, eps, mu, gamma, floor, symmetric, initiators, u):
    """Planted bug: γ never reaches the kernel (uniform partners at every γ)."""
    return KERNEL(x, indptr, indices, eps, mu, 0.0, floor, symmetric, initiators, u)


@pytest.mark.slow
@pytest.mark.parametrize("bug", [_gamma_sign, _gamma_ignored], ids=["exponent_sign", "ignored"])
def test_algorithmic_bias_check_fails_with_a_wrong_exponent(bug, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(model_module, "pairwise_bounded_confidence", bug)
    monkeypatch.setattr(algorithmic_bias, "AB_REPLICATES", 6)
    monkeypatch.setattr(algorithmic_bias, "AB_TIME_REPLICATES", 3)
    monkeypatch.setattr(algorithmic_bias, "AB_MAX_STEPS", 3000)  # the sign bug stalls some runs
    r = V.run_check(V.CHECKS["algorithmic_bias"], _ctx(tmp_path))
    assert r.status == V.FAIL, (r.measured, r.reason)
    assert "time to freeze grows only" in r.reason  # the convergence-time criterion


@pytest.mark.slow
def test_watts_check_fails_with_a_wrong_threshold(tmp_path, monkeypatch) -> None:
    real = threshold.run_cascade

    def doubled_threshold(indptr, indices, degree, phi, seeds, need=None):
        """Planted bug: the threshold is applied twice (φ → 2φ)."""
        return real(indptr, indices, degree, 2 * np.asarray(phi), seeds, need)

    monkeypatch.setattr(threshold, "run_cascade", doubled_threshold)
    monkeypatch.setattr(watts, "WATTS_REPLICATES", 10)
    r = V.run_check(V.CHECKS["watts_cascade_window"], _ctx(tmp_path))
    assert r.status == V.FAIL, (r.measured, r.reason)
    # the correct model has ≈ 0.9 global cascades at z = 3 (0.92 over 50 graphs)
    assert "z=3 (inside): global-cascade frequency 0.00" in r.reason
