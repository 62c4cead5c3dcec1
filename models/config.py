"""Schema of the platform and dynamics config nodes (the model's own parameters)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Literal

from feedlab.agents.rules.affect import AffectConfig
from feedlab.agents.rules.audience import AudienceConfig
from feedlab.agents.rules.churn import ChurnConfig
from feedlab.agents.rules.emotion import EmotionConfig
from feedlab.agents.rules.opinion import OpinionConfig
from feedlab.agents.rules.reaction import ReactionConfig
from feedlab.agents.rules.session import SessionConfig
from feedlab.agents.rules.trust import TrustConfig
from feedlab.agents.rules.value import ValueConfig
from feedlab.experiments.schema import field


@dataclass(frozen=True)
class PredictionBias:
    """Additive log-odds bias of the platform's predictions, per action."""

    like: float = field(ge=-10, le=10, doc="bias added to the predicted log-odds of a like")
    comment: float = field(ge=-10, le=10, doc="bias added to the predicted log-odds of a comment")
    share: float = field(ge=-10, le=10, doc="bias added to the predicted log-odds of a share")
    negfb: float = field(
        ge=-10, le=10, doc="bias added to the predicted log-odds of negative feedback"
    )


@dataclass(frozen=True)
class LabelConfig:
    """Transparency labels on items from low-reliability sources (models/ranking/quality.py)."""

    enabled: bool = field(doc="label items whose source's mean quality is below the threshold")
    reliability_threshold: float = field(
        ge=0, le=1, doc="source mean quality below this is labelled"
    )
    like: float = field(ge=-10, le=10, doc="log-odds shift of liking a labelled item")
    share: float = field(ge=-10, le=10, doc="log-odds shift of sharing a labelled item")


@dataclass(frozen=True)
class SubscriptionConfig:
    """Subscriptions (``platform.business_model`` subscription or hybrid; models/economy/)."""

    price: float = field(ge=0, le=1e6, doc="price per step of a subscription (currency units)")
    wtp_per_value: float = field(
        ge=0, le=1e6, doc="willingness to pay per step per unit of experienced value"
    )
    wtp_sd: float = field(ge=0, le=5, doc="sd of the log of each user's WTP multiplier")
    memory: float = field(ge=0, lt=1, doc="λ: experienced value = EMA of session value")
    adoption: float = field(
        ge=0, le=1, doc="per-step probability that a user with WTP >= price subscribes"
    )
    cancel: float = field(
        ge=0,
        le=1,
        doc="per-step probability that a subscriber with WTP < price (or inactive) cancels",
    )
    initial: float = field(ge=0, le=1, doc="share of users subscribed at the start")


@dataclass(frozen=True)
class PlatformConfig:
    """What the platform does around the ranking policy (docs/model.md §Platform)."""

    feed_length: int = field(ge=0, le=100_000, doc="k for everyone; 0 = each user's attention")
    window: int = field(ge=1, le=1000, doc="W: candidate posts are from the last W steps")
    reshow_seen: bool = field(
        doc="with W > 1, may a post (or a reshare of it) already shown to a viewer in the "
        "last W - 1 steps be a candidate again; false = never re-shown"
    )
    out_of_network: int = field(ge=0, le=1000, doc="recommended items per viewer per step")
    prediction_noise: float = field(ge=0, le=10, doc="sd of the ranker's log-odds error")
    prediction_bias: PredictionBias = field(
        doc="systematic log-odds bias of the ranker's predictions, per action"
    )
    post_capacity: int = field(ge=0, le=10**9, doc="post ring-buffer size; 0 = automatic")
    labels: LabelConfig = field(doc="transparency labels on items from low-reliability sources")
    business_model: Literal["none", "ad_funded", "subscription", "hybrid"] = field(
        doc="how the platform earns (docs/attention.md §Business models): none; ad_funded "
        "(needs ads); subscription (ad-free, users pay); hybrid (needs ads; subscribers "
        "see none)"
    )
    subscription: SubscriptionConfig = field(
        doc="subscription price and willingness to pay (subscription, hybrid)"
    )
    threads: int = field(
        ge=1,
        le=1024,
        doc="threads of the hot kernels (Numba parallel); results do not depend on it",
    )

    def __post_init__(self) -> None:
        """Refuse more threads than Numba's pool holds (``field: ...`` message)."""
        limit = thread_limit()
        if self.threads > limit:
            raise ValueError(
                f"threads: {self.threads} exceeds the {limit} threads Numba may start on this "
                f"machine (NUMBA_NUM_THREADS, default the number of cores); allowed: 1..{limit}"
            )


def thread_limit() -> int:
    """The size of Numba's thread pool: fixed when Numba was imported (its
    ``config.NUMBA_NUM_THREADS``, whatever the environment says now); before that,
    ``NUMBA_NUM_THREADS`` if set, else the number of cores (Numba's own default), without
    importing Numba.
    """
    numba = sys.modules.get("numba")
    pool = getattr(getattr(numba, "config", None), "NUMBA_NUM_THREADS", None)
    if isinstance(pool, int) and pool > 0:
        return pool
    env = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


@dataclass(frozen=True)
class FollowConfig:
    """Rewiring: unfollow on low trust or large disagreement, follow through reshares."""

    enabled: bool = field(doc="the follow graph changes")
    unfollow_trust: float = field(ge=0, le=1, doc="edges with trust below this may be cut")
    unfollow_distance: float = field(ge=0, le=2, doc="edges with |x_i - x_j| above this may be cut")
    unfollow_prob: float = field(ge=0, le=1, doc="per-step probability to cut such an edge")
    follow_prob: float = field(
        ge=0,
        le=1,
        doc="probability to follow the author of a liked/shared reshare or recommendation",
    )
    homophily: float = field(ge=0, le=100, doc="h: follow probability × exp(-h |x_i - x_j|)")


@dataclass(frozen=True)
class DynamicsConfig:
    """The per-person rules and which of them are on."""

    interaction: Literal["feed", "pairwise"] = field(
        doc="feed: the full feed step; pairwise: sequential pairwise bounded confidence "
        "(canonical Deffuant/algorithmic-bias reductions)"
    )
    symmetric: bool = field(doc="pairwise mode: both parties update (as the originals)")
    reshares: bool = field(doc="shared posts are reshared to the sharer's followers")
    stance_noise: float = field(ge=0, le=2, doc="sd of a post's stance around its author's opinion")
    quality_noise: float = field(ge=0, le=1, doc="sd of a post's quality around its author's mean")
    high_outrage: float = field(ge=0, le=1, doc="threshold of 'high-outrage' items in metrics")
    opinion: OpinionConfig = field(doc="opinion updates: bounded confidence and backfire")
    emotion: EmotionConfig = field(doc="arousal dynamics")
    trust: TrustConfig = field(doc="trust in followees and in the platform")
    follow: FollowConfig = field(doc="rewiring: unfollow and follow rules")
    reaction: ReactionConfig = field(
        doc="logistic models of like, comment, share and negative feedback"
    )
    value: ValueConfig = field(doc="weights of the reflective value of an item read")
    affect: AffectConfig = field(
        doc="affective polarisation (in- and out-group warmth), post animosity and anger"
    )
    audience: AudienceConfig = field(
        doc="audience-size mechanisms: weaker ties to large accounts, attention dilution"
    )
    session: SessionConfig = field(
        doc="endogenous session length: a foraging stopping rule; time spent per item"
    )
    churn: ChurnConfig = field(doc="users leave (stop opening the app) and return")
