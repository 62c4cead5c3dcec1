"""``feedlab calibrate --launcher``: the runs of every batch on the sweep launchers (joblib,
submitit, SLURM) in the calibration's own folder; refusals before anything is written; a
failed run named with its failure record; the same posterior whatever the launcher."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace

import pyarrow.parquet as pq
import pytest
from helpers import TINY_CALIBRATION, run_feedlab, slurm_idle_node

from feedlab.analysis.calibration import engine, launch, report, simulate, spec
from feedlab.experiments import cli
from feedlab.experiments.schema import ConfigError
from feedlab.experiments.sweepdir import load_manifest
from feedlab.experiments.verify import verify

ONE_WORKER = ("hydra.launcher.n_jobs=1",)  # one pre-imported worker per batch: cheapest here


def _config(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_CALIBRATION)
    return path


def _tiny(tmp_path, out, name="inprocess", settings=(), **kw):
    """The tiny synthetic calibration (tests/helpers.py) with its runs on ``name``."""
    s = spec.load(str(_config(tmp_path)), out=tmp_path / out, **kw)
    return replace(s, launch=launch.load(name, settings, out=s.out))


def _pilot_key(s) -> str:
    """The run key of the calibration's first pilot run (the first run it launches)."""
    pv = engine._pilot_values(s)
    seed = simulate.run_seeds(s.seed, "pilot", 0, s.smc.noise_seeds)[0]
    full = [f"seed={seed}", *s.overrides, *engine._overrides(s, pv)]
    return simulate.Runs(s).compose(full)[1]


def _calibrate(tmp_path, *args):
    return cli.main(["calibrate", "--config", str(_config(tmp_path)), "--quiet", *args])


def test_a_bad_launcher_is_refused_with_exit_2_and_nothing_written(tmp_path, capsys, monkeypatch):
    out = tmp_path / "c"
    for args, says in [
        (
            ["--launcher", "nosuch"],
            "--launcher: 'nosuch' is not allowed; allowed: inprocess, joblib",
        ),
        (
            ["hydra.launcher.n_jobs=2"],
            "not used with --launcher inprocess; allowed with --launcher",
        ),
    ]:
        rc = _calibrate(tmp_path, "--out", str(out), *args)
        err = capsys.readouterr().err
        assert rc == 2 and says in err and "Traceback" not in err, (args, err)
        assert not out.exists(), args
    monkeypatch.setattr(shutil, "which", lambda cmd: None)  # a machine without SLURM
    rc = _calibrate(tmp_path, "--out", str(out), "--launcher", "slurm")
    err = capsys.readouterr().err
    assert rc == 2 and "needs SLURM, but sbatch and srun are not on PATH" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "settings", "jobs", "says"),
    [
        ("joblib", ["hydra/launcher=slurm"], None, "choose the launcher with --launcher"),
        ("basic", [], 2, "--jobs: not used with --launcher basic"),
        ("joblib", ["hydra.launcher.n_jobs=2"], 2, "give either --jobs or hydra.launcher.n_jobs"),
        ("slurm", ["hydra.launcher.setup=[echo]"], None, "hydra.launcher.setup: refused"),
        ("joblib", ["sweep.runs_per_task=-1"], None, "sweep.runs_per_task"),
        ("joblib", ["sweep.batch=false"], None, "sweep.batch: false is not allowed"),
    ],
)
def test_launcher_settings_are_checked_as_a_sweep_checks_them(tmp_path, name, settings, jobs, says):
    with pytest.raises(ConfigError) as e:
        launch.load(name, settings, out=tmp_path / "o", jobs=jobs)
    assert says in str(e.value)
    assert not (tmp_path / "o").exists()


def test_joblib_settings_compose_from_the_sweep_config(tmp_path):
    got = launch.load("joblib", ["sweep.runs_per_task=3"], out=tmp_path / "o", jobs=2)
    assert got is not None and got.settings == ("sweep.runs_per_task=3", "hydra.launcher.n_jobs=2")
    cfg = got.config_for(tmp_path / "x")
    assert cfg.hydra.launcher.n_jobs == 2 and cfg.sweep.runs_per_task == 3
    assert cfg.hydra.sweep.dir == str(tmp_path / "x")
    assert launch.load("inprocess", out=tmp_path / "o") is None


def test_a_failed_run_on_a_launcher_names_its_key_and_failure_record(tmp_path, capsys, monkeypatch):
    s = _tiny(tmp_path, "f")
    key = _pilot_key(s)
    monkeypatch.setenv("FEEDLAB_TEST_FAULTS", json.dumps({key: "raise"}))
    rc = _calibrate(tmp_path, "--out", str(s.out), "--launcher", "joblib", *ONE_WORKER)
    err = capsys.readouterr().err
    record = s.out / "failures" / f"{key}.1.json"
    assert rc == 1 and "Traceback" not in err, err
    assert f"RunsFailed: 1 of 2 runs of the batch did not complete: run {key}: " in err
    assert f"(failure record {record})" in err and record.is_file()
    rep = verify(s.out)
    assert rep.failed == [key] and len(rep.complete) == 1  # the other pilot run is kept
    assert load_manifest(s.out)["launcher"] == "feedlab calibrate (hydra/launcher=joblib " + (
        " ".join(ONE_WORKER) + ")"
    )


def test_a_failed_run_in_process_names_its_key(tmp_path, capsys, monkeypatch):
    from feedlab.experiments import run

    s = _tiny(tmp_path, "p")
    key = _pilot_key(s)

    def broken(data, overrides=()):
        raise RuntimeError("planted")

    monkeypatch.setattr(run, "run_experiment", broken)
    rc = _calibrate(tmp_path, "--out", str(s.out))
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert (
        f"RunsFailed: run {key} (seed=" in err and "failed in process: RuntimeError: planted" in err
    )


@pytest.mark.slow
def test_same_seed_same_posterior_in_process_and_on_the_joblib_launcher(tmp_path):
    """Budget 16 (two generations); one worker per batch. The joblib folder is a sweep
    folder like the in-process one (same run keys, verify clean), and a relaunch of the
    in-process folder on joblib reuses every run."""
    a = engine.calibrate(_tiny(tmp_path, "a", budget=16))
    report.write(a, "test")
    jb = _tiny(tmp_path, "b", "joblib", ONE_WORKER, budget=16)
    b = engine.calibrate(jb)
    report.write(b, "test")
    assert b.runs == a.runs == b.expected > 0
    ta, tb = (pq.read_table(tmp_path / d / "posterior.parquet") for d in "ab")
    assert ta.equals(tb) and ta.schema.metadata == tb.schema.metadata
    assert (tmp_path / "a" / "posterior.parquet").read_bytes() == (
        tmp_path / "b" / "posterior.parquet"
    ).read_bytes()
    assert (a.ppc == b.ppc).all()
    ra, rb = verify(tmp_path / "a"), verify(tmp_path / "b")
    assert ra.ok and rb.ok and sorted(ra.complete) == sorted(rb.complete)
    prov = json.loads((tmp_path / "b" / "calibration.json").read_text())["provenance"]
    assert prov["launcher"] == "hydra/launcher=joblib hydra.launcher.n_jobs=1"
    again = engine.calibrate(replace(jb, out=tmp_path / "a"))
    assert again.runs == 0 and again.reused == a.expected


@pytest.mark.slow
@pytest.mark.slurm
def test_a_calibration_on_real_slurm(tmp_path):
    """The tiny calibration (one generation) on the CI's single-node SLURM
    (--launcher ci_slurm), every batch one array job: the same posterior as in process."""
    reason = slurm_idle_node()
    if reason:
        pytest.skip(reason)
    a = engine.calibrate(_tiny(tmp_path, "a", budget=8))
    report.write(a, "test")
    cfg = str(_config(tmp_path))
    args = ["calibrate", "--config", cfg, "--budget", "8", "--out", str(tmp_path / "s")]
    res = run_feedlab([*args, "--launcher", "ci_slurm", "sweep.runs_per_task=4"], timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "runs packed into" in res.stderr  # the sweep machinery's submitit path
    rep = verify(tmp_path / "s")
    assert rep.ok and sorted(rep.complete) == sorted(verify(tmp_path / "a").complete)
    # submitit's folders (%j): <SLURM array job>_<task>; one array job per batch of runs
    # (pilot, synthetic truth, generation 0, posterior predictive)
    names = [p.name for p in (tmp_path / "s" / ".submitit").iterdir()]
    arrays = {n.split("_")[0] for n in names if re.fullmatch(r"\d+(_\d+)?", n)}
    assert len(arrays) == 4, names
    assert (tmp_path / "a" / "posterior.parquet").read_bytes() == (
        tmp_path / "s" / "posterior.parquet"
    ).read_bytes()


def test_scale_check_keeps_the_post_buffer_per_user() -> None:
    """A fixed post buffer of the calibration is scaled with N in the scale check (the
    buffer decides when originals are evicted); none stays none."""
    from feedlab.analysis.calibration.scale import _scaled_capacity

    ov = ["network.n=1000", "platform.post_capacity=100000"]
    assert _scaled_capacity(ov, 100000) == ("platform.post_capacity=10000000",)
    assert _scaled_capacity(ov, 1000) == ("platform.post_capacity=100000",)
    assert _scaled_capacity(["network.n=1000"], 10000) == ()
    assert _scaled_capacity(["platform.post_capacity=0", "network.n=10"], 50) == ()
