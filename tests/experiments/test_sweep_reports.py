"""Sweeps that explain themselves, and runs that are quiet by default (docs/sweeps.md).

- run leases: ``verify`` tells *running*, *died* (started, job process gone, no failure
  record) and *missing* (never started) apart; the next attempt records a dead lease;
- a killed joblib worker ends the launch with feedlab's report, not a traceback, and a
  relaunch repairs it with the right counts;
- the SLURM launcher without SLURM: one line, exit 2, nothing written;
- every experiment sweeps into its own folder;
- ``feedlab run`` prints a short summary, nothing per step; ``--quiet`` prints nothing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import proc_stat_fields

from feedlab.experiments import leases, record, sweep
from feedlab.experiments.run import compose, run_experiment

ROOT = Path(__file__).resolve().parents[2]
TINY = ["network.n=100", "steps=2"]


def feedlab_cmd(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "feedlab.experiments.cli", *args]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDLAB_TEST_FAULTS",)}
    env.update(extra or {})
    return env


def feedlab(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        feedlab_cmd(args),
        cwd=ROOT,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_lease(sweep_dir: Path, key: str, **fields: object) -> None:
    lease = {
        "key": key,
        "attempt": 1,
        "job_num": 0,
        "overrides": [],
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "pid_start": leases.process_start(os.getpid()),
        "started": "2026-01-01T00:00:00+00:00",
        "slurm_job_id": None,
        **fields,
    }
    (sweep_dir / leases.STARTED).mkdir(parents=True, exist_ok=True)
    record.write_json(leases.path(sweep_dir, key), lease)


# ----------------------------------------------------------------------------- fast


def test_verify_tells_running_died_and_missing_apart(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sw"
    run = run_experiment([*TINY, "output.quiet=true", f"output.dir={sweep_dir}"])
    keys = [f"{i:016x}" for i in range(1, 8)] + [run.key]
    sweep.write_manifest(
        sweep_dir,
        {"format": 1, "expected": [{"key": k, "overrides": [], "jobs": [0]} for k in keys]},
    )
    gone = dead_pid()
    write_lease(sweep_dir, keys[0])  # this process: alive
    write_lease(sweep_dir, keys[1], pid=gone, job_num=7)  # its job process is gone
    write_lease(sweep_dir, keys[2], host="elsewhere.example", pid=1)  # cannot be checked
    write_lease(sweep_dir, keys[3])  # ... but its failure was recorded after it
    sweep.record_failure(sweep_dir, keys[3], {"key": keys[3], "reason": "boom"})
    # keys[4]: never started
    sweep.record_failure(sweep_dir, keys[5], {"key": keys[5], "reason": "first try"})
    write_lease(sweep_dir, keys[5], pid=gone, attempt=2)  # a later attempt died
    write_lease(sweep_dir, keys[6], pid_start="1")  # our pid, but another process's start
    write_lease(sweep_dir, keys[7], pid=gone)  # a stale lease of a run that committed

    report = sweep.verify(sweep_dir)
    assert report.running == [keys[0], keys[2]]
    assert report.died == [keys[1], keys[5], keys[6]]
    assert report.failed == [keys[3]] and report.missing == [keys[4]]
    assert report.complete == [keys[7]] and not report.ok
    why = report.reasons[keys[1]]
    assert f"pid {gone} on host {socket.gethostname()}" in why and "job #7" in why
    assert "no failure record" in why and "2026-01-01T00:00:00" in why
    assert "attempt 2" in report.reasons[keys[5]]
    assert "alive" in report.reasons[keys[0]] and "another host" in report.reasons[keys[2]]

    # once the launch is over nothing it started can still be running: this process's
    # own lease and the other host's lease count as died too
    over = sweep.verify(sweep_dir, launch_over=True)
    assert over.running == [] and over.died == [keys[0], keys[1], keys[2], keys[5], keys[6]]

    text = report.text()
    assert "  died            3" in text and "  running         2" in text
    assert "  missing         1" in text and keys[4] in text
    assert sweep.verify_main([str(sweep_dir), "--json"]) == 1


def test_next_attempt_records_the_dead_lease_and_cleans_its_staging(tmp_path: Path) -> None:
    """A relaunch turns a dead lease into a failure record (history kept, attempt numbers
    whole), removes the dead run's staging directory, runs, and releases its own lease."""
    sweep_dir = tmp_path / "sw"
    cfg = compose([*TINY, "output.quiet=true", f"output.dir={sweep_dir}"])
    key = record.run_key(cfg)
    gone = dead_pid()
    write_lease(sweep_dir, key, pid=gone, job_num=3, overrides=["seed=0"])
    staging = sweep_dir / "runs" / ".staging"
    (staging / f"{key}.{gone}.0badc0de").mkdir(parents=True)
    (staging / f"{key}.{gone}.0badc0de" / "events.parquet").write_bytes(b"half")
    live = staging / f"{key}.{os.getpid()}.0000beef"  # a live process's: not touched
    live.mkdir()

    assert sweep.run_job(cfg, ["seed=0"], sweep_dir=sweep_dir, job_num=3) == "complete"
    rec = json.loads((sweep_dir / "failures" / f"{key}.1.json").read_text())
    assert rec["died"] is True and rec["attempt"] == 1 and rec["job_pid"] == gone
    assert rec["job_num"] == 3 and "died before the run finished" in rec["reason"]
    assert not leases.path(sweep_dir, key).exists()  # released after the commit
    assert sorted(p.name for p in staging.iterdir()) == [live.name]
    sweep.write_manifest(sweep_dir, {"format": 1, "expected": [{"key": key, "overrides": []}]})
    report = sweep.verify(sweep_dir)
    assert report.complete == [key] and report.died == [] and report.failed == []


def test_slurm_launcher_without_slurm_is_one_line(tmp_path: Path) -> None:
    empty_path = tmp_path / "bin"  # no sbatch, no srun
    empty_path.mkdir()
    out = tmp_path / "out"
    res = feedlab(
        ["run", "-m", "hydra/launcher=slurm", *TINY, "seed=0,1", f"output.dir={out}"],
        {"PATH": str(empty_path)},
    )
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "sbatch and srun are not on PATH" in lines[0] and "hydra/launcher=joblib" in lines[0]
    assert not out.exists()


def test_every_experiment_sweeps_into_its_own_folder() -> None:
    """`feedlab run -m experiment=X` never mixes its runs into another sweep's folder."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    files = sorted((ROOT / "conf" / "experiment").glob("*.yaml"))
    seen = set()
    for path in files:
        node = (yaml.safe_load(path.read_text()).get("hydra") or {}).get("sweep") or {}
        assert node.get("dir") == f"${{output.dir}}/sweeps/{path.stem}", path.name
        seen.add(node["dir"])
    assert len(seen) == len(files)
    gridded = [p.stem for p in files if "params:" in p.read_text()]
    assert {"influencer_disclosure", "engagement_rate_by_tier"} <= set(gridded)
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        for name in gridded:
            cfg = hydra_compose("config", [f"experiment={name}"], return_hydra_config=True)
            assert cfg.hydra.sweep.dir == f"outputs/sweeps/{name}"
            assert cfg.hydra.sweeper.params  # the experiment's own grid


def test_building_and_stepping_a_model_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """Mesa logs "Step N at time N.0" at INFO under the logger "MESA": kept to warnings,
    also in the Python API with an INFO handler installed."""
    from feedlab.experiments.run import build

    caplog.set_level(logging.DEBUG)
    model = build(compose([*TINY, "output.quiet=true"]))
    for _ in range(3):
        model.step()
    assert [r for r in caplog.records if r.name.startswith("MESA")] == []
    assert logging.getLogger("MESA").getEffectiveLevel() >= logging.WARNING


def test_quiet_run_prints_nothing(tmp_path: Path) -> None:
    quiet = feedlab(["run", "--quiet", *TINY, f"output.dir={tmp_path / 'q'}"])
    assert quiet.returncode == 0
    assert quiet.stdout == "" and quiet.stderr == ""  # nothing but errors
    assert len(list((tmp_path / "q" / "runs").glob("[0-9a-f]*"))) == 1  # and it did run


def test_default_run_prints_a_short_summary(tmp_path: Path) -> None:
    default = feedlab(["run", *TINY, "seed=1", f"output.dir={tmp_path / 'd'}"])
    assert default.returncode == 0, default.stderr
    lines = (default.stdout + default.stderr).splitlines()
    assert len(lines) <= 40, lines
    assert any("run directory:" in line for line in lines)
    assert not any("Step " in line and " at time " in line for line in lines)


# ----------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_killed_worker_ends_with_the_report_and_a_relaunch_repairs(tmp_path: Path) -> None:
    """Hydra's launcher (``sweep.batch=false``): SIGKILL the joblib worker (not the run's
    child) of a run in progress: the launch
    still ends with feedlab's report naming the dead run, exit 1, no traceback; verify
    lists it as died; the relaunch runs only it and counts right."""
    keys = [record.run_key(compose([*TINY, f"seed={s}"])) for s in range(3)]
    args = ["run", "-m", *TINY, "seed=0,1,2", "hydra.launcher.n_jobs=2", f"output.dir={tmp_path}"]
    args.append("sweep.batch=false")  # Hydra's joblib launcher: one job per run
    sweep_dir = tmp_path / "sweeps" / "default"
    lease = leases.path(sweep_dir, keys[0])
    proc = subprocess.Popen(
        feedlab_cmd(args),
        cwd=ROOT,
        env=clean_env({"FEEDLAB_TEST_FAULTS": json.dumps({keys[0]: "hang"})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 400
        while not (
            lease.exists() and all((sweep_dir / "runs" / k / "DONE").exists() for k in keys[1:])
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "sweep did not get there"
            time.sleep(0.2)
        worker = json.loads(lease.read_text())["pid"]
        assert worker != proc.pid  # the job process is a joblib worker
        os.kill(worker, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "the launcher stopped the sweep: TerminatedWorkerError" in err
    assert "SIGKILL(-9)" in err  # which signal took the worker
    died_section = err[err.index("  died ") : err.index("  missing ")]
    assert "  died            1" in died_section and keys[0] in died_section
    assert f"pid {worker}" in died_section
    assert "this launch: 2 runs executed and complete, 0 failed, 1 died, 0 skipped" in err

    report = sweep.verify(sweep_dir)
    assert report.died == [keys[0]] and report.complete == keys[1:]
    assert report.missing == [] and report.failed == []
    listed = feedlab(["verify", str(sweep_dir)], timeout=120)
    assert listed.returncode == 1 and keys[0] in listed.stdout
    assert "its job process is gone" in listed.stdout

    again = feedlab(args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (
        "this launch: 1 runs executed and complete, 0 failed, 2 skipped (already complete)"
        in again.stderr
    ), again.stderr[-3000:]
    report = sweep.verify(sweep_dir)
    assert report.ok and report.orphan == [] and report.died == []
    rec = json.loads((sweep_dir / "failures" / f"{keys[0]}.1.json").read_text())
    assert rec["died"] is True and rec["job_pid"] == worker  # the history is kept
    assert list((sweep_dir / leases.STARTED).iterdir()) == []
    assert list((sweep_dir / "runs" / ".staging").iterdir()) == []


def _children(pid: int) -> list[int]:
    """The pids of the live child processes of ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := proc_stat_fields(entry)) and int(fields[1]) == pid:
            out.append(int(entry))
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killed_batch_worker_costs_its_run_only(tmp_path: Path) -> None:
    """Batched sweep (the default): SIGKILL the worker process (the pre-imported process
    that forks the runs) while a run hangs in it: that run gets a failure record, the
    launch goes on with a new worker and completes the others; the relaunch repairs."""
    keys = [record.run_key(compose([*TINY, f"seed={s}"])) for s in range(4)]
    args = ["run", "-m", *TINY, "seed=0,1,2,3", "hydra.launcher.n_jobs=1", f"output.dir={tmp_path}"]
    sweep_dir = tmp_path / "sweeps" / "default"
    proc = subprocess.Popen(
        feedlab_cmd(args),
        cwd=ROOT,
        env=clean_env({"FEEDLAB_TEST_FAULTS": json.dumps({keys[1]: "hang"})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 400
        while not leases.path(sweep_dir, keys[1]).exists():
            assert proc.poll() is None and time.monotonic() < deadline, "sweep did not get there"
            time.sleep(0.2)
        assert json.loads(leases.path(sweep_dir, keys[1]).read_text())["pid"] == proc.pid
        workers = _children(proc.pid)
        assert len(workers) == 1  # one worker process for the whole launch
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    report = sweep.verify(sweep_dir)
    assert report.failed == [keys[1]] and sorted(report.complete) == sorted(keys[:1] + keys[2:])
    rec = json.loads((sweep_dir / "failures" / f"{keys[1]}.1.json").read_text())
    assert "died" in rec["reason"] and rec["job_pid"] == proc.pid
    assert list((sweep_dir / leases.STARTED).iterdir()) == []
    assert list((sweep_dir / "runs" / ".staging").iterdir()) == []
    again = feedlab(args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "this launch: 1 runs executed and complete, 0 failed, 3 skipped" in again.stderr
