"""Live metrics: the recorder's row, computed from model state with the same pure
functions that the offline analyses use (``analysis.metrics``), so both agree.

Only this module reads model internals; the metric functions themselves take arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analysis.metrics import (
    bimodality_coefficient,
    echo_chamber_index,
    extreme_share,
    group_mean_distance,
    opinion_variance,
)
from analysis.metrics import cross_cutting_share as _cross_cutting_share

if TYPE_CHECKING:
    from models.model import FeedModel


def cross_cutting_share(viewer_group: np.ndarray, author_group: np.ndarray) -> float:
    """Share of impressions whose author's group differs from the viewer's."""
    return _cross_cutting_share(viewer_group, author_group)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def state_metrics(model: FeedModel) -> dict[str, float]:
    """Polarisation, trust, engagement and value of the current state."""
    u, g = model.users, model.graph
    x = u.opinion
    s = model.step_stats
    value = model.last_value
    row = {
        "opinion_mean": float(x.mean()) if x.size else float("nan"),
        "opinion_variance": opinion_variance(x),
        "bimodality": bimodality_coefficient(x),
        "group_mean_distance": group_mean_distance(x, u.group),
        "extreme_share": extreme_share(x),
        "echo_chamber_index": echo_chamber_index(x, g.indptr, g.indices),
        "mean_edge_trust": float(g.trust.mean()) if g.n_edges else float("nan"),
        "mean_platform_trust": float(u.platform_trust.mean()),
        "mean_arousal": float(u.arousal.mean()),
        "mean_value": float(np.nanmean(value)) if np.isfinite(value).any() else float("nan"),
        "engagement_per_user": _ratio(
            s.get("likes", 0.0) + s.get("comments", 0.0) + s.get("shares", 0.0), model.n
        ),
        "n_edges": float(g.n_edges),
    }
    if "impressions" in s:
        row["outrage_share_impressions"] = _ratio(s["impressions_high_outrage"], s["impressions"])
        row["outrage_share_posts"] = _ratio(s["posts_high_outrage"], s["posts"])
        row["outrage_amplification"] = _ratio(
            row["outrage_share_impressions"], row["outrage_share_posts"]
        )
    return row
