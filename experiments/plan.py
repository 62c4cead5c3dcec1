"""Planning a sweep before anything runs: expand the grid exactly as Hydra's basic sweeper
does, compose and validate every job's config, refuse what cannot run, and build the
manifest (``sweep.json``).

A sweep is refused (:class:`SweepRefused`, exit code 2, nothing written) if it has more
runs than ``limits.max_runs``, if any job's config is invalid or too big for the machine,
if the runs that execute at the same time would not fit in memory together, or if its
launcher cannot run on this machine. Refusing before launch is the point: a grid with one
bad cell would otherwise fail hours in, one job at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedlab.experiments.sweepdir import FORMAT, MANIFEST, RUNS


class SweepRefused(Exception):
    """The sweep cannot start; the message gives the numbers (exit code 2)."""


@dataclass
class Job:
    """One job of the grid: its launch number, its overrides, and (once composed) the key
    of the run it makes and that run's estimated memory.
    """

    num: int
    overrides: list[str]
    key: str = ""
    memory_bytes: int = 0
    base: dict[str, Any] | None = field(default=None, repr=False)  # shared by the sweep
    changes: list[list[Any]] | None = field(default=None, repr=False)

    def config(self) -> dict[str, Any]:
        """The job's composed, resolved config (its sweep's base with its changes,
        :func:`feedlab.experiments.batch.apply`): what its run executes.
        """
        from feedlab.experiments.batch import apply

        if self.base is None or self.changes is None:
            raise ValueError(f"job #{self.num} has not been composed (plan() composes jobs)")
        return apply(self.base, self.changes)


def expand(config: Any) -> list[list[str]]:
    """Every job's overrides, in launch order, exactly as Hydra's BasicSweeper makes them."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    target = str(config.hydra.sweeper.get("_target_", ""))
    if not target.endswith("BasicSweeper"):
        raise SweepRefused(
            f"hydra.sweeper {target!r} is not supported; feedlab "
            "needs Hydra's basic sweeper to know every run before launch"
        )
    from hydra.core.global_hydra import GlobalHydra

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()]
    arguments += [str(o) for o in OmegaConf.to_container(config.hydra.overrides.task)]  # type: ignore[union-attr]

    loader = GlobalHydra.instance().config_loader()
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(arguments)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for batch in batches for job in batch]


class _Composer:
    """Each job's task config (hydra node removed, resolved) exactly as its worker will see
    it, at the cost of one Hydra composition per distinct set of config-group choices.

    Hydra composes the defaults list from the config-group overrides, then applies the
    other ("value") overrides one by one with ``OmegaConf.update`` (ConfigLoaderImpl).
    This does the same, reusing the composition for jobs that share their group
    overrides. The first job of each group set is also composed by Hydra itself and the
    two compared; any difference switches the shortcut off for the whole sweep.
    """

    def __init__(self, config: Any):
        from hydra.core.global_hydra import GlobalHydra
        from hydra.core.override_parser.overrides_parser import OverridesParser

        self.config = config
        self.loader = GlobalHydra.instance().config_loader()
        self.parser = OverridesParser.create(config_loader=self.loader)
        self.groups = set(config.hydra.runtime.choices.keys())
        self.cache: dict[tuple[str, ...], Any] = {}
        self.parsed: dict[str, Any] = {}  # override line -> parsed (lines parse alone)
        self.checked: set[tuple[str, ...]] = set()
        self.fast = True

    def _hydra(self, lines: list[str]) -> Any:
        from omegaconf import open_dict

        cfg = self.loader.load_sweep_config(self.config, lines)
        with open_dict(cfg):
            del cfg["hydra"]
        return cfg

    def __call__(self, lines: list[str]) -> dict[str, Any]:
        if not self.fast:
            return self._reference(lines)
        group_lines, values = self._split(lines)
        sig = tuple(group_lines)
        base, plain = self._base(sig)
        data = _apply_plain(plain, values)
        if data is None:
            try:
                data = _apply_omegaconf(base, values)
            except Exception:  # let Hydra compose it (and raise its own message)
                return self._reference(lines)
        if sig not in self.checked:
            self.checked.add(sig)
            reference = self._reference(lines)
            if reference != data:
                self.fast = False
                return reference
        assert isinstance(data, dict)
        return data

    def _split(self, lines: list[str]) -> tuple[list[str], list[tuple[str, Any]]]:
        """(the overrides that change the defaults list, as lines; the plain value
        overrides, as (dotted key, value)).
        """
        group_lines: list[str] = []
        values: list[tuple[str, Any]] = []
        for line in lines:
            if line not in self.parsed:
                self.parsed[line] = self.parser.parse_overrides([line])[0]
            o = self.parsed[line]
            simple = o.package is None and not (o.is_add() or o.is_force_add() or o.is_delete())
            if simple and o.key_or_group not in self.groups and "/" not in o.key_or_group:
                values.append((o.key_or_group, o.value()))
            else:
                group_lines.append(str(o.input_line))
        return group_lines, values

    def _base(self, sig: tuple[str, ...]) -> tuple[Any, dict[str, Any] | None]:
        """The composition for one set of group overrides (cached): the config, and its
        plain data when nothing in it is an interpolation (None otherwise).
        """
        from omegaconf import OmegaConf

        if sig not in self.cache:
            base = self._hydra(list(sig))
            raw = OmegaConf.to_container(base, resolve=False)
            self.cache[sig] = (base, None if "${" in json.dumps(raw, default=str) else raw)
        return self.cache[sig]

    def _reference(self, lines: list[str]) -> dict[str, Any]:
        from omegaconf import OmegaConf

        return OmegaConf.to_container(self._hydra(lines), resolve=True)  # type: ignore[return-value]


def _apply_plain(plain: dict[str, Any] | None, values: list[tuple[str, Any]]) -> Any:
    """The value overrides applied to plain data (exact when nothing is interpolated), or
    None when that shortcut does not apply (interpolations, a new key, a dict/list value).
    """
    if plain is None or any(isinstance(v, dict | list) for _, v in values):
        return None
    import copy

    data = copy.deepcopy(plain)
    for key, value in values:
        if not _set_existing(data, key, value):
            return None
    return data


def _apply_omegaconf(base: Any, values: list[tuple[str, Any]]) -> Any:
    """The value overrides applied as Hydra applies them (``OmegaConf.update``), resolved."""
    import copy

    from omegaconf import OmegaConf

    cfg = copy.deepcopy(base)
    for key, value in values:
        OmegaConf.update(cfg, key, value, merge=True)
    return OmegaConf.to_container(cfg, resolve=True)


def _set_existing(data: dict[str, Any], dotted: str, value: Any) -> bool:
    """Set an existing leaf of plain nested dicts; False if the path does not exist."""
    *parents, leaf = dotted.split(".")
    node: Any = data
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if not isinstance(node, dict) or leaf not in node or isinstance(node[leaf], dict | list):
        return False
    node[leaf] = value
    return True


def _concurrency(config: Any, n_runs: int) -> int:
    """How many runs the launcher executes at once on this machine (0: other machines)."""
    launcher = config.hydra.launcher
    target = str(launcher.get("_target_", ""))
    if target.endswith("JoblibLauncher"):
        n = int(launcher.get("n_jobs") or 1)
        cpus = os.cpu_count() or 1
        n = cpus + 1 + n if n < 0 else n
        return max(1, min(n, n_runs))
    if target.endswith("LocalLauncher"):  # submitit_local starts every job at once
        return n_runs
    if target.endswith("SlurmLauncher"):
        return 0
    return 1  # Hydra's basic launcher: one after another


def plan(
    config: Any, sweep_dir: Path, complete: set[str] | None = None
) -> tuple[list[Job], dict[str, Any]]:
    """Expand, compose, validate and check the sweep; the jobs and the manifest.

    ``complete``, if given, receives the keys whose runs are already complete (every
    hash checked: a run with a ``DONE`` file but a damaged file will run again).
    Raises :class:`SweepRefused` with the numbers when the sweep must be refused.
    """
    from feedlab.experiments import record

    jobs = [Job(i, o) for i, o in enumerate(expand(config))]
    max_runs = int(config.limits.max_runs)
    if len(jobs) > max_runs:
        raise SweepRefused(
            f"the grid has {len(jobs):,} runs, more "
            f"than limits.max_runs = {max_runs:,}; split the grid or raise the cap "
            f"(limits.max_runs={len(jobs)})"
        )
    from feedlab.experiments.batch import check_packing

    budget = _compose_jobs(config, jobs)
    packing = check_packing(config, len({j.key for j in jobs}))
    if packing:
        raise SweepRefused(packing)
    runs_dir = sweep_dir / RUNS
    done = {k for k in {j.key for j in jobs} if record.is_complete(runs_dir / k)}
    if complete is not None:
        complete.update(done)
    _check_memory(config, [j for j in jobs if j.key not in done], budget)
    return jobs, _manifest(config, jobs)


def _validate_memo(data: dict[str, Any], validated: dict[str, Any]) -> Any:
    """``validate(data)``, parsing each config once whatever its seed: jobs that differ
    only in ``seed`` (a seed sweep) reuse the first one's parse, and only the seed itself
    is checked (no check of the schema reads the seed with another field). Raises
    :class:`ConfigError` as ``validate`` does.
    """
    from feedlab.experiments import record
    from feedlab.experiments.config import RunConfig, validate
    from feedlab.experiments.schema import field_problems

    rest = record.canonical_json({k: v for k, v in data.items() if k != "seed"})
    if rest in validated and not field_problems(RunConfig, "seed", data.get("seed")):
        return validated[rest]
    validated[rest] = result = validate(data)
    return result


def _compose_jobs(config: Any, jobs: list[Job]) -> float:
    """Compose and validate every job, filling in its run key and memory estimate; the
    memory budget in bytes (``limits.memory_gb``; 0 = 80% of this machine).

    Raises :class:`SweepRefused` listing every distinct problem once, with how many jobs
    have it and the first such job's overrides.
    """
    from feedlab.experiments import record
    from feedlab.experiments.batch import delta
    from feedlab.experiments.config import estimate_memory, machine_memory_bytes
    from feedlab.experiments.schema import ConfigError

    problems: dict[str, list[int]] = {}
    budget = 0.0
    compose = _Composer(config)
    base: dict[str, Any] | None = None
    validated: dict[str, Any] = {}
    for job in jobs:
        try:
            data = compose(job.overrides)
            threads = (data.get("platform") or {}).get("threads", 1)
            if isinstance(threads, int) and threads > 1:  # other values: the schema's error
                raise ConfigError(
                    [
                        f"platform.threads: {threads} in a sweep; allowed: 1 (each run of a "
                        "sweep has one thread: parallelism is across runs, "
                        "hydra.launcher.n_jobs; docs/sweeps.md)"
                    ]
                )
            run, units = _validate_memo(data, validated)
        except ConfigError as exc:
            for p in exc.problems:
                problems.setdefault(p, []).append(job.num)
            continue
        except Exception as exc:  # Hydra cannot compose this job (e.g. an unknown key)
            problem = " ".join(f"{type(exc).__name__}: {exc}".split())
            problems.setdefault(problem, []).append(job.num)
            continue
        job.key = record.run_key(data)
        if base is None:
            base = data
        job.base, job.changes = base, delta(base, data)
        job.memory_bytes = estimate_memory(run, *units.network.size_estimate())
        budget = run.limits.memory_gb * 2**30 or 0.8 * machine_memory_bytes()
    if problems:
        lines = []
        for p, nums in problems.items():
            first = jobs[nums[0]]
            lines.append(
                f"  {p}\n    in {len(nums)} of {len(jobs)} runs, e.g. job #{first.num}: "
                + " ".join(first.overrides)
            )
        raise SweepRefused("\n" + "\n".join(lines))
    return budget


def _check_memory(config: Any, todo: list[Job], budget: float) -> None:
    """Refuse if the largest runs that the launcher executes at the same time on this
    machine would together need more than ``budget`` bytes.
    """
    at_once = _concurrency(config, len(todo))
    if at_once <= 1:
        return
    biggest = sorted((j.memory_bytes for j in todo), reverse=True)[:at_once]
    need = sum(biggest)
    if need > budget:
        raise SweepRefused(
            f"{at_once} runs at once need an "
            f"estimated {need / 2**30:,.1f} GiB together (largest run "
            f"{biggest[0] / 2**30:,.1f} GiB), more than the budget of "
            f"{budget / 2**30:,.1f} GiB (limits.memory_gb; 0 = 80% of this machine); "
            "lower hydra.launcher.n_jobs"
        )


def _manifest(config: Any, jobs: list[Job]) -> dict[str, Any]:
    """The manifest (``sweep.json``, format :data:`FORMAT`): every distinct run key once,
    with its overrides and the numbers of the jobs that make it, in grid order.
    """
    from feedlab import __version__

    expected: dict[str, dict[str, Any]] = {}
    for job in jobs:
        entry = expected.setdefault(job.key, {"key": job.key, "overrides": job.overrides})
        entry.setdefault("jobs", []).append(job.num)
    return {
        "format": FORMAT,
        "feedlab_version": __version__,
        "runs_dir": RUNS,
        "sweep_overrides": list(config.hydra.overrides.task),
        "launcher": str(config.hydra.launcher.get("_target_", "")),
        "n_jobs": len(jobs),
        "n_expected": len(expected),
        "expected": list(expected.values()),
    }


def write_manifest(sweep_dir: Path, manifest: dict[str, Any]) -> bool:
    """Write ``sweep.json`` atomically unless it already says the same; True if written."""
    from feedlab.experiments.record import write_json

    path = sweep_dir / MANIFEST
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()) == json.loads(json.dumps(manifest)):
            return False
    write_json(path, manifest)
    return True


def check_launcher_available(config: Any) -> None:
    """Refuse (before anything is written) a launcher this machine cannot run: SLURM
    launchers need ``sbatch`` (to submit) and ``srun`` (submitit checks for it) on PATH.
    """
    target = str(config.hydra.launcher.get("_target_", ""))
    if target.endswith("SlurmLauncher"):
        absent = [c for c in ("sbatch", "srun") if shutil.which(c) is None]
        if absent:
            raise SweepRefused(
                "the SLURM launcher (hydra/launcher=slurm) needs SLURM, but "
                f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not on PATH "
                "on this machine; launch from a SLURM login node, or run locally with "
                "hydra/launcher=joblib (the default) or submitit_local"
            )
