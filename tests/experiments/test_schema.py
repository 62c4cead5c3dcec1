"""The config validator: types, ranges, choices, unknown keys, forbidden keys."""

from dataclasses import dataclass
from typing import Literal

import pytest

from feedlab.experiments.schema import ConfigError, field, find_forbidden, parse


@dataclass(frozen=True)
class Inner:
    rate: float = field(ge=0, le=1)


@dataclass(frozen=True)
class Outer:
    n: int = field(ge=1)
    mode: Literal["a", "b"] = field()
    inner: Inner = field()
    flag: bool = field(default=False)


def test_valid_parses_and_coerces() -> None:
    o = parse(Outer, {"n": 3.0, "mode": "a", "inner": {"rate": 1}})
    assert o == Outer(n=3, mode="a", inner=Inner(rate=1.0), flag=False)
    assert isinstance(o.n, int) and isinstance(o.inner.rate, float)


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(ConfigError) as ei:
        parse(Outer, {"n": 0, "mode": "c", "inner": {"rate": "x"}, "extra": 1})
    msg = str(ei.value)
    assert "n: 0 is out of range; allowed: >= 1" in msg
    assert "mode: 'c' is not allowed; allowed: a, b" in msg
    assert "inner.rate: expected a number, got 'x'" in msg
    assert "extra: unknown field" in msg
    assert len(ei.value.problems) == 4


def test_missing_and_bool_strictness() -> None:
    with pytest.raises(ConfigError, match="inner: missing"):
        parse(Outer, {"n": 1, "mode": "a"})
    with pytest.raises(ConfigError, match="flag: expected true or false"):
        parse(Outer, {"n": 1, "mode": "a", "inner": {"rate": 0}, "flag": 1})


def test_nan_and_inf_refused() -> None:
    with pytest.raises(ConfigError, match="not a finite number"):
        parse(Inner, {"rate": float("nan")})


def test_target_keys_refused_anywhere() -> None:
    assert find_forbidden({"a": {"b": [{"_target_": "os.system"}]}}) == ["a.b[0]._target_"]
    with pytest.raises(ConfigError, match="_target_: refused"):
        parse(Inner, {"rate": 0.5, "_target_": "x"})


@dataclass(frozen=True)
class Words:
    agents: Literal["auto", "true", "false"] = field()


def test_a_yaml_boolean_stands_for_the_word_where_the_word_is_allowed() -> None:
    """Hydra parses ``output.agents=false`` as a boolean: it means the word ``"false"``."""
    assert parse(Words, {"agents": False}).agents == "false"
    assert parse(Words, {"agents": True}).agents == "true"
    with pytest.raises(ConfigError, match="mode: True is not allowed; allowed: a, b"):
        parse(Outer, {"n": 1, "mode": True, "inner": {"rate": 0}})
