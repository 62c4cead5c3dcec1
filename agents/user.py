"""Mesa agents as thin views onto the model's state arrays.

Each user is a :class:`User` (``model.agents``) whose attributes read and write the
struct-of-arrays state of :class:`feedlab.agents.population.UserState`, so Mesa's API
(AgentSet selection, DataCollector, visualisation) works on the same numbers the
vectorised step uses. Subclass :class:`User` to give a special account behaviour in
notebooks; the step itself never loops over agents.
"""

from __future__ import annotations

from typing import Any

import mesa

from feedlab.agents.population import ROLE_NAMES


def _view(name: str, doc: str) -> property:
    def get(self: User) -> Any:
        return getattr(self.model.users, name)[self.index].item()

    def set_(self: User, value: Any) -> None:
        getattr(self.model.users, name)[self.index] = value

    return property(get, set_, doc=doc)


class User(mesa.Agent):
    """A user account; ``index`` is its row in the state arrays."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = int(index)

    opinion = _view("opinion", "opinion x in [-1, 1]")
    group = _view("group", "group / identity")
    tolerance = _view("tolerance", "bounded-confidence tolerance ε")
    convergence = _view("convergence", "convergence rate μ")
    susceptibility = _view("susceptibility", "outrage susceptibility s")
    arousal = _view("arousal", "current arousal e")
    platform_trust = _view("platform_trust", "trust in the platform T")
    activity = _view("activity", "expected posts per step")
    attention = _view("attention", "feed length k")
    arm = _view("arm", "experimental arm (index of its ranking policy)")

    @property
    def role(self) -> str:
        """user, influencer, brand or bot."""
        return ROLE_NAMES[int(self.model.users.role[self.index])]

    @property
    def following(self) -> list[int]:
        """Indices of the accounts this user follows."""
        g = self.model.graph
        return g.indices[g.indptr[self.index] : g.indptr[self.index + 1]].tolist()
