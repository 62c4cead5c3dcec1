"""The run reader (feedlab.analysis.runs) and the analysis scripts that read runs through it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from feedlab.analysis import cascades, influencers, ranking_report, runs
from feedlab.experiments.run import run_experiment
from feedlab.experiments.sweep import FORMAT, MANIFEST, RUNS

TINY = ["network.n=100", "steps=2", "output.progress=false", "output.quiet=true"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """Two complete runs, one interrupted run (no DONE) and a writer's staging folder."""
    out = tmp_path_factory.mktemp("runs")
    for seed in (1, 2):
        run_experiment([*TINY, f"seed={seed}", f"output.dir={out}"])
    done = sorted(p.parent for p in (out / RUNS).glob("*/DONE"))
    assert len(done) == 2
    for name in ("interrupted", ".staging/abc.1.deadbeef"):
        d = out / RUNS / name
        shutil.copytree(done[0], d)
        (d / "DONE").unlink()
    return out


def _complete(out):
    return sorted(p.parent for p in (out / RUNS).glob("*/DONE"))


def test_find_runs_lists_complete_runs_only(out):
    found = runs.find_runs(out)
    assert found == _complete(out)
    assert all((d / "DONE").is_file() for d in found)
    assert runs.find_runs(found[0]) == [found[0]]  # a run directory is its own root
    assert runs.find_runs_in([found[1], found[0]]) == [found[1], found[0]]  # order of the roots


def test_find_runs_filters_by_experiment(out, tmp_path):
    d = _complete(out)[0]
    experiment = runs.read_config(d).get("experiment")
    assert runs.find_runs(out, "no_such_experiment") == []
    assert runs.find_runs(out, experiment) == _complete(out)
    copy = tmp_path / "nocfg"
    shutil.copytree(d, copy)
    (copy / ".hydra" / "config.yaml").unlink()
    assert runs.find_runs(tmp_path, experiment) == []  # no config: not of any experiment


def test_find_runs_of_a_sweep_uses_the_manifest(out, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(out, sweep)
    first, _orphan = _complete(sweep)
    manifest = {"format": FORMAT, "runs_dir": RUNS, "expected": [{"key": first.name}]}
    (sweep / MANIFEST).write_text(json.dumps(manifest))
    assert runs.find_runs(sweep) == [first]  # the other run is an orphan of another grid
    with open(first / "summary.json", "a") as fh:  # damaged after DONE: hash mismatch
        fh.write(" ")
    assert runs.find_runs(sweep) == []


def test_read_run_returns_config_summary_and_columns(out):
    d = _complete(out)[0]
    r = runs.read_run(d)
    assert list(r) == ["dir", "summary", "config", *runs.TABLES]
    assert r["dir"] == d
    assert r["config"] == yaml.safe_load((d / ".hydra" / "config.yaml").read_text())
    assert r["summary"] == json.loads((d / "summary.json").read_text())
    ts = pq.read_table(d / "timeseries.parquet")
    assert list(r["timeseries"]) == ts.column_names
    np.testing.assert_array_equal(r["timeseries"]["step"], ts.column("step").to_numpy())
    only = runs.read_run(d, ("timeseries",))
    assert list(only) == ["dir", "summary", "config", "timeseries"]


def test_absent_table_and_config(out, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(_complete(out)[0], d)
    (d / "timeseries.parquet").unlink()
    (d / ".hydra" / "config.yaml").unlink()
    with pytest.raises(FileNotFoundError):
        runs.read_table(d, "timeseries")
    assert runs.read_table(d, "timeseries", missing_ok=True) is None
    assert runs.read_columns(d, "timeseries") == {}
    assert runs.read_config(d, missing_ok=True) == {}
    with pytest.raises(FileNotFoundError):
        runs.read_config(d)


def test_the_analysis_scripts_read_the_same_runs(out):
    complete = _complete(out)
    experiment = runs.read_config(complete[0]).get("experiment")
    # cascades: the staging folder and the interrupted run hold a summary.json but no DONE
    assert cascades._run_dirs([out]) == complete
    assert influencers.find_runs(out) == complete
    rep = ranking_report.find_runs(out, experiment)
    assert [r["dir"] for r in rep] == complete
    d = complete[0]
    assert rep[0]["cfg"] == runs.read_config(d)
    ts = pq.read_table(d / "timeseries.parquet").to_pydict()
    assert list(rep[0]["ts"]) == list(ts)
    for k, v in ts.items():
        assert isinstance(rep[0]["ts"][k], list)
        np.testing.assert_array_equal(
            np.asarray(rep[0]["ts"][k], dtype=float), np.asarray(v, dtype=float)
        )
    inf = influencers.read_run(d)
    assert list(inf) == ["dir", "summary", "config", "timeseries", "agents"]
    assert inf["agents"].keys() == runs.read_columns(d, "agents").keys()
