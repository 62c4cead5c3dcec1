"""Engagement ranking: the weighted sum of predicted reactions.

    score = w_like·P̂(like) + w_comment·P̂(comment) + w_share·P̂(share)

Default weights follow Facebook's "meaningful social interactions" points as reported in
2021 (a like 1; a reaction or reshare without text 5; a significant comment, message or
reshare 30; see docs/validation.md §References): feedlab's comments count as significant comments (30)
and its reshares as plain reshares (5). The platform sees predictions
(``Candidates.predicted``), not the simulation's true probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.feed import Candidates
from feedlab.models.kernels import njit, tie_key
from feedlab.models.predictor import PlatformPredictor
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy


@dataclass(frozen=True)
class EngagementWeights:
    """Points per predicted action."""

    like: float = field(ge=0, doc="w_like")
    comment: float = field(ge=0, doc="w_comment")
    share: float = field(ge=0, doc="w_share")


@RANKINGS.register("engagement")
@dataclass(frozen=True)
class EngagementRanking(ScoredPolicy):
    """Rank by predicted engagement (module docstring)."""

    weights: EngagementWeights = field(doc="points per predicted like, comment and share")

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """Weighted predicted engagement per pair (:func:`engagement_score`)."""
        return engagement_score(cand, self.weights)

    def rank(
        self, cand: Candidates, k: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The scored policy's top ``k``; with the model's own predictor (not wrapped by an
        extension) and no down- or up-ranking, predicted, scored and selected in one fused pass
        per viewer (:meth:`PlatformPredictor.top_weighted`): the same feed and the same
        draw (one tie key), without the per-candidate arrays.
        """
        if (
            type(cand.predictor) is not PlatformPredictor
            or self.downrank_animosity > 0
            or self.uprank_animosity > 0
            or type(self).score is not EngagementRanking.score
        ):
            return super().rank(cand, k, rng)
        w = self.weights
        return cand.predictor.top_weighted(cand, (w.like, w.comment, w.share), k, tie_key(rng))


def engagement_score(cand: Candidates, w: EngagementWeights) -> np.ndarray:
    """w_like·P̂(like) + w_comment·P̂(comment) + w_share·P̂(share) per pair (one pass)."""
    out = buffers.empty(cand.size)
    like, comment, share = cand.predictions((0, 1, 2))
    _weighted3(like, comment, share, w.like, w.comment, w.share, out)
    return out


@njit(cache=True, error_model="numpy")
def _weighted3(a, b, c, wa, wb, wc, out):  # pragma: no cover - jitted
    for m in range(a.shape[0]):
        out[m] = wa * a[m] + wb * b[m] + wc * c[m]
