"""Scheduled events. Importing this package registers the built-ins."""

from feedlab.models.events import transgression  # noqa: F401  (registration side effect)
from feedlab.models.events.base import EVENTS

__all__ = ["EVENTS"]
