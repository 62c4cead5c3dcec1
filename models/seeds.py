"""Named, independent random streams from one root seed.

``SeedSequence(seed, spawn_key=(k,))`` gives the stream of index ``k``; the index of
each name is fixed forever (append new names, never reorder), so adding a stream never
changes existing ones. Because the network and population streams do not depend on the
ranking policy, switching the policy under the same seed keeps the same network and
initial population (common random numbers across policies).
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "network",
    "population",
    "dynamics",
    "assignment",
    "mesa",
    "behaviour",
    "event",
    "prediction",
    "affect",
    "session",  # sessions (docs/attention.md §Sessions)
    "churn",  # churn and return (docs/attention.md §Churn and return)
    "economy",  # ads, subscriptions (docs/attention.md)
)


def stream(seed: int, name: str) -> np.random.SeedSequence:
    """The SeedSequence of the named stream."""
    return np.random.SeedSequence(seed, spawn_key=(STREAMS.index(name),))


def rng(seed: int, name: str) -> np.random.Generator:
    """A PCG64 generator for the named stream."""
    return np.random.default_rng(stream(seed, name))


def child_seeds(seed: int) -> dict[str, list[int]]:
    """The entropy words of every stream, for the run manifest."""
    return {n: stream(seed, n).generate_state(2).tolist() for n in STREAMS}
