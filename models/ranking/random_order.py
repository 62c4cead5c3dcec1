"""Uniformly random feed: k candidates drawn without replacement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.models.feed import Candidates
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy


@RANKINGS.register("random")
@dataclass(frozen=True)
class RandomRanking(ScoredPolicy):
    """score = constant; the random tie-break makes the top-k a uniform sample."""

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """All zeros: every pair ties, so the random tie-break alone orders the feed."""
        return np.zeros(cand.size)
