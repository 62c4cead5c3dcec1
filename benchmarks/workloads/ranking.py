"""Ranking policies on the target workload, and the rates of a rank call.

``bench_ranking.prepare`` builds the target workload (~50 follows per viewer, every user
posts once per step); :func:`bench_policies` times a cold and a warm rank call of every
``conf/ranking`` option on it (cold: the lazily computed per-pair features included;
warm: scoring and top-k alone).
"""

from __future__ import annotations

import time
from typing import Any

from feedlab.benchmarks.settings import ROOT


def rank_timing(res: tuple, size: int) -> dict[str, Any]:
    """``bench_ranking.bench``'s medians → rates. It returns (cold CPU s, warm CPU s,
    cold wall s); an older version returned (cold wall s, warm wall s).
    """
    if len(res) >= 3:
        cold, warm, wall = res[0], res[1], res[2]
        clock = "process CPU time"
    else:
        cold, warm = res[0], res[1]
        wall, clock = cold, "wall clock"
    return {
        "clock": clock,
        "cold_seconds": cold,
        "warm_seconds": warm,
        "cold_wall_seconds": wall,
        "cold_candidates_per_s": size / cold,
        "warm_candidates_per_s": size / warm,
        "cold_candidates_per_s_wall": size / wall,
    }


def ranking_node(option: str) -> dict[str, Any]:
    """The config node of ``conf/ranking/<option>.yaml``, as Hydra would compose it."""
    import yaml

    return yaml.safe_load((ROOT / "conf" / "ranking" / f"{option}.yaml").read_text())


def bench_policies(
    n: int, degree: float, repeats: int, options: list[str] | None = None
) -> dict[str, Any]:
    """``conf/ranking`` options (default: all) on the target workload
    (``bench_ranking.prepare``: ~``degree`` candidates per viewer).
    """
    from feedlab.benchmarks.bench_ranking import bench, prepare
    from feedlab.models.ranking import RANKINGS

    t0 = time.perf_counter()
    model, base = prepare(n, degree, 0)
    k = model.feed_lengths()
    rows = {}
    names = options or sorted(p.stem for p in (ROOT / "conf" / "ranking").glob("*.yaml"))
    for name in names:
        policy = RANKINGS.build(ranking_node(name))
        rows[name] = rank_timing(bench(policy, base, k, repeats), base.size)
    return {
        "n": n,
        "degree": degree,
        "candidates": int(base.size),
        "candidates_per_viewer": base.size / n,
        "mean_k": float(k.mean()),
        "repeats": repeats,
        "setup_seconds": time.perf_counter() - t0,
        "by_policy": rows,
    }
