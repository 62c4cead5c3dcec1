"""The attention-economy experiments as tables: ``python -m feedlab.analysis.economy DIR``.

Reads every complete run under ``DIR`` (a sweep of ``experiment=business_models``,
``brand_safety`` or ``creator_economy``, or any folder of runs;
:func:`feedlab.analysis.runs.find_runs`) and prints, per condition, the mean over seeds
and the range of the seeds of the metrics of docs/attention.md: revenue per user and step
against reflective value, polarisation and trust (business models); the share of ad
impressions adjacent to high-outrage items and the fill rate (brand safety); the final
share of influencers playing each strategy (creator economy).

A *condition* is every swept config value but the seed (the config keys that differ
between the runs, seed excluded), so a sweep that adds the churn parameters to
``experiment=business_models`` gets one row per churn setting: the revenue sensitivity
analysis of docs/attention.md §Business models.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.analysis.runs import find_runs, read_config, read_summary

#: Summary metrics reported when present, in this order.
METRICS = (
    "revenue_per_user_step",
    "run_mean_mean_value",
    "opinion_variance",
    "mean_platform_trust",
    "subscriber_share_final",
    "run_ad_unsafe_share",
    "run_ad_fill_rate",
    "run_ad_ctr",
    "creator_share_authentic_final",
    "creator_share_farming_final",
    "creator_share_disclosed_final",
    "creator_share_undisclosed_final",
)


def _flat(cfg: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{key}."))
        else:
            out[key] = v if not isinstance(v, list) else str(v)
    return out


def conditions(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The config keys (dotted) whose values differ between runs, seed and output excluded."""
    flat = [_flat(c) for c in configs]
    keys = sorted({k for f in flat for k in f})
    varied = []
    for k in keys:
        if k == "seed" or k.startswith(("output.", "hydra.")):
            continue
        if len({repr(f.get(k)) for f in flat}) < 2:
            continue
        unit = k.split(".")[0] + ".name"  # a unit's parameters follow its name ...
        if k != unit and len({repr(f.get(unit)) for f in flat}) > 1:
            by_name: dict[str, set[str]] = {}
            for f in flat:
                by_name.setdefault(repr(f.get(unit)), set()).add(repr(f.get(k)))
            if all(len(v) < 2 for v in by_name.values()):
                continue  # ... unless they vary under one name
        varied.append(k)
    return varied


def table(root: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """(condition keys, rows): per condition the number of seeds and, per metric, the
    mean over seeds and the lowest and highest seed.
    """
    runs = find_runs(root)
    configs = [read_config(r) for r in runs]
    keys = conditions(configs)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r, cfg in zip(runs, configs, strict=True):
        flat = _flat(cfg)
        cond = tuple(str(flat.get(k)) for k in keys)
        groups.setdefault(cond, []).append(read_summary(r))
    rows = []
    for cond, summaries in sorted(groups.items()):
        row: dict[str, Any] = dict(zip(keys, cond, strict=True))
        row["seeds"] = len(summaries)
        for m in METRICS:
            vals = np.array(
                [s[m] for s in summaries if isinstance(s.get(m), int | float)], dtype=float
            )
            vals = vals[np.isfinite(vals)]
            if vals.size:
                row[m] = (float(vals.mean()), float(vals.min()), float(vals.max()))
        rows.append(row)
    return keys, rows


def render(keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table: conditions, seeds, and ``mean [min, max]`` per metric present."""
    metrics = [m for m in METRICS if any(m in r for r in rows)]
    head = [*keys, "seeds", *metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r.get(k, "")) for k in keys] + [str(r["seeds"])]
        for m in metrics:
            v = r.get(m)
            cells.append(f"{v[0]:.4g} [{v[1]:.4g}, {v[2]:.4g}]" if v else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table of the runs under a folder (exit 2 when there are none)."""
    ap = argparse.ArgumentParser(prog="python -m feedlab.analysis.economy", description=__doc__)
    ap.add_argument("root", help="a sweep directory or any folder of runs")
    args = ap.parse_args(argv)
    if not Path(args.root).exists():
        print(f"root: {args.root!r} does not exist", file=sys.stderr)
        return 2
    keys, rows = table(args.root)
    if not rows:
        print(f"root: no complete runs under {args.root!r}", file=sys.stderr)
        return 2
    print(render(keys, rows))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
