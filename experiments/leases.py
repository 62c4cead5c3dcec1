"""Run leases: the trace a sweep run leaves when it starts, so that a run whose job
process died can be told apart from a run that never started.

``<sweep>/started/<run key>.json`` is written (atomically) by the sweep job just before it
starts the run's isolated child process, and removed when the run has committed or its
failure record is written (:func:`feedlab.experiments.execute.run_job`)::

    {"key": "a992aaea1553b6f1", "attempt": 1, "job_num": 2, "overrides": ["seed=2"],
     "host": "node17", "pid": 81234, "pid_start": "1234567", "started": "2026-...",
     "slurm_job_id": null}

``pid`` is the job process (a joblib worker, a SLURM array task), not the run's child:
the child dies with its job (``PR_SET_PDEATHSIG``), so the job is the process whose death
loses a run without a record. ``pid_start`` is that process's start time in clock ticks
since boot (``/proc/<pid>/stat``, field 22), so that a pid reused by another process is
not mistaken for the job (proc(5)).

A lease that outlives its job process is the only trace of a death that left no failure
record (the job was SIGKILLed, e.g. by the out-of-memory killer or SLURM's time limit):
``feedlab verify`` lists the run as *died*, with host, pid and start time. The next
attempt of the run turns a dead lease into a failure record (so the history and the
attempt numbers stay whole) and removes the staging directory the dead run left.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

STARTED = "started"
State = Literal["alive", "dead", "unknown"]


def process_start(pid: int) -> str | None:
    """An identity of the live process ``pid``: its start time (clock ticks since boot,
    Linux ``/proc/<pid>/stat`` field 22); ``""`` where there is no ``/proc`` but the
    process exists; None if no live process has that pid (a zombie counts as dead).
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
    if fields[0] in ("Z", "X"):  # zombie or dead: killed, not yet reaped
        return None
    return fields[19]


def path(sweep_dir: Path, key: str) -> Path:
    """Where the lease of run ``key`` lives: ``<sweep>/started/<key>.json``."""
    return sweep_dir / STARTED / f"{key}.json"


def take(
    sweep_dir: Path, key: str, *, attempt: int, job_num: int | None, overrides: Sequence[str]
) -> dict[str, Any]:
    """Write the lease of run ``key`` for this (job) process; returns it."""
    from feedlab.experiments.record import write_json

    pid = os.getpid()
    lease = {
        "key": key,
        "attempt": attempt,
        "job_num": job_num,
        "overrides": list(overrides),
        "host": socket.gethostname(),
        "pid": pid,
        "pid_start": process_start(pid),
        "started": datetime.now(UTC).isoformat(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
    }
    folder = sweep_dir / STARTED
    folder.mkdir(parents=True, exist_ok=True, mode=0o755)
    # not fsynced (~1.7 ms a run on the worker's path): a lease only has to outlive its
    # job process; after a machine crash a lost lease makes the run "missing" instead
    # of "died", and either way the next launch runs it again
    write_json(path(sweep_dir, key), lease, durable=False)
    return lease


def release(sweep_dir: Path, key: str, lease: dict[str, Any]) -> None:
    """Remove the lease of ``key`` if it is still ours (another job of the same key may
    have taken it since).
    """
    current = read(sweep_dir, key)
    mine = ("host", "pid", "started")
    if current is not None and all(current.get(k) == lease.get(k) for k in mine):
        with contextlib.suppress(OSError):
            path(sweep_dir, key).unlink()


def read(sweep_dir: Path, key: str) -> dict[str, Any] | None:
    """The lease of run ``key``, or None if there is none or it cannot be read."""
    try:
        data = json.loads(path(sweep_dir, key).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_all(sweep_dir: Path) -> dict[str, dict[str, Any]]:
    """Every readable lease of the sweep, by run key."""
    out: dict[str, dict[str, Any]] = {}
    folder = sweep_dir / STARTED
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            name = entry.name
            if name.endswith(".json") and not name.startswith("."):
                lease = read(sweep_dir, name[: -len(".json")])
                if lease is not None:
                    out[name[: -len(".json")]] = lease
    return out


def holder_state(lease: dict[str, Any]) -> State:
    """Whether the job process that took ``lease`` is alive; ``unknown`` on another host."""
    if lease.get("host") != socket.gethostname():
        return "unknown"
    try:
        pid = int(lease["pid"])
    except (KeyError, TypeError, ValueError):
        return "dead"
    start = process_start(pid)
    if start is None:
        return "dead"
    recorded = lease.get("pid_start")
    if recorded and start and start != recorded:  # the pid now belongs to another process
        return "dead"
    return "alive"


def _where(lease: dict[str, Any]) -> str:
    slurm = f", SLURM job {lease['slurm_job_id']}" if lease.get("slurm_job_id") else ""
    return (
        f"job #{lease.get('job_num')}, pid {lease.get('pid')} on host {lease.get('host')}"
        f"{slurm}, started {lease.get('started')}, attempt {lease.get('attempt')}"
    )


def death_reason(lease: dict[str, Any], state: State) -> str:
    """One line for ``feedlab verify``: how a started run whose job process is gone died."""
    how = (
        "its job process is gone"
        if state == "dead"
        else "its job ended with the launch (the launcher lost it)"
    )
    return (
        f"started, never finished, no failure record: {how} ({_where(lease)}); "
        "e.g. SIGKILL or the out-of-memory killer took the job process"
    )


def death_record_reason(lease: dict[str, Any]) -> str:
    """The reason of the failure record a dead lease becomes when the run starts again."""
    return (
        f"the job process died before the run finished ({_where(lease)}), leaving no "
        "failure record (e.g. SIGKILL or the out-of-memory killer); recorded when the run "
        "was started again"
    )


def running_reason(lease: dict[str, Any], state: State) -> str:
    """Why ``feedlab verify`` lists a run as running: its job process is alive here, or
    the lease is another host's and cannot be checked from this one.
    """
    if state == "alive":
        return f"running: its job process is alive ({_where(lease)})"
    return (
        f"started on another host ({_where(lease)}); whether it is still running cannot be "
        "checked from here: run feedlab verify on that host, or after the launch has ended"
    )
