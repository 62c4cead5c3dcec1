"""Influencer behaviours. Importing this package registers the built-ins."""

from feedlab.agents.behaviours import (  # noqa: F401  (registers the units)
    authentic,
    bought_engagement,
    creator_economy,
    engagement_farming,
    mixture,
    sponsored,
)
from feedlab.agents.behaviours.base import INFLUENCERS

__all__ = ["INFLUENCERS"]
