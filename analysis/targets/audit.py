"""Per-arm audit of what each arm's feed showed: the item-level quantities field targets are
stated in, computed in-process from each step's feed, because a run's files keep only
per-arm shares of high-outrage items and reactions, not the items shown.

One audit run = one :func:`feedlab.experiments.build` of the composed config, stepped
``steps`` times with a read-only :class:`FeedAudit` extension (its ``on_feed`` hook reads
the feed and the reactions and changes nothing, so the run's numbers are those of
``feedlab run`` with the same config). Per arm it sums, over the steps after ``burn_in``
and over every impression of the arm's viewers:

* impressions; political impressions; impressions whose source is low-reliability (the
  original author's mean quality ``users.quality`` below
  ``platform.labels.reliability_threshold``, the model's stand-in for a source rating,
  ``models/ranking/quality.py``);
* sums and sums of squares of the item's outrage, its out-group animosity ``α``, its
  out-group cooling ``c = α + ω o 1{same group}`` (the item's term in the exposure ``h`` of
  ``agents/rules/affect.py``: thermometer degrees lost per ``η``), and, over political
  items, its stance extremity ``|stance|``;
* reactions (likes + comments + shares) and likes + shares (favourites and re-posts); per step, the number of distinct viewers reached
  by at least one political item (Huszár et al.'s reach);
* histograms on :data:`BINS` equal bins of [0, 1] (:data:`SHARE_BINS`): per arm and bin of
  the item's outrage (every impression) and of its animosity (political impressions), the
  impressions, the shares and the sum of the binned value; and, over the original posts
  written in those steps (all arms' authors), the posts per bin of outrage and, for
  political posts, of animosity — the per-post distribution a quantile mapping to word
  counts needs (:mod:`feedlab.analysis.targets.measure_sharing`).

At the end it keeps, per arm, the mean within-user change of out-group warmth since the
end of the burn-in and since the start, of the affective gap since the start, and the
between-user SD of the baseline gap (affect on only). ``swap=True`` gives every arm the
first arm's policy during the burn-in (the platform runs as control until the treatment
starts, as in a field experiment that re-ranks an existing platform's feeds).

Results are cached as JSON under ``<cache>/audit/`` keyed by the run key of the composed
config, the burn-in, the swap flag and :data:`AUDIT_VERSION`. A run shorter than its
burn-in (a shrink override such as ``feedlab validate --set steps=8``, whose results are
marked reduced) spends its first half as burn-in and its second half treated.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.models.extension import Extension
from feedlab.models.posts import KIND_POST

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context
    from feedlab.models.model import FeedModel, StepContext

#: Bump when what an audit computes changes (invalidates the audit cache).
AUDIT_VERSION = 2

#: Per-arm sums kept by :class:`FeedAudit` (each an array over arms).
SUMS = (
    "impressions",
    "political",
    "unreliable",
    "reactions",
    "likes_shares",
    "outrage",
    "outrage_sq",
    "animosity",
    "animosity_sq",
    "cooling",
    "cooling_sq",
    "stance_abs",
    "stance_abs_sq",
)

#: Equal-width bins of [0, 1] of the share histograms.
BINS = 100
#: Item quantities of the share histograms: outrage over every impression, animosity over
#: political impressions (a non-political item has no out-group animosity).
SHARE_BINS = ("outrage", "animosity")
#: Rows of a share histogram (per arm): impressions, shares, sum of the binned value.
IMPRESSIONS, SHARES, VALUE_SUM = 0, 1, 2


def bin_index(x: np.ndarray) -> np.ndarray:
    """The bin of each value of [0, 1] among :data:`BINS` equal bins (1.0 in the last)."""
    return np.minimum((np.asarray(x, dtype=np.float64) * BINS).astype(np.int64), BINS - 1)


class FeedAudit(Extension):
    """Read-only per-arm sums of the items shown (module docstring)."""

    def __init__(self, n_arms: int, burn_in: int = 0):
        self.burn_in = int(burn_in)
        self.sums = {k: np.zeros(n_arms) for k in SUMS}
        #: per audited step, distinct viewers of each arm reached by a political item
        self.political_reach: list[list[float]] = []
        #: per quantity of :data:`SHARE_BINS`: (arms, 3, BINS) impressions, shares, value sum
        self.share_bins = {k: np.zeros((n_arms, 3, BINS)) for k in SHARE_BINS}
        #: per quantity: original posts written per bin (outrage: all; animosity: political)
        self.post_bins = {k: np.zeros(BINS) for k in SHARE_BINS}

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Add this step's impressions to the per-arm sums (steps ``t >= burn_in``)."""
        if t < self.burn_in:
            return
        f, u = ctx.feed, model.users
        items = f.items
        arm = np.asarray(f.arm, dtype=np.int64)
        a = len(self.sums["impressions"])
        author = items.origin_author
        outrage = np.asarray(items.outrage, dtype=np.float64)
        anim = np.asarray(model.posts.animosity[items.slot], dtype=np.float64)
        same = u.group[f.viewer] == u.group[author]
        omega = model.dynamics.affect.outrage_weight if model.dynamics.affect.enabled else 0.0
        cool = anim + omega * outrage * same
        pol = np.asarray(items.political, dtype=bool)
        sabs = np.abs(np.asarray(items.stance, dtype=np.float64)) * pol
        thr = model.platform.labels.reliability_threshold
        unreliable = np.asarray(u.quality, dtype=np.float64)[author] < thr
        r = ctx.reactions
        reac = r[:, :3].sum(axis=1).astype(np.float64)
        likes_shares = (r[:, 0].astype(np.float64) + r[:, 2]).astype(np.float64)

        def add(key: str, w: np.ndarray) -> None:
            self.sums[key] += np.bincount(arm, weights=w, minlength=a)[:a]

        add("impressions", np.ones(arm.shape[0]))
        add("political", pol.astype(np.float64))
        add("unreliable", unreliable.astype(np.float64))
        add("reactions", reac)
        add("likes_shares", likes_shares)
        for key, v in (("outrage", outrage), ("animosity", anim), ("cooling", cool)):
            add(key, v)
            add(key + "_sq", v * v)
        add("stance_abs", sabs)
        add("stance_abs_sq", sabs * sabs)
        reached = np.zeros(model.n, dtype=bool)
        reached[f.viewer[pol]] = True
        arm_of = np.asarray(u.arm, dtype=np.int64)
        self.political_reach.append(
            np.bincount(arm_of[reached], minlength=a)[:a].astype(float).tolist()
        )
        shares = r[:, 2].astype(np.float64)
        for key, v, keep in (("outrage", outrage, None), ("animosity", anim, pol)):
            b = bin_index(v)
            cell = arm * BINS + b
            w = np.ones(arm.shape[0])
            if keep is not None:
                w = w * keep
            h = self.share_bins[key]
            for row, weight in ((IMPRESSIONS, w), (SHARES, w * shares), (VALUE_SUM, w * v)):
                h[:, row, :] += np.bincount(cell, weights=weight, minlength=a * BINS)[
                    : a * BINS
                ].reshape(a, BINS)
        self._count_posts(model, t)

    def _count_posts(self, model: FeedModel, t: int) -> None:
        """Add the original posts written at step ``t`` to :attr:`post_bins`."""
        p = model.posts
        slots = p.recent(t, 1)
        slots = slots[p.kind[slots] == KIND_POST]
        self.post_bins["outrage"] += np.bincount(bin_index(p.outrage[slots]), minlength=BINS)
        pol = slots[p.political[slots]]
        self.post_bins["animosity"] += np.bincount(bin_index(p.animosity[pol]), minlength=BINS)


def _affect_result(model: FeedModel, pre: np.ndarray | None, n_arms: int) -> dict[str, Any]:
    """Per-arm within-user warmth and gap changes (affect on), else an empty dict."""
    af = model.users.affect
    if af is None:
        return {}
    arm = np.asarray(model.users.arm, dtype=np.int64)
    size = np.bincount(arm, minlength=n_arms).astype(float)

    def mean(v: np.ndarray) -> list[float]:
        return (np.bincount(arm, weights=v, minlength=n_arms) / np.maximum(size, 1)).tolist()

    gap = af.ingroup_warmth - af.outgroup_warmth
    gap0 = af.ingroup_warmth_baseline - af.outgroup_warmth_baseline
    since = af.outgroup_warmth_baseline if pre is None else pre
    return {
        "warmth_change_treatment": mean(af.outgroup_warmth - since),
        "warmth_change_run": mean(af.outgroup_warmth - af.outgroup_warmth_baseline),
        "gap_change_run": mean(gap - gap0),
        "gap_baseline_sd": float(np.std(gap0)),
        "anger": mean(af.anger),
    }


def audit_task(task: tuple[str, list[str], int, bool]) -> dict[str, Any]:
    """``(cache, overrides, burn_in, swap)`` → the audit's per-arm result (cached as JSON).
    A top-level function so worker processes can run it.
    """
    from feedlab.experiments import build, compose
    from feedlab.experiments.record import run_key, write_json

    cache, overrides, burn_in, swap = task
    cfg = compose([*overrides, "output.mesa_agents=false"])
    steps = int(cfg["steps"])
    if burn_in >= steps:  # a shrink override (--set steps=...) shorter than the burn-in
        burn_in = steps // 2
    key = f"{run_key(cfg)}-a{AUDIT_VERSION}-b{burn_in}-s{int(swap)}"
    path = Path(cache) / "audit" / f"{key}.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    n_arms = max(len(cfg.get("arms") or []), 1)
    audit = FeedAudit(n_arms, burn_in)
    model = build(cfg, extensions=[audit])
    policies = list(model.policies)
    if swap and burn_in > 0:
        model.policies = [policies[0]] * len(policies)
    pre = None
    for t in range(steps):
        if t == burn_in:
            model.policies = policies
            if model.users.affect is not None:
                pre = model.users.affect.outgroup_warmth.copy()
        model.step()
    arm = np.asarray(model.users.arm, dtype=np.int64)
    out: dict[str, Any] = {
        "key": key,
        "arms": list(model.arm_names),
        "arm_size": np.bincount(arm, minlength=n_arms).astype(float).tolist(),
        "steps": steps - burn_in,
        "sums": {k: v.tolist() for k, v in audit.sums.items()},
        "political_reach": audit.political_reach,
        "share_bins": {k: v.tolist() for k, v in audit.share_bins.items()},
        "post_bins": {k: v.tolist() for k, v in audit.post_bins.items()},
        **_affect_result(model, pre, n_arms),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, out)
    return out


def audit_many(
    ctx: Context, overrides: Sequence[Sequence[str]], burn_in: int = 0, swap: bool = False
) -> list[dict[str, Any]]:
    """:func:`audit_task` per list of overrides (``ctx.overrides`` appended, ``ctx.jobs``
    workers, results in ``ctx.cache``).
    """
    full = [[*ov, *ctx.overrides] for ov in overrides]
    for ov in full:
        ctx.log("  audit " + " ".join(ov))
    os.makedirs(ctx.cache, exist_ok=True)
    return ctx.map(audit_task, [(str(ctx.cache), ov, burn_in, swap) for ov in full])


def arm_mean(res: dict[str, Any], key: str, arm: int, per: str = "impressions") -> float:
    """``sums[key][arm] / sums[per][arm]`` (NaN when the denominator is 0)."""
    den = float(res["sums"][per][arm])
    return float(res["sums"][key][arm]) / den if den > 0 else float("nan")


def arm_sd(res: dict[str, Any], key: str, arm: int, per: str = "impressions") -> float:
    """Population SD of the per-item quantity ``key`` over the arm's ``per`` items."""
    m = arm_mean(res, key, arm, per)
    m2 = arm_mean(res, key + "_sq", arm, per)
    return float(np.sqrt(max(m2 - m * m, 0.0)))
