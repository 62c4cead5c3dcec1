"""Trust: rises slowly with good experiences, falls fast with bad ones, relaxes to baseline.

The default ``asymmetric`` rule (Slovic 1993: trust is destroyed faster than it is built)
applies, per follow edge and step, with ``g`` good and ``b`` bad experiences:

    τ ← 1 - (1 - τ)(1 - α_up)^g          (each good experience closes α_up of the gap)
    τ ← τ (1 - α_down)^b                 (each bad one removes α_down of the trust)
    τ ← τ + ρ (τ0 - τ)                   (relaxation toward the edge's baseline τ0)

with ``α_down > α_up``. Every step is a convex combination, so τ stays in [0, 1]; without
evidence τ converges geometrically to τ0 (a slip is forgotten). Platform trust ``T_i``
follows the same rule with the viewer's good/bad feed items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from experiments.schema import field


@dataclass(frozen=True)
class TrustConfig:
    """Trust dynamics: edge baselines by relation, asymmetric rates, relaxation."""

    enabled: bool = field(doc="trust changes at all (false: stays at baseline)")
    rule: str = field(choices=("asymmetric",), doc="update rule")
    friend_baseline: float = field(ge=0, le=1, doc="τ0 of mutual follows (friends, family)")
    follow_baseline: float = field(ge=0, le=1, doc="τ0 of one-way follows of regular users")
    influencer_baseline: float = field(ge=0, le=1, doc="τ0 of follows of influencers/brands")
    stranger: float = field(ge=0, le=1, doc="trust in an unfollowed author (recommendations)")
    alpha_up: float = field(ge=0, le=1, doc="α_up: gain per good experience")
    alpha_down: float = field(ge=0, le=1, doc="α_down: loss per bad experience")
    relax: float = field(ge=0, le=1, doc="ρ: relaxation toward baseline per step")
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
