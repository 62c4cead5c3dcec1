"""The seam for influencer behaviours, events and other stateful extensions.

An extension is any object with some of these methods; the model calls each at the
named point of its step (docs/model.md §One step). All are optional.

- ``setup(model)``: once, after the population and graph exist (assign roles, ...).
- ``on_post(model, t, batch)``: modify or extend this step's new posts (a
  :class:`feedlab.models.model.PostBatch`) before they are stored.
- ``on_candidates(model, t, cand)``: after gathering, before ranking (e.g. popularity
  signals that change the ranker's predictions).
- ``before_react(model, t, ctx)``: after ranking, before reactions are drawn (detection of
  undisclosed sponsorship; transparency labels through ``ctx.logit_offset``).
- ``on_feed(model, t, ctx)``: after reactions are drawn and before any update; may read
  the feed and reactions and add trust evidence or events (a :class:`StepContext`).
- ``on_step_end(model, t)``: after all updates.
- ``metrics(model) -> dict[str, float]``: extra live metrics for this record step.
- ``summary(model) -> dict[str, float]``: extra final metrics.
- ``agent_columns(model) -> dict[str, numpy.ndarray]``: extra per-user columns of
  ``agents.parquet``.
- ``event_rows() -> dict[str, numpy.ndarray]``: rows for ``events.parquet``
  (columns ``time, user, target, parent, kind``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Extension(Protocol):
    """Marker protocol; see the module docstring for the optional hooks."""


class EventLog:
    """Accumulates event rows (``time, user, target, parent, kind``) step by step;
    used by the model for follows/unfollows/reshares and by extensions for theirs."""

    COLUMNS = ("time", "user", "target", "parent", "kind")

    def __init__(self) -> None:
        self._parts: dict[str, list[np.ndarray]] = {k: [] for k in self.COLUMNS}

    def add(
        self, t: int, user: np.ndarray, target: np.ndarray, parent: np.ndarray, kind: str
    ) -> None:
        """Append one row per element of ``user`` (all the same ``kind`` and time)."""
        m = int(np.asarray(user).shape[0])
        if m == 0:
            return
        self._parts["time"].append(np.full(m, t, np.int32))
        self._parts["user"].append(np.asarray(user, np.int32))
        self._parts["target"].append(np.asarray(target, np.int32))
        self._parts["parent"].append(np.asarray(parent, np.int64))
        self._parts["kind"].append(np.full(m, kind, dtype=object))

    def __bool__(self) -> bool:
        return bool(self._parts["time"])

    def columns(self) -> dict[str, np.ndarray]:
        """The rows so far as concatenated columns (empty dict when there are none)."""
        if not self:
            return {}
        return {k: np.concatenate(v) for k, v in self._parts.items()}
