"""The people: per-user state as struct-of-arrays, and how it is drawn from a config.

Every user is one index ``i`` into the arrays of :class:`UserState`; the Mesa agents in
:mod:`feedlab.agents.user` are thin views onto them. Parameters that vary between people are
drawn from distributions with a configured mean and standard deviation
(:class:`Spread`): a Beta distribution for quantities in a bounded interval (method of
moments; ``sd = 0`` gives everyone the mean), so that heterogeneity never leaves the
valid range by clipping.

Opinion scale: ``x ∈ [-1, 1]``; tolerances are distances on that scale (the
Deffuant–Weisbuch ε on the [0, 1] scale is half of feedlab's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from feedlab.experiments.schema import field

ROLE_USER, ROLE_INFLUENCER, ROLE_BRAND, ROLE_BOT = 0, 1, 2, 3
ROLE_NAMES = ("user", "influencer", "brand", "bot")


@dataclass(frozen=True)
class Spread:
    """A heterogeneous parameter: population mean and standard deviation."""

    mean: float = field(doc="population mean")
    sd: float = field(ge=0.0, doc="standard deviation between people (0 = homogeneous)")


@dataclass(frozen=True)
class OpinionInit:
    """Initial opinions, correlated with groups where the network has them."""

    init: Literal["uniform", "polarised", "normal"] = field(
        doc="uniform on [-1,1]; polarised: group centres at ±separation; normal around 0"
    )
    separation: float = field(ge=0.0, le=1.0, doc="|group centre| for 'polarised'")
    spread: float = field(ge=0.0, le=2.0, doc="sd around the centre ('polarised', 'normal')")


@dataclass(frozen=True)
class PopulationConfig:
    """How opinions, tolerance, emotion, trust and activity are drawn (docs/model.md §State)."""

    name: str = field(doc="preset name (informational)")
    opinion: OpinionInit = field(doc="initial opinions: distribution, group separation, spread")
    tolerance: Spread = field(doc="bounded-confidence ε, distance on the [-1,1] scale, in [0,2]")
    convergence: Spread = field(doc="convergence rate μ in [0, 0.5]")
    susceptibility: Spread = field(doc="outrage susceptibility s in [0,1]")
    outrage_base: Spread = field(doc="baseline outrage of own posts in [0,1]")
    quality: Spread = field(doc="mean quality/veracity of own posts in [0,1]")
    activity: Spread = field(doc="expected posts per step (Poisson rate) in [0, max_posts]")
    attention: Spread = field(doc="feed length k per user (rounded, >= 1)")
    political: Spread = field(doc="probability that an own post is political, in [0,1]")
    share_propensity: Spread = field(doc="multiplier on the probability to reshare, in [0,2]")
    platform_trust: Spread = field(doc="initial (and baseline) trust in the platform, in [0,1]")
    max_posts: int = field(ge=1, le=100, doc="cap on posts per user per step")
    max_attention: int = field(ge=1, le=10_000, doc="cap on feed length k")


def draw_bounded(
    spec: Spread, n: int, lo: float, hi: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``n`` values in ``[lo, hi]`` with the given mean and sd (scaled Beta).

    The mean must lie inside the interval; a sd too large for a Beta with that mean is
    reduced to the largest feasible one (documented in docs/model.md).
    """
    if not lo <= spec.mean <= hi:
        raise ValueError(f"mean {spec.mean} outside [{lo}, {hi}]")
    width = hi - lo
    m = (spec.mean - lo) / width
    if spec.sd == 0 or m in (0.0, 1.0):
        return np.full(n, spec.mean, dtype=np.float64)
    v = (spec.sd / width) ** 2
    v = min(v, 0.999 * m * (1 - m))
    common = m * (1 - m) / v - 1
    return lo + width * rng.beta(m * common, (1 - m) * common, size=n)


BOUNDS = {
    "tolerance": (0.0, 2.0),
    "convergence": (0.0, 0.5),
    "susceptibility": (0.0, 1.0),
    "outrage_base": (0.0, 1.0),
    "quality": (0.0, 1.0),
    "political": (0.0, 1.0),
    "share_propensity": (0.0, 2.0),
    "platform_trust": (0.0, 1.0),
}


def validate_population(cfg: PopulationConfig) -> list[str]:
    """Cross-field range problems (means inside their intervals)."""
    problems = []
    for name, (lo, hi) in BOUNDS.items():
        mean = getattr(cfg, name).mean
        if not lo <= mean <= hi:
            problems.append(
                f"population.{name}.mean: {mean!r} is out of range; allowed: {lo:g}..{hi:g}"
            )
    if not 0 <= cfg.activity.mean <= cfg.max_posts:
        problems.append(
            f"population.activity.mean: {cfg.activity.mean!r} is out of range; "
            f"allowed: 0..max_posts ({cfg.max_posts})"
        )
    if not 1 <= cfg.attention.mean <= cfg.max_attention:
        problems.append(
            f"population.attention.mean: {cfg.attention.mean!r} is out of range; "
            f"allowed: 1..max_attention ({cfg.max_attention})"
        )
    return problems


@dataclass
class UserState:
    """Struct-of-arrays state of all users (index = user id). float64 for exact
    reproducibility of the canonical reductions; ≈ 110 bytes per user.
    """

    opinion: np.ndarray
    group: np.ndarray
    tolerance: np.ndarray
    convergence: np.ndarray
    susceptibility: np.ndarray
    arousal: np.ndarray
    outrage_base: np.ndarray
    quality: np.ndarray
    activity: np.ndarray
    attention: np.ndarray
    political: np.ndarray
    share_propensity: np.ndarray
    platform_trust: np.ndarray
    platform_trust_baseline: np.ndarray
    role: np.ndarray
    arm: np.ndarray
    #: warmth and anger (``dynamics.affect``; :func:`draw_affect`); None when affect is off,
    #: so that runs without it carry no such columns
    affect: AffectState | None = None

    @property
    def n(self) -> int:
        """Number of users."""
        return int(self.opinion.shape[0])

    @property
    def n_groups(self) -> int:
        """Number of groups (``max(group) + 1``; 0 without users)."""
        return int(self.group.max()) + 1 if self.n else 0

    def columns(self) -> dict[str, np.ndarray]:
        """All per-user arrays by name (for agents.parquet), the affect arrays included
        when affect is on.
        """
        cols = {k: v for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        if self.affect is not None:
            cols.update(vars(self.affect))
        return cols


@dataclass
class AffectState:
    """Per-user affect (docs/model.md §Affective polarisation and anger): warmth toward
    the in-group and the out-group on the 0–100 feeling thermometer (ANES), their
    baselines, and the anger reported after the last session in [0, 1].
    """

    ingroup_warmth: np.ndarray
    outgroup_warmth: np.ndarray
    ingroup_warmth_baseline: np.ndarray
    outgroup_warmth_baseline: np.ndarray
    anger: np.ndarray


def draw_affect(ingroup: Spread, outgroup: Spread, n: int, rng: np.random.Generator) -> AffectState:
    """Initial (and baseline) warmth of ``n`` users on [0, 100] (scaled Beta with the
    configured mean and sd, as every bounded trait), in-group first; anger starts at 0.

    The caller passes the run's own ``affect`` stream, so drawing affect never changes
    another stream's numbers.
    """
    w_in = draw_bounded(ingroup, n, 0.0, 100.0, rng)
    w_out = draw_bounded(outgroup, n, 0.0, 100.0, rng)
    return AffectState(
        ingroup_warmth=w_in.copy(),
        outgroup_warmth=w_out.copy(),
        ingroup_warmth_baseline=w_in,
        outgroup_warmth_baseline=w_out,
        anger=np.zeros(n),
    )


def initial_opinions(
    cfg: OpinionInit, groups: np.ndarray, n_groups: int, rng: np.random.Generator
) -> np.ndarray:
    """Initial opinions in [-1, 1]; group centres alternate sign and spread evenly."""
    n = int(groups.shape[0])  # int(): the array overloads of the draws for mypy
    if cfg.init == "uniform":
        return rng.uniform(-1.0, 1.0, size=n)
    if cfg.init == "normal":
        return np.clip(rng.normal(0.0, cfg.spread, size=n), -1.0, 1.0)
    # polarised: centres ±separation for two groups; evenly spaced for more
    if n_groups <= 2:
        centres = np.array([-cfg.separation, cfg.separation])
    else:
        centres = np.linspace(-cfg.separation, cfg.separation, n_groups)
    return np.clip(centres[groups] + rng.normal(0.0, cfg.spread, size=n), -1.0, 1.0)


def draw_population(
    cfg: PopulationConfig,
    n: int,
    groups: np.ndarray | None,
    rng: np.random.Generator,
) -> UserState:
    """Draw every user's parameters and initial state.

    When the network carries no groups, opinions are drawn first (with a single group)
    and the group is the sign of the initial opinion (docs/model.md §State).
    """
    if groups is None:
        opinion = initial_opinions(cfg.opinion, np.zeros(n, np.int32), 1, rng)
        if cfg.opinion.init == "polarised":  # two camps without network groups
            camp = rng.integers(0, 2, size=n)
            opinion = np.clip(
                np.where(camp == 1, 1.0, -1.0) * cfg.opinion.separation
                + rng.normal(0.0, cfg.opinion.spread, size=n),
                -1.0,
                1.0,
            )
        group = (opinion > 0).astype(np.int32)
    else:
        group = np.asarray(groups, dtype=np.int32)
        opinion = initial_opinions(cfg.opinion, group, int(group.max()) + 1 if n else 0, rng)

    def d(name: str) -> np.ndarray:
        lo, hi = BOUNDS[name]
        return draw_bounded(getattr(cfg, name), n, lo, hi, rng)

    activity = draw_bounded(cfg.activity, n, 0.0, float(cfg.max_posts), rng)
    attention = np.rint(draw_bounded(cfg.attention, n, 1.0, float(cfg.max_attention), rng))
    ptrust = d("platform_trust")
    return UserState(
        opinion=opinion.astype(np.float64),
        group=group,
        tolerance=d("tolerance"),
        convergence=d("convergence"),
        susceptibility=d("susceptibility"),
        arousal=np.zeros(n),
        outrage_base=d("outrage_base"),
        quality=d("quality"),
        activity=activity,
        attention=attention.astype(np.int32),
        political=d("political"),
        share_propensity=d("share_propensity"),
        platform_trust=ptrust.copy(),
        platform_trust_baseline=ptrust,
        role=np.zeros(n, dtype=np.int8),
        arm=np.zeros(n, dtype=np.int16),
    )
