"""The second test seed set (``feedlab validate --seed-set B``) and the agreement of verdicts
across sets (analysis/validation/seed_sets.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import tiny_targets_args

from feedlab.analysis import validation as V
from feedlab.analysis.validation import cli, facts_common, seeds
from feedlab.analysis.validation import seed_sets as S
from feedlab.analysis.validation.protocol import Criterion, Design


def test_set_b_is_fixed_and_disjoint_from_every_other_set() -> None:
    assert seeds.TEST_SEEDS_B == tuple(range(2000, 2060))
    assert seeds.SEED_SETS == {"A": seeds.TEST_SEEDS, "B": seeds.TEST_SEEDS_B}
    for other in (seeds.TEST_SEEDS, seeds.EXPLORATION_SEEDS, facts_common.FACT_SEEDS):
        assert not set(seeds.TEST_SEEDS_B) & set(other)
    assert len(seeds.TEST_SEEDS_B) >= V.POWERED.maximum


def test_default_names_pair_the_two_sets() -> None:
    md = Path("validation/results.md")
    assert S.default_out(md, "A") == md
    assert S.default_out(md, "B") == Path("validation/results_B.md")
    assert S.other_json(Path("x/results.json"), "A") == Path("x/results_B.json")
    assert S.other_json(Path("x/results_B.json"), "B") == Path("x/results.json")


def test_compare_flags_a_flipped_verdict(tmp_path: Path) -> None:
    a = {
        "scope": "all; powered: looks at 20 test seeds",
        "seed_set": "A",
        "code_fingerprint": "f",
        "results": [{"name": "fact_1", "status": "PASS"}, {"name": "fact_2", "status": "PASS"}],
    }
    b = {
        "scope": "all; powered: looks at 20 test seeds of set B",
        "seed_set": "B",
        "code_fingerprint": "f",
        "results": [
            {"name": "fact_1", "status": "PASS"},
            {"name": "fact_2", "status": "INCONCLUSIVE"},
            {"name": "fact_3", "status": "PASS"},
        ],
    }
    rows = {r["name"]: r for r in S.compare(a, b)}
    assert rows["fact_1"]["agree"] is True and rows["fact_2"]["agree"] is False
    assert rows["fact_3"]["agree"] is None and rows["fact_3"]["A"] == "–"
    (tmp_path / "a.json").write_text(json.dumps(a))
    text = S.section(b, tmp_path / "a.json")
    assert (
        "**1 of 2** verdicts agree" in text
        and "| `fact_2` | PASS | INCONCLUSIVE | **no** |" in text
    )
    assert S.section(a, tmp_path / "a.json") == ""  # same set: nothing to compare
    assert S.section(a, tmp_path / "missing.json") == ""
    b["code_fingerprint"] = "g"
    assert "different code versions" in S.section(b, tmp_path / "a.json")
    assert S.section({**b, "scope": "all"}, tmp_path / "a.json") == ""  # fast suite: no pair


def test_target_directions_must_agree_too() -> None:
    row = {"target": "t", "verdict": "NOT-DECIDABLE (no interval)", "n": 20}
    a = {"seed_set": "A", "targets": [{**row, "ci_lo": 0.1, "ci_hi": 0.5}]}
    b = {"seed_set": "B", "targets": [{**row, "ci_lo": -0.1, "ci_hi": 0.5}]}
    (r,) = S.compare(a, b)
    assert r["agree"] is False and r["A"].endswith("(CI > 0)") and r["B"].endswith("contains 0)")
    nm = {"target": "u", "verdict": "NOT MEASURED", "n": 0, "ci_lo": None, "ci_hi": None}
    assert S.verdicts({"targets": [nm]}) == {"u": "NOT MEASURED"}


def test_powered_run_takes_the_context_seed_set(tmp_path: Path) -> None:
    seen: list[tuple[int, ...]] = []

    def run(ctx, seeds=facts_common.FACT_SEEDS):
        seen.append(tuple(seeds))
        d = facts_common.decide(
            ctx, "effect", [1.0 + 0.01 * s % 3 for s in seeds], Criterion.greater(0)
        )
        return facts_common.protocol_outcome([d], f"{len(seeds)} seeds", [], {}, None)

    check = V.Check("fake", "fact", "Fake", "effect > 0", "test", run=run)
    design = Design(start=3, step=1, maximum=5)
    V.run_check(check, V.Context(cache=tmp_path, design=design, test_seeds=seeds.TEST_SEEDS_B))
    assert seen[0] == (2000, 2001, 2002)
    seen.clear()
    V.run_check(check, V.Context(cache=tmp_path, design=design))  # default: set A
    assert seen[0] == (1000, 1001, 1002)


def test_seed_set_b_needs_powered_or_targets(tmp_path: Path, capsys) -> None:
    code = V.main(
        ["--seed-set", "B", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o.md")]
    )
    assert code == 2 and "needs --powered or --targets" in capsys.readouterr().err
    assert not (tmp_path / "c").exists() and not (tmp_path / "o.md").exists()


def test_targets_on_both_sets_report_the_agreement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Two tiny ``--targets`` runs, set A then set B, on exploration seeds standing in for the
    test sets (this test never runs a test seed): set B's page ends with the agreement table.
    """
    monkeypatch.setattr(cli, "SEED_SETS", {"A": (100, 101), "B": (102, 103)})
    common = tiny_targets_args("guess2023_political_content", tmp_path / "c")
    out = tmp_path / "targets.md"
    assert V.main([*common, "--out", str(out)]) == 0
    assert "Agreement across" not in out.read_text()
    out_b = tmp_path / "targets_B.md"
    assert V.main([*common, "--seed-set", "B", "--out", str(out_b)]) == 0
    capsys.readouterr()
    js = json.loads(out_b.with_suffix(".json").read_text())
    assert js["seed_set"] == "B" and js["seeds"] == [102, 103]
    text = out_b.read_text()
    assert "seed set B, seeds 102–103" in text
    assert "## Agreement across the two test seed sets" in text
    assert "| `guess2023_political_content` |" in text.split("## Agreement")[1]
