"""Sweep throughput: runs per minute of many small runs, and the cost of resuming a complete
sweep, for this checkout and a baseline commit side by side in one benchmark run.

The workload is a sweep of ``network.n=200 steps=10`` over seeds (``feedlab run -m``, the
real command in a subprocess, ``output.quiet=true``) at 1 and 2 workers
(``hydra.launcher.n_jobs``), then the same command again on the complete sweep (resume:
nothing to run). Each measurement is timed in wall-clock time and in CPU time: the CPU
time of the launching process and every process below it (its workers, their
run-isolation processes and runs; ``RUSAGE_CHILDREN``, with this process a child
subreaper so that processes a launcher leaves behind are waited for and counted), so that a machine shared with
other work slows the wall clock but hardly the CPU figure. The CPU rate is runs per
CPU-minute; the ideal wall rate of *w* workers on *w* idle cores is *w* times it.

The baseline (``--baseline-commit``, e.g. ``9e09ef3``, the commit before sweeps in
batches) is extracted with ``git archive`` into a temporary folder and imported instead
of this checkout through ``PYTHONPATH`` (a folder holding a ``feedlab`` link to it), with
the same interpreter and installed packages; ``--baseline DIR`` takes an existing
checkout. Every variant first runs one small sweep to fill its Numba cache (not timed).
This checkout's sweeps run ``--throughput-repeats`` times (default 3), 1 and 2 workers
alternating, and the repeat with the median wall time is reported with every repeat's
wall time beside it (on a virtual machine the host can slow a whole sweep by a third from
one minute to the next); the baseline's far longer sweeps run
``--throughput-baseline-repeats`` times (default 1).
The baseline runs the same number of runs by default; ``--throughput-baseline-runs``
makes its sweep shorter (fewer runs weigh its start-up costs more; both counts are
recorded).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from feedlab.benchmarks.machine import loadavg, log

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = ["network.n=200", "steps=10"]
_PR_SET_CHILD_SUBREAPER = 36


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _become_subreaper() -> bool:
    """Linux: orphaned descendants (a joblib worker its launcher left running) are
    re-parented to this process rather than to init, so that :func:`_reap` can wait for
    them and their CPU time is counted (``RUSAGE_CHILDREN`` counts waited processes only).
    """
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap(timeout: float = 120.0) -> None:
    """Wait for every remaining child of this process (re-parented orphans included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def _sweep(env: dict[str, str], out: Path, runs: int, workers: int, cwd: Path) -> dict[str, float]:
    """One ``feedlab run -m`` of ``runs`` seeds into ``out``: wall and CPU seconds."""
    cmd = [
        sys.executable,
        "-m",
        "feedlab.experiments.cli",
        "run",
        "-m",
        *WORKLOAD,
        f"seed=range(0,{runs})",
        f"output.dir={out}",
        f"hydra.launcher.n_jobs={workers}",
        "output.quiet=true",
    ]
    _become_subreaper()
    before = {p.parent.name for p in out.glob("**/runs/*/manifest.json")}
    cpu0, t0, epoch0 = _children_cpu(), time.perf_counter(), time.time()
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=7200)
    wall = time.perf_counter() - t0
    epoch1 = time.time()
    _reap()  # the processes the command left behind, so that their CPU time counts
    cpu = _children_cpu() - cpu0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-2000:]}")
    return {"wall_seconds": wall, "cpu_seconds": cpu, **_fixed_parts(out, before, epoch0, epoch1)}


def _fixed_parts(out: Path, before: set[str], epoch0: float, epoch1: float) -> dict[str, float]:
    """The parts of a sweep's wall time that its workers cannot share, from the manifests
    of the runs it made (each records when its run started and its wall seconds): until
    the first run starts (the launch: imports, composing, planning, the first worker's
    pre-imported process) and after the last run ends (verifying, exit). Empty when the
    sweep ran nothing (a resume).
    """
    spans = []
    for path in out.glob("**/runs/*/manifest.json"):
        if path.parent.name in before:
            continue
        m = json.loads(path.read_text())
        start = dt.datetime.fromisoformat(m["started"]).timestamp()
        spans.append((start, start + float(m["wall_seconds"])))
    if not spans:
        return {}
    return {
        "first_run_start_seconds": min(s for s, _ in spans) - epoch0,
        "after_last_run_seconds": epoch1 - max(e for _, e in spans),
    }


def _variant(
    name: str, env: dict[str, str], runs: int, work: Path, repeats: int = 1
) -> dict[str, Any]:
    """Warm-up, then ``runs`` runs at 1 and at 2 workers (``repeats`` times, alternating,
    each into a fresh folder), then the resume of the last 2-worker sweep. Each worker
    count's figures are those of its repeat with the median wall time; every repeat's wall
    time is kept (``wall_seconds_all``): a virtual machine's host can slow a whole sweep
    by a third from one minute to the next.
    """
    cwd = work / f"{name}-cwd"
    cwd.mkdir()
    _sweep(env, work / f"{name}-warm", 2, 1, cwd)  # the Numba cache, not timed
    out: dict[str, Any] = {"runs": runs, "repeats": repeats}
    trials: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for rep in range(repeats):
        for workers in (1, 2):
            log(f"throughput: {name}, {runs} runs, {workers} worker(s), repeat {rep + 1}/{repeats}")
            m: dict[str, Any] = dict(
                _sweep(env, work / f"{name}-{workers}-{rep}", runs, workers, cwd)
            )
            m["runs_per_min_wall"] = runs / m["wall_seconds"] * 60
            m["runs_per_cpu_min"] = runs / m["cpu_seconds"] * 60
            m["load"] = loadavg()
            trials[workers].append(m)
    for workers, ms in trials.items():
        ranked = sorted(ms, key=lambda m: m["wall_seconds"])
        out[f"workers_{workers}"] = {
            **ranked[(len(ranked) - 1) // 2],
            "wall_seconds_all": [m["wall_seconds"] for m in ms],
        }
    log(f"throughput: {name}, resume of the complete sweep")
    out["resume"] = _sweep(env, work / f"{name}-2-{repeats - 1}", runs, 2, cwd)
    return out


def baseline_checkout(commit: str, into: Path) -> Path:
    """``git archive`` of ``commit`` of this repository, extracted into ``into/src``."""
    src = into / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    return src


def _env(checkout: Path | None, work: Path) -> dict[str, str]:
    """The environment that imports ``checkout`` as ``feedlab`` (None: this checkout)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FEEDLAB_TEST_FAULTS")}
    if checkout is not None:
        path = work / "baseline-path"
        path.mkdir()
        (path / "feedlab").symlink_to(checkout.resolve(), target_is_directory=True)
        env["PYTHONPATH"] = str(path)
    return env


def bench_throughput(
    runs: int = 200,
    baseline: Path | None = None,
    baseline_commit: str | None = None,
    baseline_runs: int = 200,
    repeats: int = 3,
    baseline_repeats: int = 1,
) -> dict[str, Any]:
    """The throughput workload (module doc); the results JSON's ``throughput`` entry."""
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "workload": " ".join(WORKLOAD),
        "load_before": loadavg(),
        "cores": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="feedlab-throughput-") as tmp:
        work = Path(tmp)
        result["feedlab"] = _variant("feedlab", _env(None, work), runs, work, repeats)
        if baseline is None and baseline_commit:
            baseline = baseline_checkout(baseline_commit, work / "baseline")
        if baseline is not None:
            result["baseline"] = _variant(
                "baseline", _env(baseline, work), baseline_runs, work, baseline_repeats
            )
            result["baseline"]["source"] = baseline_commit or str(baseline)
        shutil.rmtree(work, ignore_errors=True)
    result["load_after"] = loadavg()
    result["wall_seconds"] = time.perf_counter() - t0
    result["ratios"] = ratios(result)
    return result


def ratios(result: dict[str, Any]) -> dict[str, float | None]:
    """The figures the targets are about: feedlab against the baseline at 2 workers and
    2 workers against 1, in CPU time and in wall time; the resume's seconds.
    """
    f = result["feedlab"]
    b = result.get("baseline")
    out: dict[str, float | None] = {
        "two_vs_one_wall": f["workers_2"]["runs_per_min_wall"]
        / f["workers_1"]["runs_per_min_wall"],
        "two_vs_one_cpu": f["workers_2"]["runs_per_cpu_min"] / f["workers_1"]["runs_per_cpu_min"],
        "resume_cpu_seconds": f["resume"]["cpu_seconds"],
        "resume_wall_seconds": f["resume"]["wall_seconds"],
        "vs_baseline_2_workers_wall": None,
        "vs_baseline_2_workers_cpu": None,
    }
    if b:
        out["vs_baseline_2_workers_wall"] = (
            f["workers_2"]["runs_per_min_wall"] / b["workers_2"]["runs_per_min_wall"]
        )
        out["vs_baseline_2_workers_cpu"] = (
            f["workers_2"]["runs_per_cpu_min"] / b["workers_2"]["runs_per_cpu_min"]
        )
    return out
