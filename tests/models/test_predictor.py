"""The platform's predictor (models/predictor.py): equal to the true reaction model plus
bias plus a fixed per-(viewer, post) error; only the requested actions are computed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from feedlab.agents.rules import reaction
from feedlab.experiments import build, compose
from feedlab.models.kernels import pair_noise, sigmoid_inplace


def _model(*extra: str):
    m = build(compose(["network.n=300", "output.mesa_agents=false", *extra]))
    m.step()
    m.post(m.t)
    return m, m.gather(m.t)


def _reference(m, cand, noise_scale: float) -> np.ndarray:
    """σ(true logits + bias + noise·ε) from the readable NumPy reaction model."""
    p, u = m.posts, m.users
    ref = reaction.logits(
        m.dynamics.reaction,
        1 - np.abs(u.opinion[cand.viewer] - p.stance[cand.slot]),
        u.susceptibility[cand.viewer],
        p.outrage[cand.slot],
        cand.trust,
        p.quality[cand.slot],
        (p.sponsored & p.disclosed)[cand.slot],
    )
    pb = m.platform.prediction_bias
    ref = ref + np.array([pb.like, pb.comment, pb.share, pb.negfb])
    if noise_scale > 0:
        err = np.empty(cand.size)
        pair_noise(m.predictor.key, cand.viewer, cand.post_id, noise_scale, err)
        ref = ref + err[:, None]
    return expit(ref)


@pytest.mark.parametrize(
    "extra",
    [
        ("platform.prediction_noise=0",),
        ("platform.prediction_noise=0.5", "platform.prediction_bias.negfb=-1.0"),
    ],
)
def test_predictions_equal_the_true_model_plus_bias_and_error(extra) -> None:
    m, cand = _model(*extra)
    np.testing.assert_allclose(
        cand.predicted, _reference(m, cand, m.platform.prediction_noise), rtol=1e-12
    )


def test_only_requested_actions_are_computed_and_they_agree_with_the_full_set() -> None:
    m, cand = _model()
    (like,) = cand.predictions((0,))
    assert set(cand.__dict__["_predicted_cols"]) == {0}
    full = m.predictor(cand)  # all four in one call
    np.testing.assert_array_equal(like, full[:, 0])
    np.testing.assert_array_equal(cand.predicted, full)  # the rest computed on demand


def test_prediction_error_is_a_fixed_function_of_viewer_and_post() -> None:
    """The same pair gets the same error in any batch (an arm's subset, a later step)."""
    m, cand = _model("platform.window=3", "platform.prediction_noise=0.8")
    mask = np.zeros(cand.viewers.shape[0], bool)
    mask[::3] = True
    sub, idx = cand.subset(mask)
    np.testing.assert_array_equal(sub.predictions((1,))[0], cand.predictions((1,))[0][idx])
    # next step: pairs seen again keep their error (trust and opinions moved, so compare
    # the error itself rather than the probabilities)
    e1 = np.empty(cand.size)
    pair_noise(m.predictor.key, cand.viewer, cand.post_id, 1.0, e1)
    m.rank(cand)
    m.step()
    m.post(m.t)
    nxt = m.gather(m.t)
    e2 = np.empty(nxt.size)
    pair_noise(m.predictor.key, nxt.viewer, nxt.post_id, 1.0, e2)
    k1 = nxt.viewer.astype(np.int64) * (1 << 40) + nxt.post_id
    k0 = cand.viewer.astype(np.int64) * (1 << 40) + cand.post_id
    common, i0, i1 = np.intersect1d(k0, k1, return_indices=True)
    assert common.size > 100  # window 3: last step's posts are candidates again
    np.testing.assert_array_equal(e1[i0], e2[i1])


def test_prediction_error_is_standard_normal_enough() -> None:
    """Irwin–Hall(8), standardised: mean 0, variance 1, excess kurtosis −0.15.

    With n = 400,000 draws the standard errors are 0.0016 (mean), 0.0022 (variance) and
    0.0077 (kurtosis); the tolerances are ≈ 5 standard errors, so a correct generator
    fails with probability < 1e-5, while a mis-scaled one (variance off by 2 %) or a
    two-uniform sum (kurtosis −0.6) fails."""
    n_view, n_post = 400, 1000
    viewer = np.repeat(np.arange(n_view, dtype=np.int32), n_post)
    post = np.tile(np.arange(n_post, dtype=np.int64) + 10**9, n_view)  # large ids too
    z = np.empty(viewer.size)
    pair_noise(np.uint64(20261122), viewer, post, 1.0, z)
    assert abs(z.mean()) < 0.008
    assert abs(z.var() - 1.0) < 0.011
    assert abs(stats.kurtosis(z) + 0.15) < 0.04
    assert np.abs(z).max() <= 4.9
    # no structure along either index: neighbouring viewers and posts are uncorrelated
    zz = z.reshape(n_view, n_post)
    assert abs(np.corrcoef(zz[:-1].ravel(), zz[1:].ravel())[0, 1]) < 0.01
    assert abs(np.corrcoef(zz[:, :-1].ravel(), zz[:, 1:].ravel())[0, 1]) < 0.01
    # another key gives independent errors
    z2 = np.empty(viewer.size)
    pair_noise(np.uint64(7), viewer, post, 1.0, z2)
    assert abs(np.corrcoef(z, z2)[0, 1]) < 0.01


def test_vectorised_sigmoid_matches_the_exponential() -> None:
    x = np.concatenate([np.linspace(-39.5, 39.5, 100_001), [-1e-300, 0.0, 1e-300]])
    y = x.copy()
    sigmoid_inplace(y)
    np.testing.assert_allclose(y, expit(x), rtol=1e-12, atol=0)
    sat = np.array([-1e6, -45.0, 45.0, 1e6])
    sigmoid_inplace(sat)
    assert sat[0] == sat[1] and 0 < sat[0] < 1e-17  # clamped at σ(−40)
    assert sat[2] == sat[3] == 1.0


@pytest.mark.parametrize("sponsored", [False, True])
def test_fused_top_weighted_is_columns_then_segmented_topk(sponsored: bool) -> None:
    """:meth:`PlatformPredictor.top_weighted` (one fused pass) selects, bit for bit, what
    the predictions of :meth:`columns`, their weighted sum and ``segmented_topk`` select:
    with no post sponsored (the flags are then not read) and with disclosed sponsored
    posts (their feature on).
    """
    from feedlab.models.rank_kernels import segmented_topk

    m, cand = _model("platform.prediction_noise=0.3")
    p = m.posts
    if sponsored:
        rng = np.random.default_rng(3)
        p.sponsored[:] = rng.random(p.capacity) < 0.3
        p.disclosed[:] = rng.random(p.capacity) < 0.5
    assert p.sponsored.any() == sponsored
    w = (1.0, 0.6, 1.7)
    k = np.full(m.n, 4, np.int64)
    sel, ptr = m.predictor.top_weighted(cand, w, k, 12345)
    like, comment, share = m.predictor.columns(cand, (0, 1, 2))
    want_sel, want_ptr = segmented_topk(
        w[0] * like + w[1] * comment + w[2] * share, cand.ptr, k, 12345
    )
    assert np.array_equal(ptr, want_ptr) and np.array_equal(sel, want_sel)
