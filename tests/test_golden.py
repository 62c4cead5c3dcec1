"""Golden hashes: a few runs' data must not change unless results are meant to change.

For each config below, the hash covers the *data* of every data file of the run
(``timeseries``, ``events``, ``agents``: column names, dtypes and values) and the
``summary.json`` values, not file bytes, so metadata (e.g. the config a Parquet file
carries) may change without touching them. The hashes are stored in
``tests/golden_hashes.json`` with the ``RESULTS_VERSION`` they were made under.

A change that alters results must add a ``[results]`` CHANGELOG entry (which bumps
``feedlab.models.RESULTS_VERSION``; tests/test_packaging.py keeps the two in step) and
then regenerate: ``FEEDLAB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py``. The
update is refused while ``RESULTS_VERSION`` is the one the hashes were made under.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from feedlab.experiments import run_experiment
from feedlab.models import RESULTS_VERSION

GOLDEN = Path(__file__).with_name("golden_hashes.json")
BASE = ["network.n=300", "steps=12", "output.progress=false", "output.quiet=true"]
CONFIGS: dict[str, list[str]] = {
    "default": [],
    "chronological_polblogs_like": ["ranking=chronological", "network=holme_kim"],
    "ab_test": ["experiment=feed_ab_test", "network.n=300", "steps=12"],
    "sponsored": ["influencer=sponsored", "influencer.disclosed=false"],
    "transgression": ["event=transgression", "ranking=diversity"],
    "bridging_mf_beta_trust": ["ranking=bridging_mf", "dynamics.trust.rule=beta"],
    # the event fires inside the run (transgression at step 20, apology at 25): call-outs,
    # reputation and the reactions to call-out items are covered
    "apology_timing": ["experiment=apology_timing", "steps=30", "event.apology_time=25"],
}


def data_hash(run_dir: Path) -> str:
    """SHA-256 over the data of a run's Parquet files and summary (not their bytes)."""
    h = hashlib.sha256()
    for name in ("timeseries.parquet", "events.parquet", "agents.parquet"):
        path = run_dir / name
        if not path.exists():
            h.update(f"{name}:absent".encode())
            continue
        table = pq.read_table(path)
        for col in sorted(table.column_names):
            arr = table.column(col).to_numpy(zero_copy_only=False)
            h.update(f"{name}:{col}:{arr.dtype}".encode())
            if arr.dtype.kind in "biuf":
                h.update(np.ascontiguousarray(arr).tobytes())
            else:
                h.update(json.dumps([str(v) for v in arr.tolist()]).encode())
    summary = json.loads((run_dir / "summary.json").read_text())
    h.update(json.dumps(summary, sort_keys=True).encode())
    return h.hexdigest()


def _stored() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


@pytest.fixture(scope="module")
def hashes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = {}
    for name, extra in CONFIGS.items():
        tmp = tmp_path_factory.mktemp(name)
        res = run_experiment([*BASE, *extra, f"output.dir={tmp}"])
        out[name] = data_hash(res.run_dir)
    return out


def test_golden_hashes(hashes: dict[str, str]) -> None:
    stored = _stored()
    if os.environ.get("FEEDLAB_UPDATE_GOLDEN"):
        if (
            stored
            and stored.get("results_version") == RESULTS_VERSION
            and stored.get("hashes") != hashes
        ):
            pytest.fail(
                "results changed but RESULTS_VERSION did not: add a [results] entry to "
                "CHANGELOG.md (and bump feedlab.models.RESULTS_VERSION) first"
            )
        GOLDEN.write_text(
            json.dumps({"results_version": RESULTS_VERSION, "hashes": hashes}, indent=1) + "\n"
        )
        return
    assert stored, f"{GOLDEN} is missing; create it with FEEDLAB_UPDATE_GOLDEN=1"
    assert stored["results_version"] == RESULTS_VERSION, (
        "RESULTS_VERSION changed: regenerate with FEEDLAB_UPDATE_GOLDEN=1"
    )
    changed = {k for k in hashes if stored["hashes"].get(k) != hashes[k]}
    assert not changed, (
        f"outputs changed for {sorted(changed)}; if intended, add a [results] CHANGELOG "
        "entry and regenerate (module docstring)"
    )


def test_the_hash_sees_a_changed_value(tmp_path: Path, hashes: dict[str, str]) -> None:
    """A one-ulp change in one value of one file changes the hash (the guard can fail)."""
    res = run_experiment([*BASE, f"output.dir={tmp_path}"])
    before = data_hash(res.run_dir)
    assert before == hashes["default"]
    import pyarrow as pa

    path = res.run_dir / "timeseries.parquet"
    table = pq.read_table(path)
    col = table.column_names[-1]
    values = table.column(col).to_numpy().copy()
    values[-1] = np.nextafter(values[-1], np.inf)
    pq.write_table(table.set_column(table.column_names.index(col), col, pa.array(values)), path)
    assert data_hash(res.run_dir) != before
