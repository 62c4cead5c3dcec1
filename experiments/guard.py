"""The lock on the ``hydra`` node: nothing in a command line or a config file may make
Hydra import or call code.

Hydra instantiates ``hydra.callbacks``, hands ``hydra.job_logging`` and
``hydra.hydra_logging`` to :func:`logging.config.dictConfig` (whose ``()`` and ``class``
keys and ``ext://`` values import and call anything), imports ``pkg://`` search-path
entries, sets ``hydra.job.env_set`` in the job's environment, passes
``hydra.launcher.setup`` to the shell of a SLURM job and unpickles
``--experimental-rerun`` files -- all before feedlab's own validation of the run config.
Hydra's blocklist of ``_target_`` values lets unpickling loaders through, so it is no
boundary. This module is one: :func:`check_command_line` runs before Hydra starts and
composes the config exactly as Hydra will (composition reads YAML and imports nothing once
``hydra.searchpath`` is refused), then checks the ``hydra`` node against an *allowlist*:

- ``hydra.callbacks``: feedlab's own sweep callback and nothing else;
- logging: handler classes from :data:`LOG_HANDLERS`, formatter classes from
  :data:`LOG_FORMATTERS`, streams from :data:`LOG_STREAMS`; no ``()`` or ``_target_`` key;
- ``hydra.launcher`` / ``hydra.sweeper``: the launchers in :data:`LAUNCHERS` and Hydra's
  basic sweeper; no launcher ``setup`` commands; no newline in any launcher value;
- ``hydra.searchpath``, ``hydra.job.env_set``, ``hydra.job.env_copy``: empty;
- ``_target_`` nowhere else in the node; no interpolation in these fields;
- ``hydra.run.dir`` and ``hydra.sweep.dir``: directories that can be created.

In a multirun every job's own composition (its config-group choices and sweeper params) is
checked too, since Hydra applies each job's logging config. A refusal is a
:class:`~feedlab.experiments.schema.ConfigError` naming the field and what is allowed; the caller
prints it and exits with code 2 before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from feedlab.experiments.schema import ConfigError

SWEEP_CALLBACK = "feedlab.experiments.sweep.SweepCallback"
CALLBACKS = {"feedlab_sweep": {"_target_": SWEEP_CALLBACK}}
LAUNCHERS = (
    "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher",
    "hydra._internal.core_plugins.basic_launcher.BasicLauncher",
)
SWEEPERS = ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper",)
LOG_HANDLERS = ("logging.StreamHandler", "logging.FileHandler", "logging.NullHandler")
LOG_FORMATTERS = ("logging.Formatter",)
LOG_STREAMS = ("ext://sys.stdout", "ext://sys.stderr")
# Hydra command-line flags that feedlab refuses, with the reason.
REFUSED_FLAGS = {
    "--experimental-rerun": "it unpickles a file (code execution)",
    "--config-path": "feedlab's primary config is its own conf/; add yours with --config-dir",
    "-cp": "feedlab's primary config is its own conf/; add yours with --config-dir",
    "--config-name": "feedlab's primary config is conf/config.yaml; select an experiment "
    "with experiment=NAME",
    "-cn": "feedlab's primary config is conf/config.yaml; select an experiment with "
    "experiment=NAME",
}
_FORBIDDEN_DIRS = ("/proc", "/sys", "/dev")


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, key, value) for every entry of nested dicts and lists."""
    if isinstance(node, Mapping):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            yield p, k, v
            yield from _walk(v, p)
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            p = f"{path}[{i}]"
            yield p, i, v
            yield from _walk(v, p)


def _interpolated(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _check_logging(node: Any, where: str, out: list[str]) -> None:
    """Check one logging dictConfig (``hydra.job_logging`` or ``hydra.hydra_logging``):
    :func:`logging.config.dictConfig` imports and calls whatever its ``()`` keys, ``class``
    values and ``ext://`` references name, so each is held to the allowlist.
    """
    if node is None:
        return
    if not isinstance(node, Mapping):
        out.append(f"{where}: must be a logging dictConfig mapping")
        return
    _check_logging_values(node, where, out)
    for kind, allowed in (("handlers", LOG_HANDLERS), ("formatters", LOG_FORMATTERS)):
        _check_logging_classes(node.get(kind) or {}, f"{where}.{kind}", kind, allowed, out)


def _check_logging_values(node: Mapping[str, Any], where: str, out: list[str]) -> None:
    """No factory keys anywhere, no ``ext://``/``cfg://`` reference but the allowed streams,
    and no interpolation except in a handler's ``filename``.
    """
    for path, key, value in _walk(node, where):
        if key in ("()", "_target_"):
            out.append(
                f"{path}: refused; a logging config may not name a factory "
                "(code execution); use handler classes "
                f"{', '.join(LOG_HANDLERS)}"
            )
            continue
        if isinstance(value, str) and value.startswith(("ext://", "cfg://")):
            if value not in LOG_STREAMS:
                out.append(f"{path}: {value!r} is not allowed; allowed: {', '.join(LOG_STREAMS)}")
            continue
        if _interpolated(value) and key != "filename":
            out.append(f"{path}: interpolation is not allowed in logging configs")


def _check_logging_classes(
    section: Any, where: str, kind: str, allowed: tuple[str, ...], out: list[str]
) -> None:
    """Every entry of the ``handlers`` or ``formatters`` section names an allowed class (a
    handler must name one; a formatter may use the default).
    """
    if not isinstance(section, Mapping):
        out.append(f"{where}: must be a mapping")
        return
    for name, entry in section.items():
        cls = entry.get("class") if isinstance(entry, Mapping) else None
        factory = isinstance(entry, Mapping) and ("()" in entry or "_target_" in entry)
        if kind == "handlers" and cls is None and not factory:
            out.append(f"{where}.{name}.class: missing; allowed: {', '.join(allowed)}")
        elif cls is not None and cls not in allowed:
            out.append(
                f"{where}.{name}.class: {cls!r} is not allowed; allowed: {', '.join(allowed)}"
            )


def _check_dir(value: Any, where: str, out: list[str]) -> None:
    if value is None or _interpolated(value):
        return
    path = Path(str(value)).expanduser().absolute()
    if any(str(path) == d or str(path).startswith(d + "/") for d in _FORBIDDEN_DIRS):
        out.append(f"{where}: {str(value)!r} is a system directory; choose a directory you own")
        return
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        out.append(f"{where}: {str(value)!r} cannot be created: {probe} is not a directory")
    elif not os.access(probe, os.W_OK | os.X_OK):
        out.append(f"{where}: {str(value)!r} cannot be created: {probe} is not writable")


def check_hydra_node(hydra: Any) -> list[str]:
    """Problems with a composed ``hydra`` node (plain data); empty if it is safe.

    Each part of the node that Hydra turns into code is checked against the allowlist of
    the module doc; the problems come in a fixed order, each once.
    """
    out: list[str] = []
    if not isinstance(hydra, Mapping):
        return out
    _check_callbacks(hydra.get("callbacks") or {}, out)
    for name in ("job_logging", "hydra_logging"):
        _check_logging(hydra.get(name), f"hydra.{name}", out)
    _check_launcher(hydra.get("launcher") or {}, out)
    _check_sweeper(hydra.get("sweeper") or {}, out)
    _check_environment(hydra, out)
    _check_classes_and_interpolations(hydra, out)
    _check_dir((hydra.get("run") or {}).get("dir"), "hydra.run.dir", out)
    _check_dir((hydra.get("sweep") or {}).get("dir"), "hydra.sweep.dir", out)
    return list(dict.fromkeys(out))


def _check_callbacks(callbacks: Any, out: list[str]) -> None:
    """Exactly feedlab's own sweep callback (Hydra instantiates callbacks before feedlab
    validates anything).
    """
    if dict(callbacks) != CALLBACKS:
        extra = sorted(set(callbacks) - set(CALLBACKS)) or sorted(callbacks)
        out.append(
            f"hydra.callbacks: {', '.join(map(str, extra)) or 'changed'} refused; Hydra calls "
            f"callbacks before feedlab validates anything; allowed: feedlab_sweep "
            f"({SWEEP_CALLBACK}) only"
        )


def _check_launcher(launcher: Any, out: list[str]) -> None:
    """An allowed launcher class, no ``setup`` shell commands (a SLURM job script runs
    them), no newline in any value (a job script line) and no other class named inside.
    """
    target = launcher.get("_target_") if isinstance(launcher, Mapping) else None
    if target not in LAUNCHERS:
        out.append(
            f"hydra.launcher._target_: {target!r} is not allowed; allowed: "
            "hydra/launcher=joblib, slurm, submitit_slurm, submitit_local, basic"
        )
    if not isinstance(launcher, Mapping):
        return
    if launcher.get("setup"):
        out.append(
            "hydra.launcher.setup: refused; shell commands in a job script are not "
            "allowed (prepare the environment before the sweep)"
        )
    for path, key, value in _walk(launcher, "hydra.launcher"):
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            out.append(f"{path}: a newline is not allowed in a launcher value")
        if key in ("_target_", "()") and path != "hydra.launcher._target_":
            out.append(f"{path}: refused; only the launcher itself names a class")


def _check_sweeper(sweeper: Any, out: list[str]) -> None:
    """Hydra's basic sweeper only (the one whose runs feedlab can list before launch)."""
    if isinstance(sweeper, Mapping) and sweeper.get("_target_") not in SWEEPERS:
        out.append(
            f"hydra.sweeper._target_: {sweeper.get('_target_')!r} is not allowed; "
            "allowed: Hydra's basic sweeper (hydra/sweeper=basic)"
        )


def _check_environment(hydra: Mapping[str, Any], out: list[str]) -> None:
    """No ``hydra.searchpath`` (``pkg://`` imports code) and no job environment
    (``PYTHONPATH`` or ``LD_PRELOAD`` would run code).
    """
    if hydra.get("searchpath"):
        out.append(
            "hydra.searchpath: refused (pkg:// entries import code); add a config "
            "directory with --config-dir instead"
        )
    job = hydra.get("job") or {}
    for name in ("env_set", "env_copy"):
        if isinstance(job, Mapping) and job.get(name):
            out.append(
                f"hydra.job.{name}: refused; a run's environment is not configurable "
                "(PYTHONPATH and LD_PRELOAD would run code)"
            )


_CLASS_NODES = (
    "hydra.callbacks",
    "hydra.launcher",
    "hydra.sweeper",
    "hydra.job_logging",
    "hydra.hydra_logging",
)
_NO_INTERPOLATION = ("hydra.callbacks", "hydra.sweeper._target_", "hydra.launcher._target_")


def _check_classes_and_interpolations(hydra: Mapping[str, Any], out: list[str]) -> None:
    """No ``_target_`` or ``()`` outside the nodes that are checked above, and no
    interpolation where a class is named (it would be resolved after this check).
    """
    for path, key, value in _walk(hydra, "hydra"):
        if key in ("_target_", "()") and not path.startswith(_CLASS_NODES):
            out.append(f"{path}: refused; the hydra node names no classes")
        if path.startswith(_NO_INTERPOLATION) and _interpolated(value):
            out.append(f"{path}: interpolation is not allowed here")


def _parse_args(argv: Sequence[str]) -> Any:
    from hydra._internal.utils import get_args_parser

    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in REFUSED_FLAGS:
            raise ConfigError([f"{flag}: refused; {REFUSED_FLAGS[flag]}"])
    try:
        return get_args_parser().parse_args(list(argv))
    except SystemExit:
        raise ConfigError([f"command line: cannot parse {' '.join(argv)!r}"]) from None


def _loader(conf_dir: Path, config_dir: str | None) -> Any:
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery

    search_path = create_config_search_path(f"file://{conf_dir}")
    if config_dir is not None:
        extra = os.path.abspath(config_dir)
        if not os.path.isdir(extra):
            raise ConfigError([f"--config-dir: {config_dir!r} is not a directory"])
        search_path.prepend(
            provider="command-line",
            path=f"file://{extra}",
            anchor=SearchPathQuery(provider="schema"),
        )
    return ConfigLoaderImpl(config_search_path=search_path)


def _check_override_keys(lines: Sequence[str], where: str) -> None:
    """Refuse ``hydra.searchpath`` before composition (it is read while composing)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(lines))
    except Exception as exc:
        raise ConfigError([f"{where}: {' '.join(str(exc).split())}"]) from None
    for o in parsed:
        if o.key_or_group.startswith("hydra.searchpath") or o.key_or_group == "hydra":
            raise ConfigError(
                [
                    f"{o.key_or_group}: refused in {where}; the hydra node is set field by "
                    "field, and hydra.searchpath never (add configs with --config-dir)"
                ]
            )


def _composition_error(exc: Exception) -> ConfigError:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return ConfigError([f"config: {text}"])


def check_command_line(argv: Sequence[str], conf_dir: Path) -> None:
    """Refuse a ``feedlab run`` command line whose composed ``hydra`` node (or any sweep
    job's) is not on the allowlist. Raises :class:`ConfigError`; returns None if safe.
    """
    from hydra.errors import HydraException
    from hydra.types import RunMode
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    args = _parse_args(argv)
    overrides = list(args.overrides or [])
    _check_override_keys(overrides, "the command line")
    loader = _loader(conf_dir, args.config_dir)
    mode = RunMode.MULTIRUN if args.multirun else RunMode.RUN
    try:
        cfg = loader.load_configuration("config", overrides, run_mode=mode, from_shell=True)
        hydra = OmegaConf.to_container(cfg.hydra, resolve=False)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise _composition_error(exc) from None
    problems = check_hydra_node(hydra)
    if problems:
        raise ConfigError(problems)
    try:  # run and sweep directories are interpolations of the task config
        for node in ("run", "sweep"):
            value = OmegaConf.select(cfg, f"hydra.{node}.dir")
            problems += [p for p in check_dir_value(value, f"hydra.{node}.dir")]
    except (OmegaConfBaseException, ValueError) as exc:
        raise _composition_error(exc) from None
    if problems:
        raise ConfigError(problems)
    try:  # the task config must resolve (e.g. steps=${steps} is a loop)
        task = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
        OmegaConf.to_container(task, resolve=True)
    except (OmegaConfBaseException, ValueError) as exc:
        raise _composition_error(exc) from None
    if mode == RunMode.MULTIRUN:
        _check_jobs(loader, cfg, overrides)


def check_dir_value(value: Any, where: str) -> list[str]:
    """Problems with a resolved run or sweep directory."""
    out: list[str] = []
    _check_dir(value, where, out)
    return out


def _check_jobs(loader: Any, cfg: Any, overrides: list[str]) -> None:
    """Compose every distinct job of a multirun (group choices and hydra keys; plain value
    overrides of the task config cannot reach the hydra node) and check its hydra node.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    node = OmegaConf.select(cfg, "hydra.sweeper.params")
    params = OmegaConf.to_container(node, resolve=False) if node is not None else {}
    assert isinstance(params, dict)
    lines = [f"{k!s}={v}" for k, v in params.items()]  # str(): keys may be typed bytes
    _check_override_keys(lines, "hydra.sweeper.params")
    parser = OverridesParser.create(config_loader=loader)
    try:
        parsed = parser.parse_overrides(lines + overrides)
        batches = BasicSweeper.split_arguments(parsed, None)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise _composition_error(exc) from None
    groups = set(OmegaConf.to_container(cfg.hydra.runtime.choices).keys())  # type: ignore[union-attr]
    seen: set[tuple[str, ...]] = set()
    for batch in batches:
        for job in batch:
            structural = []
            for o in parser.parse_overrides(list(job)):
                key = o.key_or_group
                if o.package is not None or key in groups or "/" in key or key.startswith("hydra"):
                    structural.append(str(o.input_line))
                elif o.is_add() or o.is_force_add() or o.is_delete():
                    structural.append(str(o.input_line))
            sig = tuple(structural)
            if sig in seen:
                continue
            seen.add(sig)
            try:
                job_cfg = loader.load_sweep_config(cfg, list(sig))
                hydra = OmegaConf.to_container(job_cfg.hydra, resolve=False)
            except (HydraException, OmegaConfBaseException, ValueError) as exc:
                raise _composition_error(exc) from None
            problems = check_hydra_node(hydra)
            if problems:
                raise ConfigError([f"{p} (sweep job {' '.join(job)})" for p in problems])
