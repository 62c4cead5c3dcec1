"""Ranking policies: one shared contract for every ``conf/ranking/*.yaml`` option, and a
known-answer test for each policy (docs/ranking.md §The shared contract)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from helpers import stranger_candidates
from scipy.special import expit

from feedlab.experiments import build, compose
from feedlab.models.feed import Candidates, typical_members
from feedlab.models.kernels import tie_value
from feedlab.models.posts import PostStore
from feedlab.models.ranking import RANKINGS
from feedlab.models.ranking.diversity import diverse_topk

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = sorted(p.stem for p in (ROOT / "conf" / "ranking").glob("*.yaml"))


# --------------------------------------------------------------------- the contract
def _model_candidates(option: str, n: int = 300, seed: int = 4):
    """A model after two steps, and the gathered candidates of its third step (window 2,
    so candidates span several post times and the observed counters are filled)."""
    m = build(
        compose(
            [
                f"ranking={option}",
                f"network.n={n}",
                "platform.window=2",
                f"seed={seed}",
                "output.mesa_agents=false",
            ]
        )
    )
    for _ in range(2):
        m.step()
    m.post(m.t)
    return m, m.gather(m.t)


@pytest.mark.parametrize("option", OPTIONS)
def test_policy_contract(option: str) -> None:
    """At most k items per viewer (exactly min(k, available)), only that viewer's
    candidates, no duplicates, one segment per viewer in one call, deterministic given
    the same inputs and rng."""
    m, cand = _model_candidates(option)
    policy = m.policies[0]
    assert (
        policy.unit_name
        == yaml.safe_load((ROOT / "conf/ranking" / f"{option}.yaml").read_text())["name"]
    )
    k = m.feed_lengths()[cand.viewers]
    sel, ptr = policy.rank(cand, k, np.random.default_rng(11))
    avail = np.diff(cand.ptr)
    assert ptr.shape == (cand.viewers.shape[0] + 1,) and ptr[0] == 0 and ptr[-1] == sel.size
    counts = np.diff(ptr)
    assert np.all(counts <= k)
    assert np.array_equal(counts, np.minimum(k, avail))
    seg_viewer = np.repeat(cand.viewers, counts)
    assert np.array_equal(cand.viewer[sel], seg_viewer)  # only the viewer's own candidates
    assert np.unique(sel).size == sel.size  # no duplicates
    # every score is a number (a NaN would silently break the top-k order)
    score = getattr(policy, "score", None)
    if score is not None:
        assert np.isfinite(score(cand, np.random.default_rng(3))).all()
    # deterministic: the same state and the same rng give the same feeds
    m2, cand2 = _model_candidates(option)
    sel2, ptr2 = m2.policies[0].rank(cand2, k, np.random.default_rng(11))
    assert np.array_equal(sel, sel2) and np.array_equal(ptr, ptr2)


@pytest.mark.parametrize("option", OPTIONS)
def test_policy_on_an_arm_subset(option: str) -> None:
    """Policies rank any subset of viewers (an experimental arm) in one call."""
    m, cand = _model_candidates(option)
    mask = np.arange(cand.viewers.size) % 3 == 0
    sub, idx = cand.subset(mask)
    k = m.feed_lengths()[sub.viewers]
    sel, ptr = m.policies[0].rank(sub, k, np.random.default_rng(2))
    assert np.array_equal(np.diff(ptr), np.minimum(k, np.diff(sub.ptr)))
    assert np.all(np.isin(cand.viewer[idx[sel]], sub.viewers))


FEATURES = ("predicted", "origin_slot", "origin_author", "viewer", "time", "political")


def _rank_call_count(option: str, n: int, wrap=None) -> int:
    """Python and C function calls made by one ``rank`` over all viewers of a network of
    ``n`` users (~10 candidates each; features computed beforehand, JIT warmed up)."""
    m = build(
        compose(
            [
                f"ranking={option}",
                f"network.n={n}",
                "network.mean_degree=5",
                "population.activity.mean=1.0",
                "population.activity.sd=0",
                "platform.window=2",
                "output.mesa_agents=false",
            ]
        )
    )
    m.step()
    m.post(m.t)
    cand = m.gather(m.t)
    for name in FEATURES:
        getattr(cand, name)
    if getattr(m.policies[0], "variant", "") == "predicted":
        cand.group_predicted  # noqa: B018 (computed beforehand like the other features)
    k = m.feed_lengths()
    rank = m.policies[0].rank if wrap is None else wrap(m.policies[0].rank)
    rank(cand, k, np.random.default_rng(0))  # compile and fill caches first
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        rank(cand, k, np.random.default_rng(1))
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="without the JIT the kernels are loops"
)
@pytest.mark.parametrize("option", OPTIONS)
def test_policy_is_vectorised(option: str) -> None:
    """One call ranks every viewer with a number of Python/C function calls that does not
    grow with the number of viewers (1000 → 8000 users: the counts were equal for every
    policy); a loop over viewers would add ≥ 7000. A count, not a timing, so the machine's
    speed and load do not matter. The throughput itself (≥ 30 M candidates per
    CPU-second for every policy) is measured and judged by ``feedlab bench``
    (docs/performance.md; tests/benchmarks/test_bench.py checks the judging)."""
    small, large = _rank_call_count(option, 1000), _rank_call_count(option, 8000)
    assert large <= small + 20, f"{option}: {small} calls at N=1000, {large} at N=8000"


def test_a_loop_over_viewers_is_caught() -> None:
    """The check above can fail: the same policy wrapped in a per-viewer Python loop."""

    def per_viewer(rank):
        def looped(cand, k, rng):
            for v in cand.viewers:  # the pattern a vectorised policy must not have
                np.sum(cand.ptr[:2]) + int(v)
            return rank(cand, k, rng)

        return looped

    small = _rank_call_count("engagement", 1000, per_viewer)
    large = _rank_call_count("engagement", 8000, per_viewer)
    assert large > small + 20


# ------------------------------------------------------------ hand-made candidates
def _toy(
    opinions,
    groups,
    posts,
    pairs,
    predictor=None,
    quality=None,
):
    """Candidates from explicit users, posts and (viewer, post index) pairs.

    ``posts`` is a list of dicts with author/stance/outrage/quality/political;
    ``pairs`` a list of (viewer, post index), grouped by viewer.
    """
    n = len(opinions)
    users = SimpleNamespace(
        opinion=np.asarray(opinions, float),
        group=np.asarray(groups, np.int64),
        role=np.zeros(n, np.int8),
        quality=np.asarray(quality if quality is not None else [0.6] * n, float),
        susceptibility=np.full(n, 0.4),
        n=n,
    )
    store = PostStore(64, int(max(groups)) + 1)
    cols = {
        k: np.array([p.get(k, d) for p in posts])
        for k, d in (
            ("stance", 0.0),
            ("outrage", 0.1),
            ("quality", 0.6),
            ("political", False),
        )
    }
    slots = store.add(
        int(posts[0].get("time", 0)),
        np.array([p["author"] for p in posts], np.int32),
        **cols,
    )
    for i, p in enumerate(posts):
        store.time[slots[i]] = p.get("time", 0)
    viewer = np.array([v for v, _ in pairs], np.int64)
    slot = slots[np.array([j for _, j in pairs])]
    cand = stranger_candidates(viewer, slot, users, store, predictor)
    return cand, slots


def agreement_predictor(cand: Candidates) -> np.ndarray:
    """A noiseless toy platform model: like rises with agreement, comment with
    disagreement, negative feedback with disagreement."""
    a = 1.0 - np.abs(cand.users.opinion[cand.viewer] - cand.posts.stance[cand.slot])
    out = np.empty((cand.size, 4))
    out[:, 0] = expit(-1.0 + 3.0 * a)
    out[:, 1] = expit(-3.0 - 1.0 * a)
    out[:, 2] = expit(-3.0 + 1.0 * a)
    out[:, 3] = expit(-3.0 - 2.0 * a)
    return out


def fixed_predictor(table: dict[int, tuple[float, float, float, float]]):
    """Predictions by post author (a toy platform model with known outputs)."""

    def predict(cand: Candidates) -> np.ndarray:
        author = cand.posts.author[cand.slot]
        return np.array([table[int(a)] for a in author], float).reshape(-1, 4)

    return predict


def _unit(name: str, **over):
    node = yaml.safe_load((ROOT / "conf/ranking" / f"{name}.yaml").read_text())
    node.update(over)
    return RANKINGS.build(node)


def _order(policy, cand, k, seed=0):
    sel, ptr = policy.rank(cand, np.full(cand.viewers.size, k), np.random.default_rng(seed))
    return sel, ptr


# ---------------------------------------------------------------- known answers
def test_typical_member_is_closest_to_group_mean() -> None:
    users = SimpleNamespace(
        opinion=np.array([-0.9, -0.5, -0.1, 0.2, 0.6, 1.0]),
        susceptibility=np.full(6, 0.4),
        group=np.array([0, 0, 0, 1, 1, 1]),
        role=np.array([0, 0, 0, 0, 0, 0]),
    )
    assert typical_members(users).tolist() == [1, 4]  # mean opinions -0.5 and 0.6
    users.role = np.array([0, 3, 0, 0, 0, 0])  # a bot is never the typical member
    assert typical_members(users).tolist() == [0, 4]  # tie of 0 and 2: lowest id
    # susceptibility counts too: of two members at the group's mean opinion, the one
    # nearer the group's mean susceptibility is typical
    users = SimpleNamespace(
        opinion=np.array([-0.9, -0.5, -0.1, 0.5, 0.6, 0.6, 0.7]),
        susceptibility=np.array([0.4, 0.4, 0.4, 0.4, 0.9, 0.45, 0.4]),
        group=np.array([0, 0, 0, 1, 1, 1, 1]),
        role=np.zeros(7, int),
    )
    assert typical_members(users).tolist() == [1, 5]
    users.susceptibility = np.array([0.4, 0.4, 0.4, 0.4, 0.45, 0.9, 0.4])
    assert typical_members(users).tolist() == [1, 4]


@pytest.mark.parametrize("option", ["bridging", "bridging_observed"])
@pytest.mark.parametrize("aggregate", ["min", "product"])
def test_bridging_prefers_approval_across_groups(option: str, aggregate: str) -> None:
    """A post approved by both groups outranks one approved by one group only, even for
    a viewer of the group that loves the partisan post (where engagement ranks it first)."""
    opinions = [-0.6, -0.5, -0.4, 0.4, 0.5, 0.6]
    groups = [0, 0, 0, 1, 1, 1]
    posts = [
        {"author": 0, "stance": 0.0},  # post 0: moderate, liked by both groups
        {"author": 4, "stance": 0.6},  # post 1: partisan, liked by group 1 only
    ]
    pairs = [(5, 0), (5, 1)]  # a group-1 viewer with both candidates
    cand, slots = _toy(opinions, groups, posts, pairs, predictor=agreement_predictor)
    if option == "bridging_observed":  # observed: 8/10 likes in both groups vs 1/10 and 10/10
        cand.posts.impressions_by_group[slots] = [[10, 10], [10, 10]]
        cand.posts.likes_by_group[slots] = [[8, 8], [1, 10]]
    policy = _unit(option, aggregate=aggregate)
    sel, _ = _order(policy, cand, k=1)
    assert cand.slot[sel[0]] == slots[0]
    eng, _ = _order(_unit("engagement"), cand, k=1)  # the contrast: engagement picks post 1
    assert cand.slot[eng[0]] == slots[1]


def test_bridging_predicted_uses_the_platforms_noisy_predictor() -> None:
    """Group approvals come from the candidates' predictor (so prediction noise and bias
    reach the bridging score): a biased predictor flips the order."""
    cand, slots = _toy(
        [-0.5, 0.5],
        [0, 1],
        [{"author": 0, "stance": 0.0}, {"author": 1, "stance": 0.5}],
        [(1, 0), (1, 1)],
        predictor=agreement_predictor,
    )
    table = cand.group_predicted
    assert np.isfinite(table[slots]).all() and table.shape[1] == 2

    def biased(c: Candidates) -> np.ndarray:
        out = agreement_predictor(c)
        out[c.posts.author[c.slot] == 1, 0] = 0.99  # the platform overrates post 1
        return out

    cand2, slots2 = _toy(
        [-0.5, 0.5],
        [0, 1],
        [{"author": 0, "stance": 0.0}, {"author": 1, "stance": 0.5}],
        [(1, 0), (1, 1)],
        predictor=biased,
    )
    policy = _unit("bridging")
    assert cand.slot[_order(policy, cand, 1)[0][0]] == slots[0]
    assert cand2.slot[_order(policy, cand2, 1)[0][0]] == slots2[1]


def test_algorithmic_bias_with_large_gamma_picks_the_closest_author() -> None:
    opinions = [0.0, 0.1, 0.5, -0.9]
    posts = [{"author": 1}, {"author": 2}, {"author": 3}]
    cand, _ = _toy(opinions, [0, 0, 0, 0], posts, [(0, 0), (0, 1), (0, 2)])
    policy = _unit("algorithmic_bias", gamma=50.0)
    picks = [cand.author[_order(policy, cand, 1, seed=s)[0][0]] for s in range(200)]
    assert set(picks) == {1}
    # γ = 0 is uniform: every author is picked (200 draws; P(one never picked) < 1e-30)
    flat = _unit("algorithmic_bias", gamma=0.0)
    picks0 = [cand.author[_order(flat, cand, 1, seed=s)[0][0]] for s in range(200)]
    assert set(picks0) == {1, 2, 3}


def test_algorithmic_bias_picks_in_proportion_to_distance_weights() -> None:
    """k = 1 is Sîrbu et al.'s choice: P(author j) ∝ |x_i − x_j|^(−γ). γ = 1 and distances
    0.1, 0.5, 0.9 give weights 10, 2, 10/9, i.e. P = 0.763, 0.153, 0.085. Over 2000
    seeds each count is within 4 binomial sd (√(2000·p·(1−p)) ≤ 19.0) of 2000·p."""
    opinions = [0.0, 0.1, 0.5, -0.9]
    posts = [{"author": 1}, {"author": 2}, {"author": 3}]
    cand, _ = _toy(opinions, [0, 0, 0, 0], posts, [(0, 0), (0, 1), (0, 2)])
    policy = _unit("algorithmic_bias", gamma=1.0)
    picks = [int(cand.author[_order(policy, cand, 1, seed=s)[0][0]]) for s in range(2000)]
    counts = np.bincount(picks, minlength=4)[1:]
    w = np.array([10.0, 2.0, 10.0 / 9.0])
    p = w / w.sum()
    sd = np.sqrt(2000 * p * (1 - p))
    assert np.all(np.abs(counts - 2000 * p) < 4 * sd), counts


def test_negfb_ranks_a_political_high_comment_post_lower_than_engagement() -> None:
    posts = [
        {"author": 1, "political": True},  # comment magnet on politics
        {"author": 2, "political": False},  # pleasant, liked
    ]
    pred = fixed_predictor({1: (0.10, 0.20, 0.05, 0.10), 2: (0.60, 0.05, 0.10, 0.01)})
    cand, slots = _toy([0.0, 0.0, 0.0], [0, 0, 0], posts, [(0, 0), (0, 1)], predictor=pred)
    # engagement: 0.10 + 30·0.20 + 5·0.05 = 6.35  >  0.60 + 30·0.05 + 5·0.10 = 2.60
    eng, _ = _order(_unit("engagement"), cand, k=2)
    assert cand.slot[eng].tolist() == [slots[0], slots[1]]
    # negfb: 0.10 + 0.2·30·0.20 + 0.2·5·0.05 - 30·0.10 = -1.65  <  2.60 - 0.30 = 2.30
    neg, _ = _order(_unit("engagement_negfb"), cand, k=2)
    assert cand.slot[neg].tolist() == [slots[1], slots[0]]
    # with no political cut and no negfb weight it is exactly engagement
    same = _unit("engagement_negfb", political={"comment": 1.0, "share": 1.0}, negfb=0.0)
    assert np.array_equal(same.score(cand, None), _unit("engagement").score(cand, None))


def test_quality_prefers_quality_and_downranks_unreliable_sources() -> None:
    posts = [
        {"author": 1, "quality": 0.9},
        {"author": 2, "quality": 0.5},
        {"author": 3, "quality": 0.9},  # as good as post 0, but from an unreliable source
    ]
    pred = fixed_predictor({a: (0.5, 0.0, 0.0, 0.0) for a in (1, 2, 3)})
    cand, slots = _toy(
        [0.0] * 4, [0] * 4, posts, [(0, 0), (0, 1), (0, 2)], predictor=pred,
        quality=[0.6, 0.7, 0.7, 0.2],
    )  # fmt: skip
    sel, _ = _order(_unit("quality", downrank=0.5), cand, k=3)
    # scores: 0.45, 0.25, 0.225
    assert cand.slot[sel].tolist() == [slots[0], slots[1], slots[2]]
    sel1, _ = _order(_unit("quality", downrank=1.0), cand, k=2)  # no penalty: tie 0 and 2
    assert set(cand.slot[sel1].tolist()) == {slots[0], slots[2]}


def test_chronological_is_newest_first() -> None:
    posts = [{"author": 1, "time": t} for t in (0, 1, 2, 3)]
    cand, slots = _toy([0.0, 0.0], [0, 0], posts, [(0, 0), (0, 1), (0, 2), (0, 3)])
    cand.posts.time[slots] = [0, 3, 1, 2]
    sel, _ = _order(_unit("chronological"), cand, k=4)
    assert cand.time[sel].tolist() == [3, 2, 1, 0]


def test_random_is_uniform() -> None:
    """Each of 5 candidates enters a 2-item feed with probability 2/5: over 4000 draws
    the count per item is Binomial(4000, 0.4), sd ≈ 31; we allow ±5 sd."""
    posts = [{"author": 1}] * 5
    cand, _ = _toy([0.0, 0.0], [0, 0], posts, [(0, j) for j in range(5)])
    rng = np.random.default_rng(0)
    hits = np.zeros(5)
    policy = _unit("random")
    for _ in range(4000):
        sel, _ = policy.rank(cand, np.array([2]), rng)
        hits[sel] += 1
    assert np.all(np.abs(hits - 1600) < 5 * 31)


def _diversity_case(n_cross: int):
    """Viewer 0 (group 0) with 20 candidates; the first n_cross are cross-cutting (by
    user 20, group 1) and have the lowest predicted engagement."""
    opinions = [0.0] * 21
    groups = [0] * 20 + [1]
    posts = [{"author": 20 if j < n_cross else j} for j in range(20)]
    table = {a: (0.2 + 0.04 * a, 0.0, 0.0, 0.0) for a in range(20)}
    table[20] = (0.1, 0.0, 0.0, 0.0)
    cand, _ = _toy(opinions, groups, posts, [(0, j) for j in range(20)])
    cand.predictor = fixed_predictor(table)
    return cand


@pytest.mark.parametrize(("rho", "k", "n_cross", "expect"), [
    (0.3, 5, 4, 2),  # ⌈1.5⌉ = 2 reserved, 4 available
    (0.3, 10, 4, 3),  # ⌈3.0⌉ = 3 (not 4: 0.3·10 is rounded before the ceiling)
    (0.5, 5, 1, 1),  # 3 reserved but only 1 available: the rest by engagement
    (0.0, 5, 4, 0),  # ρ = 0 is engagement ranking: the low-scoring cross-cutting items lose
    (1.0, 4, 4, 4),
])  # fmt: skip
def test_diversity_reserves_cross_cutting_slots(rho, k, n_cross, expect) -> None:
    cand = _diversity_case(n_cross)
    policy = _unit("diversity", rho=rho)
    sel, _ = _order(policy, cand, k=k)
    g = cand.users.group
    cross = g[cand.origin_author[sel]] != g[cand.viewer[sel]]
    assert sel.size == k and int(cross.sum()) == expect
    base = policy.score(cand, None)
    assert np.all(np.diff(base[sel]) <= 0)  # shown in descending base score
    # the non-reserved slots hold the best of the remaining items
    rest = np.setdiff1d(np.arange(cand.size), sel)
    assert base[sel][~cross].min(initial=np.inf) >= base[rest].max(initial=-np.inf) or (
        base[sel][~cross].size == 0
    )


@pytest.mark.parametrize("ties", [True, False])
def test_diverse_topk_matches_a_reference(ties: bool) -> None:
    """The Numba kernel against a direct per-segment construction on random data, with
    segments short and long (the prefilter applies to those ≥ 3k)."""
    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 60, size=400)
    ptr = np.zeros(sizes.size + 1, np.int64)
    np.cumsum(sizes, out=ptr[1:])
    m = int(ptr[-1])
    # many ties exercise the tie-break
    score = rng.integers(0, 6, size=m).astype(float) if ties else rng.normal(size=m)
    key = 12345
    tb = np.array([tie_value(np.uint64(key), j) for j in range(m)])
    cross = rng.random(m) < 0.3
    k = rng.integers(0, 16, size=sizes.size)
    r = rng.integers(0, 8, size=sizes.size)
    assert (sizes >= 3 * k).any() and (sizes < 3 * k).any()
    sel, out_ptr = diverse_topk(score, cross, ptr, k, r, key)
    for s in range(sizes.size):
        idx = np.arange(ptr[s], ptr[s + 1])
        order = idx[np.lexsort((idx, -tb[idx], -score[idx]))]
        take = min(k[s], idx.size)
        res = min(r[s], take)
        a = [j for j in order if cross[j]][:res]
        b = [j for j in order if j not in a][: take - len(a)]
        expect = sorted(a + b, key=lambda j: (-score[j], -tb[j], j))
        assert sel[out_ptr[s] : out_ptr[s + 1]].tolist() == expect


# ---------------------------------------------------------------------------- labels
def _react_once(*overrides: str):
    m = build(compose(["network.n=600", "output.mesa_agents=false", "seed=2", *overrides]))
    m.post(m.t)
    cand = m.gather(m.t)
    feed = m.rank(cand)
    ctx = m.react(m.t, cand, feed)
    lab = m.users.quality[cand.origin_author[feed.pair]] < 0.4
    return m, ctx, lab


def test_labels_lower_like_and_share_probability_of_labelled_items() -> None:
    """With a strong label (−10 log-odds) labelled items are almost never liked or
    shared; without labels they are liked at the usual rate. The same seed gives the same
    feeds (labels act after ranking), so the comparison is paired."""
    _, ctx_off, lab_off = _react_once("platform.labels.enabled=false")
    on, ctx_on, lab_on = _react_once(
        "platform.labels.enabled=true", "platform.labels.like=-10", "platform.labels.share=-10"
    )
    assert np.array_equal(lab_off, lab_on) and lab_on.sum() > 50
    assert ctx_off.reactions[lab_off, 0].mean() > 0.1
    assert ctx_on.reactions[lab_on, 0].mean() < 0.01 and ctx_on.reactions[lab_on, 2].sum() == 0
    # unlabelled items are untouched: same log-odds (offset 0)
    assert np.all(ctx_on.logit_offset[~lab_on] == 0)
    assert "labelled_share" in on.metrics()
    assert on.metrics()["labelled_share"] == pytest.approx(lab_on.mean())


def test_labels_are_off_by_default_and_validated() -> None:
    from feedlab.experiments.config import validate
    from feedlab.experiments.schema import ConfigError

    run, _ = validate(compose([]))
    assert run.platform.labels.enabled is False
    with pytest.raises(ConfigError, match=r"platform\.labels\.reliability_threshold"):
        validate(compose(["platform.labels.reliability_threshold=2"]))
