"""The attention economy (docs/attention.md): ads, brand safety, targeting, business
models, the revenue ranking policy; known answers per mechanism, off-is-identical and
end-to-end runs (with arms and an influencer mixture).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from feedlab.analysis.metrics import economy as eco
from feedlab.experiments import build, compose, run_experiment
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError
from feedlab.models.config import SubscriptionConfig
from feedlab.models.economy.ads import (
    Advertisers,
    ClickModel,
    _descending_orders,
    allocate,
    click_logits,
    feed_ad_slots,
    prices,
)
from feedlab.models.economy.platform import PlatformEconomy
from feedlab.models.ranking.revenue import RevenueRanking

BASE = ["network.n=200", "steps=4", "output.progress=false", "output.quiet=true"]
ADS = ["ads=feed_ads", "platform.business_model=ad_funded"]


def _model(*extra: str) -> Any:
    return build(compose([*BASE, *extra]))


# ------------------------------------------------------------------ slots and adjacency
def test_ad_slots_known_answers() -> None:
    # first 2, spacing 5: ads at positions 2, 7, 12, ...
    assert eco.ad_slots(np.array([0, 2, 3, 7, 8, 10, 13]), 2, 5).tolist() == [0, 0, 1, 1, 2, 2, 3]
    assert eco.organic_before(np.array([0, 1, 2]), 2, 5).tolist() == [2, 6, 10]
    # a feed of 8 organic items reaches both planned ads; of 5 only the first; empty: none
    assert eco.shown_ads(np.array([8, 5, 0, 1]), np.array([2, 2, 2, 0]), 2, 5).tolist() == [
        2,
        1,
        0,
        0,
    ]


def test_unsafe_adjacency_known_answer() -> None:
    # viewer 0: organic outrage flags [0, 1, 0, 0, 0, 0]; viewer 1: [0, 0, 0]
    unsafe = np.array([0, 1, 0, 0, 0, 0, 0, 0, 0], bool)
    ptr = np.array([0, 6, 9])
    viewer = np.array([0, 0, 1])
    before = np.array([2, 6, 2])  # ad after the 2nd item; after the 6th; viewer 1 after 2nd
    assert eco.unsafe_adjacent(ptr, viewer, before, unsafe, 1).tolist() == [True, False, False]
    # a window of 2 below the first ad still sees item 1; the second ad sees items 4, 5 only
    assert eco.unsafe_adjacent(ptr, viewer, before, unsafe, 2).tolist() == [True, False, False]
    assert eco.unsafe_adjacent(ptr, viewer, np.array([4, 6, 2]), unsafe, 3).tolist() == [
        True,
        False,
        False,
    ]


def test_deciles_and_shares() -> None:
    d = eco.deciles(np.arange(20.0)[::-1])
    assert d[0] == 9 and d[-1] == 0 and np.bincount(d).tolist() == [2] * 10
    s = eco.decile_shares(d, np.where(d == 9, 1.0, 0.0))
    assert s[9] == 1.0 and s[:9].sum() == 0


# ------------------------------------------------------------------ auction
def test_click_logits_known_answer() -> None:
    cfg = ClickModel(ctr=0.5, relevance=2.0, susceptibility=1.0, arousal=0.0)
    z = click_logits(cfg, np.array([1.0, 1.0]), np.array([1.0, -1.0]), np.full(2, 0.5), np.zeros(2))
    # relevance 1 and 0: 2·(1 − ½) + 0.5 = 1.5 ; 2·(0 − ½) + 0.5 = −0.5
    assert np.allclose(z, [1.5, -0.5])


def _click_logits_table(cfg: ClickModel, x: Any, stance: Any, s: Any, e: Any) -> Any:
    """The (slot, advertiser) table of log-odds in whole-array NumPy form."""
    rel = 1.0 - np.abs(x[:, None] - stance[None, :]) / 2.0
    own = cfg.susceptibility * s + cfg.arousal * e
    return np.log(cfg.ctr / (1.0 - cfg.ctr)) + cfg.relevance * (rel - 0.5) + own[:, None]


def test_allocate_respects_order_budget_and_blocking() -> None:
    rng = np.random.default_rng(0)
    ecpm = np.array([[10.0, 5.0], [9.0, 8.0], [7.0, 6.0]])
    cost = np.full((3, 2), 1.0)
    none = np.zeros((3, 2), bool)
    assert allocate(ecpm, cost, none, np.inf, rng).tolist() == [0, 0, 0]
    # budget 2: advertiser 0 wins the two best slots, then 1 takes the last
    assert allocate(ecpm, cost, none, 2.0, rng).tolist() == [0, 0, 1]
    blocked = none.copy()
    blocked[1, 0] = True  # advertiser 0 refuses slot 1
    assert allocate(ecpm, cost, blocked, np.inf, rng).tolist() == [0, 1, 0]
    assert allocate(ecpm, cost, none, 0.5, rng).tolist() == [-1, -1, -1]


# ------------------------------------------------------------------ configuration
@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["platform.business_model=ad_funded"], "platform.business_model: 'ad_funded' sells ads"),
        (["platform.business_model=hybrid"], "allowed with ads=none: none, subscription"),
        (["ads=feed_ads"], "ads.name: 'feed_ads' needs a business model"),
        (["platform.business_model=cash"], "platform.business_model"),
        ([*ADS, "ads.targeting=mood"], "ads.targeting"),
        ([*ADS, "ads.spacing=1"], "ads.spacing"),
        (["ads=feed_ads", "ads.name=banner"], "ads.name: 'banner' is not a ads unit"),
    ],
)
def test_bad_economy_config_refused(overrides: list[str], needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        validate(compose(overrides))
    assert needle in str(exc.value)


# ------------------------------------------------------------------ in the model
def test_off_builds_nothing_and_draws_nothing() -> None:
    m = _model()
    assert not any(isinstance(e, PlatformEconomy) for e in m.extensions)
    m2 = _model("platform.business_model=none", "ads=none")
    for _ in range(3):
        m.step()
        m2.step()
    assert np.array_equal(m.users.opinion, m2.users.opinion)


def test_ads_take_slots_and_are_booked() -> None:
    m = _model(*ADS, "ads.budget_per_user=0")
    eco_ext = next(e for e in m.extensions if isinstance(e, PlatformEconomy))
    plain = _model()
    k = plain.feed_lengths()
    m.step()
    plain.step()
    planned = eco.ad_slots(k, 2, 5)
    assert np.array_equal(eco_ext.planned, planned)
    row = m.metrics()
    # unlimited budget: every reached slot is sold; the organic feeds are shorter
    assert row["ad_fill_rate"] == 1.0
    assert row["ad_impressions"] == row["ad_slots"] > 0
    assert m.step_stats["impressions"] < plain.step_stats["impressions"]
    assert row["ad_revenue"] == pytest.approx(row["ad_revenue_cpm"] + row["ad_revenue_cpc"])
    assert row["platform_revenue"] == row["ad_revenue"] > 0
    assert 0 <= row["ad_unsafe_share"] <= 1


def test_ads_lower_session_value() -> None:
    lo = _model(*ADS, "ads.value=-5")
    hi = _model(*ADS, "ads.value=5")
    lo.step()
    hi.step()
    assert np.nanmean(lo.last_value) < np.nanmean(hi.last_value)


def test_blocking_advertisers_buy_no_unsafe_slot() -> None:
    m = _model(*ADS, "ads.blocking=1.0", "ads.budget_per_user=0", "ads.unsafe_outrage=0.3")
    m.step()
    row = m.metrics()
    assert row["ad_impressions_unsafe"] == 0
    assert row["ad_fill_rate"] < 1.0


def test_targeting_shifts_clicks_to_susceptible_viewers() -> None:
    common = [*ADS, "network.n=600", "ads.cpc_share=1.0", "ads.budget_per_user=0.002"]
    common += ["ads.click.susceptibility=6", "ads.inference_noise=0"]
    top = {}
    for target in ("none", "susceptibility"):
        m = _model(*common, f"ads.targeting={target}")
        for _ in range(3):
            m.step()
        ext = next(e for e in m.extensions if isinstance(e, PlatformEconomy))
        top[target] = eco.decile_shares(ext.decile, ext.user_ads)[9]
    assert top["susceptibility"] > top["none"] + 0.05


def test_subscriptions_known_answer() -> None:
    cfg = SubscriptionConfig(
        price=1.0, wtp_per_value=2.0, wtp_sd=0.0, memory=0.5, adoption=1.0, cancel=1.0, initial=0.0
    )
    ext = PlatformEconomy(None, "subscription", cfg, np.random.default_rng(0))
    users = SimpleNamespace(susceptibility=np.linspace(0, 1, 4), arm=np.zeros(4, np.int16))
    model = SimpleNamespace(
        n=4, users=users, policies=[None], arm_names=["all"], last_value=np.full(4, np.nan), t=1
    )
    ext.setup(model)  # type: ignore[arg-type]
    ext._reset_step()
    model.last_value = np.array([1.0, 0.25, np.nan, 0.6])  # WTP = 2·EV: 2, 0.5, 0, 1.2
    ext.on_step_end(model, 0)  # type: ignore[arg-type]
    assert ext.subscribed.tolist() == [True, False, False, True]
    assert ext.step["subscription_revenue"] == 0.0  # nobody subscribed during step 0
    ext._reset_step()
    model.last_value = np.array([0.0, 0.25, np.nan, 1.0])  # EV: 0.5, 0.25, nan, 0.8
    model.active = np.array([True, True, True, False])  # churned user 3 cancels
    ext.on_step_end(model, 1)  # type: ignore[arg-type]
    assert ext.step["subscription_revenue"] == 2.0
    assert ext.subscribed.tolist() == [True, False, False, False]


def test_revenue_ranking_reads_the_objective() -> None:
    from feedlab.models.ranking.engagement import EngagementWeights

    m = _model()
    m.post(0)
    cand = m.gather(0)
    assert cand.size > 0
    w = EngagementWeights(like=1.0, comment=30.0, share=5.0)
    pol = RevenueRanking(weights=w, value=m.dynamics.value, value_weight=0.5)
    rng = np.random.default_rng(0)
    cand.objective = np.zeros(m.n)
    eng_only = pol.score(cand, rng)
    cand.objective = np.ones(m.n)
    val_only = pol.score(cand, rng)
    from feedlab.models.ranking.engagement import engagement_score

    e = engagement_score(cand, w)
    assert np.allclose(eng_only, e / np.mean(np.abs(e)))
    assert not np.allclose(val_only, eng_only)
    assert np.corrcoef(val_only, -cand.outrage)[0, 1] > np.corrcoef(eng_only, -cand.outrage)[0, 1]


# ------------------------------------------------------------------ end to end
@pytest.mark.parametrize(
    "extra",
    [
        [*ADS],
        ["platform.business_model=subscription", "ranking=revenue"],
        [*ADS[:1], "platform.business_model=hybrid", "ranking=revenue"],
        [*ADS, "ads.targeting=arousal", "ads.sponsored_boost=1", "influencer=mixture"],
        [*ADS, "experiment=feed_ab_test", "network.n=200", "steps=4"],
    ],
    ids=["ad_funded", "subscription", "hybrid", "targeting_mixture", "arms"],
)
def test_end_to_end_records_everywhere(extra: list[str], tmp_path: Any) -> None:
    res = run_experiment([*BASE, *extra, f"output.dir={tmp_path}"])
    summary = json.loads((res.run_dir / "summary.json").read_text())
    ts = res.timeseries
    assert "platform_revenue" in ts and "cumulative_revenue" in summary
    assert np.isclose(summary["cumulative_revenue"], np.nansum(ts["platform_revenue"]))
    import pyarrow.parquet as pq

    agents = pq.read_table(res.run_dir / "agents.parquet").column_names
    assert {"ad_impressions", "subscribed", "willingness_to_pay"} <= set(agents)
    if "subscription" in " ".join(extra) or "hybrid" in " ".join(extra):
        assert "subscriber_share_final" in summary
    if "experiment=feed_ab_test" in extra:
        arms = [k.split("__")[1] for k in ts if k.startswith("ad_revenue__")]
        assert len(arms) == 2
        assert np.isclose(
            sum(np.nansum(ts[f"ad_revenue__{a}"]) for a in arms), np.nansum(ts["ad_revenue"])
        )
        assert any(k.startswith("revenue_per_user_step__") and "-" in k for k in summary)


def test_with_sessions_the_scroll_decides_how_many_ads() -> None:
    m = _model(*ADS)
    ext = next(e for e in m.extensions if isinstance(e, PlatformEconomy))
    k = np.array([10, 10, 3] + [10] * (m.n - 3))
    fixed = ext.on_feed_lengths(m, 0, k)
    assert fixed[:3].tolist() == [8, 8, 2] and ext.planned[:3].tolist() == [2, 2, 1]
    sessions = SimpleNamespace(dynamics=SimpleNamespace(session=SimpleNamespace(enabled=True)))
    same = ext.on_feed_lengths(sessions, 0, k)  # type: ignore[arg-type]
    assert np.array_equal(same, fixed)  # the same organic budget to rank from ...
    # ... but a session scrolling 12 organic items reaches 3 ads instead of the budget's 2
    assert eco.shown_ads(np.array([12]), ext.planned[:1], 2, 5).tolist() == [3]


def test_allocate_equals_one_global_greedy_pass() -> None:
    """The merged per-advertiser lists visit the pairs as one global sort would."""
    for trial in range(20):
        gen = np.random.default_rng(100 + trial)
        s, a = 40, 4
        ecpm = 1.0 + np.round(gen.random((s, a)) * 3)  # many exact ties (none at 0)
        cost = gen.random((s, a))
        blocked = gen.random((s, a)) < 0.2
        got = allocate(ecpm, cost, blocked, 3.0, np.random.default_rng(trial))
        key = ecpm * (1.0 + 1e-9 * np.random.default_rng(trial).random((s, a)))
        want, spend = np.full(s, -1), np.zeros(a)
        for q in np.argsort(-key.ravel()):
            i, j = divmod(int(q), a)
            if want[i] < 0 and not blocked[i, j] and spend[j] + cost[i, j] <= 3.0:
                want[i], spend[j] = j, spend[j] + cost[i, j]
        assert np.array_equal(got, want), trial


def test_radix_orders_equal_the_stable_argsort() -> None:
    """Each advertiser's order is np.argsort(−key, kind="stable") exactly: exact ties (in
    slot order), +0 and −0 (equal), negatives and infinities included.
    """
    gen = np.random.default_rng(7)
    draws = [
        lambda s, a: gen.random((s, a)),
        lambda s, a: gen.integers(0, 4, (s, a)).astype(float),  # many exact ties
        lambda s, a: gen.choice([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf], (s, a)),
        lambda s, a: 5.0 * (1.0 + 1e-9 * gen.random((s, a))),  # a CPM advertiser's keys
        lambda s, a: gen.standard_normal((s, a)) * 1e3,
    ]
    for trial in range(25):
        s, a = int(gen.integers(0, 2000)), int(gen.integers(1, 7))
        key = draws[trial % len(draws)](s, a)
        order, dkey = np.empty((a, s), np.int64), np.empty((a, s), np.uint64)
        _descending_orders(key, order, dkey)
        assert np.array_equal(order, np.argsort(-key.T, axis=1, kind="stable")), trial
        assert (np.diff(dkey, axis=1) >= 0).all()  # the sort keys ascend


def test_allocate_equals_the_greedy_pass_with_exact_ties_and_any_budget() -> None:
    """Pairs visited in the order (descending key, advertiser, slot) — the merge of the
    stable per-advertiser orders — with exact ties (equal eCPMs, equal costs) and budgets
    from none to unlimited; the early end of the pass changes no sale.
    """
    for trial in range(40):
        gen = np.random.default_rng(200 + trial)
        s, a = int(gen.integers(0, 120)), int(gen.integers(1, 5))
        ecpm = np.full((s, a), 2.0) if trial % 3 == 0 else 1.0 + np.round(gen.random((s, a)))
        cost = np.full((s, a), 0.3) if trial % 2 else gen.random((s, a))
        blocked = gen.random((s, a)) < 0.2
        budget = [np.inf, 3.0, 10.0, 0.1][trial % 4]
        got = allocate(ecpm, cost, blocked, budget, np.random.default_rng(trial))
        key = ecpm * (1.0 + 1e-9 * np.random.default_rng(trial).random((s, a)))
        slot, adv = np.divmod(np.arange(s * a), a)
        want, spend = np.full(s, -1), np.zeros(a)
        for q in np.lexsort((slot, adv, -key.ravel())):
            i, j = divmod(int(q), a)
            if want[i] < 0 and not blocked[i, j] and spend[j] + cost[i, j] <= budget:
                want[i], spend[j] = j, spend[j] + cost[i, j]
        assert np.array_equal(got, want), trial


def test_allocate_with_a_depth_guess_sells_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sorting only the start of each advertiser's list (a guess from the last auction,
    too short or too long) changes no winner: a list that runs out is sorted further and
    the pass run again; the guess is updated to how far the pass got.
    """
    import feedlab.models.economy.ads as ads_mod

    monkeypatch.setattr(ads_mod, "DEPTH_MIN", 1)  # tiny prefixes: many re-sorts
    for trial in range(30):
        gen = np.random.default_rng(300 + trial)
        s, a = int(gen.integers(1, 3000)), int(gen.integers(1, 6))
        ecpm = gen.random((s, a)) * 5 if trial % 2 else 1.0 + np.round(gen.random((s, a)))
        cost = gen.random((s, a)) * 0.01
        blocked = gen.random((s, a)) < 0.1
        budget = [np.inf, 1.0, 5.0, 0.05][trial % 4]
        want = allocate(ecpm, cost, blocked, budget, np.random.default_rng(trial))
        for guess in (np.zeros(a), np.full(a, -1), gen.integers(0, s + 1, a), np.full(a, 9 * s)):
            depth = guess.astype(np.int64)
            got = allocate(ecpm, cost, blocked, budget, np.random.default_rng(trial), depth)
            assert np.array_equal(got, want), (trial, guess)
            assert (depth >= 0).all() and (depth <= s).all()
        nobody = np.zeros((s, a), bool)  # None: no advertiser blocks (the (S, A) skipped)
        rng = np.random.default_rng
        got = allocate(ecpm, cost, None, budget, rng(trial))
        assert np.array_equal(got, allocate(ecpm, cost, nobody, budget, rng(trial)))


def test_feed_ad_slots_equal_the_vectorised_form() -> None:
    """Each shown ad's viewer and brand safety from the one-pass kernel are those of
    ``np.repeat`` and ``eco.unsafe_adjacent`` (windows clipped at the feed's ends, empty
    feeds, NaN outrage never unsafe).
    """
    for trial in range(20):
        gen = np.random.default_rng(400 + trial)
        n = int(gen.integers(1, 300))
        L = gen.integers(0, 25, n)
        ptr = np.zeros(n + 1, np.int64)
        np.cumsum(L, out=ptr[1:])
        first, spacing, window = int(gen.integers(0, 4)), int(gen.integers(2, 7)), 1 + trial % 3
        shown = eco.shown_ads(L, gen.integers(0, 9, n), first, spacing)
        outrage = gen.random(int(ptr[-1]))
        outrage[gen.random(outrage.shape[0]) < 0.05] = np.nan
        viewer, unsafe = feed_ad_slots(ptr, shown, first, spacing, outrage, 0.7, window)
        want_viewer = np.repeat(np.arange(n), shown)
        a_idx = np.arange(want_viewer.shape[0]) - np.repeat(np.cumsum(shown) - shown, shown)
        before = eco.organic_before(a_idx, first, spacing)
        want = eco.unsafe_adjacent(ptr, want_viewer, before, outrage >= 0.7, window)
        assert np.array_equal(viewer, want_viewer) and np.array_equal(unsafe, want), trial


def test_fused_prices_equal_the_whole_array_formulas() -> None:
    """eCPM and cost from the fused kernels are the whole-array NumPy values bit for bit,
    and the per-pair click logits are the (S, A) form's entries.
    """
    gen = np.random.default_rng(11)
    cfg = ClickModel(ctr=0.005, relevance=2.0, susceptibility=1.0, arousal=0.7)
    a = 5
    adv = Advertisers(
        stance=gen.uniform(-1, 1, a),
        cpc=np.array([True, False, True, False, True]),
        bid=np.exp(0.3 * gen.standard_normal(a)),
        blocks=np.zeros(a, bool),
        budget=np.inf,
    )
    x, s, e = gen.uniform(-1, 1, 500), gen.random(500), gen.random(500)
    ecpm, cost = prices(cfg, adv, x, s, e)
    pctr = 1.0 / (1.0 + np.exp(-_click_logits_table(cfg, x, adv.stance, s, e)))
    bid = adv.bid[None, :]
    assert np.array_equal(ecpm, np.where(adv.cpc[None, :], 1000.0 * bid * pctr, bid))
    assert np.array_equal(cost, np.where(adv.cpc[None, :], bid * pctr, bid / 1000.0))
    w = gen.integers(0, a, 500)
    full = _click_logits_table(cfg, x, adv.stance, s, e)[np.arange(500), w]
    assert np.array_equal(click_logits(cfg, x, adv.stance[w], s, e), full)
