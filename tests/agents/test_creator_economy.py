"""influencer=creator_economy (docs/attention.md §Creator economy): the bandit's known
answers, strategies applied to posts, pay, and undisclosed sponsorship that emerges when
detection is cheap and fades when it is costly.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from feedlab.agents.behaviours.creator_economy import STRATEGIES, CreatorPart
from feedlab.experiments import build, compose, run_experiment
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError

BASE = ["network.n=300", "steps=6", "output.progress=false", "output.quiet=true"]


def _model(*extra: str) -> Any:
    return build(compose(["influencer=creator_economy", *BASE, *extra]))


def _part(m: Any) -> CreatorPart:
    ext = next(e for e in m.extensions if hasattr(e, "parts"))
    return next(p for p in ext.parts if isinstance(p, CreatorPart))


def test_epsilon_greedy_update_known_answer() -> None:
    m = _model("influencer.step_size=0.5", "influencer.epsilon=0")
    p = _part(m)
    ids = p.ids[:2]
    p.choice[ids] = [0, 3]
    p.reward[ids] = [10.0, 4.0]  # over a period of 2 steps: 5 and 2 per step
    p._learn(ids, 2)
    assert p.q[ids[0]].tolist() == [2.5, 0, 0, 0]
    assert p.q[ids[1]].tolist() == [0, 0, 0, 1.0]
    assert p.reward[ids].tolist() == [0, 0]
    p._choose(ids)  # ε = 0: the best estimate
    assert p.choice[ids].tolist() == [0, 3]


def test_exp3_probabilities_and_update_known_answer() -> None:
    m = _model("influencer.learner=exp3", "influencer.gamma=0.2", "influencer.reward_scale=1")
    p = _part(m)
    ids = p.ids[:1]
    p._choose(ids)
    assert np.allclose(p.prob[ids], 0.25)  # equal weights: uniform
    p.choice[ids] = 1
    p.reward[ids] = 1.0  # x = clip(½ + 1/2, 0, 1) = 1
    p._learn(ids, 1)
    w = p.w[ids[0]]
    # w_1 ← exp(γ·x/(K·p)) = exp(0.2/(4·0.25)) = e^0.2, then scaled so the largest is 1
    assert np.allclose(w, [np.exp(-0.2), 1.0, np.exp(-0.2), np.exp(-0.2)])


def test_strategies_are_applied_to_posts() -> None:
    m = _model("influencer.rate=1.0")
    p = _part(m)
    m.step()  # step 0 chooses; every own post carries its author's strategy
    posts = m.posts
    own = np.flatnonzero((posts.id >= 0) & (posts.time == 0) & p.member[posts.author])
    own = own[posts.kind[own] == 0]
    strat = np.array(p.names)[p.choice[posts.author[own]]]
    assert set(strat) <= set(STRATEGIES)
    spons = posts.sponsored[own]
    assert np.array_equal(spons, np.isin(strat, ["disclosed", "undisclosed"]))
    assert np.array_equal(posts.disclosed[own][spons], strat[spons] == "disclosed")
    farmed = strat == "farming"
    if farmed.any():
        assert posts.outrage[own][farmed].mean() > posts.outrage[own][strat == "authentic"].mean()


def test_pay_known_answer() -> None:
    m = _model(
        "influencer.pay.creator_cpm=1000",
        "influencer.pay.sponsorship_cpm=0",
        "influencer.pay.fine=0",
    )
    p = _part(m)
    m.step()
    # with 1000 per thousand impressions, pay = impressions of own posts
    ext = next(e for e in m.extensions if hasattr(e, "ledger"))
    assert np.allclose(p.pay_total[p.ids], ext.ledger.impressions[p.ids])


def _undisclosed_share(*extra: str, seed: int = 0) -> float:
    m = _model(
        "steps=60",
        "network.n=400",
        "influencer.period=2",
        "influencer.strategies=[disclosed,undisclosed]",
        f"seed={seed}",
        *extra,
    )
    for _ in range(60):
        m.step()
    return float(np.mean(np.array(_part(m).share_hist)[-20:, 1]))


@pytest.mark.slow
def test_fraud_emerges_when_cheap_and_fades_when_fined() -> None:
    cheap = _undisclosed_share("influencer.detection=0")
    costly = _undisclosed_share("influencer.detection=1", "influencer.pay.fine=1")
    assert cheap > 0.6 > costly


def test_bad_strategies_refused() -> None:
    with pytest.raises(ConfigError) as exc:
        validate(compose(["influencer=creator_economy", "influencer.strategies=[honest]"]))
    assert "influencer.strategies" in str(exc.value) and "undisclosed" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        validate(compose(["influencer=creator_economy", "influencer.learner=ucb"]))
    assert "exp3" in str(exc.value)


def test_creator_economy_end_to_end_in_a_mixture_with_ads(tmp_path: Any) -> None:
    comp = (
        "influencer.components=[{label: authentic, share: 0.5, behaviour: {name: authentic}},"
        "{label: learners, share: 0.5, behaviour: {name: creator_economy, "
        "strategies: [authentic, undisclosed], rate: 0.5, outrage_boost: 0.4, brands: 2, "
        "brand_pull: 0.5, quality_penalty: 0.2, detection: 0.3, literacy: 0.5, "
        "detected_penalty: 5.0, disclosed_penalty: 0.3, "
        "pay: {creator_cpm: 1.0, sponsorship_cpm: 10.0, fine: 0.0}, learner: exp3, "
        "epsilon: 0.1, step_size: 0.2, gamma: 0.1, reward_scale: 1.0, period: 2}}]"
    )
    res = run_experiment(
        [
            *BASE,
            "influencer=mixture",
            comp,
            "ads=feed_ads",
            "platform.business_model=ad_funded",
            f"output.dir={tmp_path}",
        ]
    )
    summary = json.loads((res.run_dir / "summary.json").read_text())
    assert "creator_share_undisclosed_final_learners" in summary
    assert "creator_share_undisclosed_learners" in res.timeseries
    import pyarrow.parquet as pq

    cols = pq.read_table(res.run_dir / "agents.parquet").to_pydict()
    strat = [s for s in cols["creator_strategy_learners"] if s]
    assert strat and set(strat) <= {"authentic", "undisclosed"}
