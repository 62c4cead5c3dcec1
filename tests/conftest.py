"""Shared fixtures: small real configs composed from conf/, and the shipped data/ folder."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from feedlab.models.feed import Candidates

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


def stranger_candidates(
    viewer: np.ndarray, slot: np.ndarray, users: Any, store: Any, predictor: Any = None
) -> Candidates:
    """Toy candidates: pair m is (``viewer[m]``, post slot ``slot[m]``), grouped by viewer
    in ascending order, every item out of network (edge -1, stranger trust 0.5)."""
    viewers, counts = np.unique(viewer, return_counts=True)
    ptr = np.zeros(viewers.size + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    return Candidates(
        viewers=viewers.astype(np.int32),
        ptr=ptr,
        slot=np.asarray(slot, np.int64),
        edge=np.full(len(slot), -1, np.int64),
        users=users,
        posts=store,
        graph=SimpleNamespace(trust=np.zeros(0)),  # type: ignore[arg-type]
        stranger_trust=0.5,
        predictor=predictor,
    )
