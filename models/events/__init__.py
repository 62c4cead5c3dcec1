"""Scheduled events. Importing this package registers the built-ins."""

from models.events import transgression  # noqa: F401  (registration side effect)
from models.events.base import EVENTS

__all__ = ["EVENTS"]
