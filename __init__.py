"""feedlab: agent-based simulation of social-media feeds.

This file is the root of the ``feedlab`` package. The repository's top-level folders are
its subpackages (``pyproject.toml`` maps the package onto the repository root), so the
layout a newcomer sees is the import tree::

    feedlab.models        the world: FeedModel, follow graph, posts, feeds, ranking, events
    feedlab.agents        the people: user state, Mesa agent views, behaviours, rules
    feedlab.experiments   configs become objects and runs become directories; the CLI
    feedlab.analysis      metrics, aggregation, statistics, figures, validation
    feedlab.benchmarks    speed against the peers (``feedlab bench``)
    feedlab/conf          the Hydra config tree (shipped as package data)

The names below are the table of contents; they load lazily, so ``import feedlab`` costs
nothing until one is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: The package directory: the repository root in a clone, ``site-packages/feedlab`` in a
#: wheel install. ``ROOT / "conf"`` is the config tree in both.
ROOT = Path(__file__).resolve().parent

_EXPORTS = {
    # the model
    "FeedModel": "feedlab.models.model",
    "RESULTS_VERSION": "feedlab.models",
    # configs to runs
    "compose": "feedlab.experiments.run",
    "build": "feedlab.experiments.run",
    "run_experiment": "feedlab.experiments.run",
    "RunResult": "feedlab.experiments.run",
    "ConfigError": "feedlab.experiments.schema",
    # the unit registries (ranking policies, networks, influencer behaviours, events)
    "RANKINGS": "feedlab.models.ranking",
    "NETWORKS": "feedlab.models.network",
    "INFLUENCERS": "feedlab.agents.behaviours",
    "EVENTS": "feedlab.models.events",
}

__all__ = [  # noqa: RUF022  (grouped as in _EXPORTS)
    "ROOT",
    "__version__",
    "FeedModel",
    "RESULTS_VERSION",
    "compose",
    "build",
    "run_experiment",
    "RunResult",
    "ConfigError",
    "RANKINGS",
    "NETWORKS",
    "INFLUENCERS",
    "EVENTS",
]
assert set(__all__) == {"ROOT", "__version__", *_EXPORTS}

if TYPE_CHECKING:
    from feedlab.agents.behaviours import INFLUENCERS
    from feedlab.experiments.run import RunResult, build, compose, run_experiment
    from feedlab.experiments.schema import ConfigError
    from feedlab.models import RESULTS_VERSION
    from feedlab.models.events import EVENTS
    from feedlab.models.model import FeedModel
    from feedlab.models.network import NETWORKS
    from feedlab.models.ranking import RANKINGS


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'feedlab' has no attribute {name!r}")
