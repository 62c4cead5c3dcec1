"""``feedlab validate --targets``: every field target of the library, measured (with its
CI) against expected (with its interval), a verdict and its reason in a sentence.

Measurements come from :mod:`feedlab.analysis.targets.measurements` (a registry keyed by
target id), verdicts from :mod:`feedlab.analysis.targets.verdict`; runs go through the
validation run cache (:class:`.runner.Context`), on the first ``n`` test seeds
(:data:`.seeds.TEST_SEEDS`).
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .runner import Context


def _fmt(x: float) -> str:
    """A number with 3 significant digits, or an en dash for NaN."""
    return "–" if x is None or not math.isfinite(x) else f"{x:.3g}"


def _expected(t: Any) -> str:
    """The target's estimate with its interval, or its direction."""
    if t.estimate is None:
        word = {1: "increase", -1: "decrease", 0: "null (n.s.)"}[t.sign]
        return f"{word} (direction only)"
    iv = f" [{t.interval.lo:g}, {t.interval.hi:g}] ({t.interval.kind})" if t.interval else ""
    return f"{t.estimate:g}{iv}"


def measure_targets(
    ctx: Context,
    seeds: Sequence[int],
    only: Sequence[str] = (),
    echo: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per target (or per target of ``only``): measured, expected, verdict, reason."""
    from feedlab.analysis.targets import load_targets
    from feedlab.analysis.targets.measurements import MEASUREMENTS, NEEDS
    from feedlab.analysis.targets.verdict import target_verdict

    targets = load_targets()
    rows = []
    for tid, t in targets.items():
        if only and tid not in only:
            continue
        fn = MEASUREMENTS.get(tid)
        detail, data, values = "", {}, None
        if fn is not None:
            if echo:
                echo(f"[{tid}] measuring on {len(seeds)} seeds ...")
            try:
                m = fn(ctx, seeds)
                values, detail, data = m.values, m.detail, m.data
            except Exception as exc:  # reported, not hidden
                detail = f"ERROR {type(exc).__name__}: {exc}"
                data = {"traceback": traceback.format_exc()}
        v = target_verdict(t, values, NEEDS.get(tid, ""))
        if fn is not None and values is None:
            v = type(v)(target=tid, verdict="ERROR", reason=detail)
        rows.append(
            {
                **v.as_dict(),
                "title": t.citation.authors.split(";")[0] + f" ({t.citation.year or 'n.d.'})",
                "units": t.units,
                "expected": _expected(t),
                "verified": t.verified,
                "seeds": list(seeds) if values is not None else [],
                "values": list(values) if values is not None else [],
                "detail": detail,
                "mapping": " ".join((fn.__doc__ or "").split()) if fn else "",
                "data": data,
            }
        )
    return rows


def measure_informative(
    ctx: Context,
    seeds: Sequence[int],
    only: Sequence[str] = (),
    echo: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per informative measurement (no target, no verdict): mean and 95 % CI."""
    from feedlab.analysis.targets.measurements import INFORMATIVE
    from feedlab.analysis.validation.protocol import t_interval

    rows = []
    for name, (title, fn) in INFORMATIVE.items():
        if only and name not in only:
            continue
        if echo:
            echo(f"[{name}] measuring on {len(seeds)} seeds (informative) ...")
        try:
            m = fn(ctx, seeds)
        except Exception as exc:  # reported, not hidden
            rows.append({"name": name, "title": title, "n": 0, "detail": f"ERROR {exc}"})
            continue
        mean, _sd, lo, hi = t_interval(m.values, 0.05)
        rows.append(
            {
                "name": name,
                "title": title,
                "mean": mean,
                "ci_lo": lo,
                "ci_hi": hi,
                "n": len(m.values),
                "values": list(m.values),
                "detail": m.detail,
                "mapping": " ".join((fn.__doc__ or "").split()),
            }
        )
    return rows


def targets_markdown(
    rows: Sequence[Mapping[str, Any]],
    header: str,
    informative: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The Markdown page of ``--targets``: a header, the table, the informative rows (no
    target) and the mappings.
    """
    lines = [
        "# Field targets: measured vs expected",
        "",
        header,
        "",
        "| target | expected (paper) | measured (model, 95 % CI) | seeds | verdict | reason |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        measured = f"{_fmt(r['mean'])} [{_fmt(r['ci_lo'])}, {_fmt(r['ci_hi'])}]" if r["n"] else "–"
        reason = r["reason"] + (f" ({r['detail']})" if r["detail"] else "")
        lines.append(
            f"| `{r['target']}` | {r['expected']} | {measured} | {r['n'] or '–'} | "
            f"**{r['verdict']}** | {reason.replace('|', '/')} |"
        )
    if informative:
        lines += [
            "",
            "## Informative rows (no target, no verdict)",
            "",
            "| measurement | model (95 % CI) | seeds | detail |",
            "| --- | --- | --- | --- |",
        ]
        for r in informative:
            got = f"{_fmt(r['mean'])} [{_fmt(r['ci_lo'])}, {_fmt(r['ci_hi'])}]" if r["n"] else "–"
            lines.append(
                f"| `{r['name']}`: {r['title']} | {got} | {r['n'] or '–'} | "
                f"{r['detail'].replace('|', '/')} |"
            )
    lines += ["", "## How each measured target maps to the paper's units", ""]
    for r in rows:
        if r["mapping"]:
            lines += [f"* `{r['target']}` ({r['units']}): {r['mapping']}", ""]
    for r in informative:
        if r.get("mapping"):
            lines += [f"* `{r['name']}` (informative): {r['mapping']}", ""]
    return "\n".join(lines) + "\n"
