"""Statistics across runs: replicate means with confidence intervals, paired policy
differences under common random numbers, and sensitivity analysis of sweeps.

Pure functions. Inputs are arrays, or a *columns* mapping ``name -> 1-D array`` such as
:func:`feedlab.analysis.aggregate.read_results` returns for ``results.parquet`` (a
``pandas.DataFrame`` works too). Every resampling draws from a
``numpy.random.default_rng(seed)`` created inside the call, so the same inputs and seed
give the same interval on any machine; no global random state is read or written.

* :func:`bootstrap_ci` — percentile or BCa bootstrap interval of a statistic.
* :func:`t_interval` — Student-t interval of a mean (the classical reference).
* :func:`replicate_summary` — mean and interval per configuration, across seeds.
* :func:`paired_difference` — treatment − control per seed, matched on every other
  config value (common random numbers), with a bootstrap interval of the mean difference.
* :func:`main_effect_indices` — first-order variance shares on a grid sweep (no SALib).
* :func:`sensitivity` — Sobol' (Saltelli/Jansen estimators) or Morris elementary effects
  via SALib on a design made by :func:`sobol_design` / :func:`morris_design` and run
  from :func:`design_overrides`; or ``method="grid"`` for :func:`main_effect_indices`.

Definitions and worked examples: ``docs/metrics.md`` ("Statistics across runs").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy import stats as sps

__all__ = [
    "Interval",
    "PairedDifference",
    "bootstrap_ci",
    "design_overrides",
    "main_effect_indices",
    "matching_columns",
    "morris_design",
    "paired_difference",
    "replicate_summary",
    "sensitivity",
    "sobol_design",
    "t_interval",
]

NAN = float("nan")
Statistic = str | Callable[..., Any]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval.

    ``n`` finite samples were used; ``n_nonfinite`` samples (NaN, inf, missing) were
    left out and are reported, never silently dropped.
    """

    estimate: float
    low: float
    high: float
    level: float
    n: int
    method: str
    n_nonfinite: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The interval as plain JSON-ready fields."""
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "n": self.n,
            "method": self.method,
            "n_nonfinite": self.n_nonfinite,
        }


@dataclass(frozen=True)
class PairedDifference:
    """Mean of per-seed differences ``metric(treatment) - metric(control)``.

    ``pairs`` lists ``(pair value, treatment row, control row, difference)``;
    ``unpaired`` counts treatment or control runs that had no partner.
    """

    metric: str
    factor: str
    treatment: Any
    control: Any
    interval: Interval
    stratum: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[Any, int, int, float]] = field(default_factory=list)
    unpaired: int = 0

    @property
    def differences(self) -> NDArray[np.float64]:
        """The per-pair differences ``treatment − control``."""
        return np.array([p[3] for p in self.pairs], dtype=np.float64)


# ------------------------------------------------------------------------ helpers
def _finite(x: ArrayLike) -> tuple[NDArray[np.float64], int]:
    """Float copy of the finite entries and the number left out (None counts as NaN)."""
    arr = np.asarray(
        [NAN if v is None else v for v in np.ravel(np.asarray(x, dtype=object))],
        dtype=np.float64,
    )
    ok = np.isfinite(arr)
    return arr[ok], int((~ok).sum())


def _statistic(statistic: Statistic) -> Callable[..., Any]:
    """A function ``f(a, axis=-1)``; ``"mean"`` and ``"median"`` by name."""
    if callable(statistic):
        return statistic
    table: dict[str, Callable[..., Any]] = {"mean": np.mean, "median": np.median}
    if statistic not in table:
        raise ValueError(f"statistic: {statistic!r} is not one of {sorted(table)} or a callable")
    return table[statistic]


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level!r} must be strictly between 0 and 1 (e.g. 0.95)")


def _column(columns: Mapping[str, Any], name: str) -> NDArray[Any]:
    try:
        col = columns[name]
    except KeyError:
        raise KeyError(
            f"column {name!r} not found; available: {sorted(map(str, columns.keys()))}"
        ) from None
    return np.asarray(col, dtype=object)


def _scalar(v: Any) -> Any:
    """Hashable, comparable Python scalar (NaN and None both become None)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _sort_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append((2, ""))
        elif isinstance(v, bool | int | float):
            out.append((0, float(v)))
        else:
            out.append((1, str(v)))
    return tuple(out)


# ----------------------------------------------------------------------- intervals
def t_interval(x: ArrayLike, level: float = 0.95) -> Interval:
    r"""Student-t interval of a mean.

    .. math:: \bar x \pm t_{n-1,\,(1+\ell)/2}\; s/\sqrt{n}

    with ``s`` the sample standard deviation (``ddof=1``). Non-finite samples are left
    out and counted. ``n < 2`` gives a NaN interval (the estimate is the single value).

    Examples
    --------
    >>> ci = t_interval([1.0, 2.0, 3.0])   # mean 2, s = 1, t_{2,0.975} = 4.3027
    >>> round(ci.low, 4), round(ci.high, 4)
    (-0.4841, 4.4841)
    """
    _check_level(level)
    a, bad = _finite(x)
    n = a.size
    if n == 0:
        return Interval(NAN, NAN, NAN, level, 0, "t", bad)
    m = float(a.mean())
    if n < 2:
        return Interval(m, NAN, NAN, level, n, "t", bad)
    half = float(sps.t.ppf((1 + level) / 2, n - 1) * a.std(ddof=1) / math.sqrt(n))
    return Interval(m, m - half, m + half, level, n, "t", bad)


def _resample_stats(
    a: NDArray[np.float64], f: Callable[..., Any], n_resamples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``f`` over ``n_resamples`` bootstrap resamples, vectorised in chunks of ≤ 4M draws."""
    n = a.size
    out = np.empty(n_resamples, dtype=np.float64)
    chunk = max(1, (1 << 22) // n)
    for s in range(0, n_resamples, chunk):
        b = min(chunk, n_resamples - s)
        idx = rng.integers(0, n, size=(b, n))
        out[s : s + b] = np.asarray(f(a[idx], axis=-1), dtype=np.float64)
    return out


def bootstrap_ci(
    x: ArrayLike,
    statistic: Statistic = "mean",
    *,
    level: float = 0.95,
    n_resamples: int = 9999,
    method: str = "bca",
    seed: int = 0,
) -> Interval:
    r"""Bootstrap confidence interval of ``statistic(x)`` (Efron & Tibshirani 1993).

    ``B = n_resamples`` resamples of size ``n`` are drawn with replacement from the finite
    samples by ``numpy.random.default_rng(seed)``; ``θ*_b`` is the statistic of resample
    ``b`` and ``θ̂`` that of the data. With ``α = 1 − level``:

    * ``percentile``: ``[Q(α/2), Q(1 − α/2)]``, ``Q`` the empirical quantile of ``θ*``.
    * ``bca`` (bias-corrected and accelerated, Efron 1987):
      ``z₀ = Φ⁻¹(#{θ*_b < θ̂}/B + ½ #{θ*_b = θ̂}/B)``,
      acceleration ``a = Σ(θ̄₍·₎ − θ₍ᵢ₎)³ / (6 [Σ(θ̄₍·₎ − θ₍ᵢ₎)²]^{3/2})`` from the
      jackknife values ``θ₍ᵢ₎`` (the statistic without sample ``i``), and the interval is
      ``[Q(α₁), Q(α₂)]`` with ``α_k = Φ(z₀ + (z₀ + z_k) / (1 − a (z₀ + z_k)))``,
      ``z₁ = Φ⁻¹(α/2)``, ``z₂ = Φ⁻¹(1 − α/2)``. BCa is second-order accurate and
      transformation-respecting; it is the default. With ``a = z₀ = 0`` it equals the
      percentile interval.

    ``statistic`` is ``"mean"``, ``"median"`` or a callable ``f(a, axis=-1)``.
    Non-finite samples are left out and counted in ``n_nonfinite``. ``n = 0`` gives NaN;
    ``n = 1`` or zero spread of ``θ*`` gives the degenerate interval ``[θ̂, θ̂]`` (the
    bootstrap cannot express uncertainty it never sees: with very few replicates report
    :func:`t_interval` alongside).

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *JASA* 82(397), 171–185.
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13–14.
    Chapman & Hall.
    """
    _check_level(level)
    if method not in ("percentile", "bca"):
        raise ValueError(f"method: {method!r} is not one of ['bca', 'percentile']")
    if n_resamples < 1:
        raise ValueError(f"n_resamples: {n_resamples!r} must be >= 1")
    f = _statistic(statistic)
    a, bad = _finite(x)
    n = a.size
    if n == 0:
        return Interval(NAN, NAN, NAN, level, 0, method, bad)
    theta = float(f(a, axis=-1))
    if n == 1:
        return Interval(theta, theta, theta, level, 1, method, bad)
    rng = np.random.default_rng(seed)
    boot = _resample_stats(a, f, n_resamples, rng)
    boot = boot[np.isfinite(boot)]
    if boot.size == 0 or boot.min() == boot.max():
        return Interval(theta, theta, theta, level, n, method, bad)
    alpha = 1.0 - level
    if method == "percentile":
        q = np.array([alpha / 2, 1 - alpha / 2])
    else:
        prop = ((boot < theta).sum() + 0.5 * (boot == theta).sum()) / boot.size
        prop = min(max(prop, 0.5 / boot.size), 1 - 0.5 / boot.size)  # keep z₀ finite
        z0 = special.ndtri(prop)
        jack = np.array([f(np.delete(a, i), axis=-1) for i in range(n)], dtype=np.float64)
        d = jack.mean() - jack
        den = 6.0 * (d**2).sum() ** 1.5
        acc = float((d**3).sum() / den) if den > 0 else 0.0
        z = special.ndtri(np.array([alpha / 2, 1 - alpha / 2]))
        q = special.ndtr(z0 + (z0 + z) / (1 - acc * (z0 + z)))
    low, high = np.quantile(boot, q)
    return Interval(theta, float(low), float(high), level, n, method, bad)


# ---------------------------------------------------------------------- replicates
def replicate_summary(
    columns: Mapping[str, Any],
    metric: str,
    by: Sequence[str],
    *,
    level: float = 0.95,
    n_resamples: int = 9999,
    method: str = "bca",
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Mean of ``metric`` and its bootstrap interval across replicates, per group.

    Rows with equal values in every ``by`` column form one group (usually every config
    column except ``seed``). Returns one dict per group, sorted by the group values:
    the ``by`` values, then ``mean``, ``low``, ``high``, ``n`` (finite replicates),
    ``n_nonfinite``, ``sd`` (``ddof=1``) and ``level``. Every group uses the same
    ``seed``, so the result does not depend on row order.
    """
    y = _column(columns, metric)
    keys = [tuple(_scalar(v) for v in row) for row in zip(*(_column(columns, b) for b in by))]
    if not by:
        keys = [()] * len(y)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    out = []
    for k in sorted(groups, key=_sort_key):
        vals = y[groups[k]]
        ci = bootstrap_ci(
            vals, "mean", level=level, n_resamples=n_resamples, method=method, seed=seed
        )
        a, _ = _finite(vals)
        sd = float(a.std(ddof=1)) if a.size > 1 else NAN
        out.append(
            {
                **dict(zip(by, k)),
                "mean": ci.estimate,
                "low": ci.low,
                "high": ci.high,
                "n": ci.n,
                "n_nonfinite": ci.n_nonfinite,
                "sd": sd,
                "level": level,
            }
        )
    return out


def matching_columns(config: Sequence[str], factor: str, pair_on: str = "seed") -> list[str]:
    """Config columns that must be equal within a pair: all but ``pair_on`` and the
    factor's own unit group (for ``factor="ranking.name"``, every ``ranking.*`` column,
    since each policy has its own parameters).
    """
    group = factor.rsplit(".", 1)[0] + "." if "." in factor else factor
    return [c for c in config if c != pair_on and c != factor and not c.startswith(group)]


def paired_difference(
    columns: Mapping[str, Any],
    metric: str,
    *,
    factor: str,
    treatment: Any,
    control: Any,
    match_on: Sequence[str],
    pair_on: str = "seed",
    by: Sequence[str] = (),
    level: float = 0.95,
    n_resamples: int = 9999,
    method: str = "bca",
    seed: int = 0,
) -> list[PairedDifference]:
    r"""Treatment effect under common random numbers.

    Runs are paired when they have the same ``pair_on`` value (the seed: same network,
    same population, same random streams) and equal values in every ``match_on`` column,
    with ``factor == treatment`` in one and ``factor == control`` in the other. For each
    pair ``d_s = y_T,s − y_C,s``; the result is ``mean(d)`` with a bootstrap interval
    over the pairs (:func:`bootstrap_ci`). Because the seed's effect cancels in ``d_s``,
    the paired interval is much narrower than one from two independent samples whenever
    runs with the same seed are correlated.

    ``by`` columns (a subset of ``match_on``) split the pairs into strata, one result per
    stratum, sorted; with ``by=()`` all pairs are pooled into one result (the effect
    averaged over the design). A pair whose difference is not finite is counted in
    ``interval.n_nonfinite``; a run without a partner in ``unpaired``. Two runs that
    would claim the same pair slot raise ``ValueError`` (duplicate runs).

    Use :func:`matching_columns` to build ``match_on`` from the config column list.
    """
    if not set(by) <= set(match_on):
        raise ValueError(f"by: {list(by)} must be a subset of match_on")
    y = _column(columns, metric)
    fac = [_scalar(v) for v in _column(columns, factor)]
    pair = [_scalar(v) for v in _column(columns, pair_on)]
    match = [_column(columns, c) for c in match_on]
    treatment, control = _scalar(treatment), _scalar(control)
    slots: dict[tuple[Any, ...], dict[str, int]] = {}
    for i in range(len(y)):
        arm = "T" if fac[i] == treatment else "C" if fac[i] == control else None
        if arm is None:
            continue
        k = (pair[i], *(_scalar(m[i]) for m in match))
        slot = slots.setdefault(k, {})
        if arm in slot:
            raise ValueError(
                f"duplicate runs for {factor}={fac[i]!r}, {pair_on}={pair[i]!r} with equal "
                f"{list(match_on)}: rows {slot[arm]} and {i}; add the differing column "
                "to match_on"
            )
        slot[arm] = i
    by_idx = [list(match_on).index(b) + 1 for b in by]
    strata: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for k in slots:
        strata.setdefault(tuple(k[j] for j in by_idx), []).append(k)
    results = []
    for s in sorted(strata, key=_sort_key):
        pairs, unpaired = [], 0
        for k in sorted(strata[s], key=_sort_key):
            slot = slots[k]
            if "T" in slot and "C" in slot:
                t, c = slot["T"], slot["C"]
                yt, yc = _finite([y[t]])[0], _finite([y[c]])[0]
                d = float(yt[0] - yc[0]) if yt.size and yc.size else NAN
                pairs.append((k[0], t, c, d))
            else:
                unpaired += 1
        ci = bootstrap_ci(
            [p[3] for p in pairs],
            "mean",
            level=level,
            n_resamples=n_resamples,
            method=method,
            seed=seed,
        )
        results.append(
            PairedDifference(
                metric, factor, treatment, control, ci, dict(zip(by, s)), pairs, unpaired
            )
        )
    return results


# --------------------------------------------------------------------- sensitivity
def main_effect_indices(columns: Mapping[str, Any], metric: str, params: Sequence[str]) -> dict:
    r"""First-order (main-effect) variance shares on a grid sweep.

    .. math:: S_p = \frac{\operatorname{Var}_{v}\big(\mathbb E[Y \mid X_p = v]\big)}
                         {\operatorname{Var}(Y)}

    with the conditional means and both variances weighted by the number of runs at each
    level (population variances). On a full factorial grid with independent parameters
    this is the first-order Sobol' index of the empirical design (Saltelli et al. 2008,
    §1.2.5); ``1 − Σ S_p`` is the share left to interactions and replicate noise (which
    also inflates every ``S_p`` by about ``σ²_noise / (r · Var Y)`` with ``r`` runs per
    level). Runs with a non-finite metric are left out and counted.

    Returns ``{"S1": {param: S_p}, "n": runs used, "n_nonfinite": ..., "variance": Var Y,
    "levels": {param: number of levels}}``. Needs no SALib.
    """
    y = np.asarray([NAN if v is None else v for v in _column(columns, metric)], dtype=float)
    ok = np.isfinite(y)
    y_ok = y[ok]
    var = float(y_ok.var()) if y_ok.size else NAN
    s1, levels = {}, {}
    for p in params:
        x = [_scalar(v) for v in _column(columns, p)[ok]]
        codes: dict[Any, int] = {}
        idx = np.array([codes.setdefault(v, len(codes)) for v in x], dtype=np.int64)
        levels[p] = len(codes)
        if y_ok.size == 0 or not var > 0:
            s1[p] = NAN
            continue
        cnt = np.bincount(idx)
        mean = np.bincount(idx, weights=y_ok) / cnt
        s1[p] = float((cnt * (mean - y_ok.mean()) ** 2).sum() / y_ok.size / var)
    return {
        "S1": s1,
        "n": int(ok.sum()),
        "n_nonfinite": int((~ok).sum()),
        "variance": var,
        "levels": levels,
    }


def _salib() -> Any:
    try:
        import SALib  # noqa: F401
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError as exc:
        raise ImportError(
            "Sobol' and Morris sensitivity analysis need SALib, which is not installed: "
            "pip install 'feedlab[dev]' (or pip install SALib). "
            "method='grid' works without it."
        ) from exc
    return sobol_sample, sobol_analyze, morris_sample, morris_analyze


def _problem(problem: Mapping[str, Any]) -> dict[str, Any]:
    names = list(problem.get("names", []))
    bounds = [list(map(float, b)) for b in problem.get("bounds", [])]
    if not names or len(bounds) != len(names):
        raise ValueError(
            "problem: needs 'names' (config columns, e.g. 'network.homophily') and one "
            "'bounds' pair [low, high] per name"
        )
    for n, (lo, hi) in zip(names, bounds):
        if not lo < hi:
            raise ValueError(f"problem.bounds for {n!r}: [{lo}, {hi}] must have low < high")
    integer = list(problem.get("integer", []))
    unknown = sorted(set(integer) - set(names))
    if unknown:
        raise ValueError(f"problem.integer: {unknown} are not in problem.names {names}")
    return {"num_vars": len(names), "names": names, "bounds": bounds, "integer": integer}


def _round_integers(problem: Mapping[str, Any], X: NDArray[np.float64]) -> NDArray[np.float64]:
    X = np.array(X, dtype=np.float64)
    for j, n in enumerate(problem["names"]):
        if n in problem["integer"]:
            X[:, j] = np.rint(X[:, j])
    return X


def _salib_seed(seed: int) -> int:
    """A non-zero int derived from ``seed`` (SALib treats ``seed=0`` as 'unseeded')."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0] | 1)


def sobol_design(
    problem: Mapping[str, Any], n: int, *, seed: int = 0, calc_second_order: bool = False
) -> NDArray[np.float64]:
    """Saltelli's extension of a scrambled Sobol' sequence: ``n·(D+2)`` points
    (``n·(2D+2)`` with second order), ``n`` a power of two. ``problem`` is SALib's dict
    (``names`` = config columns, ``bounds``) with an optional ``integer`` list of names
    rounded to integers (this perturbs the estimator slightly).
    """
    ss, _, _, _ = _salib()
    p = _problem(problem)
    X = ss.sample(
        {k: p[k] for k in ("num_vars", "names", "bounds")},
        n,
        calc_second_order=calc_second_order,
        scramble=True,
        seed=_salib_seed(seed),
    )
    return _round_integers(p, X)


def morris_design(
    problem: Mapping[str, Any], trajectories: int, *, num_levels: int = 4, seed: int = 0
) -> NDArray[np.float64]:
    """Morris one-at-a-time trajectories: ``trajectories·(D+1)`` points on a
    ``num_levels`` grid (Morris 1991; Campolongo et al. 2007).
    """
    _, _, ms, _ = _salib()
    p = _problem(problem)
    X = ms.sample(
        {k: p[k] for k in ("num_vars", "names", "bounds")},
        trajectories,
        num_levels=num_levels,
        seed=_salib_seed(seed),
    )
    return _round_integers(p, X)


def _fmt(v: float, integer: bool) -> str:
    return str(round(float(v))) if integer else repr(float(v))


def design_overrides(problem: Mapping[str, Any], X: ArrayLike) -> list[list[str]]:
    """One list of Hydra overrides (``name=value``) per design row, to pass to
    ``feedlab.experiments.run_experiment`` (with the seeds and base overrides of the sweep).
    """
    p = _problem(problem)
    X = np.asarray(X, dtype=np.float64)
    return [[f"{n}={_fmt(v, n in p['integer'])}" for n, v in zip(p["names"], row)] for row in X]


def _design_key(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(f"{float(v):.12g}") for v in values)


def _design_response(
    columns: Mapping[str, Any], metric: str, names: Sequence[str], X: NDArray[np.float64]
) -> tuple[NDArray[np.float64], dict[str, int]]:
    """The metric at every design point, averaged over the runs (seeds) at that point."""
    y = np.asarray([NAN if v is None else v for v in _column(columns, metric)], dtype=float)
    cols = [_column(columns, n) for n in names]
    at: dict[tuple[float, ...], list[float]] = {}
    for i in range(len(y)):
        try:
            k = _design_key([c[i] for c in cols])
        except (TypeError, ValueError):
            continue
        at.setdefault(k, []).append(y[i])
    Y = np.empty(X.shape[0], dtype=np.float64)
    missing = nonfinite = 0
    reps = []
    for r, row in enumerate(X):
        vals = at.get(_design_key(row))
        if vals is None:
            missing += 1
            Y[r] = NAN
            continue
        reps.append(len(vals))
        Y[r] = float(np.mean(vals))
        nonfinite += int(not np.isfinite(Y[r]))
    if missing or nonfinite:
        raise ValueError(
            f"{metric}: {missing} of {X.shape[0]} design points have no run and "
            f"{nonfinite} have a non-finite value; Sobol'/Morris estimators need every "
            "point of the design (complete the sweep, or use method='grid')"
        )
    return Y, {"design_points": int(X.shape[0]), "min_replicates": int(min(reps))}


def sensitivity(
    columns: Mapping[str, Any],
    metric: str,
    problem: Mapping[str, Any],
    *,
    method: str = "sobol",
    n: int | None = None,
    seed: int = 0,
    num_levels: int = 4,
    calc_second_order: bool = False,
    level: float = 0.95,
    num_resamples: int = 1000,
) -> dict[str, Any]:
    """Global sensitivity of a summary metric to the swept parameters.

    * ``sobol``: first-order ``S1`` and total ``ST`` Sobol' indices with bootstrap
      intervals (``S1_conf``, ``ST_conf``: half-widths), by SALib's Saltelli/Jansen
      estimators (Saltelli et al. 2010). The runs must cover the design of
      :func:`sobol_design` with the same ``problem``, ``n``, ``seed`` and
      ``calc_second_order``; runs are matched to design points by parameter value (row
      order does not matter) and replicates at one point are averaged.
    * ``morris``: ``mu``, ``mu_star`` (mean absolute elementary effect), ``sigma`` and
      ``mu_star_conf`` (Morris 1991; Campolongo, Cariboni & Saltelli 2007) on the
      design of :func:`morris_design` with ``n`` trajectories.
    * ``grid``: :func:`main_effect_indices` on any grid sweep (no design, no SALib).

    Returns a dict ``{index name: {param: value}}`` plus ``method``, ``metric`` and the
    design's size. SALib is imported only here (``ImportError`` with the install line
    when it is missing).

    References
    ----------
    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
    *Computer Physics Communications* 181(2), 259–270.
    Morris, M. D. (1991). Factorial sampling plans for preliminary computational
    experiments. *Technometrics* 33(2), 161–174.
    Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. *Environmental Modelling & Software* 22(10),
    1509–1518.
    """
    _check_level(level)
    if method == "grid":
        names = _problem(problem)["names"] if "bounds" in problem else list(problem["names"])
        return {"method": "grid", "metric": metric, **main_effect_indices(columns, metric, names)}
    if method not in ("sobol", "morris"):
        raise ValueError(f"method: {method!r} is not one of ['grid', 'morris', 'sobol']")
    if n is None or n < 1:
        raise ValueError(f"n: {n!r} must be the design size used to make the sweep (>= 1)")
    _, sa, _, ma = _salib()
    p = _problem(problem)
    sp = {k: p[k] for k in ("num_vars", "names", "bounds")}
    names = p["names"]
    if method == "sobol":
        X = sobol_design(problem, n, seed=seed, calc_second_order=calc_second_order)
        Y, info = _design_response(columns, metric, names, X)
        res = sa.analyze(
            sp,
            Y,
            calc_second_order=calc_second_order,
            num_resamples=num_resamples,
            conf_level=level,
            print_to_console=False,
            seed=_salib_seed(seed + 1),
        )
        keys = ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        X = morris_design(problem, n, num_levels=num_levels, seed=seed)
        Y, info = _design_response(columns, metric, names, X)
        res = ma.analyze(
            sp,
            X,
            Y,
            num_resamples=num_resamples,
            conf_level=level,
            print_to_console=False,
            num_levels=num_levels,
            seed=_salib_seed(seed + 1),
        )
        keys = ["mu", "mu_star", "sigma", "mu_star_conf"]
    out: dict[str, Any] = {"method": method, "metric": metric, **info}
    for k in keys:
        out[k] = {nm: float(v) for nm, v in zip(names, np.asarray(res[k], dtype=float))}
    if method == "sobol" and calc_second_order:
        s2 = np.asarray(res["S2"], dtype=float)
        out["S2"] = {
            f"{names[i]}|{names[j]}": float(s2[i, j])
            for i in range(len(names))
            for j in range(i + 1, len(names))
        }
    return out
