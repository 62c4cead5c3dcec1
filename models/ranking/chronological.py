"""Reverse-chronological feed: newest first (the control arm of Huszár et al. 2022)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.models.feed import Candidates
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy


@RANKINGS.register("chronological")
@dataclass(frozen=True)
class ChronologicalRanking(ScoredPolicy):
    """score = post time; posts of the same step are ordered at random."""

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """The post's write time as a float; ties (posts of the same step) are broken at random
        by the shared top-k.
        """
        return cand.time.astype(np.float64)
