"""The platform's reaction predictor: what a ranking policy sees instead of the truth.

SPEC §3: engagement probabilities are the simulation's ground truth; a ranker sees only
*predictions* of them, optionally noisy or biased, as a platform's model would be.
feedlab's platform model is the true reaction model (:mod:`agents.rules.reaction`) with

    logit P̂(a | i, p) = logit P(a | i, p) + b_a + σ·ε_ip,

``b_a`` the per-action bias (``platform.prediction_bias``), ``σ`` the error scale
(``platform.prediction_noise``) and ``ε_ip`` one standard-normal error per
(viewer, post) pair shared by the four actions. ``ε_ip`` is a fixed function of the
run's ``prediction`` seed stream, the viewer and the post id
(:func:`models.kernels.pair_normal`): a model's error on a pair does not change when the
pair is scored again in a later step (``platform.window`` > 1) or in another arm's
batch, and drawing it costs no generator state, so predicting fewer actions or fewer
pairs never shifts any other random number of the run.

A *predictor* is any callable ``predictor(cand) -> (M, 4)`` array (like, comment,
share, negative feedback). One that also offers ``columns(cand, actions) -> (A, M)``
computes only the actions asked for; :meth:`models.feed.Candidates.predictions` uses it
when present, so an engagement ranker never pays for negative feedback and a quality
ranker computes likes only. Extensions may wrap the predictor (e.g. paid engagement
inflating an account's predicted likes: :mod:`agents.behaviours.bought_engagement`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from models.kernels import pair_noise, prediction_logits, sigmoid_inplace

if TYPE_CHECKING:
    from models.feed import Candidates

#: Action columns, in ``agents.rules.reaction.ACTIONS`` order.
LIKE, COMMENT, SHARE, NEGFB = 0, 1, 2, 3
ALL_ACTIONS = (LIKE, COMMENT, SHARE, NEGFB)


def predict_columns(predictor: object, cand: Candidates, actions: Sequence[int]) -> np.ndarray:
    """``(len(actions), M)`` predictions of ``actions`` from any predictor (module doc)."""
    cols = getattr(predictor, "columns", None)
    if cols is not None:
        return cols(cand, actions)
    full = predictor(cand)  # type: ignore[operator]
    return np.ascontiguousarray(np.asarray(full, dtype=np.float64)[:, list(actions)].T)


class PlatformPredictor:
    """The model's predictor (module docstring): reads the model's current arrays.

    ``key`` is a 32-bit word from the run's ``prediction`` seed stream; ``coef`` the
    (4, 7) reaction coefficients; ``bias`` the four per-action log-odds biases."""

    def __init__(
        self, model: object, coef: np.ndarray, bias: Sequence[float], noise: float, key: int
    ):
        self.model = model
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.bias = np.ascontiguousarray(bias, dtype=np.float64)
        self.noise = float(noise)
        self.key = np.uint64(int(key) & 0xFFFFFFFF)

    def columns(self, cand: Candidates, actions: Sequence[int]) -> np.ndarray:
        """Predicted probabilities of ``actions`` for every pair, shape ``(A, M)``."""
        m = self.model
        p, u = m.posts, m.users  # type: ignore[attr-defined]
        acts = np.asarray(actions, dtype=np.int64)
        out = np.empty((acts.shape[0], cand.size))
        err = np.empty(cand.size if self.noise > 0 else 0)
        if self.noise > 0:
            pair_noise(self.key, cand.viewer, cand.post_id, self.noise, err)
        prediction_logits(
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
            acts,
            err,
            out,
        )
        sigmoid_inplace(out.reshape(-1))
        return out

    def __call__(self, cand: Candidates) -> np.ndarray:
        """All four actions, ``(M, 4)``."""
        return np.ascontiguousarray(self.columns(cand, ALL_ACTIONS).T)
