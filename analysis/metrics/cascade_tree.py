"""Call-out cascade trees from event rows, and the per-run cascade summary.

Pure functions on the rows a ``transgression`` event writes into ``events.parquet``
(columns documented in :mod:`feedlab.analysis.cascades`): :func:`cascade_tree` rebuilds
the tree (a call-out's parent post id is matched to the row that wrote that post, whose
user is the parent user; the root is the transgression), and :func:`summarise` computes
the metrics runs report in ``summary.json``. The event's ``summary()`` hook calls
:func:`summarise` on its in-memory rows and :mod:`feedlab.analysis.cascades` on the
record, so live and offline numbers agree. Metric definitions are the pure functions of
:mod:`feedlab.analysis.metrics.cascades`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from feedlab.analysis.metrics.cascades import (
    cascade_duration,
    cascade_structure,
    conformist_share,
    decay_half_life,
    reputation_trough_and_recovery,
    time_to_peak,
)

NAN = float("nan")
ROOT_KIND = "transgression"
CALLOUT_KINDS = ("callout_proportionate", "callout_conformist")
TREE_KINDS = (ROOT_KIND, *CALLOUT_KINDS)


@dataclass(frozen=True)
class CascadeTree:
    """A call-out cascade: one node per tree row (root first, then by time and user).

    ``parent[i]`` is the node index of ``i``'s parent (``-1`` for the root), ready for
    :mod:`feedlab.analysis.metrics.cascades`. ``conformist`` is False for the root.
    """

    user: NDArray[np.int64]
    time: NDArray[np.int64]
    parent: NDArray[np.int64]
    conformist: NDArray[np.bool_]
    post: NDArray[np.int64]
    target: int

    @property
    def size(self) -> int:
        """Number of nodes, root included (0 for an empty tree)."""
        return int(self.user.shape[0])

    @property
    def t0(self) -> float:
        """Time of the transgression (``nan`` for an empty tree)."""
        return float(self.time[0]) if self.size else NAN

    @property
    def parent_user(self) -> NDArray[np.int64]:
        """User id of each node's parent (``-1`` for the root)."""
        return np.where(self.parent >= 0, self.user[np.maximum(self.parent, 0)], -1)


def _col(events: Mapping[str, ArrayLike], name: str, dtype: Any) -> np.ndarray:
    return np.asarray(events[name]).astype(dtype)


def cascade_tree(events: Mapping[str, ArrayLike], target: int | None = None) -> CascadeTree:
    """Rebuild the call-out tree from event rows (module docstring).

    Parameters
    ----------
    events : mapping of column name to array
        ``events.parquet`` columns (at least ``time, user, target, parent, kind`` and,
        when there are call-outs, ``post``). Row order is free.
    target : int, optional
        Keep the cascade of this target only (default: the only one; several targets
        raise ``ValueError``).

    Returns
    -------
    CascadeTree
        Empty (size 0) when there is no transgression row.

    Notes
    -----
    Raises ``ValueError`` when a call-out's parent post was written by no row of the
    cascade, or when the rows hold several transgressions of the chosen target.
    """
    raw_kind = np.asarray(events["kind"])
    kind = raw_kind.astype(str) if raw_kind.size else np.zeros(0, str)
    keep = np.isin(kind, TREE_KINDS)
    tgt = _col(events, "target", np.int64)
    if target is not None:
        keep &= tgt == target
    idx = np.flatnonzero(keep)
    empty = np.zeros(0, np.int64)
    if idx.size == 0 or not np.any(kind[idx] == ROOT_KIND):
        if idx.size:
            raise ValueError("call-out rows without a transgression row")
        return CascadeTree(
            empty, empty, empty, np.zeros(0, bool), empty, -1 if target is None else target
        )
    targets = np.unique(tgt[idx])
    if targets.size > 1:
        raise ValueError(f"rows of several targets {targets.tolist()}; pass target=")
    if "post" not in events:
        raise ValueError("events lack the 'post' column needed to link call-outs to parents")
    is_root = kind[idx] == ROOT_KIND
    if is_root.sum() > 1:
        raise ValueError("several transgressions of one target; split the rows first")
    time = _col(events, "time", np.int64)[idx]
    user = _col(events, "user", np.int64)[idx]
    parent_post = _col(events, "parent", np.int64)[idx]
    post = _col(events, "post", np.int64)[idx]
    # root first, then call-outs by (time, user)
    order = np.lexsort((user, time, ~is_root))
    time, user, parent_post, post = time[order], user[order], parent_post[order], post[order]
    conformist = kind[idx][order] == "callout_conformist"
    n = idx.size
    # post id -> node: sort the written posts
    has = post >= 0
    nodes_with_post = np.flatnonzero(has)
    by_post = nodes_with_post[np.argsort(post[has], kind="stable")]
    sorted_posts = post[by_post]
    if np.any(sorted_posts[1:] == sorted_posts[:-1]):
        raise ValueError("two rows claim the same post id")
    parent = np.full(n, -1, np.int64)
    child = np.arange(1, n)
    q = parent_post[child]
    if sorted_posts.size:
        pos_c = np.minimum(np.searchsorted(sorted_posts, q), sorted_posts.size - 1)
        found = sorted_posts[pos_c] == q
    else:
        pos_c, found = np.zeros(q.shape, np.int64), np.zeros(q.shape, bool)
    if not np.all(found):
        bad = q[~found][:5].tolist()
        raise ValueError(f"call-outs whose parent post is not in the cascade: {bad}")
    parent[child] = by_post[pos_c]
    return CascadeTree(user, time, parent, conformist, post, int(targets[0]))


def callout_counts(tree: CascadeTree, t_end: int | None = None) -> np.ndarray:
    """Call-outs per step from the transgression step ``t0`` to ``t_end - 1``.

    ``t_end`` defaults to one past the last call-out. Empty for an empty tree.
    """
    if tree.size == 0:
        return np.zeros(0)
    t0 = int(tree.time[0])
    rel = tree.time[1:] - t0
    length = int(rel.max()) + 1 if rel.size else 1
    if t_end is not None:
        length = max(int(t_end) - t0, 0)
        rel = rel[rel < length]
    return np.bincount(rel, minlength=length).astype(np.float64)[:length]


def cascade_metrics(tree: CascadeTree, t_end: int | None = None) -> dict[str, float]:
    """Structure, time course and conformism of one cascade.

    Returns ``cascade_size`` (nodes incl. the root; 0 without a transgression),
    ``cascade_depth``, ``cascade_max_breadth``, ``structural_virality`` (Goel et al.
    2016), ``cascade_duration`` (last call-out − transgression), ``time_to_peak`` and
    ``decay_half_life`` of the per-step call-out counts from ``t0`` (Crane & Sornette
    2008), ``conformist_share`` of the call-outs, and the call-out counts.
    """
    s = cascade_structure(tree.parent)
    counts = callout_counts(tree, t_end)
    calls = max(tree.size - 1, 0)
    n_conf = int(tree.conformist.sum())
    return {
        "cascade_size": float(s["size"]),
        "cascade_depth": s["depth"],
        "cascade_max_breadth": s["max_breadth"],
        "structural_virality": s["structural_virality"],
        "cascade_duration": cascade_duration(tree.time) if tree.size else NAN,
        "time_to_peak": time_to_peak(counts) if counts.size else NAN,
        "decay_half_life": decay_half_life(counts) if counts.size else NAN,
        "conformist_share": conformist_share(tree.conformist[1:]) if tree.size else NAN,
        "callouts_total": float(calls),
        "callouts_conformist": float(n_conf),
        "callouts_proportionate": float(calls - n_conf),
        "callouts_peak": float(counts.max()) if counts.size else NAN,
    }


def reputation_metrics(
    step: ArrayLike, reputation: ArrayLike, t0: float, recover_share: float = 0.9
) -> dict[str, float]:
    """Reputation of the target around the transgression.

    ``reputation[k]`` is the state at ``step[k]`` (the time series convention: the state
    after ``step`` steps, so ``step == t0`` is the state just before the transgression
    step). Baseline = the last sample at ``step ≤ t0``; then
    :func:`feedlab.analysis.metrics.cascades.reputation_trough_and_recovery`.

    Returns ``reputation_baseline``, ``reputation_trough`` (absolute),
    ``reputation_trough_rel`` (÷ baseline), ``time_to_trough`` and ``time_to_recover_90``
    (from ``t0``; 0 if it never fell below 90 %, nan if it had not recovered by the end),
    and ``reputation_final`` / ``reputation_final_rel``.
    """
    st = np.asarray(step, dtype=np.float64).ravel()
    rep = np.asarray(reputation, dtype=np.float64).ravel()
    keys = (
        "reputation_baseline",
        "reputation_trough",
        "reputation_trough_rel",
        "time_to_trough",
        "time_to_recover_90",
        "reputation_final",
        "reputation_final_rel",
    )
    ok = np.isfinite(st) & np.isfinite(rep)
    st, rep = st[ok], rep[ok]
    before = np.flatnonzero(st <= t0)
    if not math.isfinite(t0) or before.size == 0:
        return dict.fromkeys(keys, NAN)
    base = float(rep[before[np.argmax(st[before])]])
    trough, t_trough, recover = reputation_trough_and_recovery(st, rep, base, t0, recover_share)
    final = float(rep[np.argmax(st)])
    rel = (lambda v: v / base) if base > 0 else (lambda v: NAN)
    return {
        "reputation_baseline": base,
        "reputation_trough": trough,
        "reputation_trough_rel": rel(trough),
        "time_to_trough": t_trough - t0,
        "time_to_recover_90": recover,
        "reputation_final": final,
        "reputation_final_rel": rel(final),
    }


def summarise(
    events: Mapping[str, ArrayLike],
    t_end: int | None = None,
    reputation: tuple[ArrayLike, ArrayLike] | None = None,
    target: int | None = None,
) -> dict[str, float]:
    """Every cascade and reputation metric of one run (the run summary's keys).

    ``reputation`` is ``(step, value)`` of the target's reputation (mean trust of its
    followers); without it the reputation keys are ``nan``.
    """
    tree = cascade_tree(events, target)
    out = cascade_metrics(tree, t_end)
    if reputation is not None:
        out.update(reputation_metrics(reputation[0], reputation[1], tree.t0))
    else:
        out.update(reputation_metrics([], [], NAN))
    return out
