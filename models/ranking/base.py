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

    def rank(
        self, cand: Candidates, k: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Select and order each viewer's feed from the step's candidates.

        Parameters
        ----------
        cand
            Every (viewer, candidate post) pair of the step, grouped by viewer
            (``cand.ptr`` delimits each viewer's segment).
        k
            Feed length per viewer (one entry per segment).
        rng
            The step's ranking stream; the only source of randomness a policy may use
            (tie-breaks, random feeds), so a run stays reproducible.

        Returns
        -------
        selected, ptr
            Indices into ``cand`` of the chosen pairs, grouped by viewer in rank order, and the
            segment pointer of that selection (viewer ``v``'s feed is
            ``selected[ptr[v] : ptr[v + 1]]``).
        """
        raise NotImplementedError


class ScoredPolicy(RankingPolicy):
    """A policy defined by a score per (viewer, candidate) pair; higher ranks first."""

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """Score of every (viewer, candidate) pair, shape ``(cand.size,)``; higher ranks first."""
        raise NotImplementedError

    def rank(
        self, cand: Candidates, k: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` pairs of each viewer by :meth:`score`; equal scores in random order
        (one tie key drawn from ``rng``, :func:`feedlab.models.kernels.tie_key`).
        """
        s = self.score(cand, rng)
        return segmented_topk(s, cand.ptr, k, tie_key(rng))


RANKINGS: Registry[RankingPolicy] = Registry("ranking")
