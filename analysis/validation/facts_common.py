"""What the stylized-fact checks share: the seeds and significance level, the arms of
an experiment run through the cache, the paired one-sided tests and summaries (reported),
and the protocol's decision of a fact (:func:`decide`, :func:`protocol_outcome`;
:mod:`.protocol` decides, the p-values are only reported).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import protocol
from .protocol import Criterion, Decision
from .registry import Outcome
from .runner import CONF, Context


def policies_available() -> list[str]:
    """Ranking policies with a config in ``conf/ranking/`` (sorted)."""
    return sorted(p.stem for p in (CONF / "ranking").glob("*.yaml"))


def _paired_greater(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
) -> dict[str, float]:
    """One-sided paired t-test of mean(a − b) > 0 (Student 1908); NaN pairs dropped."""
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    out: dict[str, float] = {
        "mean_diff": float(d.mean()) if d.size else math.nan,
        "n": float(d.size),
    }
    if d.size < 2:
        out["p"] = 1.0
        return out
    if np.allclose(d, d[0]):  # no spread: the sign decides
        out["p"] = 0.0 if d[0] > 0 else 1.0
        return out
    out["p"] = float(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
    out["sd_diff"] = float(d.std(ddof=1))
    return out


def _fmt_ms(values: Sequence[float] | np.ndarray, digits: int = 3) -> str:
    """``mean ± sd`` of the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "nan"
    if v.size == 1:
        return f"{v[0]:.{digits}g}"
    return f"{v.mean():.{digits}g} ± {v.std(ddof=1):.{max(digits - 1, 1)}g}"


def _arm_runs(
    ctx: Context, experiment: str, arms: Mapping[str, Sequence[str]], seeds: Sequence[int]
) -> dict[str, list[dict[str, Any]]]:
    """Every arm (a list of overrides) on every seed, through the run cache."""
    keys, ovs = [], []
    for arm, extra in arms.items():
        for seed in seeds:
            keys.append(arm)
            ovs.append([f"experiment={experiment}", *extra, f"seed={seed}"])
    results = ctx.run_many(ovs)
    out: dict[str, list[dict[str, Any]]] = {arm: [] for arm in arms}
    for arm, r in zip(keys, results):
        out[arm].append(r)
    return out


def _values(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """A summary value per run (NaN where missing)."""
    out = []
    for r in runs:
        v = r["summary"].get(key)
        out.append(float(v) if v is not None else math.nan)
    return out


def _series_mean(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """Per run, the mean over recorded steps after step 0 of a time-series column."""
    out = []
    for r in runs:
        col = np.asarray(r["timeseries"].get(key, [math.nan]), dtype=float)[1:]
        out.append(float(np.nanmean(col)) if np.isfinite(col).any() else math.nan)
    return out


def _rise(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """Per run, the change of a time-series column from step 0 to the last record."""
    out = []
    for r in runs:
        col = np.asarray(r["timeseries"].get(key, [math.nan]), dtype=float)
        out.append(float(col[-1] - col[0]))
    return out


#: Root seeds of every stylized-fact experiment: the same for every fact, so the
#: engagement and chronological runs are shared between facts 1, 2, 4 and 8 (same
#: config ⇒ same run key ⇒ one run in the cache).
FACT_SEEDS = tuple(range(10))


def decide(
    ctx: Context, name: str, effects: Sequence[float] | np.ndarray, criterion: Criterion
) -> Decision:
    """One criterion of a fact decided by the protocol on per-seed paired ``effects`` at
    the context's level (``ctx.alpha``: 0.05 on the fixed seed sets, alpha / K at a look
    of the sequential design).
    """
    return protocol.decide(effects, criterion, ctx.alpha, name)


def protocol_outcome(
    decisions: Sequence[Decision],
    measured: str,
    reasons: Sequence[str],
    data: dict[str, Any],
    figure: str | None,
    extra_fail: bool = False,
) -> Outcome:
    """The :class:`Outcome` of a fact decided by the protocol: the verdict combines the
    decisions (``extra_fail``: a non-statistical criterion of the fact failed, which
    settles it against); every decision's line joins the measured numbers and the data
    (each with its CI and MDE), and the lines of unsettled or failed decisions the reason.
    """
    verdict = protocol.combine(
        [d.verdict for d in decisions] + ([protocol.FAIL] if extra_fail else [])
    )
    lines = [d.line() for d in decisions]
    why = list(reasons) + [d.line() for d in decisions if d.verdict != protocol.PASS]
    return Outcome(
        passed=verdict == protocol.PASS,
        measured=f"{measured}; protocol: " + "; ".join(lines),
        reason="" if verdict == protocol.PASS else "; ".join(why),
        data={**data, "protocol": [d.as_dict() for d in decisions], "verdict": verdict},
        figure=figure,
        verdict=verdict,
    )
