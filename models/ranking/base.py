"""The ranking-policy interface.

A policy is a small frozen dataclass (its fields are its parameters) with one verb,
:meth:`RankingPolicy.rank`: given every (viewer, candidate) pair of a step and each
viewer's feed length ``k``, return the selected pairs grouped by viewer in rank order.
Most policies only define a per-pair :meth:`ScoredPolicy.score`; the shared segmented
top-k (``feedlab.models.kernels.segmented_topk``; equal scores in random order, from one key
drawn from the passed ``rng``) turns scores into feeds. Policies never touch the model:
everything arrives as arrays.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from feedlab.models.feed import Candidates
from feedlab.models.kernels import segmented_topk, tie_key
from feedlab.models.registry import Registry


class RankingPolicy:
    """Base class: ``rank(cand, k, rng) -> (selected pair indices, segment ptr)``."""

    unit_name: ClassVar[str] = ""
    needs_predictions: ClassVar[bool] = False

    def rank(
        self, cand: Candidates, k: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class ScoredPolicy(RankingPolicy):
    """A policy defined by a score per (viewer, candidate) pair; higher ranks first."""

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def rank(
        self, cand: Candidates, k: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        s = self.score(cand, rng)
        return segmented_topk(s, cand.ptr, k, tie_key(rng))


RANKINGS: Registry[RankingPolicy] = Registry("ranking")
