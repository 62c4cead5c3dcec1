"""The paper figures: ``feedlab figures`` regenerates the whole set from configs.

    feedlab figures                       # the default set into figures/ (a few minutes)
    feedlab figures --quick               # tiny runs, seconds (tests, smoke checks)
    feedlab figures --only cascade_ccdf,reputation_recovery --jobs 2
    feedlab figures --override network=polblogs    # every run of every figure
    feedlab figures --list

One script per figure in this package (:data:`FIGURES`), each driven by an experiment
config or a short list of overrides (:mod:`feedlab.analysis.figures.base`). The runs go through
:func:`feedlab.experiments.run_experiment` into ``<out>/.runs`` (complete runs are never
recomputed), with a progress bar across the runs a figure needs. Each figure is written
as ``<out>/<name>.png``, ``<name>.pdf`` and the sidecar ``<name>.json``: config hashes
(run keys), git commit, seeds, coverage, the plotted numbers; the same provenance is in
the PNG/PDF metadata. Same inputs, same bytes: no timestamps anywhere
(:func:`feedlab.analysis.figures.style.save`). A figure whose data this install does not produce
(a feature not yet present) is skipped with the reason.

Exit code: 0 when every figure was written or skipped for absent data; 1 when a figure
failed or some of its runs failed (it is still drawn from the complete runs, and its
coverage says so); 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feedlab.analysis.figures import base, style

#: name -> module (in display order).
FIGURES: dict[str, str] = {
    "polarisation_over_time": "feedlab.analysis.figures.polarisation_over_time",
    "engagement_value_frontier": "feedlab.analysis.figures.engagement_value_frontier",
    "outrage_amplification": "feedlab.analysis.figures.outrage_amplification",
    "engagement_rate_audience": "feedlab.analysis.figures.engagement_rate_audience",
    "trust_by_behaviour": "feedlab.analysis.figures.trust_by_behaviour",
    "cascade_ccdf": "feedlab.analysis.figures.cascade_ccdf",
    "reputation_recovery": "feedlab.analysis.figures.reputation_recovery",
    "validation_watts": "feedlab.analysis.figures.validation_watts",
    "validation_dw": "feedlab.analysis.figures.validation_dw",
    "business_models": "feedlab.analysis.figures.business_models",
    "brand_safety": "feedlab.analysis.figures.brand_safety",
    "creator_economy": "feedlab.analysis.figures.creator_economy",
}


def make_figure(
    name: str,
    out: Path,
    scale: base.Scale,
    *,
    cache: Path,
    extra: Sequence[str] = (),
    jobs: int = 1,
    progress: bool = True,
) -> dict[str, Any]:
    """Build one figure; returns ``{"status": written|skipped|failed, ...}``."""
    module = importlib.import_module(FIGURES[name])
    try:
        specs = module.design(scale)
    except base.FigureSkipped as exc:
        return {"status": "skipped", "reason": str(exc)}
    runs, errors, computed = base.execute(
        specs, cache, extra=extra, jobs=jobs, progress=progress, desc=name
    )
    if specs and not runs:
        first = next(iter(errors.values()), "no runs")
        return {"status": "failed", "reason": f"no run completed ({first})", "errors": errors}
    try:
        with style.rc():
            if "cache" in inspect.signature(module.plot).parameters:
                fig, data = module.plot(runs, scale, cache=cache)  # computes its own runs
            else:
                fig, data = module.plot(runs, scale)
            prov = base.provenance(module, specs, runs, errors, scale, extra, data)
            paths = style.save(fig, out, name, prov)
    except base.FigureSkipped as exc:
        return {"status": "skipped", "reason": str(exc)}
    return {
        "status": "written",
        "paths": paths,
        "coverage": prov["coverage"],
        "computed": computed,
        "errors": errors,
    }


def _parser() -> argparse.ArgumentParser:
    """The ``feedlab figures`` command line (module docstring)."""
    p = argparse.ArgumentParser(
        prog="feedlab figures",
        description="Regenerate the paper figures (PDF, PNG and a provenance sidecar each).",
    )
    p.add_argument("--out", type=Path, default=Path("figures"), help="output directory")
    p.add_argument(
        "--runs",
        type=Path,
        default=None,
        help="run cache (output.dir of every run); default <out>/.runs",
    )
    p.add_argument("--quick", action="store_true", help="tiny runs (seconds): tests, smoke checks")
    p.add_argument("--only", default="", help="comma-separated figure names (default: all)")
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Hydra override added to every run (repeatable)",
    )
    p.add_argument("--jobs", type=int, default=1, help="runs computed in parallel (processes)")
    p.add_argument(
        "--gallery",
        type=Path,
        default=None,
        help="also copy each PNG to DIR/gallery_<name>.png (docs/figures)",
    )
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return p


def _report(name: str, res: dict[str, Any], out: Path, gallery: Path | None) -> int:
    """Print one figure's outcome (its failed runs to stderr), copy a written PNG into
    the gallery, and return its exit status: 1 if it failed or lost runs, else 0.
    """
    if res["status"] == "skipped":
        print(f"{name}: skipped: {res['reason']}")
        return 0
    if res["status"] != "written":
        print(f"{name}: FAILED: {res['reason']}", file=sys.stderr)
        return 1
    line = f"{name}: wrote {out / name}.{{png,pdf,json}} ({res['coverage']}"
    line += f", {res['computed']} computed now)"
    print(line)
    for i, err in sorted(res["errors"].items()):
        print(f"  run #{i} failed: {err}", file=sys.stderr)
    if gallery is not None:
        gallery.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / f"{name}.png", gallery / f"gallery_{name}.png")
    return 1 if res["errors"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab figures``: build the chosen figures; exit code as in the module docstring."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.list:
        for name, mod in FIGURES.items():
            m = importlib.import_module(mod)
            print(f"{name:28s} {m.TITLE}")
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        print(
            f"feedlab figures: unknown figure(s) {unknown}; choose from {list(FIGURES)}",
            file=sys.stderr,
        )
        return 2
    if args.jobs < 1:
        print(f"feedlab figures: --jobs {args.jobs}: must be >= 1", file=sys.stderr)
        return 2
    scale = base.QUICK if args.quick else base.DEFAULT
    cache = args.runs or args.out / ".runs"
    status = 0
    for name in names:
        try:
            res = make_figure(
                name,
                args.out,
                scale,
                cache=cache,
                extra=args.override,
                jobs=args.jobs,
                progress=not args.quiet,
            )
        except Exception:
            traceback.print_exc()
            res = {"status": "failed", "reason": "exception (traceback above)"}
        status = max(status, _report(name, res, args.out, args.gallery))
    return status
