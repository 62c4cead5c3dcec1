"""Verdict rules for field targets: the model's measured effect (per seed, in the paper's
units) against a target of the library (docs/validation.md §Field targets).

Pure: no runs. The model's mean effect gets a two-sided 95 % Student t-interval over seeds
(:func:`feedlab.analysis.validation.protocol.t_interval`). The rules, in order:

1. No measurement → ``NOT MEASURED`` ("not measured: needs <mechanism>").
2. ``verified: false`` → ``NOT-DECIDABLE (unverified target)``: the measured value is
   shown, never judged (neither PASS nor FAIL) — the paper's number itself is not
   confirmed.
3. A published null (``sign: 0``) without an interval → ``NOT-DECIDABLE (no interval)``:
   "no effect" cannot be tested without the paper's interval of what was ruled out.
4. A published direction without an interval (``sign: ±1``, no interval: a directional
   target, or a magnitude the paper gives without one; the library records ``sign: ±1``
   only for a direction the paper reports as a finding) is decided on its sign, and only
   its sign — the magnitude is not compared:

   * ``PASS (direction)`` when the model's 95 % CI lies wholly on the paper's side of 0;
   * ``FAIL-reported (direction)`` when it lies wholly on the other side;
   * ``INCONCLUSIVE`` when it contains 0; the reason states the minimum detectable effect
     at the seeds used (:func:`feedlab.analysis.validation.protocol.mde`: 80 % power,
     two-sided 5 %, Cohen 1988), the smallest effect of either sign those seeds would
     detect.
5. A published null with an interval (``sign: 0``) is an equivalence test: ``PASS`` when
   the model's CI lies inside the interval, ``FAIL-reported`` when it is disjoint from it
   (the model's effect is outside what the paper ruled in), ``INCONCLUSIVE`` otherwise.
6. Otherwise (a published effect with an interval) ``PASS`` when the model's mean lies
   inside the paper's interval **and** the model's CI is narrower than that interval (so
   the model's estimate is at least as precise as the paper's); ``FAIL-reported`` when
   the model's CI is disjoint from the interval; ``INCONCLUSIVE`` otherwise (mean inside
   but CI too wide, or mean outside with a CI that still overlaps).

Fewer than 2 finite seed values give no interval: ``INCONCLUSIVE`` (after rule 2).
Every verdict but ``INCONCLUSIVE`` is settled: more seeds cannot change it, so the
sequential design of ``feedlab validate --targets --sequential`` stops there; each of its
looks decides at a Bonferroni-split ``level`` (1 − 0.05/3) instead of 95 %, the rules being
the same with that level in place of 95 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .library import Target

PASS = "PASS"
FAIL = "FAIL-reported"
PASS_DIRECTION = "PASS (direction)"
FAIL_DIRECTION = "FAIL-reported (direction)"
INCONCLUSIVE = "INCONCLUSIVE"
NOT_MEASURED = "NOT MEASURED"
UNVERIFIED = "NOT-DECIDABLE (unverified target)"
NO_INTERVAL = "NOT-DECIDABLE (no interval)"

#: Level of the model's interval in the target comparison.
LEVEL = 0.95


@dataclass(frozen=True)
class TargetVerdict:
    """A target's row: the model's mean and CI (NaN when not measured), seeds, the verdict
    and its reason in a sentence; ``mde`` is the minimum detectable effect of the seeds
    (NaN unless the verdict is an unsettled direction); ``level`` that of the model's CI.
    """

    target: str
    verdict: str
    reason: str
    mean: float = math.nan
    ci_lo: float = math.nan
    ci_hi: float = math.nan
    n: int = 0
    mde: float = math.nan
    level: float = LEVEL

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (for the JSON)."""
        return asdict(self)


def _pct(p: float) -> str:
    """``0.95`` → ``"95 %"``, ``0.98333`` → ``"98.3 %"``."""
    return f"{100 * p:.3g} %"


def null_value(t: Target) -> float:
    """The no-effect value of a target's scale: 1 for a ratio (the library's ``scale:
    ratio``, whose sign is that of its logarithm), 0 for a difference.
    """
    return 1.0 if t.scale == "ratio" else 0.0


def _direction(sign: int, lo: float, hi: float, null: float = 0.0) -> str:
    """``agrees``, ``opposite`` or ``unsettled``: where the CI lies relative to ``null``."""
    if lo > null or hi < null:
        return "agrees" if (lo > null) == (sign > 0) else "opposite"
    return "unsettled"


def _no_interval(t: Target, base: dict[str, Any], sd: float) -> TargetVerdict:
    """Rules 3 and 4: a verified target without an interval."""
    from feedlab.analysis.validation.protocol import mde

    lo, hi, level = base["ci_lo"], base["ci_hi"], base["level"]
    if t.sign == 0:
        return TargetVerdict(
            verdict=NO_INTERVAL,
            reason="a published null without an equivalence interval cannot be tested; "
            "the model's value is reported",
            **base,
        )
    side = "positive" if t.sign > 0 else "negative"
    magnitude = (
        f"; the paper's {t.estimate:g} has no published interval, so its magnitude is not compared"
        if t.estimate is not None
        else ""
    )
    ci = f"the model's {_pct(level)} CI [{lo:.3g}, {hi:.3g}]"
    null = null_value(t)
    where = _direction(t.sign, lo, hi, null)
    if where == "agrees":
        return TargetVerdict(
            verdict=PASS_DIRECTION,
            reason=f"the paper's effect is {side}, and {ci} lies wholly on that side of {null:g}"
            + magnitude,
            **base,
        )
    if where == "opposite":
        return TargetVerdict(
            verdict=FAIL_DIRECTION,
            reason=f"the paper's effect is {side}, and {ci} lies wholly on the other side of {null:g}"
            + magnitude,
            **base,
        )
    m = mde(sd, base["n"], 1 - level)
    return TargetVerdict(
        verdict=INCONCLUSIVE,
        reason=f"the paper's effect is {side}, and {ci} contains {null:g}: direction unsettled; "
        f"minimum detectable effect at these {base['n']} seeds {m:.3g} (80 % power, two-sided "
        f"{_pct(1 - level)})" + magnitude,
        **{**base, "mde": m},
    )


def _with_interval(t: Target, base: dict[str, Any]) -> TargetVerdict:
    """Rules 5 and 6: a verified target with an interval."""
    assert t.interval is not None
    a, b = t.interval.lo, t.interval.hi
    mean, lo, hi = base["mean"], base["ci_lo"], base["ci_hi"]
    disjoint = hi < a or lo > b
    if t.sign == 0:
        if a < lo and hi < b:
            return TargetVerdict(
                verdict=PASS,
                reason=f"equivalence: the model's CI lies inside the published null's interval "
                f"[{a:g}, {b:g}]",
                **base,
            )
        verdict = FAIL if disjoint else INCONCLUSIVE
        return TargetVerdict(
            verdict=verdict,
            reason=f"equivalence with [{a:g}, {b:g}] "
            + ("rejected: the CIs are disjoint" if disjoint else "not settled: the CIs overlap"),
            **base,
        )
    inside = a <= mean <= b
    narrower = (hi - lo) < (b - a)
    if inside and narrower:
        return TargetVerdict(
            verdict=PASS,
            reason=f"the model's mean {mean:.3g} lies inside the paper's interval [{a:g}, {b:g}] "
            f"and its CI (width {hi - lo:.3g}) is narrower than the interval ({b - a:.3g})",
            **base,
        )
    if disjoint:
        return TargetVerdict(
            verdict=FAIL,
            reason=f"the model's {_pct(base['level'])} CI [{lo:.3g}, {hi:.3g}] does not overlap "
            "the paper's "
            f"interval [{a:g}, {b:g}]",
            **base,
        )
    why = (
        f"the model's mean {mean:.3g} lies inside [{a:g}, {b:g}] but its CI (width "
        f"{hi - lo:.3g}) is wider than the interval ({b - a:.3g}): more seeds needed"
        if inside
        else f"the model's mean {mean:.3g} lies outside [{a:g}, {b:g}] but its CI "
        f"[{lo:.3g}, {hi:.3g}] overlaps it"
    )
    return TargetVerdict(verdict=INCONCLUSIVE, reason=why, **base)


def target_verdict(
    target: Target,
    values: Sequence[float] | np.ndarray | None,
    needs: str = "",
    level: float = LEVEL,
) -> TargetVerdict:
    """The verdict of ``target`` given per-seed model ``values`` in the paper's units
    (``None``: not measured; ``needs`` names the missing mechanism), the model's CI at
    ``level`` (95 % unless a sequential design splits it). Rules: module docstring.
    """
    from feedlab.analysis.validation.protocol import t_interval

    if values is None:
        return TargetVerdict(
            target=target.id,
            verdict=NOT_MEASURED,
            reason=f"not measured: needs {needs or 'a measurement (none registered)'}",
            level=level,
        )
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    mean, sd, lo, hi = t_interval(values, 1 - level)
    n = int(np.isfinite(np.asarray(values, dtype=float)).sum())
    base: dict[str, Any] = {
        "target": target.id,
        "mean": mean,
        "ci_lo": lo,
        "ci_hi": hi,
        "n": n,
        "level": level,
    }
    if not target.verified:
        return TargetVerdict(
            verdict=UNVERIFIED,
            reason="the paper's number is not verified in a primary source (library: "
            "verified: false); the model's value is reported, never judged (neither PASS nor FAIL)",
            **base,
        )
    if n < 2:
        return TargetVerdict(verdict=INCONCLUSIVE, reason="fewer than 2 seeds: no interval", **base)
    if target.interval is None:
        return _no_interval(target, base, sd)
    return _with_interval(target, base)
