"""Candidate gathering: which posts can enter each viewer's feed this step.

For viewer ``i`` the candidates are the recent posts (and reshares) written by the
accounts ``i`` follows within the window, plus optional out-of-network items. Gathering
is a two-level CSR gather with no Python loop over users: posts are grouped by author,
each follow edge contributes its followee's post block, and the pairs come out grouped
by viewer (segments ``ptr[i]:ptr[i+1]``).

:class:`Candidates` then offers the per-pair features a ranking policy may use, computed
lazily (``functools.cached_property``) so that a chronological ranker never pays for
engagement predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from agents.population import UserState
    from models.graph import FollowGraph
    from models.posts import PostStore


@dataclass(eq=False)
class Candidates:
    """(viewer, post) pairs of one step, grouped by viewer.

    ``viewers`` are the user ids of the segments (all users, or one experimental arm),
    ``ptr`` the segment pointers, ``slot`` the post slot, ``edge`` the follow edge the item
    came through (``-1`` for out-of-network items).
    """

    viewers: np.ndarray
    ptr: np.ndarray
    slot: np.ndarray
    edge: np.ndarray
    users: UserState
    posts: PostStore
    graph: FollowGraph
    stranger_trust: float
    predictor: object = None  # callable(Candidates) -> (M, 4) predicted probabilities

    @property
    def size(self) -> int:
        return int(self.slot.shape[0])

    @cached_property
    def viewer(self) -> np.ndarray:
        """User id of the viewer of each pair."""
        return np.repeat(self.viewers, np.diff(self.ptr)).astype(np.int32)

    @cached_property
    def author(self) -> np.ndarray:
        """Author of the record (the resharer for a reshare)."""
        return self.posts.author[self.slot]

    @cached_property
    def origin_slot(self) -> np.ndarray:
        """Slot of the original post (the record itself if the original was evicted)."""
        s = self.posts.slot_of(self.posts.origin[self.slot])
        return np.where(s >= 0, s, self.slot)

    @cached_property
    def origin_author(self) -> np.ndarray:
        return self.posts.author[self.origin_slot]

    @cached_property
    def stance(self) -> np.ndarray:
        return self.posts.stance[self.slot]

    @cached_property
    def outrage(self) -> np.ndarray:
        return self.posts.outrage[self.slot]

    @cached_property
    def quality(self) -> np.ndarray:
        return self.posts.quality[self.slot]

    @cached_property
    def time(self) -> np.ndarray:
        return self.posts.time[self.slot]

    @cached_property
    def trust(self) -> np.ndarray:
        """Viewer's trust in the account the item came through."""
        return np.where(
            self.edge >= 0, self.graph.trust[np.maximum(self.edge, 0)], self.stranger_trust
        )

    @cached_property
    def agreement(self) -> np.ndarray:
        """a = 1 - |x_viewer - stance| ∈ [-1, 1] (= 2A - 1 with SPEC's A)."""
        return 1.0 - np.abs(self.users.opinion[self.viewer] - self.stance)

    @cached_property
    def predicted(self) -> np.ndarray:
        """Platform-predicted probabilities (M, 4): like, comment, share, negfb."""
        if self.predictor is None:
            raise RuntimeError("no engagement predictor attached to these candidates")
        return self.predictor(self)  # type: ignore[operator]

    def subset(self, viewer_mask: np.ndarray) -> tuple[Candidates, np.ndarray]:
        """Candidates of the viewers where ``viewer_mask`` (over ``viewers``) is true,
        and the indices of their pairs in this batch (to map selections back)."""
        sizes = np.diff(self.ptr)
        pair_mask = np.repeat(viewer_mask, sizes)
        idx = np.flatnonzero(pair_mask)
        sub_sizes = sizes[viewer_mask]
        ptr = np.zeros(sub_sizes.shape[0] + 1, dtype=np.int64)
        np.cumsum(sub_sizes, out=ptr[1:])
        sub = Candidates(
            viewers=self.viewers[viewer_mask],
            ptr=ptr,
            slot=self.slot[idx],
            edge=self.edge[idx],
            users=self.users,
            posts=self.posts,
            graph=self.graph,
            stranger_trust=self.stranger_trust,
            predictor=self.predictor,
        )
        for name in (
            "author",
            "origin_slot",
            "stance",
            "outrage",
            "quality",
            "time",
            "trust",
            "agreement",
            "predicted",
            "viewer",
            "origin_author",
        ):
            if name in self.__dict__:  # already computed: slice instead of recomputing
                sub.__dict__[name] = self.__dict__[name][idx]
        return sub, idx


def gather(
    graph: FollowGraph,
    posts: PostStore,
    users: UserState,
    t: int,
    window: int,
    stranger_trust: float,
    oon_items: int,
    rng: np.random.Generator,
) -> Candidates:
    """Candidates for every user at step ``t`` (module docstring).

    Out-of-network items (``oon_items`` per viewer) are drawn uniformly from the window's
    posts by non-followed authors other than the viewer; they carry ``edge = -1`` and the
    stranger trust.
    """
    n = graph.n
    recent = posts.recent(t, window)
    authors = posts.author[recent]
    order = np.argsort(authors, kind="stable")
    by_author = recent[order]
    counts = np.bincount(authors, minlength=n)
    author_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=author_ptr[1:])

    per_edge = counts[graph.indices]
    total = int(per_edge.sum())
    edge_rep = np.repeat(np.arange(graph.n_edges, dtype=np.int64), per_edge)
    starts = np.cumsum(per_edge) - per_edge
    offset = np.arange(total, dtype=np.int64) - np.repeat(starts, per_edge)
    slot = by_author[author_ptr[graph.indices[edge_rep]] + offset]
    viewer = graph.src[edge_rep]
    edge = edge_rep

    if oon_items > 0 and recent.size:
        v_oon = np.repeat(np.arange(n, dtype=np.int32), oon_items)
        s_oon = recent[rng.integers(0, recent.size, size=v_oon.size)]
        a_oon = posts.author[s_oon]
        ok = (a_oon != v_oon) & ~graph.has_edges(v_oon, a_oon)
        viewer = np.concatenate([viewer, v_oon[ok]])
        slot = np.concatenate([slot, s_oon[ok]])
        edge = np.concatenate([edge, np.full(int(ok.sum()), -1, np.int64)])
        o = np.argsort(viewer, kind="stable")
        viewer, slot, edge = viewer[o], slot[o], edge[o]

    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(viewer, minlength=n), out=ptr[1:])
    return Candidates(
        viewers=np.arange(n, dtype=np.int32),
        ptr=ptr,
        slot=slot.astype(np.int64),
        edge=edge.astype(np.int64),
        users=users,
        posts=posts,
        graph=graph,
        stranger_trust=stranger_trust,
    )


@dataclass
class Feed:
    """The ranked feed of a step: selected pairs grouped by viewer in rank order."""

    viewer: np.ndarray
    slot: np.ndarray
    edge: np.ndarray
    pair: np.ndarray  # index into the step's Candidates
    rank: np.ndarray  # position in the viewer's feed (0 = top)
    arm: np.ndarray
