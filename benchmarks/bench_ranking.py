"""Ranking throughput: candidates scored and ranked per second, for every policy.

    python -m feedlab.benchmarks.bench_ranking [--n 100000] [--degree 50] [--repeats 5]

Builds one model with ``feedlab.experiments.build`` (stochastic block network of N users with
mean degree ``--degree``; every user posts exactly once per step, window 1, reshares
off, so each viewer has about ``degree`` candidates), runs one step so that reaction
counters exist, posts and gathers the next step's candidates, then times
``policy.rank(cand, k, rng)`` for each ``conf/ranking/*.yaml`` option — gathering
excluded. Two numbers per policy, each the median of ``--repeats`` runs on one core:

* ``cold`` — a fresh candidate batch each time, so the lazily computed features the
  policy asks for (``Candidates.predicted``, group predictions, ...) are included: the
  cost of ranking in a real step;
* ``warm`` — features computed beforehand: scoring + top-k only.

Times are CPU seconds of this (single-threaded) process (``time.process_time``), i.e.
per core, so other work on a shared machine does not inflate them; the wall-clock cold
time is printed beside them. Target (docs/performance.md §Performance targets): ≥ 30 M candidates per second per
core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from feedlab.experiments import build, compose  # noqa: E402
from feedlab.models.feed import Candidates  # noqa: E402
from feedlab.models.ranking import RANKINGS  # noqa: E402

FEATURES = ("predicted", "group_predicted", "origin_slot", "origin_author", "viewer", "time")


def fresh(base: Candidates) -> Candidates:
    """The same (viewer, candidate) pairs with no cached features."""
    return Candidates(
        viewers=base.viewers,
        ptr=base.ptr,
        slot=base.slot,
        edge=base.edge,
        users=base.users,
        posts=base.posts,
        graph=base.graph,
        stranger_trust=base.stranger_trust,
        predictor=base.predictor,
    )


def prepare(n: int, degree: float, seed: int):
    """A model one step in, and the candidates of its next step."""
    cfg = compose(
        [
            "network=stochastic_block",
            f"network.n={n}",
            f"network.mean_degree={degree}",
            "population.activity.mean=1.0",
            "population.activity.sd=0",
            "platform.window=1",
            "dynamics.reshares=false",  # exactly ~degree candidates per viewer
            f"seed={seed}",
            "output.mesa_agents=false",
        ]
    )
    model = build(cfg)
    model.step()
    model.post(model.t)
    return model, model.gather(model.t)


def bench(policy, base: Candidates, k: np.ndarray, repeats: int) -> tuple[float, float, float]:
    """Median seconds of one rank call: (cold CPU, warm CPU, cold wall)."""
    policy.rank(fresh(base), k, np.random.default_rng(0))  # JIT warm-up
    cold, warm, wall = [], [], []
    for r in range(repeats):
        cand = fresh(base)
        w0, t0 = time.perf_counter(), time.process_time()
        policy.rank(cand, k, np.random.default_rng(r))
        cold.append(time.process_time() - t0)
        wall.append(time.perf_counter() - w0)
        cand = fresh(base)
        for name in FEATURES:
            if name == "group_predicted" and getattr(policy, "variant", "") != "predicted":
                continue
            getattr(cand, name)
        t0 = time.process_time()
        policy.rank(cand, k, np.random.default_rng(r))
        warm.append(time.process_time() - t0)
    return statistics.median(cold), statistics.median(warm), statistics.median(wall)


def main(argv: list[str] | None = None) -> int:
    """Time cold and warm rank calls of the ranking policies and print the rates (see the module doc)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="users (viewers)")
    ap.add_argument("--degree", type=float, default=50, help="mean follows per user")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats (median)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None, help="policy options to run")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    model, base = prepare(args.n, args.degree, args.seed)
    k = model.feed_lengths()
    print(
        f"N = {args.n:,} viewers, {base.size:,} candidates "
        f"({base.size / args.n:.1f} per viewer), mean k = {k.mean():.1f}; "
        f"set-up {time.perf_counter() - t0:.1f} s; median of {args.repeats}, one core"
    )
    print(
        f"{'policy':20s} {'cold M cand/s':>14s} {'warm M cand/s':>14s} {'cold ms':>9s} "
        f"{'cold wall ms':>13s}"
    )
    options = sorted(p.stem for p in (ROOT / "conf" / "ranking").glob("*.yaml"))
    for option in args.only or options:
        node = yaml.safe_load((ROOT / "conf" / "ranking" / f"{option}.yaml").read_text())
        policy = RANKINGS.build(node)
        cold, warm, wall = bench(policy, base, k, args.repeats)
        print(
            f"{option:20s} {base.size / cold / 1e6:14.1f} {base.size / warm / 1e6:14.1f} "
            f"{cold * 1e3:9.1f} {wall * 1e3:13.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
