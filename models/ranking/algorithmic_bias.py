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

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.feed import Candidates
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy


@RANKINGS.register("algorithmic_bias")
@dataclass(frozen=True)
class AlgorithmicBiasRanking(ScoredPolicy):
    """Opinion-distance-biased random feed (module docstring)."""

    gamma: float = field(ge=0, le=50, doc="γ: strength of the bias")
    floor: float = field(gt=0, le=1, doc="distance floor (Sîrbu et al. use 1e-5)")

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """−γ·log max(|x_i − x_j|, floor) + G, with G = −log(−log U), U uniform: a
        standard Gumbel variate (drawn this way, in place, because it vectorises;
        ``Generator.gumbel`` takes 4× as long).
        """
        opinion = cand.users.opinion
        s = cand._per_pair(opinion, cand.viewer)
        s -= cand._per_pair(opinion, cand.author)
        np.abs(s, out=s)
        np.maximum(s, self.floor, out=s)
        np.log(s, out=s)
        s *= -self.gamma
        g = buffers.empty(cand.size)
        rng.random(out=g)
        with np.errstate(divide="ignore"):  # U = 0 (probability 2⁻⁵³) gives −∞: never shown
            np.log(g, out=g)
            np.negative(g, out=g)
            np.log(g, out=g)
        s -= g
        return s
