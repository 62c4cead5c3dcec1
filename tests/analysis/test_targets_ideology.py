"""The per-ideology field-target measurements on polblogs (analysis/targets/measure_ideology.py):
the audit is read-only and agrees with the run's pooled cross-cutting share, the pure helpers
give known answers, and every measurement runs on a tiny config with finite values.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from feedlab.analysis.targets import measure_ideology as MI
from feedlab.analysis.targets.measurements import MEASUREMENTS, NEEDS
from feedlab.analysis.validation import Context
from feedlab.analysis.validation.seeds import EXPLORATION_SEEDS
from feedlab.experiments import build, compose, run_experiment

IDS = (
    "bakshy2015_ranking_crosscutting_liberals",
    "bakshy2015_ranking_crosscutting_conservatives",
    "huszar2022_right_vs_left",
)
SEEDS = EXPLORATION_SEEDS[:2]
STEPS = 5


def test_registered_and_no_longer_needing_a_mechanism() -> None:
    for tid in IDS:
        assert tid in MEASUREMENTS and tid not in NEEDS


def test_mean_step_share_and_relative_change_known_answers() -> None:
    # steps: 1/4, (skipped: no impressions), 3/4 → mean 0.5
    assert MI.mean_step_share(np.array([1.0, 0.0, 3.0]), np.array([4.0, 0.0, 4.0])) == 0.5
    assert math.isnan(MI.mean_step_share(np.zeros(2), np.zeros(2)))
    assert MI.relative_change(0.28, 0.35) == pytest.approx(-20.0)
    assert math.isnan(MI.relative_change(0.3, 0.0))


def test_group_amplification_known_answer() -> None:
    # one step; arms (chronological, engagement) × author groups (left, right)
    reach = np.array([[[4.0, 1.0], [9.0, 11.0]]])
    amp = MI.group_amplification(reach, n_t=10.0, n_c=10.0)
    # left: (9 + 1) / (4 + 1) − 1 = 100 %; right: (11 + 1) / (1 + 1) − 1 = 500 %
    assert amp == pytest.approx([100.0, 500.0])
    two = np.concatenate([reach, np.array([[[4.0, 1.0], [4.0, 1.0]]])])  # + a 0 % step
    assert MI.group_amplification(two, 10.0, 10.0) == pytest.approx([50.0, 250.0])


def test_hand_made_audits_give_the_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    # per step (arms × groups): liberals see 20 % cross-cutting in chronological, 10 % ranked;
    # conservatives 40 % and 50 %; right reached more under ranking than left
    audit = {
        "arm_size": [10.0, 10.0],
        "imp": [[[10.0, 10.0], [10.0, 10.0]]],
        "cross": [[[2.0, 4.0], [1.0, 5.0]]],
        "reach": [[[4.0, 1.0], [9.0, 11.0]]],
    }
    monkeypatch.setattr(MI, "polblogs_audits", lambda ctx, seeds: [audit, audit])
    ctx = Context(cache=Path("/nonexistent"))
    v = {tid: MEASUREMENTS[tid](ctx, SEEDS).values for tid in IDS}
    assert v["bakshy2015_ranking_crosscutting_liberals"] == pytest.approx([-50.0, -50.0])
    assert v["bakshy2015_ranking_crosscutting_conservatives"] == pytest.approx([25.0, 25.0])
    assert v["huszar2022_right_vs_left"] == pytest.approx([400.0, 400.0])  # 500 − 100 points


def _tiny(seed: int) -> list[str]:
    return [*MI.minority_overrides(seed), *MI.POLBLOGS, f"steps={STEPS}"]


def test_audit_is_read_only_and_matches_the_pooled_cross_cutting_share(tmp_path: Path) -> None:
    over = _tiny(100)
    cfg = compose([*over, "output.mesa_agents=false"])
    audit = MI.IdeologyAudit(2)
    audited, plain = build(cfg, extensions=[audit]), build(cfg)
    assert audited.n == 1490 and np.bincount(audited.users.group).tolist() == [758, 732]
    for _ in range(STEPS):
        audited.step()
        plain.step()
    np.testing.assert_array_equal(audited.users.opinion, plain.users.opinion)
    res = run_experiment(
        [*over, f"output.dir={tmp_path}", "output.quiet=true", "output.progress=false"]
    )
    imp, cross = np.asarray(audit.imp), np.asarray(audit.cross)
    assert imp.shape == (STEPS, 2, 2)
    for a, arm in enumerate(("control", "treatment")):
        assert imp[:, a].sum() == res.summary[f"total_impressions__{arm}"]
        pooled = MI.mean_step_share(cross[:, a].sum(axis=1), imp[:, a].sum(axis=1))
        assert pooled == pytest.approx(res.summary[f"run_mean_cross_cutting_share__{arm}"])


def test_every_measurement_runs_on_a_tiny_config(tmp_path: Path) -> None:
    # the shrink overrides of a reduced `feedlab validate --targets`: polblogs keeps its N
    ctx = Context(cache=tmp_path, overrides=("network.n=300", f"steps={STEPS}"))
    for tid in IDS:
        vals = MEASUREMENTS[tid](ctx, SEEDS).values
        assert len(vals) == 2 and all(math.isfinite(x) for x in vals), (tid, vals)
    assert len(list((tmp_path / "audit_ideology").glob("*.json"))) == 2  # cached per seed
    assert MI._sets_network_n("network.n=300") and MI._sets_network_n("++network.n=3")
    assert not MI._sets_network_n("network.n_groups=2") and not MI._sets_network_n("steps=5")
