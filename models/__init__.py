"""The world: the FeedModel, the follow graph, the post store, candidate gathering,
ranking policies and events.

    from feedlab.models import FeedModel
"""

from typing import Any

__all__ = ["RESULTS_VERSION", "FeedModel"]

#: Bumped by every release change that alters simulation results (the CHANGELOG entries
#: marked **[results]**; a test keeps the two in step). Run keys include it, so a sweep
#: re-launched after such a change computes fresh runs instead of reusing runs of the
#: old code as "already complete".
RESULTS_VERSION = 6


def __getattr__(name: str) -> Any:  # lazy: keeps `import feedlab.models.x` cheap and cycle-free
    if name == "FeedModel":
        from feedlab.models.model import FeedModel

        return FeedModel
    raise AttributeError(name)
