"""Trust: rises slowly with good experiences, falls fast with bad ones, relaxes to baseline.

Two rules for the trust ``τ_ij`` of a follow edge (``dynamics.trust.rule``); per step the
edge collects ``g`` good experiences (likes, shares of its items) and ``b`` bad ones
(negative feedback, low-quality items, detected undisclosed sponsorship, ...).

``asymmetric`` (default; Slovic 1993: trust is destroyed faster than it is built):

    τ ← 1 - (1 - τ)(1 - α_up)^g          (each good experience closes α_up of the gap)
    τ ← τ (1 - α_down)^b                 (each bad one removes α_down of the trust)
    τ ← τ + ρ (τ0 - τ)                   (relaxation toward the edge's baseline τ0)

with ``α_down > α_up``. Every step is a convex combination, so τ stays in [0, 1]; without
evidence τ converges geometrically to τ0 (a slip is forgotten).

``beta`` (the Beta reputation system, Jøsang & Ismail 2002, with forgetting): each edge
keeps discounted counts of positive and negative evidence,

    r ← λ r + g,     s ← λ s + κ b,     τ = E = (r + W τ0) / (r + s + W)

λ ∈ [0, 1] is the forgetting factor (λ = 1: remember everything), ``W`` the weight of the
prior and ``τ0`` the edge's baseline as the prior's base rate (Jøsang 2016, *Subjective
Logic*, §3: E = (r + W a)/(r + s + W)); with ``W = 2`` and ``τ0 = ½`` this is Jøsang &
Ismail's ``E = (r + 1)/(r + s + 2)``. ``κ`` (``bad_weight``) counts each bad experience as
κ negative ratings — κ > 1 makes trust asymmetric (one bad experience removes a larger
share of the trust, κ/(κ + W) from the prior, than one good one adds of the gap to 1,
1/(1 + W)). E stays in [0, 1]; without evidence r and s shrink by λ per step, so E moves
monotonically back to τ0 (forgetting toward the prior). Unlike the asymmetric rule, the
recovery time grows with the amount of bad evidence accumulated: a deep loss (large s)
is remembered for ~log(κs/W)/log(1/λ) steps. Under ``beta`` the state is (r, s) per edge
(kept in the follow graph's edge state, surviving rewiring); ``τ`` is derived from it, so
extensions change trust by adding evidence (``StepContext.good``/``bad``), not by writing
``graph.trust``.

Platform trust ``T_i`` follows the asymmetric rule (``platform_*`` rates) under both rules,
with the viewer's good/bad feed items as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.kernels import POWER_TABLE, asymmetric_trust_step

RULES = ("asymmetric", "beta")
#: Names of the per-edge Beta evidence arrays in the follow graph's edge state.
BETA_R, BETA_S = "trust_r", "trust_s"


@dataclass(frozen=True)
class TrustConfig:
    """Trust dynamics: edge baselines by relation, the update rule and its rates."""

    enabled: bool = field(doc="trust changes at all (false: stays at baseline)")
    rule: str = field(
        choices=RULES, doc="edge trust rule: asymmetric (rates) | beta (Beta reputation)"
    )
    friend_baseline: float = field(ge=0, le=1, doc="τ0 of mutual follows (friends, family)")
    follow_baseline: float = field(ge=0, le=1, doc="τ0 of one-way follows of regular users")
    influencer_baseline: float = field(ge=0, le=1, doc="τ0 of follows of influencers/brands")
    stranger: float = field(ge=0, le=1, doc="trust in an unfollowed author (recommendations)")
    alpha_up: float = field(ge=0, le=1, doc="asymmetric: α_up, gain per good experience")
    alpha_down: float = field(ge=0, le=1, doc="asymmetric: α_down, loss per bad experience")
    relax: float = field(ge=0, le=1, doc="asymmetric: ρ, relaxation toward baseline per step")
    forgetting: float = field(ge=0, le=1, doc="beta: λ, evidence kept per step (1 = no forgetting)")
    prior_weight: float = field(
        gt=0, le=1000, doc="beta: W, weight of the baseline prior (2 = J&I)"
    )
    bad_weight: float = field(ge=0, le=1000, doc="beta: κ, negative ratings per bad experience")
    low_quality: float = field(ge=0, le=1, doc="items below this quality are bad experiences")
    platform_alpha_up: float = field(ge=0, le=1, doc="platform trust gain per good item")
    platform_alpha_down: float = field(ge=0, le=1, doc="platform trust loss per bad item")
    platform_relax: float = field(ge=0, le=1, doc="platform trust relaxation per step")
    outrage_overload: float = field(
        ge=0, le=1, doc="mean feed outrage above which the feed is a bad experience"
    )


def asymmetric_update(
    trust: np.ndarray,
    baseline: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    alpha_up: float,
    alpha_down: float,
    relax: float,
) -> np.ndarray:
    """One step of the asymmetric rule (module docstring); returns a new array."""
    t = 1.0 - (1.0 - trust) * (1.0 - alpha_up) ** good
    t = t * (1.0 - alpha_down) ** bad
    return t + relax * (baseline - t)


def asymmetric_update_counts(
    trust: np.ndarray,
    baseline: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    alpha_up: float,
    alpha_down: float,
    relax: float,
) -> np.ndarray:
    """:func:`asymmetric_update` (a new array, the same bits) in one Numba pass when the
    evidence is whole counts, as experiences are: the powers ``(1 − α)^k`` come from a
    table that NumPy computes as the rule does
    (:func:`feedlab.models.kernels.asymmetric_trust_step`); any other evidence goes
    through :func:`asymmetric_update` itself. At 10⁶ edges the two powers and five
    passes of the NumPy rule are most of the trust update's time.
    """
    counts = np.arange(POWER_TABLE, dtype=np.float64)
    out = buffers.empty(trust.shape[0])  # recycled memory: the edge trust of a step ago
    if asymmetric_trust_step(
        np.ascontiguousarray(trust, dtype=np.float64),
        np.ascontiguousarray(baseline, dtype=np.float64),
        np.ascontiguousarray(good, dtype=np.float64),
        np.ascontiguousarray(bad, dtype=np.float64),
        (1.0 - alpha_up) ** counts,
        (1.0 - alpha_down) ** counts,
        relax,
        out,
    ):
        return out
    return asymmetric_update(trust, baseline, good, bad, alpha_up, alpha_down, relax)


def beta_evidence(
    r: np.ndarray,
    s: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    forgetting: float,
    bad_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of Beta evidence with forgetting: ``r ← λ r + g``, ``s ← λ s + κ b``.

    Jøsang & Ismail (2002), §4 (forgetting factor); κ = ``bad_weight`` (module docstring).
    Returns new arrays ``(r, s)``.
    """
    return forgetting * r + good, forgetting * s + bad_weight * bad


def beta_expectation(
    r: np.ndarray, s: np.ndarray, baseline: np.ndarray | float, prior_weight: float
) -> np.ndarray:
    """Expected trust ``E = (r + W τ0)/(r + s + W)`` (module docstring); in [0, 1] for
    ``r, s ≥ 0``, ``τ0 ∈ [0, 1]``, ``W > 0``. ``W = 2, τ0 = ½`` gives ``(r + 1)/(r + s + 2)``.
    """
    return (r + prior_weight * baseline) / (r + s + prior_weight)


def update_edge_trust(
    cfg: TrustConfig, graph: Any, good: np.ndarray, bad: np.ndarray
) -> np.ndarray:
    """New edge trust under ``cfg.rule`` from this step's per-edge evidence.

    ``graph`` is a :class:`feedlab.models.graph.FollowGraph`; the ``beta`` rule keeps its evidence
    ``(r, s)`` in the graph's edge state (names :data:`BETA_R`, :data:`BETA_S`; new edges
    start without evidence, i.e. at their baseline) and updates it in place.
    """
    if cfg.rule == "beta":
        if BETA_R not in graph.edge_state:
            graph.add_edge_state(BETA_R, np.zeros(graph.n_edges), 0.0)
            graph.add_edge_state(BETA_S, np.zeros(graph.n_edges), 0.0)
        r, s = beta_evidence(
            graph.state(BETA_R), graph.state(BETA_S), good, bad, cfg.forgetting, cfg.bad_weight
        )
        graph.add_edge_state(BETA_R, r, 0.0)
        graph.add_edge_state(BETA_S, s, 0.0)
        return beta_expectation(r, s, graph.baseline, cfg.prior_weight)
    return asymmetric_update_counts(
        graph.trust, graph.baseline, good, bad, cfg.alpha_up, cfg.alpha_down, cfg.relax
    )
