"""Audience size: weaker ties to large accounts, diluted attention of heavy followers.

Two switchable mechanisms (``dynamics.audience``, both off by default) that let
engagement per follower depend on how many accounts are on either end of a follow edge.
Both are deterministic transforms of the follow graph's degrees: they draw no random
number, and when off the model computes exactly what it computed without them.

**Weaker ties to large accounts** (``ties``). The baseline trust ``τ0`` of an edge
``i → j`` is scaled down by the audience of ``j``:

    τ0 = τ0_rel · min(1, (d_j / d_ref)^(−γ)),      γ ≥ 0,

``τ0_rel`` the relation's baseline (friend, follow, influencer;
``dynamics.trust.*_baseline``), ``d_j`` the followee's in-degree (followers, bought ones
included: the count a viewer sees) and ``d_ref`` the reference audience (``reference``;
0 = the median in-degree of the accounts with at least one follower, at set-up). Ties to
accounts with at most ``d_ref`` followers keep their baseline; above it, ``τ0`` falls as
a power of the audience, ``(d/d_ref)^(−γ)``, so a ten-fold larger audience divides the
baseline by ``10^γ``. Sources: tie strength is a property of the relationship, and an
account cannot keep strong ties with a large audience — people maintain ~150 stable
relationships in layers of decreasing closeness (Dunbar 2016, R. Soc. Open Sci.
3:150292), also on Twitter, where users sustain 100–200 stable conversational ties
(Gonçalves, Perra & Vespignani 2011, PLoS ONE 6:e22656); followers of a large account
hold a weak, one-sided (parasocial: Horton & Wohl 1956, Psychiatry 19:215) tie, in
Granovetter's (1973, Am. J. Sociol. 78:1360) terms low in intimacy and reciprocity.
Wies, Bleier & Edeling (2023, J. Marketing 87(3):383) find, in 802 Instagram campaigns
and lab experiments, that a higher follower count "cues a weaker relationship that
reduces followers' engagement likelihood" — engagement first rises with the follower
count (reach), then falls (an inverted U), which is the decline of the engagement *rate*
behind stylized fact 5 (docs/validation.md). The power law and the hinge at ``d_ref``
are feedlab's own choices (the simplest monotone form with one exponent); no source
gives the functional form. The baseline is set when an edge is created (set-up, or a
new follow in the rewire phase, with the in-degree then, the new follower included), and
kept: trust relaxes toward it, enters the reaction log-odds ``β_trust(τ − ½)``, weighs
opinion influence and, below ``dynamics.follow.unfollow_trust``, makes unfollowing
possible (docs/model.md §One step).

**Attention dilution** (``dilution``). A viewer who follows many accounts engages less
with each item in its feed. The four reaction log-odds of viewer ``i`` get

    −δ · max(0, ln(k_i / k_ref)),      δ ≥ 0,

``k_i`` the viewer's current out-degree (accounts followed) and ``k_ref`` the reference
(``reference``; 0 = the median out-degree of the accounts following at least one, at
set-up). For rare actions the probability is ≈ proportional to the odds, so above
``k_ref`` engagement per item falls as ``(k_i / k_ref)^(−δ)``; ``δ = 1`` is a fixed budget
of interactions shared by the accounts followed. Sources: the number of accounts a
Twitter user actually interacts with saturates as the number followed grows (Huberman,
Romero & Wu 2009, First Monday 14(1)); interactions per contact fall beyond 100–200
contacts (Gonçalves et al. 2011); and, per item, "highly connected individuals are less
likely to propagate an arbitrary tweet" because their attention is divided over more
incoming items (Hodas & Lerman 2012, SocialCom, arXiv:1205.2736; limited attention as the
competition of items for a finite budget: Weng et al. 2012, Sci. Rep. 2:335). Why a
log-odds term and not fewer candidates per followee: the feed already has a fixed length
per viewer (``platform.feed_length`` or the viewer's attention), so the *number* of items
a heavy follower sees from each followee already falls as ``1/k_i`` (Weng et al.'s finite
screen); what the model lacked is the per-item effect Hodas & Lerman measured. The
hinge at ``k_ref`` follows Gonçalves et al.'s saturation (per-contact interaction does
not fall below the Dunbar scale); its position is again a choice. The term is part of
the viewer's true reaction probabilities only, like transparency labels; the platform's
predictor does not see it (it is one constant per viewer, so it shifts all of a viewer's
candidates alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field


@dataclass(frozen=True)
class TieConfig:
    """Weaker ties to large accounts: ``τ0 · min(1, (d/d_ref)^−γ)`` (module docstring)."""

    enabled: bool = field(doc="scale edge baselines down by the followee's audience size")
    exponent: float = field(
        ge=0, le=10, doc="γ: baseline ∝ (followers / reference)^-γ above the reference"
    )
    reference: float = field(
        ge=0,
        le=1e9,
        doc="d_ref, followers below which ties keep their baseline; "
        "0 = median in-degree (accounts with followers) at set-up",
    )


@dataclass(frozen=True)
class DilutionConfig:
    """Attention dilution: log-odds ``−δ · max(0, ln(k/k_ref))`` (module docstring)."""

    enabled: bool = field(doc="viewers who follow many accounts engage less per item")
    strength: float = field(
        ge=0, le=10, doc="δ: reaction log-odds fall by δ per e-fold of accounts followed"
    )
    reference: float = field(
        ge=0,
        le=1e9,
        doc="k_ref, accounts followed below which nothing changes; "
        "0 = median out-degree (accounts following any) at set-up",
    )


@dataclass(frozen=True)
class AudienceConfig:
    """Audience-size mechanisms of engagement (docs/model.md §Audience size)."""

    ties: TieConfig = field(
        doc="weaker ties (lower trust baseline) to accounts with more followers"
    )
    dilution: DilutionConfig = field(
        doc="lower reaction log-odds for viewers who follow more accounts"
    )


def reference_degree(degree: np.ndarray, reference: float) -> float:
    """The reference degree: ``reference`` when positive, else the median of the
    positive entries of ``degree`` (1 when there are none).
    """
    if reference > 0:
        return float(reference)
    d = np.asarray(degree)
    d = d[d > 0]
    return float(np.median(d)) if d.size else 1.0


def tie_factor(in_degree: np.ndarray, d_ref: float, exponent: float) -> np.ndarray:
    """Per followee, the baseline factor ``min(1, (d / d_ref)^−γ)`` in (0, 1].

    ``d`` is floored at 1 (an account being followed has at least that follower), so
    the factor is finite for every input; 1 at and below ``d_ref``.
    """
    d = np.maximum(np.asarray(in_degree, dtype=np.float64), 1.0)
    return np.minimum(1.0, (d / d_ref) ** (-exponent))


def dilution_logit(out_degree: np.ndarray, k_ref: float, strength: float) -> np.ndarray:
    """Per viewer, the log-odds shift ``−δ · max(0, ln(k / k_ref))`` (≤ 0).

    ``k`` is floored at 1; 0 for viewers following at most ``k_ref`` accounts.
    """
    k = np.maximum(np.asarray(out_degree, dtype=np.float64), 1.0)
    return -strength * np.maximum(0.0, np.log(k / k_ref))
