"""Helpers shared by test modules (plain functions, not fixtures).

pytest runs with ``--import-mode=importlib`` (pyproject), so test modules are not on
``sys.path`` and cannot import ``conftest``; ``pythonpath = ["tests"]`` makes this module
importable as ``helpers`` from any test folder.
"""

from __future__ import annotations

import os
import shutil
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


def proc_stat_fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first, then the
    parent pid, …), or None if the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def slurm_idle_node() -> str | None:
    """None if SLURM has an idle node; otherwise why a SLURM test cannot run (its skip
    reason; CI starts a single-node SLURM with .ci/slurm/up.sh)."""
    if shutil.which("sinfo") is None:
        return "SLURM is not installed (no sinfo); CI starts one with .ci/slurm/up.sh"
    try:
        res = subprocess.run(
            ["sinfo", "-h", "-N", "-t", "idle", "-o", "%N"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"sinfo failed: {exc}"
    if res.returncode != 0:
        return f"SLURM is not running (sinfo: {res.stderr.strip()[:200]})"
    if not res.stdout.strip():
        return "SLURM shows no idle node (sinfo -t idle is empty)"
    return None


#: A tiny synthetic calibration (2 parameters, 8 particles, 3 generations, N = 60, 3
#: steps), for the calibration and screen tests; append a ``screen:`` section as needed.
TINY_CALIBRATION = """
targets: ["metric:total_likes", "metric:total_shares"]
hold_out: ["metric:total_reshares"]
overrides: [network.n=60, steps=3]
params:
  dynamics.reaction.like.intercept: {prior: uniform, low: -4.0, high: -1.0}
  dynamics.reaction.share.intercept: {prior: uniform, low: -6.0, high: -3.0}
truth: {dynamics.reaction.like.intercept: -2.2, dynamics.reaction.share.intercept: -4.0}
truth_seeds: 3
smc: {population: 8, generations: 3, quantile: 0.5, seeds: 1, noise_seeds: 2,
      min_acceptance: 0.0, ppc_draws: 3}
budget: 40
seed: 3
"""


def tiny_targets_args(target: str, cache: Path) -> list[str]:
    """``feedlab validate`` arguments of a tiny ``--targets`` run of one target (2 seeds,
    N = 200, 6 steps, one job): a pipeline check, never a result."""
    return [
        "--targets", "--target-seeds", "2", "--only", target,
        "--set", "network.n=200", "--set", "steps=6", "--cache", str(cache),
        "--jobs", "1", "--quiet",
    ]  # fmt: skip
