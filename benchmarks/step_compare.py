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
"The large-N step against the baseline" of docs/performance.md, which ``feedlab bench``
keeps when it rewrites the page (``benchmarks/report.py``).

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
from feedlab.models.kernels import njit

RESULT = ROOT / "benchmarks" / "results" / "step_compare.json"
#: Random reads per user-step of a minimal design of the step (issue 17): about 20
#: candidates × 2–3 feature reads, the feed items' reactions and updates, the user's state.
ACCESSES_PER_USER = 70
PHASES = ("post", "gather", "rank", "react", "update", "record")


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


def measure(baseline: str, sizes: list[int], steps: dict[int, int], threads: int) -> dict:
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
            if threads > 1:
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


def _ms(seconds: float) -> str:
    """Seconds as ms (two decimals below 10 ms) or, from 10 s, as s."""
    if seconds < 0.01:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e3:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _phases(r: dict[str, Any]) -> str:
    ph = r["phase_seconds"]
    return " / ".join(_ms(ph[p]) for p in PHASES)


def section(path: Path = RESULT) -> str:
    """The Markdown section of docs/performance.md for the results at ``path`` ("" if
    there are none).
    """
    if not path.is_file():
        return ""
    res = json.loads(path.read_text())
    load = f"{res['load_start'][0]} at start, {res['load_end'][0]} at the end"
    lines = [
        "## The large-N step against the baseline",
        "",
        f"_Generated by `{res['command'].strip()}` on {res['started']} in "
        f"{res['wall_seconds'] / 60:.1f} min (commit `{res['commit']}`; baseline "
        f"`{res['baseline']}`). Numbers in `benchmarks/results/step_compare.json`._",
        "",
        "Default model (stochastic block network, mean degree 20, engagement ranking, live "
        "metrics every step), each code in a fresh process: build, one warm-up step, the "
        "phase split (median of three steps), then the timed steps (median). Process CPU "
        "time, wall clock in brackets. **The machine was shared with other agents** "
        f"({res['cores']} cores; 1-minute load {load}): CPU time is what one core "
        "delivered, but caches and memory bandwidth were shared too. The access floor is "
        f"{res['accesses_per_user']} independent random 8-byte reads per user into an "
        "array the size of the follow-edge arrays (a Numba kernel, same run).",
        "",
        "| N | code | step CPU (wall) | post / gather / rank / react / update / record "
        "(CPU) | peak RSS | × access floor |",
        "|---|---|---|---|---|---|",
    ]
    for row in res["rows"]:
        n, fl = row["n"], row["floor"]
        for name, key in (("this code", "current"), (f"baseline {res['baseline']}", "baseline")):
            r = row[key]
            lines.append(
                f"| {n:,} | {name} | {_ms(r['median_step_cpu_seconds'])} "
                f"({_ms(r['median_step_seconds'])}) | {_phases(r)} | "
                f"{r['peak_rss_gb']:.2f} GiB | "
                f"{r['median_step_cpu_seconds'] / fl['cpu_seconds']:.1f}× |"
            )
        if "threads" in row:
            r = row["threads"]
            lines.append(
                f"| {n:,} | this code, {res['threads']} threads | "
                f"{_ms(r['median_step_cpu_seconds'])} ({_ms(r['median_step_seconds'])}) | "
                f"{_phases(r)} | {r['peak_rss_gb']:.2f} GiB | — |"
            )
        lines.append(
            f"| {n:,} | access floor ({fl['reads']:,.0f} reads, {fl['array_mb']:,.0f} MB) | "
            f"{_ms(fl['cpu_seconds'])} ({_ms(fl['wall_seconds'])}) | "
            f"{fl['ns_per_read']:.1f} ns per read | — | 1× |"
        )
    lines += ["", *_summary(res), ""]
    return "\n".join(lines) + "\n"


def _summary(res: dict[str, Any]) -> list[str]:
    """Speed-ups, the 10⁶ × 100 estimate and the threads' effect, one line each."""
    out = []
    for row in res["rows"]:
        cur, base = row["current"], row["baseline"]
        n = row["n"]
        speed = base["median_step_cpu_seconds"] / cur["median_step_cpu_seconds"]
        out.append(
            f"- N = {n:,}: this code's step is {speed:.2f}× faster than the baseline's in CPU "
            f"time ({_ms(cur['median_step_cpu_seconds'])} against "
            f"{_ms(base['median_step_cpu_seconds'])}; peak memory "
            f"{cur['peak_rss_gb']:.2f} against {base['peak_rss_gb']:.2f} GiB)."
        )
        if n >= 1_000_000:
            est = cur["build_seconds"] + 100 * cur["median_step_cpu_seconds"]
            out.append(
                f"- 10⁶ users × 100 steps, estimated from this run (build + 100 × the median "
                f"step, {row['steps']} steps timed): {est / 60:.1f} min of CPU "
                f"(baseline {(base['build_seconds'] + 100 * base['median_step_cpu_seconds']) / 60:.1f}"
                " min); the goal is ≤ 15 min on one core and ≤ 8 GB."
            )
        if "threads" in row:
            thr = row["threads"]
            gain = cur["median_step_seconds"] / thr["median_step_seconds"]
            out.append(
                f"- N = {n:,}, {res['threads']} threads: wall clock {gain:.2f}× that of one "
                "thread on this shared machine (the parallel kernels are prediction, scoring "
                "and top-k, and reaction probabilities; the rest of the step is serial)."
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure (or redraw) and rewrite the section of docs/performance.md."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--baseline", default="9e09ef3", help="commit to compare with")
    ap.add_argument("--n", type=int, nargs="+", default=[100_000])
    ap.add_argument("--steps", type=int, nargs="+", default=None, help="timed steps per N")
    ap.add_argument("--threads", type=int, default=2, help="also time this many threads (1: no)")
    ap.add_argument("--report-only", action="store_true", help="redraw from the JSON")
    args = ap.parse_args(argv)
    if not args.report_only:
        steps = dict(zip(args.n, args.steps or [10 if n <= 100_000 else 2 for n in args.n]))
        res = measure(args.baseline, args.n, steps, args.threads)
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
