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

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from feedlab.models import buffers
from feedlab.models.kernels import (
    expand_follow_edges,
    follow_candidate_ptr,
    gather_into,
    origin_slot_table,
    pair_agreement,
    pair_trust,
    segment_ids,
    threaded,
)
from feedlab.models.predictor import ALL_ACTIONS, LIKE, predict_columns
from feedlab.models.rank_kernels import expand_follow_blocks

if TYPE_CHECKING:
    from feedlab.agents.population import UserState
    from feedlab.models.graph import FollowGraph
    from feedlab.models.posts import PostStore


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
    #: per user (all N), the weight of predicted value in the platform's objective, as the
    #: platform's business model publishes it (models/economy/); None = none published
    objective: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of (viewer, candidate) pairs."""
        return int(self.slot.shape[0])

    def _per_pair(self, src: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
        """``src[index]`` (default: the post slots) as a new per-pair array."""
        index = self.slot if index is None else index
        out = buffers.empty(index.shape[0], src.dtype)
        gather_into(src, index, out)
        return out

    @cached_property
    def viewer(self) -> np.ndarray:
        """User id of the viewer of each pair."""
        out = buffers.empty(self.size, np.int32)
        segment_ids(self.viewers.astype(np.int32, copy=False), self.ptr, out)
        return out

    @cached_property
    def author(self) -> np.ndarray:
        """Author of the record (the resharer for a reshare)."""
        return self._per_pair(self.posts.author)

    @cached_property
    def origin_slot(self) -> np.ndarray:
        """Slot of the original post (the record itself if the original was evicted)."""
        p = self.posts
        table = np.empty(p.capacity, np.int64)
        origin_slot_table(p.origin, p.id, p.capacity, table)
        return self._per_pair(table)

    @cached_property
    def origin_author(self) -> np.ndarray:
        """Author of the original post (for a reshare whose original was evicted, the resharer)."""
        return self._per_pair(self.posts.author, self.origin_slot)

    @cached_property
    def post_id(self) -> np.ndarray:
        """Stable id of the record (slots are reused; ids are not)."""
        return self._per_pair(self.posts.id)

    @cached_property
    def stance(self) -> np.ndarray:
        """Stance of each pair's post in [-1, 1] (a reshare carries its original's)."""
        return self._per_pair(self.posts.stance)

    @cached_property
    def outrage(self) -> np.ndarray:
        """Outrage of each pair's post in [0, 1] (a reshare carries its original's)."""
        return self._per_pair(self.posts.outrage)

    @cached_property
    def quality(self) -> np.ndarray:
        """Quality of each pair's post in [0, 1] (a reshare carries its original's)."""
        return self._per_pair(self.posts.quality)

    @cached_property
    def time(self) -> np.ndarray:
        """Step the record was written (for a reshare, when it was reshared)."""
        return self._per_pair(self.posts.time)

    @cached_property
    def political(self) -> np.ndarray:
        """Political flag of the item (reshares carry their original's flag)."""
        return self._per_pair(self.posts.political)

    @cached_property
    def trust(self) -> np.ndarray:
        """Viewer's trust in the account the item came through."""
        out = buffers.empty(self.size)
        pair_trust(self.edge, self.graph.trust, float(self.stranger_trust), out)
        return out

    @cached_property
    def agreement(self) -> np.ndarray:
        """A = 1 - |x_viewer - stance| ∈ [-1, 1] (= 2A - 1 with A = 1 - |Δx|/2, docs/model.md §One step, 4. react)."""
        out = buffers.empty(self.size)
        pair_agreement(self.viewer, self.users.opinion, self.stance, out)
        return out

    def predictions(self, actions: Sequence[int]) -> tuple[np.ndarray, ...]:
        """The platform's predicted probabilities of ``actions`` (0 like, 1 comment,
        2 share, 3 negative feedback), one contiguous array of M values per action.

        Computed on first request, only for the actions not yet known
        (:mod:`feedlab.models.predictor`), and cached: a policy pays only for what it uses, and
        later readers (metrics, tests) see exactly what the policy saw.
        """
        if self.predictor is None:
            raise RuntimeError("no engagement predictor attached to these candidates")
        known = self.__dict__.setdefault("_predicted_cols", {})
        missing = [a for a in dict.fromkeys(actions) if a not in known]
        if missing:
            block = predict_columns(self.predictor, self, missing)
            for j, a in enumerate(missing):
                known[a] = block[j]
        return tuple(known[a] for a in actions)

    @cached_property
    def predicted(self) -> np.ndarray:
        """Platform-predicted probabilities (M, 4): like, comment, share, negfb."""
        return np.stack(self.predictions(ALL_ACTIONS), axis=1)

    @cached_property
    def group_predicted(self) -> np.ndarray:
        """Predicted like-probability of a *typical member* of each group, per post slot.

        A ``(posts.capacity, G)`` array (G = number of groups), filled in the rows of the
        original posts of these candidates (``origin_slot``: a reshare shares its original's
        prediction, so copies of one post cannot win by a lucky draw of prediction noise)
        and NaN elsewhere. The typical member of group ``g`` is the regular
        user closest to the group's mean opinion and susceptibility
        (:func:`typical_members`); the platform's predictor is applied to the pairs
        (typical member of g, post) as if the post came from a stranger (edge ``-1``), so
        the predictor's noise and bias apply exactly as to every other prediction. Used by
        the bridging ranker (approval across groups).
        """
        if self.predictor is None:
            raise RuntimeError("no engagement predictor attached to these candidates")
        reps = typical_members(self.users)
        used = np.zeros(self.posts.capacity, bool)
        used[self.origin_slot] = True  # one prediction per original post, shared by reshares
        slots = np.flatnonzero(used)
        g, u = reps.shape[0], slots.shape[0]
        probe = Candidates(
            viewers=reps,
            ptr=np.arange(g + 1, dtype=np.int64) * u,
            slot=np.tile(slots, g),
            edge=np.full(g * u, -1, np.int64),
            users=self.users,
            posts=self.posts,
            graph=self.graph,
            stranger_trust=self.stranger_trust,
        )
        like = predict_columns(self.predictor, probe, (LIKE,))[0].reshape(g, u)
        out = np.full((self.posts.capacity, g), np.nan)
        out[slots] = like.T
        return out

    def keep_pairs(self, keep: np.ndarray) -> Candidates:
        """The same viewers with only the pairs where ``keep`` (features already computed
        are sliced, as in :meth:`select`).
        """
        kept = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept[1:])
        ptr = kept[self.ptr]  # kept pairs before each segment boundary
        return self.select(np.flatnonzero(keep), self.viewers, ptr)

    def subset(self, viewer_mask: np.ndarray) -> tuple[Candidates, np.ndarray]:
        """Candidates of the viewers where ``viewer_mask`` (over ``viewers``) is true,
        and the indices of their pairs in this batch (to map selections back).
        """
        sizes = np.diff(self.ptr)
        idx = np.flatnonzero(np.repeat(viewer_mask, sizes))
        sub_sizes = sizes[viewer_mask]
        ptr = np.zeros(sub_sizes.shape[0] + 1, dtype=np.int64)
        np.cumsum(sub_sizes, out=ptr[1:])
        return self.select(idx, self.viewers[viewer_mask], ptr), idx

    def select(
        self,
        idx: np.ndarray,
        viewers: np.ndarray,
        ptr: np.ndarray,
        predictions: bool = True,
        slot: np.ndarray | None = None,
        edge: np.ndarray | None = None,
    ) -> Candidates:
        """The pairs ``idx`` of this batch as a batch of their own, grouped as ``viewers``
        and ``ptr`` say (the caller keeps each viewer's pairs together). Features already
        computed here are sliced, not recomputed (the platform's predictions only if
        ``predictions``: a feed's items have no use for them); the others stay lazy, so a
        step's feed (:class:`Feed` ``.items``) computes them for its items only.
        ``slot`` and ``edge``, when given, are ``self.slot[idx]`` and ``self.edge[idx]``
        already gathered (:func:`feedlab.models.kernels.feed_positions`).
        """
        sub = Candidates(
            viewers=viewers,
            ptr=ptr,
            slot=self.slot[idx] if slot is None else slot,
            edge=self.edge[idx] if edge is None else edge,
            users=self.users,
            posts=self.posts,
            graph=self.graph,
            stranger_trust=self.stranger_trust,
            predictor=self.predictor,
            objective=self.objective,
        )
        for name in (
            "author",
            "post_id",
            "origin_slot",
            "stance",
            "outrage",
            "quality",
            "time",
            "political",
            "trust",
            "agreement",
            "viewer",
            "origin_author",
            *(("predicted",) if predictions else ()),
        ):
            if name in self.__dict__:  # already computed: slice instead of recomputing
                sub.__dict__[name] = self.__dict__[name][idx]
        if predictions and "_predicted_cols" in self.__dict__:
            sub.__dict__["_predicted_cols"] = {
                a: col[idx] for a, col in self.__dict__["_predicted_cols"].items()
            }
        if "group_predicted" in self.__dict__:  # per post slot, not per pair: share it
            sub.__dict__["group_predicted"] = self.__dict__["group_predicted"]
        return sub


def typical_members(users: UserState) -> np.ndarray:
    """One user id per non-empty group: its most typical member.

    The member closest to the group's mean in the two viewer traits the platform's
    predictor uses, opinion and outrage susceptibility,

        d_i = |x_i - x̄_g| / sd_g(x) + |s_i - s̄_g| / sd_g(s)

    (a term is dropped where its sd is 0), preferring regular users (role 0) over
    influencers, brands and bots. Ties go to the lowest id. O(N log N), no loop over
    users.
    """
    grp = users.group.astype(np.int64)
    n_groups = int(grp.max()) + 1 if grp.size else 0
    count = np.bincount(grp, minlength=n_groups)
    dist = np.zeros(grp.size)
    for trait in (users.opinion, users.susceptibility):
        mean = np.bincount(grp, weights=trait, minlength=n_groups) / np.maximum(count, 1)
        dev = trait - mean[grp]
        var = np.bincount(grp, weights=dev * dev, minlength=n_groups) / np.maximum(count, 1)
        sd = np.sqrt(var)[grp]
        dist += np.where(sd > 0, np.abs(dev) / np.where(sd > 0, sd, 1.0), 0.0)
    dist += np.where(users.role == 0, 0.0, 1e12)  # roles other than 'user' come last
    order = np.lexsort((np.arange(grp.size), dist, grp))
    first = np.searchsorted(grp[order], np.arange(n_groups))
    return order[first[count > 0]].astype(np.int32)


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

    if oon_items <= 0 or not recent.size:  # in-network only: segments straight from the rows
        ptr = np.empty(n + 1, dtype=np.int64)
        threaded(follow_candidate_ptr)(graph.indptr, graph.indices, counts, ptr)
        # recycled memory (models/buffers.py): at 10⁶ users these are ~20 M pairs each step
        slot = buffers.empty(int(ptr[-1]), np.int64)
        edge = buffers.empty(int(ptr[-1]), np.int64)
        threaded(expand_follow_blocks)(
            graph.indptr,
            graph.indices,
            ptr,
            author_ptr,
            by_author,
            slot,
            edge,
            buffers.empty(graph.n_edges, np.int64),  # scratch: positions, first posts
            buffers.empty(graph.n_edges, np.int64),
        )
    else:
        total = int(counts[graph.indices].sum())
        slot = buffers.empty(total, np.int64)
        viewer: np.ndarray = buffers.empty(total, graph.src.dtype)
        edge = buffers.empty(total, np.int64)
        expand_follow_edges(graph.indices, graph.src, author_ptr, by_author, slot, viewer, edge)
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
        slot=slot.astype(np.int64, copy=False),
        edge=edge.astype(np.int64, copy=False),
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
    #: the feed's pairs as a batch of their own (``Candidates.select``): per-item
    #: features, computed for the shown items only — ``items.quality[m]`` is
    #: ``cand.quality[pair[m]]`` without computing it for every candidate
    items: Candidates
