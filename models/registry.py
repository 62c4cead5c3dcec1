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
from typing import TypeVar

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
