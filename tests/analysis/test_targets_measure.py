"""Field-target measurements of affect and exposure (analysis/targets/measure_affect.py,
measure_exposure.py, audit.py): the audit changes nothing and counts what the run counts,
each measurement's sign convention on hand-made audits, and every measurement end to end
on a tiny config (N = 300, 12 steps, 2 exploration seeds) with finite values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from feedlab.analysis.targets import audit as A
from feedlab.analysis.targets import measure_affect as MA
from feedlab.analysis.targets import measure_exposure as ME
from feedlab.analysis.targets.measurements import INFORMATIVE, MEASUREMENTS
from feedlab.analysis.validation import Context
from feedlab.analysis.validation.seeds import EXPLORATION_SEEDS
from feedlab.experiments import build, compose, run_experiment

NEW = (
    "milli2025_anger",
    "milli2025_outgroup_animosity",
    "milli2025_outgroup_feeling",
    "milli2025_partisanship",
    "guess2023_polarisation",
    "guess2023_political_content",
    "guess2023_untrustworthy_content",
    "piccardi2025_thermometer_downrank",
    "piccardi2025_thermometer_uprank",
    "piccardi2025_engagement",
)
TINY = ("network.n=300", "steps=12")
SEEDS = EXPLORATION_SEEDS[:2]


def test_audit_is_read_only_and_counts_every_impression(tmp_path: Path) -> None:
    over = [*MA.minority_overrides(100), MA.AFFECT_ON, "network.n=300", "steps=6"]
    cfg = compose([*over, "output.mesa_agents=false"])
    audit = A.FeedAudit(2)
    audited, plain = build(cfg, extensions=[audit]), build(cfg)
    for _ in range(6):
        audited.step()
        plain.step()
    np.testing.assert_array_equal(audited.users.opinion, plain.users.opinion)
    np.testing.assert_array_equal(
        audited.users.affect.outgroup_warmth, plain.users.affect.outgroup_warmth
    )
    res = run_experiment(
        [*over, f"output.dir={tmp_path}", "output.quiet=true", "output.progress=false"]
    )
    for i, arm in enumerate(("control", "treatment")):
        assert audit.sums["impressions"][i] == res.summary[f"total_impressions__{arm}"]
        got = audit.sums["reactions"][i]
        want = sum(res.summary[f"total_{k}__{arm}"] for k in ("likes", "comments", "shares"))
        assert got == want
        # the share histograms count the same impressions and shares
        h = np.asarray(audit.share_bins["outrage"][i])
        assert h[A.IMPRESSIONS].sum() == audit.sums["impressions"][i]
        assert h[A.SHARES].sum() == res.summary[f"total_shares__{arm}"]
        assert h[A.VALUE_SUM].sum() == pytest.approx(audit.sums["outrage"][i])
        h = np.asarray(audit.share_bins["animosity"][i])
        assert h[A.IMPRESSIONS].sum() == audit.sums["political"][i]
    assert len(audit.political_reach) == 6
    # original posts: as many in the outrage histogram as the run wrote
    assert audit.post_bins["outrage"].sum() == res.summary["total_posts"]
    assert 0 < audit.post_bins["animosity"].sum() < audit.post_bins["outrage"].sum()


def _audit(**arms: list[float]) -> dict:
    """A hand-made audit result: per-arm sums from per-arm item lists."""
    sums = {k: [0.0] * 3 for k in A.SUMS}
    for key, per_arm in arms.items():
        for a, items in enumerate(per_arm):
            x = np.asarray(items, dtype=float)
            sums[key][a] = float(x.sum())
            if key + "_sq" in sums:
                sums[key + "_sq"][a] = float((x * x).sum())
    return {"sums": sums, "arm_size": [10.0, 10.0, 10.0], "political_reach": [[5.0, 9.0, 0.0]]}


def test_sign_conventions_on_hand_made_audits(monkeypatch: pytest.MonkeyPatch) -> None:
    n = [1.0] * 4
    base = _audit(
        impressions=[n, n, n],
        political=[[1, 1, 0, 0], [1, 1, 1, 0], [0] * 4],  # chronological 50 %, engagement 75 %
        unreliable=[[1, 0, 0, 0], [0] * 4, [0] * 4],  # chronological 25 %, engagement 0 %
        outrage=[[0.1, 0.3, 0.1, 0.3], [0.5, 0.7, 0.5, 0.7], [0] * 4],  # angrier engagement
        cooling=[[0.1, 0.3, 0.1, 0.3], [0.5, 0.7, 0.5, 0.7], [0] * 4],  # colder engagement
        likes_shares=[[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 1]],
    )
    base.update(
        gap_change_run=[1.0, 3.0],  # the engagement arm polarises more
        gap_baseline_sd=10.0,
        warmth_change_treatment=[-1.0, 1.0, -3.0],  # down-ranked warmer, up-ranked colder
    )
    monkeypatch.setattr(MA, "audit_many", lambda ctx, ov, burn_in=0, swap=False: [base, base])
    monkeypatch.setattr(ME, "minority_affect_audits", lambda ctx, seeds: [base, base])
    ctx = Context(cache=Path("/nonexistent"))
    v = {tid: MEASUREMENTS[tid](ctx, SEEDS).values for tid in NEW}
    assert v["milli2025_anger"] == pytest.approx([4.0, 4.0])  # (0.6 − 0.2) / 0.1 SD
    assert v["milli2025_outgroup_feeling"] == pytest.approx([-4.0, -4.0])
    assert v["guess2023_political_content"] == pytest.approx([-25.0, -25.0])  # points
    assert v["guess2023_untrustworthy_content"] == pytest.approx([25.0, 25.0])
    assert v["guess2023_polarisation"] == pytest.approx([-0.2, -0.2])  # (1 − 3) / 10
    assert v["piccardi2025_thermometer_downrank"] == pytest.approx([2.0, 2.0])
    assert v["piccardi2025_thermometer_uprank"] == pytest.approx([-2.0, -2.0])
    assert v["piccardi2025_engagement"] == pytest.approx([-50.0, -50.0])  # 0.5 vs 1 per item
    amp = INFORMATIVE["huszar2022_political_amplification"][1](ctx, SEEDS).values
    assert amp == pytest.approx([100 * (10 / 6 - 1)] * 2)  # (9 + 1) / (5 · 10/10 + 1) − 1


def test_every_new_measurement_runs_on_a_tiny_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MA, "PICCARDI_BURN_IN", 4)  # 4 steps of burn-in, 8 treated of 12
    ctx = Context(cache=tmp_path, overrides=TINY)
    values = {tid: MEASUREMENTS[tid](ctx, SEEDS).values for tid in NEW}
    for tid, vals in values.items():
        assert len(vals) == 2 and all(math.isfinite(x) for x in vals), (tid, vals)
    # the engagement ranking shows angrier items than the chronological feed
    assert all(x > 0 for x in values["milli2025_anger"]), values["milli2025_anger"]
    # down-ranking animosity leaves the treated users warmer than up-ranking does
    down, up = (
        values["piccardi2025_thermometer_downrank"],
        values["piccardi2025_thermometer_uprank"],
    )
    assert np.mean(down) > np.mean(up), (down, up)
    amp = INFORMATIVE["huszar2022_political_amplification"][1](ctx, SEEDS).values
    assert all(math.isfinite(x) for x in amp)
    # shares per impression rise with the item's outrage (the reaction model's β_out > 0)
    brady = INFORMATIVE["brady2017_share_rate_per_sd_outrage"][1](ctx, SEEDS).values
    assert all(x > 1 for x in brady), brady
    rathje = INFORMATIVE["rathje2021_share_rate_per_sd_animosity"][1](ctx, SEEDS).values
    assert all(math.isfinite(x) and x > 0 for x in rathje), rathje
    assert len(list((tmp_path / "audit").glob("*.json"))) == 4  # cached: 2 designs × 2 seeds
