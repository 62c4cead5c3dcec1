"""``feedlab sensitivity``: checks before any run, and a planted inert parameter."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

pytest.importorskip("SALib")

from feedlab.analysis import sensitivity
from feedlab.experiments import cli
from feedlab.experiments.schema import ConfigError

TINY = ["network.n=100", "steps=3"]


def test_bad_names_ranges_and_options_are_refused_before_any_run(tmp_path, capsys):
    out = tmp_path / "s"
    rc = cli.main(
        [
            "sensitivity",
            "--param",
            "dynamics.nosuch=0:1",
            "--param",
            "ranking.prior.alpha=1:2",  # a bridging field; the default ranking is engagement
            "--param",
            "population.convergence.mean=0.1:0.9",  # above the schema's 0.5
            "--param",
            "seed=0:3",  # the seeds are the replicates
            "--metric",
            "opinion_variance",
            "--out",
            str(out),
            *TINY,
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "--param dynamics.nosuch: not a numeric parameter" in err
    assert "ranking.name=engagement" in err and "dynamics.opinion.backfire_rate" in err
    assert "--param seed: not a numeric parameter" in err
    assert not out.exists()
    with pytest.raises(ConfigError, match=r"0\.9 is out of range"):
        sensitivity.plan(["population.convergence.mean=0.1:0.9"], "x", overrides=TINY, out=out)
    with pytest.raises(ConfigError) as e:
        sensitivity.plan(["a"], "", method="anova", n=3, levels=3, overrides=["hydra.x=1"])
    text = "\n".join(e.value.problems)
    for frag in ("NAME=LOW:HIGH", "--metric", "--method: 'anova'", "--levels", "hydra.x=1"):
        assert frag in text
    assert not out.exists()


def test_integer_parameters_are_rounded_and_checked():
    p = sensitivity.plan(
        ["platform.window=1.2:5.9"], "opinion_variance", trajectories=2, overrides=TINY
    )
    assert p.params[0].integer and (p.params[0].low, p.params[0].high) == (2.0, 5.0)
    assert all(float(v).is_integer() for v in p.X[:, 0])
    with pytest.raises(ConfigError, match="integer range needs"):
        sensitivity.plan(["platform.window=1:2"], "opinion_variance", overrides=TINY)


def test_morris_ranks_an_inert_parameter_last_with_zero_effect(tmp_path, capsys):
    """platform.labels.like cannot act while labels are off (the default): its elementary
    effects are exactly zero because the runs are bit-identical."""
    out = tmp_path / "m"
    argv = [
        "sensitivity",
        "--param",
        "population.convergence.mean=0.02:0.4",
        "--param",
        "platform.labels.like=-3:0",
        "--metric",
        "opinion_variance",
        "--trajectories",
        "2",
        "--out",
        str(out),
        "-q",
        *TINY,
    ]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    t = pq.read_table(out / "sensitivity.parquet").to_pydict()
    assert t["param"] == ["population.convergence.mean", "platform.labels.like"]
    assert t["rank"] == [1, 2]
    assert t["mu_star"][1] == 0.0 and t["sigma"][1] == 0.0
    assert t["mu_star"][0] > 0.005
    assert printed.index("population.convergence.mean") < printed.index("platform.labels.like")
    for f in ("sensitivity.md", "sensitivity.png", "sensitivity.json", "sweep.json"):
        assert (out / f).is_file(), f
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["n_jobs"] == 6  # 2 trajectories × (2 params + 1)


@pytest.mark.slow
def test_sobol_runs_are_a_resumable_sweep(tmp_path, capsys):
    """Sobol' end to end; a second call reuses every run (cached by run key) and gives
    the same table; the folder verifies as a complete sweep."""
    from feedlab.experiments.sweep import verify

    out = tmp_path / "s"
    argv = [
        "sensitivity",
        "--param",
        "population.convergence.mean=0.02:0.4",
        "--param",
        "platform.labels.like=-3:0",
        "--metric",
        "opinion_variance",
        "--method",
        "sobol",
        "--n",
        "4",
        "--out",
        str(out),
        *TINY,
    ]
    assert cli.main(argv) == 0
    t = pq.read_table(out / "sensitivity.parquet").to_pydict()
    assert t["param"][-1] == "platform.labels.like" and t["ST"][-1] == 0.0
    assert cli.main(argv) == 0
    assert "reused" in capsys.readouterr().err
    assert pq.read_table(out / "sensitivity.parquet").to_pydict() == t
    assert verify(out).ok


def test_a_crashing_run_stops_cleanly_with_exit_1(tmp_path, capsys, monkeypatch):
    from types import SimpleNamespace

    import feedlab.experiments.run as run_mod

    calls = []

    def fake(data, overrides=()):
        calls.append(overrides)
        if len(calls) == 3:
            raise FloatingPointError("injected")
        return SimpleNamespace(summary={"opinion_variance": 0.1}, skipped=False, key="k")

    monkeypatch.setattr(run_mod, "run_experiment", fake)
    argv = ["sensitivity", "--param", "population.convergence.mean=0.02:0.4"]
    argv += ["--metric", "opinion_variance", "--trajectories", "2", "--out", str(tmp_path / "c")]
    assert cli.main([*argv, "-q", *TINY]) == 1
    err = capsys.readouterr().err
    assert "run 3/4" in err and "FloatingPointError: injected" in err and "Traceback" not in err
