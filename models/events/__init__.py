"""Scheduled events. Importing this package registers the built-ins."""

from models.events.base import EVENTS

__all__ = ["EVENTS"]
