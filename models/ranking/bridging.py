"""Bridging ranking: approval across divided groups (Ovadya & Thorburn 2023).

A post scores high when *every* group approves of it, not when one group loves it. For a
candidate post ``p`` and the groups ``g = 1..G`` of the population (the network's
communities, or the sign of the opinion), with ``a_g(p) ∈ [0, 1]`` the approval of ``p``
in group ``g``:

    aggregate = min:      score(p) = min_g a_g(p)
    aggregate = product:  score(p) = Π_g a_g(p)

(the same for every viewer; feeds differ because candidates differ). Two sources of
``a_g``:

* ``variant: predicted`` — the platform's predicted like-probability of a *typical
  member* of group g (the member closest to the group's mean opinion and mean outrage
  susceptibility, :func:`feedlab.models.feed.typical_members`): the same reaction model and
  predictor that feeds every prediction-based policy, with its noise and bias
  (``Candidates.group_predicted``; ``platform.prediction_noise`` / ``prediction_bias``),
  one prediction per original post, shared by its reshares.
* ``variant: observed`` — smoothed approval rates from the reactions so far, counted on
  the original post (reshares inherit their original's counts):

      a_g(p) = (likes_g(p) + α) / (impressions_g(p) + α + β)

  the posterior mean of a Beta(α, β) prior updated with the group's likes and
  impressions (``posts.likes_by_group`` / ``posts.impressions_by_group``; Jøsang &
  Ismail 2002 use the same form with α = β = 1). A post nobody has seen yet scores the
  prior mean α/(α+β) in every group; with ``platform.window = 1`` only reshares of
  earlier posts carry observations, so the observed variant needs a longer window or
  reshares to differ from a random feed (docs/ranking.md).

Törnberg et al. (2023, arXiv 2310.05984) rank by likes from the other party; the open
Community Notes scorer (matrix factorisation, r̂ = μ + i_u + i_n + f_u·f_n) rewards the
intercept i_n of approval that does not depend on the rater's side. The min/product over
groups is the simplest rule with that property; the matrix-factorisation variant is
``ranking=bridging_mf`` (:mod:`feedlab.models.ranking.bridging_mf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models.feed import Candidates
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy


@dataclass(frozen=True)
class BetaPrior:
    """Beta(α, β) prior of a group's approval rate (observed variant)."""

    alpha: float = field(gt=0, doc="α: prior pseudo-likes")
    beta: float = field(gt=0, doc="β: prior pseudo-impressions without a like")


@RANKINGS.register("bridging")
@dataclass(frozen=True)
class BridgingRanking(ScoredPolicy):
    """Rank by the lowest (or product of) group approval (module docstring)."""

    variant: Literal["predicted", "observed"] = field(
        doc="predicted: typical member's predicted like; observed: smoothed like rates"
    )
    aggregate: Literal["min", "product"] = field(doc="how group approvals are combined")
    prior: BetaPrior = field(doc="Beta prior of the observed variant (unused by predicted)")

    def group_approval(self, cand: Candidates) -> np.ndarray:
        """``(posts.capacity, G)`` approval per post slot and group (module docstring)."""
        if self.variant == "predicted":
            return cand.group_predicted
        p = cand.posts
        a, b = self.prior.alpha, self.prior.beta
        return (p.likes_by_group + a) / (p.impressions_by_group + (a + b))

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """Bridging score of each pair: the min (or product) over groups of its original post's
        group approval; the same for every viewer of a post, so reshares rank as their original.
        """
        table = self.group_approval(cand)
        # column by column: NumPy reduces a (capacity, G) array along its short axis
        # row by row, ~30x slower than G - 1 vectorised passes
        per_slot = table[:, 0].copy()
        combine = np.minimum if self.aggregate == "min" else np.multiply
        for g in range(1, table.shape[1]):
            combine(per_slot, table[:, g], out=per_slot)
        return cand._per_pair(per_slot, cand.origin_slot)
