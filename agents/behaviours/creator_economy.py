"""``creator_economy``: influencers paid for reach and sponsorship learn which
strategy pays — authentic posting, engagement farming, disclosed or undisclosed
sponsorship — so that fraud can emerge rather than be assigned (docs/attention.md
§Creator economy).

**Strategies.** Every ``period`` steps each influencer ``j`` picks one strategy ``k_j`` of
``strategies`` and plays it for the period; a ``rate`` share of its own posts is then

* ``authentic``: left as drawn;
* ``farming``: outrage raised, ``o ← min(1, o + outrage_boost)`` (as ``engagement_farming``);
* ``disclosed`` / ``undisclosed``: sponsored for the influencer's brand, disclosed or not
  (as ``sponsored``: stance pulled toward the brand, quality lowered, and the same
  detection mechanism — an undisclosed sponsored item is detected per exposure with
  probability ``detection·(1 − literacy·s_i)``, costing ``detected_penalty`` bad
  experiences on the follow edge; a disclosed one costs ``disclosed_penalty``).

**Pay.** Per step, influencer ``j`` earns

    π_j = creator_cpm · I_j / 1000 + sponsorship_cpm · I^s_j / 1000 − fine · D_j

with ``I_j`` the impressions of its original posts (a platform's creator revenue share,
paid per thousand views), ``I^s_j`` those of its sponsored posts (the brand's fee,
per thousand impressions) and ``D_j`` the detections of its undisclosed sponsorship (a
regulator's or platform's fine). The lost trust after a detection costs future
reactions and reach through the model itself.

**Learning.** Each influencer runs a multi-armed bandit over the strategies with the
period's mean pay per step as reward:

* ``epsilon_greedy`` — with probability ε a random strategy, otherwise the one with the
  highest estimate ``Q``; after a period ``Q_k ← Q_k + α (r − Q_k)`` (constant step
  size for a non-stationary payoff; Sutton & Barto 2018, *Reinforcement Learning*, 2nd
  ed., §2.2–2.5);
* ``exp3`` — probabilities ``p_k = (1 − γ) w_k / Σw + γ / K``; the played strategy's
  weight ``w_k ← w_k · exp(γ x / (K p_k))`` with the reward mapped to ``[0, 1]`` as
  ``x = clip(½ + r / (2·reward_scale), 0, 1)`` (Auer, Cesa-Bianchi, Freund & Schapire
  2002, SIAM J. Comput. 32:48).

Outputs: per step the share of influencers playing each strategy
(``creator_share_<strategy>``) and their mean pay (``creator_pay``); in the summary the
final and run-mean shares and the total pay by strategy; in ``agents.parquet`` each
influencer's current strategy and total pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from feedlab.agents.behaviours.accounts import BehaviourUnit, Part
from feedlab.agents.behaviours.base import INFLUENCERS
from feedlab.agents.behaviours.roles import RoleConfig
from feedlab.agents.behaviours.sponsored import Sponsored, SponsoredPart
from feedlab.experiments.schema import field

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel, PostBatch, StepContext

STRATEGIES = ("authentic", "farming", "disclosed", "undisclosed")
Strategy = Literal["authentic", "farming", "disclosed", "undisclosed"]


@dataclass(frozen=True)
class CreatorPay:
    """What a creator earns (module docstring)."""

    creator_cpm: float = field(ge=0, le=1e6, doc="platform pay per 1000 impressions of own posts")
    sponsorship_cpm: float = field(
        ge=0, le=1e6, doc="brand fee per 1000 impressions of sponsored posts"
    )
    fine: float = field(ge=0, le=1e6, doc="cost per detection of undisclosed sponsorship")


@INFLUENCERS.register("creator_economy")
@dataclass(frozen=True)
class CreatorEconomy(BehaviourUnit):
    """Influencers who learn their strategy from pay (module docstring)."""

    roles: RoleConfig = field(doc="which accounts are influencers, their activity and tiers")
    strategies: tuple[Strategy, ...] = field(
        doc="the strategies to choose from: authentic, farming, disclosed, undisclosed"
    )
    rate: float = field(ge=0, le=1, doc="share of own posts the strategy applies to")
    outrage_boost: float = field(ge=0, le=1, doc="farming: outrage added to a post (capped at 1)")
    brands: int = field(ge=1, le=10**6, doc="number of brand accounts (re-roled regular users)")
    brand_pull: float = field(ge=0, le=1, doc="π: sponsored stance pulled toward the brand's")
    quality_penalty: float = field(ge=0, le=1, doc="Δq: quality lost by a sponsored post")
    detection: float = field(ge=0, le=1, doc="detection probability per exposure (s = 0)")
    literacy: float = field(ge=0, le=1, doc="p_i = detection·(1 - literacy·s_i)")
    detected_penalty: float = field(ge=0, le=100, doc="bad experiences per detection")
    disclosed_penalty: float = field(ge=0, le=100, doc="bad experiences per disclosed exposure")
    pay: CreatorPay = field(doc="platform revenue share, sponsorship fee and fine")
    learner: Literal["epsilon_greedy", "exp3"] = field(doc="the bandit algorithm")
    epsilon: float = field(ge=0, le=1, doc="epsilon_greedy: exploration probability")
    step_size: float = field(gt=0, le=1, doc="epsilon_greedy: α of the estimate update")
    gamma: float = field(gt=0, le=1, doc="exp3: exploration share γ")
    reward_scale: float = field(gt=0, le=1e9, doc="exp3: pay per step mapped to reward 1")
    period: int = field(ge=1, le=10**6, doc="steps a chosen strategy is played")

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ValueError("strategies: at least one strategy is required")
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError(f"strategies: {list(self.strategies)} repeats a strategy")

    def sponsored(self) -> Sponsored:
        """The ``sponsored`` parameters whose detection mechanism this behaviour reuses."""
        return Sponsored(
            roles=self.roles,
            rate=self.rate,
            disclosed=False,
            brands=self.brands,
            brand_pull=self.brand_pull,
            quality_penalty=self.quality_penalty,
            detection=self.detection,
            literacy=self.literacy,
            detected_penalty=self.detected_penalty,
            disclosed_penalty=self.disclosed_penalty,
            start=0,
            stop=-1,
        )

    def part(self, label: str) -> Part:
        """The stateful learning part for the accounts labelled ``label``."""
        return CreatorPart(label, self)


class CreatorPart(SponsoredPart):
    """Strategy choice, pay and learning of the creator accounts (module docstring);
    sponsorship and its detection are :class:`SponsoredPart`'s.
    """

    kind = "creator_economy"

    def __init__(self, label: str, cfg: CreatorEconomy):
        super().__init__(label, cfg.sponsored())
        self.creator = cfg
        self.names = list(cfg.strategies)
        self.code = {s: STRATEGIES.index(s) for s in self.names}
        self.step_pay = 0.0

    def attach(self, model: FeedModel) -> None:
        """Brands (as ``sponsored``), then the bandit's state per account."""
        super().attach(model)
        n, k = model.n, len(self.names)
        self.choice = np.full(n, -1, np.int64)  # index into self.names
        self.q = np.zeros((n, k))
        self.w = np.ones((n, k))
        self.prob = np.full((n, k), 1.0 / k)
        self.reward = np.zeros(n)
        self.pay_total = np.zeros(n)
        self.plays = np.zeros(k)
        self.pay_by_strategy = np.zeros(k)
        self.share_hist: list[np.ndarray] = []

    # ------------------------------------------------------------------ learning
    def _choose(self, ids: np.ndarray) -> None:
        """New strategies for the accounts ``ids`` (ε-greedy or Exp3)."""
        k, rng, cfg = len(self.names), self.rng, self.creator
        if cfg.learner == "exp3":
            w = self.w[ids]
            p = (1 - cfg.gamma) * w / w.sum(axis=1, keepdims=True) + cfg.gamma / k
            self.prob[ids] = p
            u = rng.random(int(ids.shape[0]))
            pick = np.minimum((np.cumsum(p, axis=1) < u[:, None]).sum(axis=1), k - 1)
        else:
            q = self.q[ids] + 1e-12 * rng.random((ids.shape[0], k))  # random tie-break
            pick = np.argmax(q, axis=1)
            explore = rng.random(ids.shape[0]) < cfg.epsilon
            pick = np.where(explore, rng.integers(0, k, ids.shape[0]), pick)
        self.choice[ids] = pick

    def _learn(self, ids: np.ndarray, steps: int) -> None:
        """Update the chosen strategies' estimates with the period's mean pay per step."""
        cfg, k = self.creator, len(self.names)
        r = self.reward[ids] / max(steps, 1)
        c = self.choice[ids]
        if cfg.learner == "exp3":
            x = np.clip(0.5 + r / (2 * cfg.reward_scale), 0.0, 1.0)
            p = self.prob[ids, c]
            self.w[ids, c] *= np.exp(cfg.gamma * x / (k * p))
            self.w[ids] /= self.w[ids].max(axis=1, keepdims=True)  # scale-free; avoids overflow
        else:
            self.q[ids, c] += cfg.step_size * (r - self.q[ids, c])
        self.reward[ids] = 0.0

    # ------------------------------------------------------------------ hooks
    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """At a period boundary learn and choose; then apply each account's strategy to a
        ``rate`` share of its own new posts (farming or sponsorship).
        """
        for key in self.step:
            self.step[key] = 0.0
        if self.ids.size == 0:
            return
        period = self.creator.period
        if t % period == 0:
            if t > 0:
                self._learn(self.ids, period)
            self._choose(self.ids)
        rows = self.own_posts(batch)
        rows = rows[self.rng.random(rows.shape[0]) < self.creator.rate]
        strat = np.array([self.code[s] for s in self.names])[self.choice[batch.author[rows]]]
        farm = rows[strat == STRATEGIES.index("farming")]
        batch.outrage[farm] = np.minimum(1.0, batch.outrage[farm] + self.creator.outrage_boost)
        spons = rows[strat >= STRATEGIES.index("disclosed")]
        if self.brands.size and spons.size:
            a = batch.author[spons]
            x_j = model.users.opinion[a]
            x_b = self.brand_stance[self.brand_of[a]]
            pull = self.cfg.brand_pull * (x_b - x_j)
            batch.stance[spons] = np.clip(batch.stance[spons] + pull, -1, 1)
            batch.quality[spons] = np.maximum(0.0, batch.quality[spons] - self.cfg.quality_penalty)
            batch.sponsored[spons] = True
            batch.disclosed[spons] = strat[strat >= 2] == STRATEGIES.index("disclosed")
        self.step["sponsored_posts"] = float(spons.size)

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """The step's pay of every account: impressions of own posts, sponsored
        impressions and detections (those found in ``before_react``).
        """
        if self.ids.size == 0:
            return
        n, p, f = model.n, model.posts, ctx.feed
        oa = f.items.origin_author
        mine = self.member[oa]
        spons = mine & p.sponsored[f.slot]
        detected = spons & ~p.disclosed[f.slot] & ctx.seen_sponsored
        pay = self.creator.pay
        earn = (
            pay.creator_cpm * np.bincount(oa[mine], minlength=n) / 1000.0
            + pay.sponsorship_cpm * np.bincount(oa[spons], minlength=n) / 1000.0
            - pay.fine * np.bincount(oa[detected], minlength=n)
        )
        self.reward += earn
        self.pay_total += earn
        ids = self.ids
        np.add.at(self.pay_by_strategy, self.choice[ids], earn[ids])
        self.plays += np.bincount(self.choice[ids], minlength=len(self.names))
        self.step_pay = float(earn[ids].mean())

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Sponsorship totals and trust loss (as ``sponsored``); the strategy shares."""
        super().on_step_end(model, t)
        if self.ids.size:
            k = len(self.names)
            self.share_hist.append(np.bincount(self.choice[self.ids], minlength=k) / self.ids.size)

    # ------------------------------------------------------------------ outputs
    def shares(self) -> np.ndarray:
        """Share of the accounts playing each strategy now (NaN before any choice)."""
        k = len(self.names)
        if self.ids.size == 0 or (self.choice[self.ids] < 0).any():
            return np.full(k, np.nan)
        return np.bincount(self.choice[self.ids], minlength=k) / self.ids.size

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """Sponsorship counters, the strategy shares and the mean pay of the step."""
        row = super().metrics(model)
        for s, v in zip(self.names, self.shares(), strict=True):
            row[self.col(f"creator_share_{s}")] = float(v)
        row[self.col("creator_pay")] = self.step_pay
        return row

    def summary(self, model: FeedModel) -> dict[str, float]:
        """Sponsorship summary, final and run-mean strategy shares, pay by strategy."""
        out = super().summary(model)
        hist = (
            np.array(self.share_hist) if self.share_hist else np.full((1, len(self.names)), np.nan)
        )
        for i, s in enumerate(self.names):
            out[self.col(f"creator_share_{s}_final")] = float(hist[-1, i])
            out[self.col(f"creator_share_{s}_run_mean")] = float(np.mean(hist[:, i]))
            out[self.col(f"creator_pay_total_{s}")] = float(self.pay_by_strategy[i])
            plays = self.plays[i]
            out[self.col(f"creator_pay_per_play_{s}")] = (
                float(self.pay_by_strategy[i] / plays) if plays else float("nan")
            )
        return out

    def columns(self, model: FeedModel) -> dict[str, np.ndarray]:
        """Per account: current strategy ("" for non-members) and total pay."""
        names = np.array(["", *self.names], dtype=object)
        strat = np.where(self.member, self.choice, -1)
        return {
            self.col("creator_strategy"): names[strat + 1],
            self.col("creator_pay_total"): np.where(self.member, self.pay_total, np.nan),
        }
