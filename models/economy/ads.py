"""Ads in the feed: slots, advertisers, the ad auction, clicks, CPM/CPC revenue and brand
safety (docs/attention.md §Ads and brand safety, §Targeting).

**Slots.** A feed of ``K`` slots (the user's attention, or ``platform.feed_length``) holds
ads at the positions ``first_slot, first_slot + spacing, …`` below ``K`` — a fixed-position
ad load like the "one ad every n posts" of in-feed advertising; ads *take* slots, so the
ranker fills ``K − ads`` with organic items (the ``on_feed_lengths`` hook). A feed cut
short by a lack of candidates shows only the ads it reaches.

**Advertisers.** ``advertisers`` brands, each with a stance ``y_a ~ U[-1, 1]`` on the
opinion axis, a pricing model (a ``cpc_share`` of them pay per click, the others per
thousand impressions), a bid (``cpc`` or ``cpm`` times a log-normal factor with sd
``bid_sd``), a budget per step (``budget_per_user × N``; 0 = unlimited) and, for a
``blocking`` share of them, brand-safety exclusion: they refuse slots adjacent to unsafe
items.

**Clicks.** The probability that viewer ``i`` clicks ad ``a`` is

    logit P(click) = logit(ctr) + β_rel·(r_ia − ½) + β_s·s_i + β_e·e_i,   r_ia = 1 − |x_i − y_a|/2

(relevance of the brand to the viewer's opinion, outrage susceptibility ``s_i`` and
arousal ``e_i``; ``click.*``). The terms in ``s`` and ``e`` are the "exploitable
vulnerabilities" of the hyper-personalisation scenario: their sizes are assumptions, not
estimates.

**Auction.** Every (slot, advertiser) pair is valued at its expected revenue per
thousand impressions, ``eCPM = bid`` (CPM) or ``1000 · bid · p̂CTR`` (CPC), the way ad
auctions rank ads by bid × predicted click rate (Varian 2007, Int. J. Ind. Org. 25:1163;
Edelman, Ostrovsky & Schwarz 2007, AER 97:242). The platform's prediction ``p̂CTR`` uses
relevance; with ``targeting`` on, also the viewer's *inferred* susceptibility or arousal
(true value + Gaussian noise of sd ``inference_noise``). Pairs are taken greedily in
descending eCPM (ties at random) while the slot is free and the advertiser's remaining
budget covers the expected cost; the winner pays its bid (first price). Unsold slots
stay empty (they still take the slot: the platform reserved it).

**Brand safety.** An ad impression is *unsafe* when any of the ``adjacency`` organic
items directly above or below it has outrage ≥ ``unsafe_outrage`` — the adjacency
notion of the industry's brand-safety and suitability frameworks (GARM/4A's Brand
Safety Floor + Suitability Framework, 2020; MRC/IAB Enhanced Content Level Context and
Brand Safety guidelines), with outrage standing in for "sensitive content".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from feedlab.experiments.schema import field
from feedlab.models import buffers
from feedlab.models.kernels import njit, prange, threaded
from feedlab.models.registry import Registry

ADS: Registry[Any] = Registry("ads")
"""The ``ads`` config group: ``none`` (no ads) or ``feed_ads``."""


@ADS.register("none")
@dataclass(frozen=True)
class NoAds:
    """No ads: every feed slot is organic."""


@dataclass(frozen=True)
class ClickModel:
    """True click probability of an ad impression (module docstring)."""

    ctr: float = field(gt=0, lt=1, doc="click-through rate at relevance ½, s = 0, e = 0")
    relevance: float = field(ge=-20, le=20, doc="β_rel: log-odds per unit brand relevance")
    susceptibility: float = field(ge=-20, le=20, doc="β_s: log-odds per unit susceptibility")
    arousal: float = field(ge=-20, le=20, doc="β_e: log-odds per unit arousal")


@ADS.register("feed_ads")
@dataclass(frozen=True)
class FeedAds:
    """Ads in fixed feed positions sold by an auction (module docstring)."""

    first_slot: int = field(ge=0, le=10_000, doc="position (0-based) of the first ad")
    spacing: int = field(ge=2, le=10_000, doc="positions from one ad to the next")
    advertisers: int = field(ge=1, le=1000, doc="number of advertisers")
    budget_per_user: float = field(
        ge=0, le=1e6, doc="each advertiser's budget per step per user; 0 = unlimited"
    )
    cpm: float = field(ge=0, le=1e6, doc="CPM advertisers' mean bid per 1000 impressions")
    cpc: float = field(ge=0, le=1e6, doc="CPC advertisers' mean bid per click")
    cpc_share: float = field(ge=0, le=1, doc="share of advertisers paying per click")
    bid_sd: float = field(ge=0, le=5, doc="sd of the log bid factor across advertisers")
    blocking: float = field(
        ge=0, le=1, doc="share of advertisers refusing slots adjacent to unsafe items"
    )
    click: ClickModel = field(doc="true click probability (logistic)")
    targeting: Literal["none", "susceptibility", "arousal"] = field(
        doc="what the platform's click prediction (and sponsored-post promotion) uses "
        "beyond relevance: nothing, or the viewer's inferred susceptibility or arousal"
    )
    inference_noise: float = field(ge=0, le=10, doc="sd of the error of inferred s or e")
    sponsored_boost: float = field(
        ge=0,
        le=100,
        doc="with targeting: predicted engagement of sponsored posts × (1 + boost·inferred)",
    )
    unsafe_outrage: float = field(ge=0, le=1, doc="organic items with outrage >= this are unsafe")
    adjacency: int = field(ge=1, le=100, doc="organic items above and below an ad that count")
    value: float = field(ge=-10, le=10, doc="reflective value of an ad impression")


@dataclass
class Advertisers:
    """The advertisers of a run (arrays over advertisers)."""

    stance: np.ndarray
    cpc: np.ndarray  # bool: pays per click
    bid: np.ndarray
    blocks: np.ndarray  # bool: refuses unsafe adjacency
    budget: float  # per step; inf = unlimited

    @classmethod
    def draw(cls, cfg: FeedAds, n_users: int, rng: np.random.Generator) -> Advertisers:
        """Stances, pricing models, bids and brand-safety exclusions (module docstring)."""
        a = cfg.advertisers
        stance = rng.uniform(-1.0, 1.0, a)
        pays_cpc = np.zeros(a, bool)
        pays_cpc[rng.permutation(a)[: round(cfg.cpc_share * a)]] = True
        factor = np.exp(cfg.bid_sd * rng.standard_normal(a))
        bid = np.where(pays_cpc, cfg.cpc, cfg.cpm) * factor
        blocks = np.zeros(a, bool)
        blocks[rng.permutation(a)[: round(cfg.blocking * a)]] = True
        budget = cfg.budget_per_user * n_users if cfg.budget_per_user > 0 else np.inf
        return cls(stance, pays_cpc, bid, blocks, float(budget))


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def click_logits(
    cfg: ClickModel, x: np.ndarray, stance: np.ndarray, s: np.ndarray, e: np.ndarray
) -> np.ndarray:
    """Log-odds of a click (module docstring, §Clicks) of viewers with opinion ``x``,
    susceptibility ``s`` and arousal ``e`` for brands of stance ``stance``, element by
    element (NumPy broadcasting: pass ``x[:, None]``, ``stance[None, :]``, ... for every
    (viewer, brand) pair). Pass zeros for ``s`` or ``e`` to leave a term out (the
    untargeted prediction). The platform's predictions of every (slot, advertiser) pair
    are :func:`prices`' fused form of the same arithmetic; the true clicks of the sold
    impressions use this one.
    """
    rel = 1.0 - np.abs(x - stance) / 2.0
    own = cfg.susceptibility * s + cfg.arousal * e
    return _logit(cfg.ctr) + cfg.relevance * (rel - 0.5) + own


@njit(cache=True)
def _neg_logits(x, stance, own, base, relevance, out):  # pragma: no cover - jitted
    """``out = −click_logits`` of every (viewer, advertiser) pair, :func:`click_logits`'
    arithmetic in one pass (``own = β_s·s + β_e·e`` per viewer, computed by the caller).
    """
    for i in range(x.shape[0]):
        for a in range(stance.shape[0]):
            rel = 1.0 - abs(x[i] - stance[a]) / 2.0
            out[i, a] = -(base + relevance * (rel - 0.5) + own[i])


@njit(cache=True)
def _prices_from_exp(e, bid, cpc, ecpm, cost):  # pragma: no cover - jitted
    """From ``e = exp(−logit)`` of the CPC advertisers' pairs (their columns in order):
    p̂CTR = 1 / (1 + e), then eCPM and expected cost per pair (:func:`prices`), in one
    pass.
    """
    for i in range(ecpm.shape[0]):
        j = 0  # column of e
        for a in range(bid.shape[0]):
            if cpc[a]:
                p = 1.0 / (1.0 + e[i, j])
                j += 1
                ecpm[i, a] = 1000.0 * bid[a] * p
                cost[i, a] = bid[a] * p
            else:
                ecpm[i, a] = bid[a]
                cost[i, a] = bid[a] / 1000.0


def prices(
    cfg: ClickModel,
    adv: Advertisers,
    x: np.ndarray,
    s: np.ndarray,
    e: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each (slot, advertiser) pair's eCPM and expected cost (``(S, A)`` each): the
    predicted click rate ``p̂CTR = σ(click_logits)`` of every (slot ``x, s, e``, advertiser)
    pair, then eCPM
    ``1000·bid·p̂CTR`` and cost ``bid·p̂CTR`` for a CPC advertiser, ``bid`` and
    ``bid/1000`` for a CPM one (module docstring, §Auction).

    Two fused passes around NumPy's ``exp`` (the exponential stays NumPy's, so the values
    are those of the whole-array form ``1 / (1 + np.exp(−z))`` bit for bit: the kernels
    do only ``+ − × /`` and ``abs``, which IEEE arithmetic rounds the same everywhere).
    Only the CPC advertisers' pairs need a click prediction, so only their logits are
    computed and exponentiated (NumPy's ``exp`` is element by element: the same value
    of an element in any array).
    """
    n = x.shape[0]
    paid_per_click = np.flatnonzero(adv.cpc)
    own = cfg.susceptibility * s + cfg.arousal * e
    z = np.empty((n, paid_per_click.shape[0]))
    _neg_logits(
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(adv.stance[paid_per_click], dtype=np.float64),
        np.ascontiguousarray(own, dtype=np.float64),
        _logit(cfg.ctr),
        float(cfg.relevance),
        z,
    )
    np.exp(z, out=z)
    k = adv.stance.shape[0]
    ecpm = np.empty((n, k))
    cost = np.empty((n, k))
    _prices_from_exp(z, adv.bid, adv.cpc, ecpm, cost)
    return ecpm, cost


@njit(cache=True)
def _feed_ad_slots(
    ptr, shown, first, spacing, outrage, unsafe_outrage, window, viewer, unsafe
):  # pragma: no cover - jitted
    """:func:`feed_ad_slots` into ``viewer`` and ``unsafe`` (one entry per shown ad)."""
    s = 0
    for i in range(shown.shape[0]):
        start, stop = ptr[i], ptr[i + 1]
        for j in range(shown[i]):
            at = start + first + j * (spacing - 1)  # the ad's organic items above it
            lo = min(max(at - window, start), stop)
            hi = min(max(at + window, start), stop)
            bad = False
            for m in range(lo, hi):
                if outrage[m] >= unsafe_outrage:
                    bad = True
                    break
            viewer[s] = i
            unsafe[s] = bad
            s += 1


def feed_ad_slots(
    ptr: np.ndarray,
    shown: np.ndarray,
    first: int,
    spacing: int,
    outrage: np.ndarray,
    unsafe_outrage: float,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The shown ads of a step's feeds, viewer by viewer and top down: each ad's viewer
    and whether it is unsafe, in one pass over the ads.

    Viewer ``i`` (organic items ``ptr[i]:ptr[i+1]`` in rank order, with outrage
    ``outrage``) sees ``shown[i]`` ads; ad ``a`` has
    :func:`feedlab.analysis.metrics.economy.organic_before` organic items above it and is
    unsafe when any of the ``window`` organic items directly above or below it has
    outrage ≥ ``unsafe_outrage`` — the values of
    ``np.repeat(np.arange(n), shown)`` and :func:`~feedlab.analysis.metrics.economy.unsafe_adjacent`
    (module docstring, §Brand safety), without their per-item running sum.
    """
    total = int(shown.sum())
    viewer = np.empty(total, np.int64)
    unsafe = np.empty(total, np.bool_)
    _feed_ad_slots(
        np.ascontiguousarray(ptr, dtype=np.int64),
        np.ascontiguousarray(shown, dtype=np.int64),
        int(first),
        int(spacing),
        np.ascontiguousarray(outrage, dtype=np.float64),
        float(unsafe_outrage),
        int(window),
        viewer,
        unsafe,
    )
    return viewer, unsafe


#: the radix sort's digit: 8 bits (it must divide 64), so at most eight passes over a
#: 64-bit key, fewer when the keys agree on a digit (a CPM advertiser's nearly equal keys
#: differ in their low three bytes only). Its 256 counters stay in cache and cost nothing
#: to clear, so small auctions are as fast as NumPy's sort (16-bit digits: as fast at
#: 174,000 slots, ten times slower at 500)
_DIGIT = 8
assert 64 % _DIGIT == 0
_SENTINEL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)  # above every sort key of a non-NaN float


@njit(cache=True)
def _radix_pass(c, shift, src_k, src_i, dst_k, dst_i):  # pragma: no cover - jitted
    """One stable counting-sort pass of ``src`` (keys and slots) into ``dst`` by the
    digit at ``shift`` (``c``: the digit's counts, turned into offsets here).
    """
    tot = 0
    for v in range(c.shape[0]):
        t = c[v]
        c[v] = tot
        tot += t
    mask = np.uint64(c.shape[0] - 1)
    sh = np.uint64(shift)
    for s in range(src_k.shape[0]):
        x = src_k[s]
        j = (x >> sh) & mask
        pos = c[j]
        c[j] = pos + 1
        dst_k[pos] = x
        dst_i[pos] = src_i[s]


#: bits of the bucket histogram that picks a prefix (:func:`_column_order`): 2¹⁶ counters
_PREFIX_BITS = 16


@njit(cache=True)
def _sort_keys(key, a, src_k, src_i):  # pragma: no cover - jitted
    """Advertiser ``a``'s sort keys (:func:`_descending_prefixes`) in ``src_k``, the
    slots in ``src_i``; returns the bits in which some key differs from the first.
    """
    n = key.shape[0]
    sign = np.uint64(1) << np.uint64(63)
    col = np.empty(n)
    for s in range(n):
        col[s] = key[s, a] + 0.0  # -0.0 -> +0.0
    bits = col.view(np.uint64)
    diff = np.uint64(0)
    for s in range(n):
        b = bits[s]
        x = b if b & sign else ~(b | sign)  # complement of the ascending mapping
        src_k[s] = x
        src_i[s] = s
        diff |= x ^ src_k[0]
    return diff


@njit(cache=True)
def _bucket_prefix(src_k, src_i, diff, want):  # pragma: no cover - jitted
    """Keep (compacted in place, in slot order) the keys of the smallest run of whole
    buckets of the top differing :data:`_PREFIX_BITS` bits that holds at least ``want``
    keys; returns how many. The keys share every bit above those (``diff``: the bits in
    which they differ), so a key's bucket orders as the key, and the kept keys are the
    first of the full order.
    """
    n = src_k.shape[0]
    top = 0
    while top < 64 and (diff >> np.uint64(top)) != np.uint64(0):
        top += 1
    lo = np.uint64(max(top - _PREFIX_BITS, 0))
    bmask = np.uint64((1 << _PREFIX_BITS) - 1)
    hist = np.zeros(1 << _PREFIX_BITS, np.int64)
    for s in range(n):
        hist[(src_k[s] >> lo) & bmask] += 1
    cut, below = 0, 0
    while below + hist[cut] < want:
        below += hist[cut]
        cut += 1
    k = 0
    for s in range(n):
        x = src_k[s]
        if ((x >> lo) & bmask) <= cut:
            src_k[k] = x
            src_i[k] = src_i[s]
            k += 1
    return k


@njit(cache=True)
def _column_order(key, a, want, order, dkey):  # pragma: no cover - jitted
    """:func:`_descending_prefixes` for advertiser ``a``: returns the prefix length."""
    n = key.shape[0]
    radix = 1 << _DIGIT
    mask = np.uint64(radix - 1)
    src_k = np.empty(n, np.uint64)
    src_i = np.empty(n, np.int64)
    diff = _sort_keys(key, a, src_k, src_i)
    k = _bucket_prefix(src_k, src_i, diff, want) if want < n else n
    src_k = src_k[:k]
    src_i = src_i[:k]
    dst_k = np.empty(k, np.uint64)
    dst_i = np.empty(k, np.int64)
    cnt = np.zeros((64 // _DIGIT, radix), np.int64)
    for s in range(k):
        x = src_k[s]
        for p in range(64 // _DIGIT):
            cnt[p, (x >> np.uint64(_DIGIT * p)) & mask] += 1
    for p in range(64 // _DIGIT):
        c = cnt[p]
        shared = False  # every key has the same digit p: the pass would not move them
        for v in range(radix):
            if c[v] != 0:
                shared = c[v] == k
                break
        if not shared:
            _radix_pass(c, _DIGIT * p, src_k, src_i, dst_k, dst_i)
            src_k, dst_k = dst_k, src_k
            src_i, dst_i = dst_i, src_i
    order[a, :k] = src_i
    dkey[a, :k] = src_k
    return k


@njit(cache=True)
def _descending_prefixes(key, want, order, dkey, length):  # pragma: no cover - jitted
    """The first ``length[a] ≥ want[a]`` slots of each advertiser's slots by descending
    ``key`` (``(S, A)``), ties by slot index — the first ``length[a]`` entries of
    ``np.argsort(-key[:, a], kind="stable")``, exactly — in ``order[a, :length[a]]``,
    and ``dkey[a]`` their sort keys (ascending). ``want[a] ≥ S`` sorts them all.

    A least-significant-digit radix sort (stable, 8-bit digits) of an unsigned integer
    that orders as ``-key``: the float's bits with the sign bit set for a non-negative
    value and all bits flipped for a negative one order as the float (the standard
    float-to-integer mapping), and its complement as ``-key``; ``-0.0`` is made ``+0.0``
    first, as the two compare equal. Keys must not be NaN. A digit that every key
    shares needs no pass. Linear time, where a comparison sort of the slots is
    ``S log S``: at N = 10⁵ (174,000 slots × 6 advertisers) a full sort takes a fifth of
    NumPy's stable ``argsort`` of the same keys. A prefix sorts only the keys of the
    buckets (of a 16-bit histogram of the highest bits in which the keys differ) that
    hold the best ``want[a]``: those keys, in slot order, sorted, are exactly the start
    of the full order. Advertisers are independent (``prange``: one per thread with
    ``platform.threads``; the same result at any thread count).
    """
    for a in prange(key.shape[1]):
        length[a] = _column_order(key, a, want[a], order, dkey)


@njit(cache=True)
def _descending_orders(key, order, dkey):  # pragma: no cover - jitted
    """Each advertiser's slots by descending ``key`` (``(S, A)``), ties by slot index:
    ``order[a] = np.argsort(-key[:, a], kind="stable")``, exactly, and ``dkey[a]`` the
    sort keys in that order (:func:`_descending_prefixes` of every slot).
    """
    n, k = key.shape
    want = np.full(k, n, np.int64)
    length = np.empty(k, np.int64)
    _descending_prefixes(key, want, order, dkey, length)


@njit(cache=True)
def _column_min(x):  # pragma: no cover - jitted
    """The minimum of each column of ``x`` (``inf`` for none), in one row-major pass."""
    out = np.full(x.shape[1], np.inf)
    for s in range(x.shape[0]):
        for a in range(x.shape[1]):
            out[a] = min(out[a], x[s, a])
    return out


@njit(cache=True)
def _greedy(
    order,
    dkey,
    length,
    cost,
    budget,
    blocked,
    any_blocked,
    min_cost,
    winner,
    spend,
    head,
    head_key,
    state,
):  # pragma: no cover - jitted
    """The greedy auction over every (slot, advertiser) pair in descending key: a free,
    unblocked slot goes to the advertiser if its spend plus the pair's expected cost stays
    within ``budget``. ``order[a, :length[a]]`` lists the first of advertiser ``a``'s
    slots by descending key and ``dkey[a]`` their sort keys (ascending;
    :func:`_descending_prefixes`); the advertisers' lists are merged on the fly (the next
    pair is the smallest sort key among the lists' heads ``head_key``, ties to the lowest
    advertiser), which visits the pairs in the same order as one global sort. The pass
    ends once every slot is sold or no advertiser can afford its cheapest slot
    (``min_cost``; spend only grows), as no later pair could sell. ``head[a]``: how many
    of ``a``'s pairs it visited; ``state``: (advertisers still in the merge, slots sold).
    ``blocked`` is read only with ``any_blocked``.

    Returns −1 when done, or an advertiser that would go on past its sorted prefix: the
    pass stops before choosing the next pair, so that the caller can sort more of that
    list, put its next key back at its head and resume (:func:`allocate`).
    """
    n_adv, n_slots = order.shape
    live, sold = state[0], state[1]
    short = -1
    while live > 0 and sold < n_slots:
        a = 0
        for b in range(1, n_adv):
            if head_key[b] < head_key[a]:
                a = b
        s = order[a, head[a]]
        head[a] += 1
        beyond = False  # its sorted prefix is used up, though its slots are not
        if head[a] < length[a]:
            head_key[a] = dkey[a, head[a]]
        else:
            beyond = head[a] < n_slots
            head_key[a] = _SENTINEL
            live -= 1
        if winner[s] < 0 and not (any_blocked and blocked[s, a]):
            c = cost[s, a]
            if spend[a] + c <= budget:
                winner[s] = a
                spend[a] += c
                sold += 1
                if head_key[a] != _SENTINEL and spend[a] + min_cost[a] > budget:
                    head_key[a] = _SENTINEL  # it can afford no slot any more
                    live -= 1
        if beyond and sold < n_slots and spend[a] + min_cost[a] <= budget:
            short = a  # it stays in the merge: its next pairs are needed
            break
    state[0], state[1] = live, sold
    return short


#: The auction sorts each advertiser's best ``DEPTH_SLACK × (pairs visited last step) +
#: DEPTH_MIN`` slots first (all of them in a run's first auction), a longer prefix of an
#: advertiser whose list runs out (:func:`allocate`).
DEPTH_SLACK = 1.25
DEPTH_MIN = 1024


def allocate(
    ecpm: np.ndarray,
    cost: np.ndarray,
    blocked: np.ndarray | None,
    budget: float,
    rng: np.random.Generator,
    depth: np.ndarray | None = None,
) -> np.ndarray:
    """Winner advertiser per slot (−1: unsold) of the greedy budgeted auction: pairs in
    descending ``ecpm`` (``(S, A)``; ties in random order from ``rng``), each slot to the
    first advertiser whose spend plus the pair's expected ``cost`` stays within ``budget``
    and that does not block the slot (``blocked``, ``(S, A)``; None: no advertiser
    blocks any).

    ``depth`` (per advertiser, updated in place; optional; negative = unknown) is a guess
    of how far down its list of slots the pass will get, from the last auction: only
    that many of each list are sorted (:data:`DEPTH_SLACK`), and a list that turns out
    too short is sorted twice as far and the pass run again. It changes only the cost, never the winners: the
    pass visits the same pairs in the same order as with every list sorted in full.
    """
    s, a = ecpm.shape
    # ties in random order: each pair's value scaled by 1 + 1e-9·u (u uniform), which
    # orders equal values at random and changes no order between values more than a
    # relative 1e-9 apart
    # (in place in recycled memory: the same operations on the same values, so the same
    # keys as ``ecpm * (1.0 + 1e-9 * rng.random((s, a)))``)
    key = buffers.empty((s, a))
    rng.random(out=key)
    key *= 1e-9
    key += 1.0
    key *= ecpm
    # each advertiser's slots, best first, in the order of a *stable* sort: the jitter
    # leaves exact ties (1 + 1e-9·u takes ~4.5 M values, so ~n²/9e6 collisions among n
    # slots of one price), and they are ordered by slot index on every machine (NumPy's
    # default sort orders ties differently on CPUs with and without AVX-512). The radix
    # sort gives exactly np.argsort(-key.T, axis=1, kind="stable") (or its start), faster.
    if depth is not None and depth.shape[0] != a:
        raise ValueError(f"depth has {depth.shape[0]} entries for {a} advertisers")
    want = np.full(a, s, np.int64)
    if depth is not None:  # a negative depth (none known yet): the whole list
        guess = np.minimum(np.ceil(DEPTH_SLACK * depth) + DEPTH_MIN, s).astype(np.int64)
        want = np.where(depth >= 0, guess, want)
    order = buffers.empty((a, s), np.int64)  # only the sorted prefixes are ever read
    dkey = buffers.empty((a, s), np.uint64)
    length = np.empty(a, np.int64)
    threaded(_descending_prefixes)(key, want, order, dkey, length)
    cost = np.ascontiguousarray(cost)
    any_blocked = blocked is not None and bool(blocked.any())
    blocked = np.ascontiguousarray(blocked) if any_blocked else np.zeros((1, 1), np.bool_)
    winner = np.full(s, -1, np.int64)
    spend = np.zeros(a)
    head = np.zeros(a, np.int64)
    min_cost = _column_min(cost)  # each advertiser's cheapest slot
    # the merge's start: every list that can afford its cheapest slot, at its first key
    head_key = np.full(a, _SENTINEL)
    live = (min_cost <= budget) & (s > 0)
    if s:
        head_key[live] = dkey[live, 0]
    state = np.array([int(live.sum()), 0], np.int64)
    while True:
        short = _greedy(
            order,
            dkey,
            length,
            cost,
            budget,
            blocked,
            any_blocked,
            min_cost,
            winner,
            spend,
            head,
            head_key,
            state,
        )
        if short < 0:
            break
        # its list ran out: sort twice as far (the start comes out the same) and go on
        length[short] = _column_order(key, short, min(2 * length[short], s), order, dkey)
        head_key[short] = dkey[short, head[short]]
        state[0] += 1
    if depth is not None:
        depth[:] = head
    return winner
