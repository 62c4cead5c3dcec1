"""``mixture``: several behaviours at once, each on a share of the influencer accounts.

The influencer accounts are chosen once (``roles``) and split between the components in
proportion to their ``share`` (:func:`feedlab.agents.behaviours.roles.stratified_assignment`:
balanced over audience size, random within strata), so within one run the components
can be compared on similar audiences — e.g. bought vs authentic accounts for the
fake-engagement indicators. Each component is ``{label, share, behaviour}`` where
``behaviour`` is a behaviour unit's config *without* ``roles`` (the mixture's apply); the
``label`` names its accounts in the outputs (``trust_<label>``, ``n_<label>``, the
``behaviour`` column of ``agents.parquet``). Shares must sum to 1.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from feedlab.agents.behaviours.accounts import BehaviourUnit, InfluencerExtension
from feedlab.agents.behaviours.base import INFLUENCERS
from feedlab.agents.behaviours.roles import TIER_NAMES, RoleConfig
from feedlab.experiments.schema import ConfigError, field

RESERVED = ("influencers", "users")
LABEL = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Component:
    """One component of a mixture."""

    label: str = field(doc="name of these accounts in the outputs ([a-z][a-z0-9_]*)")
    share: float = field(ge=0, le=1, doc="share of the influencer accounts")
    behaviour: dict[str, Any] = field(doc="behaviour unit config without roles: {name, ...}")


@INFLUENCERS.register("mixture")
@dataclass(frozen=True)
class Mixture:
    """Several behaviours on shares of one set of influencer accounts (module docstring)."""

    roles: RoleConfig = field(doc="which accounts are influencers, their activity and tiers")
    components: tuple[Component, ...] = field(doc="the behaviours and their shares")
    units: tuple[Any, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the shares and labels and build every component's unit, reporting all
        problems in one error (``units`` holds the built units).
        """
        if not self.components:
            raise ValueError("components: at least one component is required")
        problems = self._share_and_label_problems()
        units, unit_problems = self._build_units()
        problems.extend(unit_problems)
        if problems:
            raise ValueError("components: " + "; ".join(problems))
        object.__setattr__(self, "units", tuple(units))

    def _share_and_label_problems(self) -> list[str]:
        """Shares that do not sum to 1; labels that are malformed, reserved or repeated."""
        problems: list[str] = []
        total = sum(c.share for c in self.components)
        if abs(total - 1.0) > 1e-9:
            problems.append(f"shares sum to {total:g}; allowed: a sum of 1")
        labels = [c.label for c in self.components]
        tiers = {f"tier_{t}" for t in TIER_NAMES}
        for i, c in enumerate(self.components):
            if not LABEL.match(c.label) or c.label in RESERVED or c.label in tiers:
                problems.append(
                    f"[{i}].label: {c.label!r} is not allowed; allowed: [a-z][a-z0-9_]* other "
                    f"than {', '.join((*RESERVED, *sorted(tiers)))}"
                )
            if labels.count(c.label) > 1:
                problems.append(f"[{i}].label: {c.label!r} is used twice; labels must be unique")
        return problems

    def _build_units(self) -> tuple[list[Any], list[str]]:
        """Each component's behaviour unit, built with the mixture's roles, and the
        problems of the components that could not be built.
        """
        units: list[Any] = []
        problems: list[str] = []
        roles = dataclasses.asdict(self.roles)
        for i, c in enumerate(self.components):
            try:
                units.append(_component_unit(c.behaviour, f"[{i}].behaviour", roles))
            except ConfigError as exc:
                problems.extend(exc.problems)
        return units, problems

    def extension(self, rng: np.random.Generator) -> InfluencerExtension:
        """One :class:`InfluencerExtension` whose parts are the components' parts, each with its
        share of the influencer accounts.
        """
        parts = [
            (c.share, unit.part(c.label))
            for c, unit in zip(self.components, self.units, strict=True)
        ]
        return InfluencerExtension(self.roles, parts, rng)


def _component_unit(behaviour: dict[str, Any], path: str, roles: dict[str, Any]) -> Any:
    """Build one component's behaviour unit with ``roles`` added.

    Raises :class:`ConfigError` (naming ``path``) when the component sets its own roles,
    names an unknown behaviour, or names one that cannot be a component (``none``,
    ``mixture``: only :class:`BehaviourUnit` behaviours have a part to share accounts).
    """
    if "roles" in behaviour:
        raise ConfigError([f"{path}.roles: set roles on the mixture, not per component"])
    name = behaviour.get("name")
    cls = INFLUENCERS.get(str(name), path)
    if not issubclass(cls, BehaviourUnit):
        allowed = [n for n in INFLUENCERS.names() if issubclass(INFLUENCERS.get(n), BehaviourUnit)]
        raise ConfigError(
            [f"{path}.name: {name!r} cannot be a component; allowed: {', '.join(allowed)}"]
        )
    return INFLUENCERS.build({**behaviour, "roles": roles}, path)
