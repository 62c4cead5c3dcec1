"""Revenue ranking: engagement and value weighted by what earns the platform money.

    score_m = (1 − μ_i) · Ê_m / mean(Ê) + μ_i · V̂_m / mean(|V̂|)

for candidate ``m`` shown to viewer ``i``: ``Ê`` is the engagement score of the
``engagement`` policy (weighted predicted like, comment and share) and ``V̂`` the item's
predicted reflective value with the platform's value weights (``value``; the formula of
``agents/rules/value.py``: quality, agreement, tie strength, minus outrage regret). Each
term is divided by its mean over the step's candidates so that ``μ`` trades comparable
quantities. ``μ_i`` is the **platform objective**: the weight of value in what earns the
platform money, as the business model publishes it (``Candidates.objective``; docs/
attention.md §Business models) — 0 when ads are sold (attention is the product), 1 under
subscriptions (satisfaction is), per user in between under hybrid. Without a published
objective (``platform.business_model = none``) the policy uses its own ``value_weight``.

With ``μ = 0`` this orders every feed as engagement ranking does; with ``μ = 1`` by
predicted value. It is the "revenue-weighted" platform of the business-model
experiments (``experiment=business_models``), not a published platform's algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.agents.rules.value import ValueConfig, item_value
from feedlab.experiments.schema import field
from feedlab.models.feed import Candidates
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy
from feedlab.models.ranking.engagement import EngagementWeights, engagement_score


def _scaled(x: np.ndarray) -> np.ndarray:
    """``x`` divided by its mean absolute value (unchanged when that is 0)."""
    m = float(np.mean(np.abs(x))) if x.size else 0.0
    return x / m if m > 0 else x


@RANKINGS.register("revenue")
@dataclass(frozen=True)
class RevenueRanking(ScoredPolicy):
    """Engagement and predicted value mixed by the platform objective (module docstring)."""

    weights: EngagementWeights = field(doc="points per predicted like, comment and share")
    value: ValueConfig = field(doc="the platform's weights of predicted reflective value")
    value_weight: float = field(
        ge=0, le=1, doc="μ when the business model publishes no objective (business_model none)"
    )

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """``(1 − μ_i)·Ê/mean(Ê) + μ_i·V̂/mean(|V̂|)`` per pair (module docstring)."""
        eng = _scaled(engagement_score(cand, self.weights))
        val = _scaled(
            item_value(self.value, cand.quality, (1 + cand.agreement) / 2, cand.trust, cand.outrage)
        )
        if cand.objective is None:
            mu: np.ndarray | float = self.value_weight
        else:
            mu = cand.objective[cand.viewer]
        return (1.0 - mu) * eng + mu * val
