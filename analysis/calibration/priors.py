"""Priors of the free parameters: named distributions from an allowlist, never callables.

A prior lives in a calibration config as ``{prior: NAME, low: a, high: b}`` (plus ``mean``
and ``sd`` for ``truncnormal``); every prior is bounded, so the box ``[low, high]`` can be
checked against the config schema before any run. The sampler works in *internal*
coordinates ``z``: ``z = θ`` for ``uniform`` and ``truncnormal``, ``z = ln θ`` for
``loguniform`` (a uniform prior on ``ln θ``), so the Gaussian perturbation kernel of ABC-SMC
moves scale parameters multiplicatively. Densities are in ``z`` and unnormalised where the
normalising constant cancels in the importance weights (Beaumont et al. 2009).

Allowed priors (:data:`PRIORS`):

* ``uniform`` — flat on ``[low, high]``;
* ``loguniform`` — flat on ``[ln low, ln high]`` (``0 < low``);
* ``truncnormal`` — Normal(``mean``, ``sd``) truncated to ``[low, high]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as st

#: The allowed prior names and the keys each takes.
PRIORS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "truncnormal": ("low", "high", "mean", "sd"),
}


@dataclass(frozen=True)
class Prior:
    """One parameter's prior: its dotted config path, distribution and bounds."""

    name: str
    dist: str
    low: float
    high: float
    mean: float = math.nan
    sd: float = math.nan
    integer: bool = False

    def _truncnorm(self) -> Any:
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        return st.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def to_value(self, z: np.ndarray | float) -> np.ndarray:
        """Internal coordinates → parameter values (rounded for an integer parameter)."""
        v = np.exp(z) if self.dist == "loguniform" else np.asarray(z, dtype=np.float64)
        return np.round(v) if self.integer else np.asarray(v, dtype=np.float64)

    def to_internal(self, value: np.ndarray | float) -> np.ndarray:
        """Parameter values → internal coordinates."""
        v = np.asarray(value, dtype=np.float64)
        return np.log(v) if self.dist == "loguniform" else v

    def logpdf(self, z: np.ndarray) -> np.ndarray:
        """Log density in internal coordinates; −inf outside the bounds."""
        z = np.asarray(z, dtype=np.float64)
        lo, hi = self.to_internal(self.low), self.to_internal(self.high)
        inside = (z >= lo) & (z <= hi)
        if self.dist == "truncnormal":
            dens = -0.5 * ((z - self.mean) / self.sd) ** 2
        else:
            dens = np.zeros_like(z)
        return np.where(inside, dens, -np.inf)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws in internal coordinates from ``rng`` (the calibration's own stream)."""
        if self.dist == "truncnormal":
            return np.asarray(self._truncnorm().rvs(size=n, random_state=rng), dtype=np.float64)
        lo, hi = self.to_internal(self.low), self.to_internal(self.high)
        return rng.uniform(lo, hi, size=n)

    def ppf(self, q: float) -> float:
        """The prior's ``q`` quantile in parameter units (for widths and the centre)."""
        if self.dist == "truncnormal":
            return float(self._truncnorm().ppf(q))
        lo, hi = self.to_internal(self.low), self.to_internal(self.high)
        z = lo + q * (hi - lo)
        return float(np.exp(z)) if self.dist == "loguniform" else float(z)

    def width(self, mass: float = 0.9) -> float:
        """Width of the prior's central ``mass`` interval, in parameter units."""
        return self.ppf(0.5 + mass / 2) - self.ppf(0.5 - mass / 2)

    def override(self, value: float) -> str:
        """The Hydra override that sets this parameter to ``value``."""
        return f"{self.name}={round(value)}" if self.integer else f"{self.name}={float(value)!r}"

    def describe(self) -> str:
        """``uniform[-4, -1]``, ``truncnormal(0.3, 0.1)[0, 1]``."""
        if self.dist == "truncnormal":
            return f"truncnormal({self.mean:g}, {self.sd:g})[{self.low:g}, {self.high:g}]"
        return f"{self.dist}[{self.low:g}, {self.high:g}]"


def _num(spec: Mapping[str, Any], key: str, where: str, problems: list[str]) -> float:
    v = spec.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        problems.append(f"{where}.{key}: must be a finite number, got {v!r}")
        return math.nan
    return float(v)


def parse_prior(
    name: str, spec: Any, problems: list[str], *, integer: bool = False
) -> Prior | None:
    """One ``params.<name>`` entry → a :class:`Prior`, or None with the problems appended.

    Refuses anything but a mapping with ``prior`` from :data:`PRIORS` and exactly that
    prior's keys (so no callable, no ``_target_`` can slip in).
    """
    where = f"params.{name}"
    if not isinstance(spec, Mapping):
        problems.append(
            f"{where}: must be a mapping {{prior: NAME, low: .., high: ..}}; allowed priors: "
            + ", ".join(PRIORS)
        )
        return None
    dist = spec.get("prior")
    if dist not in PRIORS:
        problems.append(f"{where}.prior: {dist!r} is not allowed; allowed: {', '.join(PRIORS)}")
        return None
    keys = PRIORS[dist]
    extra = sorted(str(k) for k in spec if k != "prior" and k not in keys)
    if extra:
        problems.append(
            f"{where}: unknown key(s) {', '.join(extra)}; {dist} takes {', '.join(keys)}"
        )
    n0 = len(problems)
    vals = {k: _num(spec, k, where, problems) for k in keys}
    if len(problems) > n0:
        return None
    if not vals["low"] < vals["high"]:
        problems.append(f"{where}: needs low < high, got [{vals['low']:g}, {vals['high']:g}]")
        return None
    if dist == "loguniform" and vals["low"] <= 0:
        problems.append(f"{where}.low: a loguniform prior needs low > 0, got {vals['low']:g}")
        return None
    if dist == "truncnormal" and vals["sd"] <= 0:
        problems.append(f"{where}.sd: must be > 0, got {vals['sd']:g}")
        return None
    return Prior(name=name, dist=dist, integer=integer, **vals)
