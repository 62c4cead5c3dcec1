"""FeedModel from flat keyword parameters: Mesa's batch_run, its seed conventions and the
built-in DataCollector (docs/mesa.md)."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest

import feedlab
from feedlab.experiments.config import validate
from feedlab.experiments.flat import FLAT_PARAMS, resolve_seed, to_overrides
from feedlab.experiments.run import build, compose
from feedlab.experiments.schema import ConfigError
from feedlab.models.model import FeedModel


def test_batch_run_returns_rows_with_the_live_metrics() -> None:
    rows = mesa.batch_run(
        FeedModel,
        parameters={"ranking": ["engagement", "chronological"], "n": 300},
        rng=[0, 1],
        max_steps=20,
        display_progress=False,
    )
    assert len(rows) == 4
    assert {(r["ranking"], r["seed"]) for r in rows} == {
        (p, s) for p in ("engagement", "chronological") for s in (0, 1)
    }
    for r in rows:
        assert r["Step"] == 20 and r["n"] == 300
        for metric in ("opinion_variance", "engagement_per_user", "outrage_share_impressions"):
            assert math.isfinite(r[metric]), metric
    # different policies and seeds give different worlds
    assert len({round(r["opinion_variance"], 12) for r in rows}) == 4


def test_flat_model_is_the_feedlab_run_model() -> None:
    flat = FeedModel(ranking="bridging", n=250, seed=3)
    built = build(compose(["ranking=bridging", "network.n=250", "seed=3"]))
    for _ in range(3):
        flat.step()
        built.step()
    assert np.array_equal(flat.users.opinion, built.users.opinion)
    assert flat.metrics() == built.metrics()
    assert built.datacollector is None  # feedlab run's models collect nothing extra


def test_seed_follows_mesa() -> None:
    assert resolve_seed(seed=7) == 7 == resolve_seed(rng=7)
    a = FeedModel(n=200, rng=5)
    b = FeedModel(n=200, seed=5)
    assert a.seed == b.seed == 5
    assert np.array_equal(a.users.opinion, b.users.opinion)
    with pytest.raises(ValueError, match="either rng or seed"):
        FeedModel(n=200, seed=1, rng=1)
    fresh = FeedModel(n=200)  # OS entropy: the drawn seed is kept, so it can be repeated
    again = FeedModel(n=200, seed=fresh.seed)
    assert np.array_equal(fresh.users.opinion, again.users.opinion)
    g = resolve_seed(rng=np.random.default_rng(11))
    assert g == resolve_seed(rng=np.random.default_rng(11))


def test_datacollector_collects_inside_step() -> None:
    m = FeedModel(n=200, seed=0, agent_reporters={"opinion": "opinion"})
    for _ in range(4):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 5  # step 0 and one row per step
    assert df["opinion_variance"].notna().all()
    # per-step feed statistics exist from the first step on; step 0 has none
    assert math.isnan(df["impressions"].iloc[0]) and (df["impressions"].iloc[1:] > 0).all()
    assert df["opinion_variance"].iloc[-1] == pytest.approx(m.metrics()["opinion_variance"])
    agents = m.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 5 * 200
    last = agents.xs(4.0, level="Step")["opinion"].to_numpy()
    assert np.allclose(last, m.users.opinion)


def test_dotted_and_double_underscore_names_set_config_paths() -> None:
    assert to_overrides({"dynamics__opinion__enabled": False, "n": 10, "ranking": "random"}) == [
        "ranking=random",
        "dynamics.opinion.enabled=false",
        "network.n=10",
    ]
    m = FeedModel(n=150, seed=0, **{"dynamics.opinion.enabled": False})
    x0 = m.users.opinion.copy()
    m.step()
    assert np.array_equal(x0, m.users.opinion)  # opinions frozen
    m2 = FeedModel(n=150, seed=0, overrides=["dynamics.emotion.enabled=false"])
    assert m2.config["dynamics"]["emotion"]["enabled"] is False


def test_bad_flat_parameters_are_config_errors() -> None:
    with pytest.raises(ConfigError) as exc:
        FeedModel(nn=3, seed=0)
    assert "nn: not a FeedModel parameter" in str(exc.value)
    assert all(name in str(exc.value) for name in FLAT_PARAMS)
    with pytest.raises(ConfigError, match="ranking"):
        FeedModel(ranking="nonesuch", seed=0)
    _, units = validate(compose(["network.n=100"]))
    network = units.network.generate(np.random.default_rng(0))
    with pytest.raises(TypeError, match="n cannot be combined"):
        FeedModel(network=network, n=3)


def test_root_package_exports_the_flat_capable_model() -> None:
    assert feedlab.FeedModel is FeedModel
    assert feedlab.FeedModel(n=120, seed=2).n == 120


def test_a_fresh_process_finds_the_builder_through_the_entry_point() -> None:
    import subprocess
    import sys
    from importlib.metadata import entry_points

    (ep,) = entry_points(group="feedlab.flat_builder", name="flat")
    assert ep.value == "feedlab.experiments.flat:from_params"
    code = (
        "import sys\n"
        "from feedlab.models.model import FeedModel\n"
        "assert 'feedlab.experiments.flat' not in sys.modules\n"
        "print(FeedModel(n=100, seed=0).n)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "100"


def test_a_plain_mesa_datacollector_is_collected_by_step() -> None:
    model = build(compose(["network.n=120"]))
    model.datacollector = mesa.DataCollector(model_reporters={"t": lambda m: m.t})
    for _ in range(3):
        model.step()
    assert model.datacollector.get_model_vars_dataframe()["t"].tolist() == [1, 2, 3]


def test_keywords_win_over_overrides_and_a_seed_in_overrides_is_the_seed() -> None:
    m = FeedModel(n=130, overrides=["network.n=500", "ranking=random", "seed=4"])
    assert m.n == 130 and m.config["ranking"]["name"] == "random" and m.seed == 4
    with pytest.raises(ConfigError, match="given twice"):
        FeedModel(n=130, seed=1, overrides=["seed=4"])
