"""Field-target measurements that need an ideology on the groups: Bakshy et al.'s (2015)
ranking cut of cross-cutting exposure per ideology, and Huszár et al.'s (2022) right-vs-left
amplification, on the labelled ``network=polblogs`` (Adamic & Glance 2005: group 0 =
liberal blogs, 758; group 1 = conservative blogs, 732; data/README.md).

Mappings fixed before test seeds: Bakshy per ideology, Huszár on polblogs. Every mapping
below was committed before any test seed was run; only the exploration seeds
(:data:`feedlab.analysis.validation.seeds.EXPLORATION_SEEDS`) were looked at while writing
them.

The design is the minority design of :func:`feedlab.analysis.targets.designs.
minority_overrides` (5 % chronological inside 95 % engagement ranking, 90 steps of one day)
on ``network=polblogs``; polblogs fixes N = 1,490 (the network's node count replaces ``n``).
The quantities are counted per arm and per ideology from each step's feed by the read-only
:class:`IdeologyAudit` (its ``on_feed`` hook reads the feed and changes nothing), so no run
output changes; results are cached as JSON under ``<cache>/audit_ideology/``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.models.extension import Extension

from .designs import minority_overrides
from .registry import Measured, register_measurement

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context
    from feedlab.models.model import FeedModel, StepContext

#: The labelled network: Adamic & Glance's (2005) political blogs (``~network.n`` drops the
#: design's N = 3000: the file fixes N = 1,490).
POLBLOGS = ("network=polblogs", "~network.n")
#: polblogs' group labels (``value`` in the GML file).
LIBERAL, CONSERVATIVE = 0, 1
# arm indices of the minority design (control = chronological, first)
CHRONO, ENGAGEMENT = 0, 1

#: Bump when what :class:`IdeologyAudit` computes changes (invalidates its cache).
IDEOLOGY_AUDIT_VERSION = 1


class IdeologyAudit(Extension):
    """Read-only per-step counts by arm and ideology of the feed just shown.

    Per step and arm ``a``, per viewer group ``g``: impressions ``imp[a][g]`` and
    cross-cutting impressions ``cross[a][g]`` (the original author's group differs from the
    viewer's, as in :func:`feedlab.analysis.metrics.cross_cutting_share`); per author group
    ``h``: ``reach[a][h]``, the distinct viewers of arm ``a`` with at least one political
    item originally authored by group ``h`` in their feed (Huszár et al.'s reach).
    """

    def __init__(self, n_arms: int, n_groups: int = 2):
        self.n_arms, self.n_groups = int(n_arms), int(n_groups)
        self.imp: list[list[list[float]]] = []
        self.cross: list[list[list[float]]] = []
        self.reach: list[list[list[float]]] = []

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Append this step's per-arm, per-group counts."""
        f, u = ctx.feed, model.users
        a, g = self.n_arms, self.n_groups
        arm = np.asarray(f.arm, dtype=np.int64)
        group = np.asarray(u.group, dtype=np.int64)
        vg = group[f.viewer]
        ag = group[f.items.origin_author]
        cell = arm * g + vg
        imp = np.bincount(cell, minlength=a * g)[: a * g].astype(float)
        cross = np.bincount(cell, weights=(vg != ag).astype(float), minlength=a * g)[: a * g]
        self.imp.append(imp.reshape(a, g).tolist())
        self.cross.append(cross.reshape(a, g).tolist())
        pol = np.asarray(f.items.political, dtype=bool)
        arm_of = np.asarray(u.arm, dtype=np.int64)
        reach = np.zeros((a, g))
        for h in range(g):
            seen = np.zeros(model.n, dtype=bool)
            seen[f.viewer[pol & (ag == h)]] = True
            reach[:, h] = np.bincount(arm_of[seen], minlength=a)[:a]
        self.reach.append(reach.tolist())


def ideology_audit_task(task: tuple[str, list[str]]) -> dict[str, Any]:
    """``(cache, overrides)`` → the :class:`IdeologyAudit` counts of one run (cached as
    JSON). A top-level function so worker processes can run it.
    """
    from feedlab.experiments import build, compose
    from feedlab.experiments.record import run_key, write_json

    cache, overrides = task
    cfg = compose([*overrides, "output.mesa_agents=false"])
    key = f"{run_key(cfg)}-i{IDEOLOGY_AUDIT_VERSION}"
    path = Path(cache) / "audit_ideology" / f"{key}.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    n_arms = max(len(cfg.get("arms") or []), 1)
    audit = IdeologyAudit(n_arms)
    model = build(cfg, extensions=[audit])
    for _ in range(int(cfg["steps"])):
        model.step()
    arm = np.asarray(model.users.arm, dtype=np.int64)
    out: dict[str, Any] = {
        "key": key,
        "arms": list(model.arm_names),
        "arm_size": np.bincount(arm, minlength=n_arms).astype(float).tolist(),
        "group_size": np.bincount(np.asarray(model.users.group), minlength=2)
        .astype(float)
        .tolist(),
        "imp": audit.imp,
        "cross": audit.cross,
        "reach": audit.reach,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, out)
    return out


def _sets_network_n(override: str) -> bool:
    """Whether ``override`` sets ``network.n`` (a shrink override such as
    ``feedlab validate --set network.n=300``): polblogs fixes its N, so such an override is
    dropped for these runs (a file network has no ``n`` field) and the rest kept.
    """
    return override.lstrip("+~").split("=", 1)[0].strip() == "network.n"


def polblogs_audits(ctx: Context, seeds: Sequence[int]) -> list[dict[str, Any]]:
    """The ideology audits of the minority design on polblogs, one per seed (cached;
    ``ctx.overrides`` appended except ``network.n``, ``ctx.jobs`` workers).
    """
    shrink = [ov for ov in ctx.overrides if not _sets_network_n(ov)]
    full = [[*minority_overrides(s), *POLBLOGS, *shrink] for s in seeds]
    for ov in full:
        ctx.log("  ideology audit " + " ".join(ov))
    os.makedirs(ctx.cache, exist_ok=True)
    return ctx.map(ideology_audit_task, [(str(ctx.cache), ov) for ov in full])


def mean_step_share(num: np.ndarray, den: np.ndarray) -> float:
    """Mean over steps of ``num / den`` (steps with ``den == 0`` skipped; NaN if none), the
    run mean of a per-step share as the summary's ``run_mean_cross_cutting_share``.
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = den > 0
    return float(np.mean(num[ok] / den[ok])) if ok.any() else math.nan


def relative_change(ranked: float, chrono: float) -> float:
    """``100 · (ranked / chrono − 1)`` in %, NaN when ``chrono`` is not positive."""
    return 100.0 * (ranked / chrono - 1.0) if chrono > 0 else math.nan


def _bakshy_group(ctx: Context, seeds: Sequence[int], group: int) -> Measured:
    """Per seed, 100 × (engagement ÷ chronological − 1) of the cross-cutting share of the
    impressions of viewers in ``group``.
    """
    audits = polblogs_audits(ctx, seeds)
    eng, chrono = [], []
    for r in audits:
        imp, cross = np.asarray(r["imp"], float), np.asarray(r["cross"], float)
        eng.append(mean_step_share(cross[:, ENGAGEMENT, group], imp[:, ENGAGEMENT, group]))
        chrono.append(mean_step_share(cross[:, CHRONO, group], imp[:, CHRONO, group]))
    values = [relative_change(e, c) for e, c in zip(eng, chrono, strict=True)]
    name = "liberal" if group == LIBERAL else "conservative"
    return Measured(
        values=values,
        detail=(
            f"cross-cutting share of {name} viewers' impressions (polblogs): chronological "
            f"arm {np.nanmean(chrono):.4g}, engagement arm {np.nanmean(eng):.4g} (means over "
            "seeds)"
        ),
        data={"chronological": chrono, "engagement": eng},
    )


@register_measurement("bakshy2015_ranking_crosscutting_liberals")
def bakshy_liberals(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`minority_overrides` on ``network=polblogs`` (group 0 = liberal blogs). As in
    the pooled measurement (``bakshy2015_ranking_crosscutting_pooled``), the chronological
    arm's cross-cutting share stands for what followees posted (time order is blind to the
    author's group). For viewers in the liberal group, the cross-cutting share of an arm's
    impressions (original author conservative) per step, averaged over the 90 steps; per
    seed 100 × (engagement arm ÷ chronological arm − 1), in % relative change (the
    paper's −8 %).
    """
    return _bakshy_group(ctx, seeds, LIBERAL)


@register_measurement("bakshy2015_ranking_crosscutting_conservatives")
def bakshy_conservatives(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): as :func:`bakshy_liberals` for viewers in
    polblogs' conservative group (group 1; cross-cutting = original author liberal); per
    seed 100 × (engagement arm ÷ chronological arm − 1) of their cross-cutting share, in %
    relative change (the paper's −5 %).
    """
    return _bakshy_group(ctx, seeds, CONSERVATIVE)


def group_amplification(reach: np.ndarray, n_t: float, n_c: float) -> np.ndarray:
    """Per author group, the mean over steps of Huszár's group amplification (%) of its
    political items, engagement arm vs chronological holdout
    (:func:`feedlab.analysis.metrics.engagement.huszar_amplification`); ``reach`` has shape
    (steps, arms, groups).
    """
    from feedlab.analysis.metrics.engagement import huszar_amplification

    reach = np.asarray(reach, dtype=float)
    if reach.size == 0:
        return np.full(reach.shape[-1] if reach.ndim == 3 else 2, math.nan)
    amp = np.asarray(huszar_amplification(reach[:, ENGAGEMENT, :], reach[:, CHRONO, :], n_t, n_c))
    return np.asarray(np.mean(amp, axis=0), dtype=float)


@register_measurement("huszar2022_right_vs_left")
def huszar_right_vs_left(ctx: Context, seeds: Sequence[int]) -> Measured:
    """Mapping (fixed before the test seeds): the minority design of
    :func:`minority_overrides` on ``network=polblogs``; its small chronological arm is
    Huszár et al.'s reverse-chronological holdout inside a ranked platform. Per author
    group (polblogs: conservative = right, liberal = left), the item set is the political
    items originally authored by that group; per step ``R_T``, ``R_C`` are the distinct
    users of the engagement and chronological arms with at least one of them in their feed,
    and the group amplification is ``100 · ((R_T + 1) / (R_C · N_T/N_C + 1) − 1)`` %
    (:func:`feedlab.analysis.metrics.engagement.huszar_amplification`, as the informative
    row ``huszar2022_political_amplification``), averaged over the 90 steps. Per seed the
    value is right − left amplification, in percentage points.

    The target is a count of countries (6 of 7 with right > left); one network stands for
    one country, so only the direction is compared: a positive difference is the paper's
    majority direction (the target has no interval, so the verdict is on the sign).
    """
    audits = polblogs_audits(ctx, seeds)
    right, left = [], []
    for r in audits:
        amp = group_amplification(
            np.asarray(r["reach"], float), r["arm_size"][ENGAGEMENT], r["arm_size"][CHRONO]
        )
        left.append(float(amp[LIBERAL]))
        right.append(float(amp[CONSERVATIVE]))
    values = [a - b for a, b in zip(right, left, strict=True)]
    return Measured(
        values=values,
        detail=(
            f"group amplification of political items (polblogs, engagement vs chronological "
            f"holdout): conservative (right) {np.nanmean(right):.4g} %, liberal (left) "
            f"{np.nanmean(left):.4g} % (means over seeds); one network = one country"
        ),
        data={"right": right, "left": left},
    )
