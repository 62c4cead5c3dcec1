"""The ranking-policy interface.

A policy is a small frozen dataclass (its fields are its parameters) with one verb,
:meth:`RankingPolicy.rank`: given every (viewer, candidate) pair of a step and each
viewer's feed length ``k``, return the selected pairs grouped by viewer in rank order.
Most policies only define a per-pair :meth:`ScoredPolicy.score`; the shared segmented
top-k (``feedlab.models.rank_kernels.segmented_topk``; equal scores in random order, from one key
drawn from the passed ``rng``) turns scores into feeds. Policies never touch the model:
everything arrives as arrays.

Every scored policy has the option ``downrank_animosity`` (a threshold in [0, 1]; 0 = off):
candidates whose out-group animosity (``posts.animosity``, ``dynamics.affect``) is at or
above it are moved below all others before the top-k, keeping the policy's order within
each part — the re-ranking of Piccardi et al. (2025, *Science*), who moved posts
expressing partisan animosity down the feeds of consenting users for ten days. Its mirror
``uprank_animosity`` (same threshold semantics; 0 = off) moves those candidates *above* all
others, Piccardi et al.'s second treatment arm (increased exposure). When both are set,
down-ranking is applied first and up-ranking second, so an item flagged by both ends on
top. Both defaults are structural (0, off): ``uprank_animosity`` is not written in the
``conf/ranking/*.yaml`` presets, so configs and run keys without it are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models.feed import Candidates
from feedlab.models.kernels import tie_key
from feedlab.models.rank_kernels import segmented_topk
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


@dataclass(frozen=True, kw_only=True)
class ScoredPolicy(RankingPolicy):
    """A policy defined by a score per (viewer, candidate) pair; higher ranks first.

    A frozen dataclass with two keyword-only fields, ``downrank_animosity`` and
    ``uprank_animosity`` (module docstring); their default 0 (off) is structural. Every
    ``conf/ranking/*.yaml`` of a scored policy states ``downrank_animosity``;
    ``uprank_animosity`` is set per run or per arm (``conf/experiment/affect_rerank.yaml``).
    """

    downrank_animosity: float = field(
        default=0.0,
        ge=0,
        le=1,
        doc="candidates with animosity >= this go below all others before the top-k "
        "(Piccardi et al. 2025); 0 = off",
    )
    uprank_animosity: float = field(
        default=0.0,
        ge=0,
        le=1,
        doc="candidates with animosity >= this go above all others before the top-k "
        "(Piccardi et al. 2025's up-ranking arm); 0 = off",
    )

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
        if self.downrank_animosity > 0:
            s = downrank(s, cand.posts.animosity[cand.slot] >= self.downrank_animosity)
        if self.uprank_animosity > 0:
            s = uprank(s, cand.posts.animosity[cand.slot] >= self.uprank_animosity)
        return segmented_topk(s, cand.ptr, k, tie_key(rng))


def downrank(score: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Scores with the ``flagged`` pairs moved below every unflagged one (a new array).

    Flagged scores are lowered by ``max − min + 1`` of all scores: each ends below the
    lowest score while the order among the flagged is kept, so within each viewer's feed
    the flagged fill only the places no unflagged candidate is left for.
    """
    out = np.array(score, dtype=np.float64)
    if out.size == 0 or not flagged.any():
        return out
    finite = out[np.isfinite(out)]
    if finite.size == 0:
        return out
    shift = float(finite.max() - finite.min()) + 1.0
    out[flagged] -= shift
    return out


def uprank(score: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Scores with the ``flagged`` pairs moved above every unflagged one (a new array): the
    mirror of :func:`downrank`, raising flagged scores by ``max − min + 1`` of all scores,
    so the flagged fill a viewer's top places and keep their order among themselves.
    """
    return -downrank(-np.asarray(score, dtype=np.float64), flagged)


RANKINGS: Registry[RankingPolicy] = Registry("ranking")
