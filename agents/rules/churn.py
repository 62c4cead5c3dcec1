"""Churn and return: users stop opening the app, and may come back (docs/attention.md §Churn and return).

With ``dynamics.churn.enabled`` each ordinary user ``i`` (role ``user``: influencer, brand
and bot accounts are run by their behaviours and never churn) has two personal thresholds,
drawn once from the ``churn`` stream,

    θ^T_i = μ_T + σ_T z_i,     θ^v_i = μ_v + σ_v z'_i,     z, z' ~ N(0, 1),

and a recent value ``V_i``, an exponentially weighted mean of the mean reflective value of
its sessions (``λ`` = weight of the latest session; unknown, NaN, until the first session
after joining or returning):

    V_i ← v_i if V_i is unknown, else (1 − λ) V_i + λ v_i        (only after a session)

A user is *at risk* when its platform trust or its recent value is below its threshold,
``T_i < θ^T_i or V_i < θ^v_i`` — a satisficing rule (Simon 1955): the user keeps an app
that is good enough and leaves one that falls short of its own aspiration level. Each step,
before anyone posts, with one uniform ``u_i`` per user,

    active at risk   → leaves   if u_i < p_leave
    inactive         → returns  if u_i < p_return      (then V_i is unknown again)

so the time to leave (at risk) and to return is geometric, as in the dropout process of
"buy 'til you die" customer-base models (Fader, Hardie & Lee 2005) and a constant hazard in
survival analysis. An inactive user neither posts nor sees a feed; its platform trust
relaxes toward its baseline (the trust rule with no evidence), which is what can make a
return last. The thresholds and hazards have no published values (placeholders; the docs
report results over them as a sensitivity analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field


@dataclass(frozen=True)
class ChurnConfig:
    """Leaving and returning: personal thresholds on platform trust and recent value."""

    enabled: bool = field(doc="users may stop opening the app and come back")
    trust_threshold: float = field(
        ge=0, le=1, doc="μ_T: mean platform-trust threshold below which a user is at risk"
    )
    trust_threshold_sd: float = field(ge=0, le=1, doc="σ_T: sd of the personal trust thresholds")
    value_threshold: float = field(
        ge=-10, le=10, doc="μ_v: mean recent-value threshold below which a user is at risk"
    )
    value_threshold_sd: float = field(ge=0, le=10, doc="σ_v: sd of the personal value thresholds")
    memory: float = field(
        gt=0, le=1, doc="λ: weight of the latest session in the recent value (1 = last only)"
    )
    leave_prob: float = field(ge=0, le=1, doc="p_leave: per-step hazard of leaving while at risk")
    return_prob: float = field(ge=0, le=1, doc="p_return: per-step hazard of returning")


@dataclass
class ChurnState:
    """Per-user churn state and books (``first_left`` = step of the first leaving, −1 never)."""

    eligible: np.ndarray  # bool: may churn (ordinary users)
    trust_threshold: np.ndarray
    value_threshold: np.ndarray
    recent_value: np.ndarray  # NaN = unknown
    first_left: np.ndarray  # int32 step, -1 = never left
    leaves: np.ndarray  # int32 times left
    returns: np.ndarray  # int32 times returned
    active_steps: np.ndarray  # int32 steps active
    left_now: int = 0
    returned_now: int = 0


def draw_state(cfg: ChurnConfig, eligible: np.ndarray, rng: np.random.Generator) -> ChurnState:
    """Personal thresholds (two normals per user, in this order) and empty books."""
    n = eligible.shape[0]
    z_t = rng.standard_normal(n)
    z_v = rng.standard_normal(n)
    zeros = np.zeros(n, np.int32)
    return ChurnState(
        eligible=eligible.astype(bool),
        trust_threshold=np.asarray(cfg.trust_threshold + cfg.trust_threshold_sd * z_t, float),
        value_threshold=np.asarray(cfg.value_threshold + cfg.value_threshold_sd * z_v, float),
        recent_value=np.full(n, np.nan),
        first_left=np.full(n, -1, np.int32),
        leaves=zeros.copy(),
        returns=zeros.copy(),
        active_steps=zeros.copy(),
    )


def update_recent_value(recent: np.ndarray, session_value: np.ndarray, memory: float) -> np.ndarray:
    """V ← v (V unknown) or (1 − λ) V + λ v; unchanged where there was no session (v NaN)."""
    had = np.isfinite(session_value)
    blended = np.where(
        np.isfinite(recent), (1 - memory) * recent + memory * session_value, session_value
    )
    return np.where(had, blended, recent)


def at_risk(
    trust: np.ndarray, recent: np.ndarray, trust_threshold: np.ndarray, value_threshold: np.ndarray
) -> np.ndarray:
    """T < θ^T or V < θ^v (an unknown V is never below its threshold)."""
    low_value = np.isfinite(recent) & (recent < value_threshold)
    return (trust < trust_threshold) | low_value


def next_active(
    active: np.ndarray,
    risk: np.ndarray,
    eligible: np.ndarray,
    u: np.ndarray,
    leave_prob: float,
    return_prob: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(new active, left, returned): active at-risk eligible users leave where
    ``u < p_leave``; inactive users return where ``u < p_return``.
    """
    left = active & risk & eligible & (u < leave_prob)
    returned = ~active & (u < return_prob)
    return (active & ~left) | returned, left, returned


def advance(
    state: ChurnState,
    cfg: ChurnConfig,
    active: np.ndarray,
    trust: np.ndarray,
    session_value: np.ndarray,
    u: np.ndarray,
    t: int,
) -> np.ndarray:
    """One step of churn before posting: fold last step's session values into the recent
    value, decide who leaves and returns, update the books; returns the new active mask.
    """
    state.recent_value = update_recent_value(state.recent_value, session_value, cfg.memory)
    risk = at_risk(trust, state.recent_value, state.trust_threshold, state.value_threshold)
    new, left, returned = next_active(
        active, risk, state.eligible, u, cfg.leave_prob, cfg.return_prob
    )
    state.recent_value[returned] = np.nan  # a fresh look at the app
    state.first_left[left & (state.first_left < 0)] = t
    state.leaves += left
    state.returns += returned
    state.active_steps += new
    state.left_now, state.returned_now = int(left.sum()), int(returned.sum())
    return new
