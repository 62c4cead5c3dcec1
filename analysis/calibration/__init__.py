"""``feedlab calibrate``: simulation-based inference (ABC-SMC) of behavioural parameters
against the field targets, with held-out targets (docs/calibration.md).

Modules: :mod:`.priors` (the prior allowlist), :mod:`.spec` (the calibration config,
checked whole), :mod:`.observe` (observations and the distance), :mod:`.smc` (the seeded
ABC-SMC sampler), :mod:`.simulate` (simulations as runs of a sweep folder),
:mod:`.engine` (pilot, sampler, predictive checks), :mod:`.report` (outputs) and
:mod:`.cli` (the command).
"""

from .cli import main

__all__ = ["main"]
