"""Sweeps that lose nothing: manifest before launch, one isolated process per run,
failure records, and ``feedlab verify``.

This module is the sweep machinery's public face (it re-exports the names below); each
concept lives in its own module:

- :mod:`feedlab.experiments.sweepdir`: the sweep directory's layout and its manifest
  (:func:`expected_runs`, :func:`complete_runs`);
- :mod:`feedlab.experiments.plan`: expand the grid, compose and check every job, refuse
  before launch (:class:`SweepRefused`), build and write the manifest;
- :mod:`feedlab.experiments.execute`: one job (:func:`run_job`), failure records;
- :mod:`feedlab.experiments.verify`: :func:`verify`, its :class:`Report`, ``feedlab
  verify`` (:func:`verify_main`);
- :mod:`feedlab.experiments.callback`: :class:`SweepCallback`, the progress line, and
  :func:`launch_aborted`;
- :mod:`feedlab.experiments.batch`: sweeps in batches (workers that import once, SLURM
  array tasks packed with many runs).

A sweep directory (``hydra.sweep.dir``; default ``<output.dir>/sweeps/default``) is
self-contained::

    <sweep>/sweep.json                 manifest: every expected run key and its overrides
    <sweep>/runs/<run key>/            committed runs (experiments/record.py layout)
    <sweep>/runs/.staging/             runs being written (private; renamed into place)
    <sweep>/failures/<key>.<n>.json    one record per failed attempt n (never under runs/)
    <sweep>/started/<key>.json         the lease of a run in progress (experiments/leases.py)
    <sweep>/multirun.yaml              Hydra's record of the launch
    <sweep>/.submitit/                 submitit's own job files (submitit launchers only)

How a ``feedlab run -m ...`` flows:

1. :class:`SweepCallback` ``on_multirun_start`` (registered in ``hydra.callbacks`` as
   ``feedlab.experiments.sweep.SweepCallback``) expands the grid exactly as Hydra's basic
   sweeper does, composes and validates every job's config, refuses the sweep before
   launch if it is larger than ``limits.max_runs``, if any run is invalid or too big for
   the machine, or if the runs that execute at the same time would not fit in memory
   together; then writes ``sweep.json`` (atomically) and takes an exclusive lock on the
   directory.
2. By default (``sweep.batch``) the callback then executes the sweep itself, in batches
   (:mod:`feedlab.experiments.batch`): pre-imported local workers, or submitit array
   tasks of ``sweep.runs_per_task`` runs; every run goes through :func:`run_job` as
   below, and the callback goes on to step 3 without Hydra's launcher. Otherwise
   the launcher (joblib, submitit_local, submitit_slurm) calls the task
   :func:`feedlab.experiments.app.main` once per job, which calls :func:`run_job`: skip if
   the run is already complete, otherwise run it in an isolated child process
   (:mod:`feedlab.experiments.isolate`) and, if it did not commit a complete run, write a
   failure record. A lease (:mod:`feedlab.experiments.leases`) marks the run as started
   until then. :func:`run_job` never raises, so one failure never takes the pool down.
3. ``on_multirun_end`` runs :func:`verify` and ends the process with exit code 0 if and
   only if every expected run is complete (1 otherwise). If the launcher itself gives up
   (a killed joblib worker, a lost SLURM job, Ctrl-C), :func:`launch_aborted` (called by
   :func:`feedlab.experiments.app.main`) prints the same report, the dead runs named.

Run keys are the only path components feedlab derives from a config; no override value
ever becomes part of a path. feedlab never unpickles anything from a results directory
(submitit keeps its own pickled job files under ``.submitit/``; only submitit reads them).
"""

from __future__ import annotations

from feedlab.experiments.callback import SweepCallback, launch_aborted
from feedlab.experiments.execute import next_attempt, record_failure, run_job
from feedlab.experiments.plan import (
    Job,
    SweepRefused,
    check_launcher_available,
    expand,
    plan,
    write_manifest,
)
from feedlab.experiments.sweepdir import (
    FAILURES,
    FORMAT,
    LOCK,
    MANIFEST,
    RUNS,
    complete_runs,
    expected_runs,
    load_manifest,
)
from feedlab.experiments.verify import CATEGORIES, Report, verify, verify_main

__all__ = [
    "CATEGORIES",
    "FAILURES",
    "FORMAT",
    "LOCK",
    "MANIFEST",
    "RUNS",
    "Job",
    "Report",
    "SweepCallback",
    "SweepRefused",
    "check_launcher_available",
    "complete_runs",
    "expand",
    "expected_runs",
    "launch_aborted",
    "load_manifest",
    "next_attempt",
    "plan",
    "record_failure",
    "run_job",
    "verify",
    "verify_main",
    "write_manifest",
]
