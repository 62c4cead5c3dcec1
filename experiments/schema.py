"""Typed, range-checked configuration: dataclasses as the schema, one parser for all.

Every config node that feedlab reads is parsed into a frozen dataclass before any work
starts. A field declares its type with an annotation and its allowed values with
:func:`spec` metadata; :func:`parse` checks types, ranges, choices and unknown keys, and
collects *every* problem into one :class:`ConfigError` whose lines name the dotted field,
the bad value and what is allowed::

    ranking.weights.like: -1.0 is out of range; allowed: >= 0
    network.name: 'erdos' is not allowed; allowed: barabasi_albert, erdos_renyi, ...

Why not OmegaConf structured configs alone: units are plugins with their own parameter
dataclasses (a ranking policy's fields depend on its name), OmegaConf checks types but
not ranges, and it stops at the first error. The YAML under ``conf/`` stays the single
source of truth for values: schema fields have no Python defaults unless the default is
structural (documented in the field), so the saved config never disagrees with the code.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")

FORBIDDEN_KEYS = ("_target_", "_partial_", "_recursive_", "_convert_", "_args_")


class ConfigError(ValueError):
    """A configuration was refused; ``problems`` lists one line per bad field."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        head = "invalid configuration" + (
            f" ({len(self.problems)} problems)" if len(self.problems) > 1 else ""
        )
        super().__init__(head + ":\n  " + "\n  ".join(self.problems))


def spec(
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    choices: Sequence[Any] | None = None,
    doc: str = "",
) -> dict[str, Any]:
    """Field metadata: numeric bounds, allowed choices and a one-line description."""
    return {"ge": ge, "le": le, "gt": gt, "lt": lt, "choices": choices, "doc": doc}


def field(*, default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """A dataclass field carrying :func:`spec` metadata (and an optional default)."""
    meta = spec(**kwargs)
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    if isinstance(default, list | dict):

        def fresh() -> Any:  # a new copy of the list or dict per instance
            return type(default)(default)

        return dataclasses.field(default_factory=fresh, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _describe_bounds(meta: Mapping[str, Any]) -> str:
    parts = []
    for key, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if meta.get(key) is not None:
            parts.append(f"{sym} {meta[key]:g}")
    return " and ".join(parts)


def _check_bounds(value: float, meta: Mapping[str, Any], path: str, out: list[str]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        out.append(f"{path}: {value!r} is not a finite number")
        return
    bad = (
        (meta.get("ge") is not None and value < meta["ge"])
        or (meta.get("gt") is not None and value <= meta["gt"])
        or (meta.get("le") is not None and value > meta["le"])
        or (meta.get("lt") is not None and value >= meta["lt"])
    )
    if bad:
        out.append(f"{path}: {value!r} is out of range; allowed: {_describe_bounds(meta)}")


def _coerce(tp: Any, value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """Convert ``value`` to ``tp`` or append a message to ``out`` and return None."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _coerce(non_none[0], value, meta, path, out)
        for a in non_none:  # first type that accepts the value without complaint
            trial: list[str] = []
            res = _coerce(a, value, meta, path, trial)
            if not trial:
                return res
        out.append(f"{path}: {value!r} does not match any of {tp}")
        return None
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            out.append(f"{path}: {value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")
            return None
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _parse_into(tp, value, path, out)
    if origin in (tuple, list) or tp in (tuple, list):
        args = get_args(tp)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            out.append(f"{path}: expected a list, got {value!r}")
            return None
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            elem = args[0]
        elif origin is tuple and args:
            if len(args) != len(value):
                out.append(f"{path}: expected {len(args)} items, got {len(value)}")
                return None
            return tuple(
                _coerce(a, v, meta, f"{path}[{i}]", out)
                for i, (a, v) in enumerate(zip(args, value, strict=True))
            )
        else:
            elem = args[0] if args else Any
        items = [_coerce(elem, v, meta, f"{path}[{i}]", out) for i, v in enumerate(value)]
        return tuple(items) if (origin is tuple or tp is tuple) else items
    if origin in (dict, Mapping) or tp is dict:
        args = get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        if not isinstance(value, Mapping):
            out.append(f"{path}: expected a mapping, got {value!r}")
            return None
        return {str(k): _coerce(vt, v, meta, f"{path}.{k}", out) for k, v in value.items()}
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        out.append(f"{path}: expected true or false, got {value!r}")
        return None
    if tp is int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            out.append(f"{path}: expected an integer, got {value!r}")
            return None
        value = int(value)
        _check_bounds(value, meta, path, out)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(f"{path}: expected a number, got {value!r}")
            return None
        value = float(value)
        _check_bounds(value, meta, path, out)
        return value
    if tp is str:
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {value!r}")
            return None
        choices = meta.get("choices")
        if choices is not None and value not in choices:
            out.append(f"{path}: {value!r} is not allowed; allowed: {', '.join(map(str, choices))}")
        return value
    raise TypeError(f"schema type {tp!r} at {path} is not supported")  # programming error


def _parse_into[T](cls: type[T], data: Any, path: str, out: list[str]) -> T | None:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        out.append(f"{path or '<root>'}: expected a mapping of fields, got {data!r}")
        return None
    n_before = len(out)
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    prefix = f"{path}." if path else ""
    for key in data:
        if key in FORBIDDEN_KEYS:
            out.append(
                f"{prefix}{key}: refused; feedlab configs name units from its registries "
                "and never carry Hydra instantiation keys"
            )
        elif key not in names:
            out.append(
                f"{prefix}{key}: unknown field; allowed: {', '.join(sorted(names)) or '(none)'}"
            )
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init:
            continue
        fpath = f"{prefix}{f.name}"
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name], f.metadata, fpath, out)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            out.append(f"{fpath}: missing (required)")
    if len(out) > n_before:  # already refused: build what we can, report nothing more
        try:
            return cls(**kwargs)
        except (TypeError, ValueError):
            return None
    try:
        return cls(**kwargs)
    except ValueError as exc:  # cross-field checks in __post_init__
        msg = str(exc)
        head = msg.split(":", 1)[0].strip()
        if head in names:  # "field: ..." from the unit -> "path.field: ..."
            out.append(f"{prefix}{msg}")
        else:
            out.append(f"{path or '<root>'}: {msg}")
        return None


def parse[T](cls: type[T], data: Any, path: str = "") -> T:
    """Parse a plain mapping into ``cls``; raise :class:`ConfigError` listing every problem."""
    out: list[str] = []
    result = _parse_into(cls, data, path, out)
    if out or result is None:
        raise ConfigError(out or [f"{path or '<root>'}: could not be parsed"])
    return result


def find_forbidden(data: Any, path: str = "") -> list[str]:
    """Paths of Hydra instantiation keys anywhere in a nested config (refused)."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for k, v in data.items():
            p = f"{path}.{k}" if path else str(k)
            if k in FORBIDDEN_KEYS:
                found.append(p)
            found.extend(find_forbidden(v, p))
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            found.extend(find_forbidden(v, f"{path}[{i}]"))
    return found


def describe(cls: type) -> list[tuple[str, str, str, str]]:
    """(field, type, allowed, doc) rows for docs tables of a schema dataclass."""
    rows = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        meta = f.metadata
        allowed = _describe_bounds(meta)
        if meta.get("choices"):
            allowed = ", ".join(map(str, meta["choices"]))
        tp = hints[f.name]
        if get_origin(tp) is Literal:
            allowed = ", ".join(map(str, get_args(tp)))
        rows.append((f.name, getattr(tp, "__name__", str(tp)), allowed, meta.get("doc", "")))
    return rows
