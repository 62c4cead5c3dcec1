"""Algorithmic bias (Sîrbu, Pedreschi, Giannotti & Kertész 2019, PLoS ONE 14:e0213246).

Each item is drawn with probability ∝ max(|x_i − x_j|, floor)^(−γ), where ``x_j`` is the
opinion of the item's author: γ = 0 is uniform, large γ shows the viewer the closest
authors. Sampling k items without replacement uses the Gumbel-top-k trick: score =
−γ·log max(|Δx|, floor) + Gumbel noise, whose top-k is a weighted sample without
replacement (Efraimidis & Spirakis 2006); with k = 1 it is exactly the paper's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from experiments.schema import field
from models.feed import Candidates
from models.ranking.base import RANKINGS, ScoredPolicy


@RANKINGS.register("algorithmic_bias")
@dataclass(frozen=True)
class AlgorithmicBiasRanking(ScoredPolicy):
    """Opinion-distance-biased random feed (module docstring)."""

    gamma: float = field(ge=0, le=50, doc="γ: strength of the bias")
    floor: float = field(gt=0, le=1, doc="distance floor (Sîrbu et al. use 1e-5)")

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        dx = np.abs(cand.users.opinion[cand.viewer] - cand.users.opinion[cand.author])
        logw = -self.gamma * np.log(np.maximum(dx, self.floor))
        return logw + rng.gumbel(size=cand.size)
