"""``feedlab bench`` (benchmarks/run.py and its modules): the quick suite runs end to end, writes a JSON of
the documented structure and a performance document, and its agreement checks pass —
and would fail for a fast wrong answer.

The quick suite takes ~12 s on a quiet machine (imports of ndlib, Mesa, Hydra and matplotlib
included); ndlib parts are skipped when the ``bench`` extra is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

from feedlab.benchmarks import run as bench_run  # noqa: E402


def _have_ndlib() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("ndlib", "six", "sklearn"))


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick run in a fresh process (the suite sets igraph's process-global RNG)."""
    tmp = tmp_path_factory.mktemp("bench")
    out, doc = tmp / "results.json", tmp / "docs" / "performance.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedlab.benchmarks.run",
            "--quick",
            "--out",
            str(out),
            "--doc",
            str(doc),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text()), doc


def _positive(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


def test_quick_results_structure(quick):
    res, _ = quick
    assert res["schema"] == bench_run.SCHEMA and res["mode"] == "quick"
    m = res["machine"]
    assert m["cpu_model"] and m["logical_cores"] >= 1 and m["mem_total_gb"] > 0
    assert m["packages"]["numpy"] and m["packages"]["mesa"]
    assert len(res["load_start"]) == 3 and len(res["load_end"]) == 3
    ab = res["algorithmic_bias"]
    impls = {r["impl"] for r in ab["rows"]}
    expected = {"feedlab_kernel", "feedlab_model", "mesa"} | ({"ndlib"} if _have_ndlib() else set())
    assert impls == expected
    assert (not _have_ndlib()) == any(s.startswith("ndlib") for s in res["skipped"])
    for r in ab["rows"]:
        assert _positive(r["interactions_per_s"]) and r["repeats"] >= 1, r
        assert r["interactions_per_s"] == pytest.approx(np.median(r["rates"]))
    assert {(r["n"], r["gamma"]) for r in ab["ratios"]} == {
        (n, g) for n in bench_run.QUICK.ab_sizes for g in bench_run.QUICK.ab_gammas
    }
    for r in ab["ratios"]:
        assert _positive(r["kernel_over_mesa"]) and _positive(r["model_over_kernel"])
    th = res["threshold"]
    assert {r["impl"] for r in th["rows"]} >= {"feedlab_kernel", "reference"}
    assert all(_positive(r["seconds_per_cascade"]) for r in th["rows"])
    sc = res["scaling"]["rows"]
    assert [r["n"] for r in sc] == list(bench_run.QUICK.scaling_sizes)
    for r in sc:
        assert _positive(r["median_step_seconds"]) and _positive(r["peak_rss_gb"])
        assert set(r["phase_seconds"]) >= {"post", "gather", "rank", "react", "update"}
        assert _positive(r["ranking"]["cold_candidates_per_s"])
    target = next(r for r in sc if r["n"] == bench_run.QUICK.target_n)
    assert target["profile"]["top_tottime"], "cProfile of one step at the target N"
    assert "engagement" in target["policies"]["by_policy"]
    assert len(target["policies"]["by_policy"]) >= 5, "every conf/ranking policy"
    workloads = " ".join(t["workload"] for t in res["targets"])
    for word in ("γ=0", "γ=1", "Watts", "feed ranking", "full feed step"):
        assert word in workloads
    for t in res["targets"]:  # quick sizes are < 10^6 users: every target measured, none estimated
        assert isinstance(t["met"], bool), t
        if t["shortfall_factor"] is not None:  # a shortfall is reported only for a missed target
            assert t["met"] is False and t["shortfall_factor"] > 1, t


def test_quick_agreement_checks_pass(quick):
    res, _ = quick
    assert res["agreement_ok"] is True
    ag = res["agreement_algorithmic_bias"]
    assert ag["ok"] and len(ag["cases"]) == len(bench_run.QUICK.agree_cases)
    for case in ag["cases"]:
        assert case["exact"] == {"same_graph": True, "model_step_is_kernel": True}
        peers = {c["b"] for c in case["comparisons"] if c["a"] == "feedlab_kernel"}
        assert peers == {"reference", "mesa"} | ({"ndlib"} if _have_ndlib() else set())
        assert all(c["ok"] for c in case["comparisons"])
    checks = res["threshold"]["agreement"]["checks"]
    assert checks and all(c["ok"] and c["same_active_set"] for c in checks)


def test_quick_writes_document_and_figures(quick):
    _, doc = quick
    text = doc.read_text()
    for heading in (
        "## How to run",
        "## Machine and load",
        "## Performance targets",
        "## Deffuant / algorithmic bias",
        "### Agreement in distribution",
        "## Watts threshold cascade",
        "## Scaling with N",
        "## Where targets are missed, and why",
    ):
        assert heading in text
    assert 'pip install -e ".[bench]"' in text and "feedlab bench" in text
    assert "load average" in text
    for name in ("performance_scaling.png", "performance_peers.png"):
        png = doc.parent / "figures" / name
        assert png.stat().st_size > 10_000 and f"figures/{name}" in text


def _scaling_results(step_cpu: float, rates: dict[str, float]) -> dict:
    """A results document with one scaling row at the quick target N (hand-made numbers)."""
    n = bench_run.QUICK.target_n
    assert n == bench_run.QUICK.ranking_target_n
    by_policy = {
        k: {"cold_candidates_per_s": v, "warm_candidates_per_s": 2 * v} for k, v in rates.items()
    }
    policies = {"n": n, "candidates_per_viewer": 10.0, "by_policy": by_policy}
    row = {"n": n, "median_step_cpu_seconds": step_cpu, "median_step_seconds": step_cpu}
    return {"scaling": {"rows": [{**row, "policies": policies}]}}


@pytest.mark.parametrize(
    ("step_cpu", "slow_rate", "step_met", "policies_met"),
    [
        (0.4, 40e6, True, True),
        (0.6, 40e6, False, True),
        # 2 M candidates/s is a per-viewer Python loop: the benchmark must flag that policy
        (0.4, 2e6, True, False),
    ],
)
def test_targets_are_judged_against_their_thresholds(step_cpu, slow_rate, step_met, policies_met):
    """``met`` follows the measured number across the target (≤ 0.5 s per step; ≥ 30 M
    candidates/s for every ranking policy), and a miss carries its shortfall factor. The
    ranking throughput itself is measured and judged only by ``feedlab bench``."""
    res = _scaling_results(step_cpu, {"engagement": 50e6, "diversity": slow_rate})
    targets = bench_run.evaluate_targets(res, bench_run.QUICK)

    def target(prefix: str) -> dict:
        (t,) = [t for t in targets if t["workload"].startswith(prefix)]
        return t

    step = target("full feed step")
    assert step["met"] is step_met and step["measured"] == step_cpu
    assert step["shortfall_factor"] == (None if step_met else pytest.approx(step_cpu / 0.5))
    assert target("feed ranking (engagement)")["met"] is True
    every = target("feed ranking, every policy")
    assert every["met"] is policies_met and every["measured"] == min(50e6, slow_rate)
    assert every["shortfall_factor"] == (None if policies_met else pytest.approx(30e6 / slow_rate))


def test_a_fast_wrong_answer_fails_the_agreement_check(monkeypatch, tmp_path):
    """feedlab's kernel with ε on the wrong scale (twice too tolerant) must not pass."""
    from feedlab.benchmarks.workloads import agreement

    right = bench_run.kernel_sweeps

    def wrong(x, g, eps01, gamma, rng, sweeps):
        right(x, g, 2 * eps01, gamma, rng, sweeps)

    monkeypatch.setattr(agreement, "kernel_sweeps", wrong)  # where the agreement looks it up
    s = replace(bench_run.QUICK, agree_cases=((0.2, 0.0),), agree_replicates=5)
    res = bench_run.agreement_algorithmic_bias(s, tmp_path, ndlib_ok=False)
    case = res["cases"][0]
    assert not res["ok"]
    failed = {c["b"] for c in case["comparisons"] if c["a"] == "feedlab_kernel" and not c["ok"]}
    assert failed == {"reference", "mesa"}
    assert case["exact"]["model_step_is_kernel"] is False


def test_cli_offers_bench():
    from feedlab.experiments import cli

    assert cli._available("bench")
    assert cli.COMMANDS["bench"][:2] == ("feedlab.benchmarks.run", "main")


def test_full_scale_run_is_merged_into_results_and_document(quick, tmp_path):
    """``--full-scale`` (here at the quick sizes) is recorded apart, then merged into the
    results JSON and the document, and judged against the performance target."""
    res, _ = quick
    out, doc = tmp_path / "results.json", tmp_path / "performance.md"
    out.write_text(json.dumps(res))
    assert bench_run.main(["--quick", "--full-scale", "--out", str(out), "--doc", str(doc)]) == 0
    fs_file = out.with_name(out.name + ".full_scale")
    fs = json.loads(fs_file.read_text())
    s = bench_run.QUICK
    assert fs["n"] == s.full_scale_n and fs["steps"] == s.full_scale_steps
    assert _positive(fs["total_cpu_seconds"]) and _positive(fs["peak_rss_gb"])
    merged = json.loads(out.read_text())
    assert merged["full_scale"] == fs
    row = next(t for t in merged["targets"] if "users ×" in t["workload"])
    assert row["measured"] == fs["total_cpu_seconds"]
    assert row["met"] is (fs["total_cpu_seconds"] <= 15 * 60 and fs["peak_rss_gb"] <= 8)
    assert "A separate measured run" in doc.read_text()


# the report: a Markdown template filled from a results JSON (no benchmark is run)

RESULTS_JSON = ROOT / "benchmarks" / "results" / "latest.json"
FIGURES = [Path("performance_scaling.png"), Path("performance_peers.png")]


def test_report_template_ships_as_package_data():
    import fnmatch
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools["package-data"]["feedlab"]
    assert any(fnmatch.fnmatch("benchmarks/report_template.md", p) for p in patterns)
    assert "feedlab.benchmarks.workloads" in setuptools["packages"]


def test_every_template_part_is_used():
    from feedlab.benchmarks import report

    parts = report.template_parts()
    assert "document" in parts and len(parts) >= 10
    source = Path(report.__file__).read_text()
    assert [p for p in parts if f'"{p}"' not in source] == []


@pytest.mark.skipif(not RESULTS_JSON.exists(), reason="no committed results")
def test_report_renders_committed_results_in_every_variant():
    import copy

    from feedlab.benchmarks import report

    res = json.loads(RESULTS_JSON.read_text())
    text = report.render_report(res, ROOT / "docs" / "performance.md", FIGURES)
    assert text.startswith("# Performance: feedlab side by side with ndlib and Mesa\n")
    assert "${" not in text
    # the template's last paragraph, then (when measured) the large-N step section
    body = text.partition("\n## The large-N step against the baseline")[0]
    assert body.endswith("slowed everything down.\n")
    for t in res["targets"]:
        assert t["workload"] in text
    for t in (t for t in res["targets"] if t["met"] is False):
        assert f"### {t['workload']}\n\nTarget {t['target']}; measured" in text
    assert "![interactions per second by implementation](figures/performance_peers.png)" in text
    assert "## Sweep throughput: many small runs" in text
    if res.get("throughput"):
        assert "| feedlab, resume |" in text and "Resuming the complete sweep:" in text
        if res["throughput"].get("baseline"):  # --throughput-baseline-repeats says so
            tp = copy.deepcopy(res["throughput"])
            tp["feedlab"]["repeats"] = tp["baseline"]["repeats"] = 3
            assert "ran 3 times each (the baseline's 3 times)" in report._throughput(tp)

    shared = copy.deepcopy(res)
    shared["load_start"][0] = 10 * (shared["machine"]["usable_cores"] or 1)
    shared["skipped"] = ["ndlib: --no-ndlib"]
    shared["full_scale"] = None
    shared["throughput"] = None
    for row in shared["scaling"]["rows"]:
        row["fresh_process"] = False
    for t in shared["targets"]:
        t["met"] = True
    text = report.render_report(shared, ROOT / "docs" / "performance.md", [])
    assert "**The machine was shared with other work during this run**" in text
    assert "wall clock.\n\nSkipped: ndlib: --no-ndlib.\n\n## Performance targets" in text
    assert "Not measured yet: run `feedlab bench --full-scale`" in text
    assert "Not measured yet: run `feedlab bench --throughput" in text
    assert "Quick suite: every N runs in the suite's own process" in text
    assert "No target is missed in this run.\n## Reference" in text
    assert "figures/" not in text


@pytest.mark.slow
def test_throughput_workload_measures_sweeps_and_resume():
    """``feedlab bench --throughput``'s workload on a tiny sweep (no baseline): both worker
    counts and the resume are measured in wall and CPU time (the CPU of the launcher's
    whole process tree), and the page renders them."""
    from feedlab.benchmarks import report
    from feedlab.benchmarks.workloads.throughput import bench_throughput

    tp = bench_throughput(runs=3, repeats=2)
    f = tp["feedlab"]
    for key in ("workers_1", "workers_2"):  # the repeats' wall times, the median's figures
        every = f[key]["wall_seconds_all"]
        assert len(every) == 2 and f[key]["wall_seconds"] == sorted(every)[0]
    for key in ("workers_1", "workers_2", "resume"):
        assert f[key]["wall_seconds"] > 0 and f[key]["cpu_seconds"] > 0.5  # imports counted
    assert (
        f["workers_2"]["runs_per_cpu_min"] > 0 and tp["ratios"]["vs_baseline_2_workers_cpu"] is None
    )
    for key in ("workers_1", "workers_2"):  # from the runs' manifests
        first = f[key]["first_run_start_seconds"]
        after = f[key]["after_last_run_seconds"]
        assert 0 < first < f[key]["wall_seconds"] and 0 < after < f[key]["wall_seconds"]
    assert "first_run_start_seconds" not in f["resume"]  # it ran nothing
    text = report._throughput(tp)
    assert "| feedlab | 3 | 2 |" in text and "not measured (no baseline)" in text
    assert "until its first run starts" in text
    assert "ran 2 times each" in text


def test_attention_section_renders_the_measured_ratio_and_budget() -> None:
    from feedlab.benchmarks import report

    assert report.attention_section(None) == ""
    res = {
        "n": 1000,
        "switches_on": ["ads=feed_ads"],
        "warmup_steps": 2,
        "steps_timed": 5,
        "median_step_cpu_seconds": {"off": 0.2, "on": 0.3},
        "median_step_wall_seconds": {"off": 0.25, "on": 0.4},
        "ratio_cpu": 1.5,
        "ratio_cpu_pairs_median": 1.48,
        "budget": 1.3,
        "within_budget": False,
        "load_start": [1.0, 1.0, 1.0],
        "load_end": [2.0, 2.0, 2.0],
    }
    text = report.attention_section(res)
    assert "| 0.200 s | 0.300 s | 1.50× | 1.48× | 1.60× |" in text
    assert "budget is 1.3×: the measured ratio is **over** it" in text
    assert "within it" in report.attention_section({**res, "within_budget": True})


def test_report_only_without_results_is_a_clear_error(tmp_path, capsys):
    """``--report-only`` on a results file that does not exist (or is not JSON): exit 2
    with the option and the reason, no traceback, no document written."""
    doc = tmp_path / "perf.md"
    for content in (None, "not json"):
        out = tmp_path / "results.json"
        if content is not None:
            out.write_text(content)
        assert bench_run.main(["--report-only", "--out", str(out), "--doc", str(doc)]) == 2
        err = capsys.readouterr().err
        assert "--report-only" in err and str(out) in err and "Traceback" not in err
        assert not doc.exists()
