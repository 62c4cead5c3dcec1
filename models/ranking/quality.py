"""Quality ranking: predicted approval × quality, with down-ranking of unreliable sources.

For a candidate post ``p`` (original author ``j``) shown to viewer ``i``:

    score = P̂_i(like | p) · q_p · d_j,    d_j = downrank if r_j < reliability_threshold
                                               else 1

with ``P̂(like)`` the platform's predicted approval (``Candidates.predicted``, noisy and
biased as configured), ``q_p ∈ [0, 1]`` the post's quality/veracity and ``r_j`` the
*source reliability*: the author's mean quality (``users.quality``), the model's stand-in
for a source rating such as a fact-checker's or NewsGuard's. ``downrank = 1`` turns the
source penalty off. Prosocial-ranking proposals combine predicted approval with quality
signals this way (Tang, Weyl et al. 2025, arXiv 2502.10834; Ovadya & Thorburn 2023).

Transparency labels are a platform feature, not part of the ranking: with
``platform.labels.enabled`` the :class:`SourceLabels` extension labels every item from a
low-reliability source and the label lowers the viewer's log-odds of liking and sharing
it (``platform.labels.like`` / ``.share``). Warnings on disputed content modestly lower
belief in and sharing of false headlines (Pennycook, Bear, Collins & Rand 2020,
Management Science 66:4944; Horne 2024, arXiv 2407.21592); the log-odds shifts in
``conf/platform/default.yaml`` are feedlab's choices of that modest size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.extension import Extension
from feedlab.models.feed import Candidates
from feedlab.models.kernels import njit
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy

if TYPE_CHECKING:
    from feedlab.models.config import LabelConfig


@njit(cache=True, error_model="numpy")
def _score(like, slot, origin_author, post_quality, source_quality, threshold, downrank, out):
    """P̂(like) · q_p · d_j for every pair in one pass (no temporaries)."""
    for m in range(like.shape[0]):
        d = downrank if source_quality[origin_author[m]] < threshold else 1.0
        out[m] = like[m] * post_quality[slot[m]] * d


@RANKINGS.register("quality")
@dataclass(frozen=True)
class QualityRanking(ScoredPolicy):
    """Predicted approval × quality × source down-ranking (module docstring)."""

    reliability_threshold: float = field(
        ge=0, le=1, doc="sources with mean quality below this are low-reliability"
    )
    downrank: float = field(ge=0, le=1, doc="d: score multiplier for low-reliability sources")

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """``P̂(like) · q_p · d_j`` per pair (module docstring): predicted approval times post
        quality, times ``downrank`` when the original author's mean quality is below the
        reliability threshold.
        """
        out = buffers.empty(cand.size)
        _score(
            cand.predictions((0,))[0],
            cand.slot,
            cand.origin_author,
            cand.posts.quality,
            np.ascontiguousarray(cand.users.quality, dtype=np.float64),
            self.reliability_threshold,
            self.downrank,
            out,
        )
        return out


class SourceLabels(Extension):
    """Model extension: label items from low-reliability sources (``platform.labels``).

    ``before_react`` adds ``labels.like`` and ``labels.share`` to the true reaction
    log-odds (``StepContext.logit_offset``) of every feed item whose original author's
    mean quality is below ``labels.reliability_threshold``; the live metric
    ``labelled_share`` is the share of the step's impressions that carried a label.
    """

    def __init__(self, cfg: LabelConfig):
        self.cfg = cfg
        self._labelled = 0.0
        self._impressions = 0.0

    def labelled(self, model: Any, ctx: Any) -> np.ndarray:
        """Which feed items of the step carry a label."""
        author = ctx.feed.items.origin_author
        return model.users.quality[author] < self.cfg.reliability_threshold

    def before_react(self, model: Any, t: int, ctx: Any) -> None:
        """Add the label's log-odds shifts (like and share columns) to the labelled feed items
        and count them for :meth:`metrics`.
        """
        lab = self.labelled(model, ctx)
        if ctx.logit_offset is None:
            ctx.logit_offset = np.zeros((lab.shape[0], 4))
        ctx.logit_offset[lab, 0] += self.cfg.like
        ctx.logit_offset[lab, 2] += self.cfg.share
        self._labelled = float(lab.sum())
        self._impressions = float(lab.shape[0])

    def metrics(self, model: Any) -> dict[str, float]:
        """``labelled_share``: the share of this step's impressions that carried a label (NaN in
        a step without impressions).
        """
        share = self._labelled / self._impressions if self._impressions else float("nan")
        return {"labelled_share": share}
