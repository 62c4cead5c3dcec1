"""Who is an influencer, and in which tier (docs/influencers.md §1 Roles and tiers).

Influencer accounts are *existing* accounts of the network, re-roled in the extension's
``setup`` (the population size is fixed by the network, and keeping it fixed keeps the
network and population streams identical across behaviours — common random numbers):

* ``selection: top_in_degree`` — the accounts with the most followers (ties broken at
  random); ``random`` — uniformly among all accounts.
* how many: ``count`` accounts, or, when ``count`` is 0, ``round(share · N)`` (at least 1).
* their posting rate becomes ``activity`` posts per step (influencers post more than
  regular users; docs/influencers.md §2 Behaviours, ``authentic``).

Tiers (nano / micro / macro / mega) follow the observed follower count ``F`` (bought
followers included, as audience rankings see it), with lower bounds
``tiers = [micro, macro, mega]``: ``F < micro`` nano, ``micro ≤ F < macro`` micro,
``macro ≤ F < mega`` macro, ``F ≥ mega`` mega. With ``tier_scale: absolute`` the bounds
are follower counts (the industry convention is nano 1k–10k, micro 10k–100k, macro
100k–1M, mega ≥ 1M: ``tiers: [10000, 100000, 1000000]``); with ``relative`` they are
fractions of the network size N (a simulated network of a few thousand accounts has no
account with 10k followers; ``[0.01, 0.05, 0.2]`` puts a follower_graph of N = 3000 into
all four tiers). Tiers are fixed at set-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from feedlab.agents.population import ROLE_USER
from feedlab.experiments.schema import field

TIER_NAMES = ("nano", "micro", "macro", "mega")


@dataclass(frozen=True)
class RoleConfig:
    """Which accounts are influencers, how often they post, and the tier bounds."""

    selection: Literal["top_in_degree", "random"] = field(
        doc="top_in_degree: the most-followed accounts; random: uniformly chosen"
    )
    count: int = field(ge=0, le=10**8, doc="number of influencer accounts (0: use share)")
    share: float = field(ge=0, le=1, doc="share of all accounts that are influencers")
    activity: float = field(ge=0, le=100, doc="expected posts per step of an influencer")
    tier_scale: Literal["relative", "absolute"] = field(
        doc="tier bounds are fractions of N (relative) or follower counts (absolute)"
    )
    tiers: tuple[float, float, float] = field(
        ge=0, doc="lower follower bounds of the micro, macro and mega tiers"
    )

    def __post_init__(self) -> None:
        if self.count == 0 and self.share <= 0:
            raise ValueError("share: must be > 0 when count is 0 (no influencers otherwise)")
        if not self.tiers[0] < self.tiers[1] < self.tiers[2]:
            raise ValueError(f"tiers: {list(self.tiers)} must be strictly increasing")
        if self.tier_scale == "relative" and self.tiers[2] > 1:
            raise ValueError(
                f"tiers: {list(self.tiers)} are fractions of N with tier_scale relative; "
                "allowed: values in [0, 1]"
            )

    def n_influencers(self, n: int) -> int:
        """Number of influencer accounts in a network of ``n`` accounts."""
        k = self.count if self.count > 0 else max(1, round(self.share * n))
        return int(min(k, n))

    def bounds(self, n: int) -> np.ndarray:
        """Tier lower bounds as follower counts."""
        b = np.asarray(self.tiers, dtype=np.float64)
        return b * n if self.tier_scale == "relative" else b


def select_influencers(
    cfg: RoleConfig, in_degree: np.ndarray, role: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Ids of the influencer accounts among the regular users (``role == 0``), sorted by
    decreasing follower count (ties in random order).
    """
    n = in_degree.shape[0]
    pool = np.flatnonzero(role == ROLE_USER)
    k = min(cfg.n_influencers(n), pool.shape[0])
    tiebreak = rng.random(pool.shape[0])
    if cfg.selection == "random":
        chosen = pool[np.argsort(tiebreak, kind="stable")[:k]]
    else:
        chosen = pool[np.lexsort((tiebreak, -in_degree[pool]))[:k]]
    return chosen[np.lexsort((rng.random(k), -in_degree[chosen]))].astype(np.int64)


def tier_of(followers: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Tier index (0 nano, 1 micro, 2 macro, 3 mega) of each follower count."""
    return np.searchsorted(np.asarray(bounds, dtype=np.float64), followers, side="right").astype(
        np.int8
    )


def stratified_assignment(
    order_ids: np.ndarray, shares: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Component index for each influencer, balanced over the audience ranking.

    ``order_ids`` are sorted by decreasing follower count. Component ``c`` gets
    ``≈ shares[c]·K`` accounts (largest remainders); the labels are laid out along the
    ranking by a deficit rule (each position goes to the component furthest below its
    quota) and then shuffled within consecutive strata of ``ceil(1/min share)`` positions,
    so every component gets a similar mix of audience sizes and the assignment is random
    within strata. Returns an int array aligned with ``order_ids``.
    """
    k = order_ids.shape[0]
    shares = np.asarray(shares, dtype=np.float64)
    shares = shares / shares.sum()
    quota = shares * k
    counts = np.floor(quota).astype(np.int64)
    rest = k - int(counts.sum())
    if rest > 0:
        frac = quota - counts
        counts[np.lexsort((np.arange(frac.size), -frac))[:rest]] += 1
    labels = np.empty(k, dtype=np.int64)
    given = np.zeros(shares.size, dtype=np.int64)
    for pos in range(k):  # loop over influencers (not users), at set-up only
        deficit = shares * (pos + 1) - given
        deficit[given >= counts] = -np.inf
        c = int(np.argmax(deficit))
        labels[pos] = c
        given[c] += 1
    positive = shares[shares > 0]
    stratum = int(np.ceil(1.0 / positive.min())) if positive.size else 1
    for lo in range(0, k, stratum):
        seg = labels[lo : lo + stratum]
        labels[lo : lo + stratum] = seg[rng.permutation(seg.shape[0])]
    return labels
