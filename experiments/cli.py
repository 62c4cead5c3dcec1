"""The ``feedlab`` command.

    feedlab run [--quiet] [hydra overrides ...]     one run, or a sweep with -m
    feedlab <command> --help                        other commands (see ``feedlab --help``)

``feedlab run`` is the Hydra app of :mod:`feedlab.experiments.app`: every Hydra flag works
(``-m`` for multirun, ``--cfg job`` to print the composed config, ``--hydra-help``).
``feedlab run --help`` is intercepted before Hydra and prints feedlab's own help
(:func:`feedlab.experiments.params.run_help`: the parameters with descriptions, ranges and
defaults; ``feedlab params GROUP`` for each group).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# command -> (module, function, one-line help). Each function takes argv (list[str])
# and returns an exit code.
# Commands whose module is not present in this install are not offered.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("feedlab.experiments.app", "main", "run a simulation (Hydra app; -m for a sweep)"),
    "explore": (
        "feedlab.experiments.explore",
        "main",
        "explore a model in the browser (Mesa SolaraViz): live metrics, network, feeds",
    ),
    "params": (
        "feedlab.experiments.params",
        "main",
        "every config parameter: description, type, allowed values, default",
    ),
    "verify": (
        "feedlab.experiments.verify",
        "verify_main",
        "check a sweep directory: complete, failed, missing, corrupt",
    ),
    "aggregate": (
        "feedlab.analysis.aggregate",
        "main",
        "sweep directory -> results.parquet + timeseries.parquet",
    ),
    "figures": ("feedlab.analysis.figures", "main", "regenerate the paper figures into figures/"),
    "validate": (
        "feedlab.analysis.validation",
        "main",
        "canonical models and stylized facts: expected vs measured",
    ),
    "report": (
        "feedlab.analysis.report",
        "main",
        "per-topic reports: ranking, influencers, cascades (tables, figures)",
    ),
    "bench": (
        "feedlab.benchmarks.run",
        "main",
        "benchmarks against the peers -> docs/performance.md",
    ),
    "sensitivity": (
        "feedlab.analysis.sensitivity",
        "main",
        "Morris screening or Sobol' indices of a metric over chosen parameters",
    ),
    "calibrate": (
        "feedlab.analysis.calibration",
        "main",
        "fit parameters to field targets (ABC-SMC); predict held-out targets",
    ),
    "query": (
        "feedlab.analysis.query",
        "main",
        "SQL (DuckDB) over a sweep's runs: timeseries, summary, agents, events views",
    ),
}


def _available(name: str) -> bool:
    import importlib.util

    module = COMMANDS[name][0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _usage() -> str:
    lines = ["usage: feedlab <command> [args]", "", "commands:"]
    lines += [f"  {name:12s} {h}" for name, (_, _, h) in COMMANDS.items() if _available(name)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The ``feedlab`` command: dispatch ``argv`` (default ``sys.argv[1:]``) to the
    command's function (:data:`COMMANDS`) and return its exit code; 2 for an unknown
    command. ``run`` is handed to Hydra, after feedlab's own ``--help`` and ``--quiet``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd not in COMMANDS or not _available(cmd):
        print(f"feedlab: unknown command {cmd!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, func, _ = COMMANDS[cmd]
    if cmd == "run":
        if "-h" in rest or "--help" in rest:  # feedlab's help, not Hydra's value list
            from feedlab.experiments.params import run_help

            # defaults as composed with the value overrides (never the hydra node)
            values = [a for a in rest if "=" in a and "hydra" not in a.split("=", 1)[0]]
            print(run_help(values))
            return 0
        if "--quiet" in rest or "-q" in rest:
            rest = [a for a in rest if a not in ("--quiet", "-q")] + ["output.quiet=true"]
        sys.argv = [f"feedlab {cmd}", *rest]
        if {"-m", "--multirun"} & set(rest):
            # a sweep: the first worker's pre-imported process starts before Hydra is
            # even imported (~0.15 s earlier than from the app; it reads no config)
            from feedlab.experiments import isolate

            isolate.prestart_for_sweep()
        importlib.import_module(module).main()
        return 0
    return int(getattr(importlib.import_module(module), func)(rest) or 0)


def console() -> None:
    """The ``feedlab`` console script (and ``python -m feedlab``): :func:`main` with the
    command line, and its exit code as the process's. A sweep (``feedlab run -m``) ends
    without interpreter shutdown (:func:`_exit_now`).
    """
    argv = sys.argv[1:]
    try:
        code: Any = main(argv)
    except SystemExit as exc:
        code = exc.code
    if argv[:1] == ["run"] and {"-m", "--multirun"} & set(argv):
        _exit_now(code)
    raise SystemExit(code)


def _exit_now(code: Any) -> None:
    """End a finished sweep's launch without interpreter shutdown: ~0.1 s of tearing
    down Hydra, Numba and SciPy's modules after the last run, on every sweep's critical
    path. Everything Python promises at exit still happens first: the exit handlers
    (``atexit``: logging's flush and close, ``weakref.finalize``'s), the standard
    streams' flush. Only if no other non-daemon thread is alive (the interpreter would
    wait for it); otherwise the ordinary exit. Only the console script calls this: a
    :func:`main` called from Python returns.
    """
    import atexit
    import os
    import threading

    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a closed pipe
            pass
    os._exit(status & 0xFF)


if __name__ == "__main__":
    console()
