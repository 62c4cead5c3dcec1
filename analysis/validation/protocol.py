"""The powered validation protocol: a verdict from paired per-seed effects, with its
confidence interval and its minimum detectable effect, and a sequential design over seeds.

Pure functions of numbers (no runs, no I/O); ``docs/validation.md`` §Decision protocol
states the rules and why.

Effects and intervals
---------------------
A check measures, per seed, a *paired effect*: treatment minus control on the same seed
(common random numbers), or a per-seed statistic minus a reference (a one-sample effect
is the same thing with a constant control). The mean effect gets a two-sided **Student
t-interval on the paired differences** at level ``1 − alpha`` (Student 1908; the paired
design makes the seeds independent replicates of one difference). A t-interval, not a
bootstrap: with 10–60 seeds BCa bootstrap intervals are too narrow for small n (Efron &
Tibshirani 1993, §14.3) and the t-interval is exact for normal differences and robust for
the means of 20 or more.

Criteria and verdicts
---------------------
A :class:`Criterion` is one of ``mean > m``, ``mean < m``, ``lo < mean < hi``
(equivalence: a published null, or "≈ 1") or ``mean outside [lo, hi]``. The verdict is

* ``PASS`` when the interval settles the criterion in its favour (``mean > m``: the
  whole interval above m; equivalence: the whole interval inside ``(lo, hi)`` — the
  interval-inclusion form of the two one-sided tests, Schuirmann 1987, here with the
  ``1 − alpha`` interval, which is conservative);
* ``FAIL-reported`` when it settles it against (``mean > m``: the whole interval at or
  below m; equivalence: the interval disjoint from ``[lo, hi]``);
* ``INCONCLUSIVE`` otherwise: the seeds cannot tell.

A check with several criteria passes when every one passes (an intersection–union test
needs no multiplicity correction, Berger 1982), fails when any one fails, and is
inconclusive otherwise.

Minimum detectable effect
-------------------------
MDE = (z_{1−alpha/2} + z_{power}) · sd / √n with power 0.8: the smallest true effect (as a
distance from the criterion's boundary) that the design detects with 80 % power, from the
observed sd of the paired differences (normal approximation; Cohen 1988, ch. 2). A check
that is INCONCLUSIVE with an MDE larger than the effect of interest needs more seeds.

Sequential design
-----------------
:class:`Design`: seeds are run in blocks — looks at n = 20, 30, 40, 50, 60 — and the run
stops at the first look where the combined verdict is settled (PASS or FAIL-reported);
at 60 seeds it stops as it is. Peeking is paid for with a **Bonferroni split of alpha
over the K = 5 looks**: every look uses a ``1 − alpha/K`` (99 %) interval, so the chance
of a wrong settled verdict over all looks is at most alpha (Bonferroni's inequality: the
union of K events of probability ≤ alpha/K). Pocock's (1977) constant nominal level
(0.0158 for K = 5) is less conservative, but it is derived for equally spaced looks with
a known variance; our looks are not equally spaced in information (n = 20 … 60) and the
variance is estimated, so we use the bound that holds regardless.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

PASS = "PASS"
FAIL = "FAIL-reported"
INCONCLUSIVE = "INCONCLUSIVE"

#: Power at which the minimum detectable effect is stated.
POWER = 0.8

Op = Literal["greater", "less", "inside", "outside"]


@dataclass(frozen=True)
class Criterion:
    """What the mean paired effect must satisfy: ``greater`` (> lo), ``less`` (< hi),
    ``inside`` (lo < mean < hi, equivalence) or ``outside`` (mean outside [lo, hi]).
    """

    op: Op
    lo: float = -math.inf
    hi: float = math.inf

    @classmethod
    def greater(cls, m: float = 0.0) -> Criterion:
        """``mean > m``."""
        return cls("greater", lo=float(m))

    @classmethod
    def less(cls, m: float = 0.0) -> Criterion:
        """``mean < m``."""
        return cls("less", hi=float(m))

    @classmethod
    def inside(cls, lo: float, hi: float) -> Criterion:
        """``lo < mean < hi`` (equivalence within ``[lo, hi]``)."""
        if not lo < hi:
            raise ValueError(f"inside: need lo < hi, got [{lo}, {hi}]")
        return cls("inside", lo=float(lo), hi=float(hi))

    @classmethod
    def within(cls, centre: float, delta: float) -> Criterion:
        """``|mean − centre| < delta``."""
        return cls.inside(centre - delta, centre + delta)

    def describe(self) -> str:
        """The criterion in words, e.g. ``mean > 0``."""
        if self.op == "greater":
            return f"mean > {self.lo:g}"
        if self.op == "less":
            return f"mean < {self.hi:g}"
        if self.op == "inside":
            return f"{self.lo:g} < mean < {self.hi:g}"
        return f"mean outside [{self.lo:g}, {self.hi:g}]"

    def settle(self, ci_lo: float, ci_hi: float) -> str:
        """The verdict of an interval ``[ci_lo, ci_hi]`` on this criterion."""
        if not (math.isfinite(ci_lo) and math.isfinite(ci_hi)):
            return INCONCLUSIVE
        inside = self.lo < ci_lo and ci_hi < self.hi
        disjoint = ci_hi < self.lo or ci_lo > self.hi
        if self.op == "greater":
            return PASS if ci_lo > self.lo else FAIL if ci_hi <= self.lo else INCONCLUSIVE
        if self.op == "less":
            return PASS if ci_hi < self.hi else FAIL if ci_lo >= self.hi else INCONCLUSIVE
        if self.op == "inside":
            return PASS if inside else FAIL if disjoint else INCONCLUSIVE
        return PASS if disjoint else FAIL if inside else INCONCLUSIVE


@dataclass(frozen=True)
class Decision:
    """One criterion decided on paired effects: n, mean, sd, the ``level`` t-interval,
    the MDE at 80 % power and the verdict.
    """

    name: str
    criterion: str
    n: int
    mean: float
    sd: float
    ci_lo: float
    ci_hi: float
    level: float
    mde: float
    verdict: str
    method: str = "paired t-interval"

    def line(self, digits: int = 3) -> str:
        """One line: ``name: mean [lo, hi] (99 % CI, n = 20; MDE x) → verdict``."""
        g = f".{digits}g"
        return (
            f"{self.name}: {self.mean:{g}} [{self.ci_lo:{g}}, {self.ci_hi:{g}}] "
            f"({100 * self.level:.4g} % CI, n = {self.n}; {self.criterion}; MDE "
            f"{self.mde:{g}}) → {self.verdict}"
        )

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (for the JSON)."""
        return asdict(self)


def t_interval(x: Sequence[float] | np.ndarray, alpha: float) -> tuple[float, float, float, float]:
    """``(mean, sd, lo, hi)``: the two-sided ``1 − alpha`` Student t-interval of the mean
    of the finite values of ``x`` (Student 1908). With fewer than 2 values the interval
    is infinite; with zero spread it is the point itself.
    """
    from scipy import stats

    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, -math.inf, math.inf
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, -math.inf, math.inf
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(1 - alpha / 2, v.size - 1)) * sd / math.sqrt(v.size)
    return mean, sd, mean - half, mean + half


def mde(sd: float, n: int, alpha: float, power: float = POWER) -> float:
    """Minimum detectable effect ``(z_{1−alpha/2} + z_power) · sd / √n`` (Cohen 1988);
    infinite when it cannot be computed (n < 2 or no sd).
    """
    from scipy import stats

    if n < 2 or not math.isfinite(sd):
        return math.inf
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return z * sd / math.sqrt(n)


def decide(
    effects: Sequence[float] | np.ndarray,
    criterion: Criterion,
    alpha: float = 0.05,
    name: str = "effect",
) -> Decision:
    """Decide ``criterion`` on per-seed paired ``effects`` (NaN dropped) with a
    two-sided ``1 − alpha`` t-interval (module docstring).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    mean, sd, lo, hi = t_interval(effects, alpha)
    n = int(np.isfinite(np.asarray(effects, dtype=float)).sum())
    return Decision(
        name=name,
        criterion=criterion.describe(),
        n=n,
        mean=mean,
        sd=sd,
        ci_lo=lo,
        ci_hi=hi,
        level=1 - alpha,
        mde=mde(sd, n, alpha),
        verdict=criterion.settle(lo, hi),
    )


def combine(verdicts: Sequence[str]) -> str:
    """The verdict of a conjunction of criteria: PASS if all pass, FAIL-reported if any
    fails, INCONCLUSIVE otherwise (Berger 1982; module docstring).
    """
    if not verdicts:
        return INCONCLUSIVE
    if any(v == FAIL for v in verdicts):
        return FAIL
    return PASS if all(v == PASS for v in verdicts) else INCONCLUSIVE


@dataclass(frozen=True)
class Design:
    """A group-sequential design: looks at ``start``, ``start + step``, … up to
    ``maximum`` seeds, each at ``alpha / K`` (Bonferroni over the K looks).
    """

    start: int = 20
    step: int = 10
    maximum: int = 60
    alpha: float = 0.05

    def __post_init__(self) -> None:
        """Refuse designs without a look."""
        if not (1 < self.start <= self.maximum and self.step >= 1):
            raise ValueError(
                f"design needs 1 < start <= maximum and step >= 1, got start={self.start}, "
                f"step={self.step}, maximum={self.maximum}"
            )
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}")

    @property
    def looks(self) -> tuple[int, ...]:
        """The seed counts at which the data are looked at."""
        return tuple(range(self.start, self.maximum + 1, self.step))

    @property
    def look_alpha(self) -> float:
        """The level of each look's interval: alpha / K."""
        return self.alpha / len(self.looks)


#: The design of ``feedlab validate --full --powered``: looks at 20, 30, 40, 50, 60 seeds,
#: 99 % intervals at each.
POWERED = Design()


@dataclass
class SequentialResult:
    """The looks taken (n, verdict) and the last look's evaluation."""

    design: Design
    looks: list[tuple[int, str]] = field(default_factory=list)
    last: Any = None

    @property
    def n(self) -> int:
        """Seeds used at the last look."""
        return self.looks[-1][0] if self.looks else 0

    @property
    def verdict(self) -> str:
        """Verdict at the last look."""
        return self.looks[-1][1] if self.looks else INCONCLUSIVE


def sequential(
    evaluate: Callable[[int, float], tuple[str, Any]], design: Design = POWERED
) -> SequentialResult:
    """Run the sequential design: ``evaluate(n, alpha)`` decides on the first ``n`` seeds at
    level ``alpha`` and returns ``(verdict, anything)``; stop at the first settled verdict
    (PASS or FAIL-reported) or at the last look.
    """
    res = SequentialResult(design)
    for n in design.looks:
        verdict, res.last = evaluate(n, design.look_alpha)
        res.looks.append((n, verdict))
        if verdict != INCONCLUSIVE:
            break
    return res
