"""Revenue against well-being by ranking policy and business model (docs/attention.md
§Business models).

Runs: ``experiment=business_models`` (ads sold under ad_funded and hybrid, subscriptions
under subscription and hybrid) for the ranking policies chronological, engagement,
bridging, quality and revenue (the policy that reads the platform objective) × the
three business models × seeds, at the figure scale (the experiment itself runs 730
steps; the figure uses the scale's steps). Needs ``conf/ads/feed_ads.yaml`` and the
``revenue`` ranking policy; skipped otherwise.

x: platform revenue per user and step over the run (``revenue_per_user_step``);
y: (a) reflective value per item read, run mean (``run_mean_mean_value``; the "time well
spent" of docs/attention.md §Sessions when the run records ``run_mean_time_well_spent``);
(b) final opinion variance (polarisation); (c) final mean platform trust. Colour: policy;
marker: business model; small markers: seeds; large: mean over seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from feedlab.analysis.figures import base, style

NAME = "business_models"
TITLE = "Revenue and well-being by ranking policy and business model"
CAPTION = (
    "Platform revenue per user and step against (a) reflective value per item read, "
    "(b) final opinion variance and (c) final mean platform trust, for each ranking "
    "policy (colour) under each business model (marker). Small markers: seeds; large: "
    "mean over seeds."
)
STATISTICS = "per-seed values and their mean; sidecar: mean with the range of seeds"
POLICIES = ("chronological", "engagement", "bridging", "quality", "revenue")
QUICK_POLICIES = ("chronological", "engagement", "revenue")
MODELS = ("ad_funded", "subscription", "hybrid")
MARKERS = {"ad_funded": "o", "subscription": "s", "hybrid": "^"}
X = "revenue_per_user_step"
PANELS = (
    ("run_mean_mean_value", "Reflective value per item (run mean)", base.UNBOUNDED),
    ("opinion_variance", "Final opinion variance", base.VARIANCE),
    ("mean_platform_trust", "Final mean platform trust", base.SHARE),
)


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Policies × business models × seeds of ``experiment=business_models``."""
    base.require_options("ads", ["feed_ads"], "the ads sold under ad_funded and hybrid")
    base.require_options("ranking", ["revenue"], "the policy that reads the platform objective")
    chosen = QUICK_POLICIES if scale.max_policies else POLICIES
    return [
        base.RunSpec.make(
            [
                "experiment=business_models",
                f"ranking={p}",
                f"platform.business_model={m}",
                f"seed={s}",
                f"network.n={scale.n}",
                f"steps={scale.steps}",
            ],
            policy=p,
            model=m,
            seed=s,
        )
        for p in chosen
        for m in MODELS
        for s in scale.seeds
    ]


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Three panels of well-being against revenue (module docstring)."""
    if all(np.isnan(r.value(X)) for r in runs):
        raise base.FigureSkipped(f"summary.json has no finite {X}")
    panels = list(PANELS)
    if all(np.isfinite(r.value("run_mean_time_well_spent")) for r in runs):
        panels[0] = ("run_mean_time_well_spent", "Time well spent (run mean)", base.UNBOUNDED)
    fig = style.figure(style.DOUBLE, 3.5)
    axes = fig.subplots(1, 3)
    data: dict[str, Any] = {}
    policies = list(base.group(runs, "policy"))
    for i, policy in enumerate(policies):
        colour = style.policy_style(policy, i)[0]
        for model in MODELS:
            rs = [r for r in runs if r.label("policy") == policy and r.label("model") == model]
            if not rs:
                continue
            x = np.array([r.value(X) for r in rs])
            cell: dict[str, Any] = {
                "n_seeds": len(rs),
                X: base.bounded_interval(x, base.NONNEGATIVE),
            }
            for ax, (metric, _, bounds) in zip(axes, panels, strict=True):
                y = np.array([r.value(metric) for r in rs])
                ax.scatter(x, y, color=colour, marker=MARKERS[model], s=10, alpha=0.4, lw=0)
                ax.scatter(
                    np.nanmean(x),
                    np.nanmean(y),
                    color=colour,
                    marker=MARKERS[model],
                    s=48,
                    edgecolor="black",
                    lw=0.5,
                )
                cell[metric] = base.bounded_interval(y, bounds)
            data[f"{policy}/{model}"] = cell
    for ax, (_, label, _), tag in zip(axes, panels, "abc", strict=True):
        ax.set_xlabel("Revenue per user and step")
        ax.set_ylabel(label)
        ax.set_title(f"({tag})", loc="left")
    handles = [
        Line2D(
            [],
            [],
            color=style.policy_style(p, i)[0],
            marker="o",
            ls="",
            label=style.policy_style(p, i)[3],
        )
        for i, p in enumerate(policies)
    ]
    handles += [
        Line2D(
            [], [], color="black", marker=MARKERS[m], ls="", mfc="none", label=m.replace("_", "-")
        )
        for m in MODELS
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4)
    return fig, data
