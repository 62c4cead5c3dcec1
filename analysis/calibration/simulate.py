"""Calibration simulations as ordinary runs of a sweep folder.

Every simulation a calibration asks for is a :func:`feedlab.experiments.run.run_experiment`
run written to ``OUT/runs/<run key>/`` (run key, ``DONE``), listed in ``OUT/sweep.json``
before it starts, exactly like ``feedlab sensitivity``'s design points. So a killed
calibration relaunched with the same command finds its complete runs and repeats none
(the sampler is deterministic: the same proposals ask for the same run keys), and
``feedlab verify OUT`` / ``feedlab aggregate OUT`` / ``feedlab query OUT`` read the folder.

How a batch of parameter sets becomes runs: each target's registered measurement
(``fn(ctx, seeds)``, :mod:`feedlab.analysis.targets.measurements`) is called with a
:class:`SweepContext` whose overrides set the parameters. A first *planning* pass records
the override lists each measurement asks :meth:`SweepContext.run_many` for (and stops it
there); every requested run is composed, keyed and added to the manifest; the runs not
yet complete are run (in ``jobs`` forked processes, or with ``--launcher`` by the sweep
machinery on that launcher, :mod:`.launch`); a second pass then calls the measurements
for real, every run now a cache hit. Configs are composed by Hydra once per
*design* (the measurement's overrides without ``seed`` and the free parameters) and the
seed and parameters set on a copy: the same resolved config, hence the same run key, as
composing each run's overrides (tested).
"""

from __future__ import annotations

import copy
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from feedlab.analysis.targets.measurements import MEASUREMENTS, Measured
from feedlab.analysis.validation.runner import Context
from feedlab.experiments.schema import ConfigError

from .spec import METRIC, Spec

#: Named seed streams of a calibration's simulations (spawn keys; append, never reorder).
SEED_STREAMS = ("proposal", "pilot", "truth", "ppc")


def run_seeds(seed: int, stream: str, index: int, n: int) -> list[int]:
    """The ``n`` run seeds of simulation ``index`` in ``stream``: distinct, deterministic
    functions of the calibration seed (31-bit, as the config's ``seed`` takes).
    """
    ss = np.random.SeedSequence(seed, spawn_key=(SEED_STREAMS.index(stream), index))
    return [int(x) & 0x7FFFFFFF for x in ss.generate_state(n)]


def metric_measurement(name: str) -> Callable[[Context, Sequence[int]], Measured]:
    """The measurement of ``metric:<name>``: the summary value of a plain run per seed."""

    def measure(ctx: Context, seeds: Sequence[int]) -> Measured:
        runs = ctx.run_many([[f"seed={s}"] for s in seeds])
        values = []
        for r in runs:
            v = r["summary"].get(name, "absent")
            if v == "absent" or not isinstance(v, int | float | None):
                numeric = sorted(k for k, x in r["summary"].items() if isinstance(x, int | float))
                raise ConfigError(
                    [
                        f"targets: {METRIC}{name}: not a numeric summary metric; allowed: {', '.join(numeric)}"
                    ]
                )
            values.append(math.nan if v is None else float(v))
        return Measured(values=values, detail=f"summary metric {name}")

    return measure


def measurement(tid: str) -> Callable[[Context, Sequence[int]], Measured]:
    """The measurement function of a target id (library or ``metric:``)."""
    if tid.startswith(METRIC):
        return metric_measurement(tid[len(METRIC) :])
    return MEASUREMENTS[tid]


class _Planned(Exception):
    """Raised by a planning :class:`SweepContext` once it has recorded the runs asked for."""


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node = data
    *head, last = path.split(".")
    for k in head:
        node = node[k]
    node[last] = value


def _run_one(task: tuple[dict[str, Any], list[str]]) -> tuple[str, bool, float]:
    """Run (or reuse) one composed config: ``(key, ran, seconds)``. Top-level for workers.

    A run that raises is reported as :class:`.launch.RunsFailed` naming its run key and
    overrides (a bad config stays a ConfigError).
    """
    from feedlab.experiments.record import run_key
    from feedlab.experiments.run import run_experiment

    from .launch import RunsFailed

    data, overrides = task
    t0 = time.process_time()
    try:
        res = run_experiment(data, overrides=overrides)
    except ConfigError:
        raise
    except Exception as exc:
        raise RunsFailed(
            f"run {run_key(data)} ({' '.join(overrides)}) failed in process: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return res.key, not res.skipped, time.process_time() - t0


@dataclass
class Runs:
    """The sweep folder of a calibration: composes, keys, lists and runs its simulations."""

    spec: Spec
    fixed: tuple[str, ...] = (
        "output.quiet=true",
        "output.progress=false",
        "output.mesa_agents=false",
    )
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    reused: int = 0
    done: set[str] = field(default_factory=set)
    cpu_seconds: float = 0.0
    _composed: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    _data: dict[tuple[str, ...], tuple[dict[str, Any], str]] = field(default_factory=dict)

    @property
    def out(self) -> Path:
        """The calibration's folder (``output.dir`` of every run)."""
        return self.spec.out

    @property
    def how(self) -> str:
        """How the runs are executed, as the manifest's ``launcher`` says it."""
        launch = self.spec.launch
        return launch.describe() if launch is not None else "in process"

    def compose(self, overrides: Sequence[str]) -> tuple[dict[str, Any], str]:
        """The resolved config and run key of one run's overrides (cached per design)."""
        from feedlab.experiments.record import run_key
        from feedlab.experiments.run import compose

        full = tuple(overrides)
        if full in self._data:
            return self._data[full]
        free = set(self.spec.names)
        sets: list[tuple[str, Any]] = []
        design: list[str] = []
        for o in full:
            k, _, v = o.partition("=")
            if k == "seed" or k in free:
                sets.append((k, yaml.safe_load(v)))
            else:
                design.append(o)
        dkey = tuple(design)
        if dkey not in self._composed:
            self._composed[dkey] = compose([*design, f"output.dir={self.out}", *self.fixed])
        data = copy.deepcopy(self._composed[dkey])
        for k, v in sets:
            _set(data, k, v)
        self._data[full] = (data, run_key(data))
        return self._data[full]

    def manifest(self) -> dict[str, Any]:
        """``sweep.json``: every run asked for so far (key, overrides)."""
        from feedlab import __version__
        from feedlab.experiments.sweep import FORMAT, RUNS

        return {
            "format": FORMAT,
            "feedlab_version": __version__,
            "runs_dir": RUNS,
            "sweep_overrides": list(self.spec.overrides),
            "launcher": f"feedlab calibrate ({self.how})",
            "n_jobs": len(self.expected),
            "n_expected": len(self.expected),
            "expected": list(self.expected.values()),
            "calibration": self.spec.as_dict(),
        }

    def execute(self, overrides: Sequence[Sequence[str]], ctx: Context) -> None:
        """List every run in the manifest, then run those not yet complete."""
        from feedlab.experiments.record import is_complete
        from feedlab.experiments.sweep import write_manifest

        todo: list[tuple[dict[str, Any], list[str]]] = []
        keys: list[str] = []
        seen: set[str] = set()
        for ov in overrides:
            data, key = self.compose(ov)
            if key not in self.expected:
                n = len(self.expected)
                self.expected[key] = {"key": key, "overrides": list(ov), "jobs": [n]}
            if key in seen or key in self.done:
                continue
            seen.add(key)
            if is_complete(self.out / "runs" / key):
                self.reused += 1
                self.done.add(key)
            else:
                todo.append((data, list(ov)))
                keys.append(key)
        self.out.mkdir(parents=True, exist_ok=True)
        write_manifest(self.out, self.manifest())
        if self.spec.launch is not None:
            self._launch(todo, keys)
            return
        for key, ran, cpu in ctx.map(_run_one, todo):
            self.done.add(key)
            if ran:
                self.ran.append(key)
            else:
                self.reused += 1
            self.cpu_seconds += cpu

    def _launch(self, todo: list[tuple[dict[str, Any], list[str]]], keys: list[str]) -> None:
        """Run ``todo`` with the spec's launcher (:mod:`.launch`); RunsFailed naming each
        run key that did not complete and its failure record.
        """
        from feedlab.experiments.record import is_complete

        from . import launch

        assert self.spec.launch is not None
        items = [(self.expected[k]["jobs"][0], k, data, ov) for k, (data, ov) in zip(keys, todo)]
        launch.run(self.spec.launch, self.out, items)
        failed = []
        for k in keys:
            run_dir = self.out / "runs" / k
            if is_complete(run_dir):
                self.done.add(k)
                self.ran.append(k)
                self.cpu_seconds += launch.run_seconds(run_dir)
            else:
                failed.append(k)
        if failed:
            raise launch.RunsFailed(launch.failed_message(self.out, failed, len(keys)))

    def result(self, overrides: Sequence[str]) -> dict[str, Any]:
        """A complete run's ``{"summary", "timeseries", "run_dir", "key"}`` (as the
        validation :func:`~feedlab.analysis.validation.runner.run_task` returns it).
        """
        import json

        _, key = self.compose(overrides)
        run_dir = self.out / "runs" / key
        summary = json.loads((run_dir / "summary.json").read_text())
        return {
            "summary": summary,
            "timeseries": _LazyTimeseries(run_dir),
            "run_dir": str(run_dir),
            "key": key,
        }


class _LazyTimeseries(dict):
    """A run's time series, read from its Parquet file on first access."""

    def __init__(self, run_dir: Path):
        super().__init__()
        self._dir = run_dir
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            import pyarrow.parquet as pq

            table = pq.read_table(self._dir / "timeseries.parquet").to_pydict()
            self.update({k: np.asarray(v, dtype=np.float64) for k, v in table.items()})
            self._loaded = True

    def __getitem__(self, key: str) -> Any:
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def keys(self) -> Any:
        """The column names (reads the file)."""
        self._load()
        return super().keys()


@dataclass
class SweepContext(Context):
    """A validation :class:`Context` whose runs belong to the calibration's sweep folder.

    In planning mode (``plan`` a list) :meth:`run_many` records the runs asked for and
    raises :class:`_Planned`; otherwise it runs (or reuses) them through :class:`Runs`.
    """

    runs: Runs | None = None
    plan: list[list[str]] | None = None

    def run_many(self, overrides: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
        """The runs of ``overrides`` (each extended with this context's overrides)."""
        assert self.runs is not None
        full = [[*ov, *self.overrides] for ov in overrides]
        if self.plan is not None:
            self.plan.extend(full)
            raise _Planned
        if any(self.runs.compose(ov)[1] not in self.runs.done for ov in full):
            self.runs.execute(full, self)  # not planned (a second call in one measurement)
        return [self.runs.result(ov) for ov in full]


@dataclass
class Point:
    """One parameter set to measure: its overrides and the run seeds of each measurement."""

    overrides: tuple[str, ...]
    seeds: list[int]


class Measurer:
    """Measures targets at batches of parameter sets through :class:`Runs`."""

    def __init__(self, spec: Spec, log: Callable[[str], None] | None = None):
        self.spec = spec
        self.runs = Runs(spec)
        self.log = log or (lambda msg: None)

    def _ctx(self, point: Point, plan: list[list[str]] | None = None) -> SweepContext:
        return SweepContext(
            cache=self.spec.out,
            jobs=self.spec.jobs,
            overrides=(*self.spec.overrides, *point.overrides),
            runs=self.runs,
            plan=plan,
        )

    def measure(self, points: Sequence[Point], targets: Sequence[str]) -> np.ndarray:
        """Per-seed values, shape (points × targets × seeds); NaN where a measurement gave
        none (or fewer values than seeds).
        """
        plan: list[list[str]] = []
        for pt in points:
            for tid in targets:
                try:
                    measurement(tid)(self._ctx(pt, plan), pt.seeds)
                except _Planned:
                    pass
        self.runs.execute(plan, self._ctx(points[0]) if points else Context(cache=self.spec.out))
        k = max((len(p.seeds) for p in points), default=0)
        out = np.full((len(points), len(targets), k), np.nan)
        for i, pt in enumerate(points):
            for j, tid in enumerate(targets):
                vals = np.asarray(
                    measurement(tid)(self._ctx(pt), pt.seeds).values, dtype=np.float64
                )
                out[i, j, : min(k, len(vals))] = vals[:k]
        return out


def clean_new_folder(out: Path, created: bool) -> None:
    """Remove a calibration folder this command created (a refused metric, before results)."""
    if created:
        shutil.rmtree(out, ignore_errors=True)
