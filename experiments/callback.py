"""The Hydra callback of a sweep launch (``hydra.callbacks.feedlab_sweep``): plan, lock and
write the manifest before the launch, show a progress line during it, verify and set the
exit code after it, and report a launch the launcher itself gave up on.

``on_multirun_start`` refuses a sweep (exit code 2, nothing written) that
:func:`feedlab.experiments.plan.plan` refuses, then writes ``sweep.json`` and takes an
exclusive lock on the sweep directory. ``on_multirun_end`` runs
:func:`feedlab.experiments.verify.verify` and ends the process with exit code 0 if and
only if every expected run is complete (1 otherwise). If the launcher fails (a killed
joblib worker, a lost SLURM job, Ctrl-C), :func:`launch_aborted` (called by
:func:`feedlab.experiments.app.main`) prints the same report, the dead runs named.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from feedlab.experiments import leases
from feedlab.experiments.plan import (
    Job,
    SweepRefused,
    check_launcher_available,
    plan,
    write_manifest,
)
from feedlab.experiments.sweepdir import FAILURES, LOCK, RUNS, make_dir, restrict_umask
from feedlab.experiments.verify import Report, verify


class _Progress:
    """The sweep's progress line on stderr — done / failed / remaining / elapsed / ETA —
    read from the sweep directory (so it works with every launcher) by a thread of the
    launching process.

    On a terminal one line is rewritten in place; otherwise (a log file, a CI job) a new
    line is printed when the counts have changed, at most every ``every`` seconds. A run
    counts as done once its ``DONE`` file is written during this launch (or it was
    complete before it), as failed once a failure record of it is written during this
    launch.
    """

    def __init__(
        self,
        sweep_dir: Path,
        keys: Sequence[str],
        *,
        before: set[str],
        started: float,
        stream: Any = None,
        live: bool | None = None,
        every: float = 30.0,
        poll: float = 1.0,
    ):
        self.runs = sweep_dir / RUNS
        self.failures = sweep_dir / FAILURES
        self.keys = set(keys)
        self.done = set(before) & self.keys
        self.n_before = len(self.done)
        self.started = started
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.every = every
        self.poll = poll
        self.shown: tuple[int, int] | None = None
        self.last_print = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="feedlab-progress", daemon=True)
        self.thread.start()

    def counts(self) -> tuple[int, int]:
        """(done, failed) runs, from the sweep directory."""
        with contextlib.suppress(OSError):
            for name in os.listdir(self.runs):
                if name in self.keys and name not in self.done:
                    with contextlib.suppress(OSError):
                        if (self.runs / name / "DONE").stat().st_mtime >= self.started:
                            self.done.add(name)
        failed = set()
        with contextlib.suppress(OSError):
            for f in os.scandir(self.failures):
                key = f.name.split(".")[0]
                if key in self.keys and key not in self.done and key not in failed:
                    with contextlib.suppress(OSError):
                        if f.stat().st_mtime >= self.started:
                            failed.add(key)
        return len(self.done), len(failed)

    def line(self, done: int, failed: int, now: float) -> str:
        """The progress line; the ETA extrapolates the runs finished in this launch."""
        total = len(self.keys)
        remaining = total - done - failed
        finished = done - self.n_before + failed
        elapsed = now - self.started
        if remaining == 0:
            eta = "0:00"
        elif finished > 0:
            eta = _clock(elapsed / finished * remaining)
        else:
            eta = "?"
        return (
            f"sweep: {done}/{total} done, {failed} failed, {remaining} remaining, "
            f"{_clock(elapsed)} elapsed, ETA {eta}"
        )

    def show(self, final: bool = False) -> None:
        """Write the line: in place on a terminal, else only when the counts changed (at
        most every ``every`` seconds unless ``final``).
        """
        done, failed = self.counts()
        now = time.time()
        if self.live:
            self.stream.write("\r" + self.line(done, failed, now) + "\x1b[K")
            if final:
                self.stream.write("\n")
        elif (done, failed) != self.shown and (final or now - self.last_print >= self.every):
            self.stream.write(self.line(done, failed, now) + "\n")
            self.shown, self.last_print = (done, failed), now
        with contextlib.suppress(Exception):
            self.stream.flush()

    def _loop(self) -> None:
        while not self.stop.wait(self.poll):
            with contextlib.suppress(Exception):  # a progress line must never stop a sweep
                self.show()

    def close(self) -> None:
        """Stop the thread and write the final line."""
        self.stop.set()
        self.thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.show(final=True)


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


_ACTIVE: SweepCallback | None = None  # the launch in progress in this process, if any
_LAUNCHER_LOGGERS = ("hydra_plugins", "hydra._internal.core_plugins")


class SweepCallback(Callback):
    """Hydra callback (``hydra.callbacks.feedlab_sweep``): manifest, lock, progress line
    before the launch; verification and the exit code after it (module doc).
    """

    def __init__(self) -> None:
        self._lock: Any = None
        self._progress: _Progress | None = None
        self._started = 0.0
        self._before: set[str] = set()
        self._sweep_dir: Path | None = None
        self._quiet = False
        self._full_error: str | None = None
        self._committed: set[str] = set()  # runs this process saw commit (batch.execute)

    # Launchers pickle Hydra's context (and with it this callback) to their workers:
    # nothing process-specific (lock, thread) may travel.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        """Plan the sweep, write its manifest, lock its directory and start the progress
        line; a refused sweep exits with code 2 before anything is written (Hydra itself
        would only log a callback's exception and launch anyway).
        """
        from feedlab.experiments import batch, isolate

        try:
            with contextlib.suppress(Exception):  # an optimisation: planning decides
                batch.prestart(config, Path(str(config.hydra.sweep.dir)).absolute())
            jobs = self._start(config)
        except SweepRefused as exc:
            isolate.discard_spare_zygotes()
            print(f"feedlab: sweep refused before launch: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        except Exception:  # Hydra would only warn and launch anyway: refuse instead
            isolate.discard_spare_zygotes()
            traceback.print_exc()
            print("feedlab: sweep refused: could not prepare the manifest", file=sys.stderr)
            raise SystemExit(2) from None
        except BaseException:
            isolate.discard_spare_zygotes()
            raise
        if batch.executes(config):
            try:
                self._execute(config, jobs)
            finally:
                isolate.discard_spare_zygotes()
        isolate.discard_spare_zygotes()  # Hydra's launcher runs the jobs: none are used

    def _execute(self, config: Any, jobs: list[Job]) -> None:
        """Execute the sweep in batches (:mod:`feedlab.experiments.batch`) instead of
        Hydra's launcher, then verify and exit as :meth:`on_multirun_end` does: Hydra's
        sweeper and launcher never start. Any failure of the machinery ends the launch
        with the report (:meth:`abort`); Hydra would only warn about it and launch anyway.
        """
        from omegaconf import OmegaConf

        from feedlab.experiments import batch

        assert self._sweep_dir is not None
        todo, seen = [], set(self._before)
        for job in jobs:  # one job per distinct run, in grid order
            if job.key not in seen:
                seen.add(job.key)
                todo.append(job)
        try:
            OmegaConf.save(config, self._sweep_dir / "multirun.yaml")  # as Hydra's sweeper does
            self._committed = batch.execute(config, todo, self._sweep_dir)
        except SystemExit:
            raise
        except BaseException as exc:  # Ctrl-C, or the machinery failed: report, exit 1/130
            self.abort(exc)
        self.on_multirun_end(config)
        raise SystemExit(0)

    def _start(self, config: Any) -> list[Job]:
        global _ACTIVE
        restrict_umask()
        check_launcher_available(config)
        sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        quiet = bool(config.output.get("quiet", False))
        t0 = time.perf_counter()
        complete: set[str] = set()
        jobs, manifest = plan(config, sweep_dir, complete)  # no side effects on refusal
        make_dir(sweep_dir)
        self._lock = _acquire_lock(sweep_dir)
        write_manifest(sweep_dir, manifest)
        keys = [e["key"] for e in manifest["expected"]]
        self._sweep_dir, self._quiet = sweep_dir, quiet
        self._before = complete & set(keys)
        self._started = time.time()
        if quiet:  # the launchers' per-job log lines too
            for name in _LAUNCHER_LOGGERS:
                logging.getLogger(name).setLevel(logging.WARNING)
        else:
            print(
                f"feedlab sweep {sweep_dir}: {len(jobs)} jobs, {len(keys)} distinct runs, "
                f"{len(self._before)} already complete (planned in "
                f"{time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
            )
        if not quiet and bool(config.output.get("progress", True)) and self._before != set(keys):
            self._progress = _Progress(sweep_dir, keys, before=self._before, started=self._started)
        # If the launcher itself fails (a killed worker), let the exception reach
        # feedlab.experiments.app.main (launch_aborted) instead of Hydra printing it.
        self._full_error = os.environ.get("HYDRA_FULL_ERROR")
        os.environ["HYDRA_FULL_ERROR"] = "1"
        _ACTIVE = self
        return jobs

    def _finish(self) -> Report:
        """Stop the progress line, verify, release the lock and Hydra's error switch."""
        global _ACTIVE
        _ACTIVE = None
        if self._full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = self._full_error
        if self._progress is not None:
            self._progress.close()
        assert self._sweep_dir is not None
        report = verify(self._sweep_dir, launch_over=True, committed=self._committed)
        _release_lock(self._lock)
        return report

    def _summary(self, report: Report) -> str:
        executed = [k for k in report.complete if k not in self._before]
        died = f"{len(report.died)} died, " if report.died else ""
        return (
            f"  this launch: {len(executed)} runs executed and complete, "
            f"{len(report.failed)} failed, {died}{len(self._before)} skipped (already complete)"
        )

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Verify the sweep and print its report (unless ``output.quiet`` and the sweep is
        complete); exit with code 1 unless every expected run is complete.
        """
        report = self._finish()
        if not self._quiet or not report.ok:
            print(report.text(limit=20), file=sys.stderr)
            print(self._summary(report), file=sys.stderr)
        if not report.ok:
            print(
                f"feedlab: sweep incomplete; re-launch the same command to resume, or "
                f"inspect with: feedlab verify {self._sweep_dir}",
                file=sys.stderr,
            )
            raise SystemExit(1)

    def abort(self, exc: BaseException) -> None:
        """The launcher gave up (exception or Ctrl-C): report and exit 1 (130 on Ctrl-C)."""
        interrupted = isinstance(exc, KeyboardInterrupt)
        if self._full_error and not interrupted:  # the user asked for Hydra's full errors
            traceback.print_exception(exc)
        _wait_for_jobs(self._sweep_dir, timeout=10.0)
        report = self._finish()
        why = "interrupted (Ctrl-C)" if interrupted else _one_line(exc)
        print(f"feedlab: the launcher stopped the sweep: {why}", file=sys.stderr)
        print(report.text(limit=20), file=sys.stderr)
        print(self._summary(report), file=sys.stderr)
        if report.died:
            print(
                f"feedlab: {len(report.died)} run(s) died with their job process (listed "
                "under died); completed runs are kept",
                file=sys.stderr,
            )
        print(
            f"feedlab: sweep {'complete' if report.ok else 'incomplete'}; re-launch the same "
            f"command to resume, or inspect with: feedlab verify {self._sweep_dir}",
            file=sys.stderr,
        )
        raise SystemExit(130 if interrupted else 1)


def _one_line(exc: BaseException) -> str:
    """``Type: first sentence`` of an exception (loky's worker errors run to a page)."""
    text = " ".join(str(exc).split())
    first = text.split(". ")[0].rstrip(".")
    codes = text.find("The exit codes of the workers are")  # loky: which signal
    if codes >= 0:
        first += "; the" + text[codes + 3 :].split(". ")[0].split(" Detailed")[0].rstrip(".")
    return f"{type(exc).__name__}: {first[:300]}"


def _wait_for_jobs(sweep_dir: Path | None, timeout: float) -> None:
    """Give the job processes of this host that hold leases a moment to exit (a broken
    joblib pool terminates its other workers), so that they are reported as died.
    """
    if sweep_dir is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [
            lease
            for lease in leases.read_all(sweep_dir).values()
            if leases.holder_state(lease) == "alive" and lease.get("pid") != os.getpid()
        ]
        if not alive:
            return
        time.sleep(0.2)


def launch_aborted(exc: BaseException) -> None:
    """Called with an exception that left Hydra's launch: if a sweep launch was in
    progress in this process, print its report and exit (1; 130 on Ctrl-C); otherwise
    return (the caller re-raises).
    """
    if _ACTIVE is not None:
        _ACTIVE.abort(exc)


def _acquire_lock(sweep_dir: Path) -> Any:
    """An exclusive lock on the sweep directory for the duration of a launch."""
    import fcntl

    f = open(sweep_dir / LOCK, "a")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise SweepRefused(
            f"another launch is using {sweep_dir} (lock {LOCK}); "
            "wait for it, or choose another hydra.sweep.dir"
        ) from None
    return f


def _release_lock(lock: Any) -> None:
    if lock is not None:
        with contextlib.suppress(OSError):
            lock.close()
