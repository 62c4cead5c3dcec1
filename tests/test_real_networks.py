"""`feedlab run` on the real networks shipped in data/ (the polblogs and facebook presets)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from feedlab.experiments import run_experiment
from feedlab.experiments.run import compose
from feedlab.models.network import NETWORKS


@pytest.mark.parametrize(
    ("preset", "n_users", "n_groups"),
    [("polblogs", 1490, 2), ("facebook", 4039, 2)],
)
def test_real_network_runs_end_to_end(
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    preset: str,
    n_users: int,
    n_groups: int,
) -> None:
    # the presets find the shipped file from any working directory, without FEEDLAB_DATA
    monkeypatch.delenv("FEEDLAB_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    res = run_experiment(
        [
            f"network={preset}",
            "steps=3",
            "output.progress=false",
            "output.quiet=true",
            f"output.dir={tmp_path / 'out'}",
            "output.mesa_agents=false",
        ]
    )
    assert res.summary["n_users"] == n_users
    agents = pq.read_table(res.run_dir / "agents.parquet").to_pydict()
    groups = np.array(agents["group"])
    assert len(np.unique(groups)) == n_groups
    if preset == "polblogs":  # groups from the `value` attribute: 758 liberal, 732 conservative
        assert np.bincount(groups).tolist() == [758, 732]
    ts = pq.read_table(res.run_dir / "timeseries.parquet").to_pydict()
    assert np.isfinite(ts["echo_chamber_index"][-1])


@pytest.mark.parametrize(
    ("preset", "file"),
    [("polblogs", "polblogs.gml.gz"), ("facebook", "facebook_combined.txt.gz")],
)
def test_presets_name_the_shipped_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, preset: str, file: str
) -> None:
    """The default path is the package-relative ``feedlab://data/<file>`` (the same run key
    on every machine); FEEDLAB_DATA still overrides the folder."""
    monkeypatch.delenv("FEEDLAB_DATA", raising=False)
    node = compose([f"network={preset}"])["network"]
    assert node["path"] == f"feedlab://data/{file}"
    unit = NETWORKS.build(node, "network")
    assert unit.resolved_path() == data_dir / file
    monkeypatch.setenv("FEEDLAB_DATA", "/somewhere/else")
    assert compose([f"network={preset}"])["network"]["path"] == f"/somewhere/else/{file}"


def test_shipped_files_are_the_documented_ones(data_dir: Path) -> None:
    """data/README.md documents every shipped file, and the files are the published ones
    (SHA-256 pinned, so a re-export, re-compression or truncation fails here)."""
    readme = (data_dir / "README.md").read_text()
    assert {p.name for p in data_dir.iterdir() if p.is_file()} == {*SHA256, "README.md"}
    for name, digest in SHA256.items():
        assert f"`{name}`" in readme
        assert hashlib.sha256((data_dir / name).read_bytes()).hexdigest() == digest
    rows = (data_dir / "tiktok_top25.csv").read_text().splitlines()
    assert rows[0] == "rank,handle,followers,avg_likes_per_post,engagement_rate_pct"
    assert len(rows) == 26


SHA256 = {
    "polblogs.gml.gz": "7c75ecf79df0cd45b8551275c32737f6e29dd79f128880d516a0a774e39b64c8",
    "facebook_combined.txt.gz": "39841f1e779d6201ccede4860ccca655c0a4ffd5efa1ee9e756b4de50653a15f",
    "tiktok_top25.csv": "ca9bed5b937811d1b3ae06aa0d083cee9516cf44adf28d2aea2a007437c3e527",
}
