"""Benchmarks against the peers, side by side in one run: ``feedlab bench``.

    pip install -e ".[bench]"              # ndlib (+ six, scikit-learn) for the peers
    feedlab bench                          # default suite (< 15 min on 2 cores)
    feedlab bench --quick --out r.json --doc /tmp/performance.md   # small sizes (tests)
    feedlab bench --full-scale             # the 10⁶ users × 100 steps run, recorded apart
    feedlab bench --throughput --baseline-commit 9e09ef3   # sweep runs/min, vs a commit
    feedlab bench --report-only            # rewrite docs/performance.md from the JSON
    python -m feedlab.benchmarks.run ...           # the same without the console script

Workloads (docs/performance.md §Performance targets), every one on the same machine in
the same process tree, one module each under :mod:`feedlab.benchmarks.workloads`:

* **Deffuant / algorithmic bias** (:mod:`~feedlab.benchmarks.workloads.algorithmic_bias`):
  feedlab's kernel and model against ndlib and an idiomatic Mesa 3 model on the same
  Barabási–Albert graphs, seeds and initial opinions;
* **agreement** (:mod:`~feedlab.benchmarks.workloads.agreement`): a fast wrong answer must
  not win — replicates compared in distribution, plus exact checks;
* **Watts threshold cascade** (:mod:`~feedlab.benchmarks.workloads.threshold`), which must
  match ndlib and the NumPy reference exactly;
* **scaling** (:mod:`~feedlab.benchmarks.workloads.scaling`): the full feed step, ranking
  and memory at N = 10³ … 10⁶, each N in a fresh subprocess (this module's ``_worker``
  command), a cProfile at the target N, and every ranking policy at the target workload
  (:mod:`~feedlab.benchmarks.workloads.ranking`);
* **full scale** (``--full-scale``): 10⁶ users × 100 steps, written to
  ``benchmarks/results/full_scale.json`` and merged into the results and the document of
  later runs (it does not fit the default suite's 15-minute budget);
* **sweep throughput** (``--throughput``, :mod:`~feedlab.benchmarks.workloads.throughput`):
  runs/min of a 200-run sweep of small runs at 1 and 2 workers and the cost of resuming
  it, against a baseline commit in the same run; written to
  ``benchmarks/results/throughput.json`` and merged in the same way.

The sizes are :mod:`feedlab.benchmarks.settings`; the targets are judged by
:mod:`feedlab.benchmarks.targets`; the page is rendered by :mod:`feedlab.benchmarks.report`
from the template ``benchmarks/report_template.md``.

One core per measurement: BLAS/OpenMP/Numba threads are pinned to 1 (before NumPy is
imported). The exit code is 1 when any agreement check fails (targets missed are
reported, not failed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the names below are this module's interface too (tests and scripts import them from here)
from feedlab.benchmarks.machine import have_ndlib, loadavg, log, machine_info  # noqa: E402
from feedlab.benchmarks.report import render_report, write_figures, write_report  # noqa: E402
from feedlab.benchmarks.settings import (  # noqa: E402
    DEFAULT,
    DEFAULT_DOC,
    DEFAULT_OUT,
    DESIGN_REFERENCE,
    FULL_SCALE_JSON,
    QUICK,
    QUICK_OUT,
    RESULTS,
    SCHEMA,
    THROUGHPUT_JSON,
    Settings,
    settings_of,
)
from feedlab.benchmarks.targets import evaluate_targets, why_missed  # noqa: E402
from feedlab.benchmarks.workloads.agreement import agreement_algorithmic_bias  # noqa: E402
from feedlab.benchmarks.workloads.algorithmic_bias import (  # noqa: E402
    Graph,
    bench_algorithmic_bias,
    kernel_sweeps,
)
from feedlab.benchmarks.workloads.attention import bench_attention  # noqa: E402
from feedlab.benchmarks.workloads.scaling import (  # noqa: E402
    bench_full_scale,
    bench_scaling,
    worker,
)
from feedlab.benchmarks.workloads.threshold import bench_threshold  # noqa: E402
from feedlab.benchmarks.workloads.throughput import bench_throughput  # noqa: E402

__all__ = [
    "DEFAULT",
    "DEFAULT_DOC",
    "DEFAULT_OUT",
    "DESIGN_REFERENCE",
    "FULL_SCALE_JSON",
    "QUICK",
    "QUICK_OUT",
    "RESULTS",
    "SCHEMA",
    "Graph",
    "Settings",
    "agreement_algorithmic_bias",
    "bench_algorithmic_bias",
    "bench_full_scale",
    "bench_scaling",
    "bench_threshold",
    "bench_throughput",
    "evaluate_targets",
    "kernel_sweeps",
    "machine_info",
    "main",
    "render_report",
    "settings_of",
    "why_missed",
    "worker",
    "write_figures",
    "write_report",
]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp") if path.suffix != ".tmp" else path.with_suffix(".tmp~")
    tmp.write_text(json.dumps(data, indent=1, default=float) + "\n")
    os.replace(tmp, path)


def _parser() -> argparse.ArgumentParser:
    """The command line of ``feedlab bench``."""
    ap = argparse.ArgumentParser(
        prog="feedlab bench",
        description="feedlab side by side with ndlib and an idiomatic Mesa model -> JSON + "
        "docs/performance.md",
    )
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds; tests)")
    ap.add_argument(
        "--out",
        type=Path,
        help=f"results JSON (default {DEFAULT_OUT.relative_to(ROOT)}"
        f"; --quick: {QUICK_OUT.relative_to(ROOT)})",
    )
    ap.add_argument(
        "--doc",
        type=Path,
        help="performance document to write (default "
        "docs/performance.md; --quick: none unless given)",
    )
    ap.add_argument(
        "--full-scale",
        action="store_true",
        help="only the 10^6 users x 100 steps run -> benchmarks/results/full_scale.json, "
        "merged into --out and --doc",
    )
    ap.add_argument("--full-scale-n", type=int, help="users of --full-scale (default 10^6)")
    ap.add_argument("--full-scale-steps", type=int, help="steps of --full-scale (default 100)")
    ap.add_argument(
        "--throughput",
        action="store_true",
        help="only the sweep-throughput workload -> benchmarks/results/throughput.json, "
        "merged into --out and --doc",
    )
    ap.add_argument(
        "--throughput-runs", type=int, default=200, help="runs of the sweep (default 200)"
    )
    ap.add_argument(
        "--baseline-commit",
        help="--throughput: also measure this commit (git archive into a temporary folder)",
    )
    ap.add_argument(
        "--baseline",
        type=Path,
        help="--throughput: also measure this checkout of feedlab (instead of a commit)",
    )
    ap.add_argument(
        "--throughput-repeats",
        type=int,
        default=3,
        help="--throughput: this checkout's 1- and 2-worker sweeps, each this many times "
        "alternating; the median is reported (the baseline once: its sweeps are long)",
    )
    ap.add_argument(
        "--throughput-baseline-repeats",
        type=int,
        default=1,
        help="--throughput: the baseline's 1- and 2-worker sweeps, each this many times "
        "alternating, the median reported (default 1: each takes a minute or more)",
    )
    ap.add_argument(
        "--throughput-baseline-runs",
        type=int,
        default=200,
        help="runs of the baseline's sweep (default 200, as feedlab's)",
    )
    ap.add_argument("--no-ndlib", action="store_true", help="leave ndlib out even if installed")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: re-evaluate the targets and rewrite --doc from the --out JSON",
    )
    return ap


def _settings(args: argparse.Namespace) -> Settings:
    """The suite's settings: ``QUICK`` or ``DEFAULT``, with the full-scale size options."""
    s = QUICK if args.quick else DEFAULT
    if args.full_scale_n:
        s = replace(s, full_scale_n=args.full_scale_n)
    if args.full_scale_steps:
        s = replace(s, full_scale_steps=args.full_scale_steps)
    return s


def _report_only(out: Path, doc: Path | None) -> int:
    """Re-judge the targets of the results in ``out`` and rewrite the document."""
    try:
        results = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        print(
            f"feedlab bench: --report-only needs the results of a measured run; --out {out}: "
            f"{exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}",
            file=sys.stderr,
        )
        return 2
    results["targets"] = evaluate_targets(results, settings_of(results))
    _write_json(out, results)
    write_report(results, doc or DEFAULT_DOC)
    log(f"wrote {doc or DEFAULT_DOC} from {out}")
    return 0


def _full_scale(s: Settings, quick: bool, out: Path, doc: Path | None) -> int:
    """The full-scale run alone, recorded apart and merged into ``out`` (and ``doc``)."""
    fs = bench_full_scale(s)
    fs_path = FULL_SCALE_JSON if not quick else out.with_name(out.name + ".full_scale")
    _write_json(fs_path, fs)
    if out.exists():
        results = json.loads(out.read_text())
        results["full_scale"] = fs
        results["targets"] = evaluate_targets(results, settings_of(results))
        _write_json(out, results)
        if doc:
            write_report(results, doc)
    return 0


def _throughput(
    args: argparse.Namespace, argv: list[str], quick: bool, out: Path, doc: Path | None
) -> int:
    """The sweep-throughput workload alone, recorded apart and merged into ``out``."""
    tp = bench_throughput(
        runs=args.throughput_runs,
        baseline=args.baseline,
        baseline_commit=args.baseline_commit,
        baseline_runs=args.throughput_baseline_runs,
        repeats=max(1, args.throughput_repeats),
        baseline_repeats=max(1, args.throughput_baseline_repeats),
    )
    tp["command"] = "feedlab bench " + " ".join(argv)
    tp_path = THROUGHPUT_JSON if not quick else out.with_name(out.name + ".throughput")
    _write_json(tp_path, tp)
    log(f"wrote {tp_path}")
    if out.exists():
        results = json.loads(out.read_text())
        results["throughput"] = tp
        _write_json(out, results)
        if doc:
            write_report(results, doc)
    return 0


def _sections(s: Settings, ndlib_ok: bool, results: dict[str, Any]) -> dict[str, float]:
    """Run every workload into ``results``; the wall time of each."""
    with tempfile.TemporaryDirectory(prefix="feedlab-bench-") as tmp:
        work = Path(tmp)
        sections = [
            ("algorithmic_bias", lambda: bench_algorithmic_bias(s, work, ndlib_ok)),
            ("agreement_algorithmic_bias", lambda: agreement_algorithmic_bias(s, work, ndlib_ok)),
            ("threshold", lambda: bench_threshold(s, ndlib_ok)),
            ("scaling", lambda: bench_scaling(s)),
            ("attention_cost", lambda: bench_attention(s.target_n)),
        ]
        timings = {}
        for name, fn in sections:
            t0 = time.perf_counter()
            results[name] = fn()
            timings[name] = time.perf_counter() - t0
            log(f"{name}: {timings[name]:.0f} s")
    return timings


def _suite(s: Settings, argv: list[str], no_ndlib: bool, out: Path) -> dict[str, Any]:
    """The whole suite: machine, every workload, the targets, written to ``out``."""
    ndlib_ok, why = (False, "--no-ndlib") if no_ndlib else have_ndlib()
    started = dt.datetime.now(dt.UTC)
    t_start = time.perf_counter()
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "mode": s.mode,
        "started": started.isoformat(timespec="seconds"),
        "command": "feedlab bench " + " ".join(argv),
        "machine": machine_info(),
        "load_start": loadavg(),
        "settings": asdict(s),
        "skipped": [] if ndlib_ok else [f"ndlib: {why}"],
        "design_reference": DESIGN_REFERENCE,
    }
    log(
        f"{s.mode} suite; load {results['load_start']} on {results['machine']['logical_cores']} "
        f"cores; ndlib {'yes' if ndlib_ok else 'no (' + why + ')'}"
    )
    results["section_seconds"] = _sections(s, ndlib_ok, results)
    fs_file = FULL_SCALE_JSON if s.mode == "default" else out.with_name(out.name + ".full_scale")
    results["full_scale"] = json.loads(fs_file.read_text()) if fs_file.exists() else None
    tp_file = THROUGHPUT_JSON if s.mode == "default" else out.with_name(out.name + ".throughput")
    results["throughput"] = json.loads(tp_file.read_text()) if tp_file.exists() else None
    results["agreement_ok"] = bool(
        results["agreement_algorithmic_bias"]["ok"] and results["threshold"]["agreement"]["ok"]
    )
    results["targets"] = evaluate_targets(results, s)
    results["load_end"] = loadavg()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["wall_seconds"] = time.perf_counter() - t_start
    _write_json(out, results)
    log(f"wrote {out} ({results['wall_seconds'] / 60:.1f} min; load {results['load_end']})")
    return results


def main(argv: list[str] | None = None) -> int:
    """``feedlab bench``: measure, write the results JSON and the document.

    ``_worker ...`` as the first argument runs one scaling worker instead (the suite
    starts itself that way, one fresh process per N).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "_worker":
        return worker(argv[1:])
    args = _parser().parse_args(argv)
    s = _settings(args)
    out = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    doc = args.doc or (None if args.quick else DEFAULT_DOC)
    if args.report_only:
        return _report_only(out, doc)
    if args.full_scale:
        return _full_scale(s, args.quick, out, doc)
    if args.throughput:
        return _throughput(args, argv, args.quick, out, doc)
    results = _suite(s, argv, args.no_ndlib, out)
    if doc:
        write_report(results, doc)
        log(f"wrote {doc}")
    if not results["agreement_ok"]:
        log("AGREEMENT CHECK FAILED: see the JSON's agreement sections")
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
