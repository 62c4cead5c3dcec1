"""Small helpers shared by the workloads."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def median(xs: Iterable[float]) -> float:
    """Median of timings or rates (NaN for none): the headline of every repeated measure,
    robust to the odd repeat slowed by other work on a shared machine.
    """
    xs = list(xs)
    return float(statistics.median(xs)) if xs else float("nan")
