"""One run, one process: a crash, a kill or an exit inside a run costs exactly that run.

A sweep job (one Hydra job: a joblib worker task, a submitit/SLURM array task) never runs
a simulation in its own process. It hands the resolved config to a fresh child process
and waits; whatever the child does — raise, call ``sys.exit(0)``, get SIGKILLed by the
out-of-memory killer, hang — the job survives, measures what happened and reports it
(:class:`Outcome`), and the sweep records it as a failure (:mod:`feedlab.experiments.execute`).

How the child is made (``FEEDLAB_ISOLATION``):

``fork`` (default on Linux)
    Each job process starts, once, a *zygote*: ``python -m feedlab.experiments.isolate --zygote``,
    a fresh interpreter that imports :mod:`feedlab.experiments.run` and then does nothing but fork
    one child per request (the idea of ``multiprocessing``'s forkserver, without its
    pickled process objects and ``__main__`` re-imports). Before its second child (with
    ``--zygote-warm``, which a batch worker asks for, its first) it runs one tiny
    throwaway simulation in a temporary directory (its sweep's config, shrunk:
    :func:`warm_up_config`), so later children inherit loaded
    compiled kernels, and freezes the garbage collector's view of what it has loaded
    (``gc.freeze``: fewer pages copied into each child). Each thread of a process has its
    own zygote (a batch drives several workers from threads of one process); in a batch
    only the first is started, the others are clones of it, forked once it is warm
    (:meth:`_Zygote.clone`). Children start in milliseconds instead of the ~3 s an import
    costs. The zygote must stay single-threaded for fork to be safe (pyarrow's jemalloc
    thread and tqdm's monitor are switched off); if a thread ever appears it refuses to
    fork and the job falls back to ``exec`` with a message. Results do not depend on
    any of this (tested: fork, exec and in-process runs give identical bytes).
``exec`` (default elsewhere, e.g. macOS)
    Each run is a brand-new interpreter: ``python -m feedlab.experiments.isolate --once``.

Either way the child: has BLAS/OpenMP/numba threads pinned to 1 (environment set before
any numerical library loads), a umask that never grants group/world write, an optional
address-space cap (``resource.RLIMIT_AS`` = ``limits.run_memory_gb``), dies with its
parent (Linux ``PR_SET_PDEATHSIG``), ignores Ctrl-C (SIGINT: it goes with its job), and
is SIGKILLed after ``limits.run_timeout_s``.
Requests and reports are JSON lines on pipes: no pickle crosses a process boundary here,
and nothing is ever unpickled from a results directory.

Exit codes of the child: 0 run committed, 1 exception, 2 config refused, 3 the task
called ``sys.exit`` (any code, including 0), 4 ``MemoryError``; a negative code is the
signal that killed it.

Fault injection, for tests only: ``FEEDLAB_TEST_FAULTS`` holds a JSON object mapping run
keys (16 hex digits) to a fault — ``kill_mid_write`` (SIGKILL after writing half of
``events.parquet`` into the staging directory), ``exit0`` (``sys.exit(0)`` while writing
the results), ``raise``, ``hang``, ``alloc`` (ask for 64 GiB). A run is only affected if
this variable is set *and* names its exact run key; every injected fault is announced on
stderr and recorded in the failure record (``injected_fault``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PINNED_THREADS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
FAULTS_ENV = "FEEDLAB_TEST_FAULTS"
ISOLATION_ENV = "FEEDLAB_ISOLATION"
FAULT_KINDS = ("kill_mid_write", "exit0", "raise", "hang", "alloc")
REPORT_LIMIT = 12_000  # characters of traceback kept in a report
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_SYSEXIT, EXIT_MEMORY = 0, 1, 2, 3, 4
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Outcome:
    """What happened to one isolated run."""

    exit_code: int | None  # the child's exit code (None if a signal killed it)
    signal: int | None  # the signal that killed it
    timed_out: bool
    wall_seconds: float
    pid: int  # the child's pid (its staging directory carries it)
    report: dict[str, Any] = field(default_factory=dict)  # what the child said, if anything
    memory_gb: float = 0.0
    timeout_s: float = 0.0
    fault: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the child exited with code 0 in time (it may still not have committed)."""
        return self.exit_code == EXIT_OK and not self.timed_out

    def reason(self) -> str:
        """One line: why the run failed."""
        if self.timed_out:
            return f"timeout: killed after {self.timeout_s:g} s (limits.run_timeout_s)"
        if self.signal is not None:
            name = _signal_name(self.signal)
            hint = (
                " (an external kill or the out-of-memory killer)"
                if self.signal == signal.SIGKILL
                else ""
            )
            return f"killed by signal {self.signal} ({name}){hint}"
        if self.exit_code == EXIT_MEMORY:
            cap = f"limits.run_memory_gb = {self.memory_gb:g}" if self.memory_gb else "no cap"
            return f"out of memory: MemoryError ({cap})"
        if self.report.get("reason"):
            return str(self.report["reason"])
        if self.exit_code == EXIT_OK:
            return "exited with code 0 without committing a result"
        return f"exited with code {self.exit_code} without a report"


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "unknown"


def child_environment() -> dict[str, str]:
    """The environment of run processes: threads pinned to 1. The child runs this
    interpreter, where feedlab is installed (editable or wheel), so it needs no path.
    """
    env = dict(os.environ)
    for var in PINNED_THREADS:
        env[var] = "1"
    # pyarrow's jemalloc starts a background thread at import; a single-threaded zygote
    # is what makes fork safe, so switch that thread off (allocation itself is unchanged)
    env.setdefault("JE_ARROW_MALLOC_CONF", "background_thread:false")
    env.pop(FAULTS_ENV, None)  # faults travel in the request, per run key
    return env


def fault_for(key: str) -> str | None:
    """The test fault injected into run ``key`` (``FEEDLAB_TEST_FAULTS``), if any."""
    raw = os.environ.get(FAULTS_ENV)
    if not raw:
        return None
    try:
        table = json.loads(raw)
    except ValueError:
        print(f"feedlab: {FAULTS_ENV} is not a JSON object; ignored", file=sys.stderr)
        return None
    kind = table.get(key) if isinstance(table, dict) else None
    if kind is None:
        return None
    if kind not in FAULT_KINDS:
        print(f"feedlab: {FAULTS_ENV}: unknown fault {kind!r}; ignored", file=sys.stderr)
        return None
    print(f"feedlab: TEST FAULT {kind!r} injected into run {key} ({FAULTS_ENV})", file=sys.stderr)
    return str(kind)


def isolation_mode() -> str:
    """How children are made: ``FEEDLAB_ISOLATION`` (``fork`` or ``exec``), by default
    ``fork`` on Linux and ``exec`` elsewhere (module doc); ValueError for another value.
    """
    mode = os.environ.get(ISOLATION_ENV) or ("fork" if sys.platform == "linux" else "exec")
    if mode not in ("fork", "exec"):
        raise ValueError(f"{ISOLATION_ENV}: {mode!r} is not allowed; allowed: fork, exec")
    return mode


def run_isolated(
    config: Mapping[str, Any],
    overrides: Sequence[str],
    key: str,
    *,
    memory_gb: float = 0.0,
    timeout_s: float = 0.0,
) -> Outcome:
    """Run one resolved config to its run directory in a child process; never raises for
    anything the run does (only for a broken installation).
    """
    fault = fault_for(key)
    request: dict[str, Any] = {
        "config": dict(config),
        "overrides": list(overrides),
        "key": key,
        "memory_bytes": int(memory_gb * 2**30),
        "fault": fault,
    }
    outcome = None
    if isolation_mode() == "fork" and (zygote := _thread_zygote(config)) is not None:
        try:
            outcome = zygote.run(request, timeout_s)
        except _ForkUnsafeError as exc:
            _give_up_fork(str(exc))
    if outcome is None:
        outcome = _exec_once(request, timeout_s)
    outcome.memory_gb, outcome.timeout_s, outcome.fault = memory_gb, timeout_s, fault
    return outcome


# --------------------------------------------------------------------------------------
# parent side


def _decode_status(status: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


class _LineReader:
    """Read JSON lines from a pipe with a deadline (select on the raw descriptor)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = b""

    def read(self, deadline: float | None) -> dict[str, Any] | None:
        """The next message; None on timeout. Raises EOFError when the pipe closes."""
        while b"\n" not in self.buf:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


class _ClonePid:
    """What a :class:`_Zygote` uses of ``Popen``, for a clone: a child of this process by
    re-parenting (:func:`_become_subreaper`), not by ``Popen``.
    """

    def __init__(self, stdin: Any) -> None:
        self.pid = 0  # from the clone's hello
        self.stdin = stdin
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            if not self.pid:
                return None
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # not (or no longer) ours to wait for
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if not self.pid:
                return -1
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"zygote clone {self.pid}", timeout or 0)
            time.sleep(0.005)
        return code

    def kill(self) -> None:
        if self.pid and self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


class _Zygote:
    """A pre-imported template process that forks one child per run (see module doc);
    a warm one can also be cloned (:meth:`clone`).
    """

    def __init__(self, warm: bool = False, wait: bool = True) -> None:
        self.owner = os.getpid()
        _ALL.add(self)
        mode = "--zygote-warm" if warm else "--zygote"
        # a control socket: the pipe ends of a clone travel over it (SCM_RIGHTS)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ctl: socket.socket | None = ours
        try:
            self.proc: subprocess.Popen[bytes] | _ClonePid = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "feedlab.experiments.isolate",
                    mode,
                    str(os.getpid()),
                    str(theirs.fileno()),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=child_environment(),
                close_fds=True,
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        assert self.proc.stdout is not None
        self.reader = _LineReader(self.proc.stdout.fileno())
        self.warm = warm
        self.warm_up_sent = not warm  # a warm zygote waits for its warm-up's config
        self.threads = 0
        if wait:
            self.handshake()

    @classmethod
    def clone(cls, template: _Zygote) -> _Zygote:
        """A zygote forked from the warm, ready zygote ``template``, which has served no
        run yet: no interpreter start, import or warm-up of its own (~1.6 s of CPU each).
        RuntimeError if it cannot be made (the caller starts a zygote instead).
        """
        if template.ctl is None or not (
            template.warm and template.threads == 1 and template.alive()
        ):
            raise RuntimeError("only a warm, ready, single-threaded zygote is cloned")
        if not _become_subreaper():
            raise RuntimeError("cannot become a child subreaper")
        stdin = template.proc.stdin
        assert stdin is not None
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        try:
            socket.send_fds(template.ctl, [b"clone"], [req_r, rep_w])  # type: ignore[arg-type]
            stdin.write(b'{"clone": true}\n')
            stdin.flush()
            reply = template.reader.read(time.monotonic() + 60)
        except (OSError, EOFError) as exc:
            for fd in (req_w, rep_r):
                os.close(fd)
            raise RuntimeError(f"the zygote could not be cloned: {exc}") from None
        finally:
            os.close(req_r)
            os.close(rep_w)
        if not reply or not reply.get("cloned"):
            for fd in (req_w, rep_r):
                os.close(fd)
            raise RuntimeError("the zygote refused to be cloned")
        self = cls.__new__(cls)
        self.owner = os.getpid()
        _ALL.add(self)
        self.ctl = None
        self.proc = _ClonePid(os.fdopen(req_w, "wb"))
        self.reader = _LineReader(rep_r)
        self.warm = True
        self.warm_up_sent = True  # warm already
        self.threads = 0
        self.handshake()
        return self

    def send_warm_up(self, config: Mapping[str, Any] | None) -> None:
        """Tell a warm zygote, once, what its warm-up run starts from: ``config`` (plain
        data, a sweep's config) or, None, the embedded defaults (:func:`_warm_up`). It
        reads this after its imports, so a config sent while it imports costs nothing.
        """
        if self.warm_up_sent:
            return
        self.warm_up_sent = True
        assert self.proc.stdin is not None
        try:
            line = json.dumps({"warm_up": config})
        except (TypeError, ValueError):  # not plain data: the defaults
            line = json.dumps({"warm_up": None})
        with contextlib.suppress(OSError):  # it died: the handshake says so
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()

    def handshake(self) -> None:
        """Wait for the zygote's hello (it has imported feedlab and, if warm, warmed up);
        RuntimeError if it did not start.
        """
        if self.threads:
            return
        self.send_warm_up(None)  # nobody sent one: the defaults
        try:
            hello = self.reader.read(time.monotonic() + 300)
        except EOFError:
            hello = None
        if not hello or not hello.get("ready"):
            self.close()
            raise RuntimeError("feedlab: the run-isolation process (zygote) did not start")
        if isinstance(self.proc, _ClonePid):
            self.proc.pid = int(hello["pid"])
        self.threads = int(hello.get("threads", 1))

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.ctl is not None:
            self.ctl.close()
        if isinstance(self.proc, _ClonePid):
            with contextlib.suppress(OSError):
                os.close(self.reader.fd)

    def run(self, request: dict[str, Any], timeout_s: float) -> Outcome:
        assert self.proc.stdin is not None
        t0 = time.monotonic()
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        pid = None
        try:
            started = self.reader.read(t0 + 300)
            if started is not None and "unsafe" in started:
                raise _ForkUnsafeError(str(started["unsafe"]))
            if started is None or "pid" not in started:
                raise EOFError
            pid = int(started["pid"])
            # the clock starts with the run (a warm-up before the first run is not its time)
            deadline = time.monotonic() + timeout_s if timeout_s > 0 else None
            timed_out = False
            done = self.reader.read(deadline)
            if done is None:  # the run is over time: kill it, then collect its status
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                done = self.reader.read(None)
        except EOFError:
            self.close()
            _LOCAL.zygote = None
            raise ZygoteDiedError(pid) from None
        assert done is not None
        code, sig = _decode_status(int(done["wait_status"]))
        return Outcome(
            exit_code=code,
            signal=sig,
            timed_out=timed_out,
            wall_seconds=round(time.monotonic() - t0, 3),
            pid=pid,
            report=_parse_report(done.get("report", "")),
        )


class ZygoteDiedError(RuntimeError):
    """The run-isolation process (the worker that forks the runs) died, and with it the
    run it was running, if any (``run_pid``: that run's process, whose staging directory
    is named after it).
    """

    def __init__(self, run_pid: int | None):
        super().__init__("feedlab: the run-isolation process (zygote) died")
        self.run_pid = run_pid


class _ForkUnsafeError(RuntimeError):
    """The zygote has more than one thread: forking it could deadlock the child."""


# One zygote per thread: a batch executor (experiments/batch.py) drives several workers
# from threads of one process, each with its own zygote; a plain job has one thread.
_LOCAL = threading.local()
_ALL: weakref.WeakSet[_Zygote] = weakref.WeakSet()
_EXEC: set[subprocess.Popen[bytes]] = set()  # run processes of exec mode, while they run
_FORK_UNSAFE: str | None = None  # why this process fell back to exec mode
_SPARES: list[_Zygote] = []  # zygotes not yet taken by a worker thread
_CLONES = 0  # zygotes still to be cloned from the first spare (prestart_zygotes)
_CLONING = False  # a worker is cloning its zygote: the others wait for the clones
_SPARE_LOCK = threading.Condition()
_SUBREAPER: bool | None = None


def _become_subreaper() -> bool:
    """Linux: make this process a child subreaper (``PR_SET_CHILD_SUBREAPER``), so that
    a zygote's clone, whose forking parent exits at once, is re-parented to it (it can be
    waited for, and dies with it); whether it is one.
    """
    global _SUBREAPER
    if _SUBREAPER is None:
        _SUBREAPER = False
        if sys.platform == "linux":
            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(None, use_errno=True)
                _SUBREAPER = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _SUBREAPER


def _give_up_fork(why: str) -> None:
    global _FORK_UNSAFE
    zygote = getattr(_LOCAL, "zygote", None)
    if zygote is not None:
        zygote.close()
    _LOCAL.zygote, _FORK_UNSAFE = None, why
    print(
        f"feedlab: run isolation falls back to one fresh interpreter per run ({why})",
        file=sys.stderr,
    )


def _take_spare() -> tuple[_Zygote | None, int]:
    """A spare zygote (waiting while another worker is cloning) and how many clones the
    taker must make from it before its first run (those :func:`prestart_zygotes`
    promised; the first taker makes them).
    """
    global _CLONING
    with _SPARE_LOCK:
        while not _SPARES and _CLONING:
            _SPARE_LOCK.wait()
        if not _SPARES:
            return None, 0
        spare = _SPARES.pop()
        if _CLONES and not _CLONING:
            _CLONING = True
            return spare, _CLONES
        return spare, 0


def _make_clones(template: _Zygote | None, n: int) -> None:
    """Clone ``template`` ``n`` times into the spares (best effort: a worker that finds
    no spare starts its own zygote), waking the workers waiting for them.
    """
    global _CLONES, _CLONING
    made: list[_Zygote] = []
    try:
        for _ in range(n if template is not None else 0):
            made.append(_Zygote.clone(template))  # type: ignore[arg-type]
    except RuntimeError:
        pass
    finally:
        with _SPARE_LOCK:
            _SPARES.extend(made)
            _CLONES, _CLONING = 0, False
            _SPARE_LOCK.notify_all()


def _thread_zygote(config: Mapping[str, Any] | None = None) -> _Zygote | None:
    """The zygote of the calling thread, started once per thread (or taken from those
    :func:`prestart_zygotes` started or cloned); None if forking is not safe here.
    A warm one not yet told what to warm up on starts from ``config`` (the run about to
    be served: :func:`warm_up_config`).
    """
    if _FORK_UNSAFE is not None:
        return None
    zygote: _Zygote | None = getattr(_LOCAL, "zygote", None)
    if zygote is not None and zygote.alive():
        return zygote
    zygote = None
    if getattr(_LOCAL, "many", False):
        spare, clones = _take_spare()
        try:
            if spare is not None and spare.alive():
                spare.send_warm_up(config)  # if the launch did not
                spare.handshake()  # RuntimeError if it died meanwhile (killed on Ctrl-C, say)
                zygote = spare
        finally:
            if clones:  # before the template serves its first run (None: it did not start)
                _make_clones(zygote, clones)
    if zygote is None:
        zygote = _Zygote(warm=getattr(_LOCAL, "many", False), wait=False)
        zygote.send_warm_up(config)
        zygote.handshake()
    _LOCAL.zygote = zygote
    if zygote.threads > 1:  # a library started a thread at import: fork is not safe
        _give_up_fork(f"the pre-imported process has {zygote.threads} threads")
        return None
    return zygote


def prestart_zygotes(n: int) -> None:
    """Have ``n`` warm zygotes ready for the batch workers that ask for one later
    (:func:`expect_many_runs`): one starts now, without waiting for it, and imports and
    warms up while the launching process plans the sweep; the other ``n - 1`` are
    cloned from it when the first worker takes it (no import or warm-up of their own).
    Nothing happens in ``exec`` mode. Those never taken end with
    :func:`discard_spare_zygotes` or with this process.
    """
    global _CLONES
    if n <= 0 or _FORK_UNSAFE is not None or isolation_mode() != "fork":
        return
    with _SPARE_LOCK:
        _SPARES.append(_Zygote(warm=True, wait=False))
        _CLONES += n - 1


_SWEEP_PRESTARTED = False


def prestart_for_sweep() -> None:
    """``feedlab run -m``: the first worker's zygote starts now, once per process (the
    command-line entry point calls this before it imports Hydra, and the Hydra app again
    for ``python -m feedlab.experiments.app``-style entries; the second call does
    nothing). It reads no config; a sweep that is refused or does not need it stops it
    (:func:`feedlab.experiments.batch.prestart`). Best effort: a failure starts nothing.
    """
    global _SWEEP_PRESTARTED
    if _SWEEP_PRESTARTED:
        return
    _SWEEP_PRESTARTED = True
    with contextlib.suppress(Exception):
        prestart_zygotes(1)


def ensure_spares(n: int) -> None:
    """At least ``n`` zygotes spare or still to be cloned: more clones of the first spare,
    or a :func:`prestart_zygotes` of ``n`` if there is none (a batch's workers, before
    they start).
    """
    global _CLONES
    with _SPARE_LOCK:
        have = len(_SPARES) + _CLONES
        if have >= n:
            return
        if _SPARES:
            _CLONES += n - have
            return
    prestart_zygotes(n)


def warm_spares_with(config: Mapping[str, Any]) -> None:
    """The spare zygotes still to warm up start their warm-up from ``config`` (a
    sweep's config, plain data; :func:`warm_up_config`) instead of composing the
    defaults with Hydra.
    """
    with _SPARE_LOCK:
        for zygote in _SPARES:
            zygote.send_warm_up(config)


def discard_spare_zygotes() -> None:
    """Stop the prestarted zygotes that no worker took (and the clones still to come)."""
    global _CLONES
    with _SPARE_LOCK:
        spares = list(_SPARES)
        _SPARES.clear()
        _CLONES = 0  # clones a worker adds after this end with this process
        _SPARE_LOCK.notify_all()
    for zygote in spares:  # SIGTERM: one still starting removes its warm-up folder
        with contextlib.suppress(OSError):
            if isinstance(zygote.proc, subprocess.Popen):
                zygote.proc.terminate()
            else:
                zygote.proc.kill()
        zygote.close()


def expect_many_runs() -> None:
    """Tell isolation that this thread will run many runs: its zygote warms up (loads the
    compiled kernels) before its first child rather than its second (experiments/batch.py).
    """
    _LOCAL.many = True


def kill_zygotes() -> None:
    """SIGKILL every zygote of this process (any thread's) and every run process started
    in ``exec`` mode: their running runs die, and each waiting thread sees its run fail.
    For an interrupted batch.
    """
    for zygote in list(_ALL):
        if zygote.owner == os.getpid():
            with contextlib.suppress(OSError):
                zygote.proc.kill()
    for proc in list(_EXEC):
        with contextlib.suppress(OSError):
            proc.kill()


def close_zygote() -> None:
    """Stop this thread's zygote, if it has one (its running child dies with it)."""
    zygote = getattr(_LOCAL, "zygote", None)
    _LOCAL.zygote = None
    if zygote is not None:
        zygote.close()


def _exec_once(request: dict[str, Any], timeout_s: float) -> Outcome:
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedlab.experiments.isolate", "--once", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_environment(),
        close_fds=True,
    )
    timed_out = False
    _EXEC.add(proc)
    try:
        out, _ = proc.communicate(json.dumps(request).encode(), timeout=timeout_s or None)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, _ = proc.communicate()
    finally:
        _EXEC.discard(proc)
    rc = proc.returncode
    return Outcome(
        exit_code=rc if rc >= 0 else None,
        signal=-rc if rc < 0 else None,
        timed_out=timed_out,
        wall_seconds=round(time.monotonic() - t0, 3),
        pid=proc.pid,
        report=_parse_report(out.decode(errors="replace")),
    )


def _parse_report(text: str) -> dict[str, Any]:
    try:
        report = json.loads(text) if text.strip() else {}
    except ValueError:
        return {"raw": text[-REPORT_LIMIT:]}
    return report if isinstance(report, dict) else {}


# --------------------------------------------------------------------------------------
# child side


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGKILL when the parent goes away (no orphaned runs)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(EXIT_ERROR)


def _restrict_umask() -> None:
    """Never grant group/world write on anything a run creates (only ever tightens)."""
    old = os.umask(0o022)
    os.umask(old | 0o022)


def _install_fault(kind: str | None, memory_bytes: int) -> None:
    """Test-only faults (module doc). They fire while the results are being written."""
    if kind is None:
        return
    from feedlab.experiments import record

    original = record.write_parquet

    def faulty(path: Path, columns: Any) -> None:
        if kind == "kill_mid_write" and path.name == "events.parquet":
            original(path, columns)
            size = path.stat().st_size
            with open(path, "r+b") as f:  # half a file under its name, then death
                f.truncate(size // 2)
                f.flush()
                os.fsync(f.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        if path.name == "timeseries.parquet":
            if kind == "exit0":
                sys.exit(0)
            if kind == "raise":
                raise RuntimeError("injected test fault (FEEDLAB_TEST_FAULTS)")
            if kind == "hang":
                time.sleep(3600)
            if kind == "alloc":
                import numpy as np

                big = np.empty(max(64 * 2**30, 2 * memory_bytes), dtype=np.uint8)
                del big
        original(path, columns)

    record.write_parquet = faulty  # type: ignore[assignment]


def _child(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run one request in this (child) process: (exit code, report)."""
    _restrict_umask()
    if request.get("memory_bytes"):
        import resource

        cap = int(request["memory_bytes"])
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))

    def failed(code: int, reason: str) -> tuple[int, dict[str, Any]]:
        tb = traceback.format_exc()
        return code, {
            "status": "failed",
            "reason": reason,
            "exception": type(sys.exc_info()[1]).__name__,
            "traceback": tb[-REPORT_LIMIT:],
        }

    try:
        from feedlab.experiments.run import run_experiment
        from feedlab.experiments.schema import ConfigError

        _install_fault(request.get("fault"), int(request.get("memory_bytes") or 0))
        res = run_experiment(request["config"], overrides=request["overrides"])
        if res.key != request["key"]:
            return EXIT_ERROR, {
                "status": "failed",
                "reason": f"run key {res.key} differs from the sweep's {request['key']}",
            }
        return EXIT_OK, {"status": "ok", "key": res.key, "skipped": res.skipped}
    except SystemExit as exc:
        return failed(EXIT_SYSEXIT, f"the run called sys.exit({exc.code!r}) before committing")
    except MemoryError:
        return failed(EXIT_MEMORY, "out of memory: MemoryError")
    except ConfigError as exc:
        return failed(EXIT_CONFIG, f"configuration refused: {exc}")
    except BaseException as exc:
        return failed(EXIT_ERROR, f"{type(exc).__name__}: {exc}"[:2000])


def _child_exit(code: int, report: dict[str, Any], fd: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    data = json.dumps(report).encode()
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data) :]
        os.close(fd)
    os._exit(code)


def _protocol_stdout() -> int:
    """Keep the real stdout for protocol messages; send prints to stderr."""
    fd = os.dup(1)
    os.dup2(2, 1)
    return fd


def _ignore_interrupt() -> None:
    """Ctrl-C reaches the whole process group; a run process leaves it to its job (and
    dies with it, PR_SET_PDEATHSIG) instead of printing a KeyboardInterrupt traceback, so
    the sweep's report lists the interrupted run as died.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _once(parent: int) -> None:
    _ignore_interrupt()
    _die_with_parent(parent)
    out = _protocol_stdout()
    request = json.loads(sys.stdin.buffer.read())
    code, report = _child(request)
    _child_exit(code, report, out)


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


#: the warm-up run: at most this many users (a generated network's ``network.n``) ...
WARM_UP_USERS = 60
#: ... for this many steps, enough that rewiring runs: its kernels load in the zygote,
#: not in every run process
WARM_UP_STEPS = 12


def warm_up_config(base: Mapping[str, Any], out_dir: str) -> dict[str, Any]:
    """The warm-up run's config made from ``base`` (a sweep's config, plain data): the
    same options, so the kernels its runs use are the ones loaded, shrunk to
    :data:`WARM_UP_USERS` users and :data:`WARM_UP_STEPS` steps, writing into ``out_dir``
    quietly.
    """
    data = json.loads(json.dumps(base))  # a deep copy of plain data
    data.pop("hydra", None)
    data["steps"] = WARM_UP_STEPS
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("n"), int):
        network["n"] = min(network["n"], WARM_UP_USERS)
    output = data.setdefault("output", {})
    if isinstance(output, dict):
        output.update(dir=out_dir, progress=False, quiet=True)
    return data


def _warm_up(base: Mapping[str, Any] | None = None) -> bool:
    """One tiny throwaway run in a temporary directory, so that every child inherits
    loaded compiled kernels (saves ~1 s per run): ``base`` shrunk
    (:func:`warm_up_config`; the job sends its sweep's config, so the zygote needs no
    Hydra of its own), else, or if that run fails, the embedded defaults, composed with
    Hydra (~0.3 s more). Best effort: failure changes nothing.
    """
    import shutil
    import tempfile

    from feedlab.experiments.run import compose, run_experiment

    tmp = tempfile.mkdtemp(prefix="feedlab-warmup-")
    try:
        if base is not None:
            with contextlib.suppress(Exception):
                run_experiment(warm_up_config(base, tmp))
                return True
        defaults = [f"network.n={WARM_UP_USERS}", f"steps={WARM_UP_STEPS}"]
        run_experiment(warm_up_config(compose(defaults), tmp))
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_warm_up(requests: Any) -> Mapping[str, Any] | None:
    """A warm zygote's first request line: the config its warm-up starts from
    (``{"warm_up": config or null}``, :meth:`_Zygote.send_warm_up`); exits if the job
    closed the requests first.
    """
    line = requests.readline()
    if not line:
        os._exit(EXIT_OK)
    config = json.loads(line).get("warm_up")
    return config if isinstance(config, dict) else None


# A run process serves several runs of its zygote in turn while they are small: forking,
# copy-on-write faults and exit cost ~20 ms a process, as much as a whole run of N = 200
# for 10 steps (docs/sweeps.md, "How children are made").
RUNNER_MAX_RUNS = 100  # then a fresh run process
RUNNER_MAX_SECONDS = 2.0  # a run longer than this ends its run process (reuse pays for small runs)


class _Runner:
    """The zygote's handle of its current run process: requests go down one pipe, one
    JSON line per finished run comes back up another. The process ends after a run that
    did not commit (any exit code but 0, a test fault), a long run, a run under an
    address-space cap (``limits.run_memory_gb``: the cap is per run, so such a run has a
    process of its own), or :data:`RUNNER_MAX_RUNS` runs; a signal ends it at any time. Every run is still its own
    outcome: the zygote reports each to the job as before.
    """

    def __init__(self, zygote_pid: int, protocol_fd: int, memory_bytes: int) -> None:
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        self.memory_bytes = memory_bytes
        self.served = 0
        self.t0 = 0.0
        self.pid = os.fork()
        if self.pid == 0:  # the run process
            os.close(self.req_w)
            os.close(self.rep_r)
            os.close(protocol_fd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            _die_with_parent(zygote_pid)
            _serve_runs(req_r, rep_w)
        os.close(req_r)
        os.close(rep_w)
        self.reader = _LineReader(self.rep_r)

    def accepts(self, request: dict[str, Any]) -> bool:
        """Whether this process may run ``request`` (the same address-space cap)."""
        return int(request.get("memory_bytes") or 0) == self.memory_bytes

    def submit(self, request: dict[str, Any]) -> bool:
        """Hand over one run; False if the process is gone (then it has been reaped)."""
        data = json.dumps(request).encode() + b"\n"
        try:
            while data:
                data = data[os.write(self.req_w, data) :]
        except OSError:  # it died while idle (killed from outside)
            self.reap()
            return False
        self.t0 = time.monotonic()
        return True

    def wait(self, request: dict[str, Any]) -> tuple[int, str, bool]:
        """Wait for the submitted run: (wait status, report text, still alive)."""
        try:
            done = self.reader.read(None)
        except EOFError:  # killed (a signal, a timeout) before it could report
            return self.reap(), "", False
        assert done is not None
        code, report = int(done["code"]), json.dumps(done["report"])
        self.served += 1
        if code != EXIT_OK or request.get("fault"):
            return self.reap(), report, False  # it exits after such a run
        # an address-space cap is per run: a capped run has a process of its own
        alive = (
            not self.memory_bytes
            and self.served < RUNNER_MAX_RUNS
            and time.monotonic() - self.t0 <= RUNNER_MAX_SECONDS
        )
        if not alive:
            self.reap()
        return 0, report, alive

    def reap(self) -> int:
        """Close the request pipe (the process ends) and collect its wait status."""
        with contextlib.suppress(OSError):
            os.close(self.req_w)
        with contextlib.suppress(OSError):
            os.close(self.rep_r)
        _, status = os.waitpid(self.pid, 0)
        return status


def _serve_runs(req_fd: int, rep_fd: int) -> None:
    """The run process's loop: one run per request line, one report line per run; exit
    after a run that did not commit (with its exit code) or when the requests end.
    """
    with os.fdopen(req_fd, "rb") as requests:
        for line in requests:
            request = json.loads(line)
            code, report = _child(request)
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            data = json.dumps({"code": code, "report": report}).encode() + b"\n"
            with contextlib.suppress(OSError):
                while data:
                    data = data[os.write(rep_fd, data) :]
            if code != EXIT_OK or request.get("fault"):
                os._exit(code)
    os._exit(EXIT_OK)


def _zygote(parent: int, warm: bool = False, ctl: int = -1) -> None:
    _ignore_interrupt()  # inherited by the forked runs
    _die_with_parent(parent)
    # a spare discarded while it starts (a refused sweep) is stopped with SIGTERM: exit
    # through Python, so that the warm-up's temporary directory is removed
    signal.signal(signal.SIGTERM, _exit_on_term)
    out = _protocol_stdout()
    from tqdm import tqdm

    import feedlab.experiments.run  # noqa: F401  (the whole point: import once, fork many)

    tqdm.monitor_interval = 0  # no tqdm monitor thread in a process that forks
    if warm:  # many runs to serve: warming up pays off at once
        _warm_and_freeze(_read_warm_up(sys.stdin.buffer))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # runs die of SIGTERM as before
    ctl_sock = socket.socket(fileno=ctl) if ctl >= 0 else None
    _zygote_loop(sys.stdin.buffer, out, parent, ctl_sock, warm)
    # the requests ended (the job closed them): exit at once, as run processes and clones
    # do. Interpreter shutdown of a process holding mesa, numba and their caches takes
    # ~0.1 s, on the critical path of a sweep's end (the job waits for its zygotes).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(EXIT_OK)


def _exit_on_term(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _warm_and_freeze(base: Mapping[str, Any] | None) -> None:
    _warm_up(base)
    # every object so far is shared with the children: kept out of the garbage
    # collector's scans, its pages are not copied into each child (copy-on-write)
    gc.collect()
    gc.freeze()


def _zygote_loop(
    requests: Any, out: int, parent: int, ctl_sock: socket.socket | None, warm: bool
) -> None:
    """Say hello, then serve each request line: a run (in the current run process) or,
    from a warm zygote, a clone of itself (:func:`_clone`).
    """

    def send(msg: dict[str, Any]) -> None:
        os.write(out, json.dumps(msg).encode() + b"\n")

    send({"ready": True, "pid": os.getpid(), "threads": _thread_count()})
    me = os.getpid()
    served = 0
    runner: _Runner | None = None
    for line in requests:
        request = json.loads(line)
        if request.get("clone"):
            if runner is not None:  # a clone must not hold this run process's pipes
                runner.reap()
                runner = None
            send({"cloned": _clone(parent, ctl_sock, out, warm)})
            continue
        if served == 1 and not warm:  # a second run: warming up pays off now
            _warm_and_freeze(request.get("config"))
            warm = True
        served += 1
        if (threads := _thread_count()) > 1:
            send({"unsafe": f"the pre-imported process has {threads} threads"})
            continue
        runner = _serve(runner, request, me, out, send)
    if runner is not None:  # its run process ends with the requests; collect it
        runner.reap()


def _clone(parent: int, ctl_sock: socket.socket | None, out: int, warm: bool) -> bool:
    """Fork a copy of this (warm, single-threaded) zygote that serves the two pipe ends
    the job process sent over the control socket; whether it was made. The copy is
    forked from an intermediate process that exits at once, so it is re-parented to the
    job process (a child subreaper, :func:`_become_subreaper`): the job can wait for it,
    and it dies with the job, not with this zygote.
    """
    if ctl_sock is None or not warm or _thread_count() > 1:
        return False
    _, fds, _, _ = socket.recv_fds(ctl_sock, 64, 2)
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return False
    req_fd, rep_fd = fds
    middle = os.fork()
    if middle == 0:
        try:
            if os.fork() == 0:
                _be_clone(parent, req_fd, rep_fd, ctl_sock, out)
        finally:
            os._exit(0)
    os.close(req_fd)
    os.close(rep_fd)
    os.waitpid(middle, 0)
    return True


def _be_clone(
    parent: int, req_fd: int, rep_fd: int, ctl_sock: socket.socket, zygote_out: int
) -> None:
    """The clone's life (never returns): drop the original's protocol, wait to be the job
    process's child, then serve requests on the received pipes as a warm zygote.
    """
    try:
        ctl_sock.close()
        os.close(zygote_out)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the original's requests are not ours
        os.close(devnull)
        deadline = time.monotonic() + 10
        while os.getppid() != parent:  # re-parenting follows the middle process's exit
            if time.monotonic() > deadline:
                os._exit(EXIT_ERROR)
            time.sleep(0.001)
        _die_with_parent(parent)
        with os.fdopen(req_fd, "rb") as requests:
            _zygote_loop(requests, rep_fd, parent, None, warm=True)
    finally:
        os._exit(0)


def _serve(
    runner: _Runner | None,
    request: dict[str, Any],
    zygote_pid: int,
    protocol_fd: int,
    send: Any,
) -> _Runner | None:
    """Run one request in the current run process (a new one if there is none, it cannot
    take the request, or it died while idle), telling the job its pid, then its end; the
    run process for the next request (None if it has ended).
    """
    if runner is not None and not runner.accepts(request):
        runner.reap()
        runner = None
    if runner is None or not runner.submit(request):
        runner = _Runner(zygote_pid, protocol_fd, int(request.get("memory_bytes") or 0))
        if not runner.submit(request):  # died at once: report it as this run's end
            send({"pid": runner.pid})
            send({"pid": runner.pid, "wait_status": runner.reap(), "report": ""})
            return None
    send({"pid": runner.pid})
    status, report, alive = runner.wait(request)
    send({"pid": runner.pid, "wait_status": status, "report": report})
    return runner if alive else None


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] in ("--zygote", "--zygote-warm"):
        ctl = int(sys.argv[3]) if len(sys.argv) == 4 else -1
        _zygote(int(sys.argv[2]), warm=sys.argv[1] == "--zygote-warm", ctl=ctl)
    elif len(sys.argv) == 3 and sys.argv[1] == "--once":
        _once(int(sys.argv[2]))
    else:
        print(
            "usage: python -m feedlab.experiments.isolate "
            "--zygote|--zygote-warm|--once PARENT_PID [CONTROL_FD]",
            file=sys.stderr,
        )
        sys.exit(2)
