"""Integration layer: a run produces a complete, reproducible run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from feedlab.experiments import run_experiment
from feedlab.experiments.record import DATA_FILES, is_complete

ROOT = Path(__file__).resolve().parents[2]


def test_run_directory_is_complete(small_overrides: list[str]) -> None:
    res = run_experiment(small_overrides)
    d = res.run_dir
    assert d.name == res.key and is_complete(d)
    for f in (".hydra/config.yaml", ".hydra/overrides.yaml", "manifest.json", "DONE", *DATA_FILES):
        assert (d / f).is_file(), f
    ts = pq.read_table(d / "timeseries.parquet").to_pydict()
    assert ts["step"] == [0, 1, 2, 3, 4, 5]
    for col in (
        "opinion_variance",
        "bimodality",
        "echo_chamber_index",
        "cross_cutting_share",
        "mean_edge_trust",
        "mean_platform_trust",
        "engagement_per_user",
        "outrage_share_impressions",
        "outrage_share_posts",
        "mean_value",
    ):
        assert col in ts, col
    summary = json.loads((d / "summary.json").read_text())
    assert summary["n_users"] == 400 and summary["steps"] == 5
    manifest = json.loads((d / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 0
    assert set(manifest["child_seeds"]) >= {"network", "population", "dynamics"}
    agents = pq.read_table(d / "agents.parquet")
    assert agents.num_rows == 400
    # no staging leftovers, not group/world-writable
    assert not any((d.parent / ".staging").iterdir())
    assert (d.stat().st_mode & 0o022) == 0


def test_same_config_byte_identical_outputs(tmp_path: Path, small_overrides: list[str]) -> None:
    a = run_experiment([*small_overrides[:-1], f"output.dir={tmp_path / 'a'}", "seed=5"])
    b = run_experiment([*small_overrides[:-1], f"output.dir={tmp_path / 'b'}", "seed=5"])
    c = run_experiment([*small_overrides[:-1], f"output.dir={tmp_path / 'c'}", "seed=6"])
    assert a.key == b.key != c.key
    for f in DATA_FILES:
        assert (a.run_dir / f).read_bytes() == (b.run_dir / f).read_bytes(), f
    assert (a.run_dir / "timeseries.parquet").read_bytes() != (
        c.run_dir / "timeseries.parquet"
    ).read_bytes()


def test_complete_run_is_skipped(small_overrides: list[str]) -> None:
    first = run_experiment(small_overrides)
    mtime = (first.run_dir / "DONE").stat().st_mtime_ns
    again = run_experiment(small_overrides)
    assert again.skipped and again.run_dir == first.run_dir
    assert (first.run_dir / "DONE").stat().st_mtime_ns == mtime


def test_corrupt_run_is_not_complete(small_overrides: list[str]) -> None:
    res = run_experiment(small_overrides)
    with open(res.run_dir / "summary.json", "a") as f:
        f.write(" ")
    assert not is_complete(res.run_dir)
    rerun = run_experiment(small_overrides)
    assert not rerun.skipped and is_complete(rerun.run_dir)


def test_cli_run_prints_run_directory(tmp_path: Path) -> None:
    env = dict(os.environ)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedlab.experiments.cli",
            "run",
            "network.n=300",
            "steps=3",
            f"output.dir={tmp_path}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "run directory:" in out.stdout and str(tmp_path) in out.stdout


def test_cli_bad_input_exits_2_before_work(tmp_path: Path) -> None:
    env = dict(os.environ)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedlab.experiments.cli",
            "run",
            "population.tolerance.mean=-0.5",
            f"output.dir={tmp_path}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 2
    assert "population.tolerance.mean" in out.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_long_run_is_synced_at_commit_and_a_short_one_is_not(
    small_overrides: list[str], monkeypatch, tmp_path: Path
) -> None:
    """A run of at least ``output.sync_after_s`` fsyncs each of its files, its two
    directories and the runs directory once, at commit; a shorter one fsyncs nothing (a
    machine crash costs it a re-run, never a false ``DONE``); the bytes are the same.
    ``output.sync_after_s=0`` syncs every run."""
    synced: list[str] = []
    real = os.fsync

    def counting(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    short = run_experiment([*small_overrides, "seed=5"])
    assert synced == []
    long = run_experiment(
        [*small_overrides[:-1], f"output.dir={tmp_path}/long", "seed=5", "output.sync_after_s=0"]
    )
    assert long.key == short.key  # not in the run key
    files = sorted(p for p in long.run_dir.rglob("*") if p.is_file())
    staged = [Path(s).name for s in synced]
    assert sorted(staged[: len(files)]) == sorted(p.name for p in files)
    assert len(staged) == len(files) + 3 and staged[len(files)] == ".hydra"
    assert staged[len(files) + 1].startswith(f"{long.key}.")  # the staging directory
    assert staged[-1] == "runs"  # after the rename
    for f in DATA_FILES:
        assert (long.run_dir / f).read_bytes() == (short.run_dir / f).read_bytes()
