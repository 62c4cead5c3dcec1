"""The platform's economy as one model extension: ads, subscriptions, revenue and the
platform objective a ranking policy can read (docs/attention.md).

Built by :func:`feedlab.experiments.run` when ``ads`` is not ``none`` or
``platform.business_model`` is not ``none``; otherwise nothing is built and a run is
byte-identical to one without this module. Every draw comes from the ``economy`` stream.

**Who sees ads.** ``ad_funded``: everyone; ``hybrid``: users without a subscription;
``subscription``: nobody (the ``ads`` node, if set, is not shown: a subscription
platform is ad-free). Ads take slots before ranking (``on_feed_lengths``), are sold
after the reactions (``on_feed``; :mod:`feedlab.models.economy.ads`), and lower the
session's value at the end of the step: the user's value becomes the mean over organic
items *and* ad slots shown, each ad worth ``ads.value``.

**Subscriptions** (``subscription``, ``hybrid``). Each user's *experienced value* is an
exponential moving average of its session value, ``EV ← λ·EV + (1 − λ)·v``
(``memory`` λ; first session: ``EV = v``), and its willingness to pay per step is

    WTP_i = m_i · wtp_per_value · max(EV_i, 0),     log m_i ~ N(0, wtp_sd²)

— willingness to pay grows with the value experienced (the value-based view of pricing;
e.g. Anderson & Narus 1998, HBR 76(6):53, and the WTP-for-social-media measurements of
Allcott, Braghieri, Eichmeyer & Gentzkow 2020, AER 110:629). Each step an active
non-subscriber with ``WTP ≥ price`` subscribes with probability ``adoption``; a
subscriber with ``WTP < price``, or who is inactive (``model.active`` false, the churn
mechanism of docs/attention.md §Churn and return; all users count as active when churn
is off), cancels with probability ``cancel``. Subscribers pay ``price`` per step.

**Revenue.** Per step: ad revenue (CPM impressions + CPC clicks) under ``ad_funded`` and
``hybrid``; subscription revenue (price × subscribers during the step) under
``subscription`` and ``hybrid``; ``platform_revenue`` is their sum, and
``cumulative_revenue`` its running total.

**Platform objective.** Before ranking, the extension publishes ``Candidates.objective``
(per user, the weight ``μ_i`` of predicted reflective value against predicted engagement
in what earns the platform money): 0 under ``ad_funded`` (attention is what is sold),
1 under ``subscription`` (satisfaction is), and under ``hybrid`` 1 for subscribers and,
for the others, the subscription share of the last step's revenue. The ``revenue``
ranking policy (:mod:`feedlab.models.ranking.revenue`) reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.analysis.metrics import economy as eco
from feedlab.models.economy.ads import (
    Advertisers,
    FeedAds,
    allocate,
    click_logits,
    feed_ad_slots,
    prices,
)
from feedlab.models.extension import Extension
from feedlab.models.kernels import count_at, njit
from feedlab.models.predictor import ALL_ACTIONS, COMMENT, LIKE, SHARE, predict_columns

if TYPE_CHECKING:
    from feedlab.models.config import SubscriptionConfig
    from feedlab.models.feed import Candidates
    from feedlab.models.model import FeedModel, StepContext

ARM_SEP = "__"  # the per-arm column convention of feedlab.analysis.live
INF_ADS = 2**40  # "no cap" on the ads of a feed (sessions: the scroll decides)
AD_MODELS = ("ad_funded", "hybrid")
SUB_MODELS = ("subscription", "hybrid")
#: per-step flows recorded per arm (``<flow>__<arm>``) and summed per arm in the summary
ARM_FLOWS = (
    "ad_slots",
    "ad_impressions",
    "ad_impressions_unsafe",
    "ad_clicks",
    "ad_revenue",
    "subscription_revenue",
    "platform_revenue",
    "subscribers",
)


@njit(cache=True)
def _ordered_sums(unsafe, clicked, pay, out):  # pragma: no cover - jitted
    """``out`` = the sums of ``unsafe``, ``clicked`` and ``pay``, each added up in array
    order from 0 as ``np.bincount(zeros, weights=...)`` does (bit for bit: the order of a
    floating-point sum matters), in one pass.
    """
    for m in range(pay.shape[0]):
        out[0] += unsafe[m]
        out[1] += clicked[m]
        out[2] += pay[m]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class TargetedPredictor:
    """A predictor whose like, comment and share predictions of *sponsored* posts are
    multiplied by ``1 + boost·inferred_i`` for viewer ``i`` (capped at 1): paid promotion
    aimed at the viewers the platform infers to be most susceptible or aroused.
    """

    def __init__(self, base: object, boost: np.ndarray):
        self.base = base
        self.boost = boost

    def columns(self, cand: Candidates, actions: Any) -> list[np.ndarray]:
        """The base predictor's columns, sponsored pairs boosted (class docstring)."""
        out = predict_columns(self.base, cand, actions)
        spons = cand.posts.sponsored[cand.slot]
        if not spons.any():
            return out
        f = 1.0 + self.boost[cand.viewer[spons]]
        for j, a in enumerate(actions):
            if a in (LIKE, COMMENT, SHARE):
                out[j][spons] = np.minimum(1.0, out[j][spons] * f)
        return out

    def __call__(self, cand: Candidates) -> np.ndarray:
        """All four predicted columns as an ``(M, 4)`` array."""
        return np.stack(self.columns(cand, ALL_ACTIONS), axis=1)


class PlatformEconomy(Extension):
    """Ads, subscriptions, revenue and the platform objective (module docstring)."""

    def __init__(
        self,
        ads: FeedAds | None,
        business_model: str,
        subscription: SubscriptionConfig,
        rng: np.random.Generator,
    ):
        self.ads = ads if business_model in AD_MODELS else None
        self.business_model = business_model
        self.subs = subscription if business_model in SUB_MODELS else None
        self.rng = rng
        self.step: dict[str, float] = {}
        self.total: dict[str, float] = {}
        self.arm_step: dict[str, np.ndarray] = {}
        self.arm_total: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ set-up
    def setup(self, model: FeedModel) -> None:
        """Advertisers, susceptibility deciles, initial subscribers and the books."""
        n, rng = model.n, self.rng
        self.n_arms = max(len(model.policies), 1)
        self.arm_names = list(model.arm_names) if self.n_arms > 1 else []
        self.decile = eco.deciles(model.users.susceptibility)
        self.user_ads = np.zeros(n)
        self.user_clicks = np.zeros(n)
        self.user_unsafe = np.zeros(n)
        self.planned = np.zeros(n, np.int64)
        self.shown = np.zeros(n, np.int64)
        self.organic = np.zeros(n, np.int64)
        self.inferred = np.zeros(n)
        if self.ads is not None:
            self.adv = Advertisers.draw(self.ads, n, rng)
            a = self.ads.advertisers
            self.adv_books = {k: np.zeros(a) for k in ("impressions", "unsafe", "clicks", "spend")}
            #: how far down each advertiser's list of slots the last auction got (−1: none
            #: yet), the auction's guess of how much to sort (speed only: ads.allocate)
            self.auction_depth = np.full(a, -1, np.int64)
        self.subscribed = np.zeros(n, bool)
        self.ev = np.full(n, np.nan)
        self.wtp = np.zeros(n)
        if self.subs is not None:
            self.wtp_mult = np.exp(self.subs.wtp_sd * rng.standard_normal(n))
            self.subscribed = rng.random(n) < self.subs.initial
        self.ever_subscribed = self.subscribed.copy()
        self.objective = self._objective(model, sub_share=0.0)
        self._reset_step()
        self.total = dict.fromkeys(self.step, 0.0)
        self.total.update(subscriptions_started=0.0, subscriptions_cancelled=0.0)
        self.total.update(subscriber_steps=0.0)
        self.arm_total = {k: np.zeros(self.n_arms) for k in ARM_FLOWS}

    def _reset_step(self) -> None:
        self.step = {
            "ad_slots": 0.0,
            "ad_impressions": 0.0,
            "ad_impressions_unsafe": 0.0,
            "ad_clicks": 0.0,
            "ad_revenue": 0.0,
            "ad_revenue_cpm": 0.0,
            "ad_revenue_cpc": 0.0,
            "subscription_revenue": 0.0,
            "platform_revenue": 0.0,
            "subscribers": float(self.subscribed.sum()),
        }
        self.arm_step = {k: np.zeros(self.n_arms) for k in ARM_FLOWS}
        self.step_top_decile = float("nan")
        self.step_top_decile_clicks = float("nan")

    def _active(self, model: FeedModel) -> np.ndarray:
        """``model.active`` (churn, docs/attention.md §Churn and return), else all users."""
        active = getattr(model, "active", None)
        return np.ones(model.n, bool) if active is None else np.asarray(active, bool)

    def ad_free(self) -> np.ndarray:
        """Users who see no ads: hybrid subscribers (everyone else sees them)."""
        return (
            self.subscribed if self.business_model == "hybrid" else np.zeros_like(self.subscribed)
        )

    def _objective(self, model: FeedModel, sub_share: float) -> np.ndarray | None:
        """μ_i, the weight of predicted value in the platform's objective (module docstring)."""
        if self.business_model == "ad_funded":
            return np.zeros(model.n)
        if self.business_model == "subscription":
            return np.ones(model.n)
        if self.business_model == "hybrid":
            return np.where(self.subscribed, 1.0, sub_share)
        return None

    # ------------------------------------------------------------------ hooks
    def on_candidates(self, model: FeedModel, t: int, cand: Candidates) -> None:
        """Reset the step, publish the platform objective and, with targeting, infer each
        user's susceptibility or arousal and promote sponsored posts to the most exposed.
        """
        self._reset_step()
        cand.objective = self.objective
        ads = self.ads
        if ads is None or ads.targeting == "none":
            return
        u = model.users
        true = u.susceptibility if ads.targeting == "susceptibility" else u.arousal
        noise = (
            ads.inference_noise * self.rng.standard_normal(model.n) if ads.inference_noise else 0.0
        )
        self.inferred = np.clip(true + noise, 0.0, 1.0)
        if ads.sponsored_boost > 0:
            cand.predictor = TargetedPredictor(cand.predictor, ads.sponsored_boost * self.inferred)

    def on_feed_lengths(self, model: FeedModel, t: int, k: np.ndarray) -> np.ndarray:
        """Reserve the ad slots of every user who sees ads; the ranker fills the rest."""
        if self.ads is None:
            return k
        planned = eco.ad_slots(k, self.ads.first_slot, self.ads.spacing)
        planned[self.ad_free()] = 0
        session = getattr(model.dynamics, "session", None)  # docs/attention.md §Sessions
        # with sessions the scroll decides how many ads are reached, not the budget K
        self.planned = (
            np.full_like(planned, INF_ADS) if getattr(session, "enabled", False) else planned
        )
        self.planned[self.ad_free()] = 0
        return k - planned

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Sell the ad slots the feeds reach, draw the clicks, book revenue and brand safety."""
        if self.ads is None:
            return
        cfg, adv, u, n = self.ads, self.adv, model.users, model.n
        f = ctx.feed
        L = np.zeros(n, np.int64)
        count_at(f.viewer, L)  # np.bincount(f.viewer, minlength=n)
        ptr = np.zeros(n + 1, np.int64)
        np.cumsum(L, out=ptr[1:])
        self.organic = L
        self.shown = eco.shown_ads(L, self.planned, cfg.first_slot, cfg.spacing)
        viewer, unsafe = feed_ad_slots(
            ptr,
            self.shown,
            cfg.first_slot,
            cfg.spacing,
            f.items.outrage,
            cfg.unsafe_outrage,
            cfg.adjacency,
        )
        s = viewer.shape[0]
        zero = np.zeros(s)
        s_hat = self.inferred[viewer] if cfg.targeting == "susceptibility" else zero
        e_hat = self.inferred[viewer] if cfg.targeting == "arousal" else zero
        ecpm, cost = prices(cfg.click, adv, u.opinion[viewer], s_hat, e_hat)
        # (S, A) only when some advertiser blocks unsafe slots (brand safety)
        blocked = adv.blocks[None, :] & unsafe[:, None] if adv.blocks.any() else None
        winner = allocate(ecpm, cost, blocked, adv.budget, self.rng, self.auction_depth)
        sold = np.flatnonzero(winner >= 0)
        w = winner[sold]
        sv = viewer[sold]
        true = click_logits(  # the true click model, for the sold impressions only
            cfg.click, u.opinion[sv], adv.stance[w], u.susceptibility[sv], u.arousal[sv]
        )
        clicked = self.rng.random(sold.shape[0]) < _sigmoid(true)
        is_cpc = adv.cpc[w]
        pay = np.where(is_cpc, np.where(clicked, adv.bid[w], 0.0), adv.bid[w] / 1000.0)
        su = unsafe[sold]
        a_n = cfg.advertisers
        books = self.adv_books
        books["impressions"] += np.bincount(w, minlength=a_n)
        books["unsafe"] += np.bincount(w, weights=su, minlength=a_n)
        books["clicks"] += np.bincount(w, weights=clicked, minlength=a_n)
        books["spend"] += np.bincount(w, weights=pay, minlength=a_n)
        self.user_ads += np.bincount(sv, minlength=n)
        self.user_clicks += np.bincount(sv, weights=clicked, minlength=n)
        self.user_unsafe += np.bincount(sv, weights=su, minlength=n)
        rev_cpm = float(pay[~is_cpc].sum())
        rev_cpc = float(pay[is_cpc].sum())
        self.step.update(
            ad_slots=float(s),
            ad_impressions=float(sold.shape[0]),
            ad_impressions_unsafe=float(su.sum()),
            ad_clicks=float(clicked.sum()),
            ad_revenue=rev_cpm + rev_cpc,
            ad_revenue_cpm=rev_cpm,
            ad_revenue_cpc=rev_cpc,
        )
        top = self.decile[sv] == 9
        self.step_top_decile = eco.share(float(top.sum()), float(sold.shape[0]))
        self.step_top_decile_clicks = eco.share(float(clicked[top].sum()), float(clicked.sum()))
        k = self.n_arms
        if k == 1:  # everyone in one arm: the step's flows, summed in order as bincount
            self.arm_step["ad_slots"] = np.array([float(s)])
            self.arm_step["ad_impressions"] = np.array([float(sold.shape[0])])
            flows = np.zeros((3, 1))
            _ordered_sums(su, clicked, pay, flows[:, 0])
            unsafe_n, clicks_n, revenue = flows
        else:
            arm = model.users.arm.astype(np.int64)
            self.arm_step["ad_slots"] = np.bincount(arm[viewer], minlength=k).astype(float)
            self.arm_step["ad_impressions"] = np.bincount(arm[sv], minlength=k).astype(float)
            unsafe_n = np.bincount(arm[sv], weights=su, minlength=k)
            clicks_n = np.bincount(arm[sv], weights=clicked, minlength=k)
            revenue = np.bincount(arm[sv], weights=pay, minlength=k)
        self.arm_step["ad_impressions_unsafe"] = unsafe_n
        self.arm_step["ad_clicks"] = clicks_n
        self.arm_step["ad_revenue"] = revenue

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Ads lower the session value; subscriptions are decided and billed; revenue and
        the platform objective for the next step.
        """
        if self.ads is not None:
            m = self.shown.astype(np.float64)
            L = self.organic.astype(np.float64)
            has = m > 0
            lv = model.last_value
            model.last_value = np.where(
                has, (np.nan_to_num(lv) * L + m * self.ads.value) / np.maximum(L + m, 1), lv
            )
            self.shown = np.zeros(model.n, np.int64)
        arm = model.users.arm.astype(np.int64)
        k = self.n_arms
        if self.subs is not None:
            self._subscriptions(model)
            paying = self.subscribed_during
            price = self.subs.price
            self.step["subscription_revenue"] = price * float(paying.sum())
            self.step["subscribers"] = float(paying.sum())
            self.arm_step["subscribers"] = np.bincount(arm, weights=paying, minlength=k)
            self.arm_step["subscription_revenue"] = price * self.arm_step["subscribers"]
        self.step["platform_revenue"] = self.step["ad_revenue"] + self.step["subscription_revenue"]
        self.arm_step["platform_revenue"] = (
            self.arm_step["ad_revenue"] + self.arm_step["subscription_revenue"]
        )
        for key, flow in self.step.items():
            self.total[key] = self.total.get(key, 0.0) + flow
        for key, per_arm in self.arm_step.items():
            self.arm_total[key] += per_arm
        rev = self.step["platform_revenue"]
        sub_share = self.step["subscription_revenue"] / rev if rev > 0 else 0.0
        self.objective = self._objective(model, sub_share)

    def _subscriptions(self, model: FeedModel) -> None:
        """Experienced value, WTP, and this step's subscribe and cancel decisions."""
        cfg = self.subs
        assert cfg is not None
        v = model.last_value
        seen = np.isfinite(v)
        ev = self.ev
        ev[seen] = np.where(
            np.isnan(ev[seen]), v[seen], cfg.memory * ev[seen] + (1 - cfg.memory) * v[seen]
        )
        self.wtp = self.wtp_mult * cfg.wtp_per_value * np.maximum(np.nan_to_num(ev), 0.0)
        active = self._active(model)
        self.subscribed_during = self.subscribed.copy()
        draw = self.rng.random(model.n)
        join = ~self.subscribed & active & (self.wtp >= cfg.price) & (draw < cfg.adoption)
        leave = self.subscribed & ((self.wtp < cfg.price) | ~active) & (draw < cfg.cancel)
        self.subscribed = (self.subscribed | join) & ~leave
        self.ever_subscribed |= join
        self.total["subscriptions_started"] += float(join.sum())
        self.total["subscriptions_cancelled"] += float(leave.sum())
        self.total["subscriber_steps"] += float(self.subscribed_during.sum())

    # ------------------------------------------------------------------ outputs
    def metrics(self, model: FeedModel) -> dict[str, float]:
        """The step's ad flows, brand safety, exposure of the top susceptibility decile,
        subscribers and revenue (per arm with arms) and the cumulative revenue.
        """
        s = self.step
        row = dict(s)
        row["cumulative_revenue"] = self.total.get("platform_revenue", 0.0)
        row["revenue_per_user"] = s["platform_revenue"] / model.n
        time_spent = getattr(model, "time_spent", None)  # sessions (docs/attention.md)
        if time_spent is not None:
            tot = float(np.nansum(time_spent))
            row["revenue_per_time_spent"] = eco.share(s["platform_revenue"], tot)
        if self.ads is not None:
            row["ad_fill_rate"] = eco.share(s["ad_impressions"], s["ad_slots"])
            row["ad_ctr"] = eco.share(s["ad_clicks"], s["ad_impressions"])
            row["ad_unsafe_share"] = eco.share(s["ad_impressions_unsafe"], s["ad_impressions"])
            row["ad_load"] = eco.share(s["ad_slots"], s["ad_slots"] + float(self.organic.sum()))
            row["ad_exposure_top_decile"] = self.step_top_decile
            row["ad_clicks_top_decile"] = self.step_top_decile_clicks
        for a, name in enumerate(self.arm_names):
            sfx = f"{ARM_SEP}{name}"
            for key in ARM_FLOWS:
                row[f"{key}{sfx}"] = float(self.arm_step[key][a])
            if self.ads is not None:
                row[f"ad_unsafe_share{sfx}"] = eco.share(
                    self.arm_step["ad_impressions_unsafe"][a], self.arm_step["ad_impressions"][a]
                )
        return row

    def summary(self, model: FeedModel) -> dict[str, Any]:
        """Run totals, brand safety per advertiser, ad exposure and clicks by
        susceptibility decile, subscription statistics and per-arm revenue.
        """
        tot = self.total
        steps = max(model.t, 1)
        out: dict[str, Any] = {f"total_{k}": v for k, v in tot.items() if k != "subscribers"}
        out["cumulative_revenue"] = tot["platform_revenue"]
        out["revenue_per_user_step"] = tot["platform_revenue"] / (model.n * steps)
        out["business_model"] = self.business_model
        if self.ads is not None:
            out.update(self._ad_summary())
        if self.subs is not None:
            out["subscribers_final"] = float(self.subscribed.sum())
            out["subscriber_share_final"] = float(self.subscribed.mean())
            out["subscriber_cancel_rate"] = eco.share(
                tot["subscriptions_cancelled"], tot["subscriber_steps"]
            )
            out["ever_subscribed_share"] = float(self.ever_subscribed.mean())
        out.update(self._arm_summary(model, steps))
        return out

    def _ad_summary(self) -> dict[str, float]:
        """Run CTR, fill rate and brand safety; per advertiser; by susceptibility decile."""
        assert self.ads is not None
        tot, b = self.total, self.adv_books
        out = {
            "run_ad_unsafe_share": eco.share(tot["ad_impressions_unsafe"], tot["ad_impressions"]),
            "run_ad_ctr": eco.share(tot["ad_clicks"], tot["ad_impressions"]),
            "run_ad_fill_rate": eco.share(tot["ad_impressions"], tot["ad_slots"]),
        }
        for a in range(self.ads.advertisers):
            out[f"brand_unsafe_share_a{a}"] = eco.share(b["unsafe"][a], b["impressions"][a])
            out[f"ad_spend_a{a}"] = float(b["spend"][a])
            out[f"ad_impressions_a{a}"] = float(b["impressions"][a])
        exp = eco.decile_shares(self.decile, self.user_ads)
        clk = eco.decile_shares(self.decile, self.user_clicks)
        for d in range(10):
            out[f"ad_exposure_decile_{d + 1}"] = float(exp[d])
            out[f"ad_clicks_decile_{d + 1}"] = float(clk[d])
        return out

    def _arm_summary(self, model: FeedModel, steps: int) -> dict[str, float]:
        """Per arm: revenue totals, revenue per user and step, run brand safety, and the
        differences arm − control of the last two.
        """
        out: dict[str, float] = {}
        for a, name in enumerate(self.arm_names):
            sfx = f"{ARM_SEP}{name}"
            size = float((model.users.arm == a).sum())
            for key in ARM_FLOWS:
                if key != "subscribers":
                    out[f"total_{key}{sfx}"] = float(self.arm_total[key][a])
            out[f"revenue_per_user_step{sfx}"] = eco.share(
                float(self.arm_total["platform_revenue"][a]), size * steps
            )
            if self.ads is not None:
                out[f"run_ad_unsafe_share{sfx}"] = eco.share(
                    self.arm_total["ad_impressions_unsafe"][a], self.arm_total["ad_impressions"][a]
                )
        ctrl = self.arm_names[0] if self.arm_names else ""
        for name in self.arm_names[1:]:
            for key in ("revenue_per_user_step", "run_ad_unsafe_share"):
                if f"{key}{ARM_SEP}{name}" in out:
                    out[f"{key}{ARM_SEP}{name}-{ctrl}"] = (
                        out[f"{key}{ARM_SEP}{name}"] - out[f"{key}{ARM_SEP}{ctrl}"]
                    )
        return out

    def agent_columns(self, model: FeedModel) -> dict[str, np.ndarray]:
        """Per-user ad impressions, clicks and unsafe impressions, susceptibility decile,
        subscription state, experienced value and willingness to pay.
        """
        return {
            "ad_impressions": self.user_ads.astype(np.int64),
            "ad_clicks": self.user_clicks.astype(np.int64),
            "ad_impressions_unsafe": self.user_unsafe.astype(np.int64),
            "susceptibility_decile": (self.decile + 1).astype(np.int8),
            "subscribed": self.subscribed.copy(),
            "experienced_value": self.ev.copy(),
            "willingness_to_pay": self.wtp.copy(),
        }
