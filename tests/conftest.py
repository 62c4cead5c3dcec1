"""Shared fixtures: small real configs composed from conf/, and the shared-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FEEDLAB_DATA", ROOT.parent / "shared" / "data"))

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
def shared_data() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} not found: real-network tests need the shared data folder")
    return DATA
