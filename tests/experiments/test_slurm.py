"""A sweep through a real SLURM scheduler (hydra/launcher=ci_slurm), including a run
SIGKILLed on the cluster: it costs that run only, the launch exits non-zero, and the
re-launch completes the sweep.

Needs a running SLURM with an idle node — CI starts one with .ci/slurm/up.sh (Debian's
packages: munge, MariaDB + slurmdbd for accounting, slurmctld, slurmd). Elsewhere the test
skips with the reason. Every launch is wrapped in a timeout: a scheduler that cannot run
jobs must fail the test, never hang it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import run_feedlab, slurm_idle_node

from feedlab.experiments import record, sweep
from feedlab.experiments.run import compose

ROOT = Path(__file__).resolve().parents[2]
TINY = ["network.n=100", "steps=3"]

pytestmark = pytest.mark.slurm


def _launch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # a 4-run sweep takes ~10-30 s here
    return run_feedlab(["run", "-m", *args], env, timeout=240)


def test_sweep_on_real_slurm(tmp_path: Path) -> None:
    reason = slurm_idle_node()
    if reason:
        pytest.skip(reason)
    grid = ["seed=0,1", "ranking=engagement,chronological"]
    args = ["hydra/launcher=ci_slurm", *TINY, *grid, f"output.dir={tmp_path}"]
    keys = [
        record.run_key(compose([*TINY, f"seed={s}", f"ranking={r}"]))
        for s in (0, 1)
        for r in ("engagement", "chronological")
    ]
    sweep_dir = tmp_path / "sweeps" / "default"

    first = _launch(args, {"FEEDLAB_TEST_FAULTS": json.dumps({keys[1]: "kill_mid_write"})})
    assert first.returncode == 1, first.stderr[-4000:]
    report = sweep.verify(sweep_dir)
    assert report.failed == [keys[1]] and sorted(report.complete) == sorted(
        k for k in keys if k != keys[1]
    )
    rec = json.loads((sweep_dir / "failures" / f"{keys[1]}.1.json").read_text())
    assert rec["signal_name"] == "SIGKILL" and rec["slurm_job_id"]  # it ran under SLURM

    second = _launch(args, {})
    assert second.returncode == 0, second.stderr[-4000:]
    assert "this launch: 1 runs executed" in second.stderr
    report = sweep.verify(sweep_dir)
    assert report.ok and report.complete == keys and report.orphan == []


def test_runs_packed_into_array_tasks_on_real_slurm(tmp_path: Path) -> None:
    """6 runs, ``sweep.runs_per_task=3``: two array tasks of three runs each. Runs 0 and 1
    fail in the same task (same SLURM job id), run 4 in the other; the other 3 complete;
    the re-launch packs the 3 failed runs into one task and completes the sweep."""
    reason = slurm_idle_node()
    if reason:
        pytest.skip(reason)
    args = ["hydra/launcher=ci_slurm", *TINY, "seed=range(0,6)", f"output.dir={tmp_path}"]
    args.append("sweep.runs_per_task=3")
    keys = [record.run_key(compose([*TINY, f"seed={s}"])) for s in range(6)]
    sweep_dir = tmp_path / "sweeps" / "default"
    faults = {keys[0]: "raise", keys[1]: "raise", keys[4]: "raise"}
    first = _launch(args, {"FEEDLAB_TEST_FAULTS": json.dumps(faults)})
    assert first.returncode == 1, first.stderr[-4000:]
    assert "6 runs packed into 2 array task(s) of up to 3 runs" in first.stderr
    report = sweep.verify(sweep_dir)
    assert sorted(report.failed) == sorted(faults) and len(report.complete) == 3
    job = {
        k: json.loads((sweep_dir / "failures" / f"{k}.1.json").read_text())["slurm_job_id"]
        for k in faults
    }
    assert all(job.values())  # they ran under SLURM
    assert job[keys[0]] == job[keys[1]] != job[keys[4]]  # one task per three runs

    second = _launch(args, {})
    assert second.returncode == 0, second.stderr[-4000:]
    assert "3 runs packed into 1 array task(s) of up to 3 runs" in second.stderr
    assert sweep.verify(sweep_dir).ok
