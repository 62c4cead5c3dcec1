"""Influencer behaviours (docs/influencers.md §2 Behaviours): the registry and the ``none`` option.

A behaviour *unit* is a frozen dataclass of parameters registered in
:data:`INFLUENCERS`; its verb ``extension(rng)`` returns the stateful object that the
model calls at the hooks of :mod:`feedlab.models.extension` (``setup`` assigns roles,
``on_post`` composes sponsored or farmed posts, ``before_react`` detects undisclosed
sponsorship, ...), or ``None`` when it adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from feedlab.models.registry import Registry

INFLUENCERS: Registry[Any] = Registry("influencer")


@INFLUENCERS.register("none")
@dataclass(frozen=True)
class NoInfluencers:
    """No influencer accounts: every account is a regular user."""

    def extension(self, rng: np.random.Generator) -> None:
        """No extension: no account changes role."""
        return None
