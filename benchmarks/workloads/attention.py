"""The attention economy's cost: the default step with sessions, churn and ads on vs off.

Issue 19's budget (docs/attention.md §Cost): the default feed step at N = 10⁵ with
sessions (``dynamics.session``), churn (``dynamics.churn``) and ads sold under the
ad-funded business model (``ads=feed_ads platform.business_model=ad_funded``) must stay
within 1.3× of the same step with all of them off, **measured in the same run**. Both
models are built in one process from the default config (engagement ranking, live metrics
every step, as :mod:`.scaling`) and stepped **interleaved** — off, on, off, on, … — so
that load from other work on a shared machine falls on both alike. Each step's CPU time
(``time.process_time``) and wall time are recorded; the headline is the ratio of the
median CPU times (on ÷ off), with the median of the per-pair ratios beside it.

In the suite (``feedlab bench``) it runs at the settings' ``target_n`` (10⁵; 2,000 with
``--quick``); alone::

    python -m feedlab.benchmarks.workloads.attention --n 100000 --steps 7 --json out.json
    python -m feedlab.benchmarks.workloads.attention --switch dynamics.session.enabled=true \
        --switch dynamics.churn.enabled=true --json out.json      # a subset of the switches
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from feedlab.benchmarks.machine import loadavg, log, peak_rss_gb
from feedlab.benchmarks.workloads.common import median

#: The attention-economy switches turned on in the "on" model (docs/attention.md).
ATTENTION_ON = (
    "dynamics.session.enabled=true",
    "dynamics.churn.enabled=true",
    "ads=feed_ads",
    "platform.business_model=ad_funded",
)

#: The budget of issue 19: on ÷ off at most this.
BUDGET = 1.3


def _model(n: int, extra: tuple[str, ...]):
    """The default model at ``n`` users (engagement ranking, as the scaling workload)."""
    from feedlab.experiments import build, compose

    overrides = [f"network.n={n}", "ranking=engagement", "output.mesa_agents=false", *extra]
    c0 = time.process_time()
    model = build(compose(overrides))
    return model, time.process_time() - c0


def _timed_step(model) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one step (records a row: record_every = 1)."""
    t0, c0 = time.perf_counter(), time.process_time()
    model.step()
    return time.process_time() - c0, time.perf_counter() - t0


def bench_attention(
    n: int, steps: int = 7, warmup: int = 2, switches: tuple[str, ...] = ATTENTION_ON
) -> dict[str, Any]:
    """Interleaved off/on steps at ``n`` users: the per-step times and the ratio
    (``switches``: the overrides of the "on" model; default :data:`ATTENTION_ON`).
    """
    load_start = loadavg()
    off, build_off = _model(n, ())
    on, build_on = _model(n, switches)
    for _ in range(warmup):  # JIT compilation and first-step allocations, both models
        off.step()
        on.step()
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    wall: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(steps):
        # alternate which goes first, so neither always follows the other's garbage
        order = (("off", off), ("on", on)) if i % 2 == 0 else (("on", on), ("off", off))
        for name, model in order:
            gc.collect()
            c, w = _timed_step(model)
            cpu[name].append(c)
            wall[name].append(w)
    pair_ratios = [b / a for a, b in zip(cpu["off"], cpu["on"], strict=True) if a > 0]
    ratio = median(cpu["on"]) / median(cpu["off"])
    out = {
        "n": n,
        "switches_on": list(switches),
        "warmup_steps": warmup,
        "steps_timed": steps,
        "build_cpu_seconds": {"off": build_off, "on": build_on},
        "step_cpu_seconds": cpu,
        "step_wall_seconds": wall,
        "median_step_cpu_seconds": {k: median(v) for k, v in cpu.items()},
        "median_step_wall_seconds": {k: median(v) for k, v in wall.items()},
        "ratio_cpu": ratio,
        "ratio_cpu_pairs_median": median(pair_ratios),
        "ratio_wall": median(wall["on"]) / median(wall["off"]),
        "budget": BUDGET,
        "within_budget": bool(ratio <= BUDGET),
        "dau_on_last": float(on.active.mean()) if getattr(on, "active", None) is not None else None,
        "load_start": load_start,
        "load_end": loadavg(),
        "peak_rss_gb": peak_rss_gb(),
    }
    log(
        f"attention cost at N={n}: {median(cpu['off']):.2f} s off, "
        f"{median(cpu['on']):.2f} s on (CPU, median of {steps}): "
        f"{ratio:.2f}x (budget {BUDGET}x)"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the workload alone and write its JSON."""
    ap = argparse.ArgumentParser(prog="python -m feedlab.benchmarks.workloads.attention")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument(
        "--switch",
        action="append",
        help="an override of the 'on' model (repeatable; default: sessions, churn, ads)",
    )
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args(argv)
    switches = tuple(args.switch) if args.switch else ATTENTION_ON
    res = bench_attention(args.n, args.steps, args.warmup, switches)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
