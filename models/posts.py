"""Posts: a bounded ring buffer of recent posts, as struct-of-arrays.

Post ``id`` (a global counter) lives in slot ``id % capacity`` until ``capacity`` newer
posts overwrite it, so memory is bounded whatever the run length. A reshare is a record
of its own (author = resharer) pointing at the original through ``origin``; reactions to
it are counted on the original while the original is alive. Counters per group (likes and
impressions) feed the bridging ranker and the amplification analyses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

KIND_POST, KIND_RESHARE, KIND_CALLOUT, KIND_EVENT = 0, 1, 2, 3

_FIELDS = {
    "id": (np.int64, -1),
    "author": (np.int32, -1),
    "time": (np.int32, -1),
    "stance": (np.float64, 0.0),
    "outrage": (np.float64, 0.0),
    "quality": (np.float64, 0.0),
    "political": (np.bool_, False),
    "sponsored": (np.bool_, False),
    "disclosed": (np.bool_, False),
    "target": (np.int32, -1),
    "origin": (np.int64, -1),
    "kind": (np.int8, 0),
    "animosity": (np.float64, 0.0),
    "impressions": (np.int32, 0),
    "likes": (np.int32, 0),
    "comments": (np.int32, 0),
    "shares": (np.int32, 0),
    "negfb": (np.int32, 0),
}
COUNTERS = ("impressions", "likes", "comments", "shares", "negfb")


class PostStore:
    """Ring buffer of posts (struct-of-arrays)."""

    # The columns of _FIELDS, one entry per slot; __init__ creates them from _FIELDS
    # (dtype and fill value there), these declarations give their types.
    id: NDArray[np.int64]
    author: NDArray[np.int32]
    time: NDArray[np.int32]
    stance: NDArray[np.float64]
    outrage: NDArray[np.float64]
    quality: NDArray[np.float64]
    political: NDArray[np.bool_]
    sponsored: NDArray[np.bool_]
    disclosed: NDArray[np.bool_]
    target: NDArray[np.int32]
    origin: NDArray[np.int64]
    kind: NDArray[np.int8]
    #: out-group animosity in [0, 1] (dynamics.affect; 0 when affect is off)
    animosity: NDArray[np.float64]
    impressions: NDArray[np.int32]
    likes: NDArray[np.int32]
    comments: NDArray[np.int32]
    shares: NDArray[np.int32]
    negfb: NDArray[np.int32]

    def __init__(self, capacity: int, n_groups: int, window: int = 1):
        self.capacity = int(capacity)
        self.window = int(window)  # candidate window W, to count evictions of live posts
        self.n_groups = int(n_groups)
        self.next_id = 0
        for name, (dt, fill) in _FIELDS.items():
            setattr(self, name, np.full(self.capacity, fill, dtype=dt))
        self.likes_by_group = np.zeros((self.capacity, self.n_groups), np.int32)
        self.impressions_by_group = np.zeros((self.capacity, self.n_groups), np.int32)
        self.overwritten_live = 0  # posts evicted while still inside the window

    def add(self, time: int, author: np.ndarray, **cols: np.ndarray) -> np.ndarray:
        """Append posts written at ``time``; returns their slots. Unset fields get defaults;
        ``origin`` defaults to the post itself.
        """
        m = int(author.shape[0])
        if m == 0:
            return np.zeros(0, np.int64)
        if m > self.capacity:
            raise RuntimeError(
                f"{m} posts in one step exceed the post buffer capacity {self.capacity}; "
                "raise platform.post_capacity"
            )
        ids = self.next_id + np.arange(m, dtype=np.int64)
        slots = ids % self.capacity
        start = self.next_id % self.capacity
        # the same elements as ``slots``; a slice (block copies) unless the ring wraps
        at: slice | np.ndarray = slice(start, start + m) if start + m <= self.capacity else slots
        # posts overwritten while still candidates (written in the last W steps): the
        # buffer is too small for the configured window; reported in summary.json
        live = (self.id[at] >= 0) & (self.time[at] > time - self.window)
        self.overwritten_live += int(live.sum())
        self.next_id += m
        for name, (_dt, fill) in _FIELDS.items():
            getattr(self, name)[at] = fill
        self.likes_by_group[at] = 0
        self.impressions_by_group[at] = 0
        self.id[at] = ids
        self.author[at] = author
        self.time[at] = time
        self.origin[at] = ids
        for name, values in cols.items():
            if name not in _FIELDS or name in COUNTERS or name == "id":
                raise KeyError(f"unknown or read-only post field {name!r}")
            getattr(self, name)[at] = values
        return slots

    def slot_of(self, post_id: np.ndarray) -> np.ndarray:
        """Slots of post ids, or -1 where the post has been evicted."""
        post_id = np.asarray(post_id, dtype=np.int64)
        slot = post_id % self.capacity
        alive = (post_id >= 0) & (self.id[slot] == post_id)
        return np.where(alive, slot, -1)

    def recent(self, t: int, window: int) -> np.ndarray:
        """Slots of live posts written in steps ``t - window + 1 .. t`` (ascending id)."""
        mask = (self.id >= 0) & (self.time > t - window) & (self.time <= t)
        slots = np.flatnonzero(mask)
        return slots[np.argsort(self.id[slots], kind="stable")]
