"""``engagement_farming``: influencers game engagement ranking with outrage.

docs/influencers.md §2 Behaviours. Outrage raises predicted comments and shares (the reaction model's
``β_out·s·o`` term, which the platform's predictor shares), and engagement ranking
weights those heavily, so high-outrage posts win feed slots (Brady et al. 2017, PNAS
114:7313; Rathje et al. 2021, PNAS 118:e2024292118). A *farmed* post — each original
post of a farming influencer with probability ``rate`` — has its outrage raised:

    o ← min(1, o + boost)

Stance, quality and everything else are left as drawn; posts by other accounts are not
touched. Farmed posts are counted per step (``farmed_posts`` column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from feedlab.agents.behaviours.accounts import BehaviourUnit, Part
from feedlab.agents.behaviours.base import INFLUENCERS
from feedlab.agents.behaviours.roles import RoleConfig
from feedlab.experiments.schema import field

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel, PostBatch


class FarmingPart(Part):
    """Raise the outrage of a share of the accounts' own posts."""

    kind = "engagement_farming"

    def __init__(self, label: str, rate: float, boost: float):
        super().__init__(label)
        self.rate, self.boost = rate, boost
        self.farmed = 0
        self.total = 0

    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """Farm a ``rate`` share of the accounts' own new posts: raise their outrage by the boost,
        capped at 1.
        """
        rows = self.own_posts(batch)
        rows = rows[self.rng.random(rows.shape[0]) < self.rate]
        batch.outrage[rows] = np.minimum(1.0, batch.outrage[rows] + self.boost)
        self.farmed = int(rows.shape[0])
        self.total += self.farmed

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """``farmed_posts``: posts farmed this step."""
        return {self.col("farmed_posts"): float(self.farmed)}

    def summary(self, model: FeedModel) -> dict[str, float]:
        """``total_farmed_posts``: posts farmed over the run."""
        return {self.col("total_farmed_posts"): float(self.total)}


@INFLUENCERS.register("engagement_farming")
@dataclass(frozen=True)
class EngagementFarming(BehaviourUnit):
    """Influencers who post high-outrage content to win engagement ranking."""

    roles: RoleConfig = field(doc="which accounts are influencers, their activity and tiers")
    rate: float = field(ge=0, le=1, doc="share of an influencer's own posts that are farmed")
    outrage_boost: float = field(ge=0, le=1, doc="outrage added to a farmed post (capped at 1)")

    def part(self, label: str) -> Part:
        """The stateful farming part for the accounts labelled ``label``."""
        return FarmingPart(label, self.rate, self.outrage_boost)
