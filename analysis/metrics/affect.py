"""Affective polarisation, anger and out-group animosity (docs/metrics.md §Affect).

Warmth is on the 0–100 feeling thermometer of the ANES; affective polarisation is
in-group minus out-group warmth (Iyengar et al. 2019, *Annu. Rev. Polit. Sci.* 22:129).
Anger is the per-user quantity of ``dynamics.affect`` in [0, 1] (after Milli et al.
2025, who ask users how angry they feel after reading their feed); animosity is a post's
out-group animosity in [0, 1] (Rathje et al. 2021; Piccardi et al. 2025). Pure functions
on arrays; empty input gives NaN.
"""

from __future__ import annotations

import numpy as np


def mean_warmth(warmth: np.ndarray) -> float:
    """Mean thermometer warmth of the users given (NaN without users).

    Parameters
    ----------
    warmth
        Per-user warmth on 0–100.

    Returns
    -------
    float
        The mean, in thermometer degrees.
    """
    w = np.asarray(warmth, dtype=np.float64)
    return float(w.mean()) if w.size else float("nan")


def affective_gap(ingroup: np.ndarray, outgroup: np.ndarray) -> float:
    """Affective polarisation: the mean over users of in-group minus out-group warmth.

    Parameters
    ----------
    ingroup, outgroup
        Per-user warmth toward the own group and the other group(s), 0–100, aligned.

    Returns
    -------
    float
        Mean ``W_in − W_out`` in thermometer degrees, in [-100, 100] (NaN without users);
        positive = warmer to the own side (Iyengar et al. 2019).
    """
    w_in = np.asarray(ingroup, dtype=np.float64)
    w_out = np.asarray(outgroup, dtype=np.float64)
    if w_in.shape != w_out.shape:
        raise ValueError(f"warmth arrays differ in shape: {w_in.shape} vs {w_out.shape}")
    return float((w_in - w_out).mean()) if w_in.size else float("nan")


def mean_change(now: np.ndarray, baseline: np.ndarray) -> float:
    """Mean change of a per-user quantity from its baseline, ``mean(now − baseline)``.

    Parameters
    ----------
    now, baseline
        Per-user current and baseline values (e.g. out-group warmth), aligned.

    Returns
    -------
    float
        The mean change (NaN without users). Within-user, so differences between arms
        are free of the arms' baseline imbalance (a pre/post design, as Piccardi et al.
        2025 compare warmth before and after the ten days).
    """
    a = np.asarray(now, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"arrays differ in shape: {a.shape} vs {b.shape}")
    return float((a - b).mean()) if a.size else float("nan")


def mean_anger(anger: np.ndarray) -> float:
    """Mean reported anger of the users given, in [0, 1] (NaN without users).

    Parameters
    ----------
    anger
        Per-user anger after the last session, in [0, 1].

    Returns
    -------
    float
        The mean.
    """
    a = np.asarray(anger, dtype=np.float64)
    return float(a.mean()) if a.size else float("nan")


def animosity_share(animosity: np.ndarray, threshold: float) -> float:
    """Share of impressions whose item has animosity at or above ``threshold``.

    Parameters
    ----------
    animosity
        Animosity of each impression's item, in [0, 1] (one entry per impression).
    threshold
        Items with animosity ``>= threshold`` count (``dynamics.affect.high_animosity``).

    Returns
    -------
    float
        The share in [0, 1] (NaN without impressions).
    """
    a = np.asarray(animosity, dtype=np.float64)
    return float((a >= threshold).mean()) if a.size else float("nan")
