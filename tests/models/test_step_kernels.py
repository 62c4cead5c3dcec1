"""The fused kernels of the step equal, bit for bit, the NumPy rules they replace.

Each kernel of models/kernels.py and models/step_kernels.py that does in one pass what a readable NumPy rule of
agents/rules (or a NumPy expression of the model) does is checked against that rule with
``array_equal`` (not a tolerance): the step's results must not depend on which of the
two computed them (issue 17, "The large-N step"; golden hashes in tests/test_golden.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from feedlab.agents.rules import opinion, trust, value
from feedlab.agents.rules.opinion import OpinionConfig
from feedlab.agents.rules.value import ValueConfig
from feedlab.experiments import compose
from feedlab.experiments.config import validate
from feedlab.models.config import thread_limit
from feedlab.models.kernels import (
    POWER_TABLE,
    add_at,
    asymmetric_trust_step,
    count_at,
    count_reactions,
    edge_evidence,
    feed_value,
    follow_proposals,
    item_trust_step,
    opinion_step,
    pair_agreement,
    reaction_probabilities,
    scale_capped,
    set_bit_where,
    set_threads,
    splice,
    threaded,
    trust_evidence,
    unfollow_cut,
    viewer_sums,
)
from feedlab.models.step_kernels import (
    count_items,
    count_items_split,
    react_items,
    sponsored_seen,
)

N_USERS, N_ITEMS = 300, 4000


def _feed(seed: int = 0) -> dict[str, np.ndarray]:
    """A random feed: viewers grouped (sorted), with users that see nothing."""
    rng = np.random.default_rng(seed)
    return {
        "viewer": np.sort(rng.integers(0, N_USERS - 20, N_ITEMS)).astype(np.int32),
        "stance": rng.uniform(-1, 1, N_ITEMS),
        "outrage": rng.random(N_ITEMS),
        "quality": rng.random(N_ITEMS),
        "trust": rng.random(N_ITEMS),
        "opinion": rng.uniform(-1, 1, N_USERS),
        "eps": rng.uniform(0.05, 0.6, N_USERS),
        "mu": rng.uniform(0.05, 0.5, N_USERS),
        "arousal": rng.random(N_USERS),
        "r": rng.random((N_ITEMS, 4)) < [0.3, 0.1, 0.1, 0.05],
    }


def _ptr(viewer: np.ndarray) -> np.ndarray:
    """The segment pointer of items grouped (sorted) by viewer."""
    return np.concatenate([[0], np.cumsum(np.bincount(viewer, minlength=N_USERS))])


def _edges(f: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A CSR follow graph over the users (``indptr``) and each item's edge: one of its
    viewer's rows, or ``-1`` (out of network) when the viewer follows no one or at random.
    """
    rng = np.random.default_rng(seed)
    deg = rng.integers(0, 6, N_USERS)
    indptr = np.concatenate([[0], np.cumsum(deg)])
    v = f["viewer"]
    pick = indptr[v] + (rng.random(N_ITEMS) * np.maximum(deg[v], 1)).astype(np.int64)
    edge = np.where((deg[v] > 0) & (rng.random(N_ITEMS) < 0.9), pick, -1)
    return indptr, edge


def test_edge_evidence_is_bincount() -> None:
    f = _feed(6)
    indptr, edge = _edges(f, 6)
    good, bad = f["trust"], f["quality"]
    e = int(indptr[-1])
    out_good, out_bad = np.full(e, np.nan), np.full(e, np.nan)  # zeroed by the kernel
    edge_evidence(indptr, _ptr(f["viewer"]), edge, good, bad, out_good, out_bad)
    ok = edge >= 0
    assert np.array_equal(out_good, np.bincount(edge[ok], weights=good[ok], minlength=e))
    assert np.array_equal(out_bad, np.bincount(edge[ok], weights=bad[ok], minlength=e))


def _trust_case(seed: int) -> tuple:
    """A feed, its follow edges and an edge-trust update's inputs (trust, baseline and
    the asymmetric rule's power tables) drawn from ``seed``."""
    f = _feed(seed)
    v, r = f["viewer"], f["r"]
    indptr, edge = _edges(f, seed)
    e = int(indptr[-1])
    rng = np.random.default_rng(seed)
    tau, base = rng.random(e), rng.random(e)
    counts = np.arange(POWER_TABLE, dtype=np.float64)
    return f, v, r, _ptr(v), indptr, edge, e, tau, base, 0.98**counts, 0.9**counts


def test_item_trust_step_is_evidence_rule_and_viewer_sums() -> None:
    """The fused trust pass gives the bits of ``edge_evidence`` → the asymmetric rule
    (``asymmetric_trust_step``, and so NumPy's rule) and of ``viewer_sums`` of the good
    and bad experiences; it refuses evidence outside the tables and items whose edge is
    not their viewer's (leaving the work to the separate passes).
    """
    f, v, r, ptr, indptr, edge, e, tau, base, up, down = _trust_case(9)
    good = (r[:, 0] | r[:, 2]) * 1.0
    bad = r[:, 3] + (f["quality"] < 0.2) * 1.0
    g, b, want = np.empty(e), np.empty(e), np.empty(e)
    edge_evidence(indptr, ptr, edge, good, bad, g, b)
    assert asymmetric_trust_step(tau, base, g, b, up, down, 0.02, want)
    assert np.array_equal(want, trust.asymmetric_update(tau, base, g, b, 1 - 0.98, 1 - 0.9, 0.02))
    pg, pb = np.zeros(N_USERS), np.zeros(N_USERS)
    viewer_sums(v, ptr, good, pg)
    viewer_sums(v, ptr, bad, pb)
    out, got_g, got_b = np.full(e, np.nan), np.full(N_USERS, np.nan), np.full(N_USERS, np.nan)
    assert item_trust_step(
        indptr, ptr, edge, good, bad, tau, base, up, down, 0.02, out, got_g, got_b
    )
    assert np.array_equal(out, want)
    assert np.array_equal(got_g, pg) and np.array_equal(got_b, pb)
    # a fractional experience (not in the tables), an edge of another viewer's row
    half = good.copy()
    half[np.flatnonzero(edge >= 0)[3]] = 0.5
    assert not item_trust_step(
        indptr, ptr, edge, half, bad, tau, base, up, down, 0.02, out, got_g, got_b
    )
    other = edge.copy()
    m = np.flatnonzero(edge >= 0)[-1]  # the last viewer's item, pointed at edge 0
    other[m] = 0
    assert not item_trust_step(
        indptr, ptr, other, good, bad, tau, base, up, down, 0.02, out, got_g, got_b
    )


@pytest.mark.skipif(thread_limit() < 2, reason="Numba's pool has one thread here")
def test_update_kernels_do_not_depend_on_the_thread_count() -> None:
    """The parallel twins (``platform.threads`` 2) of the per-viewer and per-edge
    update kernels write the same bits as the serial kernels.
    """
    f, v, r, ptr, indptr, edge, e, tau, base, up, down = _trust_case(8)
    n_items = np.bincount(v, minlength=N_USERS)

    def run() -> list[np.ndarray]:
        x = f["opinion"].copy()
        threaded(opinion_step)(
            v, ptr, f["stance"], f["trust"], x, f["eps"], f["mu"], f["arousal"],
            True, True, 0.3, 0.4, 1.5, n_items, np.zeros(N_USERS),
        )  # fmt: skip
        iv, mean, eng = np.empty(N_ITEMS), np.empty(N_USERS), np.zeros(N_USERS)
        threaded(feed_value)(
            v, ptr, f["quality"], f["stance"], f["trust"], f["outrage"], r,
            np.array([1.0, 0.5, 0.7, 1.3]), n_items, iv, mean, eng,
        )  # fmt: skip
        total = np.zeros(N_USERS)
        threaded(viewer_sums)(v, ptr, f["outrage"], total)
        g, b = np.empty(e), np.empty(e)
        threaded(edge_evidence)(indptr, ptr, edge, r[:, 0] * 1.0, r[:, 3] * 1.0, g, b)
        t = np.empty(e)
        assert asymmetric_trust_step(tau, base, g, b, up, down, 0.02, t)
        t2, pg, pb = np.empty(e), np.empty(N_USERS), np.empty(N_USERS)
        assert threaded(item_trust_step)(
            indptr, ptr, edge, r[:, 0] * 1.0, r[:, 3] * 1.0, tau, base, up, down, 0.02, t2, pg, pb
        )
        return [x, iv, mean, eng, total, g, b, t, t2, pg, pb]

    one = run()
    set_threads(2)
    try:
        two = run()
    finally:
        set_threads(1)
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("backfire", [True, False])
def test_opinion_step_is_the_rule(weighted: bool, backfire: bool) -> None:
    f = _feed(1)
    cfg = OpinionConfig(True, weighted, backfire, 0.3, 0.4, 1.5)
    v = f["viewer"]
    delta = opinion.opinion_deltas(
        cfg,
        f["opinion"][v],
        f["stance"],
        f["eps"][v],
        f["mu"][v],
        f["arousal"][v],
        f["trust"],
    )
    n_items = np.bincount(v, minlength=N_USERS)
    want = opinion.apply_mean(f["opinion"], v, delta, n_items)
    got = f["opinion"].copy()
    opinion_step(
        v,
        _ptr(v),
        f["stance"],
        f["trust"],
        got,
        f["eps"],
        f["mu"],
        f["arousal"],
        weighted,
        backfire,
        0.3,
        0.4,
        1.5,
        n_items,
        np.zeros(N_USERS),
    )
    assert np.array_equal(got, want)
    moved = got != f["opinion"]
    assert moved.any() and not moved.all()  # some pulled, the feedless not
    if backfire:  # the backfire branch acted somewhere
        assert np.any(delta * (f["stance"] - f["opinion"][v]) < 0)


def test_asymmetric_trust_step_is_the_rule_and_refuses_fractions() -> None:
    rng = np.random.default_rng(2)
    e = 50_000
    tau, base = rng.random(e), rng.random(e)
    good = np.where(rng.random(e) < 0.2, rng.integers(1, 5, e), 0).astype(float)
    bad = np.where(rng.random(e) < 0.1, rng.integers(1, 3, e), 0).astype(float)
    good[:3] = POWER_TABLE - 1  # the end of the table
    want = trust.asymmetric_update(tau, base, good, bad, 0.02, 0.1, 0.02)
    counts = np.arange(POWER_TABLE, dtype=np.float64)
    out = np.empty(e)
    up, down = (1.0 - 0.02) ** counts, (1.0 - 0.1) ** counts
    assert asymmetric_trust_step(tau, base, good, bad, up, down, 0.02, out)
    assert np.array_equal(out, want)
    for odd in (0.5, float(POWER_TABLE), -1.0, np.nan):  # not a tabulated count: refused
        g2 = good.copy()
        g2[e // 2] = odd
        assert not asymmetric_trust_step(tau, base, g2, bad, up, down, 0.02, out)
        assert not asymmetric_trust_step(tau, base, bad, g2, up, down, 0.02, out)


def test_the_trust_rule_takes_the_kernel_for_counts_and_numpy_otherwise() -> None:
    """``update_edge_trust`` (asymmetric) and ``asymmetric_update_counts`` give the NumPy
    rule's bits, through the kernel for whole counts and through the rule for others."""
    run, _ = validate(compose(["network.n=50"]))
    cfg = run.dynamics.trust
    rng = np.random.default_rng(7)
    e = 20_000

    class Graph:  # what the rule reads of a FollowGraph
        trust, baseline = rng.random(e), rng.random(e)

    for frac in (0.0, 0.25):  # whole counts, then a fractional evidence value
        good = rng.integers(0, 4, e).astype(float) + np.where(np.arange(e) == 5, frac, 0.0)
        bad = rng.integers(0, 2, e).astype(float)
        want = trust.asymmetric_update(
            Graph.trust, Graph.baseline, good, bad, cfg.alpha_up, cfg.alpha_down, cfg.relax
        )
        assert np.array_equal(trust.update_edge_trust(cfg, Graph, good, bad), want)
        got = trust.asymmetric_update_counts(
            Graph.trust, Graph.baseline, good, bad, cfg.alpha_up, cfg.alpha_down, cfg.relax
        )
        assert np.array_equal(got, want)


def test_feed_value_and_per_item_features_are_the_numpy_expressions() -> None:
    f = _feed(4)
    v = f["viewer"]
    agreement = np.empty(N_ITEMS)
    pair_agreement(v, f["opinion"], f["stance"], agreement)
    assert np.array_equal(agreement, 1.0 - np.abs(f["opinion"][v] - f["stance"]))
    cfg = ValueConfig(1.0, 0.5, 0.7, 1.3)
    n_items = np.bincount(v, minlength=N_USERS)
    want_iv = value.item_value(cfg, f["quality"], (1 + agreement) / 2, f["trust"], f["outrage"])
    tot = np.bincount(v, weights=want_iv, minlength=N_USERS)
    want_mean = np.where(n_items > 0, tot / np.maximum(n_items, 1), np.nan)
    r = f["r"]
    want_eng = np.bincount(
        v, weights=r[:, 0].astype(np.float64) + r[:, 1] + r[:, 2], minlength=N_USERS
    )
    iv, mean, eng = np.empty(N_ITEMS), np.empty(N_USERS), np.zeros(N_USERS)
    feed_value(
        v,
        _ptr(v),
        f["quality"],
        agreement,
        f["trust"],
        f["outrage"],
        r,
        np.array([1.0, 0.5, 0.7, 1.3]),
        n_items,
        iv,
        mean,
        eng,
    )
    assert np.array_equal(iv, want_iv)
    assert np.array_equal(mean, want_mean, equal_nan=True) and np.isnan(mean).any()
    assert np.array_equal(eng, want_eng)


def test_trust_evidence_and_per_user_sums_are_the_numpy_expressions() -> None:
    f = _feed(5)
    r, q, v = f["r"], f["quality"], f["viewer"]
    good, bad = np.full(N_ITEMS, 0.5), np.zeros(N_ITEMS)
    trust_evidence(r, q, 0.2, good, bad)
    assert np.array_equal(good, 0.5 + (r[:, 0] | r[:, 2]).astype(np.float64))
    assert np.array_equal(bad, (r[:, 3] | (q < 0.2)).astype(np.float64))
    total = np.zeros(N_USERS)
    add_at(v, f["stance"], total)
    assert np.array_equal(total, np.bincount(v, weights=f["stance"], minlength=N_USERS))
    total = np.zeros(N_USERS)
    viewer_sums(v, _ptr(v), f["stance"], total)
    assert np.array_equal(total, np.bincount(v, weights=f["stance"], minlength=N_USERS))
    counts = np.zeros(N_USERS, np.int64)
    count_at(v, counts)
    assert np.array_equal(counts, np.bincount(v, minlength=N_USERS))
    bits = np.zeros(N_ITEMS, np.uint64)
    for c in range(3):
        set_bit_where(r[:, c], c, bits)
    want = np.zeros(N_ITEMS, np.uint64)
    for c in range(3):
        want |= r[:, c].astype(np.uint64) << np.uint64(c)
    assert np.array_equal(bits, want)


def test_follow_proposals_are_the_rewire_mask() -> None:
    rng = np.random.default_rng(6)
    m = 5000
    r = rng.random((m, 4)) < 0.3
    viewer = rng.integers(0, 50, m).astype(np.int32)
    origin_author = rng.integers(0, 50, m).astype(np.int32)
    post_author = rng.integers(0, 50, 400).astype(np.int32)
    slot = rng.integers(0, 400, m)
    edge = rng.integers(-1, 10, m)
    liked = r[:, 0] | r[:, 2]
    want = np.flatnonzero(
        liked & (origin_author != viewer) & ((edge < 0) | (origin_author != post_author[slot]))
    )
    out = np.empty(m, np.int64)
    k = follow_proposals(r, origin_author, viewer, edge, slot, post_author, out)
    assert 0 < k < m and np.array_equal(out[:k], want)


def test_unfollow_cut_is_the_rewire_mask() -> None:
    rng = np.random.default_rng(7)
    e, n = 6000, 80
    src = np.sort(rng.integers(0, n, e)).astype(np.int32)
    dst = rng.integers(0, n, e).astype(np.int32)
    opinion = rng.uniform(-1, 1, n)
    edge_trust = rng.random(e)
    edge_trust[::7] = 0.15  # at the threshold: not below it
    tested = np.flatnonzero(rng.random(e) < 0.3)
    dist = np.abs(opinion[src[tested]] - opinion[dst[tested]])
    want = tested[(edge_trust[tested] < 0.15) | (dist > 0.9)]
    out = np.empty(tested.size, np.int64)
    k = unfollow_cut(tested, src, dst, opinion, edge_trust, 0.15, 0.9, out)
    assert 0 < k < tested.size and np.array_equal(out[:k], want)


# ------------------------------------------- models/step_kernels.py: react and count
def _react_inputs(seed: int, per_item_offset: bool, m: int = N_ITEMS) -> dict[str, Any]:
    """Random react-phase inputs: strangers (edge -1), sponsored items, shares capped."""
    rng = np.random.default_rng(seed)
    n_posts, n_edges = 500, 900
    return {
        "viewer": np.sort(rng.integers(0, N_USERS, m)).astype(np.int32),
        "slot": rng.integers(0, n_posts, m).astype(np.int64),
        "edge": np.where(rng.random(m) < 0.2, -1, rng.integers(0, n_edges, m)),
        "opinion": rng.uniform(-1, 1, N_USERS),
        "susceptibility": rng.random(N_USERS),
        "stance": rng.uniform(-1, 1, n_posts),
        "outrage": rng.random(n_posts),
        "quality": rng.random(n_posts),
        "seen": rng.random(m) < 0.3,
        "edge_trust": rng.random(n_edges),
        "coef": rng.normal(size=(4, 7)),
        "offset": rng.normal(size=(m, 4)) if per_item_offset else rng.normal(size=(1, 4)),
        "share_factor": rng.uniform(0.2, 3.0, N_USERS),  # some shares reach the cap of 1
        "draw": rng.random((m, 4)),
    }


@pytest.mark.parametrize("per_item_offset", [True, False])
def test_react_items_are_the_probabilities_scaled_and_drawn(per_item_offset: bool) -> None:
    d = _react_inputs(7, per_item_offset)
    args = (d["viewer"], d["slot"], d["edge"], d["opinion"], d["susceptibility"])
    args += (d["stance"], d["outrage"], d["quality"], d["seen"], d["edge_trust"], 0.3)
    args += (d["coef"], d["offset"])
    prob = np.empty((N_ITEMS, 4))
    reaction_probabilities(*args, prob)
    scale_capped(prob, 2, d["viewer"], d["share_factor"])
    assert (prob[:, 2] == 1.0).any() and not (prob[:, 2] == 1.0).all()
    want = d["draw"] < prob
    got = np.empty((N_ITEMS, 4), bool)
    feats = [np.empty(N_ITEMS) for _ in range(3)]
    scratch = np.empty(4 * N_ITEMS + 8)  # a recycled buffer may be longer
    react_items(*args, d["share_factor"], d["draw"], scratch, got, *feats)
    assert np.array_equal(got, want) and want.any() and not want.all()
    for name, f in zip(("stance", "outrage", "quality"), feats, strict=True):
        assert np.array_equal(f, d[name][d["slot"]])
    skipped = np.empty((N_ITEMS, 4), bool)
    react_items(*args, d["share_factor"], d["draw"], scratch, skipped, *[np.empty(0)] * 3)
    assert np.array_equal(skipped, want)


def test_sponsored_seen_is_the_numpy_expression() -> None:
    rng = np.random.default_rng(8)
    sponsored, disclosed = rng.random(300) < 0.4, rng.random(300) < 0.5
    slot = rng.integers(0, 300, N_ITEMS)
    out = np.empty(N_ITEMS, bool)
    sponsored_seen(slot, sponsored, disclosed, out)
    assert np.array_equal(out, sponsored[slot] & disclosed[slot]) and out.any()


def test_count_items_is_the_separate_passes() -> None:
    f = _feed(9)
    rng = np.random.default_rng(9)
    r, v, n_posts, n_groups = f["r"], f["viewer"], 700, 3
    origin = rng.integers(0, n_posts, N_ITEMS)
    group = rng.integers(0, n_groups, N_USERS).astype(np.int16)
    good0, bad0 = rng.integers(0, 2, N_ITEMS).astype(np.float64), np.zeros(N_ITEMS)

    def counters() -> list[np.ndarray]:
        flat = [np.zeros(n_posts, np.int32) for _ in range(5)]
        return flat + [np.zeros((n_posts, n_groups), np.int32) for _ in range(2)]

    want_c, got_c = counters(), counters()
    want_good, want_bad = good0.copy(), bad0.copy()
    trust_evidence(r, f["quality"], 0.2, want_good, want_bad)
    count_reactions(origin, group[v], r, *want_c)
    good, bad = good0.copy(), bad0.copy()
    totals = np.zeros(5, np.int64)
    shared = np.empty(N_ITEMS, np.int64)
    k = count_items(
        r, f["quality"], 0.2, f["outrage"], 0.7, origin, v, group, *got_c, good, bad, totals, shared
    )
    assert np.array_equal(good, want_good) and np.array_equal(bad, want_bad)
    for a, b in zip(got_c, want_c, strict=True):
        assert np.array_equal(a, b)
    assert totals.tolist() == [*r.sum(axis=0).tolist(), int((f["outrage"] >= 0.7).sum())]
    assert np.array_equal(shared[:k], np.flatnonzero(r[:, 2])) and k > 0


@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("live", [(0, 700), (520, 610), (699, 700)])
def test_count_items_split_is_count_items(parts: int, threads: int, live: tuple[int, int]) -> None:
    """The loops for threads (``platform.threads`` > 1) count exactly what the fused
    pass counts, whatever the number of post ranges and threads, and wherever in the
    post buffer the original posts are (spread over it, a narrow band as the live
    posts of the ring buffer, a single slot: the ranges follow the items).
    """
    if threads > thread_limit():
        pytest.skip("Numba's pool has one thread here")
    f = _feed(11)
    rng = np.random.default_rng(11)
    r, v, n_posts, n_groups = f["r"], f["viewer"], 700, 3
    origin = rng.integers(*live, N_ITEMS)
    group = rng.integers(0, n_groups, N_USERS).astype(np.int16)
    good0 = rng.integers(0, 2, N_ITEMS).astype(np.float64)

    def run(kernel: Any, *extra: int) -> list[Any]:
        flat = [np.zeros(n_posts, np.int32) for _ in range(5)]
        cnt = flat + [np.zeros((n_posts, n_groups), np.int32) for _ in range(2)]
        good, bad = good0.copy(), np.zeros(N_ITEMS)
        totals, shared = np.zeros(5, np.int64), np.full(N_ITEMS, -1, np.int64)
        k = kernel(
            r,
            f["quality"],
            0.2,
            f["outrage"],
            0.7,
            origin,
            v,
            group,
            *cnt,
            good,
            bad,
            totals,
            shared,
            *extra,
        )
        return [*cnt, good, bad, totals, shared[:k]]

    want = run(count_items)
    set_threads(threads)
    try:
        got = run(threaded(count_items_split), parts)
    finally:
        set_threads(1)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.skipif(thread_limit() < 2, reason="Numba's pool has one thread here")
def test_react_items_do_not_depend_on_the_thread_count() -> None:
    """The parallel twin (``platform.threads`` 2) draws the same reactions and keeps the
    same features as the serial kernel, and both are the reference probabilities
    against the uniforms.
    """
    m = 50_001
    d = _react_inputs(12, False, m)
    args = (d["viewer"], d["slot"], d["edge"], d["opinion"], d["susceptibility"])
    args += (d["stance"], d["outrage"], d["quality"], d["seen"], d["edge_trust"], 0.3)
    args += (d["coef"], d["offset"])
    prob = np.empty((m, 4))
    reaction_probabilities(*args, prob)
    scale_capped(prob, 2, d["viewer"], d["share_factor"])
    out = []
    for threads in (1, 2):
        got, feats = np.empty((m, 4), bool), [np.empty(m) for _ in range(3)]
        set_threads(threads)
        try:
            threaded(react_items)(*args, d["share_factor"], d["draw"], np.empty(4 * m), got, *feats)
        finally:
            set_threads(1)
        out.append([got, *feats])
    assert np.array_equal(out[0][0], d["draw"] < prob)
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("n", [0, 1, 7, 300, 5000])
@pytest.mark.parametrize("threads", [1, 2])
def test_splice_is_delete_then_insert(n: int, threads: int) -> None:
    """The chunked splice (the follow graph's rewiring) is ``np.delete`` then
    ``np.insert``, with insertions at the front, at the end, several at one position
    and before removed items, at any number of chunks (fewer items than
    :data:`CHUNKS`, and more) and threads.
    """
    if threads > thread_limit():
        pytest.skip("Numba's pool has one thread here")
    rng = np.random.default_rng(n)
    old = rng.normal(size=n)
    remove = np.flatnonzero(rng.random(n) < 0.2)
    ins_pos = np.sort(np.concatenate([rng.integers(0, n + 1, n // 3 + 2), [0, n, n]]))
    ins_val = rng.normal(size=ins_pos.shape[0])
    before = np.searchsorted(remove, ins_pos)  # removals before each insertion point
    want = np.insert(np.delete(old, remove), ins_pos - before, ins_val)
    got = np.full(want.shape[0], np.nan)
    set_threads(threads)
    try:
        threaded(splice)(old, remove, ins_pos, ins_val, got)
    finally:
        set_threads(1)
    assert np.array_equal(got, want)
