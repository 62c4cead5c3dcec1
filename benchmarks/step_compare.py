"""The large-N feed step against a baseline commit and the access floor, in one run.

    python -m feedlab.benchmarks.step_compare --baseline 9e09ef3 --n 100000 1000000
    python -m feedlab.benchmarks.step_compare --report-only   # redraw the doc section

For each N, in one run and interleaved: this code's full step
(``benchmarks/bench_step.py`` in a fresh subprocess: default model, engagement ranking,
live metrics every step), the baseline commit's step (its own ``bench_step.py``, from
``git archive <commit>`` unpacked into a temporary directory and imported as ``feedlab``
through ``PYTHONPATH``), this code with ``platform.threads = 2`` (wall clock; only
meaningful with two idle cores), and the *access floor*: a Numba kernel making ~70
independent random 8-byte reads per user (the random accesses a minimal design of the
step needs: feed items, their post and edge features, the viewer's state and the
updates), into an array the size of the follow-edge arrays. Results go to
``benchmarks/results/step_compare.json``; :func:`section` renders them as the section
"The large-N step against the baseline" of docs/performance.md
(:mod:`feedlab.benchmarks.step_section`), which ``feedlab bench`` keeps when it rewrites
the page (``benchmarks/report.py``).

Times are process CPU time (the machine may be shared: CPU time is what one core
delivered) with wall clock beside it; each subprocess reports its own peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.benchmarks.machine import loadavg, log
from feedlab.benchmarks.settings import ROOT
from feedlab.benchmarks.step_section import RESULT, section
from feedlab.models.kernels import njit

#: Random reads per user-step of a minimal design of the step (issue 17): about 20
#: candidates × 2–3 feature reads, the feed items' reactions and updates, the user's state.
ACCESSES_PER_USER = 70


@njit(cache=True)
def _random_reads(data, n_reads, seed):  # pragma: no cover - jitted
    """Sum of ``n_reads`` independent random elements of ``data`` (length a power of two),
    the addresses from a xorshift generator in registers (no index array is read).
    """
    mask = np.uint64(data.shape[0] - 1)
    x = np.uint64(seed) | np.uint64(1)
    s = 0.0
    for _ in range(n_reads):
        x ^= x << np.uint64(13)
        x ^= x >> np.uint64(7)
        x ^= x << np.uint64(17)
        s += data[x & mask]
    return s


def access_floor(n: int, edges_per_user: float = 20.0, repeats: int = 3) -> dict[str, float]:
    """CPU seconds of ``ACCESSES_PER_USER · n`` random reads into an array of about
    ``edges_per_user · n`` float64 (the follow-edge arrays' size), median of ``repeats``.
    """
    size = 1 << int(np.ceil(np.log2(max(edges_per_user * n, 2))))
    data = np.random.default_rng(0).random(size)
    reads = ACCESSES_PER_USER * n
    _random_reads(data, 1000, 1)  # compile / load from cache
    cpu, wall = [], []
    for r in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        _random_reads(data, reads, r + 2)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {
        "reads": float(reads),
        "array_mb": size * 8 / 1e6,
        "cpu_seconds": float(np.median(cpu)),
        "wall_seconds": float(np.median(wall)),
        "ns_per_read": float(np.median(cpu)) / reads * 1e9,
    }


def _git_head() -> str:
    """The checked-out commit (short), or "unknown"."""
    res = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout.strip() or "unknown"


def _unpack_baseline(ref: str, dest: Path) -> Path:
    """``git archive`` of ``ref`` unpacked as ``dest/feedlab``; returns ``dest``."""
    pkg = dest / "feedlab"
    pkg.mkdir(parents=True)
    tar = dest / "baseline.tar"
    with open(tar, "wb") as f:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], stdout=f, check=True)
    with tarfile.open(tar) as t:
        t.extractall(pkg, filter="data")
    tar.unlink()
    return dest


def _bench_step(
    root: Path, pythonpath: str | None, n: int, steps: int, threads: int, tmp: Path
) -> dict[str, Any]:
    """``root/benchmarks/bench_step.py`` in a fresh process; its JSON result."""
    out = tmp / f"step_{abs(hash((str(root), n, threads)))}.json"
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env["NUMBA_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, str(root / "benchmarks" / "bench_step.py")]
    cmd += ["--n", str(n), "--steps", str(steps), "--json", str(out)]
    if threads != 1:
        cmd += ["--threads", str(threads)]
    subprocess.run(cmd, check=True, env=env, cwd=tmp, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def measure(
    baseline: str, sizes: list[int], steps: dict[int, int], threads: int, threads_max_n: int
) -> dict:
    """Every measurement of one run (module docstring)."""
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    t_run = time.perf_counter()
    load_start = loadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="feedlab-baseline-") as d:
        tmp = Path(d)
        base = _unpack_baseline(baseline, tmp / "src")
        for n in sizes:
            s = steps.get(n, 3)
            log(f"step_compare: N={n:,}: access floor")
            row: dict[str, Any] = {"n": n, "steps": s, "floor": access_floor(n)}
            log(f"step_compare: N={n:,}: this code ({s} steps)")
            row["current"] = _bench_step(ROOT, None, n, s, 1, tmp)
            log(f"step_compare: N={n:,}: baseline {baseline} ({s} steps)")
            row["baseline"] = _bench_step(base / "feedlab", str(base), n, s, 1, tmp)
            if threads > 1 and n <= threads_max_n:
                log(f"step_compare: N={n:,}: this code, {threads} threads")
                row["threads"] = _bench_step(ROOT, None, n, s, threads, tmp)
            rows.append(row)
    return {
        "command": "python -m feedlab.benchmarks.step_compare " + " ".join(sys.argv[1:]),
        "started": started,
        "wall_seconds": time.perf_counter() - t_run,
        "commit": _git_head(),
        "baseline": baseline,
        "threads": threads,
        "cores": os.cpu_count(),
        "load_start": load_start,
        "load_end": loadavg(),
        "accesses_per_user": ACCESSES_PER_USER,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure (or redraw) and rewrite the section of docs/performance.md."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--baseline", default="9e09ef3", help="commit to compare with")
    ap.add_argument("--n", type=int, nargs="+", default=[100_000])
    ap.add_argument("--steps", type=int, nargs="+", default=None, help="timed steps per N")
    ap.add_argument("--threads", type=int, default=2, help="also time this many threads (1: no)")
    ap.add_argument(
        "--threads-max-n", type=int, default=100_000, help="time threads up to this N only"
    )
    ap.add_argument("--report-only", action="store_true", help="redraw from the JSON")
    args = ap.parse_args(argv)
    if not args.report_only:
        steps = dict(zip(args.n, args.steps or [10 if n <= 100_000 else 2 for n in args.n]))
        res = measure(args.baseline, args.n, steps, args.threads, args.threads_max_n)
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(res, indent=1) + "\n")
    latest = ROOT / "benchmarks" / "results" / "latest.json"
    if latest.is_file():  # the page from feedlab bench's JSON, its figures as they are
        from feedlab.benchmarks.report import render_report

        doc = ROOT / "docs" / "performance.md"
        figures = sorted((doc.parent / "figures").glob("performance_*.png"))
        doc.write_text(render_report(json.loads(latest.read_text()), doc, figures))
    print(section())
    return 0


if __name__ == "__main__":
    sys.exit(main())
