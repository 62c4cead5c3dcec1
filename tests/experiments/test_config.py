"""Config layer: every option composes, validates and builds; bad input is refused
before any work with a message naming the field (issue: 'Done when')."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedlab.experiments import build, compose
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ("population", "ranking", "platform", "dynamics", "influencer", "event")


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / "conf" / group).glob("*.yaml"))


@pytest.mark.parametrize(("group", "option"), [(g, o) for g in GROUPS for o in _options(g)])
def test_every_option_composes_validates_and_builds(group: str, option: str) -> None:
    cfg = compose([f"{group}={option}", "network.n=200", "output.mesa_agents=false"])
    if cfg["dynamics"]["interaction"] == "pairwise" and cfg["ranking"]["name"] not in (
        "random",
        "algorithmic_bias",
    ):
        cfg["ranking"] = {"name": "random"}
    model = build(cfg)
    model.step()
    assert model.t == 1


def _refused(overrides: list[str], *needles: str) -> str:
    with pytest.raises(ConfigError) as ei:
        validate(compose(overrides))
    msg = str(ei.value)
    for needle in needles:
        assert needle in msg, msg
    return msg


def test_negative_tolerance_refused() -> None:
    _refused(["population.tolerance.mean=-0.1"], "population.tolerance.mean", "-0.1", "allowed")


def test_unknown_ranking_refused() -> None:
    _refused(["ranking.name=nope"], "ranking.name", "'nope'", "engagement", "chronological")


def test_missing_network_file_refused() -> None:
    _refused(
        ["network=from_file", "network.path=/nonexistent/graph.gml"],
        "network.path",
        "/nonexistent/graph.gml",
    )


def test_absurd_size_refused_with_estimate() -> None:
    _refused(["network.n=1000000000000"], "network.n", "1000000000000", "allowed")
    # within the id range but beyond the configured cap: refused with the numbers
    _refused(["network.n=50000000"], "50,000,000 users exceed limits.max_users")


def test_too_small_post_buffer_refused_before_the_run() -> None:
    """500 users × mean activity 0.6 write ~300 posts a step: 599 slots cannot hold a
    step's posts and reshares (the run would stop mid-way); 600 can."""
    _refused(
        ["network.n=500", "platform.post_capacity=599"],
        "platform.post_capacity: 599 slots cannot hold one step",
    )
    validate(compose(["network.n=500", "platform.post_capacity=600"]))


def test_memory_estimate_refused_with_numbers() -> None:
    _refused(["network.n=19000000", "limits.memory_gb=1"], "GiB", "limits.memory_gb")


def test_string_where_number_belongs_refused() -> None:
    _refused(
        ["dynamics.trust.alpha_up=fast"], "dynamics.trust.alpha_up", "expected a number", "'fast'"
    )


def test_target_refused() -> None:
    _refused(["+ranking._target_=os.system"], "ranking._target_", "refused")


def test_unknown_field_refused() -> None:
    _refused(["+platform.feed_lenght=3"], "platform.feed_lenght", "unknown field", "feed_length")


def test_pairwise_needs_a_compatible_ranking() -> None:
    _refused(["dynamics.interaction=pairwise", "ranking=engagement"], "ranking.name", "pairwise")


def test_all_problems_reported_at_once() -> None:
    """Two bad fields: one error, one line per field, the count in the heading."""
    with pytest.raises(ConfigError) as ei:
        validate(compose(["population.tolerance.mean=-1", "steps=-3"]))
    problems = ei.value.problems
    assert len(problems) == 2, problems
    fields = sorted(p.split(":")[0] for p in problems)
    assert fields == ["population.tolerance.mean", "steps"], problems
    assert str(ei.value).startswith("invalid configuration (2 problems):\n  ")
