"""The machine a benchmark runs on: hardware, package versions, load, commit, memory.

Every results JSON records these beside the numbers, since absolute rates mean nothing
without the machine and its load (the report says when the machine was shared).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

from feedlab.benchmarks.settings import ROOT

#: the packages whose versions a results JSON records
PACKAGES = ("feedlab", "numpy", "numba", "scipy", "mesa", "networkx", "igraph", "ndlib")


def log(msg: str) -> None:
    """Print one progress line with the time of day (a suite runs for minutes)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_text(path: str) -> str:
    """The text of ``path``, or ``""`` where it does not exist (e.g. /proc off Linux)."""
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def commit() -> str:
    """The checked-out commit, read from .git (no git command is run)."""
    head = read_text(str(ROOT / ".git" / "HEAD")).strip()
    if head.startswith("ref: "):
        ref = head[5:]
        sha = read_text(str(ROOT / ".git" / ref)).strip()
        if not sha:
            for line in read_text(str(ROOT / ".git" / "packed-refs")).splitlines():
                if line.endswith(" " + ref):
                    sha = line.split()[0]
        return sha or "unknown"
    return head or "unknown"


def _field(text: str, prefix: str) -> str | None:
    """The rest of the first line of ``text`` starting with ``prefix``."""
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :]
    return None


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python, package versions and commit of this run."""
    model = _field(read_text("/proc/cpuinfo"), "model name")
    cpu = model.split(":", 1)[1].strip() if model is not None else "unknown"
    mem = _field(read_text("/proc/meminfo"), "MemTotal:")
    mem_gb = int(mem.split()[0]) / 2**20 if mem is not None else float("nan")
    versions: dict[str, str | None] = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "cpu_model": cpu,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_total_gb": round(mem_gb, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit(),
        "threads_per_measurement": 1,
    }


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages, recorded before and after each section."""
    return [round(v, 2) for v in os.getloadavg()]


def peak_rss_gb() -> float:
    """Peak resident memory of this process image, GiB: ``VmHWM`` from /proc (reset by
    ``exec``). ``getrusage``'s ``ru_maxrss`` survives ``execve`` on Linux, so a worker
    started by a large parent would report the parent's peak; it is the fallback only.
    """
    hwm = _field(read_text("/proc/self/status"), "VmHWM:")
    if hwm is not None:
        return int(hwm.split()[0]) / 2**20  # kB -> GiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB


def have_ndlib() -> tuple[bool, str]:
    """Whether ndlib (the ``bench`` extra) imports, and if not, why."""
    try:
        import ndlib.models.epidemics
        import ndlib.models.opinions  # noqa: F401
    except Exception as exc:  # ImportError, or ndlib's own missing six/sklearn
        return (
            False,
            f"ndlib not importable ({type(exc).__name__}: {exc}); pip install -e '.[bench]'",
        )
    return True, ""
