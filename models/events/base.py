"""Scheduled events (docs/cascades.md §1 The mechanism): the registry and the ``none`` option.

An event *unit* is a frozen dataclass of parameters registered in :data:`EVENTS`; its
verb ``extension(rng)`` returns the stateful object that the model calls at the hooks
of :mod:`feedlab.models.extension` (``on_post`` fires the transgression, ``on_feed`` spreads
call-outs, ``event_rows`` records them), or ``None`` when it adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from feedlab.models.registry import Registry

EVENTS: Registry[Any] = Registry("event")


@EVENTS.register("none")
@dataclass(frozen=True)
class NoEvent:
    """Nothing is scheduled."""

    def extension(self, rng: np.random.Generator) -> None:
        """No extension: the model runs without event hooks."""
        return None
