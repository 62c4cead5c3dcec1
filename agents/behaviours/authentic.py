"""``authentic``: influencers post their own opinions, more often than regular users.

docs/influencers.md §2 Behaviours. Nothing changes but the roles: the chosen accounts become influencers
(:mod:`feedlab.agents.behaviours.roles`) and post ``roles.activity`` times per step; their posts
are ordinary posts (stance = own opinion + noise, own outrage and quality), and their
followers' trust starts at ``dynamics.trust.influencer_baseline`` (set by the core).
"""

from __future__ import annotations

from dataclasses import dataclass

from feedlab.agents.behaviours.accounts import BehaviourUnit, Part
from feedlab.agents.behaviours.base import INFLUENCERS
from feedlab.agents.behaviours.roles import RoleConfig
from feedlab.experiments.schema import field


@INFLUENCERS.register("authentic")
@dataclass(frozen=True)
class Authentic(BehaviourUnit):
    """Influencers who post their own opinions at a higher rate (module docstring)."""

    roles: RoleConfig = field(doc="which accounts are influencers, their activity and tiers")

    def part(self, label: str) -> Part:
        """A plain :class:`Part`: the role change is the whole behaviour."""
        return Part(label)
