"""Influencer behaviours. Importing this package registers the built-ins."""

from agents.behaviours.base import INFLUENCERS

__all__ = ["INFLUENCERS"]
