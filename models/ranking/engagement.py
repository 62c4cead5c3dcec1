"""Engagement ranking: the weighted sum of predicted reactions.

    score = w_like·P̂(like) + w_comment·P̂(comment) + w_share·P̂(share)

Default weights follow Facebook's "meaningful social interactions" points as reported in
2021 (a like 1; a reaction or reshare without text 5; a significant comment, message or
reshare 30; see LITERATURE.md): feedlab's comments count as significant comments (30)
and its reshares as plain reshares (5). The platform sees predictions
(``Candidates.predicted``), not the simulation's true probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from experiments.schema import field
from models.feed import Candidates
from models.ranking.base import RANKINGS, ScoredPolicy


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

    weights: EngagementWeights = field()
    needs_predictions: ClassVar[bool] = True

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        p = cand.predicted
        w = self.weights
        return w.like * p[:, 0] + w.comment * p[:, 1] + w.share * p[:, 2]
