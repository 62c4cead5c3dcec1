r"""What a calibration compares the model with: one :class:`Observation` per target, and the
distance between simulated and observed values.

A library target's observed value is its published estimate; its published standard
error comes from its interval: a (bootstrap) 95 % CI gives σ = width / (2 × 1.96), an
``SE`` interval (estimate ± 1 SE) σ = width / 2, an observed ``range`` σ = width / 4 (the
range read as ± 2 sd: a rough reading, flagged in the report). A target without an
interval needs ``assumed_sigma`` (an assumption, recorded as such). A synthetic target
(``truth``) is the mean over ``truth_seeds`` runs at the true parameters, with σ its
standard error.

Distance (:func:`distance`): the root mean square of standardised residuals,

.. math:: d(θ) = \sqrt{\tfrac1T \sum_t (\bar m_t(θ) − y_t)^2 / (σ_t^2 + s_t^2 / k)},

where :math:`\bar m_t` is the mean of the model's measurement over the proposal's ``k``
seeds, :math:`σ_t` the published standard error and :math:`s_t` the simulation noise (the
standard deviation between seeds of the measurement at the pilot point). Dividing by the
summed variance is the Gaussian synthetic-likelihood scaling (Wood 2010, *Nature* 466,
1102–1104): a residual counts as large only relative to both the paper's uncertainty and
the model's own seed-to-seed noise, so a noisy measurement cannot dominate a precise one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: z of a two-sided 95 % normal interval.
Z95 = 1.959963984540054
#: Published interval kind → interval width in standard errors.
WIDTH_IN_SE = {"95% CI": 2 * Z95, "bootstrap 95% CI": 2 * Z95, "SE": 2.0, "range": 4.0}


@dataclass(frozen=True)
class Observation:
    """A target as the calibration sees it: the observed value (None: a direction only),
    its standard error, the published sign and where the numbers come from.
    """

    target: str
    estimate: float | None
    sigma: float
    sign: int
    source: str

    def as_dict(self) -> dict[str, Any]:
        """For ``calibration.json``."""
        return asdict(self)


def from_library(tid: str, assumed: Mapping[str, float]) -> Observation:
    """The observation of library target ``tid`` (assumed σ where it has no interval)."""
    from feedlab.analysis.targets import load_target
    from feedlab.analysis.targets.library import DEFAULT_DIR

    t = load_target(DEFAULT_DIR / f"{tid}.yaml")
    if t.estimate is None:
        return Observation(tid, None, math.nan, t.sign, "directional (sign only)")
    if tid in assumed:
        return Observation(
            tid, t.estimate, assumed[tid], t.sign, "assumed sigma (no published interval)"
        )
    if t.interval is None:
        return Observation(tid, t.estimate, math.nan, t.sign, "no published interval")
    width = t.interval.hi - t.interval.lo
    sigma = width / WIDTH_IN_SE[t.interval.kind]
    return Observation(tid, t.estimate, sigma, t.sign, f"published {t.interval.kind}")


def synthetic(tid: str, values: Sequence[float]) -> Observation:
    """A synthetic observation: mean and standard error of the runs at the true parameters."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        raise RuntimeError(f"synthetic target {tid}: fewer than 2 finite values at the truth")
    mean, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))
    sign = int(np.sign(mean))
    return Observation(
        tid, mean, se, sign, f"synthetic: model at the true parameters, {len(v)} seeds"
    )


def noise_sd(values: np.ndarray) -> np.ndarray:
    """Per target, the sd between seeds of the pilot's measurements (targets × seeds)."""
    return np.asarray(
        [np.nanstd(row, ddof=1) if np.isfinite(row).sum() > 1 else math.nan for row in values]
    )


def scales(obs: Sequence[Observation], noise: np.ndarray, seeds: int) -> np.ndarray:
    """Per fitted target, sqrt(σ² + s²/k): the distance's denominators. RuntimeError when
    a target has no uncertainty at all (nothing to scale a residual by).
    """
    var = np.array([o.sigma**2 for o in obs]) + np.nan_to_num(noise) ** 2 / seeds
    bad = [o.target for o, v in zip(obs, var) if not (np.isfinite(v) and v > 0)]
    if bad:
        raise RuntimeError(
            f"targets {', '.join(bad)}: zero uncertainty (no published error and no "
            "simulation noise between seeds); nothing to scale the distance by"
        )
    return np.sqrt(var)


def distance(means: np.ndarray, obs: Sequence[Observation], scale: np.ndarray) -> np.ndarray:
    """RMS standardised residual per row of ``means`` (points × fitted targets); NaN
    where any target's measurement is not finite.
    """
    y = np.array([o.estimate for o in obs], dtype=np.float64)
    r = (np.asarray(means, dtype=np.float64) - y) / scale
    return np.sqrt(np.mean(r**2, axis=1))
