"""The registry of field-target measurements: target id → measurement function, the
targets the model cannot measure yet (:data:`NEEDS`, with the mechanism they need) and the
informative rows without a target (:data:`INFORMATIVE`).

Each registered measurement is a function ``(ctx, seeds) -> Measured`` that runs the
model through the validation run cache (:class:`feedlab.analysis.validation.Context`) and
returns **one value per seed in the paper's units**; its docstring is the mapping from the
model to the paper (design, quantity, units), fixed before the test seeds were run
(docs/validation.md §Field targets). The measurements themselves live in
:mod:`feedlab.analysis.targets.measurements` and the modules it imports; this module has
no measurement, so that those modules can import it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feedlab.analysis.validation.runner import Context


@dataclass(frozen=True)
class Measured:
    """Per-seed values in the paper's units and a one-line description of the numbers."""

    values: list[float]
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


MeasureFn = Callable[["Context", Sequence[int]], Measured]

#: target id → measurement function.
MEASUREMENTS: dict[str, MeasureFn] = {}

#: target id → the mechanism a measurement needs (targets without a measurement).
NEEDS: dict[str, str] = {
    "bakshy2015_editors_summary_15pct": (
        "nothing the model lacks — the editors' figure is not a quantity of the paper "
        "(data/targets README); measure bakshy2015_ranking_crosscutting_pooled instead"
    ),
    "brady2017_moral_emotional_words": (
        "moral-emotional word counts per item: items carry one continuous outrage score, and "
        "no calibrated conversion of one moral-emotional word into units of that score "
        "exists, so a per-word rate ratio would be set by a free conversion factor"
    ),
    "rathje2021_outgroup_term_odds": (
        "out-group terms per item: items carry one continuous out-group animosity score, and "
        "no calibrated conversion of one out-group term into units of that score exists, so "
        "an odds ratio per term would be set by a free conversion factor"
    ),
    "rathje2021_outgroup_vs_ingroup_shares": (
        "a target group per post: political posts carry an out-group animosity but no group "
        "they are about, so no post is 'about the in-group' (a high- vs low-animosity ratio "
        "would be a different construct)"
    ),
}


def register_measurement(target_id: str) -> Callable[[MeasureFn], MeasureFn]:
    """Register ``fn`` as the measurement of ``target_id`` (replacing any earlier one)."""

    def deco(fn: MeasureFn) -> MeasureFn:
        MEASUREMENTS[target_id] = fn
        NEEDS.pop(target_id, None)
        return fn

    return deco


#: Informative rows without a target: name → (title, measurement). They are measured and
#: shown by ``feedlab validate --targets`` below the targets, never given a verdict.
INFORMATIVE: dict[str, tuple[str, MeasureFn]] = {}


def register_informative(name: str, title: str) -> Callable[[MeasureFn], MeasureFn]:
    """Register ``fn`` as an informative measurement (no target, no verdict)."""

    def deco(fn: MeasureFn) -> MeasureFn:
        INFORMATIVE[name] = (title, fn)
        return fn

    return deco
