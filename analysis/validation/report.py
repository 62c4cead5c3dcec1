"""The report of ``feedlab validate``: the terminal table, the Markdown page and the JSON
(:func:`_jsonable` turns measured numbers into JSON values: NaN and inf become ``null``).
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .registry import ERROR, FAIL, INCONCLUSIVE, PASS, PENDING, REPORTED, Result


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    return v


def format_table(results: Sequence[Result], width: int = 100) -> str:
    """The terminal table: one row per check, expected / measured / reason below it."""
    lines = [f"{'STATUS':<20} {'KIND':<10} {'CHECK':<32} {'TIME':>6}", "-" * width]
    wrap = textwrap.TextWrapper(width=width, initial_indent="    ", subsequent_indent="      ")
    for r in results:
        lines.append(f"{r.status:<20} {r.kind:<10} {r.name:<32} {r.seconds:>5.0f}s")
        lines += wrap.wrap(f"expected: {r.expected}")
        if r.measured:
            lines += wrap.wrap(f"measured: {r.measured}")
        if r.reason:
            lines += wrap.wrap(("needs: " if r.status == PENDING else "reason: ") + r.reason)
    counts = {
        s: sum(r.status == s for r in results)
        for s in (PASS, FAIL, REPORTED, INCONCLUSIVE, ERROR, PENDING)
    }
    lines.append("-" * width)
    lines.append(", ".join(f"{v} {k}" for k, v in counts.items() if v))
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results: Sequence[Result], md_path: Path | None = None, header: str = "") -> str:
    """A Markdown table (expected vs measured, status) and a section per check."""
    out = [header] if header else []
    out += ["| Check | Kind | Expected | Measured | Status |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        measured = r.measured or "—"
        if r.reason:
            measured += (" **Needs:** " if r.status == PENDING else " **Reason:** ") + r.reason
        out.append(
            f"| {_md_cell(r.title)} (`{r.name}`) | {r.kind} | {_md_cell(r.expected)} | "
            f"{_md_cell(measured)} | **{r.status}** |"
        )
    out.append("")
    for r in results:
        out += [f"### {r.title}", "", f"- check: `{r.name}` ({r.kind}, {r.seconds:g} s)"]
        if r.experiment:
            out.append(f"- config: `conf/experiment/{r.experiment}.yaml`")
        out.append(f"- status: **{r.status}**")
        out.append(f"- source: {r.source}")
        if r.figure:
            rel = os.path.relpath(r.figure, md_path.parent) if md_path else r.figure
            out += ["", f"![{r.name}]({rel})"]
        out.append("")
    return "\n".join(out)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
