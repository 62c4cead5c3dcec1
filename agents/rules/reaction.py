"""Reaction model: probabilities to like, comment, share and give negative feedback.

For viewer ``i`` and post ``p`` (author ``j``), with agreement ``A = 1 - |x_i - stance_p|/2``
(docs/model.md §One step, 4. react) rescaled to ``a = 2A - 1 ∈ [-1, 1]``, each action ``r`` has a logistic model

    logit P(r) = β0 + β_agree·a + β_out·s_i·o_p + β_avers·(1 - s_i)·o_p
                 + β_trust·(τ_ij - ½) + β_qual·(q_p - ½) + β_spons·z_p

where ``z_p = 1`` when the viewer *sees* the post as sponsored (disclosed, or undisclosed
and detected). Signs come from the literature: outrage raises engagement for susceptible
users (Brady et al. 2017, PNAS 114:7313; Rathje et al. 2021, PNAS 118), comments rise with
disagreement, negative feedback rises with disagreement, low quality and outrage among
low-susceptibility users (the 2021 Facebook political-content test, docs/validation.md §References).
These probabilities are the simulation's ground truth; ranking policies see only the
platform's noisy predictions (:class:`feedlab.models.predictor.PlatformPredictor`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field

COEFFICIENTS = ("intercept", "agreement", "outrage", "aversion", "trust", "quality", "sponsorship")


@dataclass(frozen=True)
class Logit:
    """Coefficients of one action's logistic model (see module docstring)."""

    intercept: float = field(ge=-20, le=20, doc="β0: base log-odds")
    agreement: float = field(ge=-20, le=20, doc="β_agree on a = 1 - |x_i - stance|")
    outrage: float = field(ge=-20, le=20, doc="β_out on susceptibility × outrage")
    aversion: float = field(ge=-20, le=20, doc="β_avers on (1 - susceptibility) × outrage")
    trust: float = field(ge=-20, le=20, doc="β_trust on trust in the author - 1/2")
    quality: float = field(ge=-20, le=20, doc="β_qual on quality - 1/2")
    sponsorship: float = field(ge=-20, le=20, doc="β_spons on 'seen as sponsored'")


@dataclass(frozen=True)
class ReactionConfig:
    """The four logistic reaction models."""

    like: Logit = field(doc="logistic model of liking an item")
    comment: Logit = field(doc="logistic model of commenting on an item")
    share: Logit = field(doc="logistic model of resharing an item")
    negfb: Logit = field(doc="logistic model of negative feedback (hide, 'see less')")

    def models(self) -> tuple[Logit, Logit, Logit, Logit]:
        """The four actions' models in column order: like, comment, share, negfb."""
        return (self.like, self.comment, self.share, self.negfb)

    def matrix(self) -> np.ndarray:
        """Coefficients as a (4, 7) array: rows like, comment, share, negfb (the order of
        :meth:`models`), columns in ``COEFFICIENTS`` order. This is the layout the fused
        kernels (:func:`feedlab.models.kernels.reaction_probabilities`) read.
        """
        return np.array([[getattr(m, c) for c in COEFFICIENTS] for m in self.models()])


def logits(
    cfg: ReactionConfig,
    agreement: np.ndarray,
    susceptibility: np.ndarray,
    outrage: np.ndarray,
    trust: np.ndarray,
    quality: np.ndarray,
    seen_sponsored: np.ndarray,
) -> np.ndarray:
    """Log-odds of the four actions, shape ``(M, 4)`` (columns like, comment, share, negfb)."""
    so = susceptibility * outrage
    ao = (1.0 - susceptibility) * outrage
    tc = trust - 0.5
    qc = quality - 0.5
    z = seen_sponsored.astype(np.float64)
    out = np.empty((agreement.shape[0], 4))
    for col, m in enumerate(cfg.models()):
        out[:, col] = (
            m.intercept
            + m.agreement * agreement
            + m.outrage * so
            + m.aversion * ao
            + m.trust * tc
            + m.quality * qc
            + m.sponsorship * z
        )
    return out
