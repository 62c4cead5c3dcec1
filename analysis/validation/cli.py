"""``feedlab validate``: parse the flags, run the selected checks, print the table and write the
Markdown and JSON reports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .params import PARAM_SETS
from .protocol import POWERED, Design
from .registry import CHECKS
from .report import _jsonable, _write_atomic, format_table, to_markdown
from .runner import Context, code_fingerprint, exit_status, run_checks, select
from .seed_sets import default_out, other_json, section
from .seeds import SEED_SETS, TARGET_SEEDS, TEST_SEEDS
from .targets_report import TARGET_DESIGN

EPILOG = """exit status:
  0  every canonical reduction that ran passed and no check raised an error
     (stylized facts that fail are reported as FAIL-reported and documented in
     docs/validation.md; checks not yet implemented are listed, never counted)
  1  a canonical reduction failed (FAIL) or a check raised (ERROR); with --strict
     also when a stylized fact failed
  2  usage error (e.g. an unknown check name)
  --targets: 0 unless a measurement raised (verdicts are findings, not failures)

--seed-set B runs --powered or --targets on the second, disjoint test set (2000-2059)
and writes validation/results_B.md / targets_B.md by default; when the other set's JSON
exists beside the output (or --compare-with names it), the Markdown adds a table of the
verdicts on both sets and whether they agree.

--targets --sequential extends a target left INCONCLUSIVE in blocks of 20 seeds up to 60
(looks at 20, 40, 60 seeds of the set, 98.3 % CIs: alpha 0.05 split over 3 looks).

--powered decides every stylized fact under the sequential design on the test seeds
(looks at 20, 30, ..., 60 seeds, 99 % CIs: alpha 0.05 split over 5 looks); --set and a
smaller --design are shrink hooks for checking the pipeline end to end: their results
are marked reduced and are not the documented ones (docs/validation.md).
"""


def _parser() -> argparse.ArgumentParser:
    """The argument parser of ``feedlab validate``."""
    ap = argparse.ArgumentParser(
        prog="feedlab validate",
        description=(
            "Canonical reductions and stylized facts: expected vs measured.\n"
            "Runs the fast subset by default (about a minute), every check with --full;\n"
            "complete runs are cached per code version under --cache."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--full", action="store_true", help="run every check, not the fast subset")
    ap.add_argument(
        "--only", default="", help="comma-separated check names (see --list), or target ids"
    )
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    ap.add_argument(
        "--powered",
        action="store_true",
        help="decide stylized facts under the sequential design on the test seeds",
    )
    ap.add_argument(
        "--design",
        default="",
        help=f"looks as START:STEP:MAX seeds (default {_text(POWERED)} for --powered, "
        f"{_text(TARGET_DESIGN)} for --targets --sequential)",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override appended to every fact and target run (shrink hook; marks results reduced)",
    )
    ap.add_argument(
        "--targets", action="store_true", help="measure the field targets instead of the checks"
    )
    ap.add_argument(
        "--params",
        default="default",
        choices=PARAM_SETS,
        help="parameter set: default, or calibrated (every conf/<group>/calibrated.yaml; "
        "reports get a _calibrated suffix and a section beside the default report) "
        "(default %(default)s)",
    )
    ap.add_argument(
        "--sequential",
        action="store_true",
        help="with --targets: the sequential design (more seeds while INCONCLUSIVE)",
    )
    ap.add_argument(
        "--seed-set",
        default="A",
        choices=sorted(SEED_SETS),
        help="test seed set of --powered and --targets: A (1000-1059, of record) or B "
        "(2000-2059, its replication) (default %(default)s)",
    )
    ap.add_argument(
        "--compare-with",
        default="",
        metavar="JSON",
        help="the other seed set's JSON report to compare verdicts with (default: the "
        "sibling file by the _B naming, when it exists)",
    )
    ap.add_argument(
        "--target-seeds",
        type=int,
        default=TARGET_SEEDS,
        help="test seeds per field target (default %(default)s)",
    )
    ap.add_argument(
        "--out",
        default="",
        help="Markdown output (default validation/results.md; with --targets validation/targets.md)",
    )
    ap.add_argument("--json", default="", help="JSON results (default: --out with .json)")
    ap.add_argument(
        "--figures", default="validation/figures", help="figure directory (default %(default)s)"
    )
    ap.add_argument("--no-figures", action="store_true", help="do not draw figures")
    ap.add_argument(
        "--cache", default="validation/.runs", help="run cache root (default %(default)s)"
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="worker processes for independent runs (default %(default)s)",
    )
    ap.add_argument("--strict", action="store_true", help="failing stylized facts also exit 1")
    ap.add_argument("--quiet", action="store_true", help="print only the table")
    return ap


def _text(design: Design) -> str:
    """A design as ``START:STEP:MAX``."""
    return f"{design.start}:{design.step}:{design.maximum}"


def _design(text: str) -> Design:
    """``START:STEP:MAX`` → :class:`Design`; ValueError naming the option."""
    try:
        start, step, maximum = (int(x) for x in text.split(":"))
        design = Design(start=start, step=step, maximum=maximum)
    except ValueError as exc:
        raise ValueError(
            f"--design must be START:STEP:MAX integers with 1 < START <= MAX <= "
            f"{len(TEST_SEEDS)} and STEP >= 1, got {text!r} ({exc})"
        ) from None
    if design.maximum > len(TEST_SEEDS):
        raise ValueError(
            f"--design: MAX must be <= {len(TEST_SEEDS)} (the test seeds), got {text!r}"
        )
    return design


def _problems(args: argparse.Namespace) -> list[str]:
    """Usage errors of the parsed flags (empty when fine)."""
    out = []
    if args.jobs < 1:
        out.append("--jobs must be >= 1")
    bad = [s for s in args.set if "=" not in s or s.startswith("=")]
    if bad:
        out.append(f"--set needs KEY=VALUE, got {', '.join(bad)}")
    if not 2 <= args.target_seeds <= len(TEST_SEEDS):
        out.append(f"--target-seeds must lie in 2..{len(TEST_SEEDS)}, got {args.target_seeds}")
    if args.targets and (args.powered or args.full):
        out.append("--targets runs the field targets only: drop --powered/--full")
    if args.sequential and not args.targets:
        out.append("--sequential is the design of --targets (facts: --powered)")
    if args.sequential and args.target_seeds != TARGET_SEEDS:
        out.append("--sequential sets the seeds by its looks (--design): drop --target-seeds")
    if args.design and not (args.powered or args.sequential):
        out.append("--design needs --powered or --targets --sequential")
    if args.seed_set != "A" and not (args.powered or args.targets):
        out.append(
            f"--seed-set {args.seed_set} needs --powered or --targets (the fast checks run "
            "on their fixed small seed sets)"
        )
    return out


def _write(md: Path, js: Path, text: str, payload: dict, compare_with: str = "") -> None:
    """Write the Markdown and the JSON (atomically); the Markdown ends with the agreement
    of verdicts across seed sets when the other set's JSON exists (:mod:`.seed_sets`).
    """
    other = Path(compare_with) if compare_with else other_json(js, payload.get("seed_set", "A"))
    extra = section(_jsonable(payload), other)
    if payload.get("params") == "calibrated":
        extra += _params_section(payload, js)
    _write_atomic(md, text + ("\n" + extra if extra else ""))
    _write_atomic(js, json.dumps(_jsonable(payload), indent=1, ensure_ascii=False) + "\n")


def _params_section(payload: dict, js: Path) -> str:
    """The default-vs-calibrated section (empty when the default report's JSON is absent)."""
    from . import params
    from .seed_sets import load

    default = load(params.default_twin(js))
    if default is None:
        return ""
    fitted, held = params.roles(payload.get("params_provenance", []))
    rows = params.comparison(default, _jsonable(payload))
    return "\n" + params.markdown(rows, default, payload, fitted, held)


def _params_header(payload: dict) -> str:
    """The sentence naming the calibrated parameters and their provenance."""
    if payload.get("params") != "calibrated":
        return ""
    keep = ("fitted targets:", "held-out targets:", "simulated with:", "commit:")
    prov = "; ".join(ln for ln in payload.get("params_provenance", []) if ln.startswith(keep))
    return (
        f" **Parameters: calibrated** (`{' '.join(payload['params_overrides'])}` appended to "
        f"every run; {prov})."
    )


def _reduced(args: argparse.Namespace, design: Design | None) -> str:
    """Why the results are reduced (empty when they are the documented size)."""
    why = [f"--set {s}" for s in args.set]
    if design is not None and design != (TARGET_DESIGN if args.targets else POWERED):
        why.append(f"--design {args.design}")
    if args.targets and args.target_seeds < TARGET_SEEDS:
        why.append(f"{args.target_seeds} seeds (documented: {TARGET_SEEDS})")
    return "; ".join(why)


def _default_md(path: Path, args: argparse.Namespace) -> Path:
    """The default Markdown output for the seed set and parameter set."""
    from . import params

    return default_out(params.suffixed(path) if args.params != "default" else path, args.seed_set)


def _params_payload(args: argparse.Namespace) -> dict[str, Any]:
    """The parameter set's entries of a report's JSON (none for the defaults)."""
    if args.params == "default":
        return {}
    from . import params

    return {
        "params": args.params,
        "params_overrides": list(params.overrides(args.params)),
        "params_provenance": params.provenance(),
    }


def _run_targets(
    args: argparse.Namespace, ctx: Context, only: list[str], echo: Any, design: Design | None
) -> int:
    """``--targets``: measure every field target (under the sequential ``design`` of
    ``--sequential``, else on ``--target-seeds`` seeds), print and write the table.
    """
    from feedlab.analysis.targets import load_targets
    from feedlab.analysis.targets.measurements import INFORMATIVE

    from .targets_report import measure_informative, measure_targets, targets_markdown

    unknown = [t for t in only if t not in load_targets() and t not in INFORMATIVE]
    if unknown:
        print(
            f"feedlab validate: unknown target(s) {', '.join(unknown)}; allowed: "
            f"{', '.join([*load_targets(), *INFORMATIVE])}",
            file=sys.stderr,
        )
        return 2
    n_max = design.maximum if design is not None else args.target_seeds
    seeds = SEED_SETS[args.seed_set][:n_max]
    rows = measure_targets(ctx, seeds, only, echo, design)
    first = seeds[: design.start] if design is not None else seeds
    informative = measure_informative(ctx, first, only, echo)
    reduced = _reduced(args, design)
    how = (
        f"the sequential design: looks at {', '.join(map(str, design.looks))} of seeds "
        f"{seeds[0]}–{seeds[-1]}, each target stopping at its first settled verdict, "
        f"{100 * (1 - design.look_alpha):.3g} % t-intervals (alpha {design.alpha:g} split over "
        f"{len(design.looks)} looks); informative rows on the first {design.start}"
        if design is not None
        else f"seeds {seeds[0]}–{seeds[-1]}, 95 % t-intervals over seeds"
    )
    header = (
        f"Generated by `feedlab validate --targets{' --sequential' if design else ''}` (code "
        f"fingerprint {ctx.cache.name}; test seed set {args.seed_set}, {how})."
        + (
            f" **REDUCED run ({reduced}): a check of the pipeline, not a result; no PASS "
            "of this run is a claim about the model.**"
            if reduced
            else ""
        )
    )
    for r in rows:
        print(f"{r['target']:48s} {r['verdict']:34s} {r['reason'][:90]}")
    md = Path(args.out or _default_md(Path("validation/targets.md"), args))
    js = Path(args.json) if args.json else md.with_suffix(".json")
    payload = {
        "code_fingerprint": ctx.cache.name,
        "reduced": reduced,
        "seed_set": args.seed_set,
        "seeds": list(seeds),
        "design": (
            {"looks": list(design.looks), "level": 1 - design.look_alpha} if design else None
        ),
        **_params_payload(args),
    }
    header += _params_header(payload)
    ci = f"{100 * (1 - design.look_alpha):.3g} %" if design is not None else "95 %"
    text = targets_markdown(rows, header, informative, ci)
    payload = {**payload, "targets": rows, "informative": informative}
    _write(md, js, text, payload, args.compare_with)
    if echo:
        echo(f"wrote {md} and {js}")
    return 1 if any(r["verdict"] == "ERROR" for r in rows) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab validate``: run the suite, print the table, write Markdown and JSON."""
    ap = _parser()
    try:
        args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.list:
        for c in CHECKS.values():
            state = "implemented" if c.run else "not yet implemented"
            print(f"{c.name:32s} {c.kind:10s} {c.tier:5s} {state:20s} {c.title}")
        return 0
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    problems = _problems(args)
    design: Design | None = None
    checks: list = []
    try:
        design = _design(args.design or _text(POWERED)) if args.powered else None
        if args.targets and args.sequential:
            design = _design(args.design or _text(TARGET_DESIGN))
        checks = [] if args.targets else select(args.full, only)
    except (KeyError, ValueError) as exc:
        problems.append(str(exc.args[0]))
    extra: tuple[str, ...] = ()
    try:
        from . import params

        extra = params.overrides(args.params)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        for p in problems:
            print(f"feedlab validate: {p}", file=sys.stderr)
        return 2
    fingerprint = code_fingerprint()
    cache = Path(args.cache) / fingerprint
    echo = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    ctx = Context(
        cache=cache,
        figures=None if args.no_figures else Path(args.figures),
        log=(lambda msg: None),
        jobs=args.jobs,
        design=None if args.targets else design,
        overrides=(*args.set, *extra),
        test_seeds=SEED_SETS[args.seed_set],
    )
    if args.targets:
        return _run_targets(args, ctx, only, echo, design)
    return _run_suite(args, ctx, checks, bool(only), echo)


def _run_suite(args: argparse.Namespace, ctx: Context, checks: list, only: bool, echo: Any) -> int:
    """Run the selected checks, print the table, write Markdown and JSON."""
    fingerprint = ctx.cache.name
    scope = "selected" if only else ("all" if args.full else "fast subset; --full runs all")
    if ctx.design is not None:
        scope += (
            f"; powered: looks at {', '.join(map(str, ctx.design.looks))} test seeds of set "
            f"{args.seed_set}"
        )
    reduced = _reduced(args, ctx.design)
    if reduced:
        scope += f"; REDUCED ({reduced}), not the documented results"
    if echo:
        echo(f"feedlab validate: {len(checks)} checks ({scope}); runs cached in {ctx.cache}")
    results = run_checks(checks, ctx, echo)
    status = exit_status(results, args.strict)
    print(format_table(results))
    md = Path(args.out or _default_md(Path("validation/results.md"), args))
    header = (
        f"Results of `feedlab validate` ({scope}; code fingerprint {fingerprint}; exit "
        f"status {status}).\n"
    )
    js = Path(args.json) if args.json else md.with_suffix(".json")
    payload = {
        "code_fingerprint": fingerprint,
        "scope": scope,
        "exit_status": status,
        "strict": args.strict,
        "reduced": reduced,
        "seed_set": args.seed_set,
        "seeds": list(ctx.test_seeds[: ctx.design.maximum]) if ctx.design else [],
        "results": [asdict(r) for r in results],
        **_params_payload(args),
    }
    if payload.get("params") == "calibrated":
        header = header.rstrip("\n") + _params_header(payload) + "\n"
    _write(md, js, to_markdown(results, md, header), payload, args.compare_with)
    if echo:
        echo(
            f"wrote {md} and {js}" + (f"; figures in {args.figures}" if not args.no_figures else "")
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
