"""Sweeps that lose nothing (docs/sweeps.md): isolation, failure records, verify, resume,
stale-grid safety, determinism across launchers and worker counts.

Sweeps run the real ``feedlab run -m`` command in a subprocess, because the exit code
and Hydra's launchers are what is under test. Faults are injected with the test-only
``FEEDLAB_TEST_FAULTS`` variable (experiments/isolate.py), keyed by run key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import run_feedlab

from feedlab.experiments import callback, record, sweep
from feedlab.experiments.run import compose, run_experiment

ROOT = Path(__file__).resolve().parents[2]
TINY = ["network.n=100", "steps=3"]


feedlab = run_feedlab


def key_of(overrides: list[str]) -> str:
    return record.run_key(compose(overrides))


def snapshot(run_dirs: list[Path]) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file and directory of the given runs."""
    out = {}
    for d in run_dirs:
        for p in [d, *sorted(d.rglob("*"))]:
            st = p.stat()
            out[str(p)] = (st.st_ino, st.st_mtime_ns)
    return out


# ----------------------------------------------------------------------------- fast


def test_verify_reports_every_category(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sw"
    out = [*TINY, "output.quiet=true", "output.progress=false", f"output.dir={sweep_dir}"]
    done = [run_experiment([*out, f"seed={s}"]) for s in range(3)]
    orphan = run_experiment([*out, "seed=9"])
    keys = [r.key for r in done] + [key_of([*TINY, f"seed={s}"]) for s in (3, 4)]
    manifest = {"format": 1, "expected": [{"key": k, "overrides": [], "jobs": [0]} for k in keys]}
    assert sweep.write_manifest(sweep_dir, manifest)
    assert not sweep.write_manifest(sweep_dir, manifest)  # same content: untouched
    sweep.record_failure(sweep_dir, keys[3], {"key": keys[3], "reason": "boom"})
    second = sweep.record_failure(sweep_dir, keys[3], {"key": keys[3], "reason": "boom again"})
    assert second.name == f"{keys[3]}.2.json"
    with open(done[2].run_dir / "summary.json", "a") as f:  # damage a committed run
        f.write(" ")

    report = sweep.verify(sweep_dir)
    assert report.counts() == {
        "expected": 5,
        "complete": 2,
        "running": 0,
        "failed": 1,
        "died": 0,
        "missing": 1,
        "corrupt": 1,
        "orphan": 1,
    }
    assert report.failed == [keys[3]] and "boom again" in report.reasons[keys[3]]
    assert report.missing == [keys[4]] and report.corrupt == [keys[2]]
    assert report.orphan == [orphan.key]
    assert [k for k, _ in sweep.complete_runs(sweep_dir)] == keys[:2]
    assert sweep.verify_main([str(sweep_dir)]) == 1
    assert sweep.verify_main([str(tmp_path / "nothing")]) == 2

    # a run whose config does not hash to its name is not a result either
    (sweep_dir / "runs" / keys[2]).rename(tmp_path / "moved")
    (sweep_dir / "runs" / done[0].key).rename(sweep_dir / "runs" / keys[2])
    assert "hashes to" in sweep.verify(sweep_dir).reasons[keys[2]]
    # ... unless the launch itself saw it commit under that name (batch.execute): then
    # only the hashes are checked, and a damaged file is still corrupt
    trusted = sweep.verify(sweep_dir, committed={keys[2]})
    assert keys[2] in trusted.complete and keys[2] not in trusted.reasons
    with open(sweep_dir / "runs" / keys[2] / "summary.json", "a") as f:
        f.write(" ")
    assert keys[2] in sweep.verify(sweep_dir, committed={keys[2]}).corrupt


def test_isolated_failures_are_recorded_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_dir = tmp_path / "sw"
    base = compose([*TINY, "output.quiet=true", f"output.dir={sweep_dir}"])
    cases = {  # seed -> (fault, limits, expected words in the reason)
        1: ("raise", {}, "RuntimeError"),
        2: ("exit0", {}, "sys.exit(0)"),
        3: ("hang", {"run_timeout_s": 2}, "timeout"),
        4: ("alloc", {"run_memory_gb": 6}, "MemoryError"),
        5: ("kill_mid_write", {}, "SIGKILL"),
    }
    cfgs = {}
    for seed, (_, limits, _) in cases.items():
        cfgs[seed] = {**base, "seed": seed, "limits": {**base["limits"], **limits}}
    faults = {record.run_key(cfgs[s]): fault for s, (fault, _, _) in cases.items()}
    monkeypatch.setenv("FEEDLAB_TEST_FAULTS", json.dumps(faults))
    for seed, (fault, _, words) in cases.items():
        status = sweep.run_job(cfgs[seed], [f"seed={seed}"], sweep_dir=sweep_dir, job_num=seed)
        assert status == "failed", fault
        key = record.run_key(cfgs[seed])
        assert not (sweep_dir / "runs" / key).exists(), fault  # nothing under a final name
        rec = json.loads((sweep_dir / "failures" / f"{key}.1.json").read_text())
        assert words in rec["reason"], (fault, rec["reason"])
        assert rec["injected_fault"] == fault and rec["job_num"] == seed
    assert list((sweep_dir / "runs" / ".staging").iterdir()) == []  # dead runs cleaned up
    assert list((sweep_dir / "started").iterdir()) == []  # every lease released
    monkeypatch.delenv("FEEDLAB_TEST_FAULTS")
    assert sweep.run_job(cfgs[1], [], sweep_dir=sweep_dir) == "complete"
    assert sweep.run_job(cfgs[1], [], sweep_dir=sweep_dir) == "skipped"
    run_dir = sweep_dir / "runs" / record.run_key(cfgs[1])
    assert record.is_complete(run_dir) and (run_dir.stat().st_mode & 0o022) == 0


def plan(
    overrides: list[str],
    sweep_args: list[str],
    sweep_dir: Path,
    complete: set[str] | None = None,
) -> list[sweep.Job]:
    """The sweep callback's planning step, in process (no launch)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import open_dict

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = hydra_compose("config", overrides=overrides, return_hydra_config=True)
        with open_dict(cfg):
            cfg.hydra.overrides.task = [o for o in overrides if not o.startswith("hydra")]
            cfg.hydra.overrides.task.extend(sweep_args)
        jobs, manifest = sweep.plan(cfg, sweep_dir, complete)
    assert manifest["n_jobs"] == len(jobs)
    return jobs


@pytest.mark.parametrize(
    ("overrides", "grid", "needles"),
    [
        (["limits.max_runs=3"], ["seed=range(0,5)"], ["5 runs", "limits.max_runs = 3"]),
        (
            ["network.n=19000000", "limits.memory_gb=1"],
            ["seed=0,1"],
            ["GiB", "limits.memory_gb", "in 2 of 2 runs"],
        ),
        (["steps=-1"], ["seed=0,1,2"], ["steps", "in 3 of 3 runs", "job #0"]),
        ([], ["seed=0,1", "network.no_such_key=1,2"], ["no_such_key", "in 2 of 4 runs"]),
        (
            ["platform.threads=2"],
            ["seed=0,1,2"],
            ["platform.threads: 2 in a sweep; allowed: 1", "in 3 of 3 runs"],
        ),
    ],
)
def test_sweep_refused_before_launch(
    tmp_path: Path, overrides: list[str], grid: list[str], needles: list[str]
) -> None:
    with pytest.raises(sweep.SweepRefused) as ei:
        plan(overrides, grid, tmp_path)
    for needle in needles:
        assert needle in str(ei.value), ei.value


def test_parallel_runs_must_fit_together(tmp_path: Path) -> None:
    """Each run fits the budget alone, but two at once do not: refused with the numbers."""
    from feedlab.experiments.config import estimate_memory, validate

    run, units = validate(compose(["network.n=3000000"]))
    one = estimate_memory(run, *units.network.size_estimate()) / 2**30
    budget = f"limits.memory_gb={one * 1.5:.3f}"
    jobs = plan(["network.n=3000000", budget, "hydra.launcher.n_jobs=1"], ["seed=0,1"], tmp_path)
    assert len(jobs) == 2 and len({j.key for j in jobs}) == 2  # one at a time fits
    with pytest.raises(sweep.SweepRefused) as ei:
        plan(["network.n=3000000", budget, "hydra.launcher.n_jobs=2"], ["seed=0,1"], tmp_path)
    assert "2 runs at once" in str(ei.value) and "hydra.launcher.n_jobs" in str(ei.value)


def test_planned_keys_match_hydra_composition(tmp_path: Path) -> None:
    """The planner's shortcut (one composition per group choice) gives exactly the configs
    Hydra composes per job, also through interpolations and experiment configs."""
    grid = ["seed=0,1", "ranking=engagement,chronological", "platform.feed_length=5,10"]
    import yaml

    interpolating = [  # experiment configs whose values refer to other values
        p.stem  # (outside the hydra node: every experiment names its sweep dir that way)
        for p in sorted((ROOT / "conf" / "experiment").glob("*.yaml"))
        if "${"
        in json.dumps({k: v for k, v in yaml.safe_load(p.read_text()).items() if k != "hydra"})
    ]
    assert interpolating
    base = ["network.n=100"] + [f"experiment={e}" for e in interpolating[:1]]
    jobs = plan(base, grid, tmp_path)
    assert len(jobs) % 8 == 0  # an experiment may add its own grid (hydra.sweeper.params)
    for job in jobs[:: max(1, len(jobs) // 10)]:
        assert job.key == key_of(job.overrides)


def test_refused_sweep_exits_nonzero_and_leaves_nothing(tmp_path: Path) -> None:
    """Refused while planning — when the zygote that ``feedlab run -m`` starts at once is
    importing or warming up: exit 2, no sweep folder, and the zygote's warm-up folder
    (in TMPDIR) removed when it is stopped."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    res = feedlab(
        ["run", "-m", "seed=range(0,5)", "limits.max_runs=3", f"output.dir={tmp_path}"],
        env={"TMPDIR": str(tmp)},
    )
    assert res.returncode == 2 and "limits.max_runs = 3" in res.stderr, res.stderr
    assert not (tmp_path / "sweeps").exists()
    assert list(tmp.iterdir()) == []


def test_progress_line_counts_done_failed_remaining(tmp_path: Path) -> None:
    import io
    import time

    keys = ["a" * 16, "b" * 16, "c" * 16, "d" * 16]
    (tmp_path / "runs" / keys[0]).mkdir(parents=True)
    (tmp_path / "runs" / keys[0] / "DONE").write_text("{}")  # complete before the launch
    (tmp_path / "runs" / keys[3]).mkdir(parents=True)  # a DONE older than the launch: stale
    (tmp_path / "runs" / keys[3] / "DONE").write_text("{}")
    os.utime(tmp_path / "runs" / keys[3] / "DONE", (1, 1))
    (tmp_path / "failures").mkdir()
    out = io.StringIO()
    progress = callback._Progress(
        tmp_path,
        keys,
        before={keys[0]},
        started=time.time() - 60,
        stream=out,
        live=False,
        every=0.0,
        poll=0.05,
    )
    (tmp_path / "runs" / keys[1]).mkdir()
    (tmp_path / "runs" / keys[1] / "DONE").write_text("{}")  # done during the launch
    (tmp_path / "failures" / f"{keys[2]}.1.json").write_text("{}")
    progress.close()
    assert progress.counts() == (2, 1)
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("sweep: 2/4 done, 1 failed, 1 remaining, 1:0"), last
    assert last.endswith("ETA 0:30") or last.endswith("ETA 0:31"), last  # 60 s for 2 runs
    assert len(out.getvalue().splitlines()) <= 3  # a line when the counts change, no more

    tty = io.StringIO()
    live = callback._Progress(
        tmp_path, keys, before=set(), started=time.time(), stream=tty, live=True
    )
    live.close()
    assert tty.getvalue().startswith("\rsweep: ") and tty.getvalue().endswith("\n")


def test_already_complete_means_every_hash_matches(tmp_path: Path) -> None:
    """The pre-launch count of runs to skip checks DONE hashes, not DONE's existence."""
    sweep_dir = tmp_path / "sweeps" / "default"
    out = [*TINY, "output.quiet=true", f"output.dir={sweep_dir}"]
    good, damaged = (run_experiment([*out, f"seed={s}"]) for s in (0, 1))
    with open(damaged.run_dir / "summary.json", "a") as f:
        f.write(" ")
    assert (damaged.run_dir / "DONE").is_file()
    complete: set[str] = set()
    jobs = plan([*TINY, f"output.dir={tmp_path}"], ["seed=0,1,2"], sweep_dir, complete)
    assert len(jobs) == 3 and complete == {good.key}


def test_feedlab_never_unpickles() -> None:
    """No feedlab module loads pickles (results directories hold none that feedlab reads;
    submitit's own job pickles under .submitit/ are read by submitit only)."""
    banned = ("pickle.load", "pickle.loads", "read_pickle", "allow_pickle=True", "joblib.load")
    for pkg in ("experiments", "models", "agents", "analysis"):
        for path in (ROOT / pkg).rglob("*.py"):
            text = path.read_text()
            for word in banned:
                assert word not in text, f"{path}: {word}"


# ----------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_faults_cost_only_their_runs_and_resume_completes(tmp_path: Path) -> None:
    """20 runs, 3 SIGKILLed mid-write and 1 sys.exit(0): the launch fails, verify names
    exactly those 4, the re-launch runs only those 4; nothing lost, duplicated, corrupt."""
    grid = ["seed=range(0,10)", "ranking=engagement,chronological"]
    args = ["run", "-m", *TINY, *grid, f"output.dir={tmp_path}"]
    # Hydra's grid order: the last swept key varies fastest
    keys = [
        key_of([*TINY, f"seed={s}", f"ranking={r}"])
        for s in range(10)
        for r in ("engagement", "chronological")
    ]
    assert len(set(keys)) == 20
    faults = {keys[2]: "kill_mid_write", keys[7]: "kill_mid_write", keys[13]: "kill_mid_write"}
    faults[keys[18]] = "exit0"
    sweep_dir = tmp_path / "sweeps" / "default"

    first = feedlab(
        [*args, "hydra.launcher.n_jobs=2", "output.quiet=true"],  # quiet still reports failures
        {"FEEDLAB_TEST_FAULTS": json.dumps(faults)},
    )
    assert first.returncode == 1 and "INCOMPLETE" in first.stderr, first.stderr[-3000:]
    manifest = sweep.load_manifest(sweep_dir)
    assert [e["key"] for e in manifest["expected"]] == keys  # written before launch, grid order
    report = sweep.verify(sweep_dir)
    assert sorted(report.failed) == sorted(faults)
    assert report.counts() == {
        "expected": 20,
        "complete": 16,
        "running": 0,
        "failed": 4,
        "died": 0,
        "missing": 0,
        "corrupt": 0,
        "orphan": 0,
    }
    for k, fault in faults.items():
        rec = json.loads((sweep_dir / "failures" / f"{k}.1.json").read_text())
        assert rec["injected_fault"] == fault
        assert (
            rec["signal_name"] == "SIGKILL" if fault == "kill_mid_write" else rec["exit_code"] == 3
        )
    listed = feedlab(["verify", str(sweep_dir)], timeout=120)
    assert listed.returncode == 1
    assert all(k in listed.stdout for k in faults) and "complete       16" in listed.stdout
    survivors = [sweep_dir / "runs" / k for k in keys if k not in faults]
    before = snapshot(survivors)

    second = feedlab([*args, "hydra.launcher.n_jobs=1"])
    assert second.returncode == 0, second.stderr[-3000:]
    assert "this launch: 4 runs executed" in second.stderr
    assert snapshot(survivors) == before  # the 16 complete runs were not touched
    report = sweep.verify(sweep_dir)
    assert report.ok and report.counts()["complete"] == 20
    assert sorted(p.name for p in (sweep_dir / "runs").iterdir()) == sorted([*keys, ".staging"])
    assert list((sweep_dir / "runs" / ".staging").iterdir()) == []
    assert sorted(p.name for p in (sweep_dir / "failures").iterdir()) == sorted(
        f"{k}.1.json" for k in faults
    )
    for path in [sweep_dir, *sweep_dir.rglob("*")]:  # nothing group/world-writable
        if ".submitit" not in path.parts:
            assert path.stat().st_mode & 0o022 == 0, path


@pytest.mark.slow
def test_relaunch_executes_nothing_and_stale_runs_never_count(tmp_path: Path) -> None:
    args = ["run", "-m", *TINY, f"output.dir={tmp_path}", "hydra.launcher.n_jobs=1"]
    sweep_dir = tmp_path / "sweeps" / "default"
    assert feedlab([*args, "seed=0,1,2"]).returncode == 0
    runs = sorted(p for p in (sweep_dir / "runs").iterdir() if p.name != ".staging")
    before = snapshot([*runs, sweep_dir / "sweep.json"])

    again = feedlab([*args, "seed=0,1,2"])
    assert again.returncode == 0 and "this launch: 0 runs executed" in again.stderr
    assert snapshot([*runs, sweep_dir / "sweep.json"]) == before

    smaller = feedlab([*args, "seed=2,0"])  # smaller and reordered: nothing to run
    assert smaller.returncode == 0 and "this launch: 0 runs executed" in smaller.stderr
    report = sweep.verify(sweep_dir)
    expected = [key_of([*TINY, f"seed={s}"]) for s in (2, 0)]
    assert report.expected == expected and report.complete == expected
    assert report.orphan == [key_of([*TINY, "seed=1"])]  # listed, never counted as a result
    assert [k for k, _ in sweep.complete_runs(sweep_dir)] == expected
    still = snapshot(runs)
    assert still == {p: v for p, v in before.items() if p in still}  # runs still untouched


@pytest.mark.slow
def test_same_sweep_same_bytes_across_launchers_workers_and_hash_seeds(tmp_path: Path) -> None:
    grid = ["seed=0,1", "ranking=engagement,chronological"]
    variants = {
        "joblib1": (["hydra.launcher.n_jobs=1"], {"PYTHONHASHSEED": "1"}),
        "joblib2": (
            ["hydra.launcher.n_jobs=2"],
            {"PYTHONHASHSEED": "2", "FEEDLAB_ISOLATION": "exec"},  # fresh interpreters too
        ),
        "submitit": (["hydra/launcher=submitit_local"], {"PYTHONHASHSEED": "3"}),
    }
    # a plain in-process run of one of the configs, for reference
    direct = run_experiment([*TINY, "seed=1", "ranking=chronological", f"output.dir={tmp_path}/d"])
    outputs: dict[str, dict[str, dict[str, bytes]]] = {}
    for name, (extra, env) in variants.items():
        out = tmp_path / name
        res = feedlab(["run", "-m", *TINY, *grid, f"output.dir={out}", *extra], env)
        assert res.returncode == 0, (name, res.stderr[-3000:])
        outputs[name] = {
            key: {f: (d / f).read_bytes() for f in record.DATA_FILES if (d / f).exists()}
            for key, d in sweep.complete_runs(out / "sweeps" / "default")
        }
        assert len(outputs[name]) == 4 and all(len(v) >= 3 for v in outputs[name].values())
    for name in ("joblib2", "submitit"):
        for key, files in outputs["joblib1"].items():
            for f, data in files.items():
                assert outputs[name][key][f] == data, (name, key, f)
    for f, data in outputs["joblib1"][direct.key].items():
        assert (direct.run_dir / f).read_bytes() == data, ("in-process", f)
