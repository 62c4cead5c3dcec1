"""Shared fixtures: small real configs composed from conf/, and the shipped data/ folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Numba's pool is as large as the machine allows (its default), whatever a module imported
# during collection pins for its own measurements (the benchmark modules pin
# NUMBA_NUM_THREADS=1 at import when it is unset): the tests that compare 1 and 2 threads
# need a pool of 2 and are skipped without one.
os.environ.setdefault("NUMBA_NUM_THREADS", str(os.cpu_count() or 1))

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"  # the real networks ship with feedlab (data/README.md)

# Small but complete: every mechanism on, a few hundred users, a few steps.
SMALL = [
    "network.n=400",
    "steps=5",
    "output.progress=false",
    "output.quiet=true",
]


@pytest.fixture
def small_overrides(tmp_path: Path) -> list[str]:
    return [*SMALL, f"output.dir={tmp_path}"]


@pytest.fixture
def data_dir() -> Path:
    """The data/ folder shipped with feedlab (the real networks; never skipped)."""
    assert DATA.is_dir(), f"{DATA} is missing: it ships with feedlab"
    return DATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n auto`` (pytest-xdist, ``--dist loadgroup``), the SLURM tests run
    one after another on one worker: they share one single-node cluster, and one test's
    job would leave the others no idle node (they would skip instead of run).
    """
    for item in items:
        if item.get_closest_marker("slurm") is not None:
            item.add_marker(pytest.mark.xdist_group("slurm"))
