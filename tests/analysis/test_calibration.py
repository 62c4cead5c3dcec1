"""``feedlab calibrate``: checks before any run, the seeded sampler, runs of a sweep folder
(resume after a kill repeats nothing), determinism, and recovery of known parameters."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import TINY_CALIBRATION

from feedlab.analysis.calibration import engine, report, simulate, smc, spec
from feedlab.analysis.calibration.priors import Prior
from feedlab.experiments import cli
from feedlab.experiments.record import is_complete, run_key
from feedlab.experiments.run import compose
from feedlab.experiments.schema import ConfigError
from feedlab.experiments.verify import verify

LIKE = "dynamics.reaction.like.intercept"
SHARE = "dynamics.reaction.share.intercept"
TINY = ["network.n=60", "steps=3"]


def _tiny(tmp_path, **kw):
    """A tiny synthetic calibration: 2 parameters, 8 particles, 3 generations."""
    text = TINY_CALIBRATION
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return spec.load(str(path), **kw)


def _bad(tmp_path, body: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as e:
        spec.load(str(path), out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    return e.value.problems


def test_priors_are_an_allowlist_never_callables(tmp_path):
    problems = _bad(
        tmp_path,
        """
targets: ["metric:total_likes"]
hold_out: []
overrides: [network.n=60]
params:
  dynamics.reaction.like.intercept: {_target_: numpy.random.uniform, low: 0, high: 1}
  dynamics.reaction.share.intercept: {prior: cauchy, low: -6, high: -3}
  dynamics.reaction.comment.intercept: {prior: uniform, low: -1, high: -3}
  dynamics.nosuch: {prior: uniform, low: 0, high: 1}
  population.convergence.mean: {prior: uniform, low: 0.1, high: 0.9}
truth: {dynamics.reaction.like.intercept: -2.0}
smc: {population: 8, generations: 2, quantile: 0.5, seeds: 1, noise_seeds: 2,
      min_acceptance: 0.0, ppc_draws: 3}
budget: 40
seed: 0
""",
    )
    text = "\n".join(problems)
    assert (
        "params.dynamics.reaction.like.intercept.prior: None is not allowed; allowed: uniform, loguniform, truncnormal"
        in text
    )
    assert "params.dynamics.reaction.share.intercept.prior: 'cauchy' is not allowed" in text
    assert "params.dynamics.reaction.comment.intercept: needs low < high" in text
    assert (
        "params.dynamics.nosuch: not a numeric parameter of the groups dynamics, population, platform"
        in text
    )
    assert "truth: give a value for every free parameter" in text


def test_prior_box_corners_and_targets_are_checked(tmp_path):
    problems = _bad(
        tmp_path,
        """
targets: [guess2023_engagement, bakshy2015_ranking_crosscutting_pooled, brady2017_moral_emotional_words]
hold_out: [guess2023_engagement]
overrides: [network.n=60, seed=4]
params:
  population.convergence.mean: {prior: uniform, low: 0.1, high: 0.9}
smc: {population: 8, generations: 2, quantile: 1.5, seeds: 1, noise_seeds: 2,
      min_acceptance: 0.0, ppc_draws: 3}
budget: 40
seed: 0
""",
    )
    text = "\n".join(problems)
    assert "smc.quantile: must lie in (0, 1)" in text
    problems = _bad(
        tmp_path,
        """
targets: [guess2023_engagement, bakshy2015_ranking_crosscutting_pooled, brady2017_moral_emotional_words, "metric:likes"]
hold_out: [guess2023_engagement]
overrides: [network.n=60]
params:
  population.convergence.mean: {prior: uniform, low: 0.1, high: 0.9}
smc: {population: 8, generations: 2, quantile: 0.5, seeds: 1, noise_seeds: 2,
      min_acceptance: 0.0, ppc_draws: 3}
budget: 40
seed: 0
""",
    )
    text = "\n".join(problems)
    assert "hold_out: guess2023_engagement also fitted" in text
    assert "targets: guess2023_engagement: directional (no estimate); hold it out" in text
    assert (
        "bakshy2015_ranking_crosscutting_pooled: no published interval; give assumed_sigma" in text
    )
    assert "targets: 'brady2017_moral_emotional_words' has no registered measurement" in text
    assert "metric:likes: a summary metric has no published value; allowed only with truth" in text
    assert "high corner of the prior box: population.convergence.mean: 0.9 is out of range" in text


def test_cli_refuses_bad_input_with_exit_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "c"
    rc = cli.main(["calibrate", "--config", "calibration=nosuch", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "allowed: default, demo" in err and "Traceback" not in err
    rc = cli.main(
        [
            "calibrate",
            "--config",
            "calibration=demo",
            "--budget",
            "0",
            "--truth",
            "x",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "--truth 'x': expected PARAM=VALUE" in err and not out.exists()
    rc = cli.main(
        [
            "calibrate",
            "--config",
            "calibration=demo",
            "--targets",
            "metric:nosuch",
            "--out",
            str(out),
            *TINY,
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "metric:nosuch: not a numeric summary metric; allowed: " in err
    assert "total_likes" in err and "Traceback" not in err
    assert not out.exists()  # its pilot runs are removed with the folder it created


def test_shipped_configs_load():
    for name in spec.available():
        s = spec.load(f"calibration={name}")
        assert s.priors and s.targets


def test_composed_once_per_design_gives_the_same_run_key(tmp_path):
    s = _tiny(tmp_path, out=tmp_path / "o")
    runs = simulate.Runs(s)
    ov = ["experiment=feed_ab_test", "seed=17", *TINY, f"{LIKE}=-2.5", f"{SHARE}=-3.25"]
    _, key = runs.compose(ov)
    fixed = [f"output.dir={s.out}", *runs.fixed]
    assert key == run_key(compose([*ov, *fixed]))
    assert runs.compose([*ov[:1], "seed=18", *ov[2:]])[1] == run_key(
        compose([*ov[:1], "seed=18", *ov[2:], *fixed])
    )


def test_smc_is_seeded_and_contracts_on_a_toy_problem():
    priors = [Prior("a", "uniform", 0.0, 1.0), Prior("b", "loguniform", 0.1, 10.0)]
    truth = np.array([0.3, np.log(2.0)])

    def evaluate(z, gen, first):  # a noisy distance: the sampler must not depend on batching
        e = np.random.default_rng([first, gen]).normal(0, 0.02, len(z))
        return np.sqrt(((z - truth) ** 2).sum(axis=1)) + np.abs(e)

    def go(seed):
        return smc.run(
            priors,
            evaluate,
            population=50,
            generations=5,
            quantile=0.5,
            budget=2000,
            rng=np.random.default_rng(seed),
        )

    a, b, c = go(1), go(1), go(2)
    assert np.array_equal(a.final.z, b.final.z) and np.array_equal(a.final.weights, b.final.weights)
    assert not np.array_equal(a.final.z, c.final.z)
    eps = [g.epsilon for g in a.generations]
    assert all(x > y for x, y in itertools.pairwise(eps))
    assert abs(a.final.weights @ a.final.z[:, 0] - 0.3) < 0.1
    assert 0 < a.final.ess <= 50
    assert smc.weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3]), 0.5) == 1.0


def test_budget_below_a_generation_keeps_the_last_complete_one():
    priors = [Prior("a", "uniform", 0.0, 1.0)]
    r = smc.run(
        priors,
        lambda z, g, f: np.abs(z[:, 0] - 0.5),
        population=10,
        generations=5,
        quantile=0.5,
        budget=25,
        rng=np.random.default_rng(0),
    )
    assert r.stopped == "budget" and r.proposals == 25 and r.final.index <= 1


@pytest.mark.slow
def test_same_seed_same_posterior_whatever_the_jobs(tmp_path):
    a = engine.calibrate(_tiny(tmp_path, out=tmp_path / "a"))
    report.write(a, "test")
    b = engine.calibrate(_tiny(tmp_path, out=tmp_path / "b", jobs=2))
    report.write(b, "test")
    ta, tb = (pq.read_table(tmp_path / d / "posterior.parquet") for d in "ab")
    assert ta.equals(tb) and ta.schema.metadata == tb.schema.metadata
    assert (tmp_path / "a" / "posterior.parquet").read_bytes() == (
        tmp_path / "b" / "posterior.parquet"
    ).read_bytes()
    assert np.array_equal(a.ppc, b.ppc)


def test_a_killed_calibration_resumes_without_repeating_a_finished_run(tmp_path, monkeypatch):
    s = _tiny(tmp_path, out=tmp_path / "k")
    real = simulate._run_one
    ran: list[str] = []

    class Killed(BaseException):
        pass

    def dying(task):
        if len(ran) >= 25:
            raise Killed  # as a SIGKILL mid-run would: the run in progress never commits
        key, did, cpu = real(task)
        ran.append(key)
        return key, did, cpu

    monkeypatch.setattr(simulate, "_run_one", dying)
    with pytest.raises(Killed):
        engine.calibrate(s)
    finished = {p.name for p in (s.out / "runs").iterdir() if is_complete(p)}
    assert len(finished) == 25
    assert not verify(s.out).ok  # the batch in progress is listed, not complete

    again: list[str] = []

    def counting(task):
        key, did, cpu = real(task)
        if did:
            again.append(key)
        return key, did, cpu

    monkeypatch.setattr(simulate, "_run_one", counting)
    o = engine.calibrate(s)
    assert not finished & set(again), "a finished simulation was repeated"
    assert o.reused >= 25 and len(again) == o.runs
    rep = verify(s.out)
    assert rep.ok and len(rep.complete) == o.expected == len(finished) + len(again)
    summary = report.write(o, "test")
    assert (
        json.loads((s.out / "calibration.json").read_text())["provenance"]["runs_expected"]
        == o.expected
    )
    assert summary["configs"] == [str(s.out / "calibrated" / "dynamics" / "calibrated.yaml")]
    assert pq.read_table(s.out / "posterior.parquet").num_rows == 8


@pytest.mark.slow
@pytest.mark.parametrize("truth", [(-2.2, -4.0), (-3.1, -3.5)])
def test_recovers_known_parameters_from_synthetic_targets(tmp_path, truth):
    """The demo calibration (N = 150, 6 steps, 40 particles, ≤ 400 parameter sets): the
    posterior 90 % interval of each parameter contains the truth and is at most half the
    prior's 90 % width."""
    s = spec.load("calibration=demo", out=tmp_path / "r", truth={LIKE: truth[0], SHARE: truth[1]})
    o = engine.calibrate(s)
    for row in report.marginals(o):
        assert row["truth_in_90"], row
        assert row["contraction"] <= 0.5, row
