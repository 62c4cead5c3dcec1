"""``FeedModel(**flat_params)``: the model from flat keyword parameters, as Mesa's tools
build models (``mesa.batch_run``, SolaraViz's reset).

    FeedModel(ranking="bridging", n=500, rng=1)
    mesa.batch_run(FeedModel, parameters={"ranking": ["engagement", "chronological"],
                                          "n": 300}, rng=[0, 1], max_steps=20)

Each flat parameter is one Hydra override (:data:`FLAT_PARAMS`, the table of
docs/mesa.md); a dotted name (``"dynamics.opinion.enabled"``) or its double-underscore
spelling (``dynamics__opinion__enabled``, a valid Python keyword) sets that config path;
``overrides=[...]`` passes Hydra overrides as is (before the keywords, which win). The
config is then composed, validated and built exactly as ``feedlab run`` does
(:func:`feedlab.experiments.run.model_parts`), so a flat-parameter model and
``feedlab run`` with the same overrides and seed simulate the same thing. The seed follows Mesa 3.5 (:func:`resolve_seed`).

The model layer cannot import this module (it sits above it): this module registers
:func:`from_params` with :func:`feedlab.models.registry.register_flat_builder`, and the
``feedlab.flat_builder`` entry point (pyproject.toml) makes the model find it in a fresh
process too (dependency inversion; docs/mesa.md §Design).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from feedlab.analysis.live import LiveDataCollector
from feedlab.experiments import arms
from feedlab.experiments.config import validate
from feedlab.experiments.run import compose, model_parts
from feedlab.experiments.schema import ConfigError
from feedlab.models.registry import register_flat_builder

if TYPE_CHECKING:
    from feedlab.models.model import FeedModel

#: flat name -> (Hydra override with ``{}`` for the value, what it sets). Config groups
#: first: Hydra applies a group's option before the values set under it.
FLAT_PARAMS: dict[str, tuple[str, str]] = {
    "network": ("network={}", "network preset, conf/network/<value>.yaml"),
    "population": ("population={}", "population preset, conf/population/<value>.yaml"),
    "ranking": ("ranking={}", "ranking policy preset, conf/ranking/<value>.yaml"),
    "influencer": ("influencer={}", "influencer behaviour, conf/influencer/<value>.yaml"),
    "event": ("event={}", "scheduled event, conf/event/<value>.yaml"),
    "experiment": ("experiment={}", "versioned experiment, conf/experiment/<value>.yaml"),
    "n": ("network.n={}", "number of users (generated networks)"),
    "steps": ("steps={}", "run length: the recorder's last record step"),
    "record_every": ("record_every={}", "live metrics (and Mesa collection) every this many steps"),
}

#: model-side options beside the config (not Hydra paths)
MODEL_OPTIONS: dict[str, str] = {
    "overrides": "a list of Hydra overrides, applied before the flat parameters (which win)",
    "datacollector": "attach the live-metrics DataCollector (default true)",
    "model_reporters": "extra Mesa model reporters {name: reporter}",
    "agent_reporters": "Mesa agent reporters {name: attribute or function} (off by default)",
}

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def hydra_value(value: Any) -> str:
    """A Python value in Hydra's override grammar (``true``, ``null``, ``0.3``, ``[1,2]``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(value.item() if isinstance(value, np.generic) else value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9_./:-]+", text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_overrides(params: Mapping[str, Any]) -> list[str]:
    """The Hydra overrides for flat parameters (table: :data:`FLAT_PARAMS`); an unknown
    name is a :class:`ConfigError` naming the allowed ones.
    """
    groups: list[str] = []
    values: list[str] = []
    problems: list[str] = []
    for name, value in params.items():
        path = name.replace("__", ".")
        if name in FLAT_PARAMS:
            template = FLAT_PARAMS[name][0]
            (groups if template.split("=")[0] == name else values).append(
                template.format(hydra_value(value))
            )
        elif _DOTTED.match(path):
            values.append(f"{path}={hydra_value(value)}")
        else:
            allowed = ", ".join([*FLAT_PARAMS, "seed", "rng", *MODEL_OPTIONS])
            problems.append(
                f"{name}: not a FeedModel parameter; allowed: {allowed}, or a dotted config "
                "path such as dynamics.opinion.enabled (or dynamics__opinion__enabled)"
            )
    if problems:
        raise ConfigError(problems)
    return groups + values


def resolve_seed(seed: Any = None, rng: Any = None) -> int:
    """The root seed, following Mesa 3.5's ``Model(seed=..., rng=...)``: pass one of them,
    not both; an integer is the seed itself; anything else numpy accepts as a seed (None =
    fresh OS entropy, a ``Generator``, a ``SeedSequence``) gives a seed drawn from it, as
    Mesa draws ``Model._seed``. The seed is kept (``model.seed``), so the run can be
    repeated.
    """
    if seed is not None and rng is not None:
        raise ValueError("FeedModel: pass either rng or seed, not both (Mesa's rule)")
    value = seed if seed is not None else rng
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError([f"seed: {value} is negative; a seed is an integer >= 0"])
        return int(value)
    return int(np.random.default_rng(value).integers(np.iinfo(np.int32).max))


@register_flat_builder
def from_params(
    params: Mapping[str, Any],
    *,
    seed: Any = None,
    rng: Any = None,
    extensions: Sequence[Any] = (),
) -> tuple[dict[str, Any], Callable[[FeedModel], None]]:
    """``FeedModel``'s parts for flat parameters, and what to do once it is built (assign
    arms, collect step 0). Registered as the model's flat builder.
    """
    params = dict(params)
    extra = list(params.pop("overrides", None) or [])
    with_collector = bool(params.pop("datacollector", True))
    model_reporters = params.pop("model_reporters", None)
    agent_reporters = params.pop("agent_reporters", None)
    scenario = params.pop("scenario", None)  # SolaraViz's reset passes Mesa's Scenario
    if scenario is not None and seed is None and rng is None:
        rng = getattr(scenario, "rng", None)
    seeds_in_overrides = [o.split("=", 1)[1] for o in extra if o.split("=", 1)[0] == "seed"]
    if seeds_in_overrides:  # overrides=["seed=3"] is a seed like seed=3
        if seed is not None or rng is not None:
            raise ConfigError(["seed: given twice (seed/rng and overrides); give it once"])
        seed = int(seeds_in_overrides[-1])
    root = resolve_seed(seed, rng)
    data = compose([*extra, *to_overrides(params), f"seed={root}"])
    run, units = validate(data)
    parts = model_parts(run, units, extensions)
    if with_collector:
        parts["datacollector"] = LiveDataCollector(
            model_reporters=model_reporters, agent_reporters=agent_reporters
        )

    def finish(model: FeedModel) -> None:
        arms.apply(model, run.arms, run.arms_assignment, run.seed)
        #: the composed config of this model (what ``feedlab run`` would record)
        model.config = data  # type: ignore[attr-defined]
        if model.datacollector is not None:
            model.datacollector.collect(model)  # step 0, as Mesa models collect in __init__

    return parts, finish
