"""Ad adjacency to outrage by ranking policy (docs/attention.md §Ads and brand safety).

Runs: ``experiment=brand_safety`` with no blocking advertisers (``ads.blocking=0``) for
each ranking policy of the experiment × seeds, at the figure scale. Needs
``conf/ads/feed_ads.yaml``; skipped otherwise.

(a) The share of ad impressions whose neighbouring organic item (one above, one below)
has outrage >= ``ads.unsafe_outrage`` (``run_ad_unsafe_share``), per policy; dots: seeds,
diamonds: their mean. (b) The same share per advertiser (``brand_unsafe_share_a<k>``),
one dot per advertiser and seed: brands differ only through the viewers their bids win.
The dotted line is the share of unsafe ads expected if the organic neighbours were drawn
from the posts at random: 1 − (1 − h)² with h the share of high-outrage posts at the last step (the
chronological feed's neighbours are not random: reshares enrich them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style

NAME = "brand_safety"
TITLE = "Ad impressions next to high-outrage items by ranking policy"
CAPTION = (
    "(a) Share of ad impressions adjacent to a high-outrage item, per ranking policy "
    "(dots: seeds; diamonds: mean). (b) The same share per advertiser (one dot per "
    "advertiser and seed). Dotted: expected share if neighbours were random posts."
)
STATISTICS = "per-seed values and their mean; sidecar: mean with the range of seeds"
METRIC = "run_ad_unsafe_share"


def design(scale: base.Scale) -> list[base.RunSpec]:
    """Every policy of ``experiment=brand_safety`` × seeds, no blocking."""
    base.require_options("ads", ["feed_ads"], "ads to place next to organic items")
    grid = base.experiment_sweep("brand_safety").get("ranking") or ["chronological", "engagement"]
    if scale.max_policies:
        grid = grid[: scale.max_policies]
    return [
        base.RunSpec.make(
            [
                "experiment=brand_safety",
                f"ranking={p}",
                "ads.blocking=0.0",
                f"seed={s}",
                f"network.n={scale.n}",
                f"steps={scale.steps}",
            ],
            policy=p,
            seed=s,
        )
        for p in grid
        for s in scale.seeds
    ]


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Unsafe-adjacency share per policy and per advertiser (module docstring)."""
    if all(np.isnan(r.value(METRIC)) for r in runs):
        raise base.FigureSkipped(f"summary.json has no finite {METRIC}")
    groups = base.group(runs, "policy")
    fig = style.figure(style.DOUBLE, 0.3 * len(groups) + 1.4)
    ax_a, ax_b = fig.subplots(1, 2, sharey=True)
    data: dict[str, Any] = {}
    for k, (policy, rs) in enumerate(groups.items()):
        colour = style.policy_style(policy, k)[0]
        vals = np.array([r.value(METRIC) for r in rs])
        ax_a.scatter(vals, np.full(vals.size, k) + 0.15, color=colour, s=12, alpha=0.7, lw=0)
        ax_a.scatter(np.nanmean(vals), k, color=colour, marker="D", s=30)
        per_adv = [
            r.value(key) for r in rs for key in r.summary if key.startswith("brand_unsafe_share_a")
        ]
        adv = np.array(per_adv, dtype=float)
        ax_b.scatter(adv, np.full(adv.size, k), color=colour, s=10, alpha=0.5, lw=0)
        data[policy] = {
            "n_seeds": len(rs),
            METRIC: base.bounded_interval(vals, base.SHARE),
            "per_advertiser": base.bounded_interval(adv[np.isfinite(adv)], base.SHARE),
        }
    h = [r.value("outrage_share_posts") for r in runs]
    h = [v for v in h if np.isfinite(v)]
    if h and np.isfinite(np.nanmean(h)):
        ref = 1 - (1 - float(np.nanmean(h))) ** 2
        for ax in (ax_a, ax_b):
            ax.axvline(ref, color=style.GREY, ls=":", lw=1.0, label="random neighbours")
        data["random_neighbours_reference"] = ref
    ax_a.set_yticks(range(len(groups)), [style.policy_style(p, i)[3] for i, p in enumerate(groups)])
    ax_a.set_xlabel("Share of ad impressions next to high outrage")
    ax_b.set_xlabel("Per advertiser")
    ax_a.set_title("(a)", loc="left")
    ax_b.set_title("(b)", loc="left")
    if h:
        ax_a.legend(loc="lower right")
    return fig, data
