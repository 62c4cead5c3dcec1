"""Every seed set of the validation suite, declared in one place (docs/validation.md
§Seeds).

* :data:`EXPLORATION_SEEDS` (100–139): the only seeds used to look at a check's data while
  choosing its tolerances, thresholds and measurement mappings. Numbers quoted in the
  *Tolerance* comments of the check modules come from these seeds.
* :data:`TEST_SEEDS` (1000–1059): fixed before any test run of the powered protocol and
  never used for exploration. ``feedlab validate --full --powered`` takes the first 20,
  30, … 60 of them at the looks of :data:`feedlab.analysis.validation.protocol.POWERED`;
  ``feedlab validate --targets`` takes the first :data:`TARGET_SEEDS` of them.
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

#: Seeds per field-target measurement (``feedlab validate --targets``): the first 20 test seeds.
TARGET_SEEDS: int = 20
