"""Sweeps that lose nothing: manifest before launch, one isolated process per run,
failure records, and ``feedlab verify``.

A sweep directory (``hydra.sweep.dir``; default ``<output.dir>/sweeps/default``) is
self-contained::

    <sweep>/sweep.json                 manifest: every expected run key and its overrides
    <sweep>/runs/<run key>/            committed runs (experiments/record.py layout)
    <sweep>/runs/.staging/             runs being written (private; renamed into place)
    <sweep>/failures/<key>.<n>.json    one record per failed attempt n (never under runs/)
    <sweep>/started/<key>.json         the lease of a run in progress (experiments/leases.py)
    <sweep>/multirun.yaml              Hydra's record of the launch
    <sweep>/.submitit/                 submitit's own job files (submitit launchers only)

How a ``feedlab run -m ...`` flows:

1. :class:`SweepCallback` ``on_multirun_start`` (registered in ``hydra.callbacks``)
   expands the grid exactly as Hydra's basic sweeper does, composes and validates every
   job's config, refuses the sweep before launch if it is larger than
   ``limits.max_runs``, if any run is invalid or too big for the machine, or if the runs
   that execute at the same time would not fit in memory together; then writes
   ``sweep.json`` (atomically) and takes an exclusive lock on the directory.
2. The launcher (joblib, submitit_local, submitit_slurm) calls the task
   :func:`feedlab.experiments.app.main` once per job, which calls :func:`run_job`: skip if the
   run is already complete, otherwise run it in an isolated child process
   (:mod:`feedlab.experiments.isolate`) and, if it did not commit a complete run, write a failure
   record. A lease (:mod:`feedlab.experiments.leases`) marks the run as started until then.
   :func:`run_job` never raises, so one failure never takes the pool down.
3. ``on_multirun_end`` runs :func:`verify` and ends the process with exit code 0 if and
   only if every expected run is complete (1 otherwise). If the launcher itself gives up
   (a killed joblib worker, a lost SLURM job, Ctrl-C), :func:`launch_aborted` (called by
   :func:`feedlab.experiments.app.main`) prints the same report, the dead runs named.

Run keys are the only path components feedlab derives from a config; no override value
ever becomes part of a path. feedlab never unpickles anything from a results directory
(submitit keeps its own pickled job files under ``.submitit/``; only submitit reads them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from feedlab.experiments import leases

MANIFEST = "sweep.json"
RUNS = "runs"
FAILURES = "failures"
LOCK = ".lock"
FORMAT = 1


# --------------------------------------------------------------------------------------
# small helpers


def _restrict_umask() -> None:
    """Never grant group/world write (only ever tightens the user's umask)."""
    old = os.umask(0o022)
    os.umask(old | 0o022)


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o755)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def load_manifest(sweep_dir: str | Path) -> dict[str, Any]:
    """The sweep manifest; raises FileNotFoundError if ``sweep_dir`` is not a sweep."""
    path = Path(sweep_dir) / MANIFEST
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or "expected" not in data:
        raise ValueError(f"{path}: not a feedlab sweep manifest")
    return data


def expected_runs(sweep_dir: str | Path) -> list[tuple[str, Path]]:
    """``(run key, run directory)`` for every run the manifest expects, in grid order.

    Readers of a sweep (``feedlab aggregate``) must use this (or :func:`complete_runs`)
    rather than listing ``runs/``: directories of keys not in the manifest are orphans of
    an earlier grid, not results of this one.
    """
    root = Path(sweep_dir)
    return [(e["key"], root / RUNS / e["key"]) for e in load_manifest(root)["expected"]]


def complete_runs(sweep_dir: str | Path) -> list[tuple[str, Path]]:
    """The expected runs that are complete (DONE present and every file hash matching)."""
    from feedlab.experiments.record import is_complete

    return [(k, d) for k, d in expected_runs(sweep_dir) if is_complete(d)]


# --------------------------------------------------------------------------------------
# the manifest: expand the grid, compose every job, check, write


class SweepRefused(Exception):
    """The sweep cannot start; the message gives the numbers (exit code 2)."""


@dataclass
class Job:
    num: int
    overrides: list[str]
    key: str = ""
    memory_bytes: int = 0


def expand(config: Any) -> list[list[str]]:
    """Every job's overrides, in launch order, exactly as Hydra's BasicSweeper makes them."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    target = str(config.hydra.sweeper.get("_target_", ""))
    if not target.endswith("BasicSweeper"):
        raise SweepRefused(
            f"hydra.sweeper {target!r} is not supported; feedlab "
            "needs Hydra's basic sweeper to know every run before launch"
        )
    from hydra.core.global_hydra import GlobalHydra

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()]
    arguments += [str(o) for o in OmegaConf.to_container(config.hydra.overrides.task)]  # type: ignore[union-attr]

    loader = GlobalHydra.instance().config_loader()
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(arguments)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for batch in batches for job in batch]


class _Composer:
    """Each job's task config (hydra node removed, resolved) exactly as its worker will see
    it, at the cost of one Hydra composition per distinct set of config-group choices.

    Hydra composes the defaults list from the config-group overrides, then applies the
    other ("value") overrides one by one with ``OmegaConf.update`` (ConfigLoaderImpl).
    This does the same, reusing the composition for jobs that share their group
    overrides. The first job of each group set is also composed by Hydra itself and the
    two compared; any difference switches the shortcut off for the whole sweep.
    """

    def __init__(self, config: Any):
        from hydra.core.global_hydra import GlobalHydra
        from hydra.core.override_parser.overrides_parser import OverridesParser

        self.config = config
        self.loader = GlobalHydra.instance().config_loader()
        self.parser = OverridesParser.create(config_loader=self.loader)
        self.groups = set(config.hydra.runtime.choices.keys())
        self.cache: dict[tuple[str, ...], Any] = {}
        self.checked: set[tuple[str, ...]] = set()
        self.fast = True

    def _hydra(self, lines: list[str]) -> Any:
        from omegaconf import open_dict

        cfg = self.loader.load_sweep_config(self.config, lines)
        with open_dict(cfg):
            del cfg["hydra"]
        return cfg

    def __call__(self, lines: list[str]) -> dict[str, Any]:
        import copy

        from omegaconf import OmegaConf

        if not self.fast:
            return self._reference(lines)
        group_lines: list[str] = []
        values: list[tuple[str, Any]] = []
        for o in self.parser.parse_overrides(lines):
            simple = o.package is None and not (o.is_add() or o.is_force_add() or o.is_delete())
            if simple and o.key_or_group not in self.groups and "/" not in o.key_or_group:
                values.append((o.key_or_group, o.value()))
            else:
                group_lines.append(str(o.input_line))
        sig = tuple(group_lines)
        if sig not in self.cache:
            base = self._hydra(group_lines)
            raw = OmegaConf.to_container(base, resolve=False)
            self.cache[sig] = (base, None if "${" in json.dumps(raw, default=str) else raw)
        base, plain = self.cache[sig]
        data: Any = None
        if plain is not None and all(not isinstance(v, dict | list) for _, v in values):
            data = copy.deepcopy(plain)  # no interpolation anywhere: plain data is exact
            for key, value in values:
                if not _set_existing(data, key, value):
                    data = None
                    break
        if data is None:
            try:
                cfg = copy.deepcopy(base)
                for key, value in values:
                    OmegaConf.update(cfg, key, value, merge=True)
                data = OmegaConf.to_container(cfg, resolve=True)
            except Exception:  # let Hydra compose it (and raise its own message)
                return self._reference(lines)
        if sig not in self.checked:
            self.checked.add(sig)
            reference = self._reference(lines)
            if reference != data:
                self.fast = False
                return reference
        assert isinstance(data, dict)
        return data

    def _reference(self, lines: list[str]) -> dict[str, Any]:
        from omegaconf import OmegaConf

        return OmegaConf.to_container(self._hydra(lines), resolve=True)  # type: ignore[return-value]


def _set_existing(data: dict[str, Any], dotted: str, value: Any) -> bool:
    """Set an existing leaf of plain nested dicts; False if the path does not exist."""
    *parents, leaf = dotted.split(".")
    node: Any = data
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if not isinstance(node, dict) or leaf not in node or isinstance(node[leaf], dict | list):
        return False
    node[leaf] = value
    return True


def _concurrency(config: Any, n_runs: int) -> int:
    """How many runs the launcher executes at once on this machine (0: other machines)."""
    launcher = config.hydra.launcher
    target = str(launcher.get("_target_", ""))
    if target.endswith("JoblibLauncher"):
        n = int(launcher.get("n_jobs") or 1)
        cpus = os.cpu_count() or 1
        n = cpus + 1 + n if n < 0 else n
        return max(1, min(n, n_runs))
    if target.endswith("LocalLauncher"):  # submitit_local starts every job at once
        return n_runs
    if target.endswith("SlurmLauncher"):
        return 0
    return 1  # Hydra's basic launcher: one after another


def plan(
    config: Any, sweep_dir: Path, complete: set[str] | None = None
) -> tuple[list[Job], dict[str, Any]]:
    """Expand, compose, validate and check the sweep; the jobs and the manifest.

    ``complete``, if given, receives the keys whose runs are already complete (every
    hash checked: a run with a ``DONE`` file but a damaged file will run again).
    Raises :class:`SweepRefused` with the numbers when the sweep must be refused.
    """
    from feedlab.experiments import record
    from feedlab.experiments.config import estimate_memory, machine_memory_bytes, validate
    from feedlab.experiments.schema import ConfigError

    jobs = [Job(i, o) for i, o in enumerate(expand(config))]
    max_runs = int(config.limits.max_runs)
    if len(jobs) > max_runs:
        raise SweepRefused(
            f"the grid has {len(jobs):,} runs, more "
            f"than limits.max_runs = {max_runs:,}; split the grid or raise the cap "
            f"(limits.max_runs={len(jobs)})"
        )
    problems: dict[str, list[int]] = {}
    budget = 0.0
    compose = _Composer(config)
    for job in jobs:
        try:
            data = compose(job.overrides)
            run, units = validate(data)
        except ConfigError as exc:
            for p in exc.problems:
                problems.setdefault(p, []).append(job.num)
            continue
        except Exception as exc:  # Hydra cannot compose this job (e.g. an unknown key)
            problem = " ".join(f"{type(exc).__name__}: {exc}".split())
            problems.setdefault(problem, []).append(job.num)
            continue
        job.key = record.run_key(data)
        job.memory_bytes = estimate_memory(run, *units.network.size_estimate())
        budget = run.limits.memory_gb * 2**30 or 0.8 * machine_memory_bytes()
    if problems:
        lines = []
        for p, nums in problems.items():
            first = jobs[nums[0]]
            lines.append(
                f"  {p}\n    in {len(nums)} of {len(jobs)} runs, e.g. job #{first.num}: "
                + " ".join(first.overrides)
            )
        raise SweepRefused("\n" + "\n".join(lines))

    runs_dir = sweep_dir / RUNS
    done = {k for k in {j.key for j in jobs} if record.is_complete(runs_dir / k)}
    if complete is not None:
        complete.update(done)
    todo = [j for j in jobs if j.key not in done]
    at_once = _concurrency(config, len(todo))
    if at_once > 1:
        biggest = sorted((j.memory_bytes for j in todo), reverse=True)[:at_once]
        need = sum(biggest)
        if need > budget:
            raise SweepRefused(
                f"{at_once} runs at once need an "
                f"estimated {need / 2**30:,.1f} GiB together (largest run "
                f"{biggest[0] / 2**30:,.1f} GiB), more than the budget of "
                f"{budget / 2**30:,.1f} GiB (limits.memory_gb; 0 = 80% of this machine); "
                "lower hydra.launcher.n_jobs"
            )

    from feedlab import __version__

    expected: dict[str, dict[str, Any]] = {}
    for job in jobs:
        entry = expected.setdefault(job.key, {"key": job.key, "overrides": job.overrides})
        entry.setdefault("jobs", []).append(job.num)
    manifest = {
        "format": FORMAT,
        "feedlab_version": __version__,
        "runs_dir": RUNS,
        "sweep_overrides": list(config.hydra.overrides.task),
        "launcher": str(config.hydra.launcher.get("_target_", "")),
        "n_jobs": len(jobs),
        "n_expected": len(expected),
        "expected": list(expected.values()),
    }
    return jobs, manifest


def write_manifest(sweep_dir: Path, manifest: dict[str, Any]) -> bool:
    """Write ``sweep.json`` atomically unless it already says the same; True if written."""
    from feedlab.experiments.record import write_json

    path = sweep_dir / MANIFEST
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()) == json.loads(json.dumps(manifest)):
            return False
    write_json(path, manifest)
    return True


# --------------------------------------------------------------------------------------
# one job: skip, or run isolated and record a failure


def run_job(
    cfg: Mapping[str, Any],
    overrides: Sequence[str],
    *,
    sweep_dir: str | Path,
    job_num: int | None = None,
) -> str:
    """One sweep job: ``"skipped"`` (already complete), ``"complete"`` or ``"failed"``.

    Never raises for anything a run does: a failure is written to
    ``<sweep>/failures/<key>.<attempt>.json`` and reported on stderr. While the run is in
    progress its lease ``<sweep>/started/<key>.json`` says so (:mod:`.leases`); a lease
    left by a job process that died is first turned into a failure record.
    """
    from feedlab.experiments import isolate, record

    _restrict_umask()
    root = Path(sweep_dir).absolute()
    data = dict(cfg)
    data["output"] = {**dict(cfg.get("output") or {}), "dir": str(root), "progress": False}
    key = record.run_key(data)
    final = root / RUNS / key
    if record.is_complete(final):
        return "skipped"
    limits = dict(data.get("limits") or {})
    _supersede_dead_lease(root, key)
    lease = leases.take(
        root, key, attempt=next_attempt(root, key), job_num=job_num, overrides=overrides
    )
    started = lease["started"]
    try:
        outcome = isolate.run_isolated(
            data,
            list(overrides),
            key,
            memory_gb=float(limits.get("run_memory_gb") or 0),
            timeout_s=float(limits.get("run_timeout_s") or 0),
        )
        if outcome.ok and record.is_complete(final):
            leases.release(root, key, lease)
            return "complete"
        reason = outcome.reason()
        if outcome.ok:
            reason = "exited with code 0 without committing a complete run"
        failure: dict[str, Any] = {
            "reason": reason,
            "exit_code": outcome.exit_code,
            "signal": outcome.signal,
            "signal_name": isolate._signal_name(outcome.signal) if outcome.signal else None,
            "timed_out": outcome.timed_out,
            "exception": outcome.report.get("exception"),
            "traceback": outcome.report.get("traceback") or outcome.report.get("raw"),
            "wall_seconds": outcome.wall_seconds,
            "run_pid": outcome.pid,
            "memory_limit_gb": outcome.memory_gb,
            "timeout_s": outcome.timeout_s,
            "injected_fault": outcome.fault,
        }
        _clean_staging(root, key, outcome.pid)
    except Exception as exc:  # the isolation machinery itself failed: still one run
        failure = {
            "reason": f"could not run in isolation: {type(exc).__name__}: {exc}",
            "exit_code": None,
            "signal": None,
            "exception": type(exc).__name__,
            "traceback": traceback.format_exc()[-12_000:],
        }
    path = record_failure(
        root,
        key,
        {
            "key": key,
            "job_num": job_num,
            "overrides": list(overrides),
            "started": started,
            "finished": _now(),
            **failure,
        },
    )
    leases.release(root, key, lease)
    print(f"feedlab: run {key} failed: {failure['reason']} (record: {path})", file=sys.stderr)
    return "failed"


def next_attempt(sweep_dir: Path, key: str) -> int:
    """The attempt number the next failure record of ``key`` would get."""
    return 1 + len(list((sweep_dir / FAILURES).glob(f"{key}.*.json")))


def _supersede_dead_lease(root: Path, key: str) -> None:
    """A lease of ``key`` whose job process is gone (on this host) becomes a failure
    record of its attempt, and the staging directories its run left are removed.
    """
    old = leases.read(root, key)
    if old is None or leases.holder_state(old) != "dead":
        return
    record_failure(
        root,
        key,
        {
            "key": key,
            "job_num": old.get("job_num"),
            "overrides": old.get("overrides"),
            "started": old.get("started"),
            "finished": None,
            "reason": leases.death_record_reason(old),
            "died": True,
            "exit_code": None,
            "signal": None,
            "host": old.get("host"),
            "job_pid": old.get("pid"),
            "slurm_job_id": old.get("slurm_job_id"),
            "recorded": _now(),
        },
    )
    with contextlib.suppress(OSError):
        leases.path(root, key).unlink()
    staging = root / RUNS / ".staging"
    with contextlib.suppress(OSError):
        for d in staging.glob(f"{key}.*"):
            parts = d.name.split(".")  # <key>.<run pid>.<random>: only dead runs' dirs
            if (
                len(parts) == 3
                and parts[1].isdigit()
                and leases.process_start(int(parts[1])) is None
            ):
                shutil.rmtree(d, ignore_errors=True)


def _clean_staging(root: Path, key: str, pid: int) -> None:
    """Remove the staging directory a dead run left (named <key>.<its pid>.<random>)."""
    staging = root / RUNS / ".staging"
    with contextlib.suppress(OSError):
        for d in staging.glob(f"{key}.{pid}.*"):
            shutil.rmtree(d, ignore_errors=True)


def record_failure(sweep_dir: Path, key: str, info: dict[str, Any]) -> Path:
    """Write ``failures/<key>.<attempt>.json`` with the next free attempt number,
    atomically (written aside, then hard-linked into its name, which fails if taken).
    """
    from feedlab import __version__

    folder = sweep_dir / FAILURES
    _mkdir(folder)
    info = {  # where the attempt ran: this job process, unless the caller says otherwise
        "host": socket.gethostname(),
        "job_pid": os.getpid(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        **info,
        "feedlab_version": __version__,
    }
    tmp = folder / f".{key}.{os.getpid()}.{time.monotonic_ns()}.tmp"
    attempt = next_attempt(sweep_dir, key)
    while True:
        info["attempt"] = attempt
        tmp.write_text(json.dumps(info, indent=1, sort_keys=True, default=str) + "\n")
        final = folder / f"{key}.{attempt}.json"
        try:
            try:
                os.link(tmp, final)
            except FileExistsError:
                raise
            except OSError:  # a filesystem without hard links: exclusive create instead
                fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                with os.fdopen(fd, "w") as f:
                    f.write(tmp.read_text())
        except FileExistsError:
            attempt += 1
            continue
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return final


# --------------------------------------------------------------------------------------
# verify


CATEGORIES = ("expected", "complete", "running", "failed", "died", "missing", "corrupt", "orphan")


@dataclass
class Report:
    """What a sweep directory holds, measured against its manifest."""

    sweep_dir: str
    expected: list[str]
    complete: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)  # started, its job process alive
    failed: list[str] = field(default_factory=list)  # not complete, with failure records
    died: list[str] = field(default_factory=list)  # started, job gone, no failure record
    missing: list[str] = field(default_factory=list)  # not complete, never started
    corrupt: list[str] = field(default_factory=list)  # a run dir that fails its checks
    orphan: list[str] = field(default_factory=list)  # in runs/ but not expected
    reasons: dict[str, str] = field(default_factory=dict)  # key -> last failure / problem

    @property
    def ok(self) -> bool:
        return len(self.complete) == len(self.expected)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in CATEGORIES}

    def text(self, limit: int = 50) -> str:
        c = self.counts()
        lines = [f"sweep {self.sweep_dir}: {'OK' if self.ok else 'INCOMPLETE'}"]
        for name, n in c.items():
            if name == "running" and not n:
                continue  # only while a launch is in progress
            lines.append(f"  {name:9s} {n:7d}")
            if name not in ("expected", "complete"):
                for item in getattr(self, name)[:limit]:
                    why = self.reasons.get(item)
                    lines.append(f"      {item}" + (f"  {why}" if why else ""))
                if n > limit:
                    lines.append(f"      ... {n - limit} more (--json lists all)")
        return "\n".join(lines)


def _last_failures(sweep_dir: Path) -> dict[str, tuple[int, str]]:
    """Key -> (attempt, reason) of its latest failure record."""
    out: dict[str, tuple[int, str]] = {}
    folder = sweep_dir / FAILURES
    if not folder.is_dir():
        return out
    for f in folder.glob("*.json"):
        parts = f.name.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        key, attempt = parts[0], int(parts[1])
        if key in out and out[key][0] >= attempt:
            continue
        try:
            reason = str(json.loads(f.read_text()).get("reason", ""))
        except (OSError, ValueError):
            reason = "(unreadable failure record)"
        out[key] = (attempt, reason)
    return out


def _check_run(run_dir: Path, key: str) -> str | None:
    """None if the run is complete and is the run its name says; else the problem."""
    import yaml

    from feedlab.experiments import record

    if not run_dir.is_dir():
        return "not a directory"
    if not record.is_complete(run_dir):
        return "DONE missing or a file does not match its hash"
    try:
        config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return "unreadable .hydra/config.yaml"
    if record.run_key(config) != key:
        return f"its config hashes to {record.run_key(config)}, not to its name"
    return None


def verify(sweep_dir: str | Path, *, launch_over: bool = False) -> Report:
    """Check every expected run of a sweep (hashes included) and list what else is there.

    A run that is not complete but has a lease newer than its last failure record was
    started and has not finished: *running* while its job process is alive, *died* when
    that process is gone. A lease from another host cannot be checked from here: it counts
    as running, unless ``launch_over`` (the launch that started it has ended, as at the
    end of ``feedlab run -m``), when no job of it can still be running.
    """
    root = Path(sweep_dir).absolute()
    manifest = load_manifest(root)
    keys = [e["key"] for e in manifest["expected"]]
    report = Report(str(root), keys)
    runs = root / RUNS
    failures = _last_failures(root)
    started = leases.read_all(root)
    for key in keys:
        d = runs / key
        last = failures.get(key)
        lease = started.get(key)
        if d.exists() or d.is_symlink():
            problem = _check_run(d, key)
            if problem is None:
                report.complete.append(key)
            else:
                report.corrupt.append(key)
                report.reasons[key] = problem
        elif lease is not None and (last is None or last[0] < _int(lease.get("attempt"))):
            state = leases.holder_state(lease)
            if launch_over and state == "alive" and _int(lease.get("pid")) == os.getpid():
                state = "dead"  # a job of the ended launch that ran in this very process
            if state == "alive" or (state == "unknown" and not launch_over):
                report.running.append(key)
                report.reasons[key] = leases.running_reason(lease, state)
            else:
                report.died.append(key)
                report.reasons[key] = leases.death_reason(lease, state)
        elif last is not None:
            report.failed.append(key)
            attempt, reason = last
            report.reasons[key] = f"attempt {attempt}: {reason}"
        else:
            report.missing.append(key)
    expected = set(keys)
    if runs.is_dir():
        for entry in sorted(os.listdir(runs)):
            if entry == ".staging":
                report.orphan.extend(
                    f".staging/{s}" for s in sorted(os.listdir(runs / entry)) if s[:1] != "."
                )
            elif entry not in expected:
                report.orphan.append(entry)
    return report


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def verify_main(argv: Sequence[str]) -> int:
    """``feedlab verify SWEEP_DIR``: exit 0 if and only if every expected run is complete."""
    parser = argparse.ArgumentParser(
        prog="feedlab verify",
        description="Check a sweep directory against its manifest (sweep.json): expected, "
        "complete, running, failed, died (started, job process gone, no failure record), "
        "missing (never started), corrupt and orphan runs. Exit code 0 if and only if "
        "every expected run is complete; 1 otherwise; 2 if SWEEP_DIR is not a sweep.",
    )
    parser.add_argument("sweep_dir", metavar="SWEEP_DIR")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args(list(argv))
    try:
        report = verify(args.sweep_dir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"feedlab verify: {args.sweep_dir}: not a sweep directory ({exc})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**asdict(report), "counts": report.counts(), "ok": report.ok}, indent=1))
    else:
        print(report.text())
    return 0 if report.ok else 1


# --------------------------------------------------------------------------------------
# the Hydra callback


class _Progress:
    """The sweep's progress line on stderr — done / failed / remaining / elapsed / ETA —
    read from the sweep directory (so it works with every launcher) by a thread of the
    launching process.

    On a terminal one line is rewritten in place; otherwise (a log file, a CI job) a new
    line is printed when the counts have changed, at most every ``every`` seconds. A run
    counts as done once its ``DONE`` file is written during this launch (or it was
    complete before it), as failed once a failure record of it is written during this
    launch.
    """

    def __init__(
        self,
        sweep_dir: Path,
        keys: Sequence[str],
        *,
        before: set[str],
        started: float,
        stream: Any = None,
        live: bool | None = None,
        every: float = 30.0,
        poll: float = 1.0,
    ):
        self.runs = sweep_dir / RUNS
        self.failures = sweep_dir / FAILURES
        self.keys = set(keys)
        self.done = set(before) & self.keys
        self.n_before = len(self.done)
        self.started = started
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.every = every
        self.poll = poll
        self.shown: tuple[int, int] | None = None
        self.last_print = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="feedlab-progress", daemon=True)
        self.thread.start()

    def counts(self) -> tuple[int, int]:
        """(done, failed) runs, from the sweep directory."""
        with contextlib.suppress(OSError):
            for name in os.listdir(self.runs):
                if name in self.keys and name not in self.done:
                    with contextlib.suppress(OSError):
                        if (self.runs / name / "DONE").stat().st_mtime >= self.started:
                            self.done.add(name)
        failed = set()
        with contextlib.suppress(OSError):
            for f in os.scandir(self.failures):
                key = f.name.split(".")[0]
                if key in self.keys and key not in self.done and key not in failed:
                    with contextlib.suppress(OSError):
                        if f.stat().st_mtime >= self.started:
                            failed.add(key)
        return len(self.done), len(failed)

    def line(self, done: int, failed: int, now: float) -> str:
        total = len(self.keys)
        remaining = total - done - failed
        finished = done - self.n_before + failed
        elapsed = now - self.started
        if remaining == 0:
            eta = "0:00"
        elif finished > 0:
            eta = _clock(elapsed / finished * remaining)
        else:
            eta = "?"
        return (
            f"sweep: {done}/{total} done, {failed} failed, {remaining} remaining, "
            f"{_clock(elapsed)} elapsed, ETA {eta}"
        )

    def show(self, final: bool = False) -> None:
        done, failed = self.counts()
        now = time.time()
        if self.live:
            self.stream.write("\r" + self.line(done, failed, now) + "\x1b[K")
            if final:
                self.stream.write("\n")
        elif (done, failed) != self.shown and (final or now - self.last_print >= self.every):
            self.stream.write(self.line(done, failed, now) + "\n")
            self.shown, self.last_print = (done, failed), now
        with contextlib.suppress(Exception):
            self.stream.flush()

    def _loop(self) -> None:
        while not self.stop.wait(self.poll):
            with contextlib.suppress(Exception):  # a progress line must never stop a sweep
                self.show()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.show(final=True)


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def check_launcher_available(config: Any) -> None:
    """Refuse (before anything is written) a launcher this machine cannot run: SLURM
    launchers need ``sbatch`` (to submit) and ``srun`` (submitit checks for it) on PATH.
    """
    target = str(config.hydra.launcher.get("_target_", ""))
    if target.endswith("SlurmLauncher"):
        absent = [c for c in ("sbatch", "srun") if shutil.which(c) is None]
        if absent:
            raise SweepRefused(
                "the SLURM launcher (hydra/launcher=slurm) needs SLURM, but "
                f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not on PATH "
                "on this machine; launch from a SLURM login node, or run locally with "
                "hydra/launcher=joblib (the default) or submitit_local"
            )


_ACTIVE: SweepCallback | None = None  # the launch in progress in this process, if any
_LAUNCHER_LOGGERS = ("hydra_plugins", "hydra._internal.core_plugins")


class SweepCallback(Callback):
    """Hydra callback (``hydra.callbacks.feedlab_sweep``): manifest, lock, progress line
    before the launch; verification and the exit code after it (module doc).
    """

    def __init__(self) -> None:
        self._lock: Any = None
        self._progress: _Progress | None = None
        self._started = 0.0
        self._before: set[str] = set()
        self._sweep_dir: Path | None = None
        self._quiet = False
        self._full_error: str | None = None

    # Launchers pickle Hydra's context (and with it this callback) to their workers:
    # nothing process-specific (lock, thread) may travel.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        try:
            self._start(config)
        except SweepRefused as exc:
            print(f"feedlab: sweep refused before launch: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        except Exception:  # Hydra would only warn and launch anyway: refuse instead
            traceback.print_exc()
            print("feedlab: sweep refused: could not prepare the manifest", file=sys.stderr)
            raise SystemExit(2) from None

    def _start(self, config: Any) -> None:
        global _ACTIVE
        _restrict_umask()
        check_launcher_available(config)
        sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        quiet = bool(config.output.get("quiet", False))
        t0 = time.perf_counter()
        complete: set[str] = set()
        jobs, manifest = plan(config, sweep_dir, complete)  # no side effects on refusal
        _mkdir(sweep_dir)
        self._lock = _acquire_lock(sweep_dir)
        write_manifest(sweep_dir, manifest)
        keys = [e["key"] for e in manifest["expected"]]
        self._sweep_dir, self._quiet = sweep_dir, quiet
        self._before = complete & set(keys)
        self._started = time.time()
        if quiet:  # the launchers' per-job log lines too
            for name in _LAUNCHER_LOGGERS:
                logging.getLogger(name).setLevel(logging.WARNING)
        else:
            print(
                f"feedlab sweep {sweep_dir}: {len(jobs)} jobs, {len(keys)} distinct runs, "
                f"{len(self._before)} already complete (planned in "
                f"{time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
            )
        if not quiet and bool(config.output.get("progress", True)) and self._before != set(keys):
            self._progress = _Progress(sweep_dir, keys, before=self._before, started=self._started)
        # If the launcher itself fails (a killed worker), let the exception reach
        # feedlab.experiments.app.main (launch_aborted) instead of Hydra printing it.
        self._full_error = os.environ.get("HYDRA_FULL_ERROR")
        os.environ["HYDRA_FULL_ERROR"] = "1"
        _ACTIVE = self

    def _finish(self) -> Report:
        """Stop the progress line, verify, release the lock and Hydra's error switch."""
        global _ACTIVE
        _ACTIVE = None
        if self._full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = self._full_error
        if self._progress is not None:
            self._progress.close()
        assert self._sweep_dir is not None
        report = verify(self._sweep_dir, launch_over=True)
        _release_lock(self._lock)
        return report

    def _summary(self, report: Report) -> str:
        executed = [k for k in report.complete if k not in self._before]
        died = f"{len(report.died)} died, " if report.died else ""
        return (
            f"  this launch: {len(executed)} runs executed and complete, "
            f"{len(report.failed)} failed, {died}{len(self._before)} skipped (already complete)"
        )

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        report = self._finish()
        if not self._quiet or not report.ok:
            print(report.text(limit=20), file=sys.stderr)
            print(self._summary(report), file=sys.stderr)
        if not report.ok:
            print(
                f"feedlab: sweep incomplete; re-launch the same command to resume, or "
                f"inspect with: feedlab verify {self._sweep_dir}",
                file=sys.stderr,
            )
            raise SystemExit(1)

    def abort(self, exc: BaseException) -> None:
        """The launcher gave up (exception or Ctrl-C): report and exit 1 (130 on Ctrl-C)."""
        interrupted = isinstance(exc, KeyboardInterrupt)
        if self._full_error and not interrupted:  # the user asked for Hydra's full errors
            traceback.print_exception(exc)
        _wait_for_jobs(self._sweep_dir, timeout=10.0)
        report = self._finish()
        why = "interrupted (Ctrl-C)" if interrupted else _one_line(exc)
        print(f"feedlab: the launcher stopped the sweep: {why}", file=sys.stderr)
        print(report.text(limit=20), file=sys.stderr)
        print(self._summary(report), file=sys.stderr)
        if report.died:
            print(
                f"feedlab: {len(report.died)} run(s) died with their job process (listed "
                "under died); completed runs are kept",
                file=sys.stderr,
            )
        print(
            f"feedlab: sweep {'complete' if report.ok else 'incomplete'}; re-launch the same "
            f"command to resume, or inspect with: feedlab verify {self._sweep_dir}",
            file=sys.stderr,
        )
        raise SystemExit(130 if interrupted else 1)


def _one_line(exc: BaseException) -> str:
    """``Type: first sentence`` of an exception (loky's worker errors run to a page)."""
    text = " ".join(str(exc).split())
    first = text.split(". ")[0].rstrip(".")
    codes = text.find("The exit codes of the workers are")  # loky: which signal
    if codes >= 0:
        first += "; the" + text[codes + 3 :].split(". ")[0].split(" Detailed")[0].rstrip(".")
    return f"{type(exc).__name__}: {first[:300]}"


def _wait_for_jobs(sweep_dir: Path | None, timeout: float) -> None:
    """Give the job processes of this host that hold leases a moment to exit (a broken
    joblib pool terminates its other workers), so that they are reported as died.
    """
    if sweep_dir is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [
            lease
            for lease in leases.read_all(sweep_dir).values()
            if leases.holder_state(lease) == "alive" and lease.get("pid") != os.getpid()
        ]
        if not alive:
            return
        time.sleep(0.2)


def launch_aborted(exc: BaseException) -> None:
    """Called with an exception that left Hydra's launch: if a sweep launch was in
    progress in this process, print its report and exit (1; 130 on Ctrl-C); otherwise
    return (the caller re-raises).
    """
    if _ACTIVE is not None:
        _ACTIVE.abort(exc)


def _acquire_lock(sweep_dir: Path) -> Any:
    """An exclusive lock on the sweep directory for the duration of a launch."""
    import fcntl

    f = open(sweep_dir / LOCK, "a")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise SweepRefused(
            f"another launch is using {sweep_dir} (lock {LOCK}); "
            "wait for it, or choose another hydra.sweep.dir"
        ) from None
    return f


def _release_lock(lock: Any) -> None:
    if lock is not None:
        with contextlib.suppress(OSError):
            lock.close()
