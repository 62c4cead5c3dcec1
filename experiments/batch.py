"""Sweeps in batches: a worker process imports feedlab once and runs many configurations.

Hydra's launchers run one *job* per sweep cell: a joblib worker or an array task composes
the job's config again (Hydra, ~0.2 s), imports everything, starts its own run-isolation
process (which imports everything again) and runs one simulation. For small runs that is
nearly all of the cost. When ``sweep.batch`` is true (the default) and the launcher is one
of those below, the sweep callback (:mod:`feedlab.experiments.callback`) executes the
sweep itself instead, from the configs it has already composed and checked
(:func:`feedlab.experiments.plan.plan`), and Hydra's launcher never starts:

``hydra/launcher=joblib`` (the default) and ``basic``
    ``hydra.launcher.n_jobs`` workers (``basic``: one). Each worker is one pre-imported
    run-isolation process (:mod:`feedlab.experiments.isolate`'s zygote) that lives for the
    whole launch and forks one child per run, driven by one thread of the launching
    process. The launching process imports no simulation code.
``hydra/launcher=slurm``, ``ci_slurm``, ``submitit_slurm``, ``submitit_local``
    The runs to do are packed into array tasks of ``sweep.runs_per_task`` runs each
    (0 = as few runs per task as keep the array within ``sweep.max_tasks`` tasks, so a
    10⁵-run sweep fits a cluster's ``MaxArraySize``), submitted with submitit with the
    launcher's own SLURM settings. Each task (:func:`run_task`) imports once and runs its
    runs one after another, each in an isolated child. A task's file
    (``<sweep>/.batches/<launch>/task.<i>.json``) holds one base config and, per run, its
    key, overrides and the few values in which its config differs from the base
    (:func:`delta`): JSON, never pickled by feedlab.

Every run still goes through :func:`feedlab.experiments.execute.run_job`: skipped if
complete, a lease while it runs, an isolated child (a crash, ``os._exit``, the
out-of-memory killer or a timeout costs that run only), atomic commit with ``DONE`` and
hashes, a failure record otherwise. A run whose reconstructed config does not give the
planned run key is refused with a failure record, never run under another key. Outputs
are the bytes a one-job-per-run launch writes (tests/experiments/test_sweeps.py).
``sweep.batch=false`` hands the launch back to Hydra's launcher, one job per run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feedlab.experiments.plan import Job

JOBLIB = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
BASIC = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
SUBMITIT = {
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher": "slurm",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher": "local",
}
BATCHES = ".batches"
TASK_FORMAT = 1


# --------------------------------------------------------------------------------------
# configs as one base and small differences


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True are different)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def delta(base: Mapping[str, Any], cfg: Mapping[str, Any]) -> list[list[Any]]:
    """The changes that turn ``base`` into ``cfg``: ``[path, value]`` pairs, ``path`` a
    list of keys. A mapping whose keys (or their order) differ is replaced whole, so that
    :func:`apply` rebuilds ``cfg`` with its keys in their order (the order is part of a
    run's ``config.yaml`` and of its Parquet metadata).
    """
    out: list[list[Any]] = []

    def walk(b: Mapping[str, Any], c: Mapping[str, Any], path: list[str]) -> None:
        if list(b) != list(c):
            out.append([path, c])
            return
        for k, v in c.items():
            if isinstance(v, dict) and isinstance(b[k], dict):
                walk(b[k], v, [*path, k])
            elif not _same(b[k], v):
                out.append([[*path, k], v])

    walk(base, cfg, [])
    return out


def apply(base: Mapping[str, Any], changes: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """``base`` with ``changes`` (:func:`delta`) applied; ``base`` is not modified."""
    import copy

    data: dict[str, Any] = copy.deepcopy(dict(base))
    for path, value in changes:
        if not path:
            data = copy.deepcopy(dict(value))
            continue
        node = data
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = copy.deepcopy(value)
    return data


# --------------------------------------------------------------------------------------
# the launching process


def settings(config: Any) -> dict[str, Any]:
    """The sweep's ``sweep`` node (``batch``, ``runs_per_task``, ``max_tasks``)."""
    node = config.get("sweep") if hasattr(config, "get") else None
    node = dict(node) if node is not None else {}
    return {
        "batch": bool(node.get("batch", True)),
        "runs_per_task": int(node.get("runs_per_task") or 0),
        "max_tasks": int(node.get("max_tasks") or 1000),
    }


def executes(config: Any) -> bool:
    """Whether feedlab executes this sweep itself (module doc) rather than Hydra's
    launcher: ``sweep.batch`` is true and the launcher is one feedlab can stand in for.
    """
    target = str(config.hydra.launcher.get("_target_", ""))
    return settings(config)["batch"] and (target in (JOBLIB, BASIC) or target in SUBMITIT)


def local_workers(config: Any, n_runs: int) -> int:
    """How many worker processes a local batch uses: ``hydra.launcher.n_jobs`` (joblib's
    meaning: a negative value counts back from the number of CPUs), at most one per run.
    """
    launcher = config.hydra.launcher
    if str(launcher.get("_target_", "")) != JOBLIB:
        return 1
    n = int(launcher.get("n_jobs") or 1)
    cpus = os.cpu_count() or 1
    n = cpus + 1 + n if n < 0 else n
    return max(1, min(n, n_runs))


def prestart(config: Any, sweep_dir: Path) -> int:
    """Before planning a new local batched sweep (no manifest yet in ``sweep_dir``),
    have its workers' pre-imported processes on the way, so that their import and
    warm-up overlap the planning (:func:`feedlab.experiments.isolate.ensure_spares`: the
    one ``feedlab run -m`` started at once, :func:`feedlab.experiments.app.main`, and
    clones of it); the number: the workers the launcher would use, at most one per CPU.
    Their warm-up run starts from the sweep's own config, shrunk
    (:func:`feedlab.experiments.isolate.warm_up_config`). A relaunch (a manifest exists: often nothing is left to run), a sweep on another
    launcher or unbatched stops the one started at once.
    """
    from feedlab.experiments import isolate
    from feedlab.experiments.sweepdir import MANIFEST

    target = str(config.hydra.launcher.get("_target_", ""))
    if not executes(config) or target not in (JOBLIB, BASIC) or (sweep_dir / MANIFEST).exists():
        isolate.discard_spare_zygotes()  # the one feedlab run may have started at once
        return 0
    n = local_workers(config, n_runs=os.cpu_count() or 1)
    isolate.ensure_spares(n)  # the one already started (app.main) and clones of it
    # its warm-up starts from the sweep's config (shrunk): no Hydra in the zygote
    from omegaconf import OmegaConf

    with contextlib.suppress(Exception):  # not resolvable: it composes the defaults
        isolate.warm_spares_with(OmegaConf.to_container(config, resolve=True))  # type: ignore[arg-type]
    return n


def pack(keys: Sequence[Any], runs_per_task: int, max_tasks: int) -> list[list[Any]]:
    """Split ``keys`` into array tasks, in order: ``runs_per_task`` each (0 = the fewest
    per task that keep the array within ``max_tasks`` tasks).
    """
    if not keys:
        return []
    per = runs_per_task if runs_per_task > 0 else max(1, math.ceil(len(keys) / max_tasks))
    return [list(keys[i : i + per]) for i in range(0, len(keys), per)]


def check_packing(config: Any, n_runs: int) -> str | None:
    """Why a submitit sweep of ``n_runs`` runs cannot be packed as set (None if it can):
    an explicit ``sweep.runs_per_task`` that makes more than ``sweep.max_tasks`` tasks.
    """
    target = str(config.hydra.launcher.get("_target_", ""))
    s = settings(config)
    if not s["batch"] or target not in SUBMITIT or s["runs_per_task"] <= 0:
        return None
    tasks = math.ceil(n_runs / s["runs_per_task"])
    if tasks > s["max_tasks"]:
        need = math.ceil(n_runs / s["max_tasks"])
        return (
            f"sweep.runs_per_task = {s['runs_per_task']} packs {n_runs:,} runs into "
            f"{tasks:,} array tasks, more than sweep.max_tasks = {s['max_tasks']:,}; "
            f"set sweep.runs_per_task={need} (or 0 = automatic), or raise sweep.max_tasks"
        )
    return None


def execute(config: Any, todo: Sequence[Job], sweep_dir: Path) -> set[str]:
    """Run the jobs ``todo`` (one per distinct run key) with the sweep's launcher settings
    (module doc); the keys of the runs this process saw commit (local workers only; none
    for array tasks). Raises KeyboardInterrupt after stopping every run on Ctrl-C.
    """
    if not todo:
        return set()
    target = str(config.hydra.launcher.get("_target_", ""))
    if target in SUBMITIT:
        _run_submitit(config, todo, sweep_dir, SUBMITIT[target])
        return set()
    committed: set[str] = set()
    run_local(todo, sweep_dir, local_workers(config, len(todo)), committed)
    return committed


def run_local(
    todo: Sequence[Job], sweep_dir: Path, workers: int, committed: set[str] | None = None
) -> dict[str, int]:
    """Run the jobs on ``workers`` pre-imported worker processes (one thread of this
    process drives each); the count of each :func:`run_job` status. ``committed``, if
    given, receives the keys of the runs that completed (status ``complete``).
    """
    from feedlab.experiments import isolate

    queue = list(reversed(todo))
    lock = threading.Lock()
    stop = threading.Event()
    finished = threading.Event()  # every worker has ended
    counts: dict[str, int] = {}
    running = [workers]

    def work() -> None:
        from feedlab.experiments.execute import run_job

        isolate.expect_many_runs()
        try:
            while not stop.is_set():
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                status = run_job(
                    job.config(),
                    job.overrides,
                    sweep_dir=sweep_dir,
                    job_num=job.num,
                    key=job.key,
                    interrupted=stop,
                )
                with lock:
                    counts[status] = counts.get(status, 0) + 1
                    if status == "complete" and committed is not None:
                        committed.add(job.key)
        finally:
            isolate.close_zygote()
            with lock:
                running[0] -= 1
                if running[0] == 0:
                    finished.set()

    isolate.ensure_spares(workers)  # one starts (if none was prestarted), the rest are clones
    for i in range(workers):
        threading.Thread(target=work, name=f"feedlab-worker-{i}", daemon=True).start()
    # wait on an Event, not Thread.join: a Ctrl-C that interrupts join() can leave the
    # thread looking finished (CPython < 3.13), and the interrupted runs unrecorded
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        stop.set()
        isolate.kill_zygotes()
        finished.wait(60)  # each worker records its interrupted run, then ends
        raise
    return counts


# --------------------------------------------------------------------------------------
# submitit (SLURM and its local stand-in)


def _executor(config: Any, cluster: str) -> Any:
    """A submitit executor with the launcher's settings, mapped exactly as Hydra's
    submitit launcher maps them (hydra_plugins.hydra_submitit_launcher).
    """
    import submitit
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(config.hydra.launcher, resolve=True)
    assert isinstance(raw, dict)
    params = {str(k): v for k, v in raw.items() if k != "_target_"}
    init_keys = {"max_num_timeout"}
    init = {"folder": params["submitit_folder"]}
    init.update({f"{cluster}_{k}": v for k, v in params.items() if k in init_keys})
    executor = submitit.AutoExecutor(cluster=cluster, **init)
    base_keys = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(
        **{
            (k if k in base_keys else f"{cluster}_{k}"): v
            for k, v in params.items()
            if k not in init_keys | {"submitit_folder"}
        }
    )
    return executor


def write_tasks(todo: Sequence[Job], sweep_dir: Path, runs_per_task: int, max_tasks: int) -> Path:
    """Write one task file per array task (module doc) into a new folder of
    ``<sweep>/.batches/``; returns the folder.
    """
    from feedlab.experiments.record import write_bytes_atomic
    from feedlab.experiments.sweepdir import make_dir

    folder = sweep_dir / BATCHES / f"{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}"
    make_dir(folder)
    for i, part in enumerate(pack(list(todo), runs_per_task, max_tasks)):
        base = part[0].base
        runs = [
            {
                "num": j.num,
                "key": j.key,
                "overrides": j.overrides,
                # the planner's changes when they are against this base (always, for a plan)
                "delta": j.changes if j.base is base else delta(base or {}, j.config()),
            }
            for j in part
        ]
        task = {"format": TASK_FORMAT, "base": base, "runs": runs}
        # key order kept (not sorted): it is part of a run's config.yaml and Parquet metadata
        write_bytes_atomic(folder / f"task.{i}.json", json.dumps(task).encode())
    return folder


def _run_submitit(config: Any, todo: Sequence[Job], sweep_dir: Path, cluster: str) -> None:
    """Submit the packed array and wait for it; a task that the scheduler lost is
    reported (its runs show as died or missing in the report that follows).
    """
    s = settings(config)
    folder = write_tasks(todo, sweep_dir, s["runs_per_task"], s["max_tasks"])
    files = sorted(folder.glob("task.*.json"), key=lambda p: int(p.name.split(".")[1]))
    executor = _executor(config, cluster)
    quiet = bool(config.output.get("quiet", False))
    if not quiet:
        print(
            f"feedlab: {len(todo)} runs packed into {len(files)} array task(s) of up to "
            f"{math.ceil(len(todo) / len(files))} runs (sweep.runs_per_task, sweep.max_tasks)",
            file=sys.stderr,
        )
    jobs = executor.map_array(run_task, [str(sweep_dir)] * len(files), [str(f) for f in files])
    lost = 0
    for job in jobs:
        try:
            job.results()
        except Exception as exc:  # a task the scheduler killed, or that could not start
            lost += 1
            text = " ".join(str(exc).split())[:300]
            print(f"feedlab: array task {job.job_id} ended abnormally: {text}", file=sys.stderr)
    if lost == 0:
        shutil.rmtree(folder, ignore_errors=True)


def run_task(sweep_dir: str, task_file: str) -> dict[str, int]:
    """The body of one array task: run every run of ``task_file`` in turn through
    :func:`~feedlab.experiments.execute.run_job` (each in an isolated child); the count of
    each status. Called by submitit in the task's process.
    """
    from feedlab.experiments import isolate
    from feedlab.experiments.execute import run_job

    task = json.loads(Path(task_file).read_text())
    if task.get("format") != TASK_FORMAT:
        raise ValueError(f"{task_file}: not a feedlab task file of format {TASK_FORMAT}")
    counts: dict[str, int] = {}
    if len(task["runs"]) > 1:
        isolate.expect_many_runs()
    try:
        for run in task["runs"]:
            status = run_job(
                apply(task["base"], run["delta"]),
                run["overrides"],
                sweep_dir=sweep_dir,
                job_num=run["num"],
                key=run["key"],
            )
            counts[status] = counts.get(status, 0) + 1
    finally:
        isolate.close_zygote()
    with contextlib.suppress(OSError):
        Path(task_file).unlink()
    return counts
