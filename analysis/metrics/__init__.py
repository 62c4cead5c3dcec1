"""Metrics of feedlab runs (docs/metrics.md): pure, vectorised functions on NumPy arrays.

Families
--------
* :mod:`.polarisation` — variance, bimodality, Esteban–Ray, group distance, extremes,
  clusters, echo chambers, assortativity, E–I index, cross-cutting exposure.
* :mod:`.trust` — mean trust (by class), trust half-life, share of trust lost.
* :mod:`.engagement` — engagement rate and its scaling, amplification ratios (Huszár's
  percentage form, outrage amplification split into selection and pool drift),
  engagement–value gap, comment/like ratio.
* :mod:`.cascades` — cascade size, depth, breadth, structural virality, forests, time
  courses, reputation trough and recovery, conformist share, CCDF.

Definitions, ranges, NaN cases and sources: ``docs/metrics.md``.
"""

from .cascades import (
    cascade_depth,
    cascade_duration,
    cascade_size,
    cascade_structure,
    ccdf,
    conformist_share,
    decay_half_life,
    forest_components,
    max_breadth,
    reputation_trough_and_recovery,
    structural_virality,
    time_to_peak,
)
from .engagement import (
    OutrageSplit,
    amplification_ratio,
    comment_like_ratio,
    engagement_rate,
    engagement_rate_scaling,
    engagement_value_gap,
    huszar_amplification,
    outrage_amplification,
    outrage_split,
    outrage_split_counts,
    unique_reach,
)
from .polarisation import (
    bimodality_coefficient,
    cluster_sizes,
    cross_cutting_share,
    echo_chamber_index,
    effective_clusters,
    ei_index,
    esteban_ray,
    extreme_share,
    group_mean_distance,
    major_clusters,
    opinion_assortativity,
    opinion_clusters,
    opinion_variance,
)
from .trust import mean_trust, trust_half_life, trust_loss_share

__all__ = [
    "OutrageSplit",
    "amplification_ratio",
    "bimodality_coefficient",
    "cascade_depth",
    "cascade_duration",
    "cascade_size",
    "cascade_structure",
    "ccdf",
    "cluster_sizes",
    "comment_like_ratio",
    "conformist_share",
    "cross_cutting_share",
    "decay_half_life",
    "echo_chamber_index",
    "effective_clusters",
    "ei_index",
    "engagement_rate",
    "engagement_rate_scaling",
    "engagement_value_gap",
    "esteban_ray",
    "extreme_share",
    "forest_components",
    "group_mean_distance",
    "huszar_amplification",
    "major_clusters",
    "max_breadth",
    "mean_trust",
    "opinion_assortativity",
    "opinion_clusters",
    "opinion_variance",
    "outrage_amplification",
    "outrage_split",
    "outrage_split_counts",
    "reputation_trough_and_recovery",
    "structural_virality",
    "time_to_peak",
    "trust_half_life",
    "trust_loss_share",
    "unique_reach",
]
