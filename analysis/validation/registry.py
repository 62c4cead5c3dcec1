"""The check registry of ``feedlab validate``: the statuses a check can end in, :class:`Check`
(what a check claims and how to run it), :class:`Outcome` (what it measured), :class:`Result`
(its row in the report), :data:`CHECKS` and :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

PASS = "PASS"
FAIL = "FAIL"  # a canonical reduction failed: exit status 1
REPORTED = "FAIL-reported"  # a stylized fact does not hold: reported and documented
ERROR = "ERROR"  # the check raised: exit status 1
PENDING = "not yet implemented"
INCONCLUSIVE = "INCONCLUSIVE"  # the seeds cannot settle a stylized fact (protocol.py)

Kind = Literal["canonical", "fact"]
Tier = Literal["fast", "full"]


@dataclass(frozen=True)
class Outcome:
    """What a check found: pass/fail, the measured numbers (one line), the reason.

    ``verdict`` is the protocol's verdict (``PASS``, ``FAIL-reported`` or ``INCONCLUSIVE``,
    :mod:`.protocol`) for checks decided by it; ``None`` for the canonical reductions,
    whose status follows ``passed``.
    """

    passed: bool
    measured: str
    reason: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    figure: str | None = None
    verdict: str | None = None


@dataclass(frozen=True)
class Check:
    """One validation check (module docstring). ``run`` is ``None`` while the check
    is not yet implemented; ``pending`` then says what it needs.
    """

    name: str
    kind: Kind
    title: str
    expected: str
    source: str
    run: Callable[..., Outcome] | None = None
    tier: Tier = "full"
    experiment: str = ""
    pending: str = ""


@dataclass
class Result:
    """A check's row in the results table (and the JSON)."""

    name: str
    kind: str
    title: str
    expected: str
    measured: str
    status: str
    reason: str
    source: str
    experiment: str
    tier: str
    seconds: float
    figure: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def counts_as_failure(self) -> bool:
        """Whether this result makes the exit status non-zero (without --strict)."""
        return self.status in (FAIL, ERROR)


CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add (or replace) a check in :data:`CHECKS`; returns it."""
    CHECKS[check.name] = check
    return check


class NotAvailable(Exception):
    """Raised by a check whose unit or metric is not in this install (status
    ``not yet implemented``, with the message as the reason).
    """
