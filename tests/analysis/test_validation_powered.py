"""``feedlab validate --powered`` and ``--targets``: the sequential design on a fact check,
the seeds, the usage errors, and a tiny end-to-end ``--targets`` run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from feedlab.analysis import validation as V
from feedlab.analysis.targets import load_targets
from feedlab.analysis.validation import facts_common, seeds
from feedlab.analysis.validation.protocol import Criterion, Design


def test_seed_sets_are_fixed_and_disjoint() -> None:
    assert seeds.EXPLORATION_SEEDS == tuple(range(100, 140))
    assert seeds.TEST_SEEDS == tuple(range(1000, 1060))
    assert not set(seeds.EXPLORATION_SEEDS) & set(seeds.TEST_SEEDS)
    assert not set(facts_common.FACT_SEEDS) & set(seeds.TEST_SEEDS)
    assert V.POWERED.maximum <= len(seeds.TEST_SEEDS)


def _fake_fact(effect_of_seed):
    """A fact check whose paired effect on a seed is ``effect_of_seed(seed)``."""
    calls = []

    def run(ctx, seeds=facts_common.FACT_SEEDS):
        calls.append((len(seeds), ctx.alpha))
        d = facts_common.decide(
            ctx, "effect", [effect_of_seed(s) for s in seeds], Criterion.greater(0)
        )
        return facts_common.protocol_outcome([d], f"{len(seeds)} seeds", [], {}, None)

    return V.Check("fake", "fact", "Fake", "effect > 0", "test", run=run), calls


def test_powered_run_stops_at_the_first_settled_look(tmp_path) -> None:
    check, calls = _fake_fact(lambda s: 1.0 + np.sin(s))  # mean ≈ 1, sd ≈ 0.7
    r = V.run_check(check, V.Context(cache=tmp_path, design=V.POWERED))
    assert r.status == V.PASS
    assert calls == [(20, pytest.approx(0.01))]
    assert [tuple(x) for x in r.data["sequential"]["looks"]] == [(20, "PASS")]
    assert "sequential: 20 seeds: PASS" in r.measured and "99 % CIs" in r.measured


def test_powered_run_takes_every_look_when_unsettled(tmp_path) -> None:
    check, calls = _fake_fact(lambda s: float(np.sin(3 * s)))  # mean ≈ 0
    r = V.run_check(check, V.Context(cache=tmp_path, design=V.POWERED))
    assert r.status == V.INCONCLUSIVE and [n for n, _ in calls] == [20, 30, 40, 50, 60]
    assert r.data["protocol"][0]["mde"] > 0 and "MDE" in r.reason
    # the same check on its fixed seed set (no design): one look at 95 %
    calls.clear()
    r = V.run_check(check, V.Context(cache=tmp_path))
    assert calls == [(10, 0.05)] and r.status in (V.INCONCLUSIVE, V.REPORTED, V.PASS)


def test_a_settled_failure_is_reported(tmp_path) -> None:
    check, _ = _fake_fact(lambda s: -1.0 + 0.1 * np.sin(s))
    r = V.run_check(check, V.Context(cache=tmp_path, design=Design(start=3, step=1, maximum=5)))
    assert r.status == V.REPORTED and "FAIL-reported" in r.reason


def test_strict_counts_inconclusive() -> None:
    res = V.Result("f", "fact", "t", "e", "m", V.INCONCLUSIVE, "", "s", "", "full", 0.0)
    assert V.exit_status([res]) == 0 and V.exit_status([res], strict=True) == 1


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--powered", "--design", "20:10"], "--design must be START:STEP:MAX"),
        (["--powered", "--design", "20:10:99"], "MAX must be <= 60"),
        (["--set", "network.n"], "--set needs KEY=VALUE"),
        (["--targets", "--target-seeds", "1"], "--target-seeds must lie in 2..60"),
        (["--targets", "--only", "nope"], "unknown target(s) nope"),
        (["--targets", "--full"], "drop --powered/--full"),
        (["--targets", "--seed-set", "C"], "invalid choice: 'C'"),
        (["--sequential"], "--sequential is the design of --targets"),
        (["--targets", "--sequential", "--target-seeds", "10"], "drop --target-seeds"),
        (["--targets", "--sequential", "--design", "20:20:80"], "MAX must be <= 60"),
        (["--design", "20:10:60"], "--design needs --powered or --targets --sequential"),
    ],
)
def test_usage_errors_exit_2_before_any_work(argv, words, tmp_path, capsys) -> None:
    code = V.main([*argv, "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o.md")])
    err = capsys.readouterr().err
    assert code == 2 and words in err, err
    assert not (tmp_path / "c").exists() and not (tmp_path / "o.md").exists()


def test_targets_end_to_end_tiny(tmp_path, capsys) -> None:
    """``--targets`` at N = 200, 8 steps, 2 seeds writes the table and the JSON, marked reduced."""
    out = tmp_path / "targets.md"
    code = V.main(
        [
            "--targets",
            "--target-seeds",
            "2",
            "--set",
            "network.n=200",
            "--set",
            "steps=8",
            "--cache",
            str(tmp_path / "c"),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    md = out.read_text()
    assert "REDUCED run" in md and "| target | expected (paper) |" in md
    assert "not measured: needs" in md and "maps to the paper's units" in md
    js = json.loads(out.with_suffix(".json").read_text())
    rows = {r["target"]: r for r in js["targets"]}
    assert js["reduced"] and js["seeds"] == [1000, 1001]
    assert set(rows) == set(load_targets())
    for tid in (
        "tiktok_top25_engagement_slope",
        "guess2023_engagement",
        "guess2023_uncivil_slur_content",
        "bakshy2015_ranking_crosscutting_pooled",
        "guess2023_polarisation",
        "guess2023_political_content",
        "guess2023_untrustworthy_content",
        "milli2025_anger",
        "milli2025_outgroup_feeling",
        "piccardi2025_thermometer_downrank",
        "piccardi2025_thermometer_uprank",
        "piccardi2025_engagement",
    ):
        assert rows[tid]["n"] == 2 and len(rows[tid]["values"]) == 2, rows[tid]
        assert rows[tid]["verdict"] != "ERROR"
    assert rows["brady2017_moral_emotional_words"]["verdict"] == "NOT MEASURED"
    assert js["seed_set"] == "A" and "Informative rows" in md
    assert [r["name"] for r in js["informative"]] == [
        "huszar2022_political_amplification",
        "brady2017_share_rate_per_sd_outrage",
        "rathje2021_share_rate_per_sd_animosity",
    ]
    assert all(r["verdict"] != "PASS" or r["verified"] for r in rows.values())
