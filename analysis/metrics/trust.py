"""Trust metrics: mean trust by class, trust half-life, share of trust lost.

Pure functions on NumPy arrays (see :mod:`feedlab.analysis.metrics.polarisation` for the shared
conventions). Trust values live on ``[0, 1]`` (edge trust ``τ_ij`` or platform trust
``T_i``, docs/model.md §State).

The exponential-fit helpers at the bottom (:func:`_fit_exp_rate`,
:func:`_loglinear_rate`) are shared with :mod:`feedlab.analysis.metrics.cascades`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["mean_trust", "trust_half_life", "trust_loss_share"]

NAN = float("nan")
LN2 = math.log(2.0)

#: A fitted half-life longer than this many times the observed time span is
#: indistinguishable from "no decay" and is reported as NaN.
MAX_HALF_LIFE_FACTOR = 100.0
#: A fitted half-life shorter than this many sampling steps is a jump the data cannot
#: resolve, and is reported as NaN.
MIN_HALF_LIFE_STEPS = 0.1
#: Significance level of the test that the fitted decay beats a constant level.
DECAY_TEST_LEVEL = 0.05


def mean_trust(trust: ArrayLike, classes: ArrayLike | None = None) -> float | dict[Any, float]:
    r"""Mean trust, overall or per class.

    Parameters
    ----------
    trust : array_like
        Trust values (edge weights :math:`\tau_{ij}` or platform trust :math:`T_i`),
        any shape.
    classes : array_like, optional
        A class label per trust value, same shape as ``trust`` (e.g. the influencer
        behaviour or tier of the followed account of each edge).

    Returns
    -------
    float or dict
        Without ``classes``: :math:`\frac1M\sum_m \tau_m`. With ``classes``: a dict
        ``{label: mean trust of the entries with that label}`` with labels as Python
        scalars, sorted by label.

    Notes
    -----
    * Range ``[0, 1]`` for trust on ``[0, 1]``.
    * Edge cases: empty → ``nan`` (or ``{}`` with classes).
    * NaN: a non-finite trust value makes the (class) mean ``nan``.
    * Raises ``ValueError`` when ``classes`` has another shape than ``trust``.

    References
    ----------
    Jøsang, A. & Ismail, R. (2002). The Beta Reputation System. *Proc. 15th Bled
    Electronic Commerce Conference*; Slovic, P. (1993). Perceived risk, trust, and
    democracy. *Risk Analysis* 13(6), 675–682.
    """
    tv = np.asarray(trust, dtype=np.float64)
    if classes is None:
        return float(tv.mean()) if tv.size else NAN
    cv = np.asarray(classes)
    if cv.shape != tv.shape:
        raise ValueError(f"classes shape {cv.shape} differs from trust shape {tv.shape}")
    if tv.size == 0:
        return {}
    labels, inverse, counts = np.unique(cv.ravel(), return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=tv.ravel(), minlength=labels.size)
    means = sums / counts
    return {label: float(m) for label, m in zip(labels.tolist(), means, strict=True)}


def trust_half_life(t: ArrayLike, values: ArrayLike, baseline: float | None = None) -> float:
    r"""Half-life of an exponential relaxation of trust toward a baseline.

    Fits

    .. math:: v(t) = b + (v_0 - b)\, e^{-(t - t_0)\ln 2 / h}

    with :math:`t_0` the first time and returns :math:`h`.

    * ``baseline=None``: ``b``, ``v0`` and ``h`` are fitted by non-linear least squares
      (:func:`scipy.optimize.curve_fit`, started from the best point of a profile grid
      over ``h``, for which ``b`` and ``v0`` have a closed form).
    * ``baseline`` given: log-linear OLS of :math:`\ln|v - b|` on ``t``, over the
      points whose deviation from ``b`` has the sign of the first non-zero deviation;
      :math:`h = -\ln 2/\text{slope}`.

    The form covers both a fall toward a lower baseline (trust lost) and a rise back
    toward it (recovery); ``h`` is the time to close half the gap.

    Parameters
    ----------
    t : array_like, shape (T,)
        Times (need not be sorted).
    values : array_like, shape (T,)
        Trust at those times (e.g. mean trust in an influencer after a detection).
    baseline : float, optional
        Known asymptote ``b``.

    Returns
    -------
    float
        ``h`` in the units of ``t``, ``> 0``.

    Notes
    -----
    * ``nan`` when: fewer than 3 finite points (2 with ``baseline``) at distinct times;
      constant values; the fit fails; the fitted rate is ``≤ 0`` (no decay); the decay
      is not significant at the 5 % level (F-test of the exponential against a constant
      level; with ``baseline``, a one-sided t-test of the log-linear slope) — so pure
      noise gives ``nan``; ``h > 100 ×`` the observed time span (no measurable decay in
      the window); or ``h < 0.1 ×`` the smallest sampling step (a jump the data cannot
      resolve).
    * Fit the part of the series after the event (e.g. from the trough for a
      recovery): a fall followed by a recovery is not one exponential.
    * NaN: pairs with a non-finite time or value are dropped.
    * Raises ``ValueError`` when ``t`` and ``values`` differ in shape.

    References
    ----------
    Slovic, P. (1993). Perceived risk, trust, and democracy. *Risk Analysis* 13(6),
    675–682 (trust asymmetry); Jøsang, A. & Ismail, R. (2002). The Beta Reputation
    System (forgetting factor ⇒ exponential relaxation).
    """
    tau, y = _series(t, values, "t", "values")
    if baseline is not None:
        if not np.isfinite(baseline):
            return NAN
        rate = _loglinear_rate(tau, y, float(baseline))
    else:
        rate = _fit_exp_rate(tau, y, None)
    return LN2 / rate if np.isfinite(rate) else NAN


def trust_loss_share(before: ArrayLike, after: ArrayLike) -> float | NDArray[np.float64]:
    r"""Share of trust lost: :math:`(\tau_{before} - \tau_{after}) / \tau_{before}`.

    Parameters
    ----------
    before, after : array_like
        Trust before and after an event (e.g. detection of undisclosed sponsorship);
        scalars or arrays of broadcastable shapes.

    Returns
    -------
    float or ndarray
        A float for scalar inputs, else an element-wise array.

    Notes
    -----
    * Range ``(-∞, 1]``: 1 = all trust lost, 0 = none, negative = trust gained
      (``[0, 1]`` when ``0 ≤ after ≤ before``).
    * Edge cases: ``before == 0`` → ``nan``.
    * NaN: propagates element-wise.
    * Raises ``ValueError`` for shapes that do not broadcast.

    References
    ----------
    Slovic, P. (1993). Perceived risk, trust, and democracy. *Risk Analysis* 13(6),
    675–682.
    """
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    b, a = np.broadcast_arrays(b, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b != 0.0, (b - a) / np.where(b != 0.0, b, 1.0), np.nan)
    if out.ndim == 0:
        return float(out)
    return out


# ------------------------------------------------------------ shared fitting helpers
def _series(
    t: ArrayLike, y: ArrayLike, t_name: str, y_name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Finite ``(t - t_min, y)`` pairs sorted by time (``ValueError`` on shape mismatch)."""
    tv = np.asarray(t, dtype=np.float64).ravel()
    yv = np.asarray(y, dtype=np.float64).ravel()
    if np.shape(t) != np.shape(y):
        raise ValueError(f"{t_name} and {y_name} must have equal shapes")
    keep = np.isfinite(tv) & np.isfinite(yv)
    tv, yv = tv[keep], yv[keep]
    order = np.argsort(tv, kind="stable")
    tv, yv = tv[order], yv[order]
    if tv.size:
        tv = tv - tv[0]
    return tv, yv


def _constant(a: NDArray[np.float64]) -> bool:
    lo, hi = float(a.min()), float(a.max())
    return hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi))


def _rate_ok(rate: float, span: float, dt: float) -> float:
    """Return ``rate`` if it is a real decay resolvable by the data, else NaN.

    Rejected: ``rate ≤ 0`` (no decay), a half-life over ``MAX_HALF_LIFE_FACTOR`` × the
    span (no measurable decay in the window) or under ``MIN_HALF_LIFE_STEPS`` × the
    smallest sampling step (a jump, faster than the data resolve).
    """
    if not np.isfinite(rate) or rate <= 0.0 or span <= 0.0:
        return NAN
    h = LN2 / rate
    if h > MAX_HALF_LIFE_FACTOR * span or h < MIN_HALF_LIFE_STEPS * dt:
        return NAN
    return float(rate)


def _min_step(tau: NDArray[np.float64]) -> float:
    steps = np.diff(tau)
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 0.0


def _loglinear_rate(tau: NDArray[np.float64], y: NDArray[np.float64], baseline: float) -> float:
    """Decay rate from OLS of ``ln|y - baseline|`` on ``tau`` (see trust_half_life).

    NaN also when the slope is not significantly negative (one-sided t-test at level
    ``DECAY_TEST_LEVEL``; needs ≥ 3 points, exact data always pass).
    """
    dev = y - baseline
    nz = np.flatnonzero(dev != 0.0)
    if nz.size < 2:
        return NAN
    sign = np.sign(dev[nz[0]])
    keep = dev * sign > 0.0
    tk, lk = tau[keep], np.log(np.abs(dev[keep]))
    if tk.size < 2 or _constant(tk):
        return NAN
    tc = tk - tk.mean()
    lc = lk - lk.mean()
    sxx = float(tc @ tc)
    slope = float(tc @ lc) / sxx
    if tk.size > 2 and slope < 0.0:
        resid = lc - slope * tc
        se = math.sqrt(max(float(resid @ resid), 0.0) / (tk.size - 2) / sxx)
        from scipy import stats  # here, not at import: ~0.7 s

        if se > 0.0 and stats.t.cdf(slope / se, tk.size - 2) > DECAY_TEST_LEVEL:
            return NAN
    return _rate_ok(-slope, float(tau[-1] - tau[0]), _min_step(tau))


_Start = tuple[Callable[..., NDArray[np.float64]], list[float], list[float], list[float]]


def _start_free_baseline(
    y: NDArray[np.float64], k_grid: NDArray[np.float64], e: NDArray[np.float64]
) -> _Start:
    """Model ``b + a·exp(-k·tau)``, its starting point and bounds (``k ≥ 0``).

    For each rate on ``k_grid`` (``e[i] = exp(-k_i·tau)``) ``a`` and ``b`` are the OLS
    fit of ``y`` on ``e[i]``; the start is the grid rate with the least residual sum.
    """
    em = e.mean(axis=1)
    ec = e - em[:, None]
    yc = y - y.mean()
    sxx = np.einsum("ij,ij->i", ec, ec)
    sxy = ec @ yc
    with np.errstate(divide="ignore", invalid="ignore"):
        a_grid = sxy / sxx
        ssr = float(yc @ yc) - sxy * a_grid
    ssr = np.where(sxx > 0, ssr, np.inf)
    i = int(np.argmin(ssr))
    p0 = [float(y.mean() - a_grid[i] * em[i]), float(a_grid[i]), float(k_grid[i])]

    def model(x: NDArray[np.float64], b: float, a: float, k: float) -> NDArray[np.float64]:
        return b + a * np.exp(-k * x)

    return model, p0, [-np.inf, -np.inf, 0.0], [np.inf, np.inf, np.inf]


def _start_fixed_baseline(
    y: NDArray[np.float64], baseline: float, k_grid: NDArray[np.float64], e: NDArray[np.float64]
) -> _Start:
    """Model ``baseline + a·exp(-k·tau)``, its starting point and bounds (``k ≥ 0``).

    For each grid rate ``a`` is the least-squares fit through the origin of
    ``y − baseline`` on ``e[i]``; the start minimises ``SSR = yb·yb − sey²/see``.
    """
    yb = y - baseline
    see = np.einsum("ij,ij->i", e, e)
    sey = e @ yb
    a_grid = sey / see
    i = int(np.argmax(sey * a_grid))  # min SSR = yb·yb − sey²/see
    p0 = [float(a_grid[i]), float(k_grid[i])]
    b_fixed = baseline

    def model(x: NDArray[np.float64], a: float, k: float) -> NDArray[np.float64]:
        return b_fixed + a * np.exp(-k * x)

    return model, p0, [-np.inf, 0.0], [np.inf, np.inf]


def _beats_constant(
    tau: NDArray[np.float64], y: NDArray[np.float64], fitted: NDArray[np.float64], n_par: int
) -> bool:
    """F-test of the fitted exponential (``n_par`` parameters) against a constant level
    (1 parameter): False when it does not reduce the residual sum, or when the reduction
    is not significant at ``DECAY_TEST_LEVEL``. A (near-)exact fit passes.
    """
    resid = y - fitted
    ssr1 = float(resid @ resid)
    ssr0 = float(((y - y.mean()) ** 2).sum())
    if not ssr1 < ssr0:
        return False
    if tau.size > n_par and ssr1 > 1e-24 * ssr0:
        f_stat = ((ssr0 - ssr1) / (n_par - 1)) / (ssr1 / (tau.size - n_par))
        from scipy import stats  # here, not at import: ~0.7 s

        if stats.f.sf(f_stat, n_par - 1, tau.size - n_par) > DECAY_TEST_LEVEL:
            return False
    return True


def _fit_exp_rate(
    tau: NDArray[np.float64],
    y: NDArray[np.float64],
    baseline: float | None,
    require_positive_amplitude: bool = False,
) -> float:
    r"""Rate ``k`` of ``y = b + a·exp(-k·tau)`` by non-linear least squares.

    ``b`` is free when ``baseline`` is None, else fixed. A profile grid over the
    half-life (``a`` and ``b`` in closed form for each) gives the starting point of
    :func:`scipy.optimize.curve_fit`. Returns NaN for < 3 points, constant data, a failed
    fit, a fit no better than a constant (F-test at level ``DECAY_TEST_LEVEL``), or a
    rate rejected by :func:`_rate_ok`; with ``require_positive_amplitude`` also when the
    fitted ``a ≤ 0`` (a rise, not a decay).
    """
    if tau.size < 3 or _constant(y):
        return NAN
    span = float(tau[-1] - tau[0])
    if span <= 0.0 or np.unique(tau).size < 3:
        return NAN
    dt = _min_step(tau)
    k_grid = LN2 / np.geomspace(dt / 4.0, 10.0 * MAX_HALF_LIFE_FACTOR * span, 96)
    e = np.exp(-k_grid[:, None] * tau[None, :])
    if baseline is None:
        model, p0, lower, upper = _start_free_baseline(y, k_grid, e)
    else:
        model, p0, lower, upper = _start_fixed_baseline(y, float(baseline), k_grid, e)
    from scipy.optimize import OptimizeWarning, curve_fit  # here, not at import: ~0.5 s

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            popt, _ = curve_fit(model, tau, y, p0=p0, bounds=(lower, upper), maxfev=2000)
    except (RuntimeError, ValueError, FloatingPointError, np.linalg.LinAlgError):
        return NAN
    amplitude, rate = float(popt[-2]), float(popt[-1])
    if not np.isfinite(amplitude) or amplitude == 0.0:
        return NAN
    if require_positive_amplitude and amplitude <= 0.0:
        return NAN
    if not _beats_constant(tau, y, model(tau, *popt), len(popt)):
        return NAN
    return _rate_ok(rate, span, dt)
