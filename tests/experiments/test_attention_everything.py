"""Everything of the attention economy on at once (docs/attention.md): sessions, churn,
hybrid ads with targeting, the creator economy, A/B arms and a scheduled transgression,
in one small run. It must complete, be complete as ``feedlab verify`` checks a run (DONE
with matching file hashes, the run named by its config), and every attention and economy
metric must reach every part of the record: the time series, the summary, the per-arm
summary and ``agents.parquet``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import yaml

from feedlab.experiments import record, run_experiment

EVERYTHING = [
    "experiment=feed_ab_test",
    "network.n=300",
    "steps=8",
    "output.progress=false",
    "output.quiet=true",
    "dynamics.session.enabled=true",
    "dynamics.churn.enabled=true",
    "ads=feed_ads",
    "platform.business_model=hybrid",
    "ads.targeting=susceptibility",
    "ads.sponsored_boost=1",
    "influencer=creator_economy",
    "event=transgression",
    "event.time=3",
]

#: per-step metrics, in the time series (and the summary's last row)
SERIES = (
    # sessions and churn
    "time_spent_mean",
    "session_time_p10",
    "session_time_p50",
    "session_time_p90",
    "time_well_spent",
    "regret_time_mean",
    "regret_share",
    "dau",
    "survival",
    "users_left",
    "users_returned",
    # ads, targeting, business model
    "ad_slots",
    "ad_impressions",
    "ad_fill_rate",
    "ad_clicks",
    "ad_ctr",
    "ad_revenue",
    "ad_impressions_unsafe",
    "ad_unsafe_share",
    "ad_load",
    "ad_exposure_top_decile",
    "ad_clicks_top_decile",
    "platform_revenue",
    "subscription_revenue",
    "cumulative_revenue",
    "revenue_per_user",
    "revenue_per_time_spent",
    "subscribers",
    # creator economy
    "creator_pay",
    *(f"creator_share_{s}" for s in ("authentic", "farming", "disclosed", "undisclosed")),
    # the event
    "event_exposed",
)
#: per-arm time series (``<metric>__<arm>``)
ARM_SERIES = (
    "time_spent_mean",
    "time_well_spent",
    "regret_time_mean",
    "dau",
    "survival",
    "ad_impressions",
    "ad_revenue",
    "ad_unsafe_share",
    "platform_revenue",
    "subscribers",
)
#: run-level summary entries
RUN_SUMMARY = (
    "run_mean_time_spent_mean",
    "run_mean_time_well_spent",
    "run_mean_dau",
    "cumulative_revenue",
    "revenue_per_user_step",
    "run_ad_unsafe_share",
    "run_ad_ctr",
    "subscriber_share_final",
    "ever_subscribed_share",
    "ad_exposure_decile_10",
    "ad_clicks_decile_1",
    "brand_unsafe_share_a0",
    "creator_share_undisclosed_final",
    "creator_pay_total_authentic",
    "event_time",
)
#: per-arm summary entries (``<name>__<arm>`` and the difference to the control)
ARM_SUMMARY = (
    "run_mean_time_spent_mean",
    "run_mean_time_well_spent",
    "run_mean_dau",
    "revenue_per_user_step",
    "run_ad_unsafe_share",
)
AGENT_COLUMNS = (
    "time_total",
    "value_total",
    "regret_time_total",
    "active",
    "first_left",
    "leaves",
    "returns",
    "active_steps",
    "ad_impressions",
    "ad_clicks",
    "ad_impressions_unsafe",
    "susceptibility_decile",
    "subscribed",
    "experienced_value",
    "willingness_to_pay",
    "creator_strategy",
    "creator_pay_total",
    "arm",
)


def test_everything_on_at_once_records_everywhere(tmp_path: Path) -> None:
    res = run_experiment([*EVERYTHING, f"output.dir={tmp_path}"])
    run = res.run_dir
    # complete as feedlab verify checks a run: DONE, hashes, the config's key as its name
    assert record.is_complete(run)
    config = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
    assert record.run_key(config) == run.name
    for name in ("summary.json", "agents.parquet"):
        assert (run / name).is_file(), name

    ts = res.timeseries
    summary = json.loads((run / "summary.json").read_text())
    arms = sorted({k.split("__")[1] for k in ts if k.startswith("arm_size__")})
    assert arms == ["control", "treatment"]
    for m in SERIES:
        assert m in ts, f"time series lacks {m}"
        assert m in summary, f"summary lacks {m}"
    for m in ARM_SERIES:
        for arm in arms:
            assert f"{m}__{arm}" in ts, f"time series lacks {m}__{arm}"
    for m in RUN_SUMMARY:
        assert m in summary, f"summary lacks {m}"
    for m in ARM_SUMMARY:
        for arm in arms:
            assert f"{m}__{arm}" in summary, f"summary lacks {m}__{arm}"
        assert f"{m}__treatment-control" in summary, f"summary lacks {m}__treatment-control"
    columns = set(pq.read_table(run / "agents.parquet").column_names)
    assert set(AGENT_COLUMNS) <= columns, set(AGENT_COLUMNS) - columns

    # the mechanisms did something, and the books add up
    assert np.nansum(ts["ad_impressions"]) > 0 and summary["cumulative_revenue"] > 0
    assert np.isclose(summary["cumulative_revenue"], np.nansum(ts["platform_revenue"]))
    assert np.isclose(
        sum(np.nansum(ts[f"platform_revenue__{a}"]) for a in arms),
        np.nansum(ts["platform_revenue"]),
    )
    assert np.nanmin(ts["dau"]) < 1.0  # churn bit: some users stopped opening the app
    assert summary["event_time"] == 3 and summary["exposed_total"] > 0  # the storm happened
    assert summary["callouts_total"] > 0
    assert np.all(np.asarray(ts["time_spent_mean"], float)[1:] > 0)  # row 0: before any feed
