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
import functools
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
    """Convert ``value`` to ``tp`` or append a message to ``out`` and return None.

    Dispatches on the kind of annotation: unions, literals, nested schema dataclasses,
    sequences, mappings, then the scalars. An annotation the schema does not support is a
    programming error (TypeError), not a config problem.
    """
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(tp, value, meta, path, out)
    if origin is Literal:
        return _coerce_literal(tp, value, path, out)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _parse_into(tp, value, path, out)
    if origin in (tuple, list) or tp in (tuple, list):
        return _coerce_sequence(tp, value, meta, path, out)
    if origin in (dict, Mapping) or tp is dict:
        return _coerce_mapping(tp, value, meta, path, out)
    if tp is Any:
        return value
    for scalar, coerce in _SCALARS:
        if tp is scalar:
            return coerce(value, meta, path, out)
    raise TypeError(f"schema type {tp!r} at {path} is not supported")  # programming error


def _coerce_union(tp: Any, value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """``X | None`` takes None or an X; otherwise the first member type that accepts the
    value without a problem wins.
    """
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


def _coerce_literal(tp: Any, value: Any, path: str, out: list[str]) -> Any:
    """A value that must be one of the literal's values. A YAML boolean stands for the
    word ``"true"``/``"false"`` where that word is allowed (Hydra parses
    ``output.agents=false`` as a boolean).
    """
    allowed = get_args(tp)
    if isinstance(value, bool) and str(value).lower() in allowed:
        return str(value).lower()
    if value not in allowed:
        out.append(f"{path}: {value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")
        return None
    return value


def _coerce_sequence(
    tp: Any, value: Any, meta: Mapping[str, Any], path: str, out: list[str]
) -> Any:
    """A list, ``tuple[X, ...]`` or fixed-length ``tuple[X, Y]``, item by item (each item
    checked against the field's bounds and choices).
    """
    origin = get_origin(tp)
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


def _coerce_mapping(tp: Any, value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """A mapping with string keys, its values coerced to the declared value type."""
    args = get_args(tp)
    vt = args[1] if len(args) == 2 else Any
    if not isinstance(value, Mapping):
        out.append(f"{path}: expected a mapping, got {value!r}")
        return None
    return {str(k): _coerce(vt, v, meta, f"{path}.{k}", out) for k, v in value.items()}


def _coerce_bool(value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """Only a real boolean: ``1`` or ``"yes"`` are refused, not guessed."""
    if isinstance(value, bool):
        return value
    out.append(f"{path}: expected true or false, got {value!r}")
    return None


def _coerce_int(value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """An integer (a float with an integral value is accepted; a boolean is not), in bounds."""
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    ):
        out.append(f"{path}: expected an integer, got {value!r}")
        return None
    value = int(value)
    _check_bounds(value, meta, path, out)
    return value


def _coerce_float(value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """A finite number (not a boolean), as a float, in bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        out.append(f"{path}: expected a number, got {value!r}")
        return None
    value = float(value)
    _check_bounds(value, meta, path, out)
    return value


def _coerce_str(value: Any, meta: Mapping[str, Any], path: str, out: list[str]) -> Any:
    """A string, one of the field's ``choices`` if it declares them."""
    if not isinstance(value, str):
        out.append(f"{path}: expected a string, got {value!r}")
        return None
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        out.append(f"{path}: {value!r} is not allowed; allowed: {', '.join(map(str, choices))}")
    return value


_SCALARS = ((bool, _coerce_bool), (int, _coerce_int), (float, _coerce_float), (str, _coerce_str))


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``get_type_hints(cls)``, evaluated once per class (parsing a config asks per node)."""
    return get_type_hints(cls)


def _parse_into[T](cls: type[T], data: Any, path: str, out: list[str]) -> T | None:
    """Parse ``data`` into the schema dataclass ``cls``, appending every problem to ``out``
    (unknown and forbidden keys, missing required fields, bad values, then the class's own
    cross-field checks); the instance, or None if it could not be built.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        out.append(f"{path or '<root>'}: expected a mapping of fields, got {data!r}")
        return None
    n_before = len(out)
    names = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    prefix = f"{path}." if path else ""
    _check_keys(data, names, prefix, out)
    kwargs = _field_values(cls, data, prefix, out)
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


def _check_keys(data: Mapping[str, Any], names: set[str], prefix: str, out: list[str]) -> None:
    """Refuse Hydra instantiation keys and keys that are not fields of the node."""
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


def _field_values(
    cls: type, data: Mapping[str, Any], prefix: str, out: list[str]
) -> dict[str, Any]:
    """The coerced value of every init field given in ``data``; a required field that is
    not given is reported as missing.
    """
    hints = _type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init:
            continue
        fpath = f"{prefix}{f.name}"
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name], f.metadata, fpath, out)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            out.append(f"{fpath}: missing (required)")
    return kwargs


def parse[T](cls: type[T], data: Any, path: str = "") -> T:
    """Parse a plain mapping into ``cls``; raise :class:`ConfigError` listing every problem."""
    out: list[str] = []
    result = _parse_into(cls, data, path, out)
    if out or result is None:
        raise ConfigError(out or [f"{path or '<root>'}: could not be parsed"])
    return result


def field_problems(cls: type, name: str, value: Any, path: str = "") -> list[str]:
    """The problems of one field's value, checked as :func:`parse` checks it (for a
    planner that has parsed the rest of the same config already).
    """
    out: list[str] = []
    meta = next(f.metadata for f in dataclasses.fields(cls) if f.name == name)
    _coerce(_type_hints(cls)[name], value, meta, f"{path}.{name}" if path else name, out)
    return out


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
    hints = _type_hints(cls)
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
