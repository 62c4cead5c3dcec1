"""Engagement ranking with political down-weighting and negative feedback.

For a candidate post ``p`` shown to viewer ``i``, with the platform's predicted
probabilities ``P̂`` (``Candidates.predicted``: like, comment, share, negative feedback)
and the post's political flag ``π_p ∈ {0, 1}``:

    score = w_like·P̂(like)
            + c_π·w_comment·P̂(comment) + s_π·w_share·P̂(share)
            − w_neg·P̂(negative feedback)

    c_π = political.comment if π_p else 1,   s_π = political.share if π_p else 1

This is the variant Facebook tested on political content in 2021 (reported that year;
docs/validation.md §References): less weight on predicted comments and
shares of political posts and more weight on predicted negative feedback (hide, snooze,
"see less"). The published reports give the direction, not the numbers: the multipliers
and ``w_neg`` in ``conf/ranking/engagement_negfb.yaml`` are feedlab's choices (documented
in docs/ranking.md). With ``political.comment = political.share = 1`` and ``negfb = 0``
the policy is exactly :class:`~feedlab.models.ranking.engagement.EngagementRanking`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.feed import Candidates
from feedlab.models.kernels import njit
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy
from feedlab.models.ranking.engagement import EngagementWeights


@njit(cache=True, error_model="numpy")
def _score(
    like, comment, share, negfb, political, wl, wc, ws, wn, cpol, spol, out
):  # pragma: no cover - jitted
    """The module docstring's score for every pair in one pass (no temporaries)."""
    for m in range(like.shape[0]):
        c = wc * cpol if political[m] else wc
        s = ws * spol if political[m] else ws
        out[m] = wl * like[m] + c * comment[m] + s * share[m] - wn * negfb[m]


@dataclass(frozen=True)
class PoliticalMultipliers:
    """Multipliers on the comment and share weights for political posts."""

    comment: float = field(ge=0, le=1, doc="c_π: comment weight multiplier on political posts")
    share: float = field(ge=0, le=1, doc="s_π: share weight multiplier on political posts")


@RANKINGS.register("engagement_negfb")
@dataclass(frozen=True)
class EngagementNegFeedbackRanking(ScoredPolicy):
    """Predicted engagement, political comment/share cut, minus negative feedback."""

    weights: EngagementWeights = field(doc="points per predicted like, comment and share")
    political: PoliticalMultipliers = field(
        doc="multipliers on the comment and share weights of political posts"
    )
    negfb: float = field(ge=0, doc="w_neg: points subtracted per predicted negative feedback")

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """The module docstring's score per pair, with the political flag of each candidate
        choosing the comment and share multipliers.
        """
        w, pol = self.weights, self.political
        out = buffers.empty(cand.size)
        like, comment, share, negfb = cand.predictions((0, 1, 2, 3))
        _score(
            like,
            comment,
            share,
            negfb,
            np.ascontiguousarray(cand.political, dtype=np.bool_),
            w.like,
            w.comment,
            w.share,
            self.negfb,
            pol.comment,
            pol.share,
            out,
        )
        return out
