"""One sweep job: skip it if its run is already complete, otherwise run it in an isolated
child process (:mod:`feedlab.experiments.isolate`) and, if it did not commit a complete
run, write a failure record.

A lease (:mod:`feedlab.experiments.leases`) marks the run as started until then, so that
``feedlab verify`` can tell a running run from one whose job process died.
:func:`run_job` never raises for anything a run does: one failure never takes the
launcher's pool down. Failure records live under ``<sweep>/failures/``, never under
``runs/``, one file per attempt, written atomically with the next free attempt number.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedlab.experiments import leases
from feedlab.experiments.sweepdir import FAILURES, RUNS, STAGING, make_dir, now, restrict_umask

if TYPE_CHECKING:
    from feedlab.experiments.isolate import Outcome


_INTERRUPTED = "interrupted: the launch was stopped (Ctrl-C) while the run was in progress"


def run_job(
    cfg: Mapping[str, Any],
    overrides: Sequence[str],
    *,
    sweep_dir: str | Path,
    job_num: int | None = None,
    key: str | None = None,
    interrupted: threading.Event | None = None,
) -> str:
    """One sweep job: ``"skipped"`` (already complete), ``"complete"`` or ``"failed"``.

    Never raises for anything a run does: a failure is written to
    ``<sweep>/failures/<key>.<attempt>.json`` and reported on stderr. While the run is in
    progress its lease ``<sweep>/started/<key>.json`` says so (:mod:`.leases`); a lease
    left by a job process that died is first turned into a failure record.

    ``key``, if given, is the run key the sweep planned for this job: a config that gives
    another key is not run (a failure record says so). ``interrupted``, if given and set
    when the run fails, makes the record say the launch was interrupted (Ctrl-C).
    """
    from feedlab.experiments import isolate, record

    restrict_umask()
    root = Path(sweep_dir).absolute()
    data = dict(cfg)
    data["output"] = {**dict(cfg.get("output") or {}), "dir": str(root), "progress": False}
    planned, key = key, record.run_key(data)
    final = root / RUNS / key
    if planned is not None and planned != key:
        key, final = planned, root / RUNS / planned
        path = record_failure(
            root,
            key,
            {
                "key": key,
                "job_num": job_num,
                "overrides": list(overrides),
                "started": now(),
                "finished": now(),
                "reason": f"its config gives run key {record.run_key(data)}, not the planned "
                f"{key}: not run",
                "exit_code": None,
                "signal": None,
            },
        )
        print(f"feedlab: run {key} not run: config mismatch (record: {path})", file=sys.stderr)
        return "failed"
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
        failure = _outcome_failure(outcome)
        _clean_staging(root, key, outcome.pid)
        if interrupted is not None and interrupted.is_set():  # killed by the interruption
            failure["reason"] = _INTERRUPTED
    except Exception as exc:  # the isolation machinery itself failed: still one run
        why = f"could not run in isolation: {type(exc).__name__}: {exc}"
        run_pid = getattr(exc, "run_pid", None)  # the worker died with the run in it
        if run_pid is not None:
            _clean_staging(root, key, run_pid)
        if interrupted is not None and interrupted.is_set():
            why = _INTERRUPTED
        failure = {
            "reason": why,
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
            "finished": now(),
            **failure,
        },
    )
    leases.release(root, key, lease)
    print(f"feedlab: run {key} failed: {failure['reason']} (record: {path})", file=sys.stderr)
    return "failed"


def _outcome_failure(outcome: Outcome) -> dict[str, Any]:
    """The failure record fields of an isolated run that did not commit a complete run:
    why, how its process ended, and the limits it ran under.
    """
    from feedlab.experiments import isolate

    reason = outcome.reason()
    if outcome.ok:
        reason = "exited with code 0 without committing a complete run"
    return {
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
            "recorded": now(),
        },
    )
    with contextlib.suppress(OSError):
        leases.path(root, key).unlink()
    staging = root / RUNS / STAGING
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
    staging = root / RUNS / STAGING
    with contextlib.suppress(OSError):
        for d in staging.glob(f"{key}.{pid}.*"):
            shutil.rmtree(d, ignore_errors=True)


def record_failure(sweep_dir: Path, key: str, info: dict[str, Any]) -> Path:
    """Write ``failures/<key>.<attempt>.json`` with the next free attempt number,
    atomically (written aside, then hard-linked into its name, which fails if taken).
    """
    from feedlab import __version__

    folder = sweep_dir / FAILURES
    make_dir(folder)
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
