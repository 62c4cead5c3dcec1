"""Markdown pieces of the performance report: numbers, durations, tables, labels.

Shared by :mod:`feedlab.benchmarks.report` and :mod:`feedlab.benchmarks.targets`, so that
a number reads the same in the targets table and in the text that explains it.
"""

from __future__ import annotations

import math
from typing import Any

#: how each implementation is named in the report
IMPL_LABEL = {
    "feedlab_kernel": "feedlab kernel",
    "feedlab_model": "feedlab model",
    "ndlib": "ndlib 6",
    "mesa": "Mesa 3 (idiomatic)",
    "reference": "NumPy reference",
}


def si(v: float | None, unit: str = "") -> str:
    """``v`` to three significant digits with an SI prefix (k, M, G); ``—`` if unknown."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {prefix}{unit}".rstrip()
    return f"{v:.3g} {unit}".rstrip()


def secs(v: float | None) -> str:
    """A duration in the unit that reads best: µs, ms, s or min; ``—`` if unknown."""
    if v is None or not math.isfinite(v):
        return "—"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1:
        return f"{v * 1e3:.3g} ms"
    if v < 120:
        return f"{v:.3g} s"
    return f"{v / 60:.1f} min"


def measured(t: dict[str, Any]) -> str:
    """The measured value of a target row (see :func:`feedlab.benchmarks.targets.evaluate_targets`)."""
    if t["unit"] == "s":
        return secs(t["measured"])
    return si(t["measured"], "/s")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """The lines of a Markdown table (cells as ``str``)."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out
