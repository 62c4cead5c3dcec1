"""Scaling with N: the full feed step, ranking and memory, one fresh process per N.

Each N runs :func:`worker` (``python -m feedlab.benchmarks.run _worker ...``) in a fresh
subprocess that also reports its peak resident memory: the full feed step
(``feedlab.benchmarks.bench_step`` logic: default model, stochastic block network,
engagement ranking, live metrics every step), the ranking kernel
(``feedlab.benchmarks.bench_ranking.bench``) on that model's candidates, a cProfile of one
step at the target N, and every ranking policy at the target workload. The full-scale
run (10⁶ users × 100 steps) is one more worker, recorded apart.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from feedlab.benchmarks.machine import loadavg, log, machine_info, peak_rss_gb
from feedlab.benchmarks.settings import ROOT, Settings
from feedlab.benchmarks.workloads.common import median
from feedlab.benchmarks.workloads.ranking import bench_policies, rank_timing, ranking_node


def top_functions(prof: cProfile.Profile, limit: int = 12) -> list[dict[str, Any]]:
    """The ``limit`` functions with the most own time in ``prof``, located in the repo."""
    st = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        try:
            where = str(Path(file).resolve().relative_to(ROOT))
        except ValueError:
            where = Path(file).name if file != "~" else ""
        rows.append(
            {
                "function": func,
                "where": f"{where}:{line}" if where else func,
                "calls": nc,
                "tottime": tt,
                "cumtime": ct,
            }
        )
    rows.sort(key=lambda r: -r["tottime"])
    return rows[:limit]


def _worker_args(argv: list[str]) -> argparse.Namespace:
    """The worker's command line (written by :func:`bench_scaling` and friends)."""
    ap = argparse.ArgumentParser(prog="feedlab.benchmarks.run _worker")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--mean-degree", type=float, default=20.0)
    ap.add_argument("--ranking-repeats", type=int, default=0, help="0: no ranking benchmark")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--policies-n", type=int, default=0, help="ranking policies at this N")
    ap.add_argument("--policies", nargs="*", default=None, help="options (default: all)")
    ap.add_argument("--policies-degree", type=float, default=50.0)
    ap.add_argument("--json", type=Path, required=True)
    return ap.parse_args(argv)


def _build(args: argparse.Namespace, out: dict[str, Any]):
    """The default model at N with engagement ranking; build time and memory into ``out``."""
    from feedlab.experiments import build, compose

    overrides = [
        f"network.n={args.n}",
        f"network.mean_degree={args.mean_degree}",
        "ranking=engagement",
        "output.mesa_agents=false",
    ]
    t0, c0 = time.perf_counter(), time.process_time()
    model = build(compose(overrides))
    out["build_seconds"] = time.perf_counter() - t0
    out["build_cpu_seconds"] = time.process_time() - c0
    out["n_edges"] = int(model.graph.n_edges)
    out["rss_after_build_gb"] = peak_rss_gb()
    return model


def _time_steps(model, args: argparse.Namespace) -> dict[str, Any]:
    """One JIT warm-up step, one step split into phases, then ``args.steps`` timed steps."""
    from feedlab.benchmarks.bench_step import phase_split

    model.step()  # JIT warm-up, as bench_step
    split = phase_split(model)
    times, cpu = [], []
    t_all = time.perf_counter()
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        model.step()  # records a row (record_every = 1, as bench_step's default and a run's)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "steps_timed": args.steps,
        "step_seconds": times,
        "step_cpu_seconds": cpu,
        "median_step_seconds": median(times),
        "median_step_cpu_seconds": median(cpu),
        "total_step_seconds": time.perf_counter() - t_all,
        "phase_seconds": split,
        "peak_rss_gb": peak_rss_gb(),  # the step benchmark's peak (nothing else ran yet)
        "mean_degree": args.mean_degree,
    }


def _profile_step(model) -> dict[str, Any]:
    """CProfile of one more step: where its time goes, by function."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    model.step()  # records a row (record_every = 1)
    prof.disable()
    return {
        "step_seconds_under_profile": time.perf_counter() - t0,
        "top_tottime": top_functions(prof),
    }


def _rank_next_step(model, n: int, repeats: int) -> dict[str, Any]:
    """The engagement policy on the model's next-step candidates, cold and warm."""
    from feedlab.benchmarks.bench_ranking import bench
    from feedlab.models.ranking import RANKINGS

    model.post(model.t)
    cand = model.gather(model.t)
    k = model.feed_lengths()
    policy = RANKINGS.build(ranking_node("engagement"))
    return {
        "policy": "engagement",
        "candidates": int(cand.size),
        "candidates_per_viewer": cand.size / n,
        **rank_timing(bench(policy, cand, k, repeats), cand.size),
    }


def worker(argv: list[str]) -> int:
    """One N in a fresh process: feed step (bench_step logic), ranking kernel, profile."""
    args = _worker_args(argv)
    # imported before the first memory reading: "after imports" includes the model's code
    import feedlab.benchmarks.bench_step
    import feedlab.experiments  # noqa: F401

    out: dict[str, Any] = {"n": args.n, "rss_after_import_gb": peak_rss_gb()}
    model = _build(args, out)
    out.update(_time_steps(model, args))
    if args.profile:
        out["profile"] = _profile_step(model)
    if args.ranking_repeats:
        out["ranking"] = _rank_next_step(model, args.n, args.ranking_repeats)
    del model
    gc.collect()
    if args.policies_n:
        out["policies"] = bench_policies(
            args.policies_n, args.policies_degree, args.ranking_repeats or 3, args.policies
        )
    out["peak_rss_end_gb"] = peak_rss_gb()
    args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


def run_worker(args: list[str], fresh: bool = True) -> dict[str, Any]:
    """Run :func:`worker` in a fresh subprocess (or, ``fresh=False``, in this one)."""
    with tempfile.TemporaryDirectory(prefix="feedlab-bench-") as tmp:
        out = Path(tmp) / "worker.json"
        if not fresh:
            t0 = time.perf_counter()
            worker([*args, "--json", str(out)])
            res = json.loads(out.read_text())
            res["process_wall_seconds"] = time.perf_counter() - t0
            res["fresh_process"] = False
            return res
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "feedlab.benchmarks.run", "_worker", *args, "--json", str(out)],
            env=env,
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"benchmark worker {args} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
            )
        res = json.loads(out.read_text())
    res["process_wall_seconds"] = wall
    res["fresh_process"] = True
    return res


def _scaling_args(s: Settings, n: int, steps: int) -> list[str]:
    """The worker's arguments at N: profile at the target N, policies where asked."""
    repeats = s.ranking_repeats if n < 1_000_000 else s.ranking_repeats_1e6
    args = ["--n", str(n), "--steps", str(steps), "--ranking-repeats", str(repeats)]
    if n == s.target_n:
        args.append("--profile")
    if n in (s.policies_n, s.ranking_target_n):
        args += ["--policies-n", str(n), "--policies-degree", str(s.policies_degree)]
        if n != s.policies_n:
            args += ["--policies", "engagement"]
    return args


def bench_scaling(s: Settings) -> dict[str, Any]:
    """One worker per N of ``s.scaling_sizes``, the load recorded before each."""
    rows = []
    for n, steps in zip(s.scaling_sizes, s.scaling_steps):
        load = loadavg()
        res = run_worker(_scaling_args(s, n, steps), s.fresh_processes)
        res["load_before"] = load
        rows.append(res)
        log(
            f"scaling N={n:,}: build {res['build_seconds']:.1f} s, step "
            f"{res['median_step_seconds']:.4f} s, peak RSS {res['peak_rss_gb']:.3f} GB, ranking "
            f"{res['ranking']['cold_candidates_per_s'] / 1e6:.1f} M cand/s cold "
            f"(process {res['process_wall_seconds']:.0f} s)"
        )
    return {
        "network": "stochastic_block (default), mean degree 20; default population and "
        "dynamics; engagement ranking; live metrics every step; no Mesa agent views",
        "rows": rows,
        "load_after": loadavg(),
    }


def bench_full_scale(s: Settings) -> dict[str, Any]:
    """``full_scale_n`` users × ``full_scale_steps`` steps in one worker (one core):
    build and step times, peak memory, the phase split, and the machine.
    """
    load = loadavg()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    log(f"full scale: N={s.full_scale_n:,} × {s.full_scale_steps} steps (load {load})")
    res = run_worker(
        ["--n", str(s.full_scale_n), "--steps", str(s.full_scale_steps)], s.fresh_processes
    )
    steps = res["step_seconds"]
    total = res["build_seconds"] + sum(steps)
    total_cpu = res["build_cpu_seconds"] + sum(res["step_cpu_seconds"])
    out = {
        "n": s.full_scale_n,
        "steps": s.full_scale_steps,
        "started": started,
        "load_before": load,
        "load_after": loadavg(),
        "build_seconds": res["build_seconds"],
        "steps_seconds": sum(steps),
        "median_step_seconds": res["median_step_seconds"],
        "max_step_seconds": max(steps),
        "total_seconds": total,
        "total_cpu_seconds": total_cpu,
        "median_step_cpu_seconds": res["median_step_cpu_seconds"],
        "process_wall_seconds": res["process_wall_seconds"],
        "peak_rss_gb": res["peak_rss_gb"],
        "phase_seconds": res["phase_seconds"],
        "n_edges": res["n_edges"],
        "machine": machine_info(),
        "note": "build + timed steps (live metrics every step); one JIT warm-up step and one "
        "phase-split step not counted; one core; no Mesa agent views",
    }
    log(
        f"full scale: total {total / 60:.1f} min wall, {total_cpu / 60:.1f} min CPU, "
        f"peak RSS {res['peak_rss_gb']:.2f} GiB"
    )
    return out
