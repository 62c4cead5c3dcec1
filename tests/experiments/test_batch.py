"""Sweeps in batches (experiments/batch.py, docs/sweeps.md): configs travel as one base and
small differences, runs are packed into array tasks within ``sweep.max_tasks``, a worker
process imports once for many runs, and every guarantee of a sweep still holds: one crash
costs one run, failure records, leases, resume, identical bytes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import run_feedlab
from omegaconf import OmegaConf

from feedlab.experiments import batch, isolate, record, sweep
from feedlab.experiments.run import compose, run_experiment

ROOT = Path(__file__).resolve().parents[2]
TINY = ["network.n=100", "steps=3"]


feedlab = run_feedlab


def planned(overrides: list[str], grid: list[str], sweep_dir: Path) -> list[sweep.Job]:
    """The sweep callback's planning step, in process (no launch)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import open_dict

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = hydra_compose("config", overrides=overrides, return_hydra_config=True)
        with open_dict(cfg):
            cfg.hydra.overrides.task = [o for o in overrides if not o.startswith("hydra")]
            cfg.hydra.overrides.task.extend(grid)
        jobs, manifest = sweep.plan(cfg, sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    sweep.write_manifest(sweep_dir, manifest)
    return jobs


# ----------------------------------------------------------------------------- fast


def test_delta_rebuilds_every_config_exactly(tmp_path: Path) -> None:
    """Base + delta gives the composed config back: same values, same types (1 is not
    1.0 nor True), same key order (part of config.yaml and the Parquet metadata), also
    through JSON (the task files) and across config groups that change the tree."""
    grid = ["seed=0,1", "ranking=engagement,chronological", "platform.feed_length=5,10"]
    jobs = planned(["network.n=100"], grid, tmp_path)
    assert len(jobs) == 8
    base = jobs[0].base
    assert base is not None
    for job in jobs:
        cfg = compose(["network.n=100", *job.overrides])
        data = job.config()
        assert json.dumps(data) == json.dumps(cfg)  # values and key order
        assert record.run_key(data) == job.key
        changes = batch.delta(base, cfg)
        via_json = batch.apply(json.loads(json.dumps(base)), json.loads(json.dumps(changes)))
        assert json.dumps(via_json) == json.dumps(cfg)
    folder = batch.write_tasks(jobs, tmp_path, 3, 1000)  # what an array task reads
    tasks = [json.loads((folder / f"task.{i}.json").read_text()) for i in range(3)]
    assert [len(t["runs"]) for t in tasks] == [3, 3, 2]
    for t in tasks:
        for run in t["runs"]:
            data = batch.apply(t["base"], run["delta"])
            cfg = compose(["network.n=100", *run["overrides"]])
            assert json.dumps(data) == json.dumps(cfg) and record.run_key(data) == run["key"]
    seeds_only = batch.delta(jobs[0].config(), jobs[4].config())
    assert seeds_only == [[["seed"], 1]]  # a seed sweep carries one number per run

    a = {"x": 1, "y": {"p": [1, 2], "q": True}}
    for b in (
        {"x": 1.0, "y": {"p": [1, 2], "q": True}},  # int -> float
        {"x": 1, "y": {"p": [1, 2.0], "q": True}},  # inside a list
        {"x": 1, "y": {"q": True, "p": [1, 2]}},  # the same keys in another order
        {"x": 1, "y": {"p": [1, 2], "q": 1}},  # bool -> int
        {"y": {"p": [1, 2], "q": True}},  # a key removed
    ):
        out = batch.apply(a, batch.delta(a, b))
        assert json.dumps(out) == json.dumps(b) and list(out) == list(b)
    assert a == {"x": 1, "y": {"p": [1, 2], "q": True}}  # apply never modifies the base


def test_packing_stays_within_max_tasks() -> None:
    keys = list(range(100_000))
    tasks = batch.pack(keys, 0, 1000)  # automatic: the fewest runs per task that fit
    assert len(tasks) == 1000 and {len(t) for t in tasks} == {100}
    assert [k for t in tasks for k in t] == keys  # every run once, in grid order
    assert len(batch.pack(keys[:2500], 0, 1000)) == 834  # ceil(2500 / 3) tasks of 3
    assert [len(t) for t in batch.pack(keys[:7], 3, 1000)] == [3, 3, 1]
    assert batch.pack([], 0, 1000) == []

    def cfg(launcher: str, **sweep_node: object) -> object:
        return OmegaConf.create(
            {"sweep": sweep_node, "hydra": {"launcher": {"_target_": launcher}}}
        )

    slurm = next(t for t, c in batch.SUBMITIT.items() if c == "slurm")
    why = batch.check_packing(cfg(slurm, runs_per_task=10, max_tasks=1000), 100_000)
    assert why is not None and "10,000 array tasks" in why and "sweep.runs_per_task=100" in why
    assert batch.check_packing(cfg(slurm, runs_per_task=100, max_tasks=1000), 100_000) is None
    assert batch.check_packing(cfg(slurm, runs_per_task=0), 100_000) is None
    assert batch.check_packing(cfg(batch.JOBLIB, runs_per_task=1), 100_000) is None  # local
    assert batch.executes(cfg(batch.JOBLIB)) and batch.executes(cfg(slurm))
    assert not batch.executes(cfg(batch.JOBLIB, batch=False))


def test_too_many_array_tasks_are_refused_before_launch(tmp_path: Path) -> None:
    args = ["run", "-m", *TINY, "seed=range(0,5)", f"output.dir={tmp_path}"]
    res = feedlab(
        [*args, "hydra/launcher=submitit_local", "sweep.runs_per_task=1", "sweep.max_tasks=2"]
    )
    assert res.returncode == 2, res.stderr[-2000:]
    assert "5 array tasks, more than sweep.max_tasks = 2" in res.stderr
    assert "sweep.runs_per_task=3" in res.stderr
    assert not (tmp_path / "sweeps").exists()


def test_a_config_that_gives_another_key_is_not_run(tmp_path: Path) -> None:
    cfg = compose([*TINY, "output.quiet=true", f"output.dir={tmp_path}"])
    status = sweep.run_job(cfg, ["seed=0"], sweep_dir=tmp_path, job_num=0, key="0" * 16)
    assert status == "failed"
    rec = json.loads((tmp_path / "failures" / f"{'0' * 16}.1.json").read_text())
    assert "not the planned" in rec["reason"] and record.run_key(cfg) in rec["reason"]
    assert not (tmp_path / "runs").exists()  # nothing ran


@pytest.mark.slow
def test_one_worker_process_imports_once_for_many_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six runs on two workers start exactly one pre-imported process and clone it once
    (not one per run, not one per job plus one per worker, not one import per worker),
    and give the bytes of in-process runs; no process is left behind."""
    sweep_dir = tmp_path / "sw"
    jobs = planned([*TINY, "output.quiet=true"], ["seed=range(0,6)"], sweep_dir)
    started: list[int] = []
    clones: list[int] = []
    original = isolate._Zygote.__init__
    original_clone = isolate._Zygote.clone.__func__  # type: ignore[attr-defined]

    def counting(self: isolate._Zygote, warm: bool = False, wait: bool = True) -> None:
        started.append(int(warm))
        original(self, warm, wait)

    def counting_clone(cls: type[isolate._Zygote], template: isolate._Zygote) -> Any:
        made = original_clone(cls, template)
        clones.append(made.proc.pid)
        return made

    monkeypatch.setattr(isolate._Zygote, "__init__", counting)
    monkeypatch.setattr(isolate._Zygote, "clone", classmethod(counting_clone))
    committed: set[str] = set()
    counts = batch.run_local(jobs, sweep_dir, workers=2, committed=committed)
    assert counts == {"complete": 6}
    assert committed == {j.key for j in jobs}
    assert started == [1]  # one import and warm-up before the first run ...
    assert len(clones) == 1  # ... and a fork of it for the second worker
    assert not isolate._SPARES and not isolate._CLONES
    with pytest.raises(ProcessLookupError):  # the clone ended with its worker
        os.kill(clones[0], 0)
    report = sweep.verify(sweep_dir)
    assert report.ok and len(report.complete) == 6
    direct = run_experiment([*TINY, "seed=4", "output.quiet=true", f"output.dir={tmp_path}/d"])
    for f in record.DATA_FILES:
        if (direct.run_dir / f).exists():
            assert (sweep_dir / "runs" / direct.key / f).read_bytes() == (
                direct.run_dir / f
            ).read_bytes(), f
    committed.clear()
    assert batch.run_local(jobs, sweep_dir, workers=2, committed=committed) == {"skipped": 6}
    assert not committed  # skipped runs were not committed by this launch


# ----------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_batched_sweep_crashes_cost_one_run_each_and_resume_repairs(tmp_path: Path) -> None:
    """A default (batched) sweep of 8 runs on 2 workers with a SIGKILL mid-write, an
    os-level exit(0), an exception and a timeout: exactly those 4 fail with their records,
    the 4 others complete, nothing is staged or leased; the relaunch runs only the 4."""
    keys = [record.run_key(compose([*TINY, f"seed={s}"])) for s in range(8)]
    faults = {keys[1]: "kill_mid_write", keys[2]: "exit0", keys[5]: "raise", keys[6]: "hang"}
    args = ["run", "-m", *TINY, "seed=range(0,8)", f"output.dir={tmp_path}"]
    sweep_dir = tmp_path / "sweeps" / "default"
    first = feedlab(
        [*args, "hydra.launcher.n_jobs=2", "limits.run_timeout_s=20"],
        {"FEEDLAB_TEST_FAULTS": json.dumps(faults)},
    )
    assert first.returncode == 1, first.stderr[-3000:]
    assert "Launching jobs" not in first.stderr + first.stdout  # Hydra's launcher never ran
    report = sweep.verify(sweep_dir)
    assert sorted(report.failed) == sorted(faults)
    assert sorted(report.complete) == sorted(k for k in keys if k not in faults)
    reasons = {k: json.loads((sweep_dir / "failures" / f"{k}.1.json").read_text()) for k in faults}
    assert reasons[keys[1]]["signal_name"] == "SIGKILL"
    assert reasons[keys[2]]["exit_code"] == 3
    assert "RuntimeError" in reasons[keys[5]]["reason"]
    assert reasons[keys[6]]["timed_out"] is True
    assert list((sweep_dir / "started").iterdir()) == []
    assert list((sweep_dir / "runs" / ".staging").iterdir()) == []
    assert (sweep_dir / "multirun.yaml").is_file()

    second = feedlab([*args, "hydra.launcher.n_jobs=1"])
    assert second.returncode == 0, second.stderr[-3000:]
    assert "this launch: 4 runs executed and complete, 0 failed, 4 skipped" in second.stderr
    assert sweep.verify(sweep_dir).ok


@pytest.mark.slow
def test_submitit_array_tasks_pack_runs_and_keep_the_bytes(tmp_path: Path) -> None:
    """submitit_local (SLURM's local stand-in): 5 runs packed 2 per task are 3 array tasks;
    a SIGKILL in one run costs that run only; the bytes are those of a joblib sweep."""
    grid = ["seed=range(0,5)"]
    keys = [record.run_key(compose([*TINY, f"seed={s}"])) for s in range(5)]
    out = tmp_path / "sub"
    res = feedlab(
        [
            "run",
            "-m",
            *TINY,
            *grid,
            f"output.dir={out}",
            "hydra/launcher=submitit_local",
            "sweep.runs_per_task=2",
        ],
        {"FEEDLAB_TEST_FAULTS": json.dumps({keys[3]: "kill_mid_write"})},
    )
    assert res.returncode == 1, res.stderr[-3000:]
    assert "5 runs packed into 3 array task(s) of up to 2 runs" in res.stderr
    sweep_dir = out / "sweeps" / "default"
    report = sweep.verify(sweep_dir)
    assert report.failed == [keys[3]] and len(report.complete) == 4
    rec = json.loads((sweep_dir / "failures" / f"{keys[3]}.1.json").read_text())
    assert rec["signal_name"] == "SIGKILL"
    # submitit's own records: one result per array task (3), not one per run (5)
    assert len(list((sweep_dir / ".submitit").glob("*/*_result.pkl"))) == 3

    ref = tmp_path / "ref"
    assert feedlab(["run", "-m", *TINY, *grid, f"output.dir={ref}"]).returncode == 0
    for key, d in sweep.complete_runs(sweep_dir):
        for f in record.DATA_FILES:
            if (d / f).exists():
                assert (d / f).read_bytes() == (ref / "sweeps/default/runs" / key / f).read_bytes()


@pytest.mark.slow
def test_ctrl_c_stops_a_batched_sweep_with_the_report(tmp_path: Path) -> None:
    """SIGINT during a batched sweep: the running runs are stopped and recorded as
    interrupted, exit code 130, feedlab's report, no traceback; the relaunch completes."""
    keys = [record.run_key(compose([*TINY, f"seed={s}"])) for s in range(3)]
    args = ["run", "-m", *TINY, "seed=0,1,2", "hydra.launcher.n_jobs=1", f"output.dir={tmp_path}"]
    sweep_dir = tmp_path / "sweeps" / "default"
    env = {k: v for k, v in os.environ.items() if k != "FEEDLAB_TEST_FAULTS"}
    env["FEEDLAB_TEST_FAULTS"] = json.dumps({keys[0]: "hang"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedlab.experiments.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a child inherits an ignored SIGINT (POSIX), and Python then keeps ignoring it;
        # start it as an interactive shell would, with SIGINT at its default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 300
        while not (sweep_dir / "started" / f"{keys[0]}.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "interrupted (Ctrl-C)" in err, err[-3000:]
    rec = json.loads((sweep_dir / "failures" / f"{keys[0]}.1.json").read_text())
    assert rec["reason"].startswith("interrupted")
    assert list((sweep_dir / "started").iterdir()) == []
    again = feedlab(args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert sweep.verify(sweep_dir).ok
