"""Watts threshold cascades: feedlab against ndlib and the NumPy reference.

On G(N, p = z/(N−1)) (:func:`feedlab.benchmarks.peers._graph.erdos_renyi_edges`):
feedlab's :func:`feedlab.models.events.threshold.run_cascade` end to end (thresholds
included) against ndlib's ``ThresholdModel`` and the vectorised NumPy reference, per
global cascade (≥ 10 % of N) from the same seed nodes. The cascades must match exactly:
the same final active set and the same number of rounds for every seed.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np

from feedlab.benchmarks.machine import loadavg, log
from feedlab.benchmarks.peers._graph import erdos_renyi_edges, undirected_edges
from feedlab.benchmarks.settings import Settings
from feedlab.benchmarks.workloads.common import median


def bench_threshold(s: Settings, ndlib_ok: bool) -> dict[str, Any]:
    """Seconds per global cascade of every implementation, and the exact checks.

    Seed nodes of global cascades are found with feedlab's kernel from a seeded
    permutation; feedlab is timed end to end and with the per-node ``need`` precomputed
    (the kernel alone); each peer runs ``threshold_peer_cascades`` of the same seeds.
    """
    from feedlab.benchmarks.peers.numpy_reference import run_reference_threshold
    from feedlab.models.events.threshold import followers_csr, need_counts, run_cascade

    n, z, phi = s.threshold_n, s.threshold_z, s.threshold_phi
    src, dst = erdos_renyi_edges(n, z, seed=n + 1)
    u, v = undirected_edges(src, dst, n)
    s2, d2 = np.concatenate([u, v]), np.concatenate([v, u])
    indptr, indices = followers_csr(s2, d2, n)
    degree = np.bincount(s2, minlength=n).astype(np.int64)
    run_cascade(indptr, indices, degree, phi, 0)  # JIT load
    rng = np.random.default_rng(np.random.SeedSequence([n, 99]))
    global_seeds: list[int] = []
    tried = 0
    for cand in rng.permutation(n):
        tried += 1
        if run_cascade(indptr, indices, degree, phi, int(cand)).size >= 0.1 * n:
            global_seeds.append(int(cand))
        if len(global_seeds) >= s.threshold_feedlab_cascades:
            break
    times, times_wall, sizes, rounds = [], [], [], []
    need = np.empty(n, np.int32)
    need_counts(degree, np.full(n, phi), need)
    kernel_only = []
    for seed in global_seeds:
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        c = run_cascade(indptr, indices, degree, phi, seed)
        times.append(time.process_time() - c0)
        times_wall.append(time.perf_counter() - t0)
        sizes.append(c.size)
        rounds.append(int(c.generation.max()) if c.size else 0)
        gc.collect()
        c0 = time.process_time()
        run_cascade(indptr, indices, None, 0.0, seed, need=need)
        kernel_only.append(time.process_time() - c0)
    rows: list[dict[str, Any]] = [
        {
            "impl": "feedlab_kernel",
            "seconds_per_cascade": median(times),
            "seconds_per_cascade_wall": median(times_wall),
            "times": times,
            "cascades": len(times),
            "seconds_need_precomputed": median(kernel_only),
        }
    ]
    peers: dict[str, Any] = {"reference": run_reference_threshold}
    if ndlib_ok:
        from feedlab.benchmarks.peers.ndlib_models import run_ndlib_threshold

        peers = {"ndlib": run_ndlib_threshold, **peers}
    checks = []
    for name, run in peers.items():
        ptimes, pwall, setups = [], [], []
        for i, seed in enumerate(global_seeds[: s.threshold_peer_cascades]):
            gc.collect()
            res = run(src, dst, n, phi, [seed], seed=0)
            ptimes.append(res["cpu_seconds"])
            pwall.append(res["seconds"])
            setups.append(res.get("setup_seconds", float("nan")))
            mine = run_cascade(indptr, indices, degree, phi, seed)
            checks.append(
                {
                    "peer": name,
                    "seed_node": seed,
                    "size_feedlab": mine.size,
                    "size_peer": res["cascade_size"],
                    "rounds_feedlab": rounds[i],
                    "rounds_peer": res["iterations"],
                    "same_active_set": bool(np.array_equal(mine.active, res["final_active"])),
                    "ok": bool(
                        np.array_equal(mine.active, res["final_active"])
                        and rounds[i] == res["iterations"]
                    ),
                }
            )
        rows.append(
            {
                "impl": name,
                "seconds_per_cascade": median(ptimes),
                "seconds_per_cascade_wall": median(pwall),
                "times": ptimes,
                "cascades": len(ptimes),
                "setup_seconds": median(setups),
            }
        )
    fl = rows[0]["seconds_per_cascade"]
    ratios = {f"{r['impl']}_over_feedlab": r["seconds_per_cascade"] / fl for r in rows[1:]}
    ok = bool(checks) and all(c["ok"] for c in checks)
    for r in rows:
        log(
            f"threshold N={n:,}: {r['impl']:15s} {1e3 * r['seconds_per_cascade']:10.2f} ms "
            f"per global cascade (median of {r['cascades']})"
        )
    log(f"threshold agreement: {'PASS' if ok else 'FAIL'} ({len(checks)} exact checks)")
    return {
        "graph": f"Erdős–Rényi G(N, p=z/(N-1)) (igraph, seed N+1), {len(u):,} edges",
        "n": n,
        "z": z,
        "phi": phi,
        "global_fraction_of_random_seeds": len(global_seeds) / tried,
        "median_cascade_fraction": median(sizes) / n,
        "median_rounds": median(rounds),
        "rows": rows,
        "ratios": ratios,
        "agreement": {"checks": checks, "ok": ok},
        "load_after": loadavg(),
    }
