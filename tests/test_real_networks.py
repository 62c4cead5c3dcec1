"""`feedlab run` on the shared real networks (skips with a reason without ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from feedlab.experiments import run_experiment


@pytest.mark.parametrize(
    ("preset", "n_users", "n_groups"),
    [("polblogs", 1490, 2), ("facebook", 4039, 2)],
)
def test_real_network_runs_end_to_end(
    shared_data: Path, tmp_path: Path, preset: str, n_users: int, n_groups: int
) -> None:
    res = run_experiment(
        [
            f"network={preset}",
            "steps=3",
            "output.progress=false",
            "output.quiet=true",
            f"output.dir={tmp_path}",
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
