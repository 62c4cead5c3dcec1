"""Run isolation (experiments/isolate.py): a run process of the zygote serves several
small runs in turn, and what that changes is only speed — every run keeps its own
outcome, a failure ends the process, and the bytes are those of a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from feedlab.experiments import isolate, record
from feedlab.experiments.run import compose

TINY = ["network.n=60", "steps=3", "output.quiet=true", "output.progress=false"]
DATA = ("timeseries.parquet", "events.parquet", "agents.parquet", "summary.json")


def _config(tmp_path: Path, seed: int) -> tuple[dict, str]:
    cfg = compose([*TINY, f"output.dir={tmp_path}", f"seed={seed}"])
    return cfg, record.run_key(cfg)


def _hashes(run_dir: Path) -> dict[str, str]:
    return {name: record.file_sha256(run_dir / name) for name in DATA}


@pytest.fixture
def fork_mode(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(isolate.ISOLATION_ENV, "fork")
    isolate.close_zygote()
    yield
    isolate.close_zygote()


def test_a_run_process_serves_small_runs_until_one_fails(
    tmp_path: Path, fork_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = {}
    for seed in (1, 2):
        cfg, key = _config(tmp_path, seed)
        outcomes[seed] = isolate.run_isolated(cfg, [], key)
    assert outcomes[1].ok and outcomes[2].ok
    assert outcomes[1].pid == outcomes[2].pid  # one process, two runs

    cfg, key = _config(tmp_path, 3)
    monkeypatch.setenv(isolate.FAULTS_ENV, json.dumps({key: "raise"}))
    failed = isolate.run_isolated(cfg, [], key)
    monkeypatch.delenv(isolate.FAULTS_ENV)
    assert failed.exit_code == isolate.EXIT_ERROR and "injected test fault" in failed.reason()
    assert failed.pid == outcomes[2].pid  # the failing run ran there, and ended it

    cfg, key = _config(tmp_path, 4)
    after = isolate.run_isolated(cfg, [], key)
    assert after.ok and after.pid != failed.pid  # a fresh process after a failure
    assert record.is_complete(tmp_path / "runs" / key)


def test_a_run_process_killed_while_idle_is_replaced(tmp_path: Path, fork_mode: None) -> None:
    cfg, key = _config(tmp_path, 1)
    first = isolate.run_isolated(cfg, [], key)
    assert first.ok
    os.kill(first.pid, signal.SIGKILL)  # between runs: nobody's run dies with it
    cfg, key = _config(tmp_path, 2)
    second = isolate.run_isolated(cfg, [], key)
    assert second.ok and second.pid != first.pid


def test_a_run_under_a_memory_cap_gets_a_process_of_its_own(
    tmp_path: Path, fork_mode: None
) -> None:
    cfg, key = _config(tmp_path, 1)
    first = isolate.run_isolated(cfg, [], key)
    cfg, key = _config(tmp_path, 2)
    capped = isolate.run_isolated(cfg, [], key, memory_gb=16.0)
    assert first.ok and capped.ok and capped.pid != first.pid
    cfg, key = _config(tmp_path, 3)
    again = isolate.run_isolated(cfg, [], key, memory_gb=16.0)
    assert again.ok and again.pid != capped.pid  # the cap is per run: never shared


def test_reused_run_process_gives_the_bytes_of_a_fresh_interpreter(
    tmp_path: Path, fork_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, fresh = tmp_path / "shared", tmp_path / "fresh"
    pids = set()
    for seed in (1, 2, 3):  # seed 3 runs third in one process
        cfg, key = _config(shared, seed)
        outcome = isolate.run_isolated(cfg, [], key)
        assert outcome.ok
        pids.add(outcome.pid)
    assert len(pids) == 1
    monkeypatch.setenv(isolate.ISOLATION_ENV, "exec")
    cfg, key = _config(fresh, 3)
    assert isolate.run_isolated(cfg, [], key).ok
    assert _hashes(shared / "runs" / key) == _hashes(fresh / "runs" / key)
