"""The world: the FeedModel, the follow graph, the post store, candidate gathering,
ranking policies and events.

    from models import FeedModel
"""

from typing import Any

__all__ = ["FeedModel"]


def __getattr__(name: str) -> Any:  # lazy: keeps `import models.x` cheap and cycle-free
    if name == "FeedModel":
        from models.model import FeedModel

        return FeedModel
    raise AttributeError(name)
