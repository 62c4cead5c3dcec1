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
        "the paper's distribution of moral-emotional words per tweet: items carry one "
        "continuous outrage score, and the only conversion to words without a free factor, "
        "a quantile mapping onto that distribution (measure_sharing.per_word_rate_ratio), "
        "needs the share of tweets with 0, 1, 2, ... such words, which is not in the text "
        "read here (the abstract; the full text, SI and data deposit could not be read)"
    ),
    "rathje2021_outgroup_term_odds": (
        "the paper's distribution of out-group terms per post: items carry one continuous "
        "out-group animosity score, and the only conversion to terms without a free factor, "
        "a quantile mapping onto that distribution (measure_sharing.per_word_rate_ratio), "
        "needs the share of posts with 0, 1, 2, ... such terms, which is not in the main "
        "text (read) but in the SI Appendix and data deposit (not read)"
    ),
    "rathje2021_outgroup_vs_ingroup_shares": (
        "posts about the in-group: the paper compares posts naming only the out-group with "
        "posts naming only the in-group; a feedlab political post expresses animosity toward "
        "the other group or none, and nothing in it names or praises its own group (a high- "
        "vs low-animosity ratio would be a different construct)"
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
