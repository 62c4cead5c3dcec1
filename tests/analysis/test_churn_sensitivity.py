"""``python -m feedlab.analysis.churn_sensitivity``: the paired revenue differences of the
churn sensitivity analysis (docs/attention.md §Business models), on tiny runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feedlab.analysis import churn_sensitivity as cs
from feedlab.analysis.runs import find_runs, read_config, read_summary
from feedlab.experiments import run_experiment

pytestmark = pytest.mark.slow  # eight small runs: ~30 s on a shared machine

TINY = ["experiment=churn_sensitivity", "network.n=120", "steps=4", "output.progress=false"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("churn_sensitivity")
    for ranking in ("engagement", "revenue"):
        for vt in (0.4, 0.8):
            for seed in (0, 1):
                run_experiment(
                    [
                        *TINY,
                        "output.quiet=true",
                        f"ranking={ranking}",
                        f"dynamics.churn.value_threshold={vt}",
                        f"seed={seed}",
                        f"output.dir={root}",
                    ]
                )
    return root


def test_paired_differences_known_answer(sweep: Path) -> None:
    keys, rows = cs.table(sweep)
    assert keys == ["dynamics.churn.value_threshold"]
    assert len(rows) == 4 and all(r["seeds"] == 2 for r in rows)
    # the baseline comes first in each setting and has no difference
    assert [r["ranking"] for r in rows] == ["engagement", "revenue"] * 2
    assert "diff" not in rows[0]
    # recompute one paired difference by hand from the summaries
    by: dict[tuple[str, str, int], float] = {}
    for run in find_runs(sweep):
        c = read_config(run)
        key = (c["ranking"]["name"], str(c["dynamics"]["churn"]["value_threshold"]), c["seed"])
        by[key] = read_summary(run)[cs.REVENUE]
    d = np.array([by[("revenue", "0.8", s)] - by[("engagement", "0.8", s)] for s in (0, 1)])
    mean, low, high, n = rows[3]["diff"]
    assert n == 2 and np.isclose(mean, d.mean())
    half = 12.706204736174704 * d.std(ddof=1) / np.sqrt(2)  # t_{1, 0.975}
    assert np.isclose(high - mean, half) and np.isclose(mean - low, half)


def test_command_writes_table_figure_and_json(sweep: Path, tmp_path: Path, capsys) -> None:
    png, out = tmp_path / "f.png", tmp_path / "rows.json"
    assert cs.main([str(sweep), "--figure", str(png), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "business model hybrid" in text and "Δ revenue vs engagement" in text
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert json.loads(out.read_text())[0]["keys"] == ["dynamics.churn.value_threshold"]
    assert cs.main([str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
