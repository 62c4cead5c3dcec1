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
        return cls(tuple(labels.items()), tuple(overrides))

    def label(self, name: str) -> Any:
        return dict(self.labels)[name]


@dataclass
class Run:
    """A complete run of a figure: its spec, key and lazily read outputs."""

    spec: RunSpec
    key: str
    dir: Path
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def label(self, name: str) -> Any:
        return self.spec.label(name)

    @property
    def summary(self) -> dict[str, Any]:
        if "summary" not in self._cache:
            self._cache["summary"] = json.loads((self.dir / "summary.json").read_text())
        return self._cache["summary"]

    @property
    def config(self) -> dict[str, Any]:
        if "config" not in self._cache:
            self._cache["config"] = yaml.safe_load(
                (self.dir / ".hydra" / "config.yaml").read_text()
            )
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
        return self.table("timeseries")

    @property
    def agents(self) -> dict[str, np.ndarray]:
        return self.table("agents")

    @property
    def events(self) -> dict[str, np.ndarray]:
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
    missing = [n for n in names if n not in options(group)]
    if missing:
        raise FigureSkipped(
            f"needs {group} option(s) {missing} (conf/{group}/*.yaml), absent in this "
            f"install: {why}"
        )


def require_columns(table: Mapping[str, Any], columns: Sequence[str], where: str) -> None:
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
    (its policy grid, minus the validation-only ``algorithmic_bias``)."""
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
def t_band(curves: Sequence[np.ndarray], level: float = 0.95) -> tuple[np.ndarray, ...]:
    """Per step: mean, low, high of a Student-t interval across replicate curves (rows
    truncated to the shortest); NaN where fewer than 2 finite replicates."""
    m = min(len(c) for c in curves)
    a = np.vstack([np.asarray(c[:m], dtype=np.float64) for c in curves])
    mean, low, high = (np.full(m, np.nan) for _ in range(3))
    for j in range(m):
        ci = stats.t_interval(a[:, j], level)
        mean[j], low[j], high[j] = ci.estimate, ci.low, ci.high
    return mean, low, high


def group(runs: Sequence[Run], label: str) -> dict[Any, list[Run]]:
    """Runs by a label value, in first-appearance (design) order."""
    out: dict[Any, list[Run]] = {}
    for r in runs:
        out.setdefault(r.label(label), []).append(r)
    return out


def interval(values: ArrayLike, level: float = 0.95) -> dict[str, Any]:
    """Mean and 95 % Student-t interval across replicates, JSON-ready."""
    return stats.t_interval(values, level).as_dict()


# ------------------------------------------------------------------ provenance
@functools.lru_cache(maxsize=1)
def source_state() -> tuple[str | None, bool | None, str]:
    """(git commit, dirty flag, feedlab version), read once per process."""
    from feedlab import __version__
    from feedlab.experiments import record

    g = record.git_state(ROOT)
    return g["commit"], g["dirty"], __version__


def versions() -> dict[str, str | None]:
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
    the errors by spec index and the number of runs that were computed now."""
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
            "versions": versions(),
            "data": data,
        }
        | own
    )
