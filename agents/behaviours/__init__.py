"""Influencer behaviours. Importing this package registers the built-ins."""

from agents.behaviours import (  # noqa: F401  (registers the units)
    authentic,
    bought_engagement,
    engagement_farming,
    mixture,
    sponsored,
)
from agents.behaviours.base import INFLUENCERS

__all__ = ["INFLUENCERS"]
