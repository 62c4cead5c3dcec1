"""Reflective value: what a user, on reflection, got out of the feed (docs/model.md §One step, 6. value).

Engagement is revealed preference; value is reflective preference (docs/model.md §Engagement and reflective value: the whole
bag of crisps). For each item read,

    v_p = w_q q_p + w_a A_ip + w_t τ_ij - w_r o_p

(quality, agreement A = 1 - |Δx|/2, strong ties, minus outrage regret) and the viewer's
value for the step is the mean over its feed. Recorded beside engagement so that the
engagement–value gap can be measured (docs/validation.md §Stylized facts, fact 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field


@dataclass(frozen=True)
class ValueConfig:
    """Weights of reflective value."""

    quality: float = field(ge=0, le=10, doc="w_q")
    agreement: float = field(ge=0, le=10, doc="w_a")
    tie: float = field(ge=0, le=10, doc="w_t: trust in the source (strong ties)")
    regret: float = field(ge=0, le=10, doc="w_r: outrage regret")


def item_value(
    cfg: ValueConfig,
    quality: np.ndarray,
    agreement01: np.ndarray,
    trust: np.ndarray,
    outrage: np.ndarray,
) -> np.ndarray:
    """Value of each read item."""
    return (
        cfg.quality * quality + cfg.agreement * agreement01 + cfg.tie * trust - cfg.regret * outrage
    )
