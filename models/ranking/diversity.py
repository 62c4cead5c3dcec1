"""Diversity ranking: a share ρ of every feed reserved for cross-cutting items.

An item is *cross-cutting* for viewer ``i`` when its original author's group differs
from ``i``'s group (Bakshy, Messing & Adamic 2015, Science 348:1130 measure exposure the
same way). With feed length ``k_i`` and ``r_i = ⌈ρ·k_i⌉``:

1. the ``min(r_i, #cross-cutting candidates)`` cross-cutting candidates with the highest
   base score take the reserved slots;
2. the remaining slots go to the best of the other candidates (cross-cutting or not) by
   the same base score;

and the feed is shown in descending base score. The base score is predicted engagement,
``w_like·P̂(like) + w_comment·P̂(comment) + w_share·P̂(share)`` (as
:mod:`feedlab.models.ranking.engagement`, from ``Candidates.predicted``), so ρ = 0 is exactly the
engagement ranking and ρ = 1 fills the feed with cross-cutting items while there are any.
Diversity-aware re-ranking of this kind ("slot reservation") is a common intervention in
the bridging and prosocial-ranking proposals (Ovadya & Thorburn 2023; Tang, Weyl et al.
2025).

Both selections are done in one pass per viewer by a Numba kernel (:func:`_diverse_fill`),
with no Python loop over viewers; equal scores are ordered at random as in the shared
top-k (:func:`feedlab.models.kernels.tie_value`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.feed import Candidates
from feedlab.models.kernels import _PREFILTER_RATIO, block_threshold, njit, tie_key, tie_value
from feedlab.models.ranking.base import RANKINGS, RankingPolicy
from feedlab.models.ranking.engagement import EngagementWeights, engagement_score


# C901: a Numba kernel; both buffers are filled in one pass per segment, kept inline for speed
@njit(cache=True)
def _diverse_fill(score, key, cross, ptr, kk, rr, out_ptr, out):  # noqa: C901  # pragma: no cover
    """Per segment ``s``: the best ``rr[s]`` cross-cutting items (buffer A) and the best
    ``kk[s]`` items overall (buffer B); the feed is A plus the best ``kk[s] - |A|`` items
    of B not in A (every item among the best ``kk[s] - |A|`` outside A is in B), merged
    in descending (score, tie value) order, as :func:`feedlab.models.rank_kernels.segmented_topk`
    orders items. An item's tie value is hashed only if it can enter a buffer.
    """
    n = ptr.shape[0] - 1
    kmax = 1
    for s in range(n):
        if kk[s] > kmax:
            kmax = kk[s]
    a_s = np.empty(kmax + 1)
    a_t = np.empty(kmax + 1)
    a_i = np.empty(kmax + 1, dtype=np.int64)
    b_s = np.empty(kmax + 1)
    b_t = np.empty(kmax + 1)
    b_i = np.empty(kmax + 1, dtype=np.int64)
    gmax = np.empty(kmax + 1)
    mmax = 1
    for s in range(n):
        mmax = max(mmax, ptr[s + 1] - ptr[s])
    keep = np.empty(mmax, dtype=np.int64)
    for s in range(n):
        take = kk[s]
        if take == 0:
            continue
        ra = rr[s]
        na = 0
        nb = 0
        a = ptr[s]
        b = ptr[s + 1]
        # thresholds as in the shared top-k: the best `take` items all score >= tau_b;
        # the best `ra` cross-cutting items all score >= tau_a, the smallest of the
        # maxima of `ra` groups of cross-cutting items dealt round-robin (-inf while a
        # group is empty). Survivors are listed without a branch.
        tau_b = -np.inf
        if b - a >= _PREFILTER_RATIO * take:
            tau_b = block_threshold(score, a, b, take)
        tau_a = np.inf
        if ra > 0:
            for g in range(ra):
                gmax[g] = -np.inf
            c = 0
            for j in range(a, b):
                cr = cross[j]
                gmax[c] = max(gmax[c], score[j] if cr else -np.inf)
                c += cr
                c -= ra if c == ra else 0
            for g in range(ra):
                tau_a = min(tau_a, gmax[g])
        w = 0
        for j in range(a, b):
            keep[w] = j
            sc = score[j]
            w += (sc >= tau_b) | (cross[j] & (sc >= tau_a))
        for r in range(w):
            j = keep[r]
            sc = score[j]
            is_cross = ra > 0 and cross[j]
            if (
                nb == take
                and sc < b_s[nb - 1]
                and not (is_cross and (na < ra or sc >= a_s[na - 1]))
            ):
                continue  # below both buffers: no tie value needed
            tb = tie_value(key, j)
            # buffer B: top `take` of all items
            if nb == take:
                last = nb - 1
                better = sc > b_s[last] or (sc == b_s[last] and tb > b_t[last])
                pos = last if better else -1
            else:
                pos = nb
                nb += 1
            if pos >= 0:
                while pos > 0 and (sc > b_s[pos - 1] or (sc == b_s[pos - 1] and tb > b_t[pos - 1])):
                    b_s[pos] = b_s[pos - 1]
                    b_t[pos] = b_t[pos - 1]
                    b_i[pos] = b_i[pos - 1]
                    pos -= 1
                b_s[pos] = sc
                b_t[pos] = tb
                b_i[pos] = j
            # buffer A: top `ra` cross-cutting items
            if is_cross:
                if na == ra:
                    last = na - 1
                    better = sc > a_s[last] or (sc == a_s[last] and tb > a_t[last])
                    pos = last if better else -1
                else:
                    pos = na
                    na += 1
                if pos >= 0:
                    while pos > 0 and (
                        sc > a_s[pos - 1] or (sc == a_s[pos - 1] and tb > a_t[pos - 1])
                    ):
                        a_s[pos] = a_s[pos - 1]
                        a_t[pos] = a_t[pos - 1]
                        a_i[pos] = a_i[pos - 1]
                        pos -= 1
                    a_s[pos] = sc
                    a_t[pos] = tb
                    a_i[pos] = j
        # merge A with the best (take - na) items of B that are not in A
        rest = take - na
        ia = 0
        ib = 0
        o = out_ptr[s]
        used_b = 0
        while ia < na or used_b < rest:
            # next B item not in A
            while ib < nb:
                inA = False
                for q in range(na):
                    if a_i[q] == b_i[ib]:
                        inA = True
                        break
                if not inA:
                    break
                ib += 1
            take_b = used_b < rest and ib < nb
            if take_b and ia < na:
                take_b = b_s[ib] > a_s[ia] or (b_s[ib] == a_s[ia] and b_t[ib] > a_t[ia])
            if take_b:
                out[o] = b_i[ib]
                ib += 1
                used_b += 1
            elif ia >= na:  # cannot happen (B holds enough items outside A); be safe
                break
            else:
                out[o] = a_i[ia]
                ia += 1
            o += 1


@njit(cache=True)
def _cross_cutting(group, viewers, ptr, origin_author, out):  # pragma: no cover - jitted
    """out[m] = the original author of pair m is in another group than its viewer."""
    for s in range(viewers.shape[0]):
        gv = group[viewers[s]]
        for m in range(ptr[s], ptr[s + 1]):
            out[m] = group[origin_author[m]] != gv


def diverse_topk(
    score: np.ndarray,
    cross: np.ndarray,
    ptr: np.ndarray,
    k: np.ndarray,
    reserved: np.ndarray,
    key: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Segmented top-k with ``reserved[s]`` slots for items where ``cross`` is true;
    equal scores ordered at random under ``key`` (:func:`feedlab.models.kernels.tie_key`).

    Returns ``(selected, out_ptr)`` as :func:`feedlab.models.rank_kernels.segmented_topk`: indices into
    the input grouped by segment in descending score, and the segment pointers.
    """
    sizes = np.diff(ptr)
    kk = np.minimum(np.asarray(k, dtype=np.int64), sizes).astype(np.int64)
    rr = np.minimum(np.asarray(reserved, dtype=np.int64), kk).astype(np.int64)
    out_ptr = np.zeros(kk.shape[0] + 1, dtype=np.int64)
    np.cumsum(kk, out=out_ptr[1:])
    out = np.empty(int(out_ptr[-1]), dtype=np.int64)
    _diverse_fill(
        np.ascontiguousarray(score, dtype=np.float64),
        np.uint64(key & 0xFFFFFFFF),
        np.ascontiguousarray(cross, dtype=np.bool_),
        np.ascontiguousarray(ptr, dtype=np.int64),
        kk,
        rr,
        out_ptr,
        out,
    )
    return out, out_ptr


@RANKINGS.register("diversity")
@dataclass(frozen=True)
class DiversityRanking(RankingPolicy):
    """Engagement ranking with ⌈ρk⌉ slots reserved for cross-cutting items."""

    rho: float = field(ge=0, le=1, doc="ρ: share of each feed reserved for cross-cutting items")
    weights: EngagementWeights = field(doc="base score: points per predicted action")

    def reserved(self, k: np.ndarray) -> np.ndarray:
        """⌈ρ·k⌉ per viewer (rounded to 9 decimals first, so 0.3·10 gives 3, not 4)."""
        return np.ceil(np.round(self.rho * np.asarray(k, dtype=np.float64), 9)).astype(np.int64)

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """The base score: predicted engagement."""
        return engagement_score(cand, self.weights)

    def rank(
        self, cand: Candidates, k: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Select each viewer's feed with ``⌈ρ·k⌉`` slots reserved for cross-cutting items
        (module docstring), ranked by predicted engagement.
        """
        cross = buffers.empty(cand.size, np.bool_)
        _cross_cutting(cand.users.group, cand.viewers, cand.ptr, cand.origin_author, cross)
        s = self.score(cand, rng)
        return diverse_topk(s, cross, cand.ptr, k, self.reserved(k), tie_key(rng))
