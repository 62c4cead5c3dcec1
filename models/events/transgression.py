"""The ``transgression`` event: a call-out storm ("cancel culture", docs/cascades.md §1 The mechanism).

At step ``t0`` a target account posts something offensive with severity ``σ``
(a post of kind ``KIND_EVENT`` with outrage ``σ``, the target's stance and quality). From then on, a user ``i`` who finds the transgression
post or a call-out post about it in its ranked feed (directly or as a reshare) weighs

    O_i(t) = σ · A(t) · R(t) · (w_0 + w_d·d_i + w_s·s_i + w_e·e_i)      perceived offence
    p_i(t) = (followed accounts of i that have called out) / (accounts i follows)
    i calls out  ⇔  O_i(t) + w_p · p_i(t) ≥ φ_i                          (complex contagion)

with ``d_i = |x_i − x_target| / 2`` the opinion distance to the target, ``s_i`` the
outrage susceptibility, ``e_i`` the current arousal, ``A(t) = 2^{−(t−t0)/h}`` the decay
of attention to the event (half-life ``h`` steps), ``R(t) = 1 − a`` after an apology at
``t_a`` (``1`` before), ``w_p`` the weight of peer pressure and ``φ_i`` a personal
threshold drawn once per user (scaled Beta on ``[0, 1]`` with the configured mean and
sd). The threshold rule follows Watts (2002) (share of neighbours, ``≥``), with the
perceived offence as an individual push, as in threshold models with heterogeneous
private preferences (Granovetter 1978).

A call-out is **proportionate** when the offence alone would have crossed the threshold
(``O_i ≥ φ_i``) and **conformist** otherwise (it needed peer pressure). Each user calls
out at most once per event (a storm is a set of people who spoke up, not a count of
posts); the target never calls itself out. A decision at step ``t`` becomes a
high-outrage call-out post (kind ``KIND_CALLOUT``, ``target`` = the target account,
outrage ``callout_outrage``, stance = the caller's opinion, political if ``political``)
in step ``t + 1``
(``on_post``), which the ranking policy may amplify and users may reshare by the normal
mechanics (reshares keep the call-out's ``target``, so they expose users too).

**Trust and engagement.** Every exposed follower of the target gets
``b_i = trust_evidence · min(1, O_i + w_p p_i)`` bad experiences with the target
(``trust_evidence`` for a user who calls out now), applied to the follow edge with the
trust rule's own loss rate, ``τ ← τ (1 − α_down)^{b_i}`` (:mod:`feedlab.agents.rules.trust`),
before the step's regular trust update; relaxation toward the baseline then lets it
recover. Engagement with the target's own posts falls through the reaction model's trust
term and recovers with trust; it is reported as ``target_engagement_rate``.

**Exposure and parent.** Only items that made it into the ranked feed count. The parent
of a call-out is the post through which the caller was exposed at the step it called
out: its top-ranked storm item that step (for a reshare, the original post), so the
parent user is that post's author and cascade trees can be rebuilt from
``events.parquet`` alone (:mod:`feedlab.analysis.cascades`).

**Target.** ``target: influencer | brand | user`` picks the account of that role with
in-degree rank ``target_rank`` (0 = most followed, ties to the lower id); when no account
has the role (e.g. ``influencer=none`` assigns no roles) ``influencer`` and ``brand`` fall
back to the most followed accounts overall (``event_target_fallback = 1`` in the
summary). ``target: id`` takes ``target_id``.

**Reduction (Watts 2002).** With all offence weights 0, ``w_p = 1``,
``peer_counts_target: true`` (the transgressor is the active seed of Watts' model), a
uniform threshold (sd 0), feed = all followed accounts (``platform.feed_length`` ≥ the
number of candidates, no out-of-network items) and a static graph, the call-outs are
exactly the Watts threshold cascade from the target as seed: a user is exposed in the
very step a followee's call-out appears, i.e. whenever its active share changes, so the
final active set is the model's fixed point, and the decision step of a caller is ``t0 +
(round − 1)``. ``feedlab.models.events.threshold`` computes the same cascade in a fast kernel;
``tests/models/test_watts.py`` checks that both agree.

References
----------
Watts, D. J. (2002). A simple model of global cascades on random networks. *PNAS* 99(9),
5766–5771. Granovetter, M. (1978). Threshold models of collective behavior. *American
Journal of Sociology* 83(6), 1420–1443. Slovic, P. (1993). Perceived risk, trust, and
democracy. *Risk Analysis* 13(6), 675–682 (trust falls fast, recovers slowly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.agents.population import ROLE_BRAND, ROLE_INFLUENCER, ROLE_USER, Spread, draw_bounded
from feedlab.experiments.schema import ConfigError, field
from feedlab.models.events.base import EVENTS
from feedlab.models.extension import Extension
from feedlab.models.posts import KIND_CALLOUT, KIND_EVENT, KIND_POST

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel, PostBatch, StepContext

NAN = float("nan")
ROLE_CODES = {"user": ROLE_USER, "influencer": ROLE_INFLUENCER, "brand": ROLE_BRAND}


@dataclass(frozen=True)
class OffenceWeights:
    """Weights of the perceived offence ``O_i = σ·A·R·(w_0 + w_d d_i + w_s s_i + w_e e_i)``."""

    base: float = field(ge=0, le=10, doc="w_0: offence every exposed user perceives")
    distance: float = field(ge=0, le=10, doc="w_d: per unit opinion distance |x_i - x_t|/2")
    susceptibility: float = field(ge=0, le=10, doc="w_s: per unit outrage susceptibility s_i")
    arousal: float = field(ge=0, le=10, doc="w_e: per unit current arousal e_i")


@EVENTS.register("transgression")
@dataclass(frozen=True)
class Transgression:
    """A transgression by a target account and the call-out storm it sets off
    (module docstring).
    """

    time: int = field(ge=0, doc="t0: step at which the target posts the transgression")
    target: str = field(
        choices=("influencer", "brand", "user", "id"),
        doc="role of the target (chosen by in-degree rank), or 'id' for target_id",
    )
    target_rank: int = field(ge=0, doc="in-degree rank within the role (0 = most followed)")
    target_id: int = field(ge=-1, doc="the target's account id when target = id (else -1)")
    severity: float = field(ge=0, le=1, doc="σ: severity (also the transgression's outrage)")
    offence: OffenceWeights = field(doc="weights of the offence each exposed user perceives")
    peer_weight: float = field(ge=0, le=10, doc="w_p: weight of the share of followees calling out")
    peer_counts_target: bool = field(
        doc="the transgressor counts as an active followee (the Watts seed)"
    )
    threshold: Spread = field(doc="φ_i: personal threshold, mean and sd on [0, 1]")
    attention_half_life: float = field(gt=0, doc="h: steps for attention to the event to halve")
    apology_time: int | None = field(ge=0, doc="t_a: step of an apology (null = none)")
    apology_effect: float = field(
        ge=0, le=1, doc="a: share of perceived offence an apology removes"
    )
    callout_outrage: float = field(ge=0, le=1, doc="outrage of call-out posts")
    political: bool = field(
        doc="transgression and call-out posts count as political content (for rankers "
        "that treat political posts apart, e.g. engagement_negfb)"
    )
    trust_evidence: float = field(
        ge=0, le=100, doc="bad experiences with the target per exposure at full pressure"
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold.mean <= 1.0:
            raise ValueError(
                f"threshold: mean {self.threshold.mean!r} is out of range; allowed: 0..1"
            )
        if self.apology_time is not None and self.apology_time <= self.time:
            raise ValueError(
                f"apology_time: {self.apology_time!r} is not after the transgression "
                f"(time = {self.time}); allowed: > time, or null for no apology"
            )
        if self.target == "id" and self.target_id < 0:
            raise ValueError(
                f"target_id: {self.target_id!r} with target = id; allowed: an account id >= 0"
            )

    def extension(self, rng: np.random.Generator) -> CalloutStorm:
        """The stateful call-out storm for one run, drawing from ``rng`` (its own stream)."""
        return CalloutStorm(self, rng)


def choose_target(unit: Transgression, role: np.ndarray, in_degree: np.ndarray) -> tuple[int, bool]:
    """The target account and whether the role fell back to all accounts.

    Raises :class:`ConfigError` naming the field when the id or rank does not exist.
    """
    n = int(role.shape[0])
    if unit.target == "id":
        if not 0 <= unit.target_id < n:
            raise ConfigError(
                [
                    f"event.target_id: {unit.target_id} is out of range; allowed: "
                    f"0..{n - 1} (the network has {n} accounts)"
                ]
            )
        return int(unit.target_id), False
    pool = np.flatnonzero(role == ROLE_CODES[unit.target])
    fallback = False
    if pool.size == 0 and unit.target != "user":
        pool, fallback = np.arange(n), True
    if unit.target_rank >= pool.size:
        raise ConfigError(
            [
                f"event.target_rank: {unit.target_rank} is out of range; allowed: "
                f"0..{pool.size - 1} ({pool.size} candidate {unit.target} accounts)"
            ]
        )
    ranked = pool[np.lexsort((pool, -in_degree[pool]))]
    return int(ranked[unit.target_rank]), fallback


class CalloutStorm(Extension):
    """The stateful side of :class:`Transgression` (hooks of :mod:`feedlab.models.extension`).

    Per-user state: threshold ``phi``, call-out step (``-1`` = not called out), parent
    post, own call-out post, offence and peer share at the decision, conformist flag.
    """

    def __init__(self, unit: Transgression, rng: np.random.Generator):
        self.unit = unit
        self.rng = rng
        self.target = -1

    # ------------------------------------------------------------------ set-up
    def setup(self, model: FeedModel) -> None:
        """Pick the target account and draw every user's call-out threshold ``phi``; reset the
        per-user call-out state and the step statistics.
        """
        n = model.n
        u = self.unit
        indeg = model.graph.in_degree()
        self.target, self.fallback = choose_target(u, model.users.role, indeg)
        self.phi = draw_bounded(u.threshold, n, 0.0, 1.0, self.rng)
        self.call_time = np.full(n, -1, np.int32)
        self.call_parent = np.full(n, -1, np.int64)
        self.call_post = np.full(n, -1, np.int64)
        self.call_offence = np.full(n, NAN)
        self.call_peer = np.full(n, NAN)
        self.call_conformist = np.zeros(n, bool)
        self.ever_exposed = np.zeros(n, bool)
        self.storm_ids = np.zeros(0, np.int64)  # ascending: ids only grow
        self.root_post = -1
        self.apologised = -1
        self.pending = np.zeros(0, np.int64)
        self._to_verify: list[tuple[np.ndarray, np.ndarray]] = []
        self.rep_steps: list[int] = []
        self.rep_values: list[float] = []
        self.followers_initial = int(indeg[self.target])
        self._last: dict[str, float] = {}
        self._reset_step_stats()

    def _reset_step_stats(self) -> None:
        self._last = {
            "callouts": 0.0,
            "callouts_conformist": 0.0,
            "event_exposed": 0.0,
            "event_attention": 0.0,
            "target_engagement_rate": NAN,
        }

    # ------------------------------------------------------------------ state
    def attention(self, t: int) -> float:
        """A(t) = 2^{-(t - t0)/h} from the transgression on, 0 before."""
        if t < self.unit.time:
            return 0.0
        return float(0.5 ** ((t - self.unit.time) / self.unit.attention_half_life))

    def apology_factor(self, t: int) -> float:
        """R(t) = 1 - a once the apology has been made, 1 before."""
        ta = self.unit.apology_time
        return 1.0 - self.unit.apology_effect if ta is not None and t >= ta else 1.0

    def offence(self, model: FeedModel, users: np.ndarray, t: int) -> np.ndarray:
        """Perceived offence O_i(t) of ``users`` (module docstring)."""
        u, w = model.users, self.unit.offence
        d = np.abs(u.opinion[users] - u.opinion[self.target]) / 2.0
        push = w.base + w.distance * d + w.susceptibility * u.susceptibility[users]
        push = push + w.arousal * u.arousal[users]
        return self.unit.severity * self.attention(t) * self.apology_factor(t) * push

    def peer_share(self, model: FeedModel, users: np.ndarray) -> np.ndarray:
        """p_i: share of the accounts each of ``users`` follows that have called out
        (0 for users who follow nobody), from the current follow graph.
        """
        g = model.graph
        active = (self.call_time >= 0).astype(np.float64)
        if self.unit.peer_counts_target:
            active[self.target] = 1.0
        start = g.indptr[users]
        deg = g.indptr[users + 1] - start
        tot = int(deg.sum())
        owner = np.repeat(np.arange(users.shape[0]), deg)
        edge = np.repeat(start, deg) + (np.arange(tot) - np.repeat(np.cumsum(deg) - deg, deg))
        cnt = np.bincount(owner, weights=active[g.indices[edge]], minlength=users.shape[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(deg > 0, cnt / deg, 0.0)

    def reputation(self, model: FeedModel) -> float:
        """Mean trust of the target's current followers in it (nan without followers)."""
        g = model.graph
        tr = g.trust[g.indices == self.target]
        return float(tr.mean()) if tr.size else NAN

    # ------------------------------------------------------------------ hooks
    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """Record the reputation before the event; write last step's call-outs; fire."""
        if not self.rep_steps:
            self._record_reputation(model, t)
        u, p = model.users, model.posts
        if self.pending.size:
            c = self.pending
            m = c.shape[0]
            first = p.next_id + len(batch)
            batch.append(
                author=c.astype(np.int32),
                stance=u.opinion[c],
                outrage=np.full(m, self.unit.callout_outrage),
                quality=u.quality[c],
                political=np.full(m, self.unit.political),
                target=np.full(m, self.target, np.int32),
                kind=np.full(m, KIND_CALLOUT, np.int8),
            )
            ids = first + np.arange(m, dtype=np.int64)
            self.call_post[c] = ids
            self.storm_ids = np.concatenate([self.storm_ids, ids])
            self._to_verify.append((ids, c))
            self.pending = np.zeros(0, np.int64)
        if t == self.unit.time:
            tg = self.target
            rid = p.next_id + len(batch)
            batch.append(
                author=np.array([tg], np.int32),
                stance=u.opinion[[tg]],
                outrage=np.array([self.unit.severity]),
                quality=u.quality[[tg]],
                political=np.full(1, self.unit.political),
                target=np.array([tg], np.int32),
                kind=np.array([KIND_EVENT], np.int8),
            )
            self.root_post = int(rid)
            self.storm_ids = np.concatenate([self.storm_ids, [rid]]).astype(np.int64)
            self._to_verify.append((np.array([rid], np.int64), np.array([tg])))
        if self.unit.apology_time is not None and t == self.unit.apology_time:
            self.apologised = t

    def _verify_ids(self, model: FeedModel) -> None:
        """The predicted ids of this step's storm posts are the stored ones."""
        p = model.posts
        for ids, authors in self._to_verify:
            slot = p.slot_of(ids)
            if np.any(slot < 0) or np.any(p.author[slot] != authors):
                raise RuntimeError(
                    "transgression: this step's posts were reordered after on_post; "
                    "call-out post ids no longer match their authors"
                )
        self._to_verify = []

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Exposure, call-out decisions, trust evidence and the target's engagement."""
        self._verify_ids(model)
        self._reset_step_stats()
        self._target_engagement(model, ctx)
        if t < self.unit.time or self.storm_ids.size == 0:
            return
        self._last["event_attention"] = self.attention(t)
        f, p = ctx.feed, model.posts
        sel = np.flatnonzero(p.target[f.slot] == self.target)
        origin = p.origin[f.slot[sel]]
        pos = np.minimum(np.searchsorted(self.storm_ids, origin), self.storm_ids.size - 1)
        hit = (self.storm_ids[pos] == origin) & (f.viewer[sel] != self.target)
        sel, origin = sel[hit], origin[hit]
        if sel.size == 0:
            return
        viewer = f.viewer[sel]
        o = np.lexsort((f.rank[sel], viewer))  # per viewer, top-ranked storm item first
        viewer, origin = viewer[o], origin[o]
        first = np.r_[True, viewer[1:] != viewer[:-1]]
        ev = viewer[first].astype(np.int64)
        parent = origin[first]
        self.ever_exposed[ev] = True
        off = self.offence(model, ev, t)
        share = self.peer_share(model, ev)
        press = off + self.unit.peer_weight * share
        new = (self.call_time[ev] < 0) & (press >= self.phi[ev])
        c = ev[new]
        self.call_time[c] = t
        self.call_parent[c] = parent[new]
        self.call_offence[c] = off[new]
        self.call_peer[c] = share[new]
        conf = off[new] < self.phi[c]
        self.call_conformist[c] = conf
        self.pending = c
        self._last.update(
            callouts=float(c.size),
            callouts_conformist=float(conf.sum()),
            event_exposed=float(ev.size),
        )
        bad = self.unit.trust_evidence * np.where(new, 1.0, np.minimum(1.0, press))
        self._trust_evidence(model, ev, bad)

    def _trust_evidence(self, model: FeedModel, users: np.ndarray, bad: np.ndarray) -> None:
        """τ ← τ (1 − α_down)^b on the follow edges users → target (if trust is on)."""
        tr = model.dynamics.trust
        if not tr.enabled or self.unit.trust_evidence == 0:
            return
        g = model.graph
        keys = g.edge_keys()
        if keys.size == 0:
            return
        q = users * g.n + self.target
        pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
        ok = keys[pos] == q
        g.trust[pos[ok]] *= (1.0 - tr.alpha_down) ** bad[ok]

    def _target_engagement(self, model: FeedModel, ctx: StepContext) -> None:
        """(likes + comments + shares) / impressions of the target's own posts this step."""
        p, f = model.posts, ctx.feed
        mine = (p.author[f.slot] == self.target) & (p.kind[f.slot] == KIND_POST)
        imp = int(mine.sum())
        if imp:
            eng = float(ctx.reactions[mine, :3].sum())
            self._last["target_engagement_rate"] = eng / imp

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Record the target's reputation after step ``t``, i.e. at the start of step ``t + 1``."""
        self._record_reputation(model, t + 1)

    def _record_reputation(self, model: FeedModel, step: int) -> None:
        self.rep_steps.append(step)
        self.rep_values.append(self.reputation(model))

    # ------------------------------------------------------------------ outputs
    def metrics(self, model: FeedModel) -> dict[str, float]:
        """Live metrics: call-outs of the last step (all, conformist), their running total,
        users exposed in the last step, attention A(t), the target's reputation and
        follower count, engagement rate of its own posts.
        """
        g = model.graph
        return {
            **self._last,
            "callouts_total": float(np.count_nonzero(self.call_time >= 0)),
            "reputation": self.reputation(model),
            "target_followers": float(np.count_nonzero(g.indices == self.target)),
        }

    def event_rows(self) -> dict[str, np.ndarray]:
        """Transgression, apology and call-out rows (see :mod:`feedlab.analysis.cascades`)."""
        if self.root_post < 0:
            return {k: np.zeros(0) for k in ("time", "user", "target", "parent", "kind")}
        callers = np.flatnonzero(self.call_time >= 0)
        callers = callers[np.lexsort((callers, self.call_time[callers]))]
        m = callers.shape[0]
        head_time = [self.unit.time]
        head_kind = ["transgression"]
        head_parent = [-1]
        head_post = [self.root_post]
        if self.apologised >= 0:
            head_time.append(self.apologised)
            head_kind.append("apology")
            head_parent.append(self.root_post)
            head_post.append(-1)
        h = len(head_time)
        kind = np.where(
            self.call_conformist[callers], "callout_conformist", "callout_proportionate"
        )
        return {
            "time": np.concatenate([head_time, self.call_time[callers]]).astype(np.int32),
            "user": np.concatenate([np.full(h, self.target), callers]).astype(np.int32),
            "target": np.full(h + m, self.target, np.int32),
            "parent": np.concatenate([head_parent, self.call_parent[callers]]).astype(np.int64),
            "kind": np.concatenate([np.array(head_kind, object), kind.astype(object)]),
            "post": np.concatenate([head_post, self.call_post[callers]]).astype(np.int64),
            "offence": np.concatenate([np.full(h, NAN), self.call_offence[callers]]),
            "peer_share": np.concatenate([np.full(h, NAN), self.call_peer[callers]]),
        }

    def summary(self, model: FeedModel) -> dict[str, Any]:
        """Cascade and reputation metrics (:func:`feedlab.analysis.metrics.cascade_tree.summarise`) plus the
        target and reach of the storm.
        """
        from feedlab.analysis.metrics.cascade_tree import summarise

        rows = self.event_rows()
        if self.root_post < 0:
            rows = {**rows, "kind": np.zeros(0, object)}
        out: dict[str, Any] = summarise(
            rows, t_end=model.t, reputation=(self.rep_steps, self.rep_values), target=self.target
        )
        out.update(
            event_target=self.target,
            event_target_fallback=int(self.fallback),
            event_time=self.unit.time,
            target_followers_initial=self.followers_initial,
            target_followers_final=int(np.count_nonzero(model.graph.indices == self.target)),
            exposed_total=int(self.ever_exposed.sum()),
            exposed_share=float(self.ever_exposed.mean()),
        )
        return out
