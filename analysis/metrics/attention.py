"""Attention metrics: time spent, time well spent, regret, daily actives and survival
(docs/attention.md; docs/metrics.md §Attention).

Pure functions on per-user and per-item arrays. Which users count is part of each
definition: time spent and regret per user average over **all** users (a user who did not
open the app spent 0), the session-length quantiles are over the users **who opened the
app** (the distribution of sessions), time well spent is a ratio of totals (inactive users
add nothing to either), and survival is over the users who **may churn** (ordinary users).
"""

from __future__ import annotations

import numpy as np

#: Quantiles of the session-time distribution recorded per step.
QUANTILES = (0.1, 0.5, 0.9)


def time_spent_mean(time_spent: np.ndarray) -> float:
    """Mean time spent per user this step, inactive users counted as 0 (NaN without users)."""
    return float(time_spent.mean()) if time_spent.size else float("nan")


def session_quantiles(time_spent: np.ndarray, active: np.ndarray) -> dict[str, float]:
    """``session_time_p10/p50/p90``: quantiles of time spent over the users who opened
    the app (NaN when nobody did).
    """
    t = time_spent[active]
    if t.size == 0:
        return {f"session_time_p{round(100 * q)}": float("nan") for q in QUANTILES}
    qs = np.quantile(t, QUANTILES)
    return {f"session_time_p{round(100 * q)}": float(v) for q, v in zip(QUANTILES, qs)}


def time_well_spent(item_value: np.ndarray, item_time: float) -> float:
    """Reflective value per unit time: Σ value of the items read ÷ (items × item time)
    (NaN when nothing was read).
    """
    total = item_value.shape[0] * item_time
    return float(item_value.sum() / total) if total > 0 else float("nan")


def regret_time(item_value: np.ndarray, item_time: float) -> float:
    """Time on items of negative reflective value (Σ over the items read)."""
    return float(np.count_nonzero(item_value < 0) * item_time)


def regret_share(item_value: np.ndarray) -> float:
    """Share of the time read that went to items of negative value (NaN when none read)."""
    n = item_value.shape[0]
    return float(np.count_nonzero(item_value < 0) / n) if n else float("nan")


def active_share(active: np.ndarray) -> float:
    """Daily active users: the share of all users who opened the app this step."""
    return float(active.mean()) if active.size else float("nan")


def survival_share(first_left: np.ndarray, eligible: np.ndarray) -> float:
    """Share of the users who may churn that have never left so far (``first_left < 0``)."""
    e = eligible.astype(bool)
    return float((first_left[e] < 0).mean()) if e.any() else float("nan")


def survival_curve(first_left: np.ndarray, eligible: np.ndarray, steps: int) -> np.ndarray:
    """Cohort survival ``S(t)``, t = 0 … steps: the share of the initial cohort (the users
    who may churn, all active at step 0) that has not left before step ``t`` — one minus
    the empirical distribution of the first leaving step (no censoring: every user is
    followed from step 0 to the end of the run).
    """
    fl = first_left[eligible.astype(bool)]
    if fl.size == 0:
        return np.full(steps + 1, np.nan)
    left = np.bincount(fl[fl >= 0], minlength=steps + 1)[: steps + 1]
    return 1.0 - np.concatenate([[0], np.cumsum(left)[:-1]]) / fl.size
