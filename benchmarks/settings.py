"""What one ``feedlab bench`` suite measures: sizes, budgets, file locations.

:class:`Settings` holds every size and time budget of a suite; :data:`DEFAULT` is the
suite of record (< 15 min on 2 cores) and :data:`QUICK` the small one the tests run.
:data:`DESIGN_REFERENCE` keeps the peers' rates as measured when the targets of
docs/performance.md §Performance targets were set, so that a report can show how far a
loaded machine is from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: the repository root, which is the ``feedlab`` package
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_OUT = RESULTS / "latest.json"
QUICK_OUT = RESULTS / "quick.tmp"  # *.tmp is git-ignored
FULL_SCALE_JSON = RESULTS / "full_scale.json"
THROUGHPUT_JSON = RESULTS / "throughput.json"  # feedlab bench --throughput
DEFAULT_DOC = ROOT / "docs" / "performance.md"
#: version of the results JSON's layout
SCHEMA = 1


@dataclass(frozen=True)
class Settings:
    """Sizes and budgets of one suite (``DEFAULT`` or ``QUICK``).

    The fields are recorded in the results JSON (``settings``), so that ``--report-only``
    and ``--full-scale`` judge the targets with the sizes the run was made with.
    """

    mode: str
    ab_sizes: tuple[int, ...]
    ab_gammas: tuple[float, ...] = (0.0, 1.0)
    ab_epsilon: float = 0.4  # on [0, 1], as benchmarks/peers/timing.py
    ba_m: int = 5
    feedlab_repeats: int = 5
    feedlab_block_seconds: float = 0.2
    peer_budget_seconds: float = 3.0
    peer_min_sweeps: int = 3
    peer_max_sweeps: int = 500
    agree_n: int = 1000
    agree_replicates: int = 12
    agree_sweeps: int = 30
    # (ε on [0, 1], γ): fragmented Deffuant (~3 clusters on BA) and algorithmic bias
    agree_cases: tuple[tuple[float, float], ...] = ((0.2, 0.0), (0.3, 1.0))
    threshold_n: int = 100_000
    threshold_z: float = 4.0
    threshold_phi: float = 0.18
    threshold_feedlab_cascades: int = 25
    threshold_peer_cascades: int = 3
    scaling_sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)
    scaling_steps: tuple[int, ...] = (10, 10, 5, 1)  # + 1 phase-split step each
    ranking_repeats: int = 5
    ranking_repeats_1e6: int = 1  # at N ≥ 10⁶ one rank call costs ~10 s
    target_n: int = 100_000  # N of the step/ranking targets (profiled there)
    policies_n: int = 100_000  # every conf/ranking policy at this N (the target workload)
    ranking_target_n: int = 100_000  # the engagement policy at this N (the target)
    policies_degree: float = 50.0
    full_scale_n: int = 1_000_000
    full_scale_steps: int = 100
    # one fresh subprocess per N (peak memory per N); the quick suite runs in-process
    fresh_processes: bool = True


DEFAULT = Settings(mode="default", ab_sizes=(1_000, 10_000, 100_000))
QUICK = Settings(
    mode="quick",
    ab_sizes=(1_000,),
    feedlab_repeats=3,
    feedlab_block_seconds=0.05,
    peer_budget_seconds=0.25,
    peer_min_sweeps=2,
    peer_max_sweeps=50,
    agree_n=200,
    agree_replicates=6,
    agree_sweeps=10,
    threshold_n=5_000,
    threshold_feedlab_cascades=5,
    threshold_peer_cascades=1,
    scaling_sizes=(500, 2_000),
    scaling_steps=(3, 3),
    ranking_repeats=2,
    target_n=2_000,
    policies_n=2_000,
    ranking_target_n=2_000,
    policies_degree=20.0,
    full_scale_n=2_000,
    full_scale_steps=3,
    fresh_processes=False,
)

#: The peers' rates (interactions/s; seconds per cascade; candidates/s) as measured when
#: the targets of docs/performance.md §Performance targets were set, shown in the report.
DESIGN_REFERENCE = {
    "ab_gamma0": {"ndlib": 47.5e3, "mesa": 126e3, "numpy": 10.7e6, "numba": 16.6e6},
    "ab_gamma1": {"ndlib": 46.7e3, "mesa": 65.5e3, "numpy": 2.44e6, "numba": 7.74e6},
    "threshold_s": {"ndlib": 4.56, "numpy": 29.6e-3, "numba": 6.4e-3},
    "ranking": {"mesa": 1.1e6, "numpy": 18e6, "numba": 52e6},
}


def settings_of(results: dict[str, Any]) -> Settings:
    """The :class:`Settings` a results JSON was measured with (JSON lists back to tuples).

    Results without a ``settings`` record are taken to be of the default suite.
    """
    data = dict(results.get("settings") or asdict(DEFAULT))
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return Settings(**data)
