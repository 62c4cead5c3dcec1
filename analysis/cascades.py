"""Call-out cascades from event records: trees, summary metrics, size distributions.

A ``transgression`` event (:mod:`feedlab.models.events.transgression`) writes one row per
transgression and one per call-out into ``events.parquet``:

=========  =====================================================================
column     meaning
=========  =====================================================================
time       step of the transgression post / of the call-out decision
user       the transgressor (target) / the caller
target     the target account
parent     post id through which the caller was exposed (the transgression post, a
           call-out post, or the original of a reshare of either); ``-1`` for the root
kind       ``transgression``, ``callout_proportionate``, ``callout_conformist``
           (also ``apology``, not part of the tree)
post       id of the post the row's user wrote: the transgression post, or the
           call-out post (``-1`` if the run ended before it was written)
offence    perceived offence ``O_i`` at the decision (``nan`` for the root)
peer_share share of followed accounts already calling out at the decision
=========  =====================================================================

:func:`cascade_tree` rebuilds the tree: a call-out's parent post id is matched to the
row that wrote that post, whose user is the parent user. The root is the transgression.
:func:`summarise` computes the metrics that runs report in ``summary.json`` (via the
event's ``summary()`` hook, which calls this same function on its in-memory rows, so
live and offline numbers agree): ``cascade_size`` (nodes, the root included),
``cascade_depth``, ``cascade_max_breadth``, ``structural_virality``,
``cascade_duration``, ``time_to_peak``, ``decay_half_life``, ``reputation_trough``,
``time_to_recover_90`` and ``conformist_share``, with a few companions. The metric
definitions are the pure functions of :mod:`feedlab.analysis.metrics.cascades`.

Across runs, :func:`cascade_sizes` and :func:`size_ccdf` give size distributions;
``python -m feedlab.analysis.cascades table|figures --by KEY SWEEP_DIR`` prints the tables and
draws the figures of ``docs/cascades.md``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from feedlab.analysis.metrics.cascades import (
    cascade_duration,
    cascade_structure,
    ccdf,
    conformist_share,
    decay_half_life,
    reputation_trough_and_recovery,
    time_to_peak,
)

__all__ = [
    "CALLOUT_KINDS",
    "ROOT_KIND",
    "CascadeTree",
    "callout_counts",
    "cascade_metrics",
    "cascade_sizes",
    "cascade_tree",
    "figures",
    "group_runs",
    "read_run",
    "reputation_metrics",
    "run_summary",
    "size_ccdf",
    "summarise",
    "table",
]

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


# ----------------------------------------------------------------- run directories
def read_run(run_dir: str | Path) -> dict[str, Any]:
    """``events`` (columns), ``timeseries`` (columns) and ``summary`` of a run directory."""
    import pyarrow.parquet as pq

    d = Path(run_dir)
    ev = pq.read_table(d / "events.parquet").to_pydict()
    ts = pq.read_table(d / "timeseries.parquet").to_pydict()
    summary = json.loads((d / "summary.json").read_text())
    return {
        "events": {k: np.asarray(v) for k, v in ev.items()},
        "timeseries": {k: np.asarray(v, dtype=np.float64) for k, v in ts.items()},
        "summary": summary,
    }


def run_summary(run_dir: str | Path) -> dict[str, float]:
    """:func:`summarise` recomputed from a run directory's files alone."""
    r = read_run(run_dir)
    ts = r["timeseries"]
    rep = (ts["step"], ts["reputation"]) if "reputation" in ts else None
    t_end = r["summary"].get("steps")
    return summarise(r["events"], None if t_end is None else int(t_end), rep)


def _run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """Run directories under the given paths (a run directory has ``summary.json``)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if (p / "summary.json").is_file():
            out.append(p)
        else:
            out.extend(sorted(q.parent for q in p.rglob("summary.json")))
    return out


def cascade_sizes(run_dirs: Iterable[str | Path], key: str = "cascade_size") -> np.ndarray:
    """One cascade size per run directory (recomputed from ``events.parquet``).

    Directories may also be sweep roots: every run directory below them is used.
    """
    return np.array([run_summary(d)[key] for d in _run_dirs(run_dirs)], dtype=np.float64)


def size_ccdf(run_dirs: Iterable[str | Path]) -> tuple[np.ndarray, np.ndarray]:
    """CCDF ``P(S ≥ s)`` of cascade sizes across runs (:func:`feedlab.analysis.metrics.ccdf`)."""
    return ccdf(cascade_sizes(run_dirs))


# ------------------------------------------------------------------------- figures
def _config(run_dir: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())


def group_runs(paths: Iterable[str | Path], by: str) -> dict[str, list[Path]]:
    """Run directories under ``paths`` grouped by the value of a dotted config key
    (``None`` → ``"None"``), in a natural order (numbers by value, then names)."""
    from feedlab.analysis.labels import UNIT_GROUPS, unit_label

    groups: dict[str, list[Path]] = {}
    for d in _run_dirs(paths):
        node: Any = _config(d)
        head, _, tail = by.partition(".")
        if tail == "label" and head in UNIT_GROUPS:  # the unit's preset label
            groups.setdefault(unit_label(head, node.get(head)), []).append(d)
            continue
        for part in by.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        groups.setdefault(str(node), []).append(d)
    return {k: groups[k] for k in sorted(groups, key=_sort_key)}


TABLE_KEYS = (
    "cascade_size",
    "exposed_share",
    "time_to_peak",
    "cascade_duration",
    "decay_half_life",
    "cascade_depth",
    "structural_virality",
    "conformist_share",
    "reputation_trough_rel",
    "time_to_recover_90",
    "reputation_final_rel",
    "run_mean_engagement_per_user",
)


def table(paths: Iterable[str | Path], by: str, keys: Sequence[str] = TABLE_KEYS) -> str:
    """A Markdown table: per group, the median [25th–75th percentile] over runs of each
    summary key (runs where a key is undefined, e.g. no recovery, are left out of that
    cell and counted in ``n``), plus the share of runs whose storm reached ≥ 1 % of the
    users (``storm``) and whose reputation came back to 90 % (``recovered``)."""
    groups = group_runs(paths, by)
    head = ["`" + by + "`", "runs", "storm", "recovered", *keys]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, dirs in groups.items():
        sums = [json.loads((d / "summary.json").read_text()) for d in dirs]

        def vals(k: str, sums: list[dict[str, Any]] = sums) -> np.ndarray:
            return np.array(
                [np.nan if s.get(k) is None else float(s[k]) for s in sums], dtype=np.float64
            )

        size, n_users = vals("cascade_size"), vals("n_users")
        storm = float(np.mean(size >= 0.01 * n_users))
        rec = vals("time_to_recover_90")
        cells = [name, str(len(dirs)), f"{storm:.2f}", f"{np.mean(np.isfinite(rec)):.2f}"]
        for k in keys:
            v = vals(k)
            v = v[np.isfinite(v)]
            if v.size == 0:
                cells.append("–")
                continue
            q1, med, q3 = np.percentile(v, [25, 50, 75])
            note = "" if v.size == len(dirs) else f" (n={v.size})"
            cells.append(f"{_fmt(med)} [{_fmt(q1)}–{_fmt(q3)}]{note}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def figures(paths: Sequence[str | Path], out_dir: str | Path, by: str) -> list[Path]:
    """Figures of ``docs/cascades.md`` from runs grouped by a config key.

    ``by`` is a dotted config key (``ranking.label``, ``event.apology_time``;
    ``<unit group>.label`` is the unit's preset label, :mod:`feedlab.analysis.labels`). Writes
    ``cascades_<group key>_timecourse.png`` (call-outs per step and reputation, mean over
    seeds per group) and ``cascades_<group key>_ccdf.png`` (size CCDF per group).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = group_runs(paths, by)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tag = by.replace(".", "_")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name in groups:
        series, reps = [], []
        for d in groups[name]:
            r = read_run(d)
            ts = r["timeseries"]
            series.append(ts.get("callouts", np.full(ts["step"].shape, np.nan)))
            reps.append(ts.get("reputation", np.full(ts["step"].shape, np.nan)))
            step = ts["step"]
        m = min(len(s) for s in series)
        ax1.plot(step[:m], np.nanmean([s[:m] for s in series], axis=0), label=name)
        ax2.plot(step[:m], np.nanmean([s[:m] for s in reps], axis=0), label=name)
    ax1.set_xlabel("step (day)")
    ax1.set_ylabel("call-outs per step")
    ax2.set_xlabel("step (day)")
    ax2.set_ylabel("reputation (mean follower trust)")
    ax1.legend(title=by, fontsize=8)
    fig.tight_layout()
    p1 = out / f"cascades_{tag}_timecourse.png"
    fig.savefig(p1, dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for name in groups:
        v, pr = size_ccdf(groups[name])
        ax.step(v, pr, where="post", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cascade size s")
    ax.set_ylabel("P(S ≥ s)")
    ax.legend(title=by, fontsize=8)
    fig.tight_layout()
    p2 = out / f"cascades_{tag}_ccdf.png"
    fig.savefig(p2, dpi=120)
    plt.close(fig)
    return [p1, p2]


def _sort_key(name: str) -> tuple[int, float, str]:
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m feedlab.analysis.cascades summary RUN_DIR...`` prints metrics as JSON lines;
    ``... table --by KEY PATH...`` prints a Markdown table of medians per group;
    ``... figures --by KEY --out DIR PATH...`` draws the figures."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m feedlab.analysis.cascades")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summary", help="cascade metrics of run directories (JSON lines)")
    s.add_argument("paths", nargs="+")
    f = sub.add_parser("figures", help="time-course and CCDF figures grouped by a config key")
    f.add_argument("paths", nargs="+")
    f.add_argument("--by", required=True, help="dotted config key, e.g. ranking.label")
    f.add_argument("--out", default="docs/figures")
    t = sub.add_parser("table", help="Markdown table of summary metrics grouped by a config key")
    t.add_argument("paths", nargs="+")
    t.add_argument("--by", required=True, help="dotted config key, e.g. event.apology_time")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.cmd == "summary":
        for d in _run_dirs(args.paths):
            row = {"run": str(d), **run_summary(d)}
            print(
                json.dumps(
                    {
                        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in row.items()
                    }
                )
            )
        return 0
    if args.cmd == "table":
        print(table(args.paths, args.by))
        return 0
    for p in figures(args.paths, args.out, args.by):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
