"""Bridging by matrix factorisation: the Community Notes scorer applied to feed ranking.

Every impression of the last ``window_steps`` steps is a rating ``r_un`` of user ``u`` on
the *original* post ``n`` (reshares rate their original, as the post counters do):

    liked                   → ratings.like    (weight 1)
    negative feedback       → ratings.negfb   (weight 1)
    both                    → (like + negfb)/2 (weight 1)
    neither (seen, ignored) → ratings.view    (weight ratings.view_weight; 0 = not a rating)

and the ratings are modelled as

    r̂_un = μ + i_u + i_n + f_u·f_n        (f ∈ R^dim, dim = 1 by default)

fitted by weighted, regularised least squares with the open Community Notes scorer's
penalty (Wojcik et al. 2022, arXiv:2210.15723; the scorer's matrix factorisation
minimises MSE + λ_f·mean(f²) + λ_i·mean(i²) over each parameter table, λ_f = 0.03 and
λ_i = 5·λ_f). Written as a sum over the R ratings of the window, with U rated users and
P rated posts:

    L = Σ w_un (r_un − r̂_un)² + (R/U)·(λ_i Σ_u i_u² + λ_f Σ_u |f_u|²)
                              + (R/P)·(λ_i Σ_n i_n² + λ_f Σ_n |f_n|²)

(:class:`Ridge`; μ is not penalised, unlike the scorer's). λ_i (``lambda_intercept``) larger than λ_f (``lambda_factor``) makes
approval that a shared viewpoint explains cheaper to put in the factor term f_u·f_n than
in the intercept, so only approval *across* the learned viewpoint axis survives in the
post intercept ``i_n``. The score of a candidate is its original post's intercept ``i_n``
(the same for every viewer). A post with m ratings has its intercept shrunk by about
m/(m + λ_i·R/P): the penalty acts as λ_i·R/P pseudo-ratings of an average post.

**Fit.** Alternating least squares, one exact block minimisation at a time: all posts'
``(i_n, f_n)`` given the users, then all users' ``(i_u, f_u)`` given the posts, then μ
(:func:`als_epoch`). Each entity's block is a ridge regression on ``[1, f_other]`` whose
normal equations (a (dim+1)×(dim+1) system, closed form for dim = 1) are accumulated in
one pass over the ratings (Numba kernel :func:`_solve_block`; no loop over users in
Python). Every block update is an exact minimiser of the convex sub-problem, so L never
increases within a fit (tested). The fit runs ``epochs`` times at the end of every step
(``on_step_end``), warm-started from the previous step's parameters (the scorer's
gradient descent instead runs to convergence); the very first fit starts the user factors
from a fixed hash of the user id (no random stream is used, so the fit is a
deterministic function of the ratings).

**Cold posts.** A post with fewer than ``min_ratings`` ratings in the window — every post
written this step, since its ratings arrive after ranking — has no intercept worth
trusting. It is scored by the platform's prediction of the rating the viewer would give,
relative to the global mean rating:

    score_cold(i, n) = fallback_scale · (like·P̂_i(like) + view·(1 − P̂_i(like)) − μ)

i.e. an intercept on the same rating scale as if the viewer's predicted like were the
consensus (0 = an average post, the prior mean of i_n), discounted by ``fallback_scale``
(0 = every cold post ties at the prior). This lets new posts enter feeds and be rated;
it is viewer-specific, so it carries the platform's partisan predictions (agreement)
into feeds until ratings arrive. Only cold pairs are sent to the predictor.

**Why impressions count.** Community Notes raters say "helpful" and "not helpful"; a feed
gives likes, rare negative feedback and many silent impressions. With likes and negative
feedback alone nearly every rating is a like, μ absorbs them and there is nothing left for
intercepts or factors to explain, so by default an impression without reaction is a
rating of ``view = 0`` with weight 1 (implicit feedback, Hu, Koren & Volinsky 2008);
``ratings.view_weight: 0`` restores the explicit-ratings-only reading (docs/ranking.md).

The policy is stateful: it learns from the reactions of every arm through the extension
hooks (``FeedModel`` appends ``policy.extension()`` to its extensions). Live metrics
(``metrics``): ``mf_ratings`` (ratings in the window), ``mf_factor_opinion_corr`` (|Pearson
r| of the first user factor with the users' opinions, over users with ratings — the sign
of a factor is arbitrary), ``mf_candidate_share`` (share of the last ranked candidates
scored by an intercept rather than the fallback) and ``mf_feed_share`` (the same share of
the arm's impressions); with several arms the names carry the arm suffix ``__<arm>``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models.extension import Extension
from feedlab.models.feed import Candidates
from feedlab.models.kernels import njit
from feedlab.models.ranking.base import RANKINGS, ScoredPolicy

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel, StepContext

ARM_SEP = "__"  # as feedlab.analysis.live.ARM_SEP: per-arm columns are <metric>__<arm>


# ------------------------------------------------------------------------ kernels
# Ratings are (user id, post id, reaction code) with code 0 silent, 1 like, 2 negfb,
# 3 both; a rating's value and weight are looked up in the tables r_of[code], w_of[code]
# (so no per-rating float arrays are built). Posts are indexed by ``post id − post_off``.


# C901: a Numba kernel; the accumulation pass and the per-entity solves stay inline for speed
@njit(cache=True)
def _solve_block(  # noqa: C901
    self_id,
    self_off,
    other_id,
    other_off,
    code,
    r_of,
    w_of,
    mu,
    i_other,
    f_other,
    lam_i,
    lam_f,
    i_out,
    f_out,
):  # pragma: no cover - jitted
    """Exact ridge update of every entity of one side (users, or posts).

    For entity e,

        (i_e, f_e) = argmin Σ_{k: e_k = e} w_k (y_k − i_e − f_e·g_k)² + λ_i i_e² + λ_f |f_e|²

    with y_k = r_k − μ − i_other[o_k], g_k = f_other[o_k]: normal equations accumulated in
    one pass over the ratings, then a (dim+1)² Cholesky solve per entity. Entities with
    no rating get 0 (the regulariser's minimum).
    """
    n_self = i_out.shape[0]
    d = f_other.shape[1]
    if d == 1:  # the default: 2×2 systems in closed form, five sums per entity
        acc = np.zeros((n_self, 5))  # Σw, Σwg, Σwg², Σwy, Σwyg
        for k in range(code.shape[0]):
            c0 = code[k]
            wk = w_of[c0]
            if wk == 0.0:
                continue
            e = self_id[k] - self_off
            o = other_id[k] - other_off
            y = r_of[c0] - mu - i_other[o]
            g = f_other[o, 0]
            wg = wk * g
            acc[e, 0] += wk
            acc[e, 1] += wg
            acc[e, 2] += wg * g
            acc[e, 3] += wk * y
            acc[e, 4] += wg * y
        for e in range(n_self):
            a00 = acc[e, 0] + lam_i
            a01 = acc[e, 1]
            a11 = acc[e, 2] + lam_f
            det = a00 * a11 - a01 * a01
            i_out[e] = (a11 * acc[e, 3] - a01 * acc[e, 4]) / det
            f_out[e, 0] = (a00 * acc[e, 4] - a01 * acc[e, 3]) / det
        return
    dd = d + 1
    a_mat = np.zeros((n_self, dd, dd))
    b_vec = np.zeros((n_self, dd))
    for k in range(code.shape[0]):
        c0 = code[k]
        wk = w_of[c0]
        if wk == 0.0:
            continue
        e = self_id[k] - self_off
        o = other_id[k] - other_off
        y = r_of[c0] - mu - i_other[o]
        a_mat[e, 0, 0] += wk
        b_vec[e, 0] += wk * y
        for a in range(d):
            ga = wk * f_other[o, a]
            a_mat[e, 0, a + 1] += ga
            b_vec[e, a + 1] += ga * y
            for c in range(a, d):
                a_mat[e, a + 1, c + 1] += ga * f_other[o, c]
    low = np.zeros((dd, dd))
    z = np.zeros(dd)
    for e in range(n_self):
        m = a_mat[e]
        m[0, 0] += lam_i
        for a in range(1, dd):
            m[a, a] += lam_f
        for a in range(dd):  # Cholesky of the symmetric matrix (upper triangle filled)
            s = m[a, a]
            for c in range(a):
                s -= low[a, c] * low[a, c]
            low[a, a] = math.sqrt(s)
            for c2 in range(a + 1, dd):
                s2 = m[a, c2]
                for c in range(a):
                    s2 -= low[c2, c] * low[a, c]
                low[c2, a] = s2 / low[a, a]
        for a in range(dd):  # L z = b
            s = b_vec[e, a]
            for c in range(a):
                s -= low[a, c] * z[c]
            z[a] = s / low[a, a]
        for a in range(dd - 1, -1, -1):  # Lᵀ x = z (x overwrites z)
            s = z[a]
            for c in range(a + 1, dd):
                s -= low[c, a] * z[c]
            z[a] = s / low[a, a]
        i_out[e] = z[0]
        for a in range(d):
            f_out[e, a] = z[a + 1]


@njit(cache=True)
def _residual_sums(
    user, post, post_off, code, r_of, w_of, mu, iu, fu, ip, fp
):  # pragma: no cover - jitted
    """(Σ w (r − r̂), Σ w (r − r̂)²) over the ratings, r̂ = μ + i_u + i_n + f_u·f_n."""
    d = fu.shape[1]
    s1 = 0.0
    s2 = 0.0
    for k in range(code.shape[0]):
        wk = w_of[code[k]]
        if wk == 0.0:
            continue
        u = user[k]
        n = post[k] - post_off
        pred = mu + iu[u] + ip[n]
        for a in range(d):
            pred += fu[u, a] * fp[n, a]
        e = r_of[code[k]] - pred
        s1 += wk * e
        s2 += wk * e * e
    return s1, s2


@njit(cache=True)
def _count(user, post, post_off, code, w_of, user_count, post_count):  # pragma: no cover
    """Ratings (weight > 0) per user and per post, in place; returns (R, Σ w)."""
    n = 0
    sw = 0.0
    for k in range(code.shape[0]):
        wk = w_of[code[k]]
        if wk > 0.0:
            user_count[user[k]] += 1
            post_count[post[k] - post_off] += 1
            n += 1
            sw += wk
    return n, sw


@njit(cache=True)
def _order_by_key(key, n_keys):  # pragma: no cover - jitted
    """Stable counting sort: the permutation that orders ``key`` (values in [0, n_keys))."""
    start = np.zeros(n_keys + 1, np.int64)
    for k in range(key.shape[0]):
        start[key[k] + 1] += 1
    for j in range(n_keys):
        start[j + 1] += start[j]
    out = np.empty(key.shape[0], np.int64)
    for k in range(key.shape[0]):
        out[start[key[k]]] = k
        start[key[k]] += 1
    return out


# ------------------------------------------------------------------------ the fit
class RatingData(NamedTuple):
    """Ratings of one fit: user ids, post ids (indexed from ``lo``), reaction codes, and
    the value and weight of each code.
    """

    user: np.ndarray
    post: np.ndarray
    lo: int
    code: np.ndarray
    r_of: np.ndarray
    w_of: np.ndarray


@dataclass
class MFParams:
    """Fitted parameters: μ, users (i_u, f_u) by user id, posts (i_n, f_n) by post id − lo."""

    mu: float
    iu: np.ndarray
    fu: np.ndarray
    ip: np.ndarray
    fp: np.ndarray


@dataclass(frozen=True)
class Ridge:
    """Ridge weights of the sum-form loss per side: intercept and factor, users and posts."""

    user_intercept: float
    user_factor: float
    post_intercept: float
    post_factor: float

    @classmethod
    def from_mean_form(
        cls,
        lambda_intercept: float,
        lambda_factor: float,
        n_ratings: int,
        n_users: int,
        n_posts: int,
    ) -> Ridge:
        """The scorer's mean-form penalty ``λ·mean(θ²)`` on a loss that is the mean squared
        error, written as a sum over ratings: ``λ · R/E · Σθ²`` for a side with E rated
        entities (R ratings).
        """
        ru = n_ratings / max(n_users, 1)
        rp = n_ratings / max(n_posts, 1)
        return cls(
            lambda_intercept * ru, lambda_factor * ru, lambda_intercept * rp, lambda_factor * rp
        )


def rating_counts(
    data: RatingData, n_users: int, n_posts: int
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """(ratings per user, ratings per post index, R, Σ w), zero-weight ratings excluded."""
    uc = np.zeros(n_users, np.int64)
    pc = np.zeros(n_posts, np.int64)
    n, sw = _count(data.user, data.post, data.lo, data.code, data.w_of, uc, pc)
    return uc, pc, int(n), float(sw)


def regularised_loss(data: RatingData, p: MFParams, lam: Ridge) -> float:
    """L of the module docstring."""
    d = data
    _, s2 = _residual_sums(
        d.user, d.post, d.lo, d.code, d.r_of, d.w_of, p.mu, p.iu, p.fu, p.ip, p.fp
    )
    return (
        float(s2)
        + lam.user_intercept * float(np.dot(p.iu, p.iu))
        + lam.user_factor * float(np.sum(p.fu * p.fu))
        + lam.post_intercept * float(np.dot(p.ip, p.ip))
        + lam.post_factor * float(np.sum(p.fp * p.fp))
    )


def als_epoch(data: RatingData, p: MFParams, lam: Ridge, sum_w: float) -> None:
    """One epoch of alternating least squares, in place: all posts given the users, all
    users given the posts, then μ — each an exact block minimisation of L, so L does not
    increase. μ needs no pass over the ratings: after the users' update the first normal
    equation of each user, Σ_k w_k e_k = λ_iu·i_u, sums to Σ w e = λ_iu·Σ_u i_u, so the
    exact update is μ ← μ + λ_iu·Σ_u i_u / Σ w.
    """
    d = data
    _solve_block(
        d.post, d.lo, d.user, 0, d.code, d.r_of, d.w_of, p.mu, p.iu, p.fu,
        lam.post_intercept, lam.post_factor, p.ip, p.fp,
    )  # fmt: skip
    _solve_block(
        d.user, 0, d.post, d.lo, d.code, d.r_of, d.w_of, p.mu, p.ip, p.fp,
        lam.user_intercept, lam.user_factor, p.iu, p.fu,
    )  # fmt: skip
    if sum_w > 0:
        p.mu += lam.user_intercept * float(p.iu.sum()) / sum_w


def hash_init(n: int, dim: int, scale: float = 0.1) -> np.ndarray:
    """Deterministic pseudo-random starting factors in [−scale, scale] from a splitmix64
    hash of (user id, dimension): no random stream is consumed, so the fit depends on the
    ratings only.
    """
    x = np.arange(n * dim, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    u = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return (scale * (2.0 * u - 1.0)).reshape(n, dim)


class RatingBuffer:
    """The rating window as compact growable arrays (user int32, post id int64, code
    int8) plus the start offset of each step's block; dropping old steps moves a start
    pointer, and live data is moved to the front only when the arrays are full. Each
    step's block is sorted by post id (stable counting sort), so the posts' pass of the
    fit reads and writes memory in order.
    """

    def __init__(self) -> None:
        self.user = np.zeros(0, np.int32)
        self.post = np.zeros(0, np.int64)
        self.code = np.zeros(0, np.int8)
        self.start = 0
        self.end = 0
        self.steps: list[tuple[int, int]] = []  # (t, start index of its block)

    def __len__(self) -> int:
        return self.end - self.start

    def append(self, t: int, user: np.ndarray, post: np.ndarray, code: np.ndarray) -> None:
        """Add step ``t``'s ratings as one block sorted by post id.

        Grows the arrays by half again (compacting the live window to the front) only when
        the block does not fit after ``end``; otherwise appending is a copy into place.
        """
        m = int(code.shape[0])
        if m == 0:
            return
        lo = int(post.min())
        order = _order_by_key(post - lo, int(post.max()) - lo + 1)
        if self.end + m > self.code.shape[0]:
            live = self.end - self.start
            cap = max(self.code.shape[0], (3 * (live + m)) // 2)
            for name in ("user", "post", "code"):
                old = getattr(self, name)
                new = np.empty(cap, old.dtype) if cap != old.shape[0] else old
                new[:live] = old[self.start : self.end]
                setattr(self, name, new)
            self.steps = [(s, i - self.start) for s, i in self.steps]
            self.start, self.end = 0, live
        sl = slice(self.end, self.end + m)
        self.user[sl] = user[order]
        self.post[sl] = post[order]
        self.code[sl] = code[order]
        self.steps.append((t, self.end))
        self.end += m

    def drop_before(self, t_min: int) -> None:
        """Forget the blocks of steps before ``t_min``."""
        keep = [(s, i) for s, i in self.steps if s >= t_min]
        self.start = keep[0][1] if keep else self.end
        self.steps = keep

    def view(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The live window's ``(user, post, code)`` arrays, as views without copying."""
        sl = slice(self.start, self.end)
        return self.user[sl], self.post[sl], self.code[sl]


# ------------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class MFRatings:
    """What an impression is worth as a rating (module docstring)."""

    like: float = field(doc="rating of a liked impression (approval)")
    negfb: float = field(doc="rating of an impression with negative feedback")
    view: float = field(doc="rating of an impression with neither like nor negative feedback")
    view_weight: float = field(ge=0, doc="weight of such a silent impression (0 = not a rating)")

    def __post_init__(self) -> None:
        if not self.like > max(self.negfb, self.view):
            raise ValueError(
                f"like: {self.like!r} must exceed negfb ({self.negfb!r}) and view "
                f"({self.view!r}); allowed: like > max(negfb, view) (a like is approval)"
            )

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """(rating, weight) by reaction code 0 silent, 1 like, 2 negfb, 3 both."""
        r = np.array([self.view, self.like, self.negfb, 0.5 * (self.like + self.negfb)])
        w = np.array([self.view_weight, 1.0, 1.0, 1.0])
        return r, w


class MFState(Extension):
    """The mutable side of a :class:`BridgingMFRanking`: the rating window, the fitted
    parameters and the intercept table; also the extension that feeds them (hooks
    ``setup``, ``on_feed``, ``on_step_end``, ``metrics``).
    """

    def __init__(self) -> None:
        self.policy: BridgingMFRanking | None = None
        self.reset()

    def reset(self) -> None:
        """Empty rating window, no fitted parameters or intercept table (every post cold)."""
        self.buffer = RatingBuffer()
        self.params: MFParams | None = None
        self.lo = 0  # post arrays (params, counts, table) are indexed by post id − lo
        self.post_count = np.zeros(0, np.int64)
        self.user_count = np.zeros(0, np.int64)
        self.table = np.zeros(0)  # intercept by post id − lo; NaN = no MF score
        self.n_ratings = 0
        self.arm = 0
        self.suffix = ""
        self.candidate_share = float("nan")
        self.feed_share = float("nan")

    # ---------------------------------------------------------------- extension hooks
    def setup(self, model: FeedModel) -> None:
        """Fresh state for a new model; find this policy's arm (for metric names)."""
        self.reset()
        for a, pol in enumerate(model.policies):
            if getattr(pol, "state", None) is self:
                self.arm = a
                if len(model.policies) > 1:
                    self.suffix = f"{ARM_SEP}{model.arm_names[a]}"

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Append this step's impressions of every arm as ratings of the original posts."""
        f = ctx.feed
        post_id = model.posts.id[f.items.origin_slot].astype(np.int64)
        mine = f.arm == self.arm
        if mine.any():
            self.feed_share = float(np.isfinite(self.lookup(post_id[mine])).mean())
        code = ctx.reactions[:, 0].astype(np.int8) + 2 * ctx.reactions[:, 3].astype(np.int8)
        self.add(t, f.viewer, post_id, code)

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """Forget ratings older than the window, refit, rebuild the intercept table."""
        pol = self.policy
        assert pol is not None
        self.buffer.drop_before(t - pol.window_steps + 1)
        self.fit(model.n)

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """Live metrics of the fit, suffixed by the arm name in multi-arm runs.

        ``mf_ratings`` (ratings in the window), ``mf_factor_opinion_corr`` (|Pearson r| of
        the users' first factor with their opinion: how well the factor recovers the divide),
        ``mf_candidate_share`` and ``mf_feed_share`` (share of the candidates, and of the
        shown items, that had an MF intercept rather than the cold-start fallback).
        """
        s = self.suffix
        return {
            f"mf_ratings{s}": float(self.n_ratings),
            f"mf_factor_opinion_corr{s}": self.factor_opinion_corr(model.users.opinion),
            f"mf_candidate_share{s}": self.candidate_share,
            f"mf_feed_share{s}": self.feed_share,
        }

    # ---------------------------------------------------------------- fit and lookup
    def add(self, t: int, user: np.ndarray, post_id: np.ndarray, code: np.ndarray) -> None:
        """Ratings of step ``t``: user ids, original post ids, reaction codes (0 silent,
        1 like, 2 negative feedback, 3 both).
        """
        self.buffer.append(
            t, np.asarray(user, np.int32), np.asarray(post_id, np.int64), np.asarray(code, np.int8)
        )

    def data(self) -> RatingData:
        """The window's ratings with this policy's rating values and weights."""
        pol = self.policy
        assert pol is not None
        user, post, code = self.buffer.view()
        r_of, w_of = pol.ratings.table()
        lo = int(post.min()) if post.size else 0
        return RatingData(user, post, lo, code, r_of, w_of)

    def fit(self, n_users: int) -> None:
        """``epochs`` of ALS on the window's ratings, warm-started (module docstring)."""
        pol = self.policy
        assert pol is not None
        data = self.data()
        span = int(data.post.max()) - data.lo + 1 if data.post.size else 0
        uc, pc, n, sw = rating_counts(data, n_users, span)
        self.n_ratings = n
        if n == 0:
            self.params, self.table = None, np.zeros(0)
            return
        p = self._warm_start(n_users, data.lo, span)
        lam = Ridge.from_mean_form(
            pol.lambda_intercept,
            pol.lambda_factor,
            n,
            int(np.count_nonzero(uc)),
            int(np.count_nonzero(pc)),
        )
        for _ in range(pol.epochs):
            als_epoch(data, p, lam, sw)
        self.params, self.lo = p, data.lo
        self.user_count, self.post_count = uc, pc
        self.table = np.where(pc >= pol.min_ratings, p.ip, np.nan)

    def _warm_start(self, n_users: int, lo: int, span: int) -> MFParams:
        """Last fit's parameters for the users and for the posts still rated; the first
        fit starts from :func:`hash_init` user factors and zeros.
        """
        pol = self.policy
        assert pol is not None
        old = self.params
        ip = np.zeros(span)
        fp = np.zeros((span, pol.dim))
        if old is None or old.iu.size != n_users:
            return MFParams(0.0, np.zeros(n_users), hash_init(n_users, pol.dim), ip, fp)
        a, b = max(lo, self.lo), min(lo + span, self.lo + old.ip.size)  # overlap of ids
        if b > a:
            ip[a - lo : b - lo] = old.ip[a - self.lo : b - self.lo]
            fp[a - lo : b - lo] = old.fp[a - self.lo : b - self.lo]
        return MFParams(old.mu, old.iu, old.fu, ip, fp)

    def lookup(self, post_id: np.ndarray) -> np.ndarray:
        """The intercept of each post id, NaN where the post has no MF score."""
        return self._by_id(self.table, post_id)

    def intercept_of(self, post_id: np.ndarray) -> np.ndarray:
        """Fitted i_n of post ids regardless of ``min_ratings`` (NaN if not rated)."""
        if self.params is None:
            return np.full(np.shape(post_id), np.nan)
        rated = np.where(self.post_count > 0, self.params.ip, np.nan)
        return self._by_id(rated, post_id)

    def _by_id(self, values: np.ndarray, post_id: np.ndarray) -> np.ndarray:
        idx = np.asarray(post_id, np.int64) - self.lo
        ok = (idx >= 0) & (idx < values.size) & (np.asarray(post_id) >= 0)
        out = np.full(idx.shape, np.nan)
        out[ok] = values[idx[ok]]
        return out

    def factor_opinion_corr(self, opinion: np.ndarray) -> float:
        """|Pearson r| of the first user factor with opinion, over users with ratings."""
        if self.params is None or self.user_count.size != opinion.size:
            return float("nan")
        has = self.user_count > 0
        f = self.params.fu[has, 0]
        x = opinion[has]
        if f.size < 3 or f.std() == 0 or x.std() == 0:
            return float("nan")
        return float(abs(np.corrcoef(f, x)[0, 1]))


# ------------------------------------------------------------------------ the policy
@RANKINGS.register("bridging_mf")
@dataclass(frozen=True)
class BridgingMFRanking(ScoredPolicy):
    """Rank by the post intercept of a matrix factorisation of ratings (module docstring)."""

    dim: int = field(ge=1, le=8, doc="dimension of the factors f_u, f_n")
    window_steps: int = field(ge=1, doc="steps of ratings kept for the fit")
    epochs: int = field(ge=1, le=100, doc="ALS epochs per step (warm-started)")
    lambda_intercept: float = field(gt=0, doc="λ_i: ridge on intercepts i_u, i_n")
    lambda_factor: float = field(gt=0, doc="λ_f: ridge on factors f_u, f_n")
    ratings: MFRatings = field(doc="rating value and weight of each kind of impression")
    min_ratings: int = field(ge=1, doc="ratings a post needs for its intercept to be used")
    fallback_scale: float = field(ge=0, doc="weight of the predicted rating of cold posts")
    state: MFState = dataclasses.field(
        default_factory=MFState, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.state.policy = self

    def extension(self) -> MFState:
        """The hooks that feed this policy's ratings and fit (models/extension.py)."""
        return self.state

    def score(self, cand: Candidates, rng: np.random.Generator) -> np.ndarray:
        """Each pair's score is its original post's fitted intercept ``i_n`` (the bridging
        part of the rating, module docstring).

        Posts with too few ratings (cold) get the fallback instead: ``fallback_scale`` times
        the predicted rating ``like·P̂(like) + view·(1 − P̂(like))`` minus the global mean
        ``μ``, so a cold post sits on the same scale as the intercepts. Also records the share
        of candidates that had an intercept (``mf_candidate_share``).
        """
        st = self.state
        per_slot = st.lookup(cand.posts.id)
        s = per_slot[cand.origin_slot]
        cold = np.isnan(s)
        if cold.any():
            like = self._predicted_like(cand, cold)
            r = self.ratings
            mu = st.params.mu if st.params is not None else 0.0
            s[cold] = self.fallback_scale * (r.like * like + r.view * (1.0 - like) - mu)
        st.candidate_share = float(1.0 - cold.mean()) if cand.size else float("nan")
        return s

    @staticmethod
    def _predicted_like(cand: Candidates, cold: np.ndarray) -> np.ndarray:
        """P̂(like) of the cold pairs: only those go to the predictor (predictions the
        batch already holds are sliced by ``keep_pairs``).
        """
        if cold.all():
            return cand.predictions((0,))[0]
        return cand.keep_pairs(cold).predictions((0,))[0]
