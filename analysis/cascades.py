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
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.analysis import runs as rundirs
from feedlab.analysis.metrics.cascade_tree import (  # noqa: F401  (re-exported)
    CALLOUT_KINDS,
    NAN,
    ROOT_KIND,
    TREE_KINDS,
    CascadeTree,
    _col,
    callout_counts,
    cascade_metrics,
    cascade_tree,
    reputation_metrics,
    summarise,
)
from feedlab.analysis.metrics.cascades import ccdf

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


# ----------------------------------------------------------------- run directories
def read_run(run_dir: str | Path) -> dict[str, Any]:
    """``events`` (columns), ``timeseries`` (float columns) and ``summary`` of a run
    directory (read by :mod:`feedlab.analysis.runs`).
    """
    ev = rundirs.read_table(run_dir, "events").to_pydict()
    ts = rundirs.read_table(run_dir, "timeseries").to_pydict()
    return {
        "events": {k: np.asarray(v) for k, v in ev.items()},
        "timeseries": {k: np.asarray(v, dtype=np.float64) for k, v in ts.items()},
        "summary": rundirs.read_summary(run_dir),
    }


def run_summary(run_dir: str | Path) -> dict[str, float]:
    """:func:`summarise` recomputed from a run directory's files alone."""
    r = read_run(run_dir)
    ts = r["timeseries"]
    rep = (ts["step"], ts["reputation"]) if "reputation" in ts else None
    t_end = r["summary"].get("steps")
    return summarise(r["events"], None if t_end is None else int(t_end), rep)


def _run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """The complete run directories under the given paths, path by path (a path may be a
    run, a sweep or any folder of runs; :func:`feedlab.analysis.runs.find_runs_in`).
    """
    return rundirs.find_runs_in(paths)


def cascade_sizes(run_dirs: Iterable[str | Path], key: str = "cascade_size") -> np.ndarray:
    """One cascade size per run directory (recomputed from ``events.parquet``).

    Directories may also be sweep roots: every run directory below them is used.
    """
    return np.array([run_summary(d)[key] for d in _run_dirs(run_dirs)], dtype=np.float64)


def size_ccdf(run_dirs: Iterable[str | Path]) -> tuple[np.ndarray, np.ndarray]:
    """CCDF ``P(S ≥ s)`` of cascade sizes across runs (:func:`feedlab.analysis.metrics.ccdf`)."""
    return ccdf(cascade_sizes(run_dirs))


# ------------------------------------------------------------------------- figures
def group_runs(paths: Iterable[str | Path], by: str) -> dict[str, list[Path]]:
    """Run directories under ``paths`` grouped by the value of a dotted config key
    (``None`` → ``"None"``), in a natural order (numbers by value, then names).
    """
    from feedlab.analysis.labels import UNIT_GROUPS, unit_label

    groups: dict[str, list[Path]] = {}
    for d in _run_dirs(paths):
        node: Any = rundirs.read_config(d)
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
    users (``storm``) and whose reputation came back to 90 % (``recovered``).
    """
    groups = group_runs(paths, by)
    head = ["`" + by + "`", "runs", "storm", "recovered", *keys]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, dirs in groups.items():
        sums = [rundirs.read_summary(d) for d in dirs]

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
    ``... figures --by KEY --out DIR PATH...`` draws the figures.
    """
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
