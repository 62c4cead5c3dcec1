"""The sweep planner (experiments/plan.py): jobs that differ only in their seed are
parsed once, and a bad seed among them is still refused with the field's message.
"""

from __future__ import annotations

import pytest

from feedlab.experiments import plan
from feedlab.experiments.run import compose
from feedlab.experiments.schema import ConfigError


def test_a_seed_sweep_is_parsed_once_and_each_seed_checked() -> None:
    base = compose(["network.n=100", "steps=3"])
    memo: dict = {}
    first = plan._validate_memo({**base, "seed": 1}, memo)
    second = plan._validate_memo({**base, "seed": 2}, memo)
    assert second is first and len(memo) == 1  # one parse for both seeds
    other = plan._validate_memo({**base, "steps": 4, "seed": 2}, memo)
    assert other is not first and other[0].steps == 4 and len(memo) == 2
    with pytest.raises(ConfigError) as bad:
        plan._validate_memo({**base, "seed": -1}, memo)
    assert "seed: -1 is out of range" in str(bad.value)
    with pytest.raises(ConfigError, match="seed: expected an integer"):
        plan._validate_memo({**base, "seed": "x"}, memo)
