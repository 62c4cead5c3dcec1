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

AFFECT_RUN_MEANS = ("animosity_share_impressions",)
AFFECT_FINAL = (
    "mean_outgroup_warmth",
    "outgroup_warmth_change",
    "mean_ingroup_warmth",
    "affective_gap",
    "mean_anger",
)
"""Affect metrics (``dynamics.affect``), compared like :data:`RUN_MEANS` and :data:`FINAL`
when the run recorded them (absent otherwise, so runs without affect keep their summary)."""

ATTENTION_RUN_MEANS = (
    "time_spent_mean",
    "session_time_p50",
    "time_well_spent",
    "regret_time_mean",
    "regret_share",
    "dau",
)
"""Attention metrics (``dynamics.session``, ``dynamics.churn``; docs/attention.md) whose run
mean the summary reports overall and per arm when the run recorded them."""

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
    for metric in (
        "outrage_share_impressions",
        "political_outrage_share_impressions",
        *AFFECT_RUN_MEANS,
        *ATTENTION_RUN_MEANS,
    ):
        if metric in cols:
            out[f"run_mean_{metric}"] = _mean(cols.get(metric))
    if len(names) < 2:
        return out
    per_arm: dict[str, dict[str, float]] = {}
    for name in names:
        sfx = f"{ARM_SEP}{name}"
        per_arm[name] = _one_arm(sfx, classes, cols, last)
        out.update({f"{k}{sfx}": v for k, v in per_arm[name].items()})
    control = names[0]
    for name in names[1:]:
        out.update(_versus_control(name, control, classes, per_arm))
    return out


def _one_arm(
    sfx: str, classes: Sequence[str], cols: Mapping[str, np.ndarray], last: Mapping[str, float]
) -> dict[str, float]:
    """One arm's entries (its columns end in ``sfx``): run means, reach per class, totals
    of the flows, final values and the arm's size.
    """
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
    m.update(_affect_arm_entries(cols, last, sfx))
    m.update(
        {
            f"run_mean_{k}": _mean(cols[f"{k}{sfx}"])
            for k in ATTENTION_RUN_MEANS
            if f"{k}{sfx}" in cols
        }
    )
    m["arm_size"] = float(last.get(f"arm_size{sfx}", float("nan")))
    return m


def _versus_control(
    name: str, control: str, classes: Sequence[str], per_arm: Mapping[str, dict[str, float]]
) -> dict[str, float]:
    """Arm ``name`` against the control: the pooled amplification ratio of each class's
    reach (Huszár et al. 2022) and the difference arm − control of every entry but the
    arm size and the totals (arms differ in size, so totals are not comparable).
    """
    out: dict[str, float] = {}
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


def _affect_arm_entries(
    cols: Mapping[str, np.ndarray], last: Mapping[str, float], sfx: str
) -> dict[str, float]:
    """One arm's :data:`AFFECT_RUN_MEANS` (run means) and :data:`AFFECT_FINAL` (last
    values), only those the run recorded.
    """
    m = {f"run_mean_{k}": _mean(cols[f"{k}{sfx}"]) for k in AFFECT_RUN_MEANS if f"{k}{sfx}" in cols}
    m.update({k: float(last[f"{k}{sfx}"]) for k in AFFECT_FINAL if f"{k}{sfx}" in last})
    return m


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


# ------------------------------------------------------------------ intervals of A/B differences
USER_STATS: dict[str, tuple[str, str]] = {
    "opinion_mean": ("opinion", "mean"),
    "opinion_variance": ("opinion", "var"),
    "mean_platform_trust": ("platform_trust", "mean"),
    "mean_arousal": ("arousal", "mean"),
    "mean_value": ("last_value", "mean"),
    "mean_outgroup_warmth": ("outgroup_warmth", "mean"),
    "mean_ingroup_warmth": ("ingroup_warmth", "mean"),
    "mean_anger": ("anger", "mean"),
}
"""Final-state metrics that are a statistic of one per-user column of ``agents.parquet``
(the same definitions as :func:`feedlab.analysis.live.arm_state_metrics`)."""

MIN_STEPS = 10
"""Fewest paired steps for a step bootstrap interval of a run-mean difference."""
MIN_USERS = 20
"""Fewest users per arm for a user bootstrap interval of a final-state difference."""


def _stat(kind: str, x: np.ndarray, axis: int = -1) -> Any:
    if kind == "var":
        return np.nanvar(x, axis=axis)
    return np.nanmean(x, axis=axis)


def block_bootstrap_interval(
    d: np.ndarray,
    *,
    level: float = 0.95,
    n_boot: int = 1000,
    rng: np.random.Generator,
    min_n: int = MIN_STEPS,
) -> tuple[float, float] | None:
    """Percentile interval of the mean of a time series by the moving-block bootstrap
    (Künsch 1989, *Ann. Statist.* 17:1217), blocks of ``round(T^(1/3))`` consecutive steps
    so that autocorrelation within a block is kept. None below ``min_n`` finite steps.
    """
    d = np.asarray(d, dtype=np.float64)
    d = d[np.isfinite(d)]
    t = d.size
    if t < min_n:
        return None
    b = max(1, round(t ** (1 / 3)))
    n_blocks = -(-t // b)
    starts = rng.integers(0, t - b + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(b)).reshape(n_boot, -1)[:, :t]
    means = d[idx].mean(axis=1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def user_bootstrap_interval(
    arm: np.ndarray,
    control: np.ndarray,
    kind: str,
    *,
    level: float = 0.95,
    n_boot: int = 1000,
    rng: np.random.Generator,
    min_n: int = MIN_USERS,
) -> tuple[float, float] | None:
    """Percentile interval of ``stat(arm) − stat(control)`` resampling each arm's users
    with replacement (Efron & Tibshirani 1993, ch. 13). Users are treated as independent:
    the interval is the sampling uncertainty of this run's users given its network, not
    the spread across seeds (for that: :func:`feedlab.analysis.stats.paired_difference`).
    """
    arm = np.asarray(arm, dtype=np.float64)
    control = np.asarray(control, dtype=np.float64)
    arm, control = arm[np.isfinite(arm)], control[np.isfinite(control)]
    if arm.size < min_n or control.size < min_n:
        return None
    diffs = np.empty(n_boot)
    chunk = max(1, 2_000_000 // max(arm.size, control.size, 1))
    for s in range(0, n_boot, chunk):
        k = min(chunk, n_boot - s)
        ra = arm[rng.integers(0, arm.size, size=(k, arm.size))]
        rc = control[rng.integers(0, control.size, size=(k, control.size))]
        diffs[s : s + k] = _stat(kind, ra, 1) - _stat(kind, rc, 1)
    a = (1 - level) / 2
    return float(np.quantile(diffs, a)), float(np.quantile(diffs, 1 - a))


def difference_intervals(
    names: Sequence[str],
    timeseries: Mapping[str, Any],
    agents: Mapping[str, Any] | None = None,
    *,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, tuple[float, float, str]]:
    """95 % intervals of the summary's arm − control differences of one run.

    * ``run_mean_<metric>__<arm>-<control>`` (:data:`RUN_MEANS`): moving-block bootstrap
      over steps of the per-step paired difference ``metric__arm − metric__control``
      (:func:`block_bootstrap_interval`; the step-0 row is left out, as in the summary);
    * ``<metric>__<arm>-<control>`` for :data:`USER_STATS`: bootstrap over the users of
      each arm in ``agents`` (``agents.parquet`` columns with ``arm``;
      :func:`user_bootstrap_interval`).

    Returns ``{summary key: (low, high, "steps" | "users")}`` for the differences with
    enough data (:data:`MIN_STEPS` steps, :data:`MIN_USERS` users per arm). The bootstrap
    draws come from their own generator (``seed``), never from a run's streams.
    """
    out: dict[str, tuple[float, float, str]] = {}
    if len(names) < 2:
        return out
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xAB]))
    control = names[0]
    step = np.asarray(timeseries.get("step", []))
    later = step > 0 if step.size else slice(None)
    for name in names[1:]:
        sfx = f"{name}-{control}"
        for metric in (*RUN_MEANS, *AFFECT_RUN_MEANS):
            a, c = (
                timeseries.get(f"{metric}{ARM_SEP}{name}"),
                timeseries.get(f"{metric}{ARM_SEP}{control}"),
            )
            if a is None or c is None:
                continue
            d = np.asarray(a, dtype=np.float64)[later] - np.asarray(c, dtype=np.float64)[later]
            ci = block_bootstrap_interval(d, level=level, n_boot=n_boot, rng=rng)
            if ci is not None:
                out[f"run_mean_{metric}{ARM_SEP}{sfx}"] = (*ci, "steps")
        if agents is None or "arm" not in agents:
            continue
        arm_col = np.asarray(agents["arm"])
        ia, ic = list(names).index(name), 0
        for metric, (column, kind) in USER_STATS.items():
            if column not in agents:
                continue
            v = np.asarray(agents[column], dtype=np.float64)
            ci = user_bootstrap_interval(
                v[arm_col == ia], v[arm_col == ic], kind, level=level, n_boot=n_boot, rng=rng
            )
            if ci is not None:
                out[f"{metric}{ARM_SEP}{sfx}"] = (*ci, "users")
    return out
