"""``sponsored``: paid posts for brands, disclosed or not, and what detection costs.

docs/influencers.md §2 Behaviours. During the campaign (steps ``start ≤ t < stop``; ``stop = -1``: to the end)
each original post of a sponsored influencer ``j`` is sponsored with probability
``rate``. A sponsored post is **less relevant to the audience**: its stance is pulled
from the influencer's own opinion toward the brand's stance and its quality drops,

    y = (1 - π) x_j + π x_b + noise,       q ← max(0, q - Δq)

(π = ``brand_pull``, Δq = ``quality_penalty``; the noise is the post's usual stance
noise; ``x_b`` is the opinion, at set-up, of the brand account ``b`` assigned to ``j`` —
``brands`` regular accounts, chosen at random, become brand accounts, role 2). The post
carries ``sponsored = true`` and ``disclosed = disclosed``; reshares keep both flags.

**Disclosed** posts are seen as sponsored by every viewer (the core sets
``seen_sponsored``; the reaction model's ``β_spons`` term applies), and each exposure
through the follow edge to ``j`` costs a small trust penalty: ``disclosed_penalty`` bad
experiences added to that item's evidence (``StepContext.bad``).

**Undisclosed** posts are detected per exposure with probability

    p_i = detection · (1 - literacy · s_i)

where ``s_i`` is the viewer's outrage susceptibility: viewers who react less
emotionally read more critically (a persuasion-knowledge reading, Friestad & Wright
1994, J. Consumer Research 21:1; ``literacy = 0`` makes detection uniform). A detected
item is seen as sponsored (``seen_sponsored = true``, so the sponsorship term of the
reaction model applies) and, if it came through the follow edge to ``j``, costs
``detected_penalty`` bad experiences — a large trust drop. That covert influence found
out costs more credibility than disclosed influence is the model's assumption, in line
with experiments on disclosure (Carr & Hayes 2014, J. Interactive Advertising 14(1):38;
Boerman, Willemsen & Van der Aa 2017, J. Interactive Marketing 38:82); the penalty sizes
are stylised, not estimated.
A sponsored post seen through a reshare is detected the same way but its trust
evidence goes to the resharer's edge only through the core's usual rules (no penalty
here). Detections are recorded as ``sponsorship_detected`` events (time, viewer,
influencer, post id); ``detection_trust_loss`` in the summary is the mean share of
trust lost on an edge in the step of a detection on it (docs/influencers.md §4 Outputs: the "share of trust lost
after detection").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from feedlab.agents.behaviours.accounts import BehaviourUnit, Part
from feedlab.agents.behaviours.base import INFLUENCERS
from feedlab.agents.behaviours.roles import RoleConfig
from feedlab.agents.population import ROLE_BRAND, ROLE_USER
from feedlab.experiments.schema import field

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel, PostBatch, StepContext


_NO_DETECTIONS = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


@INFLUENCERS.register("sponsored")
@dataclass(frozen=True)
class Sponsored(BehaviourUnit):
    """Influencers who post sponsored content, disclosed or not (module docstring)."""

    roles: RoleConfig = field(doc="which accounts are influencers, their activity and tiers")
    rate: float = field(ge=0, le=1, doc="f: share of own posts that are sponsored")
    disclosed: bool = field(doc="sponsored posts carry a visible disclosure")
    brands: int = field(ge=1, le=10**6, doc="number of brand accounts (re-roled regular users)")
    brand_pull: float = field(ge=0, le=1, doc="π: stance pulled this far toward the brand's")
    quality_penalty: float = field(ge=0, le=1, doc="Δq: quality lost by a sponsored post")
    detection: float = field(ge=0, le=1, doc="detection probability per exposure (s = 0)")
    literacy: float = field(ge=0, le=1, doc="p_i = detection·(1 - literacy·s_i)")
    detected_penalty: float = field(ge=0, le=100, doc="bad experiences per detection")
    disclosed_penalty: float = field(ge=0, le=100, doc="bad experiences per disclosed exposure")
    start: int = field(ge=0, doc="first step of the campaign")
    stop: int = field(ge=-1, doc="first step after the campaign (-1: runs to the end)")

    def __post_init__(self) -> None:
        if self.stop != -1 and self.stop <= self.start:
            raise ValueError(f"stop: {self.stop} must be -1 or > start ({self.start})")

    def part(self, label: str) -> Part:
        """The stateful campaign part for the accounts labelled ``label``."""
        return SponsoredPart(label, self)


class SponsoredPart(Part):
    """State of one sponsored campaign: brands, and per-step counters."""

    kind = "sponsored"

    def __init__(self, label: str, cfg: Sponsored):
        super().__init__(label)
        self.cfg = cfg
        self.step = {"sponsored_posts": 0.0, "sponsored_exposures": 0.0, "detections": 0.0}
        self.total = dict.fromkeys(self.step, 0.0)
        self._detected = _NO_DETECTIONS
        self.loss_sum, self.loss_n = 0.0, 0

    def episode(self) -> tuple[int, int | None]:
        """The campaign window ``(start, stop)``; stop ``None`` runs to the end."""
        return self.cfg.start, (None if self.cfg.stop == -1 else self.cfg.stop)

    def active(self, t: int) -> bool:
        """Whether step ``t`` is inside the campaign (``start ≤ t < stop``)."""
        return t >= self.cfg.start and (self.cfg.stop == -1 or t < self.cfg.stop)

    def attach(self, model: FeedModel) -> None:
        """Re-role ``brands`` random regular accounts as brands, assign each sponsored
        influencer one of them, and keep the opinions at set-up as the brands' stances.
        """
        u = model.users
        pool = np.flatnonzero(u.role == ROLE_USER)
        k = min(self.cfg.brands, pool.shape[0])
        self.brands = np.sort(self.rng.choice(pool, size=k, replace=False))
        u.role[self.brands] = ROLE_BRAND
        self.brand_of = np.full(model.n, -1, np.int64)
        if k:
            self.brand_of[self.ids] = self.brands[self.rng.integers(0, k, size=self.ids.shape[0])]
        self.brand_stance = u.opinion.copy()  # x_b at set-up (read at brand_of)

    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """Sponsor a ``rate`` share of the accounts' own new posts during the campaign: stance
        pulled toward the brand's, quality lowered, flagged sponsored (and disclosed if so
        configured). Resets the step counters.
        """
        for k in self.step:
            self.step[k] = 0.0
        if not self.active(t) or self.brands.size == 0:
            return
        rows = self.own_posts(batch)
        rows = rows[self.rng.random(rows.shape[0]) < self.cfg.rate]
        a = batch.author[rows]
        x_j = model.users.opinion[a]
        x_b = self.brand_stance[self.brand_of[a]]
        batch.stance[rows] = np.clip(batch.stance[rows] + self.cfg.brand_pull * (x_b - x_j), -1, 1)
        batch.quality[rows] = np.maximum(0.0, batch.quality[rows] - self.cfg.quality_penalty)
        batch.sponsored[rows] = True
        batch.disclosed[rows] = self.cfg.disclosed
        self.step["sponsored_posts"] = float(rows.shape[0])

    def before_react(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Exposures to the accounts' sponsored posts (module docstring).

        A disclosed item seen through the follow edge to the influencer costs
        ``disclosed_penalty`` bad experiences on that edge; an undisclosed one is detected
        with probability ``detection·(1 − literacy·s_i)``, is then seen as sponsored by the
        reaction model and, if it came through that edge, costs ``detected_penalty``.
        Detections are logged as events; the trust of the edges with one is kept for
        :meth:`on_step_end` to measure the loss.
        """
        p, f = model.posts, ctx.feed
        oa = f.items.origin_author
        spons = p.sponsored[f.slot] & self.member[oa]
        if not spons.any():
            return
        direct = (f.edge >= 0) & (f.items.author == oa)  # came through the edge to j
        disc = spons & p.disclosed[f.slot]
        ctx.bad[disc & direct] += self.cfg.disclosed_penalty
        und = np.flatnonzero(spons & ~p.disclosed[f.slot])
        prob = self.cfg.detection * (
            1.0 - self.cfg.literacy * model.users.susceptibility[f.viewer[und]]
        )
        hit = und[self.rng.random(und.shape[0]) < prob]
        ctx.seen_sponsored[hit] = True
        on_edge = hit[direct[hit]]
        ctx.bad[on_edge] += self.cfg.detected_penalty
        g = model.graph
        self._detected = (f.viewer[on_edge], oa[on_edge], g.trust[f.edge[on_edge]].copy())
        assert self.ext is not None
        self.ext.add_events(t, f.viewer[hit], oa[hit], p.id[f.slot[hit]], "sponsorship_detected")
        self.step["sponsored_exposures"] = float(spons.sum())
        self.step["detections"] = float(hit.shape[0])

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Totals, and the share of trust lost on the edges with a detection this step
        (trust after this step's update vs before it; edges cut this step are left out).
        """
        for k, v in self.step.items():
            self.total[k] += v
        viewer, infl, before = self._detected
        self._detected = _NO_DETECTIONS
        if viewer.size:
            g = model.graph
            keys = g.edge_keys()
            q = viewer.astype(np.int64) * model.n + infl
            pos = np.minimum(np.searchsorted(keys, q), max(keys.size - 1, 0))
            alive = (keys[pos] == q) & (before > 0)
            loss = (before[alive] - g.trust[pos[alive]]) / before[alive]
            self.loss_sum += float(loss.sum())
            self.loss_n += int(alive.sum())

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """The step's sponsored posts, sponsored exposures and detections."""
        return {self.col(k): v for k, v in self.step.items()}

    def summary(self, model: FeedModel) -> dict[str, float]:
        """Run totals of the step counters, ``detection_share`` (detections per sponsored
        exposure) and ``detection_trust_loss`` (mean share of trust lost on an edge in the
        step of a detection on it); NaN when there was nothing to count.
        """
        out = {self.col(f"total_{k}"): v for k, v in self.total.items()}
        exp = self.total["sponsored_exposures"]
        out[self.col("detection_share")] = (
            self.total["detections"] / exp if exp > 0 else float("nan")
        )
        out[self.col("detection_trust_loss")] = (
            self.loss_sum / self.loss_n if self.loss_n else float("nan")
        )
        return out
