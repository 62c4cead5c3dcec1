"""Tables and figures of the ranking experiments (docs/ranking.md).

    python -m feedlab.analysis.ranking_report COMPARISON_DIR [--ab AB_DIR] [--figures docs/figures]

``COMPARISON_DIR`` holds run directories of ``experiment=ranking_comparison`` (e.g. the
sweep folder ``<output.dir>/sweeps/ranking_comparison``), ``AB_DIR`` those of
``experiment=feed_ab_test``; both are searched recursively for complete runs (a
``DONE`` marker). Prints Markdown tables (mean ± sd over seeds, and every seed) and
writes ``ranking_comparison.png`` and ``ranking_ab_test.png``. Reads run directories
only (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.analysis import runs as rundirs

# policy option -> label, in display order
POLICIES = (
    "chronological",
    "random",
    "engagement",
    "engagement_negfb",
    "bridging",
    "bridging_observed",
    "bridging_mf",
    "quality",
    "diversity",
    "algorithmic_bias",
)
MSI = {"likes": 1.0, "comments": 30.0, "shares": 5.0}  # engagement.yaml's points
METRICS = (
    ("opinion_variance", "opinion variance (final)"),
    ("group_mean_distance", "group mean distance (final)"),
    ("echo_chamber_index", "echo-chamber index (final)"),
    ("outrage_share_impressions", "high-outrage share of feeds"),
    ("outrage_amplification", "outrage amplification"),
    ("political_outrage_share_impressions", "political high-outrage share of feeds"),
    ("engagement_per_user", "reactions per user-step"),
    ("msi_per_user", "MSI points per user-step"),
    ("negfb_per_user", "negative feedback per user-step"),
    ("mean_value", "reflective value per item"),
    ("cross_cutting_share", "cross-cutting share of feeds"),
    ("amp_outrage_high", "reach amplification, high outrage (÷ chrono)"),
    ("amp_quality_low", "reach amplification, low quality (÷ chrono)"),
)


def find_runs(root: Path, experiment: str) -> list[dict[str, Any]]:
    """Complete runs under ``root`` of one experiment (:func:`feedlab.analysis.runs.find_runs`),
    each as ``dir``, ``cfg`` (config), ``summary`` and ``ts`` (time-series columns as lists).
    """
    return [
        {
            "dir": d,
            "cfg": rundirs.read_config(d),
            "summary": rundirs.read_summary(d),
            "ts": rundirs.read_table(d, "timeseries").to_pydict(),
        }
        for d in rundirs.find_runs(root, experiment)
    ]


def option_of(cfg: dict[str, Any]) -> str:
    """The conf/ranking option a run used (bridging variants are told apart;
    :func:`feedlab.analysis.labels.unit_label`).
    """
    from feedlab.analysis.labels import unit_label

    return unit_label("ranking", cfg["ranking"])


def _run_mean(ts: dict[str, list], name: str) -> float:
    col = np.array(ts.get(name, [np.nan])[1:], dtype=float)
    return float(np.nanmean(col)) if np.isfinite(col).any() else float("nan")


def comparison_metrics(runs: list[dict[str, Any]]) -> dict[str, dict[int, dict[str, float]]]:
    """Policy -> seed -> metric -> value (amplification relative to the same seed's
    chronological run: common random numbers).
    """
    out: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
    for r in runs:
        s, ts = r["summary"], r["ts"]
        n, steps = float(s["n_users"]), float(s["steps"])
        m: dict[str, Any] = {k: float(s.get(k, np.nan)) for k in METRICS_FINAL}
        m["outrage_share_impressions"] = _run_mean(ts, "outrage_share_impressions")
        m["political_outrage_share_impressions"] = _run_mean(
            ts, "political_outrage_share_impressions"
        )
        m["outrage_amplification"] = float(s.get("run_mean_outrage_amplification", np.nan))
        m["engagement_per_user"] = float(s["run_mean_engagement_per_user"])
        m["msi_per_user"] = sum(w * s[f"total_{a}"] for a, w in MSI.items()) / (n * steps)
        m["negfb_per_user"] = s["total_negfb"] / (n * steps)
        m["mean_value"] = float(s["run_mean_mean_value"])
        m["cross_cutting_share"] = float(s["run_mean_cross_cutting_share"])
        for c in ("outrage_high", "quality_low", "group0", "group1"):
            m[f"reach_{c}"] = float(s.get(f"run_mean_reach_{c}", np.nan))
        m["_opinion_variance_t"] = np.array(ts["opinion_variance"], dtype=float)
        out[option_of(r["cfg"])][int(r["cfg"]["seed"])] = m
    chrono = out.get("chronological", {})
    for seeds in out.values():
        for seed, m in seeds.items():
            ref = chrono.get(seed)
            for c in ("outrage_high", "quality_low"):
                m[f"amp_{c}"] = m[f"reach_{c}"] / ref[f"reach_{c}"] if ref else float("nan")
    return out


METRICS_FINAL = ("opinion_variance", "group_mean_distance", "echo_chamber_index")


def _fmt(v: float) -> str:
    return "nan" if not np.isfinite(v) else (f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}")


def comparison_tables(data: dict[str, dict[int, dict[str, float]]]) -> str:
    """Markdown: mean ± sd over seeds per policy, then every seed."""
    policies = [p for p in POLICIES if p in data] + sorted(set(data) - set(POLICIES))
    seeds = sorted({s for p in data.values() for s in p})
    lines = ["| metric | " + " | ".join(policies) + " |", "|---" * (len(policies) + 1) + "|"]
    for key, label in METRICS:
        cells = []
        for p in policies:
            vals = np.array([data[p][s][key] for s in seeds if s in data[p]], dtype=float)
            sd = vals.std(ddof=1) if vals.size > 1 else float("nan")
            cells.append(f"{_fmt(vals.mean())} ± {_fmt(sd)}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"Per seed ({', '.join(map(str, seeds))}):", ""]
    lines += ["| metric | policy | " + " | ".join(f"seed {s}" for s in seeds) + " |"]
    lines += ["|---|---|" + "---|" * len(seeds)]
    for key, label in METRICS:
        for p in policies:
            row = [_fmt(data[p][s][key]) if s in data[p] else "" for s in seeds]
            lines.append(f"| {label} | {p} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def comparison_figure(data: dict[str, dict[int, dict[str, float]]], path: Path) -> None:
    """The ranking-comparison figure at ``path``: (a) opinion variance over time (mean
    over seeds) per policy, (b, c, e, f) final and run-mean metrics per policy (seeds as
    dots, their mean as a line), (d) value against engagement.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    policies = [p for p in POLICIES if p in data]
    colors = plt.get_cmap("tab10")(np.linspace(0, 1, 10))
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    ax = axes[0, 0]
    for i, p in enumerate(policies):
        curves = np.array([m["_opinion_variance_t"] for m in data[p].values()])
        ax.plot(np.nanmean(curves, axis=0), color=colors[i], label=p)
    ax.set(xlabel="step", ylabel="opinion variance", title="(a) polarisation over time")
    ax.legend(fontsize=7, ncol=2)
    panels = (
        (axes[0, 1], "group_mean_distance", "(b) group mean distance (final)"),
        (axes[0, 2], "outrage_share_impressions", "(c) high-outrage share of feeds"),
        (axes[1, 1], "cross_cutting_share", "(e) cross-cutting share of feeds"),
        (axes[1, 2], "amp_outrage_high", "(f) reach of high-outrage items ÷ chronological"),
    )
    x = np.arange(len(policies))
    for ax, key, title in panels:
        for i, p in enumerate(policies):
            vals = [m[key] for m in data[p].values()]
            ax.scatter(np.full(len(vals), i), vals, color=colors[i], s=18)
            ax.hlines(np.mean(vals), i - 0.3, i + 0.3, color=colors[i])
        ax.set_xticks(x, policies, rotation=40, ha="right", fontsize=8)
        ax.set_title(title)
    ax = axes[1, 0]
    for i, p in enumerate(policies):
        e = [m["msi_per_user"] for m in data[p].values()]
        v = [m["mean_value"] for m in data[p].values()]
        ax.scatter(e, v, color=colors[i], label=p, s=22)
    ax.set(
        xlabel="MSI engagement points per user-step",
        ylabel="reflective value per item",
        title="(d) engagement vs value",
    )
    fig.suptitle("Ranking policies on the same networks and populations (dots: seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


AB_KEYS = (
    ("run_mean_outrage_amplification", "outrage amplification (run mean)"),
    ("run_mean_outrage_share_impressions", "high-outrage share of feeds"),
    ("run_mean_political_outrage_share_impressions", "political high-outrage share of feeds"),
    ("run_mean_engagement_per_user", "reactions per user-step"),
    ("run_mean_mean_value", "reflective value per item"),
    ("run_mean_cross_cutting_share", "cross-cutting share of feeds"),
    ("opinion_variance", "opinion variance (final)"),
    ("group_mean_distance", "group mean distance (final)"),
    ("mean_platform_trust", "platform trust (final)"),
)
AB_AMP = ("group0", "group1", "outrage_high", "outrage_low", "quality_high", "quality_low")


def ab_tables(runs: list[dict[str, Any]]) -> str:
    """Markdown tables of the A/B test: per metric the control and treatment means and
    their same-seed difference (mean ± sd over seeds, then per seed); then the treatment
    arm's amplification ratio per content class (Huszár et al. 2022).
    """
    runs = sorted(runs, key=lambda r: r["cfg"]["seed"])
    names = [a["name"] for a in runs[0]["cfg"]["arms"]]
    ctrl, treat = names[0], names[1]
    seeds = [r["cfg"]["seed"] for r in runs]
    head = f"| metric | {ctrl} | {treat} | {treat} − {ctrl} | per seed ({', '.join(map(str, seeds))}) |"
    lines = [head, "|---|---|---|---|---|"]
    for key, label in AB_KEYS:
        c = np.array([r["summary"][f"{key}__{ctrl}"] for r in runs])
        t = np.array([r["summary"][f"{key}__{treat}"] for r in runs])
        d = np.array([r["summary"][f"{key}__{treat}-{ctrl}"] for r in runs])
        lines.append(
            f"| {label} | {_fmt(c.mean())} | {_fmt(t.mean())} | {_fmt(d.mean())} ± "
            f"{_fmt(d.std(ddof=1) if d.size > 1 else np.nan)} | "
            + ", ".join(_fmt(v) for v in d)
            + " |"
        )
    lines += ["", f"| amplification ratio ({treat} ÷ {ctrl}, per-user reach) | mean | per seed |"]
    lines += ["|---|---|---|"]
    for item in AB_AMP:
        a = np.array([r["summary"][f"run_amplification_{item}__{treat}"] for r in runs])
        lines.append(f"| {item} | {_fmt(a.mean())} | " + ", ".join(_fmt(v) for v in a) + " |")
    return "\n".join(lines)


def ab_figure(runs: list[dict[str, Any]], path: Path) -> None:
    """The A/B figure at ``path``: four key metrics over time, one line per arm and
    seed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [a["name"] for a in runs[0]["cfg"]["arms"]]
    keys = (
        ("outrage_share_impressions", "high-outrage share of feeds"),
        ("engagement_per_user", "reactions per user-step"),
        ("mean_value", "reflective value per item"),
        ("opinion_variance", "opinion variance"),
    )
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    for ax, (key, label) in zip(axes, keys, strict=True):
        for j, arm in enumerate(names):
            for r in runs:
                ts = r["ts"]
                ax.plot(
                    ts["step"],
                    ts[f"{key}__{arm}"],
                    color=f"C{j}",
                    alpha=0.7,
                    lw=1,
                    label=f"{arm} ({r['cfg']['arms'][j]['ranking']['name']})"
                    if r is runs[0]
                    else None,
                )
        ax.set(xlabel="step", title=label)
    axes[0].legend(fontsize=8)
    fig.suptitle("feed_ab_test: both arms in one network (lines: seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """``python -m feedlab.analysis.ranking_report``: print the comparison (and A/B)
    tables and write their figures; exit code 1 when no complete run is found.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("comparison", type=Path, help="folder with ranking_comparison runs")
    ap.add_argument("--ab", type=Path, default=None, help="folder with feed_ab_test runs")
    ap.add_argument("--figures", type=Path, default=Path("docs/figures"))
    args = ap.parse_args(argv)
    args.figures.mkdir(parents=True, exist_ok=True)
    runs = find_runs(args.comparison, "ranking_comparison")
    if not runs:
        print(f"no complete ranking_comparison runs under {args.comparison}", file=sys.stderr)
        return 1
    data = comparison_metrics(runs)
    print(f"## ranking_comparison ({len(runs)} runs)\n")
    print(comparison_tables(data))
    comparison_figure(data, args.figures / "ranking_comparison.png")
    if args.ab is not None:
        ab = find_runs(args.ab, "feed_ab_test")
        if ab:
            print(f"\n## feed_ab_test ({len(ab)} runs)\n")
            print(ab_tables(ab))
            ab_figure(ab, args.figures / "ranking_ab_test.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
