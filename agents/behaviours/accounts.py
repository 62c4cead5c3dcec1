"""The influencer economy as one model extension: roles, per-account books, trust by group.

Every influencer behaviour (``authentic``, ``sponsored``, ``engagement_farming``,
``bought_engagement``, and ``mixture`` of them) returns an :class:`InfluencerExtension`
holding the role config and one or more *parts* (the behaviour proper, acting on its
share of the influencer accounts). The extension

1. **assigns roles** in ``setup``: it picks the influencer accounts
   (:func:`feedlab.agents.behaviours.roles.select_influencers`), sets their posting rate, splits
   them between the parts (:func:`feedlab.agents.behaviours.roles.stratified_assignment`), lets
   each part re-role further accounts (brands, bots) and add edges (fake follows), and
   fixes the tiers from the follower counts;
2. **dispatches the model hooks** to the parts (``on_post``, ``on_candidates``,
   ``before_react``, ``on_feed``, ``on_step_end``);
3. **keeps the books** per account (:class:`Ledger`): original posts, impressions, likes,
   comments and shares received (real, from the reaction draws, credited to the original post's
   author as the platform counts them), paid likes and comments, and the mean follower
   count over the run — the inputs of the industry engagement rate;
4. **records trust by group** every step: the mean trust of the edges from real
   (non-bot) followers into each group of accounts — all influencers, regular users,
   each behaviour label, each tier (``trust_<group>`` columns of the time series), and
   summarises each trajectory (trough, loss share, half-lives of the fall and of the
   recovery, :func:`feedlab.analysis.influencers.episode_trust`), the engagement-rate scaling and
   the fake-engagement indicators (:mod:`feedlab.analysis.influencers`);
5. adds per-account columns to ``agents.parquet`` (``agent_columns`` hook).

Edges cut by unfollowing leave the group means (the mean is over the current audience);
the ``followers_<group>`` columns show how the audience shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.agents.behaviours.roles import (
    TIER_NAMES,
    RoleConfig,
    select_influencers,
    stratified_assignment,
    tier_of,
)
from feedlab.agents.population import ROLE_BOT, ROLE_INFLUENCER, ROLE_USER
from feedlab.analysis.metrics import influencers as ana
from feedlab.models.extension import EventLog, Extension
from feedlab.models.posts import KIND_RESHARE

if TYPE_CHECKING:
    from feedlab.models.feed import Candidates
    from feedlab.models.model import FeedModel, PostBatch, StepContext


class Part:
    """One behaviour acting on its share of the influencer accounts (base: does nothing
    beyond the roles). Subclasses override the hooks they need; ``ext`` is the owning
    :class:`InfluencerExtension` (books, events, random stream).
    """

    kind = "authentic"

    def __init__(self, label: str):
        self.label = label
        self.ids = np.zeros(0, np.int64)
        self.member = np.zeros(0, bool)
        self.ext: InfluencerExtension | None = None

    def bind(self, ext: InfluencerExtension, model: FeedModel, ids: np.ndarray) -> None:
        """Take the accounts ``ids``; then :meth:`attach` (extra roles, edges)."""
        self.ext = ext
        self.ids = np.sort(ids)
        self.member = np.zeros(model.n, bool)
        self.member[self.ids] = True
        self.attach(model)

    @property
    def rng(self) -> np.random.Generator:
        """The owning extension's random stream (every part of a run draws from the same one)."""
        assert self.ext is not None
        return self.ext.rng

    def own_posts(self, batch: PostBatch) -> np.ndarray:
        """Rows of ``batch`` that are original posts by this part's accounts."""
        a = batch.author
        return np.flatnonzero((a >= 0) & (batch.kind != KIND_RESHARE) & self.member[a])

    def col(self, stat: str) -> str:
        """Column name of a per-part statistic (suffixed by the label in mixtures)."""
        return stat if self.label == self.kind else f"{stat}_{self.label}"

    def episode(self) -> tuple[int, int | None]:
        """(start, stop) of the behaviour's active period (stop None: until the end)."""
        return 0, None

    # hooks (all optional; the owning extension passes on the model hooks of the same
    # name, :class:`feedlab.models.extension.Extension`)
    def attach(self, model: FeedModel) -> None:
        """At set-up, after the part has its accounts: re-role further accounts or add edges."""

    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """Read or edit the step's new posts before they are stored."""

    def on_candidates(self, model: FeedModel, t: int, cand: Candidates) -> None:
        """Read or adjust the step's candidates before ranking (e.g. their predictions)."""

    def before_react(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Act on the ranked feeds before reactions are drawn (log-odds, trust evidence)."""

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Act on the step's feeds once reactions are drawn (e.g. add paid engagement)."""

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Act at the end of the step, after the model's updates."""

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """Live metrics of the part for the time series (none by default)."""
        return {}

    def summary(self, model: FeedModel) -> dict[str, float]:
        """End-of-run statistics of the part for ``summary.json`` (none by default)."""
        return {}

    def columns(self, model: FeedModel) -> dict[str, np.ndarray]:
        """Extra per-account columns of ``agents.parquet`` (none by default)."""
        return {}


class Ledger:
    """Per-account totals over the run (arrays over all accounts)."""

    def __init__(self, n: int):
        z = lambda: np.zeros(n)  # noqa: E731
        self.posts, self.likes, self.comments, self.shares = z(), z(), z(), z()
        self.impressions = z()
        self.paid_likes, self.paid_comments = z(), z()
        self.follower_sum = z()
        self.steps = 0
        self.step_likes, self.step_comments = z(), z()

    def count_reactions(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Original posts written at ``t`` and the reactions of this step's feeds."""
        n, p = model.n, model.posts
        new = np.flatnonzero((p.id >= 0) & (p.time == t) & (p.kind != KIND_RESHARE))
        self.posts += np.bincount(p.author[new], minlength=n)
        oa = ctx.feed.items.origin_author
        r = ctx.reactions
        self.step_likes = np.bincount(oa, weights=r[:, 0], minlength=n)
        self.step_comments = np.bincount(oa, weights=r[:, 1], minlength=n)
        self.impressions += np.bincount(oa, minlength=n)
        self.likes += self.step_likes
        self.comments += self.step_comments
        self.shares += np.bincount(oa, weights=r[:, 2], minlength=n)

    def add_paid(self, n: int, author: np.ndarray, likes: np.ndarray, comments: np.ndarray) -> None:
        """Credit bought likes and comments to their authors (``n`` accounts in all), in
        separate columns from the real reactions.
        """
        self.paid_likes += np.bincount(author, weights=likes, minlength=n)
        self.paid_comments += np.bincount(author, weights=comments, minlength=n)

    def count_followers(self, in_degree: np.ndarray) -> None:
        """Add one step's follower counts, for :meth:`mean_followers`."""
        self.follower_sum += in_degree
        self.steps += 1

    def mean_followers(self, in_degree: np.ndarray) -> np.ndarray:
        """Follower count averaged over the steps run (the current count before any)."""
        return self.follower_sum / self.steps if self.steps else in_degree.astype(np.float64)


class InfluencerExtension(Extension):
    """The model extension of every influencer behaviour (module docstring)."""

    def __init__(
        self,
        roles: RoleConfig,
        parts: Sequence[tuple[float, Part]],
        rng: np.random.Generator,
    ):
        self.roles = roles
        self.shares = np.array([s for s, _ in parts], dtype=np.float64)
        self.parts = [p for _, p in parts]
        self.rng = rng
        self.events = EventLog()
        self.hist_t: list[int] = []
        self.hist: dict[str, list[float]] = {}

    # ------------------------------------------------------------------ set-up
    def setup(self, model: FeedModel) -> None:
        """Assign the roles (module docstring, 1.): pick the influencers, set their posting rate,
        split them between the parts (each part then binds its accounts), fix their tiers from
        the follower counts, and open the books.
        """
        u, g = model.users, model.graph
        n = model.n
        ids = select_influencers(self.roles, g.in_degree(), u.role, self.rng)
        u.role[ids] = ROLE_INFLUENCER
        u.activity[ids] = self.roles.activity
        comp = stratified_assignment(ids, self.shares, self.rng)
        self.label_of = np.full(n, -1, np.int64)
        for c, part in enumerate(self.parts):
            self.label_of[ids[comp == c]] = c
            part.bind(self, model, ids[comp == c])
        self.influencers = np.sort(ids)
        self.tier = np.full(n, -1, np.int64)
        self.tier[ids] = tier_of(g.in_degree()[ids], self.roles.bounds(n))
        self.ledger = Ledger(n)

    def _group_masks(self, model: FeedModel) -> dict[str, np.ndarray]:
        role = model.users.role
        masks = {"influencers": role == ROLE_INFLUENCER, "users": role == ROLE_USER}
        for c, p in enumerate(self.parts):
            masks[p.label] = self.label_of == c
        for i, t in enumerate(TIER_NAMES):
            masks[f"tier_{t}"] = self.tier == i
        return masks

    # ------------------------------------------------------------------ hooks
    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """Record the trust by group before the first step, then pass the hook to the parts."""
        if not self.hist_t:
            self._record(model, t)
        for p in self.parts:
            p.on_post(model, t, batch)

    def on_candidates(self, model: FeedModel, t: int, cand: Candidates) -> None:
        """Pass the hook to the parts."""
        for p in self.parts:
            p.on_candidates(model, t, cand)

    def before_react(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Pass the hook to the parts."""
        for p in self.parts:
            p.before_react(model, t, ctx)

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Book the step's posts and reactions per account, then pass the hook to the parts."""
        self.ledger.count_reactions(model, t, ctx)
        for p in self.parts:
            p.on_feed(model, t, ctx)

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Pass the hook to the parts, book the follower counts, and record the trust by group
        as of the start of step ``t + 1``.
        """
        for p in self.parts:
            p.on_step_end(model, t)
        self.ledger.count_followers(model.graph.in_degree())
        self._record(model, t + 1)

    # ------------------------------------------------------------------ trust by group
    def group_trust(self, model: FeedModel) -> tuple[dict[str, float], dict[str, float]]:
        """Mean trust of real followers' edges into each group, and mean followers."""
        g, role = model.graph, model.users.role
        real = role[g.src] != ROLE_BOT
        indeg = g.in_degree()
        trust, followers = {}, {}
        for name, mask in self._group_masks(model).items():
            e = real & mask[g.indices]
            trust[name] = float(g.trust[e].mean()) if e.any() else float("nan")
            followers[name] = float(indeg[mask].mean()) if mask.any() else float("nan")
        return trust, followers

    def _record(self, model: FeedModel, t: int) -> None:
        trust, _ = self.group_trust(model)
        self.hist_t.append(t)
        for k, v in trust.items():
            self.hist.setdefault(k, []).append(v)

    def add_events(
        self, t: int, user: np.ndarray, target: np.ndarray, parent: np.ndarray, kind: str
    ) -> None:
        """Log events of kind ``kind`` at step ``t``, one per row: ``user`` acted on account
        ``target`` through post ``parent`` (−1: none). Parts log fake follows, bought
        engagement and detected sponsorships here; :meth:`event_rows` hands them to the run's
        event table.
        """
        self.events.add(t, user, target, parent, kind)

    # ------------------------------------------------------------------ outputs
    def metrics(self, model: FeedModel) -> dict[str, float]:
        """``trust_<group>`` and ``followers_<group>`` for every account group (module docstring,
        4.), plus each part's own metrics.
        """
        trust, followers = self.group_trust(model)
        row = {f"trust_{k}": v for k, v in trust.items()}
        row.update({f"followers_{k}": v for k, v in followers.items()})
        for p in self.parts:
            row.update(p.metrics(model))
        return row

    def agent_columns(self, model: FeedModel) -> dict[str, np.ndarray]:
        """Per-account books for ``agents.parquet`` (see docs/influencers.md)."""
        g, L = model.graph, self.ledger
        indeg = g.in_degree()
        labels = np.array([""] + [p.label for p in self.parts], dtype=object)
        tiers = np.array(["", *TIER_NAMES], dtype=object)
        active = (L.posts > 0).astype(np.float64)
        fake = (model.users.role[g.src] == ROLE_BOT).astype(np.float64)
        mean_f = L.mean_followers(indeg)
        likes = L.likes + L.paid_likes
        comments = L.comments + L.paid_comments
        return {
            "behaviour": labels[self.label_of + 1],
            "tier": tiers[self.tier + 1],
            "posts_made": L.posts.astype(np.int64),
            "likes_received": likes.astype(np.int64),
            "comments_received": comments.astype(np.int64),
            "shares_received": L.shares.astype(np.int64),
            "impressions_received": L.impressions.astype(np.int64),
            "paid_likes": L.paid_likes.astype(np.int64),
            "paid_comments": L.paid_comments.astype(np.int64),
            "mean_followers": mean_f,
            "fake_followers": np.bincount(g.indices, weights=fake, minlength=model.n).astype(
                np.int64
            ),
            "active_followers": np.bincount(
                g.indices, weights=active[g.src], minlength=model.n
            ).astype(np.int64),
            "engagement_rate": ana.engagement_rates(likes, comments, L.posts, mean_f),
            **{k: v for p in self.parts for k, v in p.columns(model).items()},
        }

    def summary(self, model: FeedModel) -> dict[str, Any]:
        """Account counts (influencers, bots, per behaviour, per tier), the trust-trajectory
        statistics of every group, the engagement-rate scaling and fake-engagement indicators
        (:mod:`feedlab.analysis.metrics.influencers`), and each part's summary.
        """
        role = model.users.role
        out: dict[str, Any] = {
            "n_influencers": int((role == ROLE_INFLUENCER).sum()),
            "n_bots": int((role == ROLE_BOT).sum()),
        }
        for c, p in enumerate(self.parts):
            out[f"n_{p.label}"] = int((self.label_of == c).sum())
        for i, t in enumerate(TIER_NAMES):
            out[f"n_tier_{t}"] = int((self.tier == i).sum())
        out.update(self._trust_summary())
        cols = self.agent_columns(model)
        cols["role"] = role
        cols["in_degree"] = model.graph.in_degree()
        cols["bought"] = self._bought_mask()
        out.update(ana.engagement_summary(cols))
        out.update(ana.indicator_summary(cols))
        for p in self.parts:
            out.update(p.summary(model))
        return out

    def _bought_mask(self) -> np.ndarray:
        mask = np.zeros(self.label_of.shape[0], bool)
        for c, p in enumerate(self.parts):
            if p.kind == "bought_engagement":
                mask |= self.label_of == c
        return mask

    def _episode_of(self, name: str) -> tuple[int, int | None]:
        for p in self.parts:
            if p.label == name:
                return p.episode()
        windows = {p.episode() for p in self.parts}
        return windows.pop() if len(windows) == 1 else (0, None)

    def _trust_summary(self) -> dict[str, float]:
        t = np.asarray(self.hist_t, dtype=np.float64)
        out: dict[str, float] = {}
        for name, values in self.hist.items():
            start, stop = self._episode_of(name)
            stats = ana.episode_trust(t, np.asarray(values), start, stop)
            out.update({f"{k}_{name}": v for k, v in stats.items()})
        return out

    def event_rows(self) -> dict[str, np.ndarray]:
        """The logged events as columns (the ``event_rows`` hook)."""
        return self.events.columns()


class BehaviourUnit:
    """Base of the behaviour units: ``extension(rng)`` wraps the unit's part.

    A unit is a frozen dataclass with a ``roles`` field (:class:`RoleConfig`) and its own
    parameters; :meth:`part` builds the stateful part (also used by ``mixture``).
    """

    roles: RoleConfig

    def part(self, label: str) -> Part:
        """The stateful behaviour acting on the accounts labelled ``label``."""
        raise NotImplementedError

    def extension(self, rng: np.random.Generator) -> InfluencerExtension:
        """An :class:`InfluencerExtension` with this behaviour's part on every influencer account."""
        name = type(self).unit_name  # type: ignore[attr-defined]
        return InfluencerExtension(self.roles, [(1.0, self.part(name))], rng)
