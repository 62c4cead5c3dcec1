"""Matrix-factorisation bridging (``ranking=bridging_mf``, models/ranking/bridging_mf.py):
known answers on synthetic ratings, the fit's properties, and a run end to end.

The shared contract (at most k per viewer, determinism, vectorised) runs over every
``conf/ranking/*.yaml`` in tests/models/test_ranking.py, this policy included."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from helpers import stranger_candidates

from feedlab.experiments import build, compose, run_experiment
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError
from feedlab.models.feed import Candidates
from feedlab.models.posts import PostStore
from feedlab.models.ranking import RANKINGS
from feedlab.models.ranking.bridging_mf import (
    MFParams,
    RatingData,
    Ridge,
    als_epoch,
    hash_init,
    rating_counts,
    regularised_loss,
)

ROOT = Path(__file__).resolve().parents[2]
LIKE, SILENT = 1, 0  # reaction codes of MFState chunks (1 like, 2 negfb, 3 both, 0 neither)


def _policy(**over):
    node = yaml.safe_load((ROOT / "conf/ranking/bridging_mf.yaml").read_text())
    node.update(over)
    return RANKINGS.build(node)


def _camps(n_per_camp: int = 20, n_partisan: int = 10):
    """Synthetic ratings of two camps (users 0..n-1 'left', n..2n-1 'right').

    Posts 0..2·n_partisan-1 are partisan background: a left post is liked by every left
    user and seen without a like by every right user, and vice versa. Then two test posts
    with the *same raw like rate* (0.8) and B with *more* likes:

    * post A (bridging): seen by 10 users of each camp, liked by 8 of each (16 likes);
    * post B (one-sided): seen by all 20 left users, liked by all of them, and by 5 right
      users, liked by none (20 likes out of 25).
    """
    n = n_per_camp
    left, right = np.arange(n), np.arange(n, 2 * n)
    user, post, code = [], [], []

    def rate(users, p, liked):
        user.extend(users.tolist())
        post.extend([p] * len(users))
        code.extend([LIKE if liked else SILENT] * len(users))

    for j in range(2 * n_partisan):
        own, other = (left, right) if j < n_partisan else (right, left)
        rate(own, j, True)
        rate(other, j, False)
    a, b = 2 * n_partisan, 2 * n_partisan + 1
    rate(left[:8], a, True)
    rate(left[8:10], a, False)
    rate(right[:8], a, True)
    rate(right[8:10], a, False)
    rate(left, b, True)
    rate(right[:5], b, False)
    opinion = np.r_[np.full(n, -0.5), np.full(n, 0.5)]
    return (
        np.array(user, np.int32),
        np.array(post, np.int64),
        np.array(code, np.int8),
        opinion,
        a,
        b,
    )


def _fitted(policy, n_users, user, post, code, steps: int = 20):
    """The policy's state after ``steps`` fits on one chunk of ratings (warm-started, as
    in a run where the same ratings stay in the window)."""
    st = policy.state
    st.reset()
    st.add(0, user, post, code)
    for _ in range(steps):
        st.fit(n_users)
    return st


# ------------------------------------------------------------------- known answers
def test_intercept_rewards_approval_across_camps() -> None:
    """A (liked by 8/10 in both camps) gets a larger intercept than B (liked by all of
    one camp, none of the other) although B has more likes (20 vs 16) at the same raw
    like rate (0.8): B's likes are explained by the viewpoint factor. Without the factor
    the order flips."""
    user, post, code, _, a, b = _camps()
    policy = _policy()
    st = _fitted(policy, 40, user, post, code)
    i_a, i_b = st.intercept_of(np.array([a, b]))
    assert i_a > i_b + 0.1, (i_a, i_b)
    # the contrast: without the factor term (λ_f huge) B's extra likes win
    flat = _fitted(_policy(lambda_factor=1e6), 40, user, post, code)
    f_a, f_b = flat.intercept_of(np.array([a, b]))
    assert f_b > f_a
    likes = np.bincount(post, weights=code == LIKE)
    seen = np.bincount(post)
    assert likes[b] > likes[a] and likes[a] / seen[a] == likes[b] / seen[b]


def _toy_candidates(n_posts: int, pairs, opinions, predictor=None) -> Candidates:
    """Candidates over a post store whose ids 0..n_posts-1 are the synthetic posts."""
    n = len(opinions)
    store = PostStore(256, 2)
    store.add(0, np.zeros(n_posts, np.int32), stance=np.zeros(n_posts))
    viewer = np.array([v for v, _ in pairs], np.int64)
    users = SimpleNamespace(
        opinion=np.asarray(opinions, float),
        group=(np.asarray(opinions) > 0).astype(np.int64),
        role=np.zeros(n, np.int8),
        susceptibility=np.full(n, 0.4),
        n=n,
    )
    slot = np.array([p for _, p in pairs], np.int64)  # slot == id for the first 256
    return stranger_candidates(viewer, slot, users, store, predictor)


def test_bridging_post_outranks_the_one_sided_post() -> None:
    """For a viewer of B's own camp, A is ranked first; every candidate is rated, so no
    prediction is needed (the toy candidates carry no predictor)."""
    user, post, code, opinion, a, b = _camps()
    policy = _policy()
    _fitted(policy, 40, user, post, code)
    cand = _toy_candidates(b + 1, [(0, b), (0, a), (0, 0)], opinion)
    sel, _ = policy.rank(cand, np.array([1]), np.random.default_rng(0))
    assert cand.slot[sel[0]] == a
    assert policy.state.candidate_share == 1.0


def test_factor_separates_the_camps() -> None:
    """The learned user factor has one sign in each camp (the axis' sign is arbitrary)
    and recovers the synthetic opinion; the partisan posts' factors follow their camp."""
    user, post, code, opinion, _, _ = _camps()
    st = _fitted(_policy(), 40, user, post, code)
    f = st.params.fu[:, 0]
    sign = np.sign(f[0])
    assert sign != 0 and np.all(np.sign(f[:20]) == sign) and np.all(np.sign(f[20:]) == -sign)
    assert st.factor_opinion_corr(opinion) > 0.95
    fp = st.params.fp[:, 0]  # post index == post id here (ids 0..21 all rated)
    assert np.all(np.sign(fp[:10]) == sign) and np.all(np.sign(fp[10:20]) == -sign)


def test_cold_posts_fall_back_to_the_predicted_rating() -> None:
    """A post with fewer than min_ratings ratings scores fallback_scale·(P̂(like) − μ)
    with the default ratings (like 1, view 0); only the cold pair is predicted."""
    user, post, code, opinion, a, b = _camps()
    policy = _policy(fallback_scale=0.5)
    st = _fitted(policy, 40, user, post, code, steps=3)
    cold = b + 1  # never rated
    seen = []

    def predictor(c: Candidates) -> np.ndarray:
        seen.append(c.size)
        out = np.zeros((c.size, 4))
        out[:, 0] = 0.9
        return out

    cand = _toy_candidates(cold + 1, [(0, a), (0, cold)], opinion, predictor)
    s = policy.score(cand, np.random.default_rng(0))
    assert s[0] == pytest.approx(st.intercept_of(np.array([a]))[0])
    assert s[1] == pytest.approx(0.5 * (0.9 - st.params.mu))
    assert seen == [1] and st.candidate_share == 0.5
    # min_ratings above every post's count: everything falls back
    strict = _policy(min_ratings=1000)
    _fitted(strict, 40, user, post, code, steps=1)
    cand2 = _toy_candidates(cold + 1, [(0, a), (0, cold)], opinion, predictor)
    strict.score(cand2, np.random.default_rng(0))
    assert strict.state.candidate_share == 0.0


# ------------------------------------------------------------------ the fit itself
def _random_problem(seed: int = 1, n_users: int = 60, n_posts: int = 80, m: int = 1500):
    """Sparse noisy ratings with a planted viewpoint structure: likes (code 1, weight 1),
    silent impressions (code 0, weight 0.7) and a few negative feedbacks (code 2)."""
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], n_users) + 0.3 * rng.standard_normal(n_users)
    s = rng.choice([-1.0, 1.0], n_posts)
    user = rng.integers(0, n_users, m).astype(np.int32)
    post = rng.integers(0, n_posts, m).astype(np.int64) + 1000  # ids need not start at 0
    p_like = 1 / (1 + np.exp(-(x[user] * s[post - 1000] + 0.5 * rng.standard_normal(m))))
    code = (rng.random(m) < p_like).astype(np.int8)
    code[rng.random(m) < 0.05] = 2
    r_of = np.array([0.0, 1.0, -1.0, 0.0])
    w_of = np.array([0.7, 1.0, 1.0, 1.0])
    return RatingData(user, post, 1000, code, r_of, w_of), n_users, n_posts


@pytest.mark.parametrize("dim", [1, 2])
def test_als_decreases_the_regularised_loss_every_epoch(dim: int) -> None:
    """Each epoch is a sequence of exact block minimisations, so L never increases; after
    an epoch the gradient of L in μ (updated last) is zero, and so is the gradient in the
    users' block at the μ the users were solved with."""
    data, nu, npost = _random_problem()
    _, _, n, sum_w = rating_counts(data, nu, npost)
    lam = Ridge.from_mean_form(0.15, 0.03, n, nu, npost)
    p = MFParams(0.0, np.zeros(nu), hash_init(nu, dim), np.zeros(npost), np.zeros((npost, dim)))
    losses = [regularised_loss(data, p, lam)]
    for _ in range(25):
        als_epoch(data, p, lam, sum_w)
        losses.append(regularised_loss(data, p, lam))
    steps = np.diff(losses)
    assert np.all(steps <= 1e-9 * losses[0]), steps.max()
    assert losses[-1] < 0.9 * losses[0]
    user, post = data.user, data.post - data.lo
    r, w = data.r_of[data.code], data.w_of[data.code]
    fit = p.iu[user] + p.ip[post] + np.sum(p.fu[user] * p.fp[post], axis=1)
    assert abs(np.sum(w * (r - p.mu - fit))) < 1e-8 * sum_w  # μ: exact weighted mean
    mu_users = p.mu - lam.user_intercept * p.iu.sum() / sum_w  # μ before its update
    e = r - mu_users - fit
    grad_i = -2 * np.bincount(user, weights=w * e, minlength=nu) + 2 * lam.user_intercept * p.iu
    grad_f = np.stack(
        [
            -2 * np.bincount(user, weights=w * e * p.fp[post, k], minlength=nu)
            + 2 * lam.user_factor * p.fu[:, k]
            for k in range(dim)
        ],
        axis=1,
    )
    assert np.abs(grad_i).max() < 1e-8 and np.abs(grad_f).max() < 1e-8


def test_hash_init_is_fixed_and_spread() -> None:
    a = hash_init(1000, 2)
    assert np.array_equal(a, hash_init(1000, 2))
    assert np.abs(a).max() <= 0.1 and abs(a.mean()) < 0.01 and a.std() > 0.05


# ------------------------------------------------------------------- configuration
def test_parameters_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"ranking\.ratings\.like"):
        validate(compose(["ranking=bridging_mf", "ranking.ratings.like=0"]))
    with pytest.raises(ConfigError) as err:
        validate(
            compose(
                [
                    "ranking=bridging_mf",
                    "ranking.dim=0",
                    "ranking.lambda_factor=0",
                    "ranking.ratings.view_weight=-1",
                ]
            )
        )
    text = str(err.value)
    for name in ("ranking.dim", "ranking.lambda_factor", "ranking.ratings.view_weight"):
        assert name in text


def test_two_arms_keep_separate_state() -> None:
    m = build(
        compose(
            [
                "network.n=200",
                "output.mesa_agents=false",
                "arms=[{name: a, ranking: {name: chronological}, share: 0.5},"
                "{name: b, ranking: ${ranking}, share: 0.5}]",
                "ranking=bridging_mf",
            ]
        )
    )
    m.step()
    row = m.metrics()
    assert row["mf_ratings__b"] > 0 and "mf_ratings" not in row
    assert 0.0 <= row["mf_feed_share__b"] <= 1.0


# -------------------------------------------------------------------- end to end
def _run(tmp_path: Path, name: str):
    return run_experiment(
        [
            "ranking=bridging_mf",
            "network.n=300",
            "steps=6",
            "platform.window=2",
            "seed=3",
            "output.mesa_agents=false",
            "output.progress=false",
            "output.quiet=true",
            f"output.dir={tmp_path / name}",
        ]
    )


def test_run_end_to_end_records_the_fit_and_is_reproducible(tmp_path: Path) -> None:
    a = _run(tmp_path, "a")
    ts = pq.read_table(a.run_dir / "timeseries.parquet").to_pydict()
    for col in ("mf_ratings", "mf_factor_opinion_corr", "mf_candidate_share", "mf_feed_share"):
        assert col in ts
    assert ts["mf_ratings"][0] == 0 and all(v > 0 for v in ts["mf_ratings"][1:])
    assert np.isfinite(ts["mf_factor_opinion_corr"][1:]).all()
    assert 0 < ts["mf_feed_share"][-1] < 1  # rated posts and cold (new) posts both shown
    assert a.summary["mf_ratings"] == ts["mf_ratings"][-1]
    b = _run(tmp_path, "b")
    assert a.summary == b.summary
    assert (a.run_dir / "timeseries.parquet").read_bytes() == (
        b.run_dir / "timeseries.parquet"
    ).read_bytes()
