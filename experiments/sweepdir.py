"""The sweep directory: the names of its parts, its manifest, and what every writer of it
shares (a umask that grants no group/world write, UTC timestamps).

::

    <sweep>/sweep.json                 manifest: every expected run key and its overrides
    <sweep>/runs/<run key>/            committed runs (experiments/record.py layout)
    <sweep>/runs/.staging/             runs being written (private; renamed into place)
    <sweep>/failures/<key>.<n>.json    one record per failed attempt n (never under runs/)
    <sweep>/started/<key>.json         the lease of a run in progress (experiments/leases.py)
    <sweep>/.lock                      held while a launch is running

Readers of a sweep go through the manifest (:func:`expected_runs`, :func:`complete_runs`),
never a listing of ``runs/``: a directory whose key the manifest does not list is an orphan
of an earlier grid.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST = "sweep.json"
RUNS = "runs"
STAGING = ".staging"
FAILURES = "failures"
LOCK = ".lock"
FORMAT = 1


def restrict_umask() -> None:
    """Never grant group/world write (only ever tightens the user's umask)."""
    old = os.umask(0o022)
    os.umask(old | 0o022)


def make_dir(path: Path) -> None:
    """Create ``path`` and its parents (mode 0o755, so never group/world-writable)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o755)


def now() -> str:
    """The current time as an ISO 8601 UTC timestamp (the records' ``started``/``finished``)."""
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
