"""The platform's reaction predictor: what a ranking policy sees instead of the truth.

docs/model.md §One step, 3. rank: engagement probabilities are the simulation's ground truth; a ranker sees only
*predictions* of them, optionally noisy or biased, as a platform's model would be.
feedlab's platform model is the true reaction model (:mod:`feedlab.agents.rules.reaction`) with

    logit P̂(a | i, p) = logit P(a | i, p) + b_a + σ·ε_ip,

``b_a`` the per-action bias (``platform.prediction_bias``), ``σ`` the error scale
(``platform.prediction_noise``) and ``ε_ip`` one standard-normal error per
(viewer, post) pair shared by the four actions. ``ε_ip`` is a fixed function of the
run's ``prediction`` seed stream, the viewer and the post id
(:func:`feedlab.models.kernels.pair_normal`): a model's error on a pair does not change when the
pair is scored again in a later step (``platform.window`` > 1) or in another arm's
batch, and drawing it costs no generator state, so predicting fewer actions or fewer
pairs never shifts any other random number of the run.

A *predictor* is any callable ``predictor(cand) -> (M, 4)`` array (like, comment,
share, negative feedback). One that also offers ``columns(cand, actions)`` (a list of
one array per action)
computes only the actions asked for; :meth:`feedlab.models.feed.Candidates.predictions` uses it
when present, so an engagement ranker never pays for negative feedback and a quality
ranker computes likes only. Extensions may wrap the predictor (e.g. paid engagement
inflating an account's predicted likes: :mod:`feedlab.agents.behaviours.bought_engagement`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from feedlab.models import buffers
from feedlab.models.kernels import (
    pair_noise,
    prediction_logits,
    sigmoid_inplace,
    threaded,
)
from feedlab.models.rank_kernels import SMALL_SEGMENT, weighted_topk

if TYPE_CHECKING:
    from feedlab.models.feed import Candidates

#: Action columns, in the order of ``feedlab.agents.rules.reaction.ReactionConfig.models``.
LIKE, COMMENT, SHARE, NEGFB = 0, 1, 2, 3
ALL_ACTIONS = (LIKE, COMMENT, SHARE, NEGFB)


def predict_columns(
    predictor: object, cand: Candidates, actions: Sequence[int]
) -> list[np.ndarray]:
    """Predictions of ``actions`` from any predictor (module docstring): one contiguous
    float64 array of M values per action.
    """
    cols = getattr(predictor, "columns", None)
    if cols is not None:
        return cols(cand, actions)
    full = np.asarray(predictor(cand), dtype=np.float64)  # type: ignore[operator]
    return [np.ascontiguousarray(full[:, a]) for a in actions]


class PlatformPredictor:
    """The model's predictor (module docstring): reads the model's current arrays.

    ``key`` is a 32-bit word from the run's ``prediction`` seed stream; ``coef`` the
    (4, 7) reaction coefficients; ``bias`` the four per-action log-odds biases.
    """

    def __init__(
        self, model: object, coef: np.ndarray, bias: Sequence[float], noise: float, key: int
    ):
        self.model = model
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.bias = np.ascontiguousarray(bias, dtype=np.float64)
        self.noise = float(noise)
        self.key = np.uint64(int(key) & 0xFFFFFFFF)

    def columns(self, cand: Candidates, actions: Sequence[int]) -> list[np.ndarray]:
        """Predicted probabilities of ``actions``: one array of M values per action."""
        m = self.model
        p, u = m.posts, m.users  # type: ignore[attr-defined]
        need = np.zeros(4, dtype=np.bool_)
        need[list(actions)] = True
        out = buffers.empty((4, cand.size))  # rows not needed are never written
        err = buffers.empty(cand.size if self.noise > 0 else 0)
        if self.noise > 0:
            with np.errstate(over="ignore"):  # the hash wraps by design (JIT off only)
                threaded(pair_noise)(self.key, cand.viewer, cand.post_id, self.noise, err)
        threaded(prediction_logits)(
            cand.viewer,
            cand.slot,
            cand.edge,
            u.opinion,
            u.susceptibility,
            p.stance,
            p.outrage,
            p.quality,
            p.sponsored,
            p.disclosed,
            m.graph.trust,  # type: ignore[attr-defined]
            cand.stranger_trust,
            self.coef,
            self.bias,
            need,
            err,
            out,
        )
        for a in np.flatnonzero(need):
            threaded(sigmoid_inplace)(out[a])
        return [out[a] for a in actions]

    def top_weighted(
        self, cand: Candidates, weights: Sequence[float], k: np.ndarray, tie: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each viewer's top ``k`` pairs by ``w_like·P̂(like) + w_comment·P̂(comment) +
        w_share·P̂(share)``, fused (:func:`feedlab.models.rank_kernels.weighted_topk`): the
        same feed, bit for bit, as :meth:`columns` followed by
        :func:`feedlab.models.rank_kernels.segmented_topk` with tie key ``tie``, without the
        per-candidate prediction and score arrays. Returns ``(selected, out_ptr)`` as
        ``segmented_topk`` does.
        """
        m = self.model
        p, u = m.posts, m.users  # type: ignore[attr-defined]
        sizes = np.diff(cand.ptr)
        kk = np.minimum(np.asarray(k, dtype=np.int64), sizes).astype(np.int64)
        out_ptr = np.zeros(kk.shape[0] + 1, dtype=np.int64)
        np.cumsum(kk, out=out_ptr[1:])
        out = buffers.empty(int(out_ptr[-1]), np.int64)
        kernel = threaded(weighted_topk)
        kernel(
            cand.viewers.astype(np.int32, copy=False),
            np.ascontiguousarray(cand.ptr, dtype=np.int64),
            cand.slot,
            cand.edge,
            p.id,
            u.opinion,
            u.susceptibility,
            p.stance,
            p.outrage,
            p.quality,
            # nothing sponsored (as at the default): the flags are not read per pair
            p.sponsored if p.sponsored.any() else p.sponsored[:0],
            p.disclosed,
            m.graph.trust,  # type: ignore[attr-defined]
            cand.stranger_trust,
            self.coef,
            self.bias,
            self.noise,
            self.key,
            np.asarray(weights, dtype=np.float64),
            kk,
            np.uint64(tie & 0xFFFFFFFF),
            out_ptr,
            out,
            SMALL_SEGMENT,
        )
        return out, out_ptr

    def __call__(self, cand: Candidates) -> np.ndarray:
        """All four actions, ``(M, 4)``."""
        return np.stack(self.columns(cand, ALL_ACTIONS), axis=1)
