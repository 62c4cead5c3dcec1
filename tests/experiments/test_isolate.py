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
from helpers import proc_stat_fields

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


def _state(pid: int) -> str:
    """The process state letter of ``pid`` ('Z' zombie), or '' if it is gone."""
    fields = proc_stat_fields(pid)
    return fields[0] if fields else ""


def _request(cfg: dict, key: str) -> dict:
    return {"config": cfg, "overrides": [], "key": key, "memory_bytes": 0, "fault": None}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_clone_runs_without_its_template_and_gives_the_same_bytes(
    tmp_path: Path, fork_mode: None
) -> None:
    """A clone of a warm zygote is a zygote of its own: it serves runs after its template
    is SIGKILLed (it is this process's child, not the template's), with the bytes of the
    template's runs, and it ends when closed."""
    template = isolate._Zygote(warm=True)
    clone = isolate._Zygote.clone(template)
    try:
        assert clone.proc.pid not in (template.proc.pid, os.getpid())
        assert os.waitpid(clone.proc.pid, os.WNOHANG) == (0, 0)  # our child, running
        cfg, key = _config(tmp_path / "a", 1)
        assert template.run(_request(cfg, key), 0).ok
        with pytest.raises(RuntimeError):  # a clone is not cloned again
            isolate._Zygote.clone(clone)
        template.proc.kill()
        template.proc.wait()
        cfg2, key2 = _config(tmp_path / "b", 1)
        outcome = clone.run(_request(cfg2, key2), 0)
        assert outcome.ok and outcome.pid != clone.proc.pid
        assert _hashes(tmp_path / "b" / "runs" / key2) == _hashes(tmp_path / "a" / "runs" / key)
    finally:
        clone.close()
        template.close()
    assert _state(clone.proc.pid) == ""  # waited for: no zombie left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_clone_dies_with_the_job_process(tmp_path: Path) -> None:
    """SIGKILL the job process that made a clone while the clone runs a run that hangs:
    the clone dies too (its parent-death signal is armed once it is the job's child; an
    idle clone would also end at the end of its requests), and with it the run, and the
    template."""
    import subprocess
    import sys
    import time

    script = (
        "import os, sys\n"
        "os.environ['FEEDLAB_ISOLATION'] = 'fork'\n"
        "from feedlab.experiments import isolate\n"
        "t = isolate._Zygote(warm=True)\n"
        "c = isolate._Zygote.clone(t)\n"
        "import json\n"
        "req = json.loads(sys.stdin.readline())\n"
        "c.proc.stdin.write(json.dumps(req).encode() + b'\\n'); c.proc.stdin.flush()\n"
        "run = c.reader.read(None)['pid']\n"
        "print(t.proc.pid, c.proc.pid, run, flush=True)\n"
        "sys.stdin.read()\n"
    )
    cfg, key = _config(tmp_path, 1)
    request = {**_request(cfg, key), "fault": "hang"}
    job = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, isolate.ISOLATION_ENV: "fork"},
    )
    try:
        assert job.stdout is not None and job.stdin is not None
        job.stdin.write(json.dumps(request) + "\n")
        job.stdin.flush()
        pids = [int(p) for p in job.stdout.readline().split()]
        time.sleep(0.5)  # the run is hanging now
        assert len(pids) == 3 and all(_state(p) not in ("", "Z") for p in pids)
        job.kill()
        job.wait()
        deadline = time.monotonic() + 20
        while any(_state(p) not in ("", "Z") for p in pids):
            assert time.monotonic() < deadline, [_state(p) for p in pids]
            time.sleep(0.05)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()


def test_a_spare_discarded_while_warming_up_removes_its_folder(
    tmp_path: Path, fork_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``feedlab run -m`` starts a zygote before it knows whether the sweep goes ahead;
    one stopped in the middle of its warm-up run (a refused sweep) removes that run's
    temporary folder (SIGTERM, then Python's cleanup) instead of leaving it behind."""
    import time

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    isolate.prestart_zygotes(1)
    isolate.warm_spares_with(compose(["network.n=200"]))  # as a sweep's launch does
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.startswith("feedlab-warmup-") for p in tmp.iterdir()):
            assert time.monotonic() < deadline, "the warm-up never started"
            time.sleep(0.005)
    finally:
        isolate.discard_spare_zygotes()
    assert list(tmp.iterdir()) == []


def test_the_warm_up_is_the_sweep_config_shrunk() -> None:
    """A warm zygote's warm-up run is the sweep's own config (so the kernels its runs use
    are the ones loaded), cut to a few users and steps, writing quietly into its own
    folder; the sweep's config itself is left as it was."""
    sweep = compose(["network.n=500", "steps=300", "ranking=bridging"])
    before = json.dumps(sweep, sort_keys=True)
    warm = isolate.warm_up_config(sweep, "/tmp/w")
    assert json.dumps(sweep, sort_keys=True) == before
    assert warm["network"]["n"] == isolate.WARM_UP_USERS
    assert warm["steps"] == isolate.WARM_UP_STEPS
    assert warm["ranking"] == sweep["ranking"]
    assert (warm["output"]["dir"], warm["output"]["progress"], warm["output"]["quiet"]) == (
        "/tmp/w",
        False,
        True,
    )
    small = isolate.warm_up_config(compose(["network.n=30"]), "/tmp/w")
    assert small["network"]["n"] == 30  # never more users than the sweep's
    real = isolate.warm_up_config(compose(["network=polblogs"]), "/tmp/w")
    assert "n" not in real["network"]  # a real network is taken as it is


def test_a_warm_up_that_fails_falls_back_to_the_defaults(tmp_path: Path) -> None:
    """A sweep config its warm-up cannot run (here: not a valid config at all) costs
    nothing but time: the zygote warms up on the embedded defaults and serves runs."""
    assert isolate._warm_up({"steps": "many"}) is True  # the defaults' run
    zygote = isolate._Zygote(warm=True, wait=False)
    try:
        zygote.send_warm_up({"network": {"n": -5}})  # refused by the schema
        zygote.handshake()
        assert zygote.threads == 1
        cfg, key = _config(tmp_path, seed=3)
        outcome = zygote.run({"config": cfg, "overrides": [], "key": key}, 120)
        assert outcome.ok
    finally:
        zygote.close()


def _zygotes_of(parent: int) -> list[int]:
    """Pids of the live zygotes started for the process ``parent`` (their command line
    names it: ``isolate --zygote-warm PARENT FD``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--zygote-warm" in argv and str(parent).encode() in argv:
            state = proc_stat_fields(int(entry.name))
            if state is not None and state[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_refused_sweep_stops_the_zygote_the_command_started(tmp_path: Path) -> None:
    """``feedlab run -m`` starts the first worker's zygote before Hydra is imported and
    before the command line is checked; a refused sweep stops it: exit 2 with the reason
    and no traceback, no zygote left running, nothing left in the temporary folder (its
    warm-up folder) or the working directory."""
    import subprocess
    import sys

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), isolate.ISOLATION_ENV: "fork"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "feedlab.experiments.cli",
            "run",
            "-m",
            "+hydra.callbacks.x={_target_:os.getcwd}",
            "seed=1,2",
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[int] = []
    while proc.poll() is None and not seen:  # the zygote is there while the command runs
        seen = _zygotes_of(proc.pid)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "hydra.callbacks" in err and "Traceback" not in err
    assert seen, "the command did not start a zygote before refusing the sweep"
    assert _zygotes_of(proc.pid) == []
    assert list(tmp.iterdir()) == [] and list(cwd.iterdir()) == []
