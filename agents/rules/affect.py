"""Affective polarisation and anger: warmth toward the in-group and the out-group, the
out-group animosity of posts, and the anger a user reports after reading the feed.

Scale: warmth is a feeling thermometer on 0–100 (0 = very cold, 100 = very warm), the
American National Election Studies (ANES) instrument; affective polarisation is in-group
minus out-group warmth (Iyengar, Lelkes, Levendusky, Malhotra & Westwood 2019, *Annu.
Rev. Polit. Sci.* 22:129). The animosity of a post in [0, 1] is its out-group animosity,
what Rathje, Van Bavel & van der Linden (2021, *PNAS* 118:e2024292118) count as
out-group language and Piccardi et al. (2025, *Science*) score as partisan animosity.
Per user ``i`` with feed ``F_i`` (``K_i`` items), arousal ``e_i`` and group ``g_i``:

    α_p    = clip(α0 + λ_w (1 − W̃_i/100) + λ_e e_i + σ ξ, 0, 1)   political posts; 0 otherwise
    h_i    = (1/K_i) Σ_{p∈F_i} [α_p + ω o_p 1{g(author_p) = g_i}]
    r_i    = (1/K_i) Σ_{p∈F_i} α_p 1{g(author_p) ≠ g_i}
    W_out ← clip(W_out − η h_i + ρ (W_out,0 − W_out), 0, 100)
    W_in  ← clip(W_in + η_in r_i + ρ (W_in,0 − W_in), 0, 100)
    anger_i = clip(c_e e_i + c_o ō_i + c_a ᾱ_i, 0, 1)

with ``ξ ~ N(0, 1)`` from the run's ``affect`` stream, ``W̃_i`` the author's current
out-group warmth when ``feedback`` is on and its baseline ``W_out,0`` when off (so the
warmth dynamics never reach behaviour without the switch), ``o_p`` the item's outrage,
``ō_i`` and ``ᾱ_i`` the mean outrage and animosity read. Every default in
``conf/dynamics/default.yaml`` is a placeholder pending calibration (docs/model.md
§Affective polarisation and anger). With ``enabled: false`` nothing here runs and no
number is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.agents.population import Spread
from feedlab.experiments.schema import field

THERMOMETER = 100.0
"""Top of the feeling-thermometer scale (ANES: 0–100 degrees)."""


@dataclass(frozen=True)
class AffectConfig:
    """Warmth, animosity and anger (module docstring; docs/model.md §Affective
    polarisation and anger).
    """

    enabled: bool = field(doc="affect state, post animosity and anger on/off")
    feedback: bool = field(
        doc="current out-group warmth sets the animosity of own posts; false = the "
        "baseline warmth does (the warmth dynamics never reach behaviour)"
    )
    ingroup_warmth: Spread = field(
        doc="initial (and baseline) warmth toward the own group, thermometer 0-100"
    )
    outgroup_warmth: Spread = field(
        doc="initial (and baseline) warmth toward the other group(s), thermometer 0-100"
    )
    animosity_base: float = field(ge=0, le=1, doc="α0: animosity of a political post")
    animosity_coldness: float = field(
        ge=0, le=1, doc="λ_w: extra animosity per unit of coldness 1 - W/100"
    )
    animosity_arousal: float = field(ge=0, le=1, doc="λ_e: extra animosity per unit arousal")
    animosity_noise: float = field(ge=0, le=1, doc="σ: sd of per-post animosity noise")
    cooling: float = field(
        ge=0, le=100, doc="η: thermometer degrees of out-group warmth lost per step at exposure 1"
    )
    outrage_weight: float = field(
        ge=0, le=10, doc="ω: weight of in-group outrage in the exposure h, beside animosity"
    )
    rally: float = field(
        ge=0,
        le=100,
        doc="η_in: degrees of in-group warmth gained per step per unit of out-group animosity",
    )
    relax: float = field(ge=0, le=1, doc="ρ: share of the distance to baseline warmth per step")
    anger_arousal: float = field(ge=0, le=1, doc="c_e: weight of arousal in anger")
    anger_outrage: float = field(ge=0, le=1, doc="c_o: weight of the mean outrage read in anger")
    anger_animosity: float = field(
        ge=0, le=1, doc="c_a: weight of the mean animosity read in anger"
    )
    high_animosity: float = field(
        ge=0, le=1, doc="items with animosity >= this count in animosity_share_impressions"
    )

    def __post_init__(self) -> None:
        """Refuse warmth means outside the thermometer (``field: ...`` messages)."""
        for name in ("ingroup_warmth", "outgroup_warmth"):
            mean = getattr(self, name).mean
            if not 0.0 <= mean <= THERMOMETER:
                raise ValueError(f"{name}: mean {mean!r} is out of range; allowed: 0..100")


def post_animosity(
    cfg: AffectConfig,
    political: np.ndarray,
    warmth: np.ndarray,
    arousal: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Animosity ``α`` of newly written posts (module docstring), one per post.

    ``warmth`` is each author's out-group warmth as the rule reads it (current with
    ``feedback``, the baseline without: the caller chooses); non-political posts get 0.
    One standard normal is drawn per post, political or not, so the number of draws
    depends only on the number of posts.
    """
    m = political.shape[0]
    a = cfg.animosity_base + cfg.animosity_coldness * (1.0 - warmth / THERMOMETER)
    a = a + cfg.animosity_arousal * arousal
    noise = rng.standard_normal(m)
    if cfg.animosity_noise > 0:
        a = a + cfg.animosity_noise * noise
    return np.where(political, np.clip(a, 0.0, 1.0), 0.0)


def feed_exposure(
    cfg: AffectConfig,
    viewer: np.ndarray,
    same_group: np.ndarray,
    animosity: np.ndarray,
    outrage: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-user exposures of one step's feed: ``(h, r, mean animosity read)``.

    Arrays are aligned per feed item (``viewer``, ``same_group`` = the item's original
    author is in the viewer's group, its ``animosity`` and ``outrage``); ``h`` is the
    cooling exposure (all animosity plus ``ω`` × in-group outrage), ``r`` the out-group
    animosity read, both means over the user's items (0 for an empty feed).
    """
    k = np.bincount(viewer, minlength=n).astype(np.float64)
    per = np.maximum(k, 1.0)
    h_item = animosity + cfg.outrage_weight * outrage * same_group
    h = np.bincount(viewer, weights=h_item, minlength=n) / per
    r = np.bincount(viewer, weights=animosity * ~same_group, minlength=n) / per
    mean_animosity = np.bincount(viewer, weights=animosity, minlength=n) / per
    return h, r, mean_animosity


def update_outgroup_warmth(
    cfg: AffectConfig, warmth: np.ndarray, baseline: np.ndarray, exposure: np.ndarray
) -> np.ndarray:
    """W_out − η h + ρ (W_out,0 − W_out), clipped to the thermometer (a new array)."""
    w = warmth - cfg.cooling * exposure + cfg.relax * (baseline - warmth)
    return np.clip(w, 0.0, THERMOMETER)


def update_ingroup_warmth(
    cfg: AffectConfig, warmth: np.ndarray, baseline: np.ndarray, outgroup_animosity: np.ndarray
) -> np.ndarray:
    """W_in + η_in r + ρ (W_in,0 − W_in), clipped to the thermometer (a new array)."""
    w = warmth + cfg.rally * outgroup_animosity + cfg.relax * (baseline - warmth)
    return np.clip(w, 0.0, THERMOMETER)


def anger(
    cfg: AffectConfig, arousal: np.ndarray, mean_outrage: np.ndarray, mean_animosity: np.ndarray
) -> np.ndarray:
    """Reported anger after the session, c_e e + c_o ō + c_a ᾱ clipped to [0, 1]."""
    a = (
        cfg.anger_arousal * arousal
        + cfg.anger_outrage * mean_outrage
        + cfg.anger_animosity * mean_animosity
    )
    return np.clip(a, 0.0, 1.0)
