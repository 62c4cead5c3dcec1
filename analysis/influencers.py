"""Influencer analyses: engagement rate and its scaling, trust episodes, fake engagement.

Reads run outputs — the columns of ``agents.parquet`` (per account),
``timeseries.parquet`` (per step) and ``summary.json`` — and applies the pure metrics of
:mod:`feedlab.analysis.metrics.influencers` (which the influencer extension also calls
live, so the offline and live numbers agree), then makes the tables and figures.

* **Engagement rate** (industry definition, :func:`feedlab.analysis.metrics.engagement_rate`):
  ``ER = (likes + comments) / posts / followers`` per account, likes and comments as the
  platform counts them (paid ones included), followers averaged over the run.
  :func:`engagement_summary` fits its log–log scaling with audience size
  (:func:`feedlab.analysis.metrics.engagement_rate_scaling`; stylized fact 5 expects a negative
  slope) and averages it per tier and behaviour.
* **Trust episodes** (:func:`episode_trust`): for a mean-trust trajectory and a campaign
  window ``[start, stop)``: the level before, the trough, the share lost, the half-life
  of the fall (exponential fit over the window, :func:`feedlab.analysis.metrics.trust_half_life`)
  and of the recovery (fit from the trough after ``stop`` to the end), and the share of
  the loss recovered by the end (stylized fact 6).
* **Fake-engagement indicators** (:func:`fake_indicators`): comment-to-like ratio,
  engagement rate relative to the audience-size trend (log residual), and the share of
  followers who never posted (an audit of the follower list: bots do not post); and how
  well each separates bought from other influencer accounts (:func:`auc`).

Command line: ``python -m feedlab.analysis.influencers DIR [DIR ...] [--figures OUT]`` prints the
tables of the influencer experiments whose runs lie anywhere under the directories and
draws the ``influencers_*.png`` figures into ``OUT``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.analysis import runs as rundirs
from feedlab.analysis.metrics import engagement_rate_scaling
from feedlab.analysis.metrics.influencers import (  # noqa: F401  (re-exported)
    LOSS_HORIZON,
    NAN,
    ROLE_BOT,
    ROLE_BRAND,
    ROLE_INFLUENCER,
    ROLE_USER,
    TIERS,
    _accounts,
    _mean,
    auc,
    campaign_effect,
    engagement_rates,
    engagement_summary,
    episode_trust,
    er_residual,
    fake_indicators,
    indicator_summary,
)


# ---------------------------------------------------------------- run directories
def read_run(run_dir: str | Path) -> dict[str, Any]:
    """A run directory's outputs: ``dir``, ``summary`` (dict), ``config`` (dict),
    ``timeseries`` and ``agents`` (dicts of NumPy arrays; ``agents`` empty if not
    written); :func:`feedlab.analysis.runs.read_run`.
    """
    return rundirs.read_run(run_dir, ("timeseries", "agents"))


def find_runs(root: str | Path, experiment: str | None = None) -> list[Path]:
    """Complete run directories under ``root`` (an output directory, a sweep directory
    or a run), optionally only those whose config names ``experiment``; sorted by path
    (:func:`feedlab.analysis.runs.find_runs`).
    """
    return rundirs.find_runs(root, experiment)


def _summary_float(s: Mapping[str, Any], key: str) -> float:
    v = s.get(key)
    return float(v) if isinstance(v, int | float) else NAN


def disclosure_table(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per run of a disclosure experiment: seed, rule, disclosed, and the trust
    episode and detection numbers of the sponsored accounts.
    """
    rows = []
    for r in runs:
        c, s = r["config"], r["summary"]
        row = {
            "seed": c.get("seed"),
            "rule": c.get("dynamics", {}).get("trust", {}).get("rule"),
            "disclosed": c.get("influencer", {}).get("disclosed"),
        }
        for k in (
            "trust_initial_sponsored",
            "trust_trough_sponsored",
            "trust_loss_h_sponsored",
            "trust_loss_sponsored",
            "trust_half_life_sponsored",
            "trust_recovery_half_life_sponsored",
            "trust_recovered_sponsored",
            "trust_final_sponsored",
            "total_detections",
            "total_sponsored_exposures",
            "total_unfollows",
        ):
            row[k] = _summary_float(s, k)
        rows.append(row)
    return rows


def _arm(run: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    c = run["config"]
    return c.get("seed"), c["dynamics"]["trust"]["rule"], c["influencer"]["disclosed"]


def disclosure_effects(
    runs: Sequence[Mapping[str, Any]], column: str = "trust_sponsored"
) -> list[dict[str, Any]]:
    """Campaign effects of the disclosure experiment: each run with sponsored posts
    (``influencer.rate > 0``) against the control of the same seed, rule and flag
    (``rate = 0``), by :func:`campaign_effect` on ``column``; one row per treated run
    with seed, rule, disclosed, exposures and detections.
    """
    ctrl = {_arm(r): r for r in runs if r["config"]["influencer"]["rate"] == 0}
    rows = []
    for r in runs:
        inf = r["config"]["influencer"]
        if inf["rate"] == 0 or _arm(r) not in ctrl:
            continue
        ts, tc = r["timeseries"], ctrl[_arm(r)]["timeseries"]
        stop = inf["stop"] if inf["stop"] >= 0 else None
        seed, rule, disclosed = _arm(r)
        s = r["summary"]
        rows.append(
            {
                "seed": seed,
                "rule": rule,
                "disclosed": disclosed,
                "exposures": _summary_float(s, "total_sponsored_exposures"),
                "detections": _summary_float(s, "total_detections"),
                "detection_trust_loss": _summary_float(s, "detection_trust_loss"),
                **campaign_effect(ts["step"], ts[column], tc[column], inf["start"], stop),
            }
        )
    return sorted(rows, key=lambda r: (str(r["rule"]), str(r["disclosed"]), r["seed"]))


def mean_sd(rows: Sequence[Mapping[str, Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """Rows grouped by the keys ``by``: ``n`` and, for every numeric column, the mean
    and the standard deviation over the group (``"m ± sd"`` strings for tables).
    """
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in by), []).append(r)
    out = []
    for key, rs in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["n"] = len(rs)
        for k, v in rs[0].items():
            if k in by or k == "seed" or not isinstance(v, int | float) or isinstance(v, bool):
                continue
            a = np.array([float(x[k]) for x in rs])
            a = a[np.isfinite(a)]
            row[k] = (
                f"{a.mean():.3g} ± {a.std(ddof=1):.2g}"
                if a.size > 1
                else _fmt(float(a[0]) if a.size else NAN)
            )
        out.append(row)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3g}"
    return str(v)


def markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table of dict rows (keys of the first row as columns)."""
    if not rows:
        return "(no runs)"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_fmt(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- figures
def _disclosure_arm(r: Mapping[str, Any]) -> str:
    """The arm of a disclosure-experiment run: disclosed, undisclosed, or (no sponsored
    posts) the control — the undisclosed twin of a control is a duplicate, not drawn.
    """
    inf = r["config"]["influencer"]
    if inf["rate"] == 0:
        return "control" if inf["disclosed"] else "duplicate control"
    return "disclosed" if inf["disclosed"] else "undisclosed"


def _draw_disclosure_arm(
    ax: Any,
    dx: Any,
    sel: Sequence[Mapping[str, Any]],
    name: str,
    colour: str,
    ctrl: Mapping[Any, Mapping[str, Any]],
) -> None:
    """One arm's trust curves (seeds thin, mean thick) on ``ax`` and, for a campaign arm,
    its difference from the same-seed control on ``dx``.
    """
    t = sel[0]["timeseries"]["step"]
    ys = [r["timeseries"]["trust_sponsored"] for r in sel]
    for y in ys:
        ax.plot(t, y, color=colour, lw=0.6, alpha=0.3)
    ax.plot(t, np.nanmean(ys, axis=0), color=colour, lw=2, label=f"{name} (n={len(ys)})")
    if name == "control":
        return
    ds = [
        r["timeseries"]["trust_sponsored"] - ctrl[_arm(r)]["timeseries"]["trust_sponsored"]
        for r in sel
        if _arm(r) in ctrl
    ]
    for d in ds:
        dx.plot(t, d, color=colour, lw=0.6, alpha=0.3)
    if ds:
        dx.plot(t, np.nanmean(ds, axis=0), color=colour, lw=2, label=name)


def figure_disclosure(runs: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Disclosure experiment, one column per trust rule. Top: mean trust of followers in
    the sponsored accounts (thin: each seed; thick: mean over seeds) for disclosed,
    undisclosed and the control without sponsored posts. Bottom: the campaign effect,
    each run minus its same-seed control.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rules = sorted({r["config"]["dynamics"]["trust"]["rule"] for r in runs})
    ctrl = {_arm(r): r for r in runs if r["config"]["influencer"]["rate"] == 0}
    fig, axes = plt.subplots(
        2, len(rules), figsize=(5.5 * len(rules), 6.4), squeeze=False, sharex=True
    )
    colours = {"disclosed": "tab:blue", "undisclosed": "tab:red", "control": "0.4"}
    inf = runs[0]["config"]["influencer"]
    for col, rule in enumerate(rules):
        ax, dx = axes[0, col], axes[1, col]
        for name, colour in colours.items():
            sel = [r for r in runs if r["config"]["dynamics"]["trust"]["rule"] == rule]
            sel = [r for r in sel if _disclosure_arm(r) == name]
            if sel:
                _draw_disclosure_arm(ax, dx, sel, name, colour, ctrl)
        stop = inf["stop"] if inf["stop"] >= 0 else runs[0]["timeseries"]["step"][-1]
        for a in (ax, dx):
            a.axvspan(inf["start"], stop, color="0.92", zorder=0)
        dx.axhline(0, color="0.4", lw=0.8)
        ax.set_title(f"trust rule: {rule} (shaded: campaign)")
        ax.set_ylabel("mean trust in sponsored influencers")
        dx.set_ylabel("campaign − same-seed control")
        dx.set_xlabel("step")
        ax.legend(frameon=False, fontsize=8)
        dx.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def figure_engagement_rate(runs: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Engagement rate vs followers (log–log) per account, coloured by role/behaviour,
    with the fitted scaling line; right: mean ER per tier.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    per_tier: dict[str, list[float]] = {t: [] for t in ("users", *TIERS)}
    f_all, er_all = [], []
    for i, r in enumerate(runs):
        a = r["agents"]
        ok = _accounts(a)
        er = engagement_rates(
            a["likes_received"], a["comments_received"], a["posts_made"], a["mean_followers"]
        )
        f = np.asarray(a["mean_followers"], dtype=np.float64)
        beh = np.asarray(a["behaviour"], dtype=object)
        groups = [("regular users", ok & (a["role"] == ROLE_USER) & (beh == ""), "0.6", 4)]
        for label in sorted({b for b in beh.tolist() if b}):
            colour = "tab:red" if "bought" in label else "tab:blue"
            groups.append((label, ok & (beh == label), colour, 14))
        for label, m, colour, size in groups:
            ax.scatter(
                f[m], er[m], s=size, c=colour, alpha=0.5, lw=0, label=label if i == 0 else None
            )
        f_all.append(f[ok])
        er_all.append(er[ok])
        s = r["summary"]
        per_tier["users"].append(_summary_float(s, "er_mean_users"))
        for t in TIERS:
            per_tier[t].append(_summary_float(s, f"er_mean_tier_{t}"))
    fa, ea = np.concatenate(f_all), np.concatenate(er_all)
    slope, lo, hi, n = engagement_rate_scaling(fa, ea)
    good = (fa > 0) & (ea > 0) & np.isfinite(ea)
    if np.isfinite(slope):
        xs = np.geomspace(fa[good].min(), fa[good].max(), 50)
        c = np.mean(np.log10(ea[good])) - slope * np.mean(np.log10(fa[good]))
        ax.plot(
            xs,
            10 ** (c + slope * np.log10(xs)),
            "k-",
            lw=1.5,
            label=f"slope {slope:.2f} [{lo:.2f}, {hi:.2f}], n={n}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers (mean over run)")
    ax.set_ylabel("engagement rate (likes+comments)/post/follower")
    ax.legend(frameon=False, fontsize=8)
    names = list(per_tier)
    means = [np.nanmean(per_tier[k]) if np.isfinite(per_tier[k]).any() else np.nan for k in names]
    bx.bar(names, means, color=["0.6", "tab:green", "tab:olive", "tab:orange", "tab:purple"])
    for k, name in enumerate(names):
        pts = np.asarray(per_tier[name], dtype=np.float64)
        bx.scatter(np.full(pts.size, k), pts, c="k", s=8, zorder=3)
    bx.set_yscale("log")
    bx.set_ylabel("mean engagement rate (dots: seeds)")
    bx.set_title("by tier (influencers) and regular users")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def figure_indicators(runs: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Fake-engagement indicators of influencer accounts, bought vs other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
    names = ("comment_like_ratio", "low_engagement", "abnormal_engagement", "inactive_followers")
    data: dict[str, dict[bool, list[np.ndarray]]] = {n: {True: [], False: []} for n in names}
    for r in runs:
        a = dict(r["agents"])
        beh = np.asarray(a["behaviour"], dtype=object)
        a["bought"] = np.array(["bought" in b for b in beh.tolist()])
        infl = a["role"] == ROLE_INFLUENCER
        ind = fake_indicators(a)
        for n in names:
            for b in (True, False):
                data[n][b].append(ind[n][infl & (a["bought"] == b)])
    for ax, n in zip(axes, names, strict=True):
        xs = [np.concatenate(data[n][b]) for b in (False, True)]
        xs = [x[np.isfinite(x)] for x in xs]
        ax.boxplot(xs, tick_labels=["other", "bought"])
        y = np.r_[np.zeros(xs[0].size), np.ones(xs[1].size)]
        ax.set_title(f"{n}\nAUC {auc(np.concatenate(xs), y):.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m feedlab.analysis.influencers DIR [DIR ...] [--figures OUT]`` (module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m feedlab.analysis.influencers")
    ap.add_argument("root", nargs="+", help="output or sweep directories (searched for runs)")
    ap.add_argument("--figures", default=None, help="write influencers_*.png here")
    args = ap.parse_args(argv)
    disc = [read_run(d) for root in args.root for d in find_runs(root, "influencer_disclosure")]
    tier = [read_run(d) for root in args.root for d in find_runs(root, "engagement_rate_by_tier")]
    print(f"## influencer_disclosure ({len(disc)} runs)\n")
    effects = disclosure_effects(disc)
    print(markdown(effects))
    print("\nmean ± sd over seeds:\n")
    print(markdown(mean_sd(effects, ("rule", "disclosed"))))
    print(f"\n## engagement_rate_by_tier ({len(tier)} runs)\n")
    keys = (
        "er_slope",
        "er_slope_ci_low",
        "er_slope_ci_high",
        "er_slope_users",
        "er_slope_authentic",
        "reach_slope_users",
        "conversion_slope_users",
        "er_mean_users",
        "er_mean_authentic",
        "er_mean_bought",
        *(f"er_mean_tier_{t}" for t in TIERS),
        "auc_comment_like_ratio",
        "auc_low_engagement",
        "auc_abnormal_engagement",
        "auc_inactive_followers",
    )
    rows = [
        {"seed": r["config"].get("seed"), **{k: _summary_float(r["summary"], k) for k in keys}}
        for r in tier
    ]
    print(markdown(rows))
    if args.figures:
        out = Path(args.figures)
        out.mkdir(parents=True, exist_ok=True)
        if disc:
            figure_disclosure(disc, out / "influencers_disclosure.png")
        if tier:
            figure_engagement_rate(tier, out / "influencers_engagement_rate.png")
            figure_indicators(tier, out / "influencers_indicators.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
