"""Full feed step benchmark: post → gather → rank → react → update, at scale.

    python benchmarks/bench_step.py --n 100000 --steps 10            # per-step time
    python benchmarks/bench_step.py --n 1000000 --steps 100 --json out.json

Builds the default model (engagement ranking, every mechanism on) on a stochastic block
network with the given size, warms up the JIT with one step, then times each step
(recording live metrics every ``--record-every`` steps, as a run does). Reports the
median step time, the per-phase split of one step, the build time and the peak resident
memory of the process. One core: BLAS and Numba threads are pinned to 1 unless
``NUMBA_NUM_THREADS`` is set (then ``--threads`` may run the hot kernels on that many).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feedlab.experiments import build, compose  # noqa: E402


def peak_rss_gb() -> float:
    """Peak resident memory of this process, GiB. ``VmHWM`` (reset by ``exec``) where
    /proc exists: ``ru_maxrss`` survives ``execve`` on Linux, so a benchmark started from
    a large parent process would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20  # kB -> GiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB


def phase_split(model) -> dict[str, float]:
    """CPU seconds per phase of one step (this process, one core)."""
    t = model.t
    out = {}
    t0 = time.process_time()
    model.post(t)
    out["post"] = time.process_time() - t0
    t0 = time.process_time()
    cand = model.gather(t)
    out["gather"] = time.process_time() - t0
    t0 = time.process_time()
    feed = model.rank(cand)
    out["rank"] = time.process_time() - t0
    t0 = time.process_time()
    ctx = model.react(t, cand, feed)
    model.count(ctx)
    for ext in model.hooks["on_feed"]:
        ext.on_feed(model, t, ctx)
    model.value(ctx)
    out["react"] = time.process_time() - t0
    t0 = time.process_time()
    model.recorder.observe(model, ctx)
    model.update(ctx)
    if model.dynamics.follow.enabled:
        model.rewire(ctx)
    out["update"] = time.process_time() - t0
    t0 = time.process_time()
    model.t += 1
    model.recorder.collect(model)
    out["record"] = time.process_time() - t0
    out["candidates"] = float(cand.size)
    out["feed_items"] = float(feed.pair.size)
    return out


def main(argv: list[str] | None = None) -> int:
    """Time full feed steps at one N and print (or write as JSON) the medians (see the module doc)."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--mean-degree", type=float, default=20.0)
    ap.add_argument("--record-every", type=int, default=1)
    ap.add_argument("--ranking", default="engagement")
    ap.add_argument("--mesa-agents", action="store_true", help="also create Mesa agent views")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="platform.threads (needs NUMBA_NUM_THREADS >= it in the environment)",
    )
    ap.add_argument("--json", type=Path, help="write results here")
    args = ap.parse_args(argv)

    overrides = [
        f"network.n={args.n}",
        f"network.mean_degree={args.mean_degree}",
        f"ranking={args.ranking}",
        f"output.mesa_agents={str(args.mesa_agents).lower()}",
        f"record_every={args.record_every}",
        *([f"platform.threads={args.threads}"] if args.threads != 1 else []),
    ]
    t0 = time.perf_counter()
    model = build(compose(overrides))
    build_s = time.perf_counter() - t0
    model.step()  # JIT warm-up (cached compiled code after the first ever run)
    splits = [phase_split(model) for _ in range(3)]  # median of three: one step is noisy
    split = {k: statistics.median(s[k] for s in splits) for k in splits[0]}
    times, cpu = [], []
    t_all = time.perf_counter()
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        model.step()  # records a row every record_every steps (the model's Recorder)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    total = time.perf_counter() - t_all
    res = {
        "n_users": args.n,
        "n_edges": model.graph.n_edges,
        "steps_timed": args.steps,
        "build_seconds": round(build_s, 3),
        "median_step_seconds": round(statistics.median(times), 4),
        "median_step_cpu_seconds": round(statistics.median(cpu), 4),
        "total_step_seconds": round(total, 2),
        "phase_seconds": {k: round(v, 4) for k, v in split.items()},
        "peak_rss_gb": round(peak_rss_gb(), 3),
        "record_every": args.record_every,
        "ranking": args.ranking,
        "threads": args.threads,
    }
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
