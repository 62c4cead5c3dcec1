"""Throughput of the peer implementations (``python -m feedlab.benchmarks.peers.timing``).

Workloads (docs/performance.md §Performance targets):

* Deffuant / algorithmic bias on a Barabási–Albert graph (``igraph.Graph.Barabasi``,
  m = 5), ε = 0.4, μ = 0.5, uniform initial opinions, γ ∈ {0, 1}: elementary
  interactions per second of the dynamics (set-up excluded and reported separately);
* Watts threshold cascade on G(N, p = z/(N−1)), z = 4, φ = 0.18, from one seed node that
  triggers a global cascade (seed found with the NumPy reference): seconds per cascade.

Each figure is the median of ``--repeats`` runs (different seeds), with ``gc.collect()``
before each. One process, one core; run on an otherwise idle machine (Python-loop peers
are sensitive to a busy second core and to the garbage collector: spread of ±30 % seen).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
from collections.abc import Callable

import numpy as np

from feedlab.benchmarks.peers._graph import barabasi_albert_edges, erdos_renyi_edges
from feedlab.benchmarks.peers.numpy_reference import (
    run_reference_algorithmic_bias,
    run_reference_threshold,
)

#: target wall time of one timed run, seconds (n_steps is chosen from a short probe)
TARGET_SECONDS = 2.0
#: at least this many sweeps per timed run, so Mesa's one-off first-sweep warm-up
#: (lazy neighbourhood caches, ~0.2 s at N=1e4) is amortised as in a real study
MIN_SWEEPS = 10


def _ab_runners(which: list[str]) -> dict:
    runners: dict[str, Callable[..., dict]] = {}
    if "ndlib" in which:
        from feedlab.benchmarks.peers.ndlib_models import run_ndlib_algorithmic_bias

        runners["ndlib"] = run_ndlib_algorithmic_bias
    if "mesa" in which:
        from feedlab.benchmarks.peers.mesa_models import run_mesa_algorithmic_bias

        runners["mesa"] = run_mesa_algorithmic_bias
    if "reference" in which:
        runners["reference"] = run_reference_algorithmic_bias
    return runners


def time_algorithmic_bias(
    n: int, gamma: float, which: list[str], repeats: int, epsilon: float = 0.4
) -> list[dict]:
    """Interactions per second of each chosen peer on an n-node Barabási–Albert graph;
    the number of sweeps is sized to run about ``TARGET_SECONDS``, median of ``repeats``.
    """
    src, dst = barabasi_albert_edges(n, 5, seed=n)
    rows = []
    for name, run in _ab_runners(which).items():
        x0 = np.random.default_rng(np.random.SeedSequence([n, 0])).random(n)
        # marginal cost of a sweep: the first one also pays one-off warm-up (Mesa builds
        # its neighbourhood caches lazily), so probe with 1 and 3 sweeps
        t1 = run(src, dst, n, epsilon, gamma, 0.5, 1, 0, x0)["seconds"]
        t3 = run(src, dst, n, epsilon, gamma, 0.5, 3, 0, x0)["seconds"]
        per_sweep = max((t3 - t1) / 2, t1 / 10, 1e-6)
        n_steps = max(MIN_SWEEPS, round(TARGET_SECONDS / per_sweep))
        rates, setups = [], []
        for rep in range(repeats):
            x0 = np.random.default_rng(np.random.SeedSequence([n, rep + 1])).random(n)
            gc.collect()  # do not bill one run for the previous runs' garbage
            res = run(src, dst, n, epsilon, gamma, 0.5, n_steps, rep + 1, x0)
            rates.append(res["interactions"] / res["seconds"])
            setups.append(res.get("setup_seconds", float("nan")))
        rows.append(
            {
                "workload": "algorithmic_bias",
                "peer": name,
                "n": n,
                "gamma": gamma,
                "epsilon": epsilon,
                "n_steps": n_steps,
                "interactions_per_s": statistics.median(rates),
                "setup_seconds": statistics.median(setups),
            }
        )
        print(_fmt(rows[-1]), flush=True)
    return rows


def time_threshold(n: int, which: list[str], repeats: int, z: float = 4.0, phi: float = 0.18):
    """Seconds per global Watts cascade of each chosen peer on G(n, z/(n−1)), from seed
    nodes whose cascade the NumPy reference finds global; median of ``repeats``.
    """
    src, dst = erdos_renyi_edges(n, z, seed=n + 1)
    rng = np.random.default_rng(np.random.SeedSequence([n, 99]))
    seeds: list[int] = []
    while len(seeds) < repeats:  # nodes whose single-seed cascade is global (> 10 % of N)
        s = int(rng.integers(n))
        if run_reference_threshold(src, dst, n, phi, [s])["cascade_size"] > 0.1 * n:
            seeds.append(s)
    rows = []
    runners = {}
    if "ndlib" in which:
        from feedlab.benchmarks.peers.ndlib_models import run_ndlib_threshold

        runners["ndlib"] = run_ndlib_threshold
    if "reference" in which:
        runners["reference"] = run_reference_threshold
    for name, run in runners.items():
        results = []
        for s in seeds:
            gc.collect()
            results.append(run(src, dst, n, phi, [s], seed=0))
        rows.append(
            {
                "workload": "threshold",
                "peer": name,
                "n": n,
                "z": z,
                "phi": phi,
                "seconds_per_cascade": statistics.median(r["seconds"] for r in results),
                "setup_seconds": statistics.median(
                    r.get("setup_seconds", float("nan")) for r in results
                ),
                "cascade_fraction": statistics.median(r["cascade_size"] / n for r in results),
                "rounds": statistics.median(r["iterations"] for r in results),
            }
        )
        print(_fmt(rows[-1]), flush=True)
    return rows


def _fmt(row: dict) -> str:
    parts = []
    for k, v in row.items():
        parts.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Time every workload for the chosen sizes and peers, print a line per row and
    optionally write the rows as JSON.
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    p.add_argument("--gammas", type=float, nargs="+", default=[0.0, 1.0])
    p.add_argument("--peers", nargs="+", default=["ndlib", "mesa", "reference"])
    p.add_argument("--threshold-sizes", type=int, nargs="*", default=[100_000])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", help="write the rows as JSON here")
    args = p.parse_args(argv)
    rows = []
    for n in args.sizes:
        for gamma in args.gammas:
            rows += time_algorithmic_bias(n, gamma, args.peers, args.repeats)
    for n in args.threshold_sizes:
        rows += time_threshold(n, args.peers, args.repeats)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
