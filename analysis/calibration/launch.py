"""Calibration simulations on the sweep launchers: ``feedlab calibrate --launcher NAME``.

By default (``inprocess``) a calibration runs the simulations of each batch the sampler
asks for in its own process, or in ``--jobs`` forked workers
(:meth:`feedlab.analysis.validation.runner.Context.map`). With ``--launcher`` naming one
of the sweep launchers, every such batch is handed to the sweep machinery instead,
exactly as ``feedlab run -m`` executes a sweep in batches
(:func:`feedlab.experiments.batch.execute`, docs/sweeps.md): pre-imported local workers
(``joblib``: ``hydra.launcher.n_jobs`` of them, ``basic``: one) or the array tasks of one
submitit array job (``submitit_local``, ``slurm``, ``submitit_slurm``, ``ci_slurm``;
``sweep.runs_per_task`` runs per task, at most ``sweep.max_tasks`` tasks). The
calibration waits for the batch, then goes on.

No second mechanism: the launcher's settings are the sweep's own config —
``hydra/launcher=NAME`` plus the command line's ``hydra.launcher.*`` and ``sweep.*``
overrides, composed by Hydra from conf/ (:func:`load`), refused before anything is
written by the guard ``feedlab run`` uses (:func:`feedlab.experiments.guard.check_command_line`:
no launcher ``setup`` commands, no other class), by the run schema (``sweep.*``) and by
the sweep's availability check (:func:`feedlab.experiments.plan.check_launcher_available`:
SLURM needs ``sbatch`` and ``srun``). Every run goes through
:func:`feedlab.experiments.execute.run_job` into the calibration's folder — the same run
key and ``OUT/runs/<key>/`` with ``DONE`` as in process, a lease while it runs, an
isolated child, a failure record ``OUT/failures/<key>.<n>.json`` if it does not
complete — so ``feedlab verify OUT`` reads the folder, and a relaunch with any launcher
reuses every complete run. A run whose config would not give the planned key is refused
by ``run_job``, never run under another key.

Results do not depend on the launcher: a run's outputs are a function of its config
(the run key), and the calibration reads the same files whichever process wrote them;
the sampler's own draws never depend on how the runs were executed (tested: the same
posterior in process and with ``joblib``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedlab.experiments.schema import ConfigError

INPROCESS = "inprocess"
#: ``--launcher`` values: in process (the default), or a launcher of the sweep machinery
#: (``hydra/launcher=NAME``, conf/hydra/launcher/ and Hydra's joblib/submitit plugins).
NAMES = (INPROCESS, "joblib", "basic", "submitit_local", "slurm", "submitit_slurm", "ci_slurm")
#: Override prefixes that configure the launcher, not the runs (the sweep's own keys).
SETTINGS = ("hydra.launcher.", "sweep.")


class RunsFailed(Exception):
    """Runs of a batch did not complete; the message names each run key and its failure
    record (complete runs are kept and reused by the same command).
    """


def is_setting(override: str) -> bool:
    """Whether a command-line override configures the launcher (``hydra.launcher.*``,
    ``sweep.*``, ``hydra/launcher=``) rather than the simulations.
    """
    key = override.split("=", 1)[0].lstrip("+~")
    return key.startswith(SETTINGS) or key == "hydra/launcher"


@dataclass(frozen=True)
class Launch:
    """A checked sweep launcher for a calibration's batches (module doc)."""

    name: str
    settings: tuple[str, ...]
    config: Any = field(compare=False, repr=False)  # the composed sweep config (hydra node)

    def describe(self) -> str:
        """How the runs are launched, for the manifest and the report."""
        return " ".join((f"hydra/launcher={self.name}", *self.settings))

    def config_for(self, out: Path) -> Any:
        """The sweep config with ``hydra.sweep.dir`` = ``out`` (submitit's job files go
        to ``out/.submitit/``).
        """
        cfg = copy.deepcopy(self.config)
        cfg.hydra.sweep.dir = str(out.absolute())
        return cfg


def load(
    name: str,
    settings: Sequence[str] = (),
    *,
    out: Path,
    jobs: int | None = None,
    quiet: bool = False,
) -> Launch | None:
    """The checked launcher ``name`` with the command line's launcher ``settings``
    (``hydra.launcher.*``, ``sweep.*``); ``None`` for ``inprocess``. ``jobs`` (``--jobs``,
    if given) is joblib's ``hydra.launcher.n_jobs``. Raises ConfigError naming the field
    and the allowed values before anything is written.
    """
    extra = check(name, settings, jobs)
    if name == INPROCESS:
        return None
    lines = [
        f"hydra/launcher={name}",
        f"hydra.sweep.dir={out.absolute()}",
        *settings,
        *extra,
        f"output.quiet={str(quiet).lower()}",
    ]
    config = _compose(lines)
    _check(config)
    return Launch(name, (*settings, *extra), config)


def check(name: str, settings: Sequence[str] = (), jobs: int | None = None) -> list[str]:
    """The checks of :func:`load` that need no composition (the name, settings with
    ``inprocess``, ``--jobs``): ConfigError, or the overrides ``--jobs`` adds.
    """
    if name not in NAMES:
        raise ConfigError([f"--launcher: {name!r} is not allowed; allowed: {', '.join(NAMES)}"])
    problems = []
    for s in settings:
        if s.split("=", 1)[0].lstrip("+~") == "hydra/launcher":
            problems.append(
                f"{s}: refused; choose the launcher with --launcher (allowed: {', '.join(NAMES)})"
            )
        elif name == INPROCESS:
            problems.append(
                f"{s}: a launcher setting, not used with --launcher {INPROCESS}; allowed with "
                f"--launcher {', '.join(NAMES[1:])}"
            )
    extra = _jobs(name, settings, jobs, problems) if name != INPROCESS else []
    if problems:
        raise ConfigError(problems)
    return extra


def _jobs(name: str, settings: Sequence[str], jobs: int | None, problems: list[str]) -> list[str]:
    """``--jobs`` as the launcher's setting: joblib's ``hydra.launcher.n_jobs``; a
    problem with any other launcher, or next to an explicit ``hydra.launcher.n_jobs``.
    """
    if jobs is None:
        return []
    if name == "basic":
        problems.append("--jobs: not used with --launcher basic (one run at a time); use joblib")
    elif name != "joblib":
        problems.append(
            f"--jobs: not used with --launcher {name}; set hydra.launcher.array_parallelism"
        )
    elif any(s.split("=", 1)[0] == "hydra.launcher.n_jobs" for s in settings):
        problems.append("--jobs: give either --jobs or hydra.launcher.n_jobs, not both")
    elif jobs < 1:
        problems.append(f"--jobs: {jobs} is out of range; allowed: >= 1")
    else:
        return [f"hydra.launcher.n_jobs={jobs}"]
    return []


def _compose(lines: list[str]) -> Any:
    """The sweep config of ``lines`` (hydra node included), checked by ``feedlab run``'s
    guard first. ConfigError naming the field otherwise.
    """
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from feedlab.experiments.guard import check_command_line
    from feedlab.experiments.run import CONF_DIR

    check_command_line(["-m", *lines], CONF_DIR)
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return compose(config_name="config", overrides=lines, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as exc:  # the guard composed it already
        raise ConfigError([f"config: {' '.join(str(exc).split())}"]) from None


def _check(config: Any) -> None:
    """The ``sweep`` node against the run schema, batches on, the launcher available."""
    from feedlab.experiments import batch
    from feedlab.experiments.config import validate
    from feedlab.experiments.plan import SweepRefused, check_launcher_available
    from feedlab.experiments.run import to_container

    validate(to_container(config))  # sweep.* values (ConfigError naming the field)
    if not batch.settings(config)["batch"]:
        raise ConfigError(
            [
                "sweep.batch: false is not allowed with feedlab calibrate --launcher; allowed: "
                "true (feedlab executes each batch of runs itself; Hydra's one-job-per-run "
                "launch needs feedlab run -m)"
            ]
        )
    assert batch.executes(config)
    try:
        check_launcher_available(config)
    except SweepRefused as exc:
        raise ConfigError([f"--launcher {_name(config)}: {exc}"]) from None


def _name(config: Any) -> str:
    return str(config.hydra.runtime.choices.get("hydra/launcher", "?"))


def run(
    launch: Launch, out: Path, items: Sequence[tuple[int, str, dict[str, Any], list[str]]]
) -> None:
    """Run ``items`` — ``(job number, run key, resolved config, overrides)``, each a run
    not yet complete in ``out`` — with the launcher (:func:`feedlab.experiments.batch.execute`).
    Returns when every run has ended; the caller reads which completed.
    """
    from feedlab.experiments import batch
    from feedlab.experiments.plan import Job

    if not items:
        return
    root = out.absolute()
    base = items[0][2]
    jobs = [
        Job(num, list(ov), key, base=base, changes=batch.delta(base, data))
        for num, key, data, ov in items
    ]
    batch.execute(launch.config_for(root), jobs, root)


def run_seconds(run_dir: Path) -> float:
    """The seconds a committed run recorded for itself (its ``manifest.json``; one core)."""
    try:
        return float(json.loads((run_dir / "manifest.json").read_text()).get("wall_seconds", 0))
    except (OSError, ValueError, TypeError):
        return 0.0


def failed_message(out: Path, keys: Sequence[str], of: int) -> str:
    """What :class:`RunsFailed` says: every run key that did not complete, with the
    reason and path of its latest failure record.
    """
    from feedlab.experiments.sweepdir import FAILURES
    from feedlab.experiments.verify import _last_failures

    last = _last_failures(out)
    parts = []
    for key in keys:
        if key in last:
            attempt, reason = last[key]
            rec = out / FAILURES / f"{key}.{attempt}.json"
            parts.append(f"run {key}: {reason} (failure record {rec})")
        else:
            parts.append(
                f"run {key}: no failure record (its job process or array task was lost; "
                f"see {out / '.submitit'} for a submitit launcher)"
            )
    shown = "; ".join(parts[:5]) + (f"; ... {len(parts) - 5} more" if len(parts) > 5 else "")
    return (
        f"{len(keys)} of {of} runs of the batch did not complete: {shown}. "
        f"feedlab verify {out} lists every run"
    )
