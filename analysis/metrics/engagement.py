"""Engagement and value metrics: engagement rate and its scaling with audience size,
algorithmic amplification, outrage amplification, the engagement–value gap and the
comment/like ratio.

Pure functions on NumPy arrays (see :mod:`feedlab.analysis.metrics.polarisation` for the shared
conventions). Element-wise functions return a Python ``float`` for scalar inputs and a
float64 array otherwise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "OutrageSplit",
    "amplification_ratio",
    "comment_like_ratio",
    "engagement_rate",
    "engagement_rate_scaling",
    "engagement_value_gap",
    "huszar_amplification",
    "outrage_amplification",
    "outrage_split",
    "outrage_split_counts",
    "unique_reach",
]

NAN = float("nan")


def _out(a: NDArray[np.float64]) -> float | NDArray[np.float64]:
    return float(a) if a.ndim == 0 else a


def _safe_div(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    """``num / den`` with ``nan`` wherever ``den == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0.0, num / np.where(den != 0.0, den, 1.0), np.nan)


def _vec(a: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


# ------------------------------------------------------------------- engagement rate
def engagement_rate(
    likes: ArrayLike, comments: ArrayLike, posts: ArrayLike, followers: ArrayLike
) -> float | NDArray[np.float64]:
    r"""Industry engagement rate per account.

    .. math:: ER = \frac{(\text{likes} + \text{comments}) / \text{posts}}{\text{followers}}

    i.e. interactions per post divided by audience size, with ``likes`` and
    ``comments`` totals over the same window as ``posts``.

    Parameters
    ----------
    likes, comments, posts, followers : array_like
        Per-account totals (broadcastable shapes).

    Returns
    -------
    float or ndarray
        Engagement rate per account (a fraction; multiply by 100 for %).

    Notes
    -----
    * Range ``[0, ∞)``; bought followers lower it, bought comments raise it.
    * Edge cases: ``posts == 0`` or ``followers == 0`` → ``nan`` for that account.
    * NaN: propagates element-wise.
    * Raises ``ValueError`` for shapes that do not broadcast.

    References
    ----------
    Industry definition used by influencer rankings, e.g. Dutch brand rankings (no
    peer-reviewed source; see docs/validation.md §References, "Trust and influencers").
    """
    lk, cm, po, fo = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (likes, comments, posts, followers))
    )
    den = po * fo
    out = _safe_div(lk + cm, den)
    out = np.where((po == 0.0) | (fo == 0.0), np.nan, out)
    return _out(out)


def engagement_rate_scaling(
    followers: ArrayLike, rate: ArrayLike, level: float = 0.95
) -> tuple[float, float, float, int]:
    r"""Log–log scaling of engagement rate with audience size.

    OLS fit of :math:`\log_{10} ER = c + \beta \log_{10} F` over the accounts whose
    follower count ``F`` and rate ``ER`` are both finite and ``> 0``, with a two-sided
    ``level`` t-interval :math:`\hat\beta \pm t_{n-2}\, s/\sqrt{S_{xx}}`.

    Parameters
    ----------
    followers, rate : array_like, shape (A,)
        Audience size and engagement rate per account.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    slope, ci_low, ci_high : float
        :math:`\hat\beta` and its confidence interval. Stylized fact 5 expects
        :math:`\beta < 0`.
    n : int
        Number of accounts used.

    Notes
    -----
    * ``slope`` is ``nan`` when fewer than 2 usable accounts or all have the same
      follower count; the interval is ``nan`` when fewer than 3 (no residual degrees
      of freedom). A perfect fit gives a zero-width interval.
    * NaN: non-finite and non-positive entries are ignored.
    * Raises ``ValueError`` when the arrays differ in length.

    References
    ----------
    Industry engagement rate (docs/validation.md §References, "Trust and influencers": larger accounts
    have lower engagement rates). Ordinary least squares with a Student-t interval on
    the slope (any regression text).
    """
    f = _vec(followers, "followers")
    r = _vec(rate, "rate")
    if f.size != r.size:
        raise ValueError(f"followers and rate differ in length ({f.size} vs {r.size})")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    keep = np.isfinite(f) & np.isfinite(r) & (f > 0) & (r > 0)
    n = int(np.count_nonzero(keep))
    if n < 2:
        return NAN, NAN, NAN, n
    lx, ly = np.log10(f[keep]), np.log10(r[keep])
    xc = lx - lx.mean()
    sxx = float(xc @ xc)
    if sxx <= 1e-24 * max(1.0, float(np.abs(lx).max()) ** 2):
        return NAN, NAN, NAN, n
    yc = ly - ly.mean()
    slope = float(xc @ yc) / sxx
    if n < 3:
        return slope, NAN, NAN, n
    resid = yc - slope * xc
    s2 = float(resid @ resid) / (n - 2)
    from scipy import stats  # here, not at import: ~0.7 s

    half = float(stats.t.ppf(0.5 + level / 2.0, n - 2)) * math.sqrt(s2 / sxx)
    return slope, slope - half, slope + half, n


# ---------------------------------------------------------------------- amplification
def unique_reach(viewers: ArrayLike, mask: ArrayLike | None = None) -> int:
    r"""Reach: number of distinct users with at least one impression.

    Parameters
    ----------
    viewers : array_like, shape (M,)
        Viewer id of each impression.
    mask : array_like of bool, shape (M,), optional
        Select the impressions of a set of items (e.g. posts of one author or party).

    Returns
    -------
    int
        :math:`|\{viewer(m) : mask_m\}|`; 0 for no impressions. ``O(M log M)``.

    References
    ----------
    Huszár, F. et al. (2022). Algorithmic amplification of politics on Twitter. *PNAS*
    119(1), e2025334119 (reach = users with at least one impression of the set).
    """
    v = np.asarray(viewers).ravel()
    if mask is not None:
        m = np.asarray(mask, dtype=bool).ravel()
        if m.size != v.size:
            raise ValueError(f"mask length {m.size} differs from viewers length {v.size}")
        v = v[m]
    return int(np.unique(v).size)


def amplification_ratio(
    reach_treatment: ArrayLike,
    reach_control: ArrayLike,
    n_treatment: float | None = None,
    n_control: float | None = None,
    smoothing: float = 0.0,
) -> float | NDArray[np.float64]:
    r"""Algorithmic amplification ratio of a set of items (Huszár et al. 2022).

    With ``R_T`` and ``R_C`` the reach of the set (users with ≥ 1 impression, see
    :func:`unique_reach`) in the treatment arm (algorithmic ranking) and the control arm
    (reverse-chronological feed), of sizes ``N_T`` and ``N_C``:

    .. math:: AR = \frac{R_T + s}{R_C \cdot N_T / N_C + s}

    which for ``s = 0`` is the ratio of per-user reach,
    :math:`(R_T/N_T)\,/\,(R_C/N_C)`. Huszár et al. use ``s = 1`` and report
    ``100 (AR - 1)`` % (their treatment arm was 4× the control, ``N_T/N_C = 4``).

    Parameters
    ----------
    reach_treatment, reach_control : array_like
        Reach in each arm (scalars, or one entry per item set).
    n_treatment, n_control : float, optional
        Arm sizes (number of users). If both are None the reaches are taken as already
        normalised (``N_T/N_C = 1``). Give both or neither.
    smoothing : float, default 0.0
        Pseudo-count ``s`` (Huszár et al.: 1).

    Returns
    -------
    float or ndarray
        ``AR``: 1 = no amplification, > 1 amplified, < 1 suppressed.

    Notes
    -----
    * Range ``[0, ∞)``.
    * Edge cases: denominator 0 (control reach 0 with ``s = 0``) or an arm size 0 →
      ``nan``.
    * NaN: propagates element-wise.

    References
    ----------
    Huszár, F., Ktena, S. I., O'Brien, C., Belli, L., Schlaikjer, A. & Hardt, M. (2022).
    Algorithmic amplification of politics on Twitter. *PNAS* 119(1), e2025334119.
    """
    if (n_treatment is None) != (n_control is None):
        raise ValueError("give both n_treatment and n_control, or neither")
    rt = np.asarray(reach_treatment, dtype=np.float64)
    rc = np.asarray(reach_control, dtype=np.float64)
    rt, rc = np.broadcast_arrays(rt, rc)
    if n_treatment is None or n_control is None:
        arm_ratio = 1.0
    else:
        nt, nc = float(n_treatment), float(n_control)
        if nt <= 0.0 or nc <= 0.0 or not (np.isfinite(nt) and np.isfinite(nc)):
            return _out(np.full(rt.shape, np.nan))
        arm_ratio = nt / nc
    return _out(_safe_div(rt + smoothing, rc * arm_ratio + smoothing))


def outrage_amplification(
    impression_outrage: ArrayLike, post_outrage: ArrayLike, threshold: float = 0.6
) -> float:
    r"""Outrage amplification: over-representation of high-outrage items in feeds.

    .. math::

        OA = \frac{\frac1M\#\{m : o_m \ge \theta\}}{\frac1P\#\{p : o_p \ge \theta\}}

    the share of high-outrage items among the ``M`` feed impressions divided by their
    share among the ``P`` posts available (created) in the same period.

    Parameters
    ----------
    impression_outrage : array_like, shape (M,)
        Outrage ``o ∈ [0, 1]`` of the post behind each impression.
    post_outrage : array_like, shape (P,)
        Outrage of each post.
    threshold : float, default 0.6
        θ: an item is high-outrage when ``o >= threshold`` (``high_outrage`` in the
        model config).

    Returns
    -------
    float
        ``OA``: 1 = exposure proportional to supply (expected for chronological
        ranking), > 1 = ranking amplifies outrage (stylized fact 1).

    Notes
    -----
    * Range ``[0, ∞)`` (at most ``1/share among posts``).
    * Edge cases: no impressions, no posts, or no high-outrage post → ``nan``.
    * NaN: any non-finite outrage value → ``nan``.

    References
    ----------
    Huszár, F. et al. (2022). *PNAS* 119(1), e2025334119 (amplification relative to a
    neutral baseline); Brady, W. J. et al. (2017). Emotion shapes the diffusion of
    moralized content in social networks. *PNAS* 114(28), 7313–7318.
    """
    imp = _vec(impression_outrage, "impression_outrage")
    post = _vec(post_outrage, "post_outrage")
    if imp.size == 0 or post.size == 0:
        return NAN
    if not (np.isfinite(imp).all() and np.isfinite(post).all()):
        return NAN
    share_post = np.count_nonzero(post >= threshold) / post.size
    if share_post == 0:
        return NAN
    share_imp = np.count_nonzero(imp >= threshold) / imp.size
    return float(share_imp / share_post)


def huszar_amplification(
    reach_treatment: ArrayLike,
    reach_control: ArrayLike,
    n_treatment: float,
    n_control: float,
) -> float | NDArray[np.float64]:
    r"""Amplification of a set of items as Huszár et al. (2022) report it, in percent.

    With ``R_T`` and ``R_C`` the number of distinct users of the treatment and control
    arm with at least one impression of the set in one period (their day; a step here),
    and ``N_T``, ``N_C`` the arms' sizes:

    .. math:: a = 100\,\% \cdot \left(\frac{R_T + 1}{R_C \cdot N_T/N_C + 1} - 1\right)

    i.e. :func:`amplification_ratio` with ``smoothing = 1`` on reach *counts*, minus 1,
    in percent: 0 % = the same reach per user in both arms, 100 % = twice the control's.
    Huszár et al.'s treatment arm was four times the control (``N_T / N_C = 4``); the
    pseudo-count 1 keeps a set nobody in the control saw finite.

    Parameters
    ----------
    reach_treatment, reach_control : array_like
        Distinct users reached in each arm (counts, not shares; scalars or one entry per
        item set). For a group of authors, the reach of all their items pooled
        ("group amplification"), not a sum of per-author reaches.
    n_treatment, n_control : float
        Arm sizes (users).

    Returns
    -------
    float or ndarray
        The amplification in percent.

    Notes
    -----
    * Range ``(-100, ∞)``; 0 = no amplification.
    * Edge cases: an arm size ``<= 0`` or non-finite → ``nan``. A reach of 0 in both
      arms gives 0 % (the pseudo-counts).
    * NaN: propagates element-wise.

    References
    ----------
    Huszár, F., Ktena, S. I., O'Brien, C., Belli, L., Schlaikjer, A. & Hardt, M. (2022).
    Algorithmic amplification of politics on Twitter. *PNAS* 119(1), e2025334119,
    Materials and Methods, "Measuring amplification" (daily amplification of a set of
    tweets, treatment group four times the control).
    """
    ratio = np.asarray(
        amplification_ratio(reach_treatment, reach_control, n_treatment, n_control, smoothing=1.0)
    )
    return _out(100.0 * (ratio - 1.0))


class OutrageSplit(NamedTuple):
    """High-outrage shares of a step's impressions, candidate pool and new posts, and the
    three ratios between them (:func:`outrage_split_counts`).

    References
    ----------
    As :func:`outrage_split_counts`.
    """

    share_impressions: float
    share_candidates: float
    share_posts: float
    selection: float
    pool_drift: float
    amplification: float


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole > 0 else NAN


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else NAN


def outrage_split_counts(
    impressions_high: float,
    impressions: float,
    candidates_high: float,
    candidates: float,
    posts_high: float,
    posts: float,
) -> OutrageSplit:
    r"""Outrage amplification split into the ranker's selection and the pool's drift.

    With ``s_I``, ``s_C`` and ``s_P`` the high-outrage shares of the feed impressions,
    of the candidate pool (every (viewer, item) pair the ranker chose from) and of the
    original posts written in the period:

    .. math::

        \text{selection} = \frac{s_I}{s_C}, \qquad
        \text{pool drift} = \frac{s_C}{s_P}, \qquad
        \text{amplification} = \frac{s_I}{s_P}
        = \text{selection} \times \text{pool drift}

    (the product equal up to rounding). Selection is what the ranker does with the
    items it is offered: a ranker that shows every candidate, or a random sample of them,
    gives 1. Pool drift is how the pool differs from what was written: reshares (which
    copy their original's outrage), the window of earlier steps' posts, who follows whom
    and how much each author posts.

    Parameters
    ----------
    impressions_high, impressions : float
        High-outrage and all feed impressions (counts).
    candidates_high, candidates : float
        High-outrage and all candidate pairs (counts).
    posts_high, posts : float
        High-outrage and all original posts (counts; reshares excluded).

    Returns
    -------
    OutrageSplit
        The three shares and the three ratios.

    Notes
    -----
    * Ranges: shares ``[0, 1]``; ratios ``[0, ∞)``, 1 = no change.
    * Edge cases: a share is ``nan`` when its total is 0; a ratio is ``nan`` when its
      denominator share is 0 or ``nan`` (no high-outrage candidate → selection ``nan``;
      no high-outrage post → pool drift and amplification ``nan``).
    * NaN: propagates.

    References
    ----------
    The decomposition is feedlab's own (docs/metrics.md §Engagement and value);
    amplification against a neutral baseline: Huszár et al. (2022), *PNAS* 119(1),
    e2025334119.
    """
    si = _share(impressions_high, impressions)
    sc = _share(candidates_high, candidates)
    sp = _share(posts_high, posts)
    return OutrageSplit(si, sc, sp, _ratio(si, sc), _ratio(sc, sp), _ratio(si, sp))


def outrage_split(
    impression_outrage: ArrayLike,
    candidate_outrage: ArrayLike,
    post_outrage: ArrayLike,
    threshold: float = 0.6,
) -> OutrageSplit:
    r""":func:`outrage_split_counts` from the outrage of each item.

    An item is high-outrage when ``o >= threshold`` (θ, ``dynamics.high_outrage``).

    Parameters
    ----------
    impression_outrage : array_like, shape (M,)
        Outrage of the item behind each feed impression.
    candidate_outrage : array_like, shape (C,)
        Outrage of the item of each candidate pair.
    post_outrage : array_like, shape (P,)
        Outrage of each original post written in the period.
    threshold : float, default 0.6
        θ.

    Returns
    -------
    OutrageSplit
        As :func:`outrage_split_counts`; ``amplification`` equals
        :func:`outrage_amplification` of the impressions and posts.

    Notes
    -----
    * Edge cases: as :func:`outrage_split_counts` (an empty array is a total of 0).
    * NaN: a non-finite outrage value makes every field ``nan``.

    References
    ----------
    As :func:`outrage_split_counts`.
    """
    arrays = [
        _vec(a, name)
        for a, name in (
            (impression_outrage, "impression_outrage"),
            (candidate_outrage, "candidate_outrage"),
            (post_outrage, "post_outrage"),
        )
    ]
    if not all(np.isfinite(a).all() for a in arrays):
        return OutrageSplit(NAN, NAN, NAN, NAN, NAN, NAN)
    counts = []
    for a in arrays:
        counts += [float(np.count_nonzero(a >= threshold)), float(a.size)]
    return outrage_split_counts(*counts)


# ------------------------------------------------------------------- value and ratios
def engagement_value_gap(engagement: ArrayLike, value: ArrayLike) -> NDArray[np.float64]:
    r"""Engagement–value gap per unit (policy, run, item...): z(engagement) − z(value).

    For ``K`` units (typically ranking policies, each with its mean engagement per
    impression and mean reflective value per impression),

    .. math::

        gap_k = \frac{e_k - \bar e}{\sigma_e} - \frac{v_k - \bar v}{\sigma_v}

    with population standard deviations. A positive gap means the unit delivers more
    engagement than its value would warrant, relative to the other units; the most
    engagement-optimal policy having a large positive gap is stylized fact 4.

    Parameters
    ----------
    engagement, value : array_like, shape (K,)
        Engagement and value per unit (any scales; value may be negative).

    Returns
    -------
    ndarray of float64, shape (K,)
        The gaps. They sum to 0, satisfy :math:`\frac1K\sum_k gap_k^2 = 2(1 - r)` with
        ``r`` the Pearson correlation of engagement and value across units, and are
        invariant to a positive affine rescaling of either input.

    Notes
    -----
    * Range: :math:`|gap_k| \le 2\sqrt{K-1}`.
    * Edge cases: fewer than 2 units, or zero spread of either input → all ``nan``
      (empty input → empty array).
    * NaN: any non-finite entry → all ``nan``.
    * Raises ``ValueError`` when the arrays differ in length.

    References
    ----------
    Kleinberg, J., Mullainathan, S. & Raghavan, M. (2022). The challenge of
    understanding what users want: inconsistent preferences and engagement optimization.
    arXiv:2202.11776 (revealed vs reflective preference); Milli, S., Belli, L. & Hardt,
    M. (2021). From optimizing engagement to measuring value. *Proc. ACM FAccT 2021*.
    The z-score construction is feedlab's own (docs/model.md §Engagement and reflective value; docs/validation.md fact 4).
    """
    e = _vec(engagement, "engagement")
    v = _vec(value, "value")
    if e.size != v.size:
        raise ValueError(f"engagement and value differ in length ({e.size} vs {v.size})")
    nan = np.full(e.shape, np.nan)
    if e.size < 2 or not (np.isfinite(e).all() and np.isfinite(v).all()):
        return nan
    se, sv = float(e.std()), float(v.std())
    tol = 1e-12
    if se <= tol * max(1.0, float(np.abs(e).max())) or sv <= tol * max(1.0, float(np.abs(v).max())):
        return nan
    return (e - e.mean()) / se - (v - v.mean()) / sv


def comment_like_ratio(comments: ArrayLike, likes: ArrayLike) -> float | NDArray[np.float64]:
    r"""Comments per like, :math:`c / \ell`, per post or account.

    A high ratio flags comment inflation (bought comments) or controversy (comments rise
    with disagreement and outrage, docs/model.md §One step, 4. react).

    Parameters
    ----------
    comments, likes : array_like
        Counts (broadcastable shapes).

    Returns
    -------
    float or ndarray
        The ratio, ``[0, ∞)``.

    Notes
    -----
    * Edge cases: ``likes == 0`` → ``nan``.
    * NaN: propagates element-wise.
    * Raises ``ValueError`` for shapes that do not broadcast.

    References
    ----------
    Industry practice in influencer-fraud audits (no peer-reviewed source; see
    docs/validation.md §References, "Trust and influencers").
    """
    c, lk = np.broadcast_arrays(
        np.asarray(comments, dtype=np.float64), np.asarray(likes, dtype=np.float64)
    )
    return _out(_safe_div(c, lk))
