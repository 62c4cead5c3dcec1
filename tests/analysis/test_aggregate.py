"""Sweep aggregation: only complete runs, by manifest; corrupt/incomplete ones reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from feedlab.analysis import aggregate as agg
from feedlab.experiments import record, run_experiment
from feedlab.experiments.cli import main as cli_main

BASE = ["network.n=150", "steps=3", "output.progress=false", "output.quiet=true"]
CONFIGS = [
    ["ranking=chronological", "seed=0"],
    ["ranking=chronological", "seed=1"],
    ["ranking=engagement", "seed=0"],
    ["ranking=engagement", "seed=1"],
    ["ranking=engagement", "seed=2", "network.homophily=0.6"],
]


def _rehash(run_dir: Path) -> None:
    """Re-seal a run after a deliberate edit (simulates a run that recorded that value)."""
    done = json.loads((run_dir / "DONE").read_text())
    done["files"] = {f: record.file_sha256(run_dir / f) for f in done["files"]}
    record.write_json(run_dir / "DONE", done)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sweep = tmp_path_factory.mktemp("sweep")
    runs = []
    for ov in CONFIGS:
        res = run_experiment([*BASE, *ov, f"output.dir={sweep}"])
        runs.append({"key": res.key, "overrides": ov})
    # the manifest as `feedlab run -m` writes it (experiments/sweep.py, format 1)
    manifest = {
        "format": 1,
        "runs_dir": "runs",
        "expected": [{**r, "jobs": [i]} for i, r in enumerate(runs)],
    }
    (sweep / "sweep.json").write_text(json.dumps(manifest))
    # One run recorded a non-finite value (summary None is how NaN is stored).
    nan_run = sweep / "runs" / runs[0]["key"]
    s = json.loads((nan_run / "summary.json").read_text())
    s["outrage_amplification"] = None
    record.write_json(nan_run / "summary.json", s)
    _rehash(nan_run)
    return sweep


@pytest.fixture
def sweep(pristine: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    d = tmp_path / "sweep"
    shutil.copytree(pristine, d)
    keys = [r["key"] for r in json.loads((d / "sweep.json").read_text())["expected"]]
    return d, keys


def _damage(d: Path, keys: list[str]) -> tuple[str, str]:
    corrupt, incomplete = keys[1], keys[3]
    with open(d / "runs" / corrupt / "summary.json", "a") as f:
        f.write(" ")  # one byte changed after DONE was written
    (d / "runs" / incomplete / "DONE").unlink()
    return corrupt, incomplete


def test_complete_sweep_rows_equal_runs(sweep: tuple[Path, list[str]]) -> None:
    d, keys = sweep
    assert agg.main([str(d)]) == 0
    res = agg.read_results(d)
    assert sorted(res["key"]) == sorted(keys)
    assert "ranking.name" in res.config and "network.n" in res.config and "seed" in res.config
    assert "output.dir" not in res.keys()
    for i, k in enumerate(res["key"]):
        summ = json.loads((d / "runs" / k / "summary.json").read_text())
        for m, v in summ.items():
            col = f"metric.{m}" if m in res.config else m
            if v is None:
                assert np.isnan(res[col][i]), (k, m)
            else:
                assert res[col][i] == v, (k, m)
    ts = pq.read_table(d / "timeseries.parquet").to_pydict()
    assert len(ts["key"]) == 5 * 4  # steps 0..3 per run
    assert set(ts["ranking.name"]) == {"chronological", "engagement"}
    homophily = {k: h for k, h in zip(ts["key"], ts["network.homophily"])}
    assert sorted(homophily.values()).count(0.6) == 1


def test_corrupt_and_incomplete_are_reported_and_excluded(
    sweep: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    d, keys = sweep
    corrupt, incomplete = _damage(d, keys)
    # refused without --allow-partial, nothing written
    assert agg.main([str(d)]) == 1
    out, err = capsys.readouterr()
    assert "3/5 runs complete" in out and "refusing a partial sweep (3/5" in err
    assert corrupt in out and "summary.json does not match its hash" in out
    assert incomplete in out and "incomplete (no DONE): 1" in out
    assert not (d / "results.parquet").exists() and not (d / "timeseries.parquet").exists()
    # with --allow-partial: exactly the complete runs
    assert agg.main([str(d), "--allow-partial"]) == 0
    res = agg.read_results(d)
    assert sorted(res["key"]) == sorted(set(keys) - {corrupt, incomplete})
    ts = pq.read_table(d / "timeseries.parquet").to_pydict()
    assert set(ts["key"]) == set(res["key"]) and len(ts["key"]) == 3 * 4
    report = json.loads((d / "aggregate.json").read_text())
    assert report["coverage"] == "3/5 runs complete"
    assert report["corrupt"] == {corrupt: "summary.json does not match its hash in DONE"}
    assert report["incomplete"] == [incomplete]
    assert not list(d.glob(".*.tmp"))


def test_nonfinite_values_are_counted_not_dropped(
    sweep: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    d, keys = sweep
    rep = agg.aggregate(d)
    assert rep.nonfinite.get("outrage_amplification") == 1
    assert "outrage_amplification: 1 non-finite of 5 runs" in "\n".join(rep.lines())
    res = agg.read_results(d)
    assert len(res) == 5
    i = list(res["key"]).index(keys[0])
    assert np.isnan(res["outrage_amplification"][i])
    assert np.isfinite(np.delete(res["outrage_amplification"], i)).all()
    # null (not NaN) in the file, so SQL aggregates see a missing value
    col = pq.read_table(d / "results.parquet").column("outrage_amplification")
    assert col.null_count == 1


def test_missing_and_orphan_runs(sweep: tuple[Path, list[str]]) -> None:
    d, keys = sweep
    shutil.rmtree(d / "runs" / keys[2])  # expected but never written
    shutil.copytree(d / "runs" / keys[0], d / "runs" / "0123456789abcdef")  # not in manifest
    rep = agg.aggregate(d, allow_partial=True)
    assert rep.missing == [keys[2]] and rep.orphans == ["0123456789abcdef"]
    assert rep.coverage == "4/5 runs complete"
    assert sorted(agg.read_results(d)["key"]) == sorted(set(keys) - {keys[2]})


def test_no_manifest_falls_back_to_done_runs(
    sweep: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    d, keys = sweep
    corrupt, incomplete = _damage(d, keys)
    (d / "sweep.json").unlink()
    assert agg.main([str(d)]) == 1  # the corrupt run has a DONE: expected, not complete
    out = capsys.readouterr().out
    assert "3/4 runs complete (no manifest)" in out
    assert agg.main([str(d), "--allow-partial"]) == 0
    assert sorted(agg.read_results(d)["key"]) == sorted(set(keys) - {corrupt, incomplete})


def test_bad_manifest_and_cli_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert agg.main([str(tmp_path / "nope")]) == 2
    (tmp_path / "sweep.json").write_text('{"jobs": []}')
    assert cli_main(["aggregate", str(tmp_path)]) == 2
    assert "not a sweep manifest" in capsys.readouterr().err


def test_duckdb_union_by_name(sweep: tuple[Path, list[str]]) -> None:
    duckdb = pytest.importorskip("duckdb")
    d, _ = sweep
    assert agg.main([str(d), "--quiet"]) == 0
    rows = duckdb.sql(
        f"""SELECT "ranking.name" AS policy, count(*) AS n, avg(opinion_variance) AS v
            FROM read_parquet('{d}/results.parquet', union_by_name=true)
            GROUP BY ALL ORDER BY policy"""
    ).fetchall()
    assert [(p, n) for p, n, _ in rows] == [("chronological", 2), ("engagement", 3)]
    steps = duckdb.sql(
        f"SELECT max(step) FROM read_parquet('{d}/timeseries.parquet', union_by_name=true)"
    ).fetchall()
    assert steps == [(3,)]


def test_aggregation_is_deterministic(sweep: tuple[Path, list[str]], tmp_path: Path) -> None:
    d, _ = sweep
    agg.aggregate(d, out_dir=tmp_path / "a")
    agg.aggregate(d, out_dir=tmp_path / "b")
    for f in ("results.parquet", "timeseries.parquet", "aggregate.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_flatten() -> None:
    flat = agg.flatten({"a": {"b": 1, "c": {"d": "x"}}, "l": [1, {"k": 2}], "s": None})
    assert flat == {"a.b": 1, "a.c.d": "x", "l": '[1,{"k":2}]', "s": None}


def test_agrees_with_feedlab_verify(sweep: tuple[Path, list[str]]) -> None:
    """The aggregator counts a run as complete exactly when `feedlab verify` does."""
    sweep_mod = pytest.importorskip("feedlab.experiments.sweep")
    d, keys = sweep
    _damage(d, keys)
    cfg = d / "runs" / keys[4] / ".hydra" / "config.yaml"
    cfg.write_text(cfg.read_text().replace("seed: 2", "seed: 3"))  # not the run it says
    _rehash(d / "runs" / keys[4])
    shutil.rmtree(d / "runs" / keys[2])
    (d / "failures").mkdir()
    record.write_json(d / "failures" / f"{keys[2]}.1.json", {"reason": "exit code -9"})
    rep = agg.aggregate(d, allow_partial=True)
    ver = sweep_mod.verify(d)
    assert rep.complete == ver.complete == [keys[0]]
    assert rep.failed == {keys[2]: "attempt 1: exit code -9"} and ver.failed == [keys[2]]
    assert rep.corrupt[keys[4]].startswith("its config hashes to")
    assert set(rep.corrupt) | set(rep.incomplete) == set(ver.corrupt)


def test_plain_runs_manifest(sweep: tuple[Path, list[str]]) -> None:
    """The minimal manifest {"runs": [{"key": ...}, ...]} is read too."""
    d, keys = sweep
    (d / "sweep.json").write_text(json.dumps({"runs": [{"key": k} for k in keys[:3]]}))
    rep = agg.aggregate(d)
    assert rep.coverage == "3/3 runs complete" and sorted(rep.orphans) == sorted(keys[3:])
    assert sorted(agg.read_results(d)["key"]) == sorted(keys[:3])
