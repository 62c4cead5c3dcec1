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

from .registry import CHECKS
from .report import _jsonable, _write_atomic, format_table, to_markdown
from .runner import Context, code_fingerprint, exit_status, run_checks, select

EPILOG = """exit status:
  0  every canonical reduction that ran passed and no check raised an error
     (stylized facts that fail are reported as FAIL-reported and documented in
     docs/validation.md; checks not yet implemented are listed, never counted)
  1  a canonical reduction failed (FAIL) or a check raised (ERROR); with --strict
     also when a stylized fact failed
  2  usage error (e.g. an unknown check name)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab validate``: run the suite, print the table, write Markdown and JSON."""
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
    ap.add_argument("--only", default="", help="comma-separated check names (see --list)")
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    ap.add_argument(
        "--out", default="validation/results.md", help="Markdown table (default %(default)s)"
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
    try:
        checks = select(args.full, only)
    except KeyError as exc:
        print(f"feedlab validate: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("feedlab validate: --jobs must be >= 1", file=sys.stderr)
        return 2
    fingerprint = code_fingerprint()
    cache = Path(args.cache) / fingerprint
    echo = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    ctx = Context(
        cache=cache,
        figures=None if args.no_figures else Path(args.figures),
        log=(lambda msg: None),
        jobs=args.jobs,
    )
    scope = "selected" if only else ("all" if args.full else "fast subset; --full runs all")
    if echo:
        echo(f"feedlab validate: {len(checks)} checks ({scope}); runs cached in {cache}")
    results = run_checks(checks, ctx, echo)
    status = exit_status(results, args.strict)
    print(format_table(results))
    md = Path(args.out)
    header = (
        f"Results of `feedlab validate` ({scope}; code fingerprint {fingerprint}; exit "
        f"status {status}).\n"
    )
    _write_atomic(md, to_markdown(results, md, header))
    js = Path(args.json) if args.json else md.with_suffix(".json")
    payload = {
        "code_fingerprint": fingerprint,
        "scope": scope,
        "exit_status": status,
        "strict": args.strict,
        "results": [asdict(r) for r in results],
    }
    _write_atomic(js, json.dumps(_jsonable(payload), indent=1, ensure_ascii=False) + "\n")
    if echo:
        echo(
            f"wrote {md} and {js}" + (f"; figures in {args.figures}" if not args.no_figures else "")
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
