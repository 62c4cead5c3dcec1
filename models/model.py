"""FeedModel: users on a follow network who post, see a ranked feed, react and change.

One :meth:`FeedModel.step` is one session (docs/model.md §One step), synchronous over users:

    open_app → post → gather → rank → react → count → (extensions) → value → update → rewire → record

Every phase is vectorised over all users (struct-of-arrays state, CSR graph, ring buffer
of posts); no phase loops over users in Python. Randomness comes only from the model's
named streams (:mod:`feedlab.models.seeds`). With ``dynamics.interaction = "pairwise"`` the
session is instead ``N`` sequential pairwise bounded-confidence interactions (the canonical
Deffuant–Weisbuch and algorithmic-bias models, with exact sequential semantics): the same
step with another session strategy (:meth:`FeedModel.pairwise_session`).

Extensions (:class:`feedlab.models.extension.Extension`) act at named hooks; the recorder
(:class:`feedlab.analysis.live.Recorder`, handed in by :func:`feedlab.experiments.build`)
observes each step and records a row at the end of it. The model never imports the
recorder: it sits above the model (docs/architecture.md §Layers).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import mesa
import numpy as np

from feedlab.agents.population import (
    ROLE_BRAND,
    ROLE_INFLUENCER,
    ROLE_USER,
    PopulationConfig,
    UserState,
    draw_affect,
    draw_population,
)
from feedlab.agents.rules import affect, audience, churn, emotion, session, trust
from feedlab.agents.user import User
from feedlab.models import blas, buffers, seeds
from feedlab.models.config import DynamicsConfig, PlatformConfig
from feedlab.models.extension import HOOKS, EventLog, Extension, overrides
from feedlab.models.feed import Candidates, Feed, gather
from feedlab.models.graph import FollowGraph
from feedlab.models.kernels import (
    POWER_TABLE,
    count_at,
    edge_evidence,
    feed_positions,
    feed_value,
    follow_proposals,
    item_trust_step,
    opinion_step,
    pairwise_bounded_confidence,
    set_threads,
    stable_group_order,
    thread_count,
    threaded,
    unfollow_cut,
    unseen_pairs,
    viewer_sums,
)
from feedlab.models.network import Network
from feedlab.models.posts import KIND_POST, KIND_RESHARE, PostStore
from feedlab.models.predictor import PlatformPredictor
from feedlab.models.ranking.base import RankingPolicy
from feedlab.models.registry import flat_builder
from feedlab.models.sampling import bernoulli_indices, uniform_fill
from feedlab.models.step_kernels import (
    count_items,
    count_items_split,
    react_items,
    sponsored_seen,
)

# Mesa 3 logs "Step N at time N.0" at INFO on every step, under the logger "MESA" (not
# "mesa"); any INFO handler (Hydra's, logging.basicConfig) would print a line per step.
# Mesa's own messages are kept to warnings (set the "MESA" logger's level to see them).
logging.getLogger("MESA").setLevel(logging.WARNING)


class Recorder(Protocol):
    """What the model asks of its recorder (:class:`feedlab.analysis.live.Recorder`)."""

    def observe(self, model: FeedModel, ctx: StepContext) -> None:
        """Per-step statistics of the feed just shown (after reactions, before updates)."""

    def row(self, model: FeedModel) -> dict[str, float]:
        """The live metrics of the current state."""
        ...

    def after_step(self, model: FeedModel) -> None:
        """Record a row if this step is a record step."""


@dataclass
class PostBatch:
    """New posts of one step, before they are stored (extensions may edit or append)."""

    author: np.ndarray
    stance: np.ndarray
    outrage: np.ndarray
    quality: np.ndarray
    political: np.ndarray
    sponsored: np.ndarray
    disclosed: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    origin_id: np.ndarray  # -1 for original posts
    animosity: np.ndarray  # out-group animosity in [0, 1]; 0 without dynamics.affect

    def append(self, **cols: np.ndarray) -> None:
        """Append posts; missing columns get their defaults."""
        m = cols["author"].shape[0]
        defaults = {
            "stance": 0.0,
            "outrage": 0.0,
            "quality": 0.5,
            "political": False,
            "sponsored": False,
            "disclosed": False,
            "target": -1,
            "kind": KIND_POST,
            "origin_id": -1,
            "animosity": 0.0,
        }
        for name in vars(self):
            cur = getattr(self, name)
            new = cols.get(name)
            if new is None:
                new = np.full(m, defaults[name], dtype=cur.dtype)
            setattr(self, name, np.concatenate([cur, np.asarray(new, dtype=cur.dtype)]))

    def __len__(self) -> int:
        return int(self.author.shape[0])


def feed_counts(feed: Feed, n: int) -> np.ndarray:
    """Feed items per user (of ``n``): the sizes of the items' segments when they are
    every user's (``n + 1`` pointers over the users in order, as the rank phase builds
    them), else counted per item (``np.bincount`` of the viewers, without its checks).
    The same counts; the first way reads N pointers instead of F viewers.
    """
    items = feed.items
    if (
        items.ptr.shape[0] == n + 1
        and items.viewers.shape[0] == n
        and np.array_equal(items.viewers, np.arange(n))
    ):
        return np.diff(items.ptr).astype(np.int64, copy=False)
    out = np.zeros(n, np.int64)
    count_at(feed.viewer, out)
    return out


#: The library's edge trust rule; :meth:`FeedModel._fused_trust` computes the same
#: update in one pass while ``trust.update_edge_trust`` is still this function.
_UPDATE_EDGE_TRUST = trust.update_edge_trust


@dataclass
class StepContext:
    """What happened in the react phase of one step (shared with extensions)."""

    t: int
    cand: Candidates
    feed: Feed
    reactions: np.ndarray  # (F, 4) bool: like, comment, share, negfb
    seen_sponsored: np.ndarray  # (F,) bool
    good: np.ndarray  # (F,) float: good experiences per item (trust evidence)
    bad: np.ndarray  # (F,) float: bad experiences per item
    item_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    logit_offset: np.ndarray | None = None  # (F, 4) added to the true log-odds (labels, ...)
    _n_items: np.ndarray | None = None

    def n_items(self, n: int) -> np.ndarray:
        """Feed items per user (of ``n``), counted once per step."""
        if self._n_items is None:
            self._n_items = feed_counts(self.feed, n)
        return self._n_items


def _check_parts_form(params: dict[str, object], rng: object, *required: object) -> None:
    """The parts form (``network=...``) takes no flat parameters and needs every part."""
    if params or rng is not None:
        raise TypeError(
            f"FeedModel: {', '.join(sorted(params)) or 'rng'} cannot be combined with "
            "parsed parts (network=...); pass either the parts or flat parameters"
        )
    if any(r is None for r in required):
        raise TypeError("FeedModel: the parts form needs population, platform, dynamics, seed")


class FeedModel(mesa.Model):
    """The feed model (module docstring). Build it with ``feedlab.experiments.build(cfg)``,
    from flat keyword parameters as Mesa's tools do (``FeedModel(ranking="bridging",
    n=500, rng=1)``, docs/mesa.md), or directly from parsed parts for notebooks and tests.
    """

    def __init__(
        self,
        *,
        network: Network | str | None = None,
        population: PopulationConfig | str | None = None,
        policies: Sequence[RankingPolicy] = (),
        platform: PlatformConfig | None = None,
        dynamics: DynamicsConfig | None = None,
        seed: int | None = None,
        rng: object = None,
        arm_of: np.ndarray | None = None,
        arm_names: Sequence[str] | None = None,
        extensions: Sequence[Extension] = (),
        agent_views: bool = True,
        share_events: bool = False,
        recorder: Recorder | None = None,
        datacollector: mesa.DataCollector | None = None,
        **params: object,
    ):
        """From parsed parts (``feedlab.build`` passes them), or, when ``network`` is not
        given, from flat keyword parameters (``FeedModel(ranking="bridging", n=500,
        rng=1)``; ``seed`` or Mesa's ``rng``): those are turned into parts by the flat
        builder the experiments layer registers (:func:`feedlab.models.registry.flat_builder`;
        the mapping is the table of docs/mesa.md), which also attaches a
        :class:`mesa.DataCollector` of the live metrics, collected inside :meth:`step`.
        """
        blas.pin()  # the same bits at any core count (models/blas.py)
        if network is None or isinstance(network, str):  # flat parameters (docs/mesa.md)
            presets = {"network": network, "population": population}  # names, as ranking=
            params.update({k: v for k, v in presets.items() if v is not None})
            parts, finish = flat_builder()(params, seed=seed, rng=rng, extensions=extensions)
            FeedModel.__init__(self, **parts)  # the parts form, once (also for subclasses)
            finish(self)
            return
        _check_parts_form(params, rng, population, platform, dynamics, seed)
        assert isinstance(population, PopulationConfig) and isinstance(network, Network)
        assert platform is not None and dynamics is not None
        assert seed is not None
        super().__init__(rng=np.random.default_rng(seeds.stream(seed, "mesa")))
        #: Mesa's DataCollector of the live metrics, collected at the end of each step
        #: (None unless asked for: the flat-parameter form attaches one)
        self.datacollector = datacollector
        self.seed = seed
        self.platform = platform
        self.dynamics = dynamics
        self.policies = list(policies)
        self.arm_names = list(arm_names or [p.unit_name for p in self.policies])
        self.extensions = list(extensions)
        for policy in self.policies:  # a stateful policy learns from reactions via hooks
            if hasattr(policy, "extension"):
                self.extensions.append(policy.extension())
        for ext in self.extensions:
            if not isinstance(ext, Extension):
                raise TypeError(
                    f"extension {ext!r} must subclass feedlab.models.extension.Extension"
                )
        #: per hook, the extensions that act there (in order); the rest are no-ops
        self.hooks: dict[str, list[Extension]] = {
            h: [e for e in self.extensions if overrides(e, h)] for h in HOOKS
        }
        self.recorder = recorder
        self.session = (
            self.pairwise_session if dynamics.interaction == "pairwise" else self.feed_session
        )
        self.share_events = share_events
        self.dyn_rng = seeds.rng(seed, "dynamics")
        self.t = 0

        n = network.n
        self.users: UserState = draw_population(
            population, n, network.groups, seeds.rng(seed, "population")
        )
        if arm_of is not None:
            self.users.arm = np.asarray(arm_of, dtype=np.int16)
        #: the affect stream (dynamics.affect); None when affect is off: nothing drawn
        self.affect_rng: np.random.Generator | None = None
        if dynamics.affect.enabled:
            self.affect_rng = seeds.rng(seed, "affect")
            self.users.affect = draw_affect(
                dynamics.affect.ingroup_warmth, dynamics.affect.outgroup_warmth, n, self.affect_rng
            )
        self.n_groups = max(self.users.n_groups, 1)
        self.graph = FollowGraph.from_edges(n, network.src, network.dst)
        self.posts = PostStore(self._post_capacity(), self.n_groups, self.platform.window)
        self._pending_reshares = (np.zeros(0, np.int32), np.zeros(0, np.int64))
        self._filters_seen = not self.platform.reshow_seen and self.platform.window > 1
        self._seen: deque[tuple[np.ndarray, np.ndarray]] = deque(
            maxlen=max(self.platform.window - 1, 1)
        )
        self.last_value = np.full(n, np.nan)
        self.last_engagement = np.zeros(n)
        self.step_stats: dict[str, float] = {}
        self.events = EventLog()
        pb = self.platform.prediction_bias
        self.predictor = PlatformPredictor(
            self,
            self.dynamics.reaction.matrix(),
            (pb.like, pb.comment, pb.share, pb.negfb),
            self.platform.prediction_noise,
            int(seeds.stream(seed, "prediction").generate_state(1)[0]),
        )
        for ext in self.hooks["setup"]:
            ext.setup(self)
        # after the extensions' setup, which may change roles (influencers, brands, bots)
        # and add edges (fake follows); nothing before it reads edge trust
        self._init_edge_trust()
        self._init_attention(seed)
        if agent_views:
            User.create_agents(self, n, index=list(range(n)))

    # ---------------------------------------------------------------- set-up
    def _init_edge_trust(self) -> None:
        """Edge baselines: friends (mutual) > one-way follows > influencers and brands;
        with ``dynamics.audience.ties`` on, scaled down by the followee's audience
        (:func:`feedlab.agents.rules.audience.tie_factor`). Also fixes the reference
        degrees of the audience-size mechanisms (``audience_ref``: in-degree, out-degree).
        """
        tr, aud = self.dynamics.trust, self.dynamics.audience
        g = self.graph
        #: (d_ref, k_ref) of agents/rules/audience.py, from the set-up graph
        self.audience_ref = (
            audience.reference_degree(g.in_degree(), aud.ties.reference),
            audience.reference_degree(g.out_degree(), aud.dilution.reference),
        )
        base = np.where(g.reciprocal(), tr.friend_baseline, tr.follow_baseline)
        base = np.where(
            np.isin(self.users.role[g.indices], (ROLE_INFLUENCER, ROLE_BRAND)),
            tr.influencer_baseline,
            base,
        )
        if aud.ties.enabled:
            base = base * audience.tie_factor(
                g.in_degree()[g.indices], self.audience_ref[0], aud.ties.exponent
            )
        g.baseline = base.astype(np.float64)
        g.trust = g.baseline.copy()

    def _post_capacity(self) -> int:
        if self.platform.post_capacity:
            return self.platform.post_capacity
        per_step = float(self.users.activity.sum()) + 1.0
        # window of posts, plus reshares and events, with generous headroom
        return int(max(4096, 4 * (self.platform.window + 1) * per_step))

    @property
    def n(self) -> int:
        """Number of users."""
        return self.users.n

    # ---------------------------------------------------------------- the step
    def step(self) -> None:
        """One session for every user, then the record (docs/model.md §One step)."""
        t = self.t
        self.session(t)
        for ext in self.hooks["on_step_end"]:
            ext.on_step_end(self, t)
        self.t += 1
        if self.recorder is not None:
            self.recorder.after_step(self)
        if self.datacollector is not None:  # Mesa's collector (docs/mesa.md); off in runs
            self.datacollector.collect(self)

    def feed_session(self, t: int) -> None:
        """The feed session: every phase is one method, in this order. The hot kernels
        run on ``platform.threads`` threads (set per step, so models with different
        settings can alternate in one process); results do not depend on it.
        """
        set_threads(self.platform.threads)
        self.open_app(t)
        self.post(t)
        cand = self.gather(t)
        feed = self.rank(cand)
        ctx = self.react(t, cand, feed)
        self.count(ctx)
        for ext in self.hooks["on_feed"]:
            ext.on_feed(self, t, ctx)
        self.value(ctx)
        if self.recorder is not None:
            self.recorder.observe(self, ctx)
        self.update(ctx)
        if self.dynamics.follow.enabled:
            self.rewire(ctx)

    def post(self, t: int) -> None:
        """Active users write posts; last step's shares become reshares."""
        u, rng, dyn = self.users, self.dyn_rng, self.dynamics
        base = np.floor(u.activity)
        count = (base + (rng.random(self.n) < u.activity - base)).astype(np.int64)
        if self.churn_state is not None:  # dynamics.churn: inactive users do not post
            count *= self.active
            sharer = self._pending_reshares[0]
            keep = self.active[sharer]
            self._pending_reshares = (sharer[keep], self._pending_reshares[1][keep])
        author = np.repeat(np.arange(self.n, dtype=np.int32), count)
        m = author.shape[0]
        stance = u.opinion[author] + dyn.stance_noise * rng.standard_normal(m)
        batch = PostBatch(
            author=author,
            stance=np.clip(stance, -1.0, 1.0),
            outrage=emotion.post_outrage(
                dyn.emotion, u.outrage_base[author], u.arousal[author], rng
            ),
            quality=np.clip(u.quality[author] + dyn.quality_noise * rng.standard_normal(m), 0, 1),
            political=rng.random(m) < u.political[author],
            sponsored=np.zeros(m, bool),
            disclosed=np.zeros(m, bool),
            target=np.full(m, -1, np.int32),
            kind=np.full(m, KIND_POST, np.int8),
            origin_id=np.full(m, -1, np.int64),
            animosity=np.zeros(m),
        )
        if self.affect_rng is not None:  # dynamics.affect.enabled
            batch.animosity = self._post_animosity(batch)
        self._append_reshares(batch)
        for ext in self.hooks["on_post"]:
            ext.on_post(self, t, batch)
        self._store(t, batch)

    def _post_animosity(self, batch: PostBatch) -> np.ndarray:
        """Out-group animosity of the new posts from their authors' warmth and arousal
        (``agents/rules/affect.py``; current warmth with ``feedback``, else the baseline).
        """
        cfg, u, author = self.dynamics.affect, self.users, batch.author
        assert u.affect is not None and self.affect_rng is not None
        a = u.affect
        warmth = a.outgroup_warmth if cfg.feedback else a.outgroup_warmth_baseline
        return affect.post_animosity(
            cfg, batch.political, warmth[author], u.arousal[author], self.affect_rng
        )

    def _append_reshares(self, batch: PostBatch) -> None:
        sharer, origin_id = self._pending_reshares
        self._pending_reshares = (np.zeros(0, np.int32), np.zeros(0, np.int64))
        slot = self.posts.slot_of(origin_id)
        ok = slot >= 0
        sharer, origin_id, slot = sharer[ok], origin_id[ok], slot[ok]
        p = self.posts
        batch.append(
            author=sharer,
            stance=p.stance[slot],
            outrage=p.outrage[slot],
            quality=p.quality[slot],
            political=p.political[slot],
            sponsored=p.sponsored[slot],
            disclosed=p.disclosed[slot],
            target=p.target[slot],
            kind=np.full(sharer.shape[0], KIND_RESHARE, np.int8),
            origin_id=origin_id,
            animosity=p.animosity[slot],
        )

    def _store(self, t: int, b: PostBatch) -> None:
        slots = self.posts.add(
            t,
            b.author,
            stance=b.stance,
            outrage=b.outrage,
            quality=b.quality,
            political=b.political,
            sponsored=b.sponsored,
            disclosed=b.disclosed,
            target=b.target,
            kind=b.kind,
            animosity=b.animosity,
        )
        has_origin = b.origin_id >= 0
        self.posts.origin[slots[has_origin]] = b.origin_id[has_origin]
        self.step_stats = {
            "posts": float((b.kind != KIND_RESHARE).sum()),
            "reshares": float((b.kind == KIND_RESHARE).sum()),
            "posts_high_outrage": float(
                ((b.kind != KIND_RESHARE) & (b.outrage >= self.dynamics.high_outrage)).sum()
            ),
        }

    def gather(self, t: int) -> Candidates:
        """Candidate (viewer, post) pairs, with the platform's predictor attached."""
        cand = gather(
            self.graph,
            self.posts,
            self.users,
            t,
            self.platform.window,
            self.dynamics.trust.stranger,
            self.platform.out_of_network,
            self.dyn_rng,
        )
        cand.predictor = self.predictor
        if self._filters_seen:  # platform.reshow_seen = false: drop what was shown
            cand = self._drop_seen(cand)
        for ext in self.hooks["on_candidates"]:  # e.g. author popularity in the predictor
            ext.on_candidates(self, t, cand)
        return cand

    def _drop_seen(self, cand: Candidates) -> Candidates:
        """Candidates without the posts (by original) each viewer was shown in the last
        W − 1 steps (``platform.reshow_seen = false``).
        """
        if not self._seen:  # first step: nothing shown yet
            self.step_stats["candidates_seen_dropped"] = 0.0
            return cand
        viewer = np.concatenate([v for v, _ in self._seen])
        ids = np.concatenate([o for _, o in self._seen])
        order = np.argsort(viewer, kind="stable")
        seen_ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(viewer, minlength=self.n), out=seen_ptr[1:])
        keep = np.empty(cand.size, dtype=np.bool_)
        unseen_pairs(
            cand.viewers, cand.ptr, self.posts.origin[cand.slot], seen_ptr, ids[order], keep
        )
        self.step_stats["candidates_seen_dropped"] = float(cand.size - keep.sum())
        return cand.keep_pairs(keep)

    def _remember_seen(self, feed: Feed) -> None:
        """Keep this step's feed (viewer, original post id) for ``_drop_seen``."""
        if not self._filters_seen:
            return
        self._seen.append((feed.viewer.astype(np.int64), self.posts.origin[feed.slot]))

    def feed_lengths(self) -> np.ndarray:
        """K per user: the platform's feed length, or each user's attention budget."""
        if self.platform.feed_length > 0:
            return np.full(self.n, self.platform.feed_length, dtype=np.int64)
        return self.users.attention.astype(np.int64)

    def rank(self, cand: Candidates) -> Feed:
        """Each arm's policy ranks its viewers' candidates; the top k form the feed."""
        k_all = self.feed_lengths()
        for ext in self.hooks["on_feed_lengths"]:  # slots taken by extensions (ads)
            k_all = ext.on_feed_lengths(self, self.t, k_all)
        k_all = self._ranked_lengths(k_all)
        if len(self.policies) == 1 and np.array_equal(cand.viewers, np.arange(self.n)):
            feed = self._end_sessions(self._rank_one_policy(cand, k_all))
            self._remember_seen(feed)
            return feed
        parts, arms = [], []
        for a, policy in enumerate(self.policies):
            mask = self.users.arm[cand.viewers] == a
            if len(self.policies) == 1:
                sub, idx = cand, np.arange(cand.size)
            else:
                sub, idx = cand.subset(mask)
            sel, _ = policy.rank(sub, k_all[sub.viewers], self.dyn_rng)
            parts.append(idx[sel])
            arms.append(np.full(sel.shape[0], a, np.int16))
        pair = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        arm = np.concatenate(arms) if arms else np.zeros(0, np.int16)
        viewer = cand.viewer[pair]
        if len(self.policies) > 1 or np.any(viewer[1:] < viewer[:-1]):
            # arms: group by viewer, keeping each feed's order
            order = np.empty(pair.shape[0], np.int64)
            stable_group_order(viewer, self.n, order)
            pair, arm, viewer = pair[order], arm[order], viewer[order]
        counts = np.bincount(viewer, minlength=self.n)
        ptr = np.zeros(self.n + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        rank = np.arange(pair.shape[0]) - np.repeat(ptr[:-1], counts)
        items = cand.select(pair, np.arange(self.n, dtype=np.int32), ptr, predictions=False)
        feed = Feed(
            viewer=viewer,
            slot=items.slot,
            edge=items.edge,
            pair=pair,
            rank=rank,
            arm=arm,
            items=items,
        )
        feed = self._end_sessions(feed)
        self._remember_seen(feed)
        return feed

    def _rank_one_policy(self, cand: Candidates, k_all: np.ndarray) -> Feed:
        """:meth:`rank` with one policy over every user's candidates, without regrouping:
        the policy's selection comes grouped by viewer with its segment pointer
        (:meth:`RankingPolicy.rank`'s contract, which the pass checks), so each item's
        viewer, rank, post slot and edge are read off in one pass
        (:func:`feedlab.models.kernels.feed_positions`, on ``platform.threads``). The same
        feed as the general path, without its per-candidate index arrays.
        """
        sel, out_ptr = self.policies[0].rank(cand, k_all, self.dyn_rng)
        pair = np.asarray(sel, dtype=np.int64)
        out_ptr = np.asarray(out_ptr, dtype=np.int64)
        f = pair.shape[0]
        viewer = buffers.empty(f, np.int32)
        rank = buffers.empty(f, np.int64)
        slot = np.empty(f, cand.slot.dtype)  # kept by the feed: not recycled memory
        edge = np.empty(f, cand.edge.dtype)
        if out_ptr.shape[0] != self.n + 1 or not threaded(feed_positions)(
            pair,
            out_ptr,
            cand.ptr,
            cand.viewers.astype(np.int32, copy=False),
            cand.slot,
            cand.edge,
            viewer,
            rank,
            slot,
            edge,
        ):
            raise RuntimeError(
                f"ranking policy {type(self.policies[0]).__name__} returned a selection not "
                "grouped by viewer as its segment pointer says (RankingPolicy.rank)"
            )
        items = cand.select(
            pair,
            np.arange(self.n, dtype=np.int32),
            out_ptr,
            predictions=False,
            slot=slot,
            edge=edge,
        )
        return Feed(
            viewer=viewer,
            slot=items.slot,
            edge=items.edge,
            pair=pair,
            rank=rank,
            arm=np.zeros(pair.shape[0], np.int16),
            items=items,
        )

    def react(self, t: int, cand: Candidates, feed: Feed) -> StepContext:
        """Bernoulli reactions to every feed item from the true probabilities.

        One fused pass (:func:`feedlab.models.step_kernels.react_items`): the
        probabilities, the share propensity and the comparison with the uniforms drawn
        for every item and action (one (F, 4) C-order batch, as before). The features it
        reads on the way (the post's stance, outrage and quality per item, fixed once a
        post is stored) become the feed items' values for the later phases, where not
        yet computed. Agreement and trust are not kept: extensions' ``on_feed`` may
        change edge trust (the transgression's call-outs) before the value phase reads it.
        """
        u, p, rng = self.users, self.posts, self.dyn_rng
        pair = feed.pair
        seen = np.zeros(pair.shape[0], bool)
        if p.sponsored.any():  # else nothing is sponsored: no gather needed
            sponsored_seen(feed.slot, p.sponsored, p.disclosed, seen)
        good, bad = buffers.empty(pair.shape[0]), buffers.empty(pair.shape[0])
        good.fill(0.0)  # recycled memory, zeroed (fresh pages would be faulted in)
        bad.fill(0.0)
        ctx = StepContext(
            t=t,
            cand=cand,
            feed=feed,
            reactions=np.zeros((pair.shape[0], 4), bool),
            seen_sponsored=seen,
            good=good,
            bad=bad,
        )
        for ext in self.hooks["before_react"]:  # detection of undisclosed sponsorship, labels
            ext.before_react(self, t, ctx)
        offset = ctx.logit_offset if ctx.logit_offset is not None else np.zeros((1, 4))
        dil = self.dynamics.audience.dilution
        if dil.enabled:  # attention dilution: one log-odds shift per viewer, every action
            shift = audience.dilution_logit(
                self.graph.out_degree(), self.audience_ref[1], dil.strength
            )
            offset = offset + shift[feed.viewer][:, None]
        draw = buffers.empty((pair.shape[0], 4))
        # the same numbers as rng.random((F, 4)), on platform.threads threads
        uniform_fill(rng, draw, thread_count())
        items, f = feed.items, pair.shape[0]
        # the post features the later phases read, unless a ranker already gathered them
        keep = {
            name: buffers.empty(f if name not in items.__dict__ else 0)
            for name in ("stance", "outrage", "quality")
        }
        reactions = np.empty((f, 4), bool)
        threaded(react_items)(
            feed.viewer,
            feed.slot,
            feed.edge,
            u.opinion,
            u.susceptibility,
            p.stance,
            p.outrage,
            p.quality,
            ctx.seen_sponsored,
            self.graph.trust,
            float(self.dynamics.trust.stranger),
            self.dynamics.reaction.matrix(),
            np.ascontiguousarray(offset, dtype=np.float64),
            u.share_propensity,
            draw,
            buffers.empty(4 * f),  # scratch: the probabilities
            reactions,
            keep["stance"],
            keep["outrage"],
            keep["quality"],
        )
        ctx.reactions = reactions
        items.__dict__.update({k: v for k, v in keep.items() if v.shape[0] == f})
        return ctx

    def count(self, ctx: StepContext) -> None:
        """What the reactions leave behind: trust evidence per item (good: a like or share;
        bad: negative feedback or low quality), the posts' reaction counters, this step's
        flow counts, and the shares queued as next step's reshares.
        """
        r, feed, t = ctx.reactions, ctx.feed, ctx.t
        p = self.posts
        totals = np.zeros(5, np.int64)  # likes, comments, shares, negfb, high outrage
        shared = buffers.empty(r.shape[0], np.int64)
        # trust evidence (good: a like or share; bad: negative feedback or low quality),
        # the posts' counters (totals and per viewer group) and the totals, in one pass
        threads = thread_count()
        kernel = count_items if threads <= 1 else threaded(count_items_split)
        shared = shared[
            : kernel(
                r,
                feed.items.quality,
                self.dynamics.trust.low_quality,
                feed.items.outrage,
                self.dynamics.high_outrage,
                feed.items.origin_slot,
                feed.viewer,
                self.users.group,
                p.impressions,
                p.likes,
                p.comments,
                p.shares,
                p.negfb,
                p.impressions_by_group,
                p.likes_by_group,
                ctx.good,
                ctx.bad,
                totals,
                shared,
                *(() if threads <= 1 else (threads,)),
            )
        ]
        self.step_stats.update(
            impressions=float(feed.pair.size),
            impressions_high_outrage=float(totals[4]),
            likes=float(totals[0]),
            comments=float(totals[1]),
            shares=float(totals[2]),
            negfb=float(totals[3]),
            candidates=float(ctx.cand.size),
        )
        if self.dynamics.reshares:
            self._pending_reshares = (feed.viewer[shared], p.id[feed.items.origin_slot[shared]])
            if self.share_events:
                self._add_events(
                    t,
                    feed.viewer[shared],
                    feed.items.origin_author[shared],
                    p.id[feed.slot[shared]],
                    "share",
                )

    def value(self, ctx: StepContext) -> None:
        """Reflective value of every item read, each user's mean value this step, and
        each user's engagement (likes, comments, shares) (docs/model.md §Engagement and
        reflective value).
        """
        f, items, vc = ctx.feed, ctx.feed.items, self.dynamics.value
        # value.item_value per item, its mean per user and the engagement, in one pass
        ctx.item_value = buffers.empty(f.viewer.shape[0])
        self.last_value = np.empty(self.n)
        self.last_engagement = np.zeros(self.n)
        threaded(feed_value)(
            f.viewer,
            items.ptr,
            items.quality,
            items.agreement,
            items.trust,
            items.outrage,
            ctx.reactions,
            np.array([vc.quality, vc.agreement, vc.tie, vc.regret], dtype=np.float64),
            ctx.n_items(self.n),
            ctx.item_value,
            self.last_value,
            self.last_engagement,
        )
        if self.attention_books is not None:  # dynamics.session or dynamics.churn
            self._book_attention(ctx)

    # ---------------------------------------------------------------- updates
    def update(self, ctx: StepContext) -> None:
        """Opinion, arousal, affect (when on) and trust, all from the same step's feed."""
        self._update_opinions(ctx)
        mean_outrage = self._update_arousal(ctx)
        if self.users.affect is not None:  # dynamics.affect.enabled
            self._update_affect(ctx, mean_outrage)
        self._update_trust(ctx, mean_outrage)

    def _update_opinions(self, ctx: StepContext) -> None:
        dyn, u, f = self.dynamics, self.users, ctx.feed
        if not dyn.opinion.enabled or f.viewer.size == 0:
            return
        eps = emotion.effective_tolerance(dyn.emotion, u.tolerance, u.arousal)
        op = dyn.opinion
        # opinion.opinion_deltas then opinion.apply_mean, fused and in place (same bits)
        threaded(opinion_step)(
            f.viewer,
            f.items.ptr,
            f.items.stance,
            f.items.trust,
            u.opinion,
            np.ascontiguousarray(eps, dtype=np.float64),
            u.convergence,
            u.arousal,
            op.trust_weighted,
            op.backfire and op.backfire_rate > 0,
            op.backfire_rate,
            op.backfire_arousal,
            op.backfire_distance,
            ctx.n_items(self.n),
            np.zeros(self.n),
        )

    def _update_arousal(self, ctx: StepContext) -> np.ndarray:
        """Arousal from the outrage read; returns each user's mean outrage this step."""
        f, u = ctx.feed, self.users
        n_items = ctx.n_items(self.n)
        total = np.zeros(self.n)
        threaded(viewer_sums)(f.viewer, f.items.ptr, f.items.outrage, total)  # np.bincount's sums
        mean_outrage = np.where(n_items > 0, total / np.maximum(n_items, 1), 0.0)
        u.arousal[:] = emotion.update_arousal(
            self.dynamics.emotion, u.arousal, u.susceptibility, mean_outrage
        )
        return mean_outrage

    def _update_affect(self, ctx: StepContext, mean_outrage: np.ndarray) -> None:
        """Warmth from the animosity and in-group outrage read, and the anger reported
        after the session (``agents/rules/affect.py``; arousal already updated).
        """
        cfg, f, u = self.dynamics.affect, ctx.feed, self.users
        a = u.affect
        assert a is not None
        same = u.group[f.items.origin_author] == u.group[f.viewer]
        animosity = self.posts.animosity[f.slot]
        h, r, mean_animosity = affect.feed_exposure(
            cfg, f.viewer, same, animosity, f.items.outrage, self.n
        )
        a.outgroup_warmth[:] = affect.update_outgroup_warmth(
            cfg, a.outgroup_warmth, a.outgroup_warmth_baseline, h
        )
        a.ingroup_warmth[:] = affect.update_ingroup_warmth(
            cfg, a.ingroup_warmth, a.ingroup_warmth_baseline, r
        )
        a.anger[:] = affect.anger(cfg, u.arousal, mean_outrage, mean_animosity)

    def _update_trust(self, ctx: StepContext, mean_outrage: np.ndarray) -> None:
        """Edge trust from good and bad experiences; platform trust also falls when a
        user's feed was outrage-heavy (mean outrage above ``outrage_overload``).
        """
        tr, g, f, u = self.dynamics.trust, self.graph, ctx.feed, self.users
        if not tr.enabled:
            return
        sums = self._fused_trust(ctx)
        if sums is None:
            # recycled memory (models/buffers.py), zeroed by edge_evidence (fresh pages
            # would be faulted in)
            good = buffers.empty(g.n_edges)
            bad = buffers.empty(g.n_edges)
            threaded(edge_evidence)(g.indptr, f.items.ptr, f.edge, ctx.good, ctx.bad, good, bad)
            # rule: asymmetric (one Numba pass for whole-count evidence) | beta
            g.trust = trust.update_edge_trust(tr, g, good, bad)
            pg, pb = np.zeros(self.n), np.zeros(self.n)
            threaded(viewer_sums)(f.viewer, f.items.ptr, ctx.good, pg)  # np.bincount's sums
            threaded(viewer_sums)(f.viewer, f.items.ptr, ctx.bad, pb)
        else:
            pg, pb = sums
        pb = pb + (mean_outrage > tr.outrage_overload)
        u.platform_trust[:] = trust.asymmetric_update_counts(  # the asymmetric rule
            u.platform_trust,
            u.platform_trust_baseline,
            pg,
            pb,
            tr.platform_alpha_up,
            tr.platform_alpha_down,
            tr.platform_relax,
        )

    def _fused_trust(self, ctx: StepContext) -> tuple[np.ndarray, np.ndarray] | None:
        """The edge trust of :meth:`_update_trust` under the asymmetric rule in one pass
        (:func:`feedlab.models.kernels.item_trust_step`: edge evidence, the rule and the
        viewers' good and bad sums, which it returns); the same bits as
        ``edge_evidence`` → ``trust.update_edge_trust`` → ``viewer_sums``, the table of
        powers computed as ``trust.asymmetric_update_counts`` does. None, with
        nothing changed, for the beta rule, for evidence outside the tables, or when
        ``trust.update_edge_trust`` is not the library's own (replaced, e.g. by a test
        planting a bug): then the separate passes run.
        """
        tr, g, f = self.dynamics.trust, self.graph, ctx.feed
        if tr.rule != "asymmetric" or trust.update_edge_trust is not _UPDATE_EDGE_TRUST:
            return None
        counts = np.arange(POWER_TABLE, dtype=np.float64)
        out = buffers.empty(g.n_edges)  # recycled memory: the edge trust of a step ago
        pg, pb = np.empty(self.n), np.empty(self.n)
        if not threaded(item_trust_step)(
            g.indptr,
            f.items.ptr,
            f.edge,
            ctx.good,
            ctx.bad,
            np.ascontiguousarray(g.trust, dtype=np.float64),
            np.ascontiguousarray(g.baseline, dtype=np.float64),
            (1.0 - tr.alpha_up) ** counts,
            (1.0 - tr.alpha_down) ** counts,
            tr.relax,
            out,
            pg,
            pb,
        ):
            return None
        g.trust = out
        return pg, pb

    def rewire(self, ctx: StepContext) -> None:
        """Unfollows (low trust or far opinion) and follows of liked authors (homophily).

        Each edge is tested for unfollowing with probability ``unfollow_prob``; the tested
        edges are drawn directly (geometric gaps, :func:`feedlab.models.sampling.bernoulli_indices`)
        and only they are read, so the cost follows the number tested, not the edges.
        """
        fc, g, u, rng, f = (
            self.dynamics.follow,
            self.graph,
            self.users,
            self.dyn_rng,
            ctx.feed,
        )
        tested = bernoulli_indices(rng, g.n_edges, fc.unfollow_prob)
        # low trust or far opinion: unfollow_cut, one pass over the tested edges
        cut = np.empty(tested.shape[0], np.int64)
        cut = cut[
            : unfollow_cut(
                tested,
                g.src,
                g.indices,
                u.opinion,
                g.trust,
                float(fc.unfollow_trust),
                float(fc.unfollow_distance),
                cut,
            )
        ]
        if self.churn_state is not None:  # dynamics.churn: the inactive do not unfollow
            cut = cut[self.active[g.src[cut]]]
        # liked or shared, not one's own, and not already followed (a reshare's original
        # author, or out of network): follow_proposals, one pass over the feed
        oa = f.items.origin_author
        new = np.empty(f.viewer.shape[0], np.int64)
        new = new[
            : follow_proposals(ctx.reactions, oa, f.viewer, f.edge, f.slot, self.posts.author, new)
        ]
        vs, ds = f.viewer[new], oa[new]
        p = fc.follow_prob * np.exp(-fc.homophily * np.abs(u.opinion[vs] - u.opinion[ds]))
        take = rng.random(vs.shape[0]) < p
        vs, ds = vs[take], ds[take]
        tr, ties = self.dynamics.trust, self.dynamics.audience.ties
        base = np.where(
            np.isin(u.role[ds], (ROLE_INFLUENCER, ROLE_BRAND)),
            tr.influencer_baseline,
            tr.follow_baseline,
        )
        if ties.enabled:  # the audience the new follower joins, itself included
            base = base * audience.tie_factor(
                g.in_degree()[ds] + 1, self.audience_ref[0], ties.exponent
            )
        if cut.size:
            self._add_events(self.t, g.src[cut], g.indices[cut], np.full(cut.size, -1), "unfollow")
        removed, added = g.rewire(cut, vs, ds, base, base.copy())
        self._add_events(self.t, vs[added], ds[added], np.full(int(added.sum()), -1), "follow")
        self.step_stats.update(unfollows=float(removed), follows=float(added.sum()))

    # ------------------------------------------- attention: sessions, churn and return
    # docs/attention.md. The interface other mechanisms read: ``active`` (bool per user,
    # set once per step before posting; all True without churn) and ``time_spent`` (per
    # user, this step: items seen × dynamics.session.item_time).
    def _init_attention(self, seed: int) -> None:
        """Sessions' thresholds (``session`` stream) and churn state (``churn`` stream),
        drawn only when switched on; ``active`` and ``time_spent`` always exist.
        """
        n, dyn = self.n, self.dynamics
        self.active = np.ones(n, dtype=bool)
        self.time_spent: np.ndarray = np.zeros(n)
        self.session_theta: np.ndarray | None = None
        if dyn.session.enabled:
            self.session_theta = session.draw_thresholds(dyn.session, n, seeds.rng(seed, "session"))
        self.churn_state: churn.ChurnState | None = None
        self.churn_rng: np.random.Generator | None = None
        if dyn.churn.enabled:
            self.churn_rng = seeds.rng(seed, "churn")
            self.churn_state = churn.draw_state(
                dyn.churn, self.users.role == ROLE_USER, self.churn_rng
            )
        #: per-user totals over the run (time, value, regret time), with either on
        self.attention_books: dict[str, np.ndarray] | None = None
        if dyn.session.enabled or dyn.churn.enabled:
            self.attention_books = {
                k: np.zeros(n) for k in ("time_total", "value_total", "regret_time_total")
            }

    def open_app(self, t: int) -> None:
        """Who opens the app this step (``dynamics.churn``; before anyone posts)."""
        if self.churn_state is None or self.churn_rng is None:
            return
        u = self.churn_rng.random(self.n)
        self.active = churn.advance(
            self.churn_state,
            self.dynamics.churn,
            self.active,
            self.users.platform_trust,
            self.last_value,
            u,
            t,
        )

    def _ranked_lengths(self, k: np.ndarray) -> np.ndarray:
        """How many items to rank per user: k, up to ceil(max_factor × k) with sessions,
        0 for inactive users.
        """
        cfg = self.dynamics.session
        if cfg.enabled:
            k = np.ceil(cfg.max_factor * k).astype(np.int64)
        if self.churn_state is not None:
            k = np.where(self.active, k, 0)
        return k

    def _end_sessions(self, feed: Feed) -> Feed:
        """With sessions, cut each ranked feed where its user stops scrolling
        (``agents/rules/session.py``); then ``time_spent`` = items seen × item time.
        """
        cfg = self.dynamics.session
        if cfg.enabled and self.session_theta is not None and feed.pair.size:
            items = feed.items
            # v = item_value(quality, (1 + agreement)/2, trust, outrage); G = v + λ_o·o,
            # fused in one pass (bit for bit: agents/rules/session.py)
            gain = session.feed_gains(
                cfg,
                self.dynamics.value,
                items.quality,
                items.agreement,
                items.trust,
                items.outrage,
            )
            lengths = session.session_lengths(
                feed.viewer, feed.rank, gain, self.session_theta, cfg, self.n
            )
            keep = session.seen_mask(feed.viewer, feed.rank, lengths)
            if not keep.all():
                feed = Feed(
                    viewer=feed.viewer[keep],
                    slot=feed.slot[keep],
                    edge=feed.edge[keep],
                    pair=feed.pair[keep],
                    rank=feed.rank[keep],
                    arm=feed.arm[keep],
                    items=items.keep_pairs(keep),
                )
        self.time_spent = feed_counts(feed, self.n) * cfg.item_time
        return feed

    def _book_attention(self, ctx: StepContext) -> None:
        """Per-user totals: time spent, value read and time on negative-value items."""
        b, f, dt = self.attention_books, ctx.feed, self.dynamics.session.item_time
        assert b is not None
        b["time_total"] += self.time_spent
        b["value_total"] += np.bincount(f.viewer, weights=ctx.item_value, minlength=self.n)
        b["regret_time_total"] += dt * np.bincount(
            f.viewer, weights=ctx.item_value < 0, minlength=self.n
        )

    def attention_columns(self) -> dict[str, np.ndarray]:
        """Per-user attention columns of ``agents.parquet`` (empty with both off)."""
        out: dict[str, np.ndarray] = {}
        if self.attention_books is not None:
            out.update(self.attention_books)
        if self.churn_state is not None:
            c = self.churn_state
            out.update(
                active=self.active.copy(),
                first_left=c.first_left,
                leaves=c.leaves,
                returns=c.returns,
                active_steps=c.active_steps,
            )
        return out

    # ---------------------------------------------------------------- canonical mode
    def pairwise_session(self, t: int) -> None:
        """The canonical session: N sequential pairwise interactions (exact Deffuant /
        algorithmic bias), instead of the feed session.
        """
        rng, u, g = self.dyn_rng, self.users, self.graph
        policy = self.policies[0]
        gamma = float(getattr(policy, "gamma", 0.0))
        floor = float(getattr(policy, "floor", 1e-5))
        initiators = rng.integers(0, self.n, size=self.n).astype(np.int64)
        uniforms = rng.random(self.n)
        done = pairwise_bounded_confidence(
            u.opinion,
            g.indptr,
            g.indices,
            u.tolerance,
            u.convergence,
            gamma,
            floor,
            self.dynamics.symmetric,
            initiators,
            uniforms,
        )
        self.step_stats = {"interactions": float(done)}

    # ---------------------------------------------------------------- events
    def _add_events(
        self, t: int, user: np.ndarray, target: np.ndarray, parent: np.ndarray, kind: str
    ) -> None:
        self.events.add(t, user, target, parent, kind)

    def event_table(self) -> dict[str, np.ndarray]:
        """All event rows (core and extensions), sorted by time then order of entry.

        Extensions may return columns beyond ``time, user, target, parent, kind`` (e.g. a
        call-out's ``post``); rows without such a column get -1 (integers), NaN (floats),
        False (booleans) or "" (strings).
        """
        core = EventLog.COLUMNS
        blocks = [self.events.columns()] if self.events else []
        for ext in self.hooks["event_rows"]:
            rows = ext.event_rows()
            if len(rows.get("time", ())):
                blocks.append({k: np.asarray(v) for k, v in rows.items()})
        names = list(core) + [k for b in blocks for k in b if k not in core]
        out = {}
        for k in dict.fromkeys(names):
            if k in core:
                dtype = np.dtype(
                    object if k == "kind" else (np.int64 if k == "parent" else np.int32)
                )
            else:
                dtype = next(b[k].dtype for b in blocks if k in b)
            fill = {"O": "", "U": "", "f": np.nan, "b": False}.get(dtype.kind, -1)
            parts = [
                b[k].astype(dtype) if k in b else np.full(len(b["time"]), fill, dtype)
                for b in blocks
            ]
            out[k] = np.concatenate(parts) if parts else np.zeros(0, dtype)
        order = np.argsort(out["time"], kind="stable")
        return {k: v[order] for k, v in out.items()}

    # ---------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, float]:
        """Live metrics of the current state (the recorder's row, without recording it)."""
        if self.recorder is None:
            raise RuntimeError(
                "this FeedModel has no recorder: build it with feedlab.build(cfg), or pass "
                "recorder=feedlab.analysis.live.Recorder()"
            )
        return self.recorder.row(self)
