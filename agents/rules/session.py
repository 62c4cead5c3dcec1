"""Sessions: how far a user scrolls, from a foraging stopping rule (docs/attention.md §Sessions).

With ``dynamics.session.enabled`` the feed is ranked for up to ``ceil(max_factor × k_i)``
items and each user stops scrolling by the marginal value theorem of optimal foraging
(Charnov 1976), as information foraging theory applies it to people reading (Pirolli & Card
1999): a forager leaves a patch when the rate of gain there falls below what its time is
worth elsewhere. Here the patch is the feed, the gain of item ``r`` (0 = top) is

    g_r = v_r + λ_o o_r

(its reflective value ``v_r``, :func:`feedlab.agents.rules.value.item_value`, plus a pull of
arousing content ``λ_o o_r``: high-arousal, outrage-laden content captures attention and is
consumed and shared more, Berger & Milkman 2012; Brady, Gantman & Van Bavel 2020), the
*recent* gain rate is the mean gain of the last ``w`` items read,

    m_r = (g_{r-w+1} + … + g_r) / min(r + 1, w),

and what the user's time is worth rises as the session goes on (satiation, and the rising
opportunity cost of time that boredom signals; Kurzban, Duckworth, Kable & Myers 2013):

    θ_i(r) = θ_i + β r,     θ_i = θ_0 + σ_θ z_i,   z_i ~ N(0, 1) once per user.

User ``i`` reads item ``r`` and then stops when ``r + 1 >= min_items`` and
``m_r < θ_i(r)``; otherwise reads on, up to the end of the ranked feed. The session length
``S_i`` is the number of items read; items past it are not seen (no reactions, no value,
no exposure). Time spent is ``S_i × item_time`` (one unit per item unless ``item_time`` is
set in seconds). All parameters are placeholders without published values (docs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.agents.rules.value import ValueConfig
from feedlab.experiments.schema import field
from feedlab.models.kernels import count_at, njit


@dataclass(frozen=True)
class SessionConfig:
    """Endogenous session length (a foraging stopping rule) and the time an item takes."""

    enabled: bool = field(
        doc="how far each user scrolls is decided by the stopping rule (false: the fixed "
        "feed length k)"
    )
    item_time: float = field(
        gt=0,
        le=3600,
        doc="time one feed item takes; time spent = items seen × item_time (also with "
        "sessions off)",
    )
    max_factor: float = field(
        ge=1, le=10, doc="sessions on: the feed is ranked for ceil(max_factor × k) items at most"
    )
    min_items: int = field(ge=1, le=1000, doc="items every session reads before it can stop")
    memory: int = field(
        ge=1, le=1000, doc="w: the recent gain rate is the mean of the last w items"
    )
    threshold: float = field(ge=-10, le=10, doc="θ0: mean gain rate below which a user stops")
    threshold_sd: float = field(
        ge=0, le=10, doc="σ_θ: sd of the users' personal thresholds (drawn once)"
    )
    boredom: float = field(ge=0, le=10, doc="β: rise of the threshold per item read (satiation)")
    arousal_pull: float = field(
        ge=0,
        le=10,
        doc="λ_o: an item's gain is its value + λ_o × outrage (arousal holds attention)",
    )


def draw_thresholds(cfg: SessionConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """θ_i = θ_0 + σ_θ z_i: each user's personal stopping threshold (one normal per user)."""
    return cfg.threshold + cfg.threshold_sd * rng.standard_normal(n)


def item_gain(cfg: SessionConfig, value: np.ndarray, outrage: np.ndarray) -> np.ndarray:
    """G = v + λ_o o: what an item is worth to the forager while scrolling."""
    return value + cfg.arousal_pull * outrage


@njit(cache=True)
def _feed_gains(quality, agreement, trust, outrage, w, pull, out):  # pragma: no cover
    """:func:`feed_gains` into ``out``."""
    for j in range(out.shape[0]):
        o = outrage[j]
        a01 = (1.0 + agreement[j]) / 2.0
        v = w[0] * quality[j] + w[1] * a01 + w[2] * trust[j] - w[3] * o
        out[j] = v + pull * o


def feed_gains(
    cfg: SessionConfig,
    value_cfg: ValueConfig,
    quality: np.ndarray,
    agreement: np.ndarray,
    trust: np.ndarray,
    outrage: np.ndarray,
) -> np.ndarray:
    """Each ranked item's gain ``G = v + λ_o o`` with ``v`` its reflective value
    (:func:`feedlab.agents.rules.value.item_value` of quality, agreement01 = (1 + A)/2,
    trust and outrage), in one pass: the values of
    ``item_gain(cfg, item_value(value_cfg, quality, (1 + agreement) / 2, trust, outrage),
    outrage)`` bit for bit (the same operations in the same order), without its five
    per-item temporaries.
    """
    out = np.empty(quality.shape[0])
    w = np.array(
        [value_cfg.quality, value_cfg.agreement, value_cfg.tie, value_cfg.regret], np.float64
    )
    _feed_gains(
        np.ascontiguousarray(quality, dtype=np.float64),
        np.ascontiguousarray(agreement, dtype=np.float64),
        np.ascontiguousarray(trust, dtype=np.float64),
        np.ascontiguousarray(outrage, dtype=np.float64),
        w,
        float(cfg.arousal_pull),
        out,
    )
    return out


@njit(cache=True)
def _first_stops(viewer, rank, gain, theta, memory, min_items, boredom, length):  # pragma: no cover
    """:func:`session_lengths`' pass over the ranked items (its docstring), in place on
    ``length`` (each viewer's item count on entry).
    """
    m = gain.shape[0]
    csum = np.empty(m + 1)
    csum[0] = 0.0
    if m:
        csum[1] = gain[0]  # as np.cumsum: sequential, the first sum is the first gain
    for j in range(1, m):
        csum[j + 1] = csum[j] + gain[j]
    stopped = -1  # the viewer of the last stopping item
    for j in range(m):
        v = viewer[j]
        if v == stopped:
            continue  # a later item of a feed that has already stopped
        r = rank[j]
        start = max(j - r, j - memory + 1)  # window start, inside the feed
        recent = (csum[j + 1] - csum[start]) / (j + 1 - start)
        if r + 1 >= min_items and recent < theta[v] + boredom * r:
            length[v] = r + 1
            stopped = v


def session_lengths(
    viewer: np.ndarray,
    rank: np.ndarray,
    gain: np.ndarray,
    theta: np.ndarray,
    cfg: SessionConfig,
    n: int,
) -> np.ndarray:
    """Items read per user (``S_i``) along feeds grouped by viewer in rank order.

    One pass (a Numba kernel): a running sum of the gains gives each item's window mean
    ``m_r`` as a difference of two sums (the window never crosses into the previous
    viewer's feed); the first item of each feed where the user stops sets ``S_i = r + 1``
    and the rest of that feed is skipped; users who never stop read their whole ranked
    feed. Users without items read 0. The arithmetic is the vectorised NumPy form's
    (``np.cumsum``, then the window differences), so the lengths are the same bit for bit.
    """
    length = np.zeros(n, np.int64)
    count_at(viewer, length)  # np.bincount(viewer, minlength=n)
    _first_stops(  # the ids and ranks as they come (int32 or int64: no widened copies)
        np.ascontiguousarray(viewer),
        np.ascontiguousarray(rank),
        np.ascontiguousarray(gain, dtype=np.float64),
        np.ascontiguousarray(theta, dtype=np.float64),
        int(cfg.memory),
        int(cfg.min_items),
        float(cfg.boredom),
        length,
    )
    return length


@njit(cache=True)
def _seen(viewer, rank, length, out):  # pragma: no cover - jitted
    for j in range(viewer.shape[0]):
        out[j] = rank[j] < length[viewer[j]]


def seen_mask(viewer: np.ndarray, rank: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Which ranked items are read: those above each viewer's session length
    (``rank < length[viewer]``, in one pass without the gathered lengths).
    """
    out = np.empty(viewer.shape[0], np.bool_)
    _seen(np.ascontiguousarray(viewer), np.ascontiguousarray(rank), length, out)
    return out
