"""The ``attention_cost`` workload of ``feedlab bench`` (issue 19's 1.3× budget) at a tiny
size: both models step interleaved and the ratio is of their own medians."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from feedlab.benchmarks.workloads import attention
from feedlab.benchmarks.workloads.common import median


def test_interleaved_off_on_steps_and_their_ratio(tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    assert attention.main(["--n", "300", "--steps", "3", "--warmup", "1", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["n"] == 300 and res["switches_on"] == list(attention.ATTENTION_ON)
    cpu = res["step_cpu_seconds"]
    assert len(cpu["off"]) == len(cpu["on"]) == 3 and min(cpu["off"] + cpu["on"]) > 0
    assert np.isclose(res["ratio_cpu"], median(cpu["on"]) / median(cpu["off"]))
    assert res["within_budget"] == (res["ratio_cpu"] <= attention.BUDGET)
    assert 0 < res["dau_on_last"] <= 1  # the "on" model runs churn


def test_a_subset_of_switches() -> None:
    res = attention.bench_attention(
        200, steps=1, warmup=1, switches=("ads=feed_ads", "platform.business_model=ad_funded")
    )
    assert res["switches_on"] == ["ads=feed_ads", "platform.business_model=ad_funded"]
    assert res["dau_on_last"] == 1.0  # no churn: everyone stays
