"""Arousal: rises with outrage consumed, decays each step, narrows tolerance.

    e_i ← clip((1 - δ) e_i + κ s_i ō_i, 0, 1)       ō_i = mean outrage of i's feed
    ε_eff = ε_i (1 - ψ e_i)
    o_post = clip(o_base,i + λ e_i + noise, 0, 1)

(docs/model.md §One step, 1. post and 5. update; the positive-feedback loop of outrage expression follows Brady et al. 2021,
Sci. Adv. 7). With ``enabled: false`` arousal stays 0 and none of this acts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field


@dataclass(frozen=True)
class EmotionConfig:
    """Arousal dynamics parameters."""

    enabled: bool = field(doc="arousal dynamics on/off")
    decay: float = field(ge=0, le=1, doc="δ: share of arousal lost per step")
    gain: float = field(ge=0, le=10, doc="κ: arousal gained per unit s·ō")
    narrowing: float = field(ge=0, le=1, doc="ψ: ε_eff = ε(1 - ψ e)")
    expression: float = field(ge=0, le=1, doc="λ: extra outrage of own posts per unit arousal")
    post_noise: float = field(ge=0, le=1, doc="sd of per-post outrage noise")


def update_arousal(
    cfg: EmotionConfig, arousal: np.ndarray, susceptibility: np.ndarray, mean_outrage: np.ndarray
) -> np.ndarray:
    """Next arousal (a new array)."""
    if not cfg.enabled:
        return np.zeros_like(arousal)
    return np.clip((1.0 - cfg.decay) * arousal + cfg.gain * susceptibility * mean_outrage, 0, 1)


def effective_tolerance(
    cfg: EmotionConfig, tolerance: np.ndarray, arousal: np.ndarray
) -> np.ndarray:
    """ε_eff = ε (1 - ψ e)."""
    if not cfg.enabled:
        return tolerance
    return tolerance * (1.0 - cfg.narrowing * arousal)


def post_outrage(
    cfg: EmotionConfig, base: np.ndarray, arousal: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Outrage of newly written posts."""
    o = base + (cfg.expression * arousal if cfg.enabled else 0.0)
    if cfg.post_noise > 0:
        o = o + cfg.post_noise * rng.standard_normal(base.shape[0])
    return np.clip(o, 0.0, 1.0)
