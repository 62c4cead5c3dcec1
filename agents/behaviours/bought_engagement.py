"""``bought_engagement``: fake followers and paid likes and comments from bot accounts.

docs/influencers.md §2 Behaviours. **Bots** are existing accounts, re-roled: the ``round(bots·N)`` regular accounts
with the lowest posting rate (ties at random) become bots (role 3). Re-roling instead of
adding nodes keeps N — and so the network and population streams — identical to the
other behaviours (common random numbers). A bot never posts (activity 0) and never reads
a feed (attention 0), so it has no real reactions, no opinion change and no trust
evidence; it keeps its original follows (a fake account's cover) and its followers
simply stop hearing from it. Bots need per-user feed lengths (``platform.feed_length =
0``); a fixed feed length is refused.

**Fake followers.** Each bought influencer ``j`` with ``F_j`` followers at set-up gets
``min(round(fake_followers·F_j), #bots)`` bots as extra followers (``graph.rewire``;
``fake_follow`` events at step 0). They inflate the follower count — the tier and the
engagement rate's denominator — and nothing else. Sellers refill dropped followers: a
bot edge cut by the core's unfollow rule is restored at the end of the step (another
``fake_follow`` event). Trust on bot edges is excluded from the trust-by-group metrics.

**Paid engagement.** Every original post of ``j`` gets ``Poisson(likes_per_post)`` paid
likes and ``Poisson(comments_per_post)`` paid comments in the step it is written, each
from a random bot follower of ``j`` (``paid_like`` / ``paid_comment`` events): the post's
counters (``likes``, ``comments``, ``impressions``, and the per-group ``likes_by_group``,
``impressions_by_group`` of the bot's group) rise as if real.

**Popularity signal in ranking.** A platform's engagement predictor is trained on
observed reactions, which include the paid ones. feedlab's predictor is the true model
plus noise (:mod:`feedlab.models.predictor`), so we add what training on inflated labels would
add: a per-author calibration factor on the predicted like and comment probabilities of
``j``'s posts (and reshares of them),

    p̂_a ← min(1, p̂_a · (R_a + P_a + c) / (R_a + c)),   R ← λ R + real_t,  P ← λ P + paid_t

with ``R_a`` and ``P_a`` the exponentially discounted (memory λ = ``calibration_memory``)
real and paid counts of action ``a`` on ``j``'s posts and ``c`` (``calibration_prior``) a
pseudo-count that damps accounts with little data. The ratio is the observed count over
the count the model would expect (the real one, since the true model is calibrated on
real reactions); for any account without paid engagement it is exactly 1, so nobody
else's predictions change. Follower counts enter no ranking policy, so fake followers
do not change the ranking. (Muchnik, Aral & Taylor 2013, Science 341:647: a single
artificial up-vote raised later positive ratings by 32 %.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from feedlab.agents.behaviours.accounts import BehaviourUnit, Part
from feedlab.agents.behaviours.base import INFLUENCERS
from feedlab.agents.behaviours.roles import RoleConfig
from feedlab.agents.population import ROLE_BOT, ROLE_USER
from feedlab.experiments.schema import ConfigError, field
from feedlab.models.posts import KIND_RESHARE
from feedlab.models.predictor import ALL_ACTIONS, COMMENT, LIKE, predict_columns

if TYPE_CHECKING:
    from feedlab.models.feed import Candidates
    from feedlab.models.model import FeedModel, StepContext


@INFLUENCERS.register("bought_engagement")
@dataclass(frozen=True)
class BoughtEngagement(BehaviourUnit):
    """Influencers who buy followers, likes and comments from bots (module docstring)."""

    roles: RoleConfig = field(doc="which accounts are influencers, their activity and tiers")
    bots: float = field(gt=0, le=0.5, doc="share of all accounts re-roled as bots")
    fake_followers: float = field(ge=0, le=100, doc="bought followers per real follower")
    likes_per_post: float = field(ge=0, le=10_000, doc="mean paid likes per own post")
    comments_per_post: float = field(ge=0, le=10_000, doc="mean paid comments per own post")
    calibration_memory: float = field(
        ge=0, le=1, doc="λ: the predictor's per-author counts kept per step"
    )
    calibration_prior: float = field(gt=0, le=10**6, doc="c: pseudo-count of the calibration")

    def part(self, label: str) -> Part:
        """The stateful bots-and-paid-engagement part for the accounts labelled ``label``."""
        return BoughtPart(label, self)


class BoughtPart(Part):
    """Bots, their follow edges, paid engagement and the predictor calibration."""

    kind = "bought_engagement"

    def __init__(self, label: str, cfg: BoughtEngagement):
        super().__init__(label)
        self.cfg = cfg
        self.step = {"paid_likes": 0.0, "paid_comments": 0.0, "fake_refills": 0.0}
        self.total = dict.fromkeys(self.step, 0.0)

    # ---------------------------------------------------------------- set-up
    def attach(self, model: FeedModel) -> None:
        """Re-role the least active regular accounts as bots and give each bought influencer
        its fake followers (module docstring); refuses a fixed feed length, which would give
        bots a feed.

        Raises
        ------
        ConfigError
            When ``platform.feed_length`` is not 0.
        """
        if model.platform.feed_length > 0:
            raise ConfigError(
                [
                    f"platform.feed_length: {model.platform.feed_length} gives bots a feed; "
                    "influencer bought_engagement needs per-user feed lengths; allowed: 0"
                ]
            )
        u, g, rng, n = model.users, model.graph, self.rng, model.n
        pool = np.flatnonzero(u.role == ROLE_USER)
        nb = min(max(1, round(self.cfg.bots * n)), pool.shape[0])
        order = np.lexsort((rng.random(pool.shape[0]), u.activity[pool]))
        self.bots = np.sort(pool[order[:nb]])
        u.role[self.bots] = ROLE_BOT
        u.activity[self.bots] = 0.0
        u.attention[self.bots] = 0
        indeg = g.in_degree()
        src, dst = [], []
        for j in self.ids:  # a loop over bought influencers, at set-up only
            k = min(round(self.cfg.fake_followers * indeg[j]), nb)
            src.append(rng.choice(self.bots, size=k, replace=False))
            dst.append(np.full(k, j, np.int64))
        fs = np.concatenate(src) if src else np.zeros(0, np.int64)
        fd = np.concatenate(dst) if dst else np.zeros(0, np.int64)
        z = np.zeros(fs.shape[0])
        _, added = g.rewire(None, fs, fd, z, z.copy())
        self.fake_src, self.fake_dst = fs, fd
        assert self.ext is not None
        self.ext.add_events(0, fs[added], fd[added], np.full(int(added.sum()), -1), "fake_follow")
        order = np.argsort(fd, kind="stable")
        self.fake_bots = fs[order]
        count = np.bincount(fd, minlength=n)
        self.fake_count = count
        self.fake_start = np.cumsum(count) - count
        self.R = np.zeros((2, n))  # discounted real likes, comments per author
        self.P = np.zeros((2, n))  # discounted paid likes, comments per author

    # ---------------------------------------------------------------- ranking
    def factors(self) -> np.ndarray:
        """(2, N) calibration factors on predicted likes and comments (1 = unchanged)."""
        c = self.cfg.calibration_prior
        return (self.R + self.P + c) / (self.R + c)

    def on_candidates(self, model: FeedModel, t: int, cand: Candidates) -> None:
        """Hand the ranker a :class:`CalibratedPredictor` once any paid engagement exists (until
        then every factor is 1 and the predictor is left alone).
        """
        if not self.P.any():
            return
        cand.predictor = CalibratedPredictor(cand.predictor, self.factors())

    # ---------------------------------------------------------------- paid engagement
    def _pick_bots(self, author: np.ndarray) -> np.ndarray:
        """A random bot follower of each author (any bot if it has none)."""
        u = self.rng.random(int(author.shape[0]))  # int(): the array overload for mypy
        cnt = self.fake_count[author]
        own = (
            self.fake_bots[
                np.minimum(
                    self.fake_start[author] + (u * cnt).astype(np.int64), self.fake_bots.size - 1
                )
            ]
            if self.fake_bots.size
            else np.zeros(author.shape[0], np.int64)
        )
        anyb = self.bots[np.minimum((u * self.bots.size).astype(np.int64), self.bots.size - 1)]
        return np.where(cnt > 0, own, anyb)

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Paid engagement on the step's own posts of the bought influencers: Poisson paid likes
        and comments, each from a bot follower, added to the posts' counters (total and the
        bot's group) as if real; booked in the ledger and events; then the discounted real and
        paid counts behind the calibration are updated.
        """
        p, n, rng = model.posts, model.n, self.rng
        new = np.flatnonzero((p.id >= 0) & (p.time == t) & (p.kind != KIND_RESHARE))
        slots = new[self.member[p.author[new]]]
        m = int(slots.shape[0])  # int(): the array overload of poisson for mypy
        nl = rng.poisson(self.cfg.likes_per_post, size=m)
        nc = rng.poisson(self.cfg.comments_per_post, size=m)
        author = p.author[slots].astype(np.int64)
        p.likes[slots] += nl.astype(np.int32)
        p.comments[slots] += nc.astype(np.int32)
        p.impressions[slots] += (nl + nc).astype(np.int32)
        group = model.users.group
        assert self.ext is not None
        for kind, cnt in (("paid_like", nl), ("paid_comment", nc)):
            s = np.repeat(slots, cnt)
            bot = self._pick_bots(p.author[s].astype(np.int64))
            np.add.at(p.impressions_by_group, (s, group[bot]), 1)
            if kind == "paid_like":
                np.add.at(p.likes_by_group, (s, group[bot]), 1)
            self.ext.add_events(t, bot, p.author[s], p.id[s], kind)
        self.ext.ledger.add_paid(n, author, nl, nc)
        L, lam = self.ext.ledger, self.cfg.calibration_memory
        paid = np.stack(
            [
                np.bincount(author, weights=nl, minlength=n),
                np.bincount(author, weights=nc, minlength=n),
            ]
        )
        real = np.stack([L.step_likes, L.step_comments]) * self.member
        self.R = lam * self.R + real
        self.P = lam * self.P + paid
        self.step["paid_likes"] = float(nl.sum())
        self.step["paid_comments"] = float(nc.sum())

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Sellers refill fake follows the core's unfollow rule cut this step (at the influencer
        trust baseline, ``fake_follow`` events); add the step's counters to the totals.
        """
        g = model.graph
        missing = ~g.has_edges(self.fake_src, self.fake_dst)
        self.step["fake_refills"] = float(missing.sum())
        if missing.any():
            fs, fd = self.fake_src[missing], self.fake_dst[missing]
            base = np.full(fs.shape[0], model.dynamics.trust.influencer_baseline)
            g.rewire(None, fs, fd, base, base.copy())
            assert self.ext is not None
            self.ext.add_events(t, fs, fd, np.full(fs.shape[0], -1), "fake_follow")
        for k, v in self.step.items():  # reported by metrics() after the step
            self.total[k] += v

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """The step's paid likes, paid comments and fake-follower refills."""
        return {self.col(k): v for k, v in self.step.items()}

    def summary(self, model: FeedModel) -> dict[str, float]:
        """Run totals of the step counters and the mean final like and comment calibration
        factors over the bought accounts (1 when there are none).
        """
        out = {self.col(f"total_{k}"): v for k, v in self.total.items()}
        fac = self.factors()[:, self.ids]
        out[self.col("like_calibration")] = float(fac[0].mean()) if self.ids.size else 1.0
        out[self.col("comment_calibration")] = float(fac[1].mean()) if self.ids.size else 1.0
        return out


class CalibratedPredictor:
    """A predictor whose like and comment predictions are multiplied by the original
    author's calibration factor (``fac``: (2, N)), capped at 1 (module docstring).
    """

    def __init__(self, base: object, fac: np.ndarray):
        self.base = base
        self.fac = fac

    def columns(self, cand: Candidates, actions: Sequence[int]) -> list[np.ndarray]:
        """The base predictor's columns for ``actions``; like and comment columns multiplied by
        the original author's factor and capped at 1.
        """
        out = predict_columns(self.base, cand, actions)
        oa = cand.origin_author
        for j, a in enumerate(actions):
            if a in (LIKE, COMMENT):
                np.minimum(1.0, out[j] * self.fac[a, oa], out=out[j])
        return out

    def __call__(self, cand: Candidates) -> np.ndarray:
        """All four predicted columns (like, comment, share, negfb) as an ``(M, 4)`` array."""
        return np.stack(self.columns(cand, ALL_ACTIONS), axis=1)
