"""Ranking policies (docs/ranking.md §The policies). Importing this package registers the built-ins."""

from feedlab.models.ranking import (  # noqa: F401  (registration side effects)
    algorithmic_bias,
    bridging,
    bridging_mf,
    chronological,
    diversity,
    engagement,
    engagement_negfb,
    quality,
    random_order,
    revenue,
)
from feedlab.models.ranking.base import RANKINGS, RankingPolicy, ScoredPolicy

__all__ = ["RANKINGS", "RankingPolicy", "ScoredPolicy"]
