"""Name → unit registries: built-ins plus plugins from Python entry points.

A *unit* is a small frozen dataclass whose fields are its parameters and which has one
verb (a ranking policy ``rank``, a network ``generate``, an influencer behaviour
``compose``, an event ``fire``). Configs name a unit (``ranking: {name: bridging, ...}``)
and :meth:`Registry.build` parses the remaining keys into the unit's fields with the
range checks of :mod:`feedlab.experiments.schema`. A config can therefore never name an
arbitrary callable; researchers add units by registering them under the entry-point
group ``feedlab.<kind>`` (e.g. ``feedlab.ranking``) in their own package, the way pytest
finds plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, TypeVar

from feedlab.experiments.schema import ConfigError, parse

U = TypeVar("U")


class Registry[U]:
    """A registry of units of one kind, e.g. ``Registry("ranking")``."""

    def __init__(self, kind: str):
        self.kind = kind
        self._units: dict[str, type[U]] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[type[U]], type[U]]:
        """Class decorator: register ``cls`` under ``name`` (names are unique)."""

        def deco(cls: type[U]) -> type[U]:
            if name in self._units and self._units[name] is not cls:
                raise ValueError(f"{self.kind} unit {name!r} is already registered")
            self._units[name] = cls
            cls.unit_name = name  # type: ignore[attr-defined]
            return cls

        return deco

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in sorted(entry_points(group=f"feedlab.{self.kind}"), key=lambda e: e.name):
            cls = ep.load()
            if ep.name not in self._units:
                self.register(ep.name)(cls)

    def names(self) -> list[str]:
        """Sorted names of every registered unit (built-ins and plugins)."""
        self._load_plugins()
        return sorted(self._units)

    def get(self, name: str, path: str = "") -> type[U]:
        """The class registered as ``name``; a clear ConfigError otherwise."""
        self._load_plugins()
        if name not in self._units:
            where = f"{path}.name" if path else f"{self.kind}.name"
            raise ConfigError(
                [f"{where}: {name!r} is not a {self.kind} unit; allowed: {', '.join(self.names())}"]
            )
        return self._units[name]

    def build(self, node: object, path: str | None = None) -> U:
        """Parse ``{name: ..., **params}`` into a frozen unit instance (any other value, such
        as a missing node, is a ConfigError).
        """
        path = self.kind if path is None else path
        if not isinstance(node, Mapping) or "name" not in node:
            raise ConfigError([f"{path}: expected a mapping with a 'name' key, got {node!r}"])
        cls = self.get(str(node["name"]), path)
        params = {k: v for k, v in node.items() if k != "name"}
        return parse(cls, params, path)


# ---------------------------------------------------------------- the flat-parameter builder
FLAT_BUILDER_GROUP = "feedlab.flat_builder"
"""Entry-point group of the builder behind ``FeedModel(**flat_params)`` (docs/mesa.md)."""

_flat_builders: list[Callable[..., Any]] = []


def register_flat_builder(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register the function that turns flat keyword parameters into a FeedModel's parts.

    Dependency inversion: the model (a lower layer) needs configs composed and validated,
    which only the experiments layer can do; that layer registers its builder here
    (:func:`feedlab.experiments.flat.from_params`) and the model looks it up through
    :func:`flat_builder`. The last registration wins (a researcher may install their own).
    """
    _flat_builders.append(fn)
    return fn


def flat_builder() -> Callable[..., Any]:
    """The registered flat-parameter builder; if none is registered yet, the entry points
    of :data:`FLAT_BUILDER_GROUP` are loaded first (feedlab's own entry point imports
    :mod:`feedlab.experiments.flat`, which registers itself), so ``FeedModel(n=300)`` also
    works in a fresh process such as a ``mesa.batch_run`` worker.
    """
    if not _flat_builders:
        for ep in sorted(entry_points(group=FLAT_BUILDER_GROUP), key=lambda e: e.name):
            ep.load()
    if not _flat_builders:
        raise RuntimeError(
            "FeedModel: no flat-parameter builder is registered (import feedlab.experiments."
            "flat, or reinstall feedlab so that its entry point is found); or pass the parts "
            "(network=..., ...) as feedlab.build does"
        )
    return _flat_builders[-1]
