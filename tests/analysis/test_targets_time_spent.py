"""The Guess et al. (2023) time-on-platform target is measured with sessions on."""

from __future__ import annotations

import math
from pathlib import Path

from feedlab.analysis.targets import measurements as M
from feedlab.analysis.validation.runner import Context


def test_time_spent_target_is_measured_with_sessions_on(tmp_path: Path) -> None:
    fn = M.MEASUREMENTS["guess2023_time_spent"]
    assert "guess2023_time_spent" not in M.NEEDS
    assert "sessions on" in (fn.__doc__ or "")
    ctx = Context(cache=tmp_path, overrides=("network.n=300", "steps=4"))
    out = fn(ctx, [1])
    assert len(out.values) == 1 and math.isfinite(out.values[0])
    assert out.data["chronological"][0] > 0 and out.data["engagement"][0] > 0
    assert "time_spent_mean" in out.detail
