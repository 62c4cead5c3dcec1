"""python -m feedlab.analysis.economy: one row per condition (swept values but the seed),
means over seeds, and a clear refusal of a folder without runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedlab.analysis import economy
from feedlab.experiments import run_experiment

BASE = ["network.n=80", "steps=2", "output.progress=false", "output.quiet=true"]
ADS = ["ads=feed_ads", "platform.business_model=ad_funded"]


def test_table_groups_conditions_over_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for ranking in ("chronological", "engagement"):
        for seed in (0, 1):
            run_experiment(
                [*BASE, *ADS, f"ranking={ranking}", f"seed={seed}", f"output.dir={tmp_path}"]
            )
    keys, rows = economy.table(tmp_path)
    assert keys == ["ranking.name"]  # the engagement weights follow the policy's name
    assert [r["ranking.name"] for r in rows] == ["chronological", "engagement"]
    assert all(r["seeds"] == 2 for r in rows)
    mean, lo, hi = rows[0]["revenue_per_user_step"]
    assert lo <= mean <= hi and mean > 0
    assert economy.main([str(tmp_path)]) == 0
    assert "| ranking.name | seeds | revenue_per_user_step" in capsys.readouterr().out


def test_no_runs_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert economy.main([str(tmp_path)]) == 2
    assert "no complete runs" in capsys.readouterr().err
    assert economy.main([str(tmp_path / "absent")]) == 2
