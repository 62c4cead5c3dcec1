"""``feedlab verify``: what a sweep directory holds, measured against its manifest.

Every expected run (``sweep.json``) is *complete* (``DONE`` present, every file hash
matching, and its config hashing to its name), *corrupt* (a run directory that fails those
checks), *running* or *died* (started: a lease newer than its last failure record, its job
process alive or gone), *failed* (failure records, no newer lease) or *missing* (never
started). Anything else under ``runs/`` is an *orphan*: a run of an earlier grid or a
staging leftover, never counted. The exit code is 0 if and only if every expected run is
complete, so a script or CI job can trust it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from feedlab.experiments import leases
from feedlab.experiments.sweepdir import FAILURES, RUNS, STAGING, load_manifest

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
        """Whether every expected run is complete (the sweep's exit code is 0)."""
        return len(self.complete) == len(self.expected)

    def counts(self) -> dict[str, int]:
        """How many runs fall in each of :data:`CATEGORIES`, in that order."""
        return {name: len(getattr(self, name)) for name in CATEGORIES}

    def text(self, limit: int = 50) -> str:
        """The report as ``feedlab verify`` prints it: the counts, and under each category
        but expected and complete its first ``limit`` runs with their reasons.
        """
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


def _check_run(run_dir: Path, key: str, committed: bool = False) -> str | None:
    """None if the run is complete and is the run its name says; else the problem.

    ``committed``: this process saw the run commit under this name moments ago, and its
    run process checked that the config it wrote gives this key; the config file is then
    not parsed again (~1.5 ms a run, most of the check's time) — its hash, like every
    file's, still is. A resume and ``feedlab verify`` parse it.
    """
    import yaml

    from feedlab.experiments import record

    if not run_dir.is_dir():
        return "not a directory"
    if not record.is_complete(run_dir):
        return "DONE missing or a file does not match its hash"
    if committed:
        return None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster
        config = yaml.load((run_dir / ".hydra" / "config.yaml").read_text(), Loader=loader)
    except (OSError, yaml.YAMLError):
        return "unreadable .hydra/config.yaml"
    if record.run_key(config) != key:
        return f"its config hashes to {record.run_key(config)}, not to its name"
    return None


def verify(
    sweep_dir: str | Path, *, launch_over: bool = False, committed: Collection[str] = ()
) -> Report:
    """Check every expected run of a sweep (hashes included) and list what else is there.

    A run that is not complete but has a lease newer than its last failure record was
    started and has not finished: *running* while its job process is alive, *died* when
    that process is gone. A lease from another host cannot be checked from here: it counts
    as running, unless ``launch_over`` (the launch that started it has ended, as at the
    end of ``feedlab run -m``), when no job of it can still be running. ``committed``: keys
    whose runs the calling launch saw commit (:func:`_check_run`).
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
            _classify_present(report, d, key, key in committed)
        elif lease is not None and (last is None or last[0] < _int(lease.get("attempt"))):
            _classify_started(report, key, lease, launch_over)
        elif last is not None:
            report.failed.append(key)
            attempt, reason = last
            report.reasons[key] = f"attempt {attempt}: {reason}"
        else:
            report.missing.append(key)
    report.orphan.extend(_orphans(runs, set(keys)))
    return report


def _classify_present(report: Report, run_dir: Path, key: str, committed: bool = False) -> None:
    """A run whose directory exists: complete, or corrupt with the problem."""
    problem = _check_run(run_dir, key, committed)
    if problem is None:
        report.complete.append(key)
    else:
        report.corrupt.append(key)
        report.reasons[key] = problem


def _classify_started(report: Report, key: str, lease: dict[str, Any], launch_over: bool) -> None:
    """A run started and not finished (its lease is newer than its last failure record):
    running while its job process may be alive, died otherwise (:func:`verify`).
    """
    state = leases.holder_state(lease)
    if launch_over and state == "alive" and _int(lease.get("pid")) == os.getpid():
        state = "dead"  # a job of the ended launch that ran in this very process
    if state == "alive" or (state == "unknown" and not launch_over):
        report.running.append(key)
        report.reasons[key] = leases.running_reason(lease, state)
    else:
        report.died.append(key)
        report.reasons[key] = leases.death_reason(lease, state)


def _orphans(runs: Path, expected: set[str]) -> list[str]:
    """What ``runs/`` holds that the manifest does not expect: runs of another grid, and
    staging directories (as ``.staging/<name>``), sorted.
    """
    out: list[str] = []
    if not runs.is_dir():
        return out
    for entry in sorted(os.listdir(runs)):
        if entry == STAGING:
            out.extend(f"{STAGING}/{s}" for s in sorted(os.listdir(runs / entry)) if s[:1] != ".")
        elif entry not in expected:
            out.append(entry)
    return out


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
