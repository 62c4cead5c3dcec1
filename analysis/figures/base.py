"""What every figure script shares: its runs, their data, its provenance.

A figure script (one module per figure in this package) defines

* ``NAME``, ``TITLE``, ``CAPTION`` — the file name, the title and the caption;
* ``design(scale) -> list[RunSpec]`` — the runs it needs: labels (``policy``, ``seed``,
  ...) and the Hydra overrides of each (an experiment config such as
  ``experiment=ranking_comparison`` plus a few size overrides);
* ``plot(runs, scale) -> (Figure, data)`` — the figure from the loaded runs, and the
  plotted numbers for the sidecar.

Either may raise :class:`FigureSkipped` with a reason when a config option or an output
column it needs does not exist in this install (features land at different times); the
figure is then skipped with that message, not failed.

Runs are executed by :func:`feedlab.experiments.run_experiment` into a cache directory
(``figures/.runs``): a complete run is never recomputed, so a second ``feedlab figures``
only re-plots, and figures that share runs (the policy comparison) compute them once.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike

from feedlab.analysis import stats

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"


class FigureSkipped(Exception):
    """The data or config options a figure needs are absent; the message says which."""


@dataclass(frozen=True)
class Scale:
    """How big the runs of the figure set are."""

    name: str
    n: int  # users
    steps: int
    seeds: tuple[int, ...]  # replicates of every condition
    cascade_steps: int  # runs with a transgression
    event_time: int  # step of the transgression
    many_seeds: tuple[int, ...]  # distributions over runs (cascade sizes, Watts window)
    max_policies: int = 0  # 0 = every platform policy

    def as_dict(self) -> dict[str, Any]:
        """The scale as recorded in each figure's sidecar (``scale``)."""
        return {
            "name": self.name,
            "users": self.n,
            "steps": self.steps,
            "seeds": list(self.seeds),
            "cascade_steps": self.cascade_steps,
            "event_time": self.event_time,
            "many_seeds": list(self.many_seeds),
            "max_policies": self.max_policies,
        }


#: The default paper set: a few minutes on 2 cores (``--jobs 2``).
DEFAULT = Scale("default", 2000, 100, (0, 1, 2), 60, 10, tuple(range(8)))
#: ``--quick``: seconds, for tests and smoke checks (not for interpretation).
QUICK = Scale("quick", 300, 12, (0, 1), 14, 4, (0, 1, 2), max_policies=3)


@dataclass(frozen=True)
class RunSpec:
    """One run a figure needs: labels for plotting and the overrides that define it."""

    labels: tuple[tuple[str, Any], ...]
    overrides: tuple[str, ...]

    @classmethod
    def make(cls, overrides: Sequence[str], **labels: Any) -> RunSpec:
        """A spec from the run's overrides; the keyword labels (``policy=...``,
        ``seed=...``) are how the figure's ``plot`` groups and names its runs.
        """
        return cls(tuple(labels.items()), tuple(overrides))

    def label(self, name: str) -> Any:
        """The value of label ``name`` (KeyError if the spec has none)."""
        return dict(self.labels)[name]


@dataclass
class Run:
    """A complete run of a figure: its spec, key and lazily read outputs."""

    spec: RunSpec
    key: str
    dir: Path
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def label(self, name: str) -> Any:
        """The value of the spec's label ``name``."""
        return self.spec.label(name)

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json``, read on first use."""
        if "summary" not in self._cache:
            self._cache["summary"] = json.loads((self.dir / "summary.json").read_text())
        return self._cache["summary"]

    @property
    def config(self) -> dict[str, Any]:
        """The composed config (``.hydra/config.yaml``), read on first use."""
        if "config" not in self._cache:
            from feedlab.analysis.runs import read_config

            self._cache["config"] = read_config(self.dir)
        return self._cache["config"]

    def table(self, name: str) -> dict[str, np.ndarray]:
        """Columns of ``<name>.parquet`` (empty if the run did not write it)."""
        if name not in self._cache:
            import pyarrow.parquet as pq

            p = self.dir / f"{name}.parquet"
            if not p.is_file():
                self._cache[name] = {}
            else:
                t = pq.read_table(p)
                self._cache[name] = {
                    c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names
                }
        return self._cache[name]

    @property
    def timeseries(self) -> dict[str, np.ndarray]:
        """Columns of ``timeseries.parquet`` (one row per recorded step)."""
        return self.table("timeseries")

    @property
    def agents(self) -> dict[str, np.ndarray]:
        """Columns of ``agents.parquet`` (one row per user at the end of the run)."""
        return self.table("agents")

    @property
    def events(self) -> dict[str, np.ndarray]:
        """Columns of ``events.parquet`` (one row per event-layer action)."""
        return self.table("events")

    def value(self, metric: str) -> float:
        """A summary metric as float (``None``/absent → NaN)."""
        v = self.summary.get(metric)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan


# ------------------------------------------------------------------ config helpers
def options(group: str) -> list[str]:
    """The options of a config group available in this install (``conf/<group>/*.yaml``)."""
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def require_options(group: str, names: Sequence[str], why: str) -> None:
    """Skip the figure (:class:`FigureSkipped`) unless every option ``names`` of config
    group ``group`` is installed; ``why`` says what the figure needs them for.
    """
    missing = [n for n in names if n not in options(group)]
    if missing:
        raise FigureSkipped(
            f"needs {group} option(s) {missing} (conf/{group}/*.yaml), absent in this "
            f"install: {why}"
        )


def require_columns(table: Mapping[str, Any], columns: Sequence[str], where: str) -> None:
    """Skip the figure (:class:`FigureSkipped`) unless ``table`` has every column; ``where``
    names the file in the message.
    """
    missing = [c for c in columns if c not in table]
    if missing:
        raise FigureSkipped(f"{where} has no column(s) {missing}")


def experiment_sweep(name: str) -> dict[str, list[str]]:
    """The ``hydra.sweeper.params`` grid of ``conf/experiment/<name>.yaml`` ({} if none)."""
    path = CONF / "experiment" / f"{name}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    params = ((data.get("hydra") or {}).get("sweeper") or {}).get("params") or {}
    return {k: [v.strip() for v in str(p).split(",")] for k, p in params.items()}


#: Platform ranking policies in display order (``algorithmic_bias`` is a validation model).
PLATFORM_POLICIES = (
    "chronological",
    "engagement",
    "engagement_negfb",
    "bridging",
    "bridging_observed",
    "quality",
    "diversity",
    "random",
)
QUICK_POLICIES = ("chronological", "engagement", "bridging")


def policy_comparison(scale: Scale) -> list[RunSpec]:
    """Every platform ranking policy × seed on the same networks and populations (common
    random numbers), driven by ``conf/experiment/ranking_comparison.yaml`` when present
    (its policy grid, minus the validation-only ``algorithmic_bias``).
    """
    available = set(options("ranking"))
    grid = experiment_sweep("ranking_comparison").get("ranking")
    base = ["experiment=ranking_comparison"] if grid is not None else []
    chosen = [p for p in PLATFORM_POLICIES if p in available and (grid is None or p in grid)]
    if scale.max_policies:
        chosen = [p for p in QUICK_POLICIES if p in chosen][: scale.max_policies]
    if len(chosen) < 2:
        raise FigureSkipped(f"needs at least two ranking policies; found {chosen}")
    return [
        RunSpec.make(
            [*base, f"ranking={p}", f"seed={s}", f"network.n={scale.n}", f"steps={scale.steps}"],
            policy=p,
            seed=s,
        )
        for p in chosen
        for s in scale.seeds
    ]


# ------------------------------------------------------------------ statistics
#: Fewer replicates than this and a figure draws every seed instead of an interval: with
#: 3 seeds a bootstrap has only 10 distinct resamples (it under-covers), and a Student-t
#: interval ignores the metric's bounds (a variance interval reaching below 0).
MIN_REPLICATES_FOR_INTERVAL = 10
#: Bounds of a metric with none.
UNBOUNDED = (-math.inf, math.inf)
#: Bounds of the plotted metrics: variances and shares in [0, 1], ratios and rates >= 0.
VARIANCE = (0.0, 1.0)
SHARE = (0.0, 1.0)
NONNEGATIVE = (0.0, math.inf)


def _clip(v: float, lo: float, hi: float) -> float:
    return float(min(max(v, lo), hi)) if math.isfinite(v) else v


def bounded_interval(
    values: ArrayLike,
    bounds: tuple[float, float] = UNBOUNDED,
    level: float = 0.95,
    *,
    n_resamples: int = 1999,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean of replicates and an interval that never leaves the metric's ``bounds``.

    * ``n >= MIN_REPLICATES_FOR_INTERVAL``: the percentile bootstrap interval of the mean
      (Efron & Tibshirani 1993, ch. 13; :func:`feedlab.analysis.stats.bootstrap_ci`).
      Its ends are means of resamples of the data, so they lie inside the data's range
      and therefore inside the metric's bounds (unlike a Student-t interval, which
      reaches below 0 for a variance near 0).
    * fewer replicates: no interval is claimed. ``low``/``high`` are the smallest and
      largest replicate (``method: "range"``) and ``values`` lists every replicate, as
      the figure draws them.

    Both are clipped to ``bounds`` and to the data's range (a guard against rounding).
    Non-finite replicates are left out and counted in ``n_nonfinite``.
    """
    lo_b, hi_b = bounds
    if not lo_b <= hi_b:
        raise ValueError(f"bounds: {bounds!r} must satisfy low <= high")
    raw = np.asarray([math.nan if v is None else v for v in np.ravel(values)], dtype=np.float64)
    a = raw[np.isfinite(raw)]
    bad = int(raw.size - a.size)
    out: dict[str, Any] = {
        "level": level,
        "n": int(a.size),
        "n_nonfinite": bad,
        "bounds": [lo_b, hi_b],
        "values": a.tolist(),
    }
    if a.size == 0:
        return {**out, "estimate": math.nan, "low": math.nan, "high": math.nan, "method": "none"}
    lo_d, hi_d = max(float(a.min()), lo_b), min(float(a.max()), hi_b)
    est = _clip(float(a.mean()), lo_b, hi_b)
    if a.size >= MIN_REPLICATES_FOR_INTERVAL:
        ci = stats.bootstrap_ci(
            a, "mean", level=level, n_resamples=n_resamples, method="percentile", seed=seed
        )
        low, high, method = ci.low, ci.high, "percentile bootstrap"
    else:
        low, high, method = float(a.min()), float(a.max()), "range"
    return {
        **out,
        "estimate": est,
        "low": _clip(low, lo_d, hi_d),
        "high": _clip(high, lo_d, hi_d),
        "method": method,
    }


def bounded_band(
    curves: Sequence[np.ndarray], bounds: tuple[float, float] = UNBOUNDED, level: float = 0.95
) -> tuple[np.ndarray, ...]:
    """Per step: mean, low, high of :func:`bounded_interval` across replicate curves (rows
    truncated to the shortest): a percentile-bootstrap band with 10 or more replicates,
    the range of the replicates with fewer; never outside ``bounds``.
    """
    m = min(len(c) for c in curves)
    a = np.vstack([np.asarray(c[:m], dtype=np.float64) for c in curves])
    mean, low, high = (np.full(m, np.nan) for _ in range(3))
    for j in range(m):
        ci = bounded_interval(a[:, j], bounds, level)
        mean[j], low[j], high[j] = ci["estimate"], ci["low"], ci["high"]
    return mean, low, high


def draw_replicates(
    ax: Any,
    x: np.ndarray,
    curves: Sequence[np.ndarray],
    bounds: tuple[float, float] = UNBOUNDED,
    *,
    colour: str,
    ls: str = "-",
    label: str | None = None,
) -> str:
    """Replicate curves as the data allow: with fewer than
    :data:`MIN_REPLICATES_FOR_INTERVAL` replicates, every replicate as a thin line and
    their mean as a thick one; with more, the mean and a 95 % percentile-bootstrap band
    (:func:`bounded_band`). Returns what was drawn (``"seeds"`` or ``"bootstrap band"``).
    """
    m = min(len(c) for c in curves)
    x = np.asarray(x)[:m]
    if len(curves) < MIN_REPLICATES_FOR_INTERVAL:
        for c in curves:
            ax.plot(x, np.asarray(c[:m]), color=colour, ls=ls, lw=0.6, alpha=0.35)
        mean = np.nanmean(np.vstack([np.asarray(c[:m], dtype=np.float64) for c in curves]), 0)
        ax.plot(x, mean, color=colour, ls=ls, lw=1.8, label=label)
        return "seeds"
    mean, lo, hi = bounded_band(curves, bounds)
    ax.plot(x, mean, color=colour, ls=ls, label=label)
    ax.fill_between(x, lo, hi, color=colour, alpha=0.12, lw=0)
    return "bootstrap band"


def group(runs: Sequence[Run], label: str) -> dict[Any, list[Run]]:
    """Runs by a label value, in first-appearance (design) order."""
    out: dict[Any, list[Run]] = {}
    for r in runs:
        out.setdefault(r.label(label), []).append(r)
    return out


# ------------------------------------------------------------------ validation verdicts
#: The validation suite's committed results (``feedlab validate``), read for verdicts.
VALIDATION_RESULTS = ROOT / "docs" / "validation_results.json"


def verdicts(checks: Sequence[str], path: Path | None = None) -> dict[str, dict[str, str]]:
    """``{check: {"title", "status"}}`` for the named ``feedlab validate`` checks, from the
    committed results (``docs/validation_results.json``); empty when the file is absent
    (an install without the docs). A figure of a stylized fact records these in its
    sidecar, so that a reader sees the measured verdict beside the picture.
    """
    p = VALIDATION_RESULTS if path is None else path
    if not checks or not p.is_file():
        return {}
    results = json.loads(p.read_text()).get("results", [])
    return {
        r["name"]: {"title": r.get("title", ""), "status": r.get("status", "")}
        for r in results
        if r.get("name") in checks
    }


# ------------------------------------------------------------------ provenance
@functools.lru_cache(maxsize=1)
def source_state() -> tuple[str | None, bool | None, str]:
    """(git commit, dirty flag, feedlab version), read once per process."""
    from feedlab import __version__
    from feedlab.experiments import record

    g = record.git_state(ROOT)
    return g["commit"], g["dirty"], __version__


def versions() -> dict[str, str | None]:
    """Versions of the plotting stack (matplotlib, NumPy, SciPy) for the provenance
    sidecar; ``None`` for one not installed.
    """
    out: dict[str, str | None] = {}
    for p in ("matplotlib", "numpy", "scipy"):
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def jsonable(obj: Any) -> Any:
    """Plain JSON: NumPy scalars and arrays to Python, NaN/inf to None, tuples to lists."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# ------------------------------------------------------------------ running
def _execute_one(overrides: list[str]) -> tuple[str | None, str | None, bool]:
    """Run one config (in this or a worker process): (run key, error, was cached)."""
    from feedlab.experiments import run_experiment

    try:
        res = run_experiment(overrides)
    except Exception as exc:  # one failed run is reported, never fatal for the set
        return None, f"{type(exc).__name__}: {exc}", False
    return res.key, None, res.skipped


def execute(
    specs: Sequence[RunSpec],
    cache: Path,
    *,
    extra: Sequence[str] = (),
    jobs: int = 1,
    progress: bool = True,
    desc: str = "runs",
    runner: Callable[[list[str]], tuple[str | None, str | None, bool]] | None = None,
) -> tuple[list[Run], dict[int, str], int]:
    """Run (or find in the cache) every spec; returns the complete runs in spec order,
    the errors by spec index and the number of runs that were computed now.
    """
    from tqdm import tqdm

    runner = runner or _execute_one
    full = [
        [
            *s.overrides,
            *extra,
            f"output.dir={cache}",
            "output.progress=false",
            "output.quiet=true",
        ]
        for s in specs
    ]
    results: dict[int, tuple[str | None, str | None, bool]] = {}
    bar = tqdm(total=len(full), desc=desc, unit="run", file=sys.stderr, disable=not progress)
    if jobs > 1 and len(full) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            futs = {pool.submit(runner, ov): i for i, ov in enumerate(full)}
            for f in as_completed(futs):
                results[futs[f]] = f.result()
                bar.update(1)
    else:
        for i, ov in enumerate(full):
            results[i] = runner(ov)
            bar.update(1)
    bar.close()
    runs, errors, computed = [], {}, 0
    for i, spec in enumerate(specs):
        key, err, cached = results[i]
        if key is None:
            errors[i] = err or "unknown error"
            continue
        computed += not cached
        runs.append(Run(spec, key, cache / "runs" / key))
    return runs, errors, computed


def provenance(
    module: Any,
    specs: Sequence[RunSpec],
    runs: Sequence[Run],
    errors: Mapping[int, str],
    scale: Scale,
    extra: Sequence[str],
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Everything needed to trust and regenerate a figure; no dates, no absolute paths."""
    commit, dirty, version = source_state()
    seeds = sorted({int(v) for s in specs for k, v in s.labels if k == "seed"})
    data = dict(data)
    own = data.pop("_provenance", {})  # figures computed outside run_experiment
    return jsonable(
        {
            "figure": module.NAME,
            "title": module.TITLE,
            "caption": module.CAPTION,
            "feedlab_version": version,
            "commit": commit,
            "dirty": dirty,
            "command": "feedlab figures"
            + (" --quick" if scale.name == "quick" else "")
            + f" --only {module.NAME}"
            + "".join(f" --override {o}" for o in extra),
            "scale": scale.as_dict(),
            "extra_overrides": list(extra),
            "runs": [
                {"key": r.key, "labels": dict(r.spec.labels), "overrides": list(r.spec.overrides)}
                for r in runs
            ],
            "failed": [
                {"labels": dict(specs[i].labels), "overrides": list(specs[i].overrides), "error": e}
                for i, e in sorted(errors.items())
            ],
            "config_hashes": sorted({r.key for r in runs}),
            "seeds": seeds,
            "coverage": f"{len(runs)}/{len(specs)} runs complete",
            "statistics": getattr(module, "STATISTICS", ""),
            "validation": verdicts(getattr(module, "FACTS", ())),
            "versions": versions(),
            "data": data,
        }
        | own
    )
