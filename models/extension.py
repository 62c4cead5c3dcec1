"""The seam for influencer behaviours, events and other stateful extensions.

An extension subclasses :class:`Extension` and overrides some of its hooks; the model
calls each at the named point of its step (docs/model.md §One step, and
docs/architecture.md §The step). Every hook is a declared no-op, so an extension overrides
only what it needs, and a method whose name looks like a hook but is not one (``on_feeds``,
``sumary``) is an error when the class is defined, not a hook that is silently never
called.

- ``setup(model)``: once, after the population and graph exist (assign roles, ...).
- ``on_post(model, t, batch)``: modify or extend this step's new posts (a
  :class:`feedlab.models.model.PostBatch`) before they are stored.
- ``on_feed_lengths(model, t, k) -> numpy.ndarray``: the organic feed length per user
  before ranking; an extension that takes slots (ads, models/economy/) returns a shorter
  ``k`` (a new array; extensions are applied in order).
- ``on_candidates(model, t, cand)``: after gathering, before ranking (e.g. popularity
  signals that change the ranker's predictions).
- ``before_react(model, t, ctx)``: after ranking, before reactions are drawn (detection of
  undisclosed sponsorship; transparency labels through ``ctx.logit_offset``).
- ``on_feed(model, t, ctx)``: after reactions are drawn and counted, before value and any
  update; may read the feed and reactions and add trust evidence or events
  (a :class:`feedlab.models.model.StepContext`).
- ``on_step_end(model, t)``: after all updates.
- ``metrics(model) -> dict[str, float]``: extra live metrics for this record step.
- ``summary(model) -> dict[str, float]``: extra final metrics.
- ``agent_columns(model) -> dict[str, numpy.ndarray]``: extra per-user columns of
  ``agents.parquet``.
- ``event_rows() -> dict[str, numpy.ndarray]``: rows for ``events.parquet``
  (columns ``time, user, target, parent, kind``).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from feedlab.models.feed import Candidates
    from feedlab.models.model import FeedModel, PostBatch, StepContext

HOOKS = (
    "setup",
    "on_post",
    "on_feed_lengths",
    "on_candidates",
    "before_react",
    "on_feed",
    "on_step_end",
    "metrics",
    "summary",
    "agent_columns",
    "event_rows",
)


class Extension:
    """Base of every extension: the hooks (module docstring), each a no-op."""

    def setup(self, model: FeedModel) -> None:
        """Once, after the population and graph exist."""

    def on_post(self, model: FeedModel, t: int, batch: PostBatch) -> None:
        """The step's new posts, before they are stored (an extension may edit them)."""

    def on_feed_lengths(self, model: FeedModel, t: int, k: np.ndarray) -> np.ndarray:
        """Organic feed length per user before ranking (return a new array to change it)."""
        return k

    def on_candidates(self, model: FeedModel, t: int, cand: Candidates) -> None:
        """After gathering, before ranking."""

    def before_react(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """After ranking, before reactions are drawn."""

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """After reactions are drawn, before value and updates."""

    def on_step_end(self, model: FeedModel, t: int) -> None:
        """After all updates."""

    def metrics(self, model: FeedModel) -> dict[str, float]:
        """Extra live metrics for this record step."""
        return {}

    def summary(self, model: FeedModel) -> dict[str, Any]:
        """Extra final metrics."""
        return {}

    def agent_columns(self, model: FeedModel) -> dict[str, np.ndarray]:
        """Extra per-user columns of ``agents.parquet``."""
        return {}

    def event_rows(self) -> dict[str, np.ndarray]:
        """Rows for ``events.parquet``."""
        return {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if name.startswith("_") or name in HOOKS or not callable(value):
                continue
            near = difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.8)
            if name.startswith(("on_", "before_", "after_")) or near:
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise TypeError(
                    f"{cls.__qualname__}.{name} is not an extension hook{hint}; "
                    f"hooks: {', '.join(HOOKS)}"
                )


def overrides(ext: Extension, hook: str) -> bool:
    """Whether ``ext`` does something at ``hook`` (the model skips the no-ops)."""
    return getattr(type(ext), hook) is not getattr(Extension, hook) or hook in vars(ext)


class EventLog:
    """Accumulates event rows (``time, user, target, parent, kind``) step by step;
    used by the model for follows/unfollows/reshares and by extensions for theirs.
    """

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
