"""Opinion update: trust-weighted bounded confidence with arousal and backfire.

For each feed item ``p`` read by viewer ``i`` (stance ``y_p``, trust ``τ`` in the account
it came through), with ``d = y_p - x_i`` and the arousal-narrowed tolerance
``ε_eff = ε_i (1 - ψ e_i)``:

    Δ_p = τ μ_i d                        if |d| < ε_eff       (Deffuant et al. 2000)
    Δ_p = -τ μ_back e_i d                if backfire on, e_i > θ_e and |d| > β ε_eff
    Δ_p = 0                              otherwise

and the opinion moves by the mean of the ``Δ_p`` over the feed (synchronous update over
viewers), clipped to [-1, 1]. With trust 1, no arousal and a feed of one item this is
exactly the (one-sided) Deffuant–Weisbuch update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field


@dataclass(frozen=True)
class OpinionConfig:
    """Opinion dynamics switches and backfire parameters."""

    enabled: bool = field(doc="opinions change at all")
    trust_weighted: bool = field(doc="scale each pull by trust in the source")
    backfire: bool = field(doc="aroused users are pushed away by far-off content")
    backfire_rate: float = field(ge=0, le=1, doc="μ_back")
    backfire_arousal: float = field(ge=0, le=1, doc="θ_e: arousal above which backfire acts")
    backfire_distance: float = field(ge=1, le=10, doc="β: backfire beyond β·ε_eff")


def opinion_deltas(
    cfg: OpinionConfig,
    x_viewer: np.ndarray,
    stance: np.ndarray,
    eps_eff: np.ndarray,
    mu: np.ndarray,
    arousal: np.ndarray,
    trust: np.ndarray,
) -> np.ndarray:
    """Per-item opinion change Δ_p (all arrays aligned per feed item)."""
    d = stance - x_viewer
    w = trust if cfg.trust_weighted else 1.0
    ad = np.abs(d)
    delta = np.where(ad < eps_eff, w * mu * d, 0.0)
    if cfg.backfire and cfg.backfire_rate > 0:
        back = (arousal > cfg.backfire_arousal) & (ad > cfg.backfire_distance * eps_eff)
        delta = np.where(back, -w * cfg.backfire_rate * arousal * d, delta)
    return delta


def apply_mean(
    x: np.ndarray, viewer: np.ndarray, delta: np.ndarray, n_items: np.ndarray
) -> np.ndarray:
    """x_i + mean of its items' Δ, clipped to [-1, 1] (a new array)."""
    total = np.bincount(viewer, weights=delta, minlength=x.shape[0])
    return np.clip(x + total / np.maximum(n_items, 1), -1.0, 1.0)
