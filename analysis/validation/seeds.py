"""Every seed set of the validation suite, declared in one place (docs/validation.md
§Seeds).

* :data:`EXPLORATION_SEEDS` (100–139): the only seeds used to look at a check's data while
  choosing its tolerances, thresholds and measurement mappings. Numbers quoted in the
  *Tolerance* comments of the check modules come from these seeds.
* :data:`TEST_SEEDS` (1000–1059): fixed before any test run of the powered protocol and
  never used for exploration. ``feedlab validate --full --powered`` takes the first 20,
  30, … 60 of them at the looks of :data:`feedlab.analysis.validation.protocol.POWERED`;
  ``feedlab validate --targets`` takes the first :data:`TARGET_SEEDS` of them.
* :data:`TEST_SEEDS_B` (2000–2059): a second, disjoint test set, fixed at the same time
  as the field-target mappings and before any run on it. ``feedlab validate --seed-set B``
  runs ``--full --powered`` or ``--targets`` on it exactly as on set A; the report then
  states, per check or target, whether the verdict agrees with set A's
  (:mod:`feedlab.analysis.validation.seed_sets`). A verdict that differs between the sets
  flips with the random streams and is not a finding.
* The fixed small sets of the fast (non-powered) checks are the historical test seeds
  0–9 (``facts_common.FACT_SEEDS``) and their per-fact subsets (``FACT4_SEEDS`` …
  ``FACT7_SEEDS`` in their modules); they keep CI fast and the planted-bug tests short.

The root seed of a run seeds its network, population and dynamics streams; arms of a
comparison share it (common random numbers), which is what makes effects paired.
"""

from __future__ import annotations

#: Seeds for exploration: choosing tolerances, never for a reported verdict.
EXPLORATION_SEEDS: tuple[int, ...] = tuple(range(100, 140))

#: Seeds of the powered protocol and of the field targets, fixed before any test run.
TEST_SEEDS: tuple[int, ...] = tuple(range(1000, 1060))

#: The second, disjoint test set (``feedlab validate --seed-set B``), fixed before any run on it.
TEST_SEEDS_B: tuple[int, ...] = tuple(range(2000, 2060))

#: Test seed sets by name (``--seed-set``): A is the set of record, B its replication.
SEED_SETS: dict[str, tuple[int, ...]] = {"A": TEST_SEEDS, "B": TEST_SEEDS_B}

#: Seeds per field-target measurement (``feedlab validate --targets``): the first 20 test seeds.
TARGET_SEEDS: int = 20
