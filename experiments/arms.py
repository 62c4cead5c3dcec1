"""Experimental arms: several ranking policies in one run (an A/B test with spill-over).

A config with a non-empty ``arms`` list assigns every user to one arm; each arm's
viewers get feeds from that arm's ranking policy, while everybody stays on the same
network, posts into the same pool and reacts to the same posts — so effects spill over
between arms, as in platforms' own field experiments (Huszár et al. 2022; Guess et al.
2023). The first arm listed is the *control*: differences and amplification ratios are
reported as arm − control and arm ÷ control.

Schema (top level of the run config)::

    arms:                       # empty (the default) = one arm using `ranking`
      - {name: control,   ranking: {name: chronological}, share: 0.5}
      - {name: treatment, ranking: ${ranking},            share: 0.5}
    arms_assignment: random     # random | by_group

* ``random`` — complete randomisation from the ``assignment`` seed stream: a random
  permutation of the users is cut into blocks of ``round(share·N)`` users (largest
  remainders), so arm sizes match the shares exactly.
* ``by_group`` — cluster randomisation by group: whole groups (the network's
  communities, or opinion sides) are shuffled and each goes to the arm furthest below
  its target share. Spill-over between arms then only crosses group boundaries; arm
  sizes follow group sizes. Needs at least as many groups as arms.

Checks (:func:`check`): names are identifiers without ``__`` (they become column
suffixes), unique; shares are in (0, 1] and sum to 1; every arm's ranking is a valid
unit; arms cannot drive ``dynamics.interaction = pairwise``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from feedlab.experiments.schema import ConfigError, field

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ArmConfig:
    """One experimental arm."""

    name: str = field(doc="arm name: letters, digits, single underscores (column suffix)")
    ranking: dict[str, Any] = field(doc="the arm's ranking unit: {name: ..., params}")
    share: float = field(gt=0, le=1, doc="fraction of users in the arm")


def check(arms: list[ArmConfig] | tuple[ArmConfig, ...], interaction: str) -> list[str]:
    """Cross-field problems of the ``arms`` list (one line per problem)."""
    problems: list[str] = []
    if not arms:
        return problems
    names = [a.name for a in arms]
    for i, a in enumerate(arms):
        if not NAME.match(a.name) or "__" in a.name:
            problems.append(
                f"arms[{i}].name: {a.name!r} is not allowed; allowed: a letter then letters, "
                "digits or single underscores (no '__': names become column suffixes)"
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"arms: duplicate arm names {dupes}; allowed: unique names")
    total = sum(a.share for a in arms)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append(
            f"arms: shares sum to {total:g}; allowed: shares that sum to 1 "
            f"({', '.join(f'{a.name}={a.share:g}' for a in arms)})"
        )
    if interaction == "pairwise":
        problems.append(
            "arms: experimental arms need the feed step; allowed with "
            "dynamics.interaction=pairwise: arms: [] (one policy)"
        )
    return problems


def build_policies(arms: list[ArmConfig] | tuple[ArmConfig, ...], registry: Any) -> list[Any]:
    """Each arm's ranking unit, built by the registry (ConfigError names ``arms[i]``)."""
    problems: list[str] = []
    out = []
    for i, a in enumerate(arms):
        try:
            out.append(registry.build(a.ranking, f"arms[{i}].ranking"))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return out


def block_sizes(shares: np.ndarray, n: int) -> np.ndarray:
    """Integer arm sizes summing to ``n``, proportional to ``shares`` (largest remainders)."""
    raw = np.asarray(shares, dtype=np.float64) / float(np.sum(shares)) * n
    sizes = np.floor(raw).astype(np.int64)
    short = n - int(sizes.sum())
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[:short]] += 1
    return sizes


def assign(
    shares: np.ndarray, how: str, groups: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Arm index of every user (int16): complete randomisation or by group (module doc)."""
    shares = np.asarray(shares, dtype=np.float64)
    n, k = int(groups.shape[0]), int(shares.shape[0])
    if how == "random":
        sizes = block_sizes(shares, n)
        arm = np.empty(n, np.int16)
        arm[rng.permutation(n)] = np.repeat(np.arange(k, dtype=np.int16), sizes)
        return arm
    if how != "by_group":
        raise ConfigError([f"arms_assignment: {how!r} is not allowed; allowed: random, by_group"])
    grp = groups.astype(np.int64)
    count = np.bincount(grp)
    present = np.flatnonzero(count)
    if present.size < k:
        raise ConfigError(
            [
                f"arms_assignment: by_group needs at least as many groups as arms; the "
                f"population has {present.size} group(s) and there are {k} arms; allowed: "
                "random, or fewer arms"
            ]
        )
    target = shares / shares.sum() * n
    filled = np.zeros(k)
    arm_of_group = np.zeros(count.size, np.int16)
    for i, g in enumerate(rng.permutation(present)):  # a loop over groups, not users
        empty = np.flatnonzero(filled == 0)
        left = present.size - i
        # keep every arm non-empty: once groups run short, only empty arms may take one
        choices = empty if left <= empty.size else np.arange(k)
        a = choices[np.argmax((target - filled)[choices])]
        arm_of_group[g] = a
        filled[a] += count[g]
    return arm_of_group[grp]


def apply(model: Any, arms: list[ArmConfig] | tuple[ArmConfig, ...], how: str, seed: int) -> None:
    """Assign the model's users to arms from the ``assignment`` seed stream."""
    from feedlab.models import seeds

    if not arms:
        return
    shares = np.array([a.share for a in arms])
    model.users.arm = assign(shares, how, model.users.group, seeds.rng(seed, "assignment"))
