"""95 % intervals of A/B differences (analysis/arms.py) and their printing."""

from __future__ import annotations

import numpy as np
import pytest

from feedlab.analysis import arms
from feedlab.experiments.app import print_summary
from feedlab.experiments.run import RunResult, run_experiment


def test_block_bootstrap_covers_the_mean_and_needs_enough_steps():
    rng = np.random.default_rng(1)
    d = 0.5 + rng.normal(0, 1, 200)
    lo, hi = arms.block_bootstrap_interval(d, rng=np.random.default_rng(0))
    assert lo < d.mean() < hi and 0.1 < hi - lo < 0.6
    assert arms.block_bootstrap_interval(d[:5], rng=np.random.default_rng(0)) is None


def test_user_bootstrap_of_a_variance_difference():
    rng = np.random.default_rng(2)
    a, c = rng.normal(0, 1.0, 2000), rng.normal(0, 0.5, 2000)
    lo, hi = arms.user_bootstrap_interval(a, c, "var", rng=np.random.default_rng(0))
    assert lo < np.var(a) - np.var(c) < hi and lo > 0.6  # true difference 0.75
    none = arms.user_bootstrap_interval(a[:5], c, "var", rng=np.random.default_rng(0))
    assert none is None


def test_difference_intervals_keys_and_no_arms():
    steps = np.arange(31)
    ts = {
        "step": steps,
        "engagement_per_user__control": np.ones(31),
        "engagement_per_user__treatment": np.ones(31) + 0.2,
    }
    agents = {"arm": np.repeat([0, 1], 50), "opinion": np.linspace(-1, 1, 100)}
    out = arms.difference_intervals(["control", "treatment"], ts, agents)
    lo, hi, how = out["run_mean_engagement_per_user__treatment-control"]
    assert how == "steps" and lo == pytest.approx(0.2) and hi == pytest.approx(0.2)
    assert out["opinion_mean__treatment-control"][2] == "users"
    assert arms.difference_intervals(["all"], ts, agents) == {}


def test_print_summary_shows_intervals(tmp_path, capsys):
    res = run_experiment(
        [
            "experiment=feed_ab_test",
            "network.n=200",
            "steps=12",
            "output.progress=false",
            "output.quiet=true",
            f"output.dir={tmp_path}",
        ]
    )
    print_summary(res)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "run_mean_engagement_per_user__treatment" in x)
    assert "95% (bootstrap over steps)" in line
    line = next(x for x in out.splitlines() if x.strip().startswith("opinion_variance__"))
    assert "95% (bootstrap over users)" in line
    # a skipped (already complete) run prints the same intervals from its files
    again = RunResult(res.run_dir, res.key, res.summary, {}, skipped=True)
    print_summary(again)
    assert line in capsys.readouterr().out
