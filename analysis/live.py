"""The recorder: live metrics computed from model state with the same pure functions
that the offline analyses use (``feedlab.analysis.metrics``), so both agree.

:class:`Recorder` plays the part of Mesa's DataCollector for :class:`FeedModel`: the model
calls :meth:`Recorder.observe` after each step's reactions (per-step statistics of the
feed shown) and :meth:`Recorder.after_step` at the end of the step, which records a row
on record steps. Only this module reads model internals; the metric functions take
arrays. The recorder sits above the model (docs/architecture.md §Layers): the model is
handed one and never imports it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from feedlab.analysis.metrics import (
    amplification_ratio,
    attention,
    bimodality_coefficient,
    echo_chamber_index,
    extreme_share,
    group_mean_distance,
    huszar_amplification,
    opinion_variance,
    outrage_split_counts,
)
from feedlab.analysis.metrics import cross_cutting_share as _cross_cutting_share
from feedlab.analysis.metrics.affect import (
    affective_gap,
    animosity_share,
    mean_anger,
    mean_change,
    mean_warmth,
)
from feedlab.models.kernels import (
    CHUNKS,
    njit,
    prange,
    reached_by_class,
    set_bit_where,
    threaded,
)
from feedlab.models.posts import KIND_RESHARE

if TYPE_CHECKING:
    from feedlab.agents.population import AffectState
    from feedlab.models.model import FeedModel, StepContext

ARM_SEP = "__"
"""Per-arm columns are ``<metric>__<arm>`` (docs/ranking.md, 'Arms');
:func:`feedlab.analysis.arms.long_format` turns them into rows with an ``arm`` column."""

QUALITY_SPLIT = 0.5
"""Items with quality >= this are 'quality_high' in the reach classes (the middle of [0, 1])."""


class Recorder:
    """Records a row of live metrics every ``every`` steps and at step ``last``.

    ``rows`` holds the recorded rows, each ``{"step": t, **metrics}``; :meth:`collect`
    records one now (a run records step 0 before the first step).
    """

    def __init__(self, every: int = 1, last: int | None = None):
        if every < 1:
            raise ValueError(f"record_every must be >= 1, got {every}")
        self.every = every
        self.last = last
        self.rows: list[dict[str, float]] = []

    def observe(self, model: FeedModel, ctx: StepContext) -> None:
        """Per-step statistics of the feed just shown: the cross-cutting share of
        impressions, the reach of each content class and the high-outrage candidate
        pairs (per arm with arms).
        """
        if len(getattr(model, "policies", ())) <= 1 and model.n_groups + 4 <= 64:
            model.step_stats.update(one_arm_feed_stats(model, ctx))  # the same, in one pass
        else:
            items = ctx.feed.items
            group = model.users.group
            model.step_stats["cross_cutting_share"] = cross_cutting_share(
                group[ctx.feed.viewer], group[items.origin_author]
            )
            model.step_stats.update(reach_and_arm_stats(model, ctx))
        if model.users.affect is not None:  # dynamics.affect.enabled
            model.step_stats.update(animosity_stats(model, ctx))
        model.step_stats.update(candidate_outrage_stats(model, ctx))
        if getattr(model, "attention_books", None) is not None:  # sessions or churn on
            model.step_stats.update(attention_stats(model, ctx))

    def row(self, model: FeedModel) -> dict[str, float]:
        """The live metrics of the current state: state metrics, the step's statistics
        and the extensions' metrics.
        """
        row = state_metrics(model)
        row.update(model.step_stats)
        for ext in model.hooks["metrics"]:
            row.update(ext.metrics(model))
        return row

    def collect(self, model: FeedModel) -> None:
        """Record a row for the model's current step."""
        self.rows.append({"step": float(model.t), **self.row(model)})

    def after_step(self, model: FeedModel) -> None:
        """Record a row if ``model.t`` is a record step."""
        if model.t % self.every == 0 or model.t == self.last:
            self.collect(model)


def cross_cutting_share(viewer_group: np.ndarray, author_group: np.ndarray) -> float:
    """Share of impressions whose author's group differs from the viewer's."""
    return _cross_cutting_share(viewer_group, author_group)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def state_metrics(model: FeedModel) -> dict[str, float]:
    """Polarisation, trust, engagement and value of the current state."""
    u, g = model.users, model.graph
    x = u.opinion
    s = model.step_stats
    value = model.last_value
    row = {
        "opinion_mean": float(x.mean()) if x.size else float("nan"),
        "opinion_variance": opinion_variance(x),
        "bimodality": bimodality_coefficient(x),
        "group_mean_distance": group_mean_distance(x, u.group),
        "extreme_share": extreme_share(x),
        "echo_chamber_index": echo_chamber_index(x, g.indptr, g.indices),
        "mean_edge_trust": float(g.trust.mean()) if g.n_edges else float("nan"),
        "mean_platform_trust": float(u.platform_trust.mean()),
        "mean_arousal": float(u.arousal.mean()),
        "mean_value": float(np.nanmean(value)) if np.isfinite(value).any() else float("nan"),
        "engagement_per_user": _ratio(
            s.get("likes", 0.0) + s.get("comments", 0.0) + s.get("shares", 0.0), model.n
        ),
        "n_edges": float(g.n_edges),
    }
    if "impressions" in s:
        row["outrage_share_impressions"] = _ratio(s["impressions_high_outrage"], s["impressions"])
        row["outrage_share_posts"] = _ratio(s["posts_high_outrage"], s["posts"])
        row["outrage_amplification"] = _ratio(
            row["outrage_share_impressions"], row["outrage_share_posts"]
        )
    if "candidates_high_outrage" in s:
        row.update(outrage_split_metrics(s))
    if "impressions_political_outrage" in s:
        row["political_outrage_share_impressions"] = _ratio(
            s["impressions_political_outrage"], s["impressions"]
        )
    if u.affect is not None:  # dynamics.affect.enabled
        row.update(affect_state_metrics(u.affect))
    if len(getattr(model, "policies", ())) > 1:
        row.update(arm_state_metrics(model, row))
    return row


# ----------------------------------------------------------------- affect
def affect_state_metrics(a: AffectState, members: np.ndarray | None = None) -> dict[str, float]:
    """Mean in- and out-group warmth, the mean change of out-group warmth from its
    baseline, the affective gap (in − out) and mean anger of the users where ``members`` (all users by default), from :mod:`feedlab.analysis.metrics.affect`.
    """
    sel = slice(None) if members is None else members
    return {
        "mean_outgroup_warmth": mean_warmth(a.outgroup_warmth[sel]),
        "outgroup_warmth_change": mean_change(
            a.outgroup_warmth[sel], a.outgroup_warmth_baseline[sel]
        ),
        "mean_ingroup_warmth": mean_warmth(a.ingroup_warmth[sel]),
        "affective_gap": affective_gap(a.ingroup_warmth[sel], a.outgroup_warmth[sel]),
        "mean_anger": mean_anger(a.anger[sel]),
    }


def animosity_stats(model: FeedModel, ctx: StepContext) -> dict[str, float]:
    """Share of the step's impressions with animosity >= ``dynamics.affect.high_animosity``
    (``animosity_share_impressions``), and with arms the same per arm.
    """
    thr = model.dynamics.affect.high_animosity
    viewer = ctx.feed.viewer
    anim = model.posts.animosity[ctx.feed.slot]
    out = {"animosity_share_impressions": animosity_share(anim, thr)}
    if len(getattr(model, "policies", ())) > 1:
        item_arm = model.users.arm[viewer]
        for a, name in enumerate(model.arm_names):
            out[f"animosity_share_impressions{ARM_SEP}{name}"] = animosity_share(
                anim[item_arm == a], thr
            )
    return out


# ----------------------------------------------------------------- attention
def attention_stats(model: FeedModel, ctx: StepContext) -> dict[str, float]:
    """Time spent, its distribution, time well spent and regret of this step's sessions
    (``dynamics.session`` or ``dynamics.churn`` on), daily actives, leavers, returners and
    survival (``dynamics.churn`` on), and with arms the same per arm
    (:mod:`feedlab.analysis.metrics.attention`; which users count: docs/attention.md).
    """
    dt = model.dynamics.session.item_time
    time, active, iv = model.time_spent, model.active, ctx.item_value
    churn = getattr(model, "churn_state", None)
    arm_of = model.users.arm
    item_arm = arm_of[ctx.feed.viewer]
    # everyone: the arrays themselves (no copies); per arm: the arm's users and items
    groups: list[tuple[str, np.ndarray | slice, np.ndarray]] = [("", slice(None), iv)]
    if len(getattr(model, "policies", ())) > 1:
        item_arm = arm_of[ctx.feed.viewer]
        groups += [
            (f"{ARM_SEP}{name}", arm_of == a, iv[item_arm == a])
            for a, name in enumerate(model.arm_names)
        ]
    out: dict[str, float] = {}
    for sfx, members, v in groups:
        t_m, active_m = time[members], active[members]
        n = t_m.shape[0]
        m = {
            "time_spent_mean": attention.time_spent_mean(t_m),
            **attention.session_quantiles(t_m, active_m),
            "time_well_spent": attention.time_well_spent(v, dt),
            "regret_time_mean": _ratio(attention.regret_time(v, dt), n),
            "regret_share": attention.regret_share(v),
        }
        if churn is not None:
            m["dau"] = attention.active_share(active_m)
            m["survival"] = attention.survival_share(
                churn.first_left[members], churn.eligible[members]
            )
        out.update({f"{k}{sfx}": val for k, val in m.items()})
    if churn is not None:
        out.update(users_left=float(churn.left_now), users_returned=float(churn.returned_now))
    return out


# ------------------------------------------------ outrage: selection and pool drift
def candidate_outrage_stats(model: FeedModel, ctx: StepContext) -> dict[str, float]:
    """High-outrage pairs of the step's candidate pool (``ctx.cand``, what the rankers
    chose from): ``candidates_high_outrage`` and, with arms, every arm's candidate pairs
    and high-outrage candidate pairs (``candidates__<arm>``,
    ``candidates_high_outrage__<arm>``; the arm of a pair is its viewer's).
    """
    cand = ctx.cand
    arms = len(getattr(model, "policies", ()))
    thr = model.dynamics.high_outrage
    if arms < 2:  # one pass over the pairs' slots, no per-pair temporary
        return {
            "candidates_high_outrage": float(_count_at_least(model.posts.outrage, cand.slot, thr))
        }
    # per post slot, then per pair: one byte per pair, nothing cached on the candidates
    hi = (model.posts.outrage >= thr)[cand.slot]
    out = {"candidates_high_outrage": float(np.count_nonzero(hi))}
    seg_arm = model.users.arm[cand.viewers].astype(np.int64)  # arm of each viewer segment
    seg_of_hi = np.searchsorted(cand.ptr, np.flatnonzero(hi), side="right") - 1
    n = np.bincount(seg_arm, weights=np.diff(cand.ptr), minlength=arms)
    n_hi = np.bincount(seg_arm[seg_of_hi], minlength=arms)
    for a, name in enumerate(model.arm_names):
        out[f"candidates{ARM_SEP}{name}"] = float(n[a])
        out[f"candidates_high_outrage{ARM_SEP}{name}"] = float(n_hi[a])
    return out


def _count_at_least(values: np.ndarray, index: np.ndarray, threshold: float) -> int:
    """How many ``values[index[i]] >= threshold`` (``np.count_nonzero`` of the gathered
    mask, without building it), in :data:`CHUNKS` chunks of ``index`` on
    ``platform.threads`` threads (:func:`_count_at_least_chunks`; whole-number counts,
    the same at any thread count).
    """
    m = index.shape[0]
    out = np.zeros(max(1, min(m, CHUNKS)), dtype=np.int64)
    threaded(_count_at_least_chunks)(values, index, threshold, out)
    return int(out.sum())


@njit(cache=True)
def _count_at_least_chunks(values, index, threshold, out):  # pragma: no cover - jitted
    """out[c] = how many ``values[index[i]] >= threshold`` for the ``i`` of chunk ``c`` of
    ``len(out)`` equal chunks of ``index`` (each chunk writes only its own count).
    """
    m = index.shape[0]
    nch = out.shape[0]
    for c in prange(nch):
        k = 0
        for i in range(np.uint64(c * m // nch), np.uint64((c + 1) * m // nch)):
            if values[index[i]] >= threshold:  # the exception: a branch predicts well
                k += 1
        out[c] = k


def outrage_split_metrics(s: dict[str, float], sfx: str = "") -> dict[str, float]:
    """``outrage_share_candidates``, ``outrage_selection`` (impression share ÷ candidate
    share: the ranker's own selection) and ``outrage_pool_drift`` (candidate share ÷ share
    of the step's original posts) from the step's flows ``s``, for the arm with column
    suffix ``sfx`` ("" = everyone); the posts are everyone's, as the arms share one supply
    (:func:`feedlab.analysis.metrics.outrage_split_counts`; ``outrage_amplification`` =
    selection × pool drift).
    """
    split = outrage_split_counts(
        s[f"impressions_high_outrage{sfx}"],
        s[f"impressions{sfx}"],
        s[f"candidates_high_outrage{sfx}"],
        s[f"candidates{sfx}"],
        s["posts_high_outrage"],
        s["posts"],
    )
    return {
        "outrage_share_candidates": split.share_candidates,
        "outrage_selection": split.selection,
        "outrage_pool_drift": split.pool_drift,
    }


def huszar_metrics(
    s: dict[str, float], classes: list[str], names: list[str], a: int, sizes: np.ndarray
) -> dict[str, float]:
    """``huszar_amplification_<class>`` of arm ``a`` against the control (arm 0), in
    percent, as Huszár et al. (2022) report it: distinct users reached this step in each
    arm (``reach_<class>__<arm>`` × arm size), pseudo-count 1, normalised by the arms'
    sizes (:func:`feedlab.analysis.metrics.huszar_amplification`).
    """
    n_t, n_c = float(sizes[a]), float(sizes[0])
    out = {}
    for cname in classes:
        share_t = s.get(f"reach_{cname}{ARM_SEP}{names[a]}", float("nan"))
        share_c = s.get(f"reach_{cname}{ARM_SEP}{names[0]}", float("nan"))
        users_t, users_c = np.rint(share_t * n_t), np.rint(share_c * n_c)  # exact counts
        out[f"huszar_amplification_{cname}"] = float(
            huszar_amplification(users_t, users_c, n_t, n_c)
        )
    return out


# ----------------------------------------------------------------- reach and arms
def content_classes(model: FeedModel, ctx: StepContext) -> dict[str, np.ndarray]:
    """Masks over the step's feed items for the reach classes of Huszár et al. (2022):
    ``group<g>`` (items whose original author is in group g), ``outrage_high`` /
    ``outrage_low`` (outrage >= / < ``dynamics.high_outrage``) and ``quality_high`` /
    ``quality_low`` (quality >= / < :data:`QUALITY_SPLIT`).
    """
    items = ctx.feed.items
    author_group = model.users.group[items.origin_author]
    hi = items.outrage >= model.dynamics.high_outrage
    good = items.quality >= QUALITY_SPLIT
    out = {f"group{g}": author_group == g for g in range(model.n_groups)}
    out.update(outrage_high=hi, outrage_low=~hi, quality_high=good, quality_low=~good)
    return out


def reach_and_arm_stats(model: FeedModel, ctx: StepContext) -> dict[str, float]:
    """Per-step reach of each content class and, with several arms, every flow per arm.

    ``reach_<class>`` is the share of users with at least one impression of the class
    this step (Huszár et al. 2022's reach, normalised per user);
    ``impressions_political_outrage`` counts impressions of political high-outrage items
    (the target of the negative-feedback ranking, stylized fact 3). With arms, the same per
    arm (``reach_<class>__<arm>``, normalised by the arm's size) and the arm's counts of
    impressions, reactions and posts (``<flow>__<arm>``) and its cross-cutting share.
    """
    n = model.n
    viewer = ctx.feed.viewer
    classes = content_classes(model, ctx)
    arms = len(getattr(model, "policies", ()))
    names = list(getattr(model, "arm_names", []))
    arm_of = model.users.arm.astype(np.int64)
    size = np.bincount(arm_of, minlength=arms).astype(np.float64) if arms > 1 else None
    pol_hi = ctx.feed.items.political & classes["outrage_high"]
    out: dict[str, float] = {"impressions_political_outrage": float(pol_hi.sum())}
    for cname, total, per_arm in _reach(
        viewer, classes, n, arm_of, arms if size is not None else 1
    ):
        out[f"reach_{cname}"] = float(total) / n if n else float("nan")
        if size is not None:
            for a, name in enumerate(names):
                out[f"reach_{cname}{ARM_SEP}{name}"] = _ratio(float(per_arm[a]), size[a])
    if size is None:
        return out
    r, items = ctx.reactions, ctx.feed.items
    item_arm = arm_of[viewer]
    hi = classes["outrage_high"]
    p = model.posts
    new = np.flatnonzero((p.time == ctx.t) & (p.id >= 0) & (p.kind != KIND_RESHARE))
    post_arm = arm_of[p.author[new]]
    flows = {
        "impressions": np.bincount(item_arm, minlength=arms),
        "impressions_high_outrage": np.bincount(item_arm, weights=hi, minlength=arms),
        "impressions_political_outrage": np.bincount(item_arm, weights=pol_hi, minlength=arms),
        "likes": np.bincount(item_arm, weights=r[:, 0], minlength=arms),
        "comments": np.bincount(item_arm, weights=r[:, 1], minlength=arms),
        "shares": np.bincount(item_arm, weights=r[:, 2], minlength=arms),
        "negfb": np.bincount(item_arm, weights=r[:, 3], minlength=arms),
        "posts": np.bincount(post_arm, minlength=arms),
        "posts_high_outrage": np.bincount(
            post_arm, weights=p.outrage[new] >= model.dynamics.high_outrage, minlength=arms
        ),
    }
    vg = model.users.group[viewer]
    ag = model.users.group[items.origin_author]
    for a, name in enumerate(names):
        for flow, counts in flows.items():
            out[f"{flow}{ARM_SEP}{name}"] = float(counts[a])
        sel = item_arm == a
        out[f"cross_cutting_share{ARM_SEP}{name}"] = cross_cutting_share(vg[sel], ag[sel])
    return out


def one_arm_feed_stats(model: FeedModel, ctx: StepContext) -> dict[str, float]:
    """The cross-cutting share, ``impressions_political_outrage`` and ``reach_<class>`` of
    :func:`cross_cutting_share` and :func:`reach_and_arm_stats` for a model with one arm,
    in their order and with their values, from one pass over the feed by viewer
    (:func:`_feed_class_counts`: each viewer's classes of :func:`content_classes` as
    bits, no per-item temporary; whole-number counts, so :data:`CHUNKS` chunks of viewers
    go on ``platform.threads`` threads with the same result at any count). Needs
    ``model.n_groups + 4 <= 64`` classes; a feed not grouped by distinct viewers in
    increasing order (the model's is) takes the general path.
    """
    f, items, n = ctx.feed, ctx.feed.items, model.n
    m = f.viewer.shape[0]
    names = [f"group{g}" for g in range(model.n_groups)]
    names += ["outrage_high", "outrage_low", "quality_high", "quality_low"]
    viewers = items.viewers
    counts = np.zeros((max(1, min(viewers.shape[0], CHUNKS)), len(names) + 3), dtype=np.int64)
    threaded(_feed_class_counts)(
        viewers,
        items.ptr,
        items.origin_author,
        model.users.group,
        items.outrage,
        items.quality,
        items.slot,
        model.posts.political,
        model.dynamics.high_outrage,
        QUALITY_SPLIT,
        model.n_groups,
        counts,
    )
    total = counts.sum(axis=0)
    if total[-1] or int(items.ptr[-1]) != m:  # not grouped by distinct viewers
        group = model.users.group
        return {
            "cross_cutting_share": cross_cutting_share(group[f.viewer], group[items.origin_author]),
            **reach_and_arm_stats(model, ctx),
        }
    cross, pol_hi = int(total[-3]), int(total[-2])
    out = {
        "cross_cutting_share": float(cross / m) if m else float("nan"),
        "impressions_political_outrage": float(pol_hi),
    }
    for c, name in enumerate(names):
        out[f"reach_{name}"] = float(int(total[c])) / n if n else float("nan")
    return out


@njit(cache=True)
def _feed_class_counts(
    viewers,
    ptr,
    origin_author,
    group,
    outrage,
    quality,
    slot,
    political,
    high_outrage,
    quality_split,
    n_groups,
    counts,
):  # pragma: no cover - jitted
    """Per chunk ``c`` of ``len(counts)`` equal chunks of the feed's viewer segments
    (viewer ``viewers[s]`` has items ``ptr[s]:ptr[s + 1]``): ``counts[c, k]`` = viewers
    with at least one item of class ``k < G + 4``, ``counts[c, G + 4]`` the cross-cutting
    items (viewer's group ≠ original author's group), ``counts[c, G + 5]`` the political
    (``political[slot]``) high-outrage items and ``counts[c, G + 6]`` 1 when a viewer is
    not above the one before it (then the reach would not count distinct users).

    With ``G = n_groups`` the classes are those of :func:`content_classes` in their
    order: ``k = g < G`` original author in group ``g``, ``G`` outrage ≥
    ``high_outrage``, ``G + 1`` below it, ``G + 2`` quality ≥ ``quality_split``, ``G + 3``
    below it; a viewer's are the OR of its items' as bits (``G + 4 ≤ 64``). The item loop
    does not branch on the items' values (counts add comparisons, bits OR shifts): such
    branches go either way and were mispredicted about once an item. Each chunk writes only its own row: the rows'
    sums are the whole-number counts of the NumPy masks (:func:`_reach`'s and
    :func:`cross_cutting_share`'s), at any thread count.
    """
    n = viewers.shape[0]
    nch = counts.shape[0]
    nc = n_groups + 4
    one = np.uint64(1)
    g0 = np.uint64(n_groups)
    g2 = g0 + np.uint64(2)
    for c in prange(nch):
        cross = 0
        pol_hi = 0
        for s in range(np.uint64(c * n // nch), np.uint64((c + 1) * n // nch)):
            v = viewers[s]
            if s > np.uint64(0) and viewers[s - one] >= v:
                counts[c, nc + 2] = 1
            vg = group[v]
            b = np.uint64(0)
            for m in range(np.uint64(ptr[s]), np.uint64(ptr[s + one])):
                ag = group[origin_author[m]]
                cross += vg != ag
                h = outrage[m] >= high_outrage
                b |= one << (g0 + np.uint64(not h))
                b |= one << (g2 + np.uint64(quality[m] < quality_split))
                if ag >= 0 and ag < n_groups:
                    b |= one << np.uint64(ag)
                pol_hi += h & political[slot[m]]
            if b:
                for k in range(nc):
                    counts[c, k] += (b >> np.uint64(k)) & one
        counts[c, nc] = cross
        counts[c, nc + 1] = pol_hi


def _reach(
    viewer: np.ndarray, classes: dict[str, np.ndarray], n: int, arm_of: np.ndarray, arms: int
) -> list[tuple[str, int, np.ndarray]]:
    """(class, users reached, users reached per arm) for every class, in one Numba pass
    (``feedlab.models.kernels.reached_by_class``; classes packed as bits, 64 at a time).
    """
    names = list(classes)
    res = []
    for start in range(0, len(names), 64):
        chunk = names[start : start + 64]
        bits = np.zeros(viewer.shape[0], dtype=np.uint64)
        for c, name in enumerate(chunk):
            set_bit_where(np.asarray(classes[name], dtype=np.bool_), c, bits)
        counts = np.zeros((max(arms, 1), len(chunk)), dtype=np.int64)
        reached_by_class(viewer, bits, n, arm_of, arms, counts)
        res += [(name, int(counts[:, c].sum()), counts[:, c]) for c, name in enumerate(chunk)]
    return res


def _arm_csr(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> tuple:
    """The follow graph with only the rows (followers) where ``rows`` is true."""
    deg = np.where(rows, np.diff(indptr), 0)
    ptr = np.zeros(indptr.shape[0], dtype=np.int64)
    np.cumsum(deg, out=ptr[1:])
    keep = np.repeat(rows, np.diff(indptr))
    return ptr, indices[keep]


def arm_state_metrics(model: FeedModel, row: dict[str, float]) -> dict[str, float]:
    """Every live metric per arm (``<metric>__<arm>``), and the amplification of each arm
    relative to the first arm, the control: ``amplification_<class>__<arm>`` (the ratio of
    per-user reach, :func:`feedlab.analysis.metrics.amplification_ratio`; 1 = equal) and
    ``huszar_amplification_<class>__<arm>`` (the same comparison as Huszár et al. 2022
    report it: pseudo-count 1, in percent, 0 = equal; :func:`huszar_metrics`).
    """
    u, g, s = model.users, model.graph, model.step_stats
    names = list(model.arm_names)
    sizes = np.bincount(u.arm.astype(np.int64), minlength=len(names))
    out: dict[str, float] = {}
    post_share = row.get("outrage_share_posts", float("nan"))
    classes = sorted(k[len("reach_") :] for k in s if k.startswith("reach_") and ARM_SEP not in k)
    for a, name in enumerate(names):
        members = u.arm == a
        x = u.opinion[members]
        sfx = f"{ARM_SEP}{name}"
        value = model.last_value[members]
        src_in = members[g.src] if g.n_edges else np.zeros(0, bool)
        ptr, ind = _arm_csr(g.indptr, g.indices, members)
        m = {
            "arm_size": float(members.sum()),
            "opinion_mean": float(x.mean()) if x.size else float("nan"),
            "opinion_variance": opinion_variance(x),
            "bimodality": bimodality_coefficient(x),
            "group_mean_distance": group_mean_distance(x, u.group[members]),
            "extreme_share": extreme_share(x),
            "echo_chamber_index": echo_chamber_index(u.opinion, ptr, ind),
            "mean_edge_trust": float(g.trust[src_in].mean()) if src_in.any() else float("nan"),
            "mean_platform_trust": float(u.platform_trust[members].mean())
            if x.size
            else float("nan"),
            "mean_arousal": float(u.arousal[members].mean()) if x.size else float("nan"),
            "mean_value": float(np.nanmean(value)) if np.isfinite(value).any() else float("nan"),
            "n_edges": float(src_in.sum()),
        }
        if u.affect is not None:  # dynamics.affect.enabled
            m.update(affect_state_metrics(u.affect, members))
        if f"impressions{sfx}" in s:
            eng = s[f"likes{sfx}"] + s[f"comments{sfx}"] + s[f"shares{sfx}"]
            m["engagement_per_user"] = _ratio(eng, m["arm_size"])
            m["outrage_share_impressions"] = _ratio(
                s[f"impressions_high_outrage{sfx}"], s[f"impressions{sfx}"]
            )
            m["political_outrage_share_impressions"] = _ratio(
                s[f"impressions_political_outrage{sfx}"], s[f"impressions{sfx}"]
            )
            # the supply of posts is shared by all arms: the denominator is every post
            m["outrage_amplification"] = _ratio(m["outrage_share_impressions"], post_share)
            if f"candidates_high_outrage{sfx}" in s:
                m.update(outrage_split_metrics(s, sfx))
            if a > 0:
                for cname in classes:
                    ctrl = s.get(f"reach_{cname}{ARM_SEP}{names[0]}", float("nan"))
                    m[f"amplification_{cname}"] = float(
                        amplification_ratio(s.get(f"reach_{cname}{sfx}", float("nan")), ctrl)
                    )
                m.update(huszar_metrics(s, classes, names, a, sizes))
        out.update({f"{k}{sfx}": v for k, v in m.items()})
    return out


# ----------------------------------------------------------------- Mesa's DataCollector
def _live_value(collector: LiveDataCollector, name: str, model: object) -> float:
    return collector.row.get(name, float("nan"))


class LiveDataCollector(mesa.DataCollector):
    """Mesa's :class:`~mesa.DataCollector` whose model reporters are the live metrics.

    ``FeedModel(**flat_params)`` attaches one (``model.datacollector``) and the model calls
    :meth:`collect` at the end of each step (docs/mesa.md), so
    ``model.datacollector.get_model_vars_dataframe()`` and ``mesa.batch_run`` work as for
    any Mesa model. The row is the recorder's (:meth:`Recorder.row`), computed once per
    collection: on a record step the recorder's own row is reused. The set of metrics
    grows after the first step (the feed's per-step statistics); a metric's earlier
    entries are then NaN (a new reporter is added with Mesa 3's
    ``DataCollector._new_model_reporter``; feedlab pins ``mesa<4``). ``model_reporters``
    and ``agent_reporters`` add Mesa reporters of the usual forms.
    """

    def __init__(
        self,
        model_reporters: dict[str, Any] | None = None,
        agent_reporters: dict[str, Any] | None = None,
    ):
        super().__init__(model_reporters=model_reporters, agent_reporters=agent_reporters)
        #: the live metrics of the last collection
        self.row: dict[str, float] = {}

    def collect(self, model: Any) -> None:
        """Collect the live metrics (and any other reporters) of the model's current step."""
        rows = model.recorder.rows if model.recorder is not None else []
        if rows and rows[-1]["step"] == model.t:
            row = {k: v for k, v in rows[-1].items() if k != "step"}
        else:
            row = model.metrics()
        n_before = len(self._collection_steps)
        for name in row:
            if name not in self.model_reporters:
                self._new_model_reporter(name, partial(_live_value, self, name))
                self.model_vars[name] = [float("nan")] * n_before
        self.row = row
        super().collect(model)
