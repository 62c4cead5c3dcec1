"""``feedlab params [GROUP]``: every config parameter, described from the schema itself.

    feedlab params                 top-level fields and the list of groups
    feedlab params ranking         every ranking policy's own fields, per registered unit
    feedlab params dynamics        the dynamics fields (nested nodes as dotted names)
    feedlab params --all           every group

Each row is one leaf field: its dotted name, type, allowed range or choices, default and
description. Type, range and description come from the schema dataclasses
(:func:`feedlab.experiments.schema.spec` metadata); the default comes from the composed
``conf/`` YAML (the single source of values), so the listing never disagrees with what
``feedlab run`` would use. Unit groups (network, ranking, influencer, event) depend on the
unit's ``name``: their parameters are listed per registered unit, with defaults from the
``conf/<group>/`` preset(s) of that unit. ``feedlab run --help`` prints the top level
(:func:`run_help`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import yaml

from feedlab.experiments.schema import ConfigError

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"

#: Config groups in display order; ``top-level`` is the root's scalar fields.
GROUPS = (
    "network",
    "population",
    "ranking",
    "platform",
    "dynamics",
    "influencer",
    "event",
    "ads",
    "output",
    "limits",
    "top-level",
)
UNIT_GROUPS = ("network", "ranking", "influencer", "event", "ads")


@dataclasses.dataclass(frozen=True)
class Param:
    """One leaf parameter: dotted ``path`` (under its group), schema facts and default."""

    path: str
    type: str
    allowed: str
    doc: str
    default: Any = None
    has_default: bool = False


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "str"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(tp))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in get_args(tp) if a is not Ellipsis)
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _allowed(tp: Any, meta: Mapping[str, Any]) -> str:
    """Choices, or the numeric range in interval notation (``[0, 1]``, ``> 0``)."""
    if get_origin(tp) is Literal:
        return ", ".join(map(str, get_args(tp)))
    if meta.get("choices"):
        return ", ".join(map(str, meta["choices"]))
    lo = ("[", meta["ge"]) if meta.get("ge") is not None else ("(", meta.get("gt"))
    hi = ("]", meta["le"]) if meta.get("le") is not None else (")", meta.get("lt"))
    if lo[1] is not None and hi[1] is not None:
        return f"{lo[0]}{_num(lo[1])}, {_num(hi[1])}{hi[0]}"
    if lo[1] is not None:
        return f"{'>=' if lo[0] == '[' else '>'} {_num(lo[1])}"
    if hi[1] is not None:
        return f"{'<=' if hi[0] == ']' else '<'} {_num(hi[1])}"
    return ""


def _dataclass_of(tp: Any) -> tuple[type | None, str]:
    """(dataclass, path suffix) for a field type that is a dataclass or a list/tuple of one."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp, ""
    origin = get_origin(tp)
    if origin in (list, tuple):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        if len(args) == 1 and dataclasses.is_dataclass(args[0]) and isinstance(args[0], type):
            return args[0], "[]"
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in get_args(tp) if a is not type(None)]
        if len(non_none) == 1:
            return _dataclass_of(non_none[0])
    return None, ""


def iter_fields(cls: type, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field, Any, bool]]:
    """Every field of a schema dataclass, depth first: ``(dotted path, field, type,
    is_leaf)``. Nested dataclass nodes are yielded (``is_leaf=False``) before their fields;
    a list of dataclasses recurses under ``path[]``.
    """
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        path = f"{prefix}{f.name}"
        tp = hints[f.name]
        sub, suffix = _dataclass_of(tp)
        yield path, f, tp, sub is None
        if sub is not None:
            yield from iter_fields(sub, f"{path}{suffix}.")


def _lookup(data: Any, path: str) -> tuple[bool, Any]:
    """Value at a dotted path (``[]`` = first element of a list) in nested data."""
    cur = data
    for part in path.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        if not isinstance(cur, Mapping) or key not in cur:
            return False, None
        cur = cur[key]
        if many:
            if not isinstance(cur, list) or not cur:
                return False, None
            cur = cur[0]
    return True, cur


def params_of(cls: type, defaults: Any = None, prefix: str = "") -> list[Param]:
    """The leaf parameters of ``cls`` with defaults looked up in ``defaults``."""
    out = []
    for path, f, tp, leaf in iter_fields(cls):
        if not leaf:
            continue
        has, value = _lookup(defaults, path) if defaults is not None else (False, None)
        if not has and f.default is not dataclasses.MISSING:
            has, value = True, f.default
        out.append(
            Param(
                path=f"{prefix}{path}",
                type=_type_name(tp),
                allowed=_allowed(tp, f.metadata),
                doc=f.metadata.get("doc", ""),
                default=value,
                has_default=has,
            )
        )
    return out


def registries() -> dict[str, Any]:
    """The unit registries by config group."""
    from feedlab.agents.behaviours import INFLUENCERS
    from feedlab.models.economy import ADS
    from feedlab.models.events import EVENTS
    from feedlab.models.network import NETWORKS
    from feedlab.models.ranking import RANKINGS

    return {
        "network": NETWORKS,
        "ranking": RANKINGS,
        "influencer": INFLUENCERS,
        "event": EVENTS,
        "ads": ADS,
    }


def presets(group: str, conf_dir: Path = CONF_DIR) -> dict[str, dict[str, Any]]:
    """``conf/<group>/<option>.yaml`` contents by option name (plain YAML nodes)."""
    out = {}
    for p in sorted((conf_dir / group).glob("*.yaml")):
        data = yaml.safe_load(p.read_text()) or {}
        if isinstance(data, Mapping):
            out[p.stem] = dict(data)
    return out


def unit_presets(group: str, unit: str, conf_dir: Path = CONF_DIR) -> dict[str, dict[str, Any]]:
    """The presets of ``group`` whose ``name`` is ``unit`` (the unit's own file first)."""
    found = {k: v for k, v in presets(group, conf_dir).items() if v.get("name") == unit}
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != unit, kv[0])))


def compose_defaults(overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The composed config (``feedlab run`` with these overrides; none = the defaults)."""
    from feedlab.experiments.run import compose

    return compose(list(overrides))


def _root_schema() -> type:
    from feedlab.experiments.config import RunConfig

    return RunConfig


def group_params(group: str, defaults: Mapping[str, Any]) -> dict[str, list[Param]]:
    """Parameters of one group: ``{section title: rows}``. Unit groups have one section
    per registered unit; dataclass groups one section; ``top-level`` the root scalars.
    """
    root = _root_schema()
    hints = get_type_hints(root)
    if group == "top-level":
        return {"top-level": _top_level_params(root, hints, defaults)}
    if group in UNIT_GROUPS:
        return _unit_group_params(group, defaults)
    if group not in GROUPS:
        raise ConfigError(
            [f"params: {group!r} is not a config group; allowed: {', '.join(GROUPS)}"]
        )
    sub, _ = _dataclass_of(hints[group])
    assert sub is not None
    return {group: params_of(sub, defaults.get(group), prefix=f"{group}.")}


def _top_level_params(
    root: type, hints: Mapping[str, Any], defaults: Mapping[str, Any]
) -> list[Param]:
    """The root config's own fields (not the groups), with the fields of a list-of-nodes
    field (``arms``) under ``arms[].``.
    """
    rows = []
    for f in dataclasses.fields(root):
        if f.name in GROUPS:
            continue
        rows.append(
            Param(
                f.name,
                _type_name(hints[f.name]),
                _allowed(hints[f.name], f.metadata),
                f.metadata.get("doc", ""),
                defaults.get(f.name),
                f.name in defaults,
            )
        )
        sub, suffix = _dataclass_of(hints[f.name])
        if sub is not None:  # arms: the arm node's own fields under arms[]
            rows.extend(params_of(sub, None, prefix=f"{f.name}{suffix}."))
    return rows


def _unit_group_params(group: str, defaults: Mapping[str, Any]) -> dict[str, list[Param]]:
    """One section per registered unit of the group, titled with its name, whether it is
    the default, its preset files and the first line of its docstring. Defaults are the
    composed config's for the chosen unit, else those of the unit's first preset.
    """
    reg = registries()[group]
    chosen = (defaults.get(group) or {}).get("name")
    out: dict[str, list[Param]] = {}
    for name in reg.names():
        cls = reg.get(name)
        found = unit_presets(group, name)
        base = defaults.get(group) if name == chosen else next(iter(found.values()), None)
        title = f"{group}.name={name}"
        notes = []
        if name == chosen:
            notes.append("default")
        if found:
            notes.append("presets: " + ", ".join(f"{group}={k}" for k in found))
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        title += f"  ({'; '.join(notes)})" if notes else ""
        if doc:
            title += f"\n    {doc}"
        out[title] = params_of(cls, base, prefix=f"{group}.")
    return out


def _fmt_default(p: Param) -> str:
    if not p.has_default:
        return "none, required"
    return json.dumps(p.default, default=str)


def format_group(group: str, sections: Mapping[str, Sequence[Param]]) -> list[str]:
    """The lines ``feedlab params GROUP`` prints: per section its title (and unit
    docstring), then each parameter with type, default, allowed values and description.
    """
    lines = []
    for title, rows in sections.items():
        lines.append(f"[{title}]" if "\n" not in title else f"[{title.split(chr(10))[0]}]")
        if "\n" in title:
            lines.append(title.split("\n", 1)[1])
        if not rows:
            lines.append("    (no parameters)")
        for p in rows:
            allowed = f"  allowed: {p.allowed}" if p.allowed else ""
            lines.append(f"  {p.path}  ({p.type}; default {_fmt_default(p)}){allowed}")
            if p.doc:
                lines.append(f"      {p.doc}")
        lines.append("")
    return lines


def all_params(defaults: Mapping[str, Any] | None = None) -> dict[str, dict[str, list[Param]]]:
    """Every group's sections (``{group: {section: rows}}``)."""
    defaults = compose_defaults() if defaults is None else defaults
    return {g: group_params(g, defaults) for g in GROUPS}


def run_help(overrides: Sequence[str] | Mapping[str, Any] = ()) -> str:
    """``feedlab run --help``: usage, the groups and the top-level parameters, with the
    defaults of the config composed with ``overrides`` (those that compose; a composed
    mapping is used as is).
    """
    if isinstance(overrides, Mapping):
        defaults = dict(overrides)
    else:
        try:
            defaults = compose_defaults(overrides)
        except Exception:  # help must not fail on an override Hydra refuses
            defaults = compose_defaults()
    lines = [
        "usage: feedlab run [--quiet] [-m] [OVERRIDE ...]",
        "",
        "Run one simulation (or a sweep with -m) of the composed config conf/config.yaml.",
        "Overrides are Hydra's: group=option picks a preset (ranking=bridging), a dotted",
        "name sets a value (dynamics.opinion.x=0.3, ranking.weights.comment=10), a,b,c",
        "sweeps with -m. Examples:",
        "  feedlab run ranking=chronological network=polblogs steps=100 seed=3",
        "  feedlab run -m ranking=engagement,bridging seed=0,1,2",
        "",
        "options:",
        "  --quiet, -q        print nothing but errors (output.quiet=true)",
        "  -m, --multirun     a sweep over comma-separated values (docs/sweeps.md)",
        "  --cfg job          print the composed config and exit",
        "  --hydra-help       Hydra's own help (launchers, sweepers, flags)",
        "",
        "groups (option: preset files; feedlab params GROUP lists every parameter):",
    ]
    for g in GROUPS[:-1]:
        chosen = defaults.get(g)
        if g in UNIT_GROUPS:
            opts = ", ".join(presets(g))
            now = (chosen or {}).get("name")
            lines.append(f"  {g:11s} default name={now}; presets: {opts}")
        elif (CONF_DIR / g).is_dir():
            lines.append(f"  {g:11s} presets: {', '.join(presets(g))}")
        else:
            lines.append(f"  {g:11s} (set its fields directly, e.g. {g}.<field>=...)")
    lines += ["", "top-level parameters:"]
    lines += format_group("top-level", group_params("top-level", defaults))[1:]
    lines.append("More: feedlab params GROUP (e.g. feedlab params ranking), feedlab params --all")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab params [GROUP | --all]``: print the parameters of a group, of every group,
    or (no argument) ``feedlab run --help``; exit code 2 for an unknown group.
    """
    ap = argparse.ArgumentParser(
        prog="feedlab params",
        description="List config parameters: description, type, allowed values, default.",
    )
    ap.add_argument("group", nargs="?", help=f"one of: {', '.join(GROUPS)}")
    ap.add_argument("--all", action="store_true", help="every group")
    args = ap.parse_args(list(argv or []))
    if args.group is not None and args.group not in GROUPS:
        print(
            f"feedlab params: {args.group!r} is not a config group; allowed: {', '.join(GROUPS)}",
            file=sys.stderr,
        )
        return 2
    defaults = compose_defaults()
    if args.all:
        groups: Sequence[str] = GROUPS
    elif args.group:
        groups = [args.group]
    else:
        print(run_help(defaults))
        return 0
    try:
        for g in groups:
            print("\n".join(format_group(g, group_params(g, defaults))))
    except BrokenPipeError:  # feedlab params | head
        sys.stdout = None  # type: ignore[assignment]  # nothing more to flush
    return 0
