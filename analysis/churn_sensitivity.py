"""Revenue with churn on, as a sensitivity analysis: ``python -m
feedlab.analysis.churn_sensitivity DIR [DIR ...] [--figure PNG] [--json JSON]``.

Reads the runs of ``experiment=churn_sensitivity`` (or any sweep of ranking policies ×
churn parameters × seeds with churn on; docs/attention.md §Business models, "Revenue
with churn") and prints, per churn setting (every swept config value but the ranking and
the seed), for each ranking policy the mean over seeds of revenue per user and step,
daily active users and reflective value per item, and for each policy against
engagement ranking the **paired** difference in revenue per user and step: the runs of
one seed share their network and population (common random numbers), so the difference
is taken seed by seed, ``d_s = y_policy,s − y_engagement,s``, and reported as its mean
with the 95 % Student t-interval over the seeds (:func:`feedlab.analysis.stats.
t_interval`), the interval of the project's decision protocol (docs/validation.md).

The churn parameters have no published values, so this is a sensitivity analysis: the
table shows how the sign and size of the revenue difference move across the churn
settings, not a pass/fail fact about any platform. Several sweeps (e.g. the experiment
under the hybrid and the ad-funded business model) give one table each and one figure
panel each, titled by their business model.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.analysis.economy import _flat, conditions
from feedlab.analysis.runs import find_runs, read_config, read_summary
from feedlab.analysis.stats import t_interval

#: the revenue metric compared, and the per-policy context columns of the table
REVENUE = "revenue_per_user_step"
CONTEXT = ("run_mean_dau", "run_mean_mean_value", "subscriber_share_final")
#: the baseline policy of the paired differences
BASELINE = "engagement"


def collect(root: str | Path) -> tuple[list[str], dict[tuple[str, ...], dict[str, dict]]]:
    """(churn-setting keys, {setting: {policy: {seed: summary}}}) of the runs under root."""
    runs = find_runs(root)
    configs = [read_config(r) for r in runs]
    keys = [k for k in conditions(configs) if not k.startswith("ranking.")]
    cells: dict[tuple[str, ...], dict[str, dict]] = {}
    for run, cfg in zip(runs, configs, strict=True):
        flat = _flat(cfg)
        setting = tuple(str(flat.get(k)) for k in keys)
        policy = str(flat.get("ranking.name"))
        cells.setdefault(setting, {}).setdefault(policy, {})[int(cfg["seed"])] = read_summary(run)
    return keys, cells


def _values(by_seed: Mapping[int, Mapping[str, Any]], metric: str) -> dict[int, float]:
    out = {}
    for seed, s in by_seed.items():
        v = s.get(metric)
        if isinstance(v, int | float) and np.isfinite(v):
            out[seed] = float(v)
    return out


def table(root: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """(setting keys, rows): one row per churn setting × policy with the means over seeds
    and, for policies other than the baseline, the paired revenue difference to it
    (mean, 95 % t-interval, number of pairs).
    """
    keys, cells = collect(root)
    rows = []
    for setting, policies in sorted(cells.items()):
        base = _values(policies.get(BASELINE, {}), REVENUE)
        for policy in sorted(policies, key=lambda p: (p != BASELINE, p)):
            by_seed = policies[policy]
            row: dict[str, Any] = dict(zip(keys, setting, strict=True))
            row["ranking"] = policy
            row["seeds"] = len(by_seed)
            for m in (REVENUE, *CONTEXT):
                vals = list(_values(by_seed, m).values())
                row[m] = float(np.mean(vals)) if vals else float("nan")
            if policy != BASELINE and base:
                own = _values(by_seed, REVENUE)
                paired = sorted(set(own) & set(base))
                d = np.array([own[s] - base[s] for s in paired])
                ci = t_interval(d)
                row["diff"] = (ci.estimate, ci.low, ci.high, len(paired))
                row["diff_rel"] = ci.estimate / abs(np.mean([base[s] for s in paired]))
            rows.append(row)
    return keys, rows


def _fmt(x: float, spec: str) -> str:
    return format(x, spec) if np.isfinite(x) else "—"


def render(keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table of :func:`table`'s rows."""
    short = [k.rsplit(".", 1)[-1] for k in keys]
    head = [
        *short,
        "ranking",
        "seeds",
        "revenue / user / step",
        f"Δ revenue vs {BASELINE} [95 % CI]",
        "Δ %",
        "DAU",
        "value per item",
        "subscriber share",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        d = r.get("diff")
        diff = f"{d[0]:+.4f} [{d[1]:+.4f}, {d[2]:+.4f}]" if d else "—"
        rel = f"{100 * r['diff_rel']:+.1f}" if d else "—"
        cells = [
            *(str(r[k]) for k in keys),
            r["ranking"],
            str(r["seeds"]),
            f"{r[REVENUE]:.4f}",
            diff,
            rel,
            _fmt(r["run_mean_dau"], ".3f"),
            _fmt(r["run_mean_mean_value"], ".2f"),
            _fmt(r["subscriber_share_final"], ".3f"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def business_model(root: str | Path) -> str:
    """The business model of the runs under ``root`` (their first run's config)."""
    runs = find_runs(root)
    if not runs:
        return "?"
    return str(read_config(runs[0]).get("platform", {}).get("business_model", "?"))


def figure(
    panels: Sequence[tuple[str, Sequence[str], Sequence[Mapping[str, Any]]]], path: str | Path
) -> None:
    """Paired revenue differences to the baseline with their 95 % t-intervals, one panel
    per (title, keys, rows), one group of points per churn setting, one colour per
    policy; a PNG with the command and the commit in its metadata.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2 * len(panels)), dpi=150)
    for p, (title, keys, rows) in enumerate(panels):
        _panel(fig.add_subplot(len(panels), 1, p + 1), title, keys, rows)
    fig.subplots_adjust(left=0.16, right=0.98, top=0.95, bottom=0.1, hspace=0.6)
    seeds = sorted({r["seeds"] for _, _, rows in panels for r in rows})
    meta = {
        "Software": "feedlab",
        "Source": _commit(),
        "Comment": json.dumps(
            {
                "command": "feedlab run -m experiment=churn_sensitivity; python -m "
                "feedlab.analysis.churn_sensitivity DIR [DIR ...] --figure PNG",
                "panels": [t for t, _, _ in panels],
                "seeds_per_cell": seeds,
                "interval": "Student t, 95 %, paired over seeds",
            }
        ),
    }
    fig.savefig(path, format="png", metadata=meta)


def _panel(ax: Any, title: str, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    from feedlab.analysis.figures import style

    settings = sorted({tuple(r[k] for k in keys) for r in rows})
    policies = sorted({r["ranking"] for r in rows if r.get("diff")})
    width = 0.8 / max(1, len(policies))
    for j, policy in enumerate(policies):
        xs, ys, lo, hi = [], [], [], []
        for i, setting in enumerate(settings):
            r = next(
                (
                    r
                    for r in rows
                    if r["ranking"] == policy and tuple(r[k] for k in keys) == setting
                ),
                None,
            )
            if r is None or not r.get("diff"):
                continue
            m, a, b, _ = r["diff"]
            xs.append(i + (j - (len(policies) - 1) / 2) * width)
            ys.append(m)
            lo.append(m - a)
            hi.append(b - m)
        colour, marker, _, _ = style.policy_style(policy, j)
        ax.errorbar(
            xs,
            ys,
            yerr=[lo, hi],
            fmt=marker,
            color=colour,
            capsize=3,
            label=f"{policy} − {BASELINE}",
        )
    ax.axhline(0.0, color="0.4", lw=0.8, ls=":", label="no difference")
    short = [k.rsplit(".", 1)[-1] for k in keys]
    ax.set_xticks(range(len(settings)))
    ax.set_xticklabels(
        ["\n".join(f"{s} {v}" for s, v in zip(short, st, strict=True)) for st in settings],
        fontsize=7,
    )
    ax.set_ylabel("Δ revenue per user and step\n(paired, 95 % t-interval)", fontsize=8)
    ax.set_title(f"{title}: revenue against {BASELINE} ranking, churn on", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table (and write the figure / JSON); exit 2 when there are no runs."""
    ap = argparse.ArgumentParser(
        prog="python -m feedlab.analysis.churn_sensitivity", description=__doc__
    )
    ap.add_argument("roots", nargs="+", help="sweep directories (experiment=churn_sensitivity)")
    ap.add_argument("--figure", type=Path, help="write the figure (PNG) here")
    ap.add_argument("--json", type=Path, help="write the rows (JSON) here")
    args = ap.parse_args(argv)
    for root in args.roots:
        if not Path(root).exists():
            print(f"roots: {root!r} does not exist", file=sys.stderr)
            return 2
    panels = []
    for root in args.roots:
        keys, rows = table(root)
        if not rows:
            print(f"roots: no complete runs under {root!r}", file=sys.stderr)
            return 2
        panels.append((f"business model {business_model(root)}", keys, rows))
    for title, keys, rows in panels:
        print(f"### {title}\n\n{render(keys, rows)}\n")
    if args.figure:
        figure(panels, args.figure)
    if args.json:
        out = [{"title": t, "keys": k, "rows": r} for t, k, r in panels]
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
