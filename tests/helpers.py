"""Helpers shared by test modules (plain functions, not fixtures).

pytest runs with ``--import-mode=importlib`` (pyproject), so test modules are not on
``sys.path`` and cannot import ``conftest``; ``pythonpath = ["tests"]`` makes this module
importable as ``helpers`` from any test folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from feedlab.models.feed import Candidates

#: the project root (the repository checkout)
ROOT = Path(__file__).resolve().parents[1]


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


def run_feedlab(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m feedlab.experiments.cli ARGS`` from the project root, in the test's
    environment without any planted faults (``FEEDLAB_TEST_FAULTS``) unless ``env`` sets
    them; output captured as text.
    """
    full_env = {k: v for k, v in os.environ.items() if k != "FEEDLAB_TEST_FAULTS"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "feedlab.experiments.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
