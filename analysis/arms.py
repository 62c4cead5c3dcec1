"""Per-arm results of a run with experimental arms, and the long format for analyses.

Column convention (timeseries.parquet and summary.json): a metric of one arm is
``<metric>__<arm>`` (e.g. ``opinion_variance__treatment``); a difference between an arm
and the control (the first arm) is ``<metric>__<arm>-<control>`` (e.g.
``engagement_per_user__treatment-control``); un-suffixed columns describe the whole
population. :func:`long_format` turns a wide table into rows with an ``arm`` column
(``all`` for the whole population), which is what aggregation across runs wants.

Reach and amplification (Huszár et al. 2022, PNAS 119:e2025334119): ``reach_<class>`` is
the share of users (of the arm) with at least one impression of a content class in a
step; ``amplification_<class>__<arm>`` is the per-step ratio of the arm's per-user reach
to the control arm's (:func:`feedlab.analysis.metrics.amplification_ratio`), and the summary's
``run_amplification_<class>__<arm>`` the same ratio of reaches averaged over the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.analysis.live import ARM_SEP
from feedlab.analysis.metrics import amplification_ratio

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel

RUN_MEANS = (
    "engagement_per_user",
    "mean_value",
    "outrage_amplification",
    "outrage_share_impressions",
    "political_outrage_share_impressions",
    "cross_cutting_share",
)
"""Flow metrics whose run mean the summary reports per arm (``run_mean_<metric>__<arm>``)."""

FINAL = (
    "opinion_mean",
    "opinion_variance",
    "bimodality",
    "group_mean_distance",
    "extreme_share",
    "echo_chamber_index",
    "mean_edge_trust",
    "mean_platform_trust",
    "mean_arousal",
    "mean_value",
)
"""State metrics whose final value the summary compares between arms."""

TOTALS = ("impressions", "likes", "comments", "shares", "negfb", "posts")


def _mean(col: np.ndarray | None) -> float:
    if col is None or not np.isfinite(col).any():
        return float("nan")
    return float(np.nanmean(col))


def reach_classes(columns: Mapping[str, Any]) -> list[str]:
    """The content classes with a whole-population reach column ``reach_<class>``."""
    return sorted(
        k[len("reach_") :] for k in columns if k.startswith("reach_") and ARM_SEP not in k
    )


def arm_summary(
    names: Sequence[str], cols: Mapping[str, np.ndarray], last: Mapping[str, float]
) -> dict[str, float]:
    """Summary entries of a run: run-mean reach per class and, with arms, per-arm run
    means, totals, pooled amplification ratios and every difference arm − control.

    ``cols`` are the timeseries columns without the initial (step 0) row, ``last`` the
    last recorded row, ``names`` the arm names (control first; one name = no arms).
    """
    out: dict[str, float] = {}
    classes = reach_classes(cols)
    for c in classes:
        out[f"run_mean_reach_{c}"] = _mean(cols.get(f"reach_{c}"))
    for metric in ("outrage_share_impressions", "political_outrage_share_impressions"):
        if metric in cols:
            out[f"run_mean_{metric}"] = _mean(cols.get(metric))
    if len(names) < 2:
        return out
    per_arm: dict[str, dict[str, float]] = {}
    for name in names:
        sfx = f"{ARM_SEP}{name}"
        m: dict[str, float] = {}
        for metric in RUN_MEANS:
            m[f"run_mean_{metric}"] = _mean(cols.get(f"{metric}{sfx}"))
        for c in classes:
            m[f"run_mean_reach_{c}"] = _mean(cols.get(f"reach_{c}{sfx}"))
        for flow in TOTALS:
            col = cols.get(f"{flow}{sfx}")
            m[f"total_{flow}"] = float(np.nansum(col)) if col is not None else float("nan")
        for metric in FINAL:
            m[metric] = float(last.get(f"{metric}{sfx}", float("nan")))
        m["arm_size"] = float(last.get(f"arm_size{sfx}", float("nan")))
        per_arm[name] = m
        out.update({f"{k}{sfx}": v for k, v in m.items()})
    control = names[0]
    for name in names[1:]:
        for c in classes:
            out[f"run_amplification_{c}{ARM_SEP}{name}"] = float(
                amplification_ratio(
                    per_arm[name][f"run_mean_reach_{c}"], per_arm[control][f"run_mean_reach_{c}"]
                )
            )
        for k, v in per_arm[name].items():
            if k == "arm_size" or k.startswith("total_"):
                continue
            out[f"{k}{ARM_SEP}{name}-{control}"] = v - per_arm[control][k]
    return out


def model_arm_summary(
    model: FeedModel, cols: Mapping[str, np.ndarray], last: Mapping[str, float]
) -> dict[str, float]:
    """:func:`arm_summary` for a finished model (names from ``model.arm_names``)."""
    names = list(model.arm_names) if len(model.policies) > 1 else ["all"]
    return arm_summary(names, cols, last)


def split_column(name: str) -> tuple[str, str]:
    """``'metric__arm'`` → ``('metric', 'arm')``; un-suffixed → ``(name, 'all')``."""
    if ARM_SEP in name:
        metric, arm = name.rsplit(ARM_SEP, 1)
        return metric, arm
    return name, "all"


def long_format(columns: Mapping[str, Any], keys: Sequence[str] = ("step",)) -> dict[str, list]:
    """Wide per-arm columns → long rows ``(*keys, arm, metric, value)``.

    ``columns`` is a timeseries (name → array, e.g. ``pyarrow.parquet.read_table(...)
    .to_pydict()``) or a flat summary (name → value; pass ``keys=()``). Rows are in
    column order, then step order. Non-numeric entries are skipped.
    """
    out: dict[str, list] = {k: [] for k in (*keys, "arm", "metric", "value")}
    key_vals = [np.atleast_1d(np.asarray(columns[k])) for k in keys]
    for name, values in columns.items():
        if name in keys:
            continue
        arr = np.atleast_1d(np.asarray(values))
        if not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
            continue
        metric, arm = split_column(name)
        for k, kv in zip(keys, key_vals, strict=False):
            out[k].extend(kv.tolist())
        out["arm"].extend([arm] * arr.size)
        out["metric"].extend([metric] * arr.size)
        out["value"].extend(arr.astype(np.float64).tolist())
    return out
