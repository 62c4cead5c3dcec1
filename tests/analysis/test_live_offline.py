"""Live = offline: metrics recomputed from a run directory equal what the recorder wrote.

The recorder (``feedlab.analysis.live``) calls ``feedlab.analysis.metrics`` on model state; here the same
functions run on the *record* only — ``agents.parquet`` (final per-user state),
``events.parquet`` (follow/unfollow) and ``.hydra/config.yaml`` — and must reproduce the
last ``timeseries.parquet`` row and ``summary.json``. The final follow graph is not
stored, so it is rebuilt: the initial network regenerated from the saved config and seed
(the ``network`` stream), then every recorded unfollow and follow replayed in order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from feedlab.analysis.metrics import (
    bimodality_coefficient,
    echo_chamber_index,
    extreme_share,
    group_mean_distance,
    opinion_variance,
)
from feedlab.experiments import run_experiment
from feedlab.experiments.config import validate
from feedlab.models import seeds

# Rewiring made frequent so that the replay has follows and unfollows to get right.
CHURN = [
    "dynamics.follow.follow_prob=0.5",
    "dynamics.follow.unfollow_prob=0.5",
    "dynamics.follow.unfollow_distance=0.6",
    "steps=6",
]


def _read(run_dir: Path) -> tuple[dict, dict, dict, dict]:
    agents = pq.read_table(run_dir / "agents.parquet").to_pydict()
    agents = {k: np.asarray(v) for k, v in agents.items()}
    ts = pq.read_table(run_dir / "timeseries.parquet").to_pydict()
    last = {k: v[-1] for k, v in ts.items()}
    summary = json.loads((run_dir / "summary.json").read_text())
    events = {
        k: np.asarray(v) for k, v in pq.read_table(run_dir / "events.parquet").to_pydict().items()
    }
    return agents, last, summary, events


def _final_graph(run_dir: Path, events: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """Initial network from the saved config, then the recorded rewiring, step by step:
    a step's unfollows (recorded before its rewire) leave, then its follows join."""
    cfg = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    run, units = validate(cfg)
    net = units.network.generate(seeds.rng(run.seed, "network"))
    n = net.n
    src, dst = np.asarray(net.src, np.int64), np.asarray(net.dst, np.int64)
    keep = src != dst
    edges = set(np.unique(src[keep] * n + dst[keep]).tolist())
    kind, t = events["kind"], events["time"]
    keys = events["user"].astype(np.int64) * n + events["target"].astype(np.int64)
    for step in np.unique(t):
        at = t == step
        edges -= set(keys[at & (kind == "unfollow")].tolist())
        edges |= set(keys[at & (kind == "follow")].tolist())
    k = np.array(sorted(edges), dtype=np.int64)
    s, d = k // n, k % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    return indptr, d, n


@pytest.fixture(scope="module")
def churn_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("live")
    res = run_experiment(
        ["network.n=400", "output.progress=false", "output.quiet=true", f"output.dir={out}", *CHURN]
    )
    return res.run_dir


def test_state_metrics_recomputed_from_agents_equal_last_row(churn_run: Path) -> None:
    agents, last, summary, _ = _read(churn_run)
    x, g = agents["opinion"], agents["group"]
    # Same function, same float64 array (Parquet stores doubles losslessly): bit-identical.
    offline = {
        "opinion_mean": float(x.mean()),
        "opinion_variance": opinion_variance(x),
        "bimodality": bimodality_coefficient(x),
        "group_mean_distance": group_mean_distance(x, g),
        "extreme_share": extreme_share(x),
        "mean_platform_trust": float(agents["platform_trust"].mean()),
        "mean_arousal": float(agents["arousal"].mean()),
        "mean_value": float(np.nanmean(agents["last_value"])),
    }
    for name, value in offline.items():
        assert np.isfinite(value), name
        assert last[name] == value, (name, last[name], value)
        assert summary[name] == value, (name, summary[name], value)


def test_graph_metrics_recomputed_from_replayed_events(churn_run: Path) -> None:
    agents, last, summary, events = _read(churn_run)
    kinds = set(events["kind"].tolist())
    assert {"follow", "unfollow"} <= kinds, kinds  # the replay has work to do
    indptr, indices, n = _final_graph(churn_run, events)
    # The rebuilt graph is the recorded one: edge count and every user's degrees agree.
    assert last["n_edges"] == float(indices.shape[0])
    np.testing.assert_array_equal(np.diff(indptr), agents["out_degree"])
    np.testing.assert_array_equal(np.bincount(indices, minlength=n), agents["in_degree"])
    eci = echo_chamber_index(agents["opinion"], indptr, indices)
    assert np.isfinite(eci)
    # Rows are sorted the same way as the live CSR, so the sums run in the same order;
    # 1e-12 allows only for rounding, never for a different graph.
    assert eci == pytest.approx(last["echo_chamber_index"], rel=1e-12, abs=1e-14)
    assert summary["echo_chamber_index"] == last["echo_chamber_index"]


def test_live_offline_fails_on_a_different_state(churn_run: Path) -> None:
    """The comparison can fail: one user's opinion moved changes the recomputed value."""
    agents, last, _, _ = _read(churn_run)
    x = agents["opinion"].copy()
    x[0] = -x[0] + 0.1
    assert opinion_variance(x) != last["opinion_variance"]


def test_per_arm_metrics_recomputed_from_agents(tmp_path: Path) -> None:
    """An A/B run records every state metric per arm (``<metric>__<arm>``); the same
    functions on the ``agents.parquet`` rows of that arm give the same numbers."""
    cfg_dir = Path(__file__).resolve().parents[2] / "conf" / "experiment"
    if not (cfg_dir / "feed_ab_test.yaml").is_file():
        pytest.skip("no experiment=feed_ab_test in this install")
    res = run_experiment(
        [
            "experiment=feed_ab_test",
            "network.n=300",
            "steps=4",
            "output.progress=false",
            "output.quiet=true",
            f"output.dir={tmp_path}",
        ]
    )
    agents, last, _, _ = _read(res.run_dir)
    cfg = yaml.safe_load((res.run_dir / ".hydra" / "config.yaml").read_text())
    names = [a["name"] for a in cfg["arms"]]
    assert len(names) == 2
    for a, name in enumerate(names):
        m = agents["arm"] == a
        x = agents["opinion"][m]
        offline = {
            "arm_size": float(m.sum()),
            "opinion_variance": opinion_variance(x),
            "bimodality": bimodality_coefficient(x),
            "group_mean_distance": group_mean_distance(x, agents["group"][m]),
            "extreme_share": extreme_share(x),
            "mean_platform_trust": float(agents["platform_trust"][m].mean()),
        }
        for metric, value in offline.items():
            assert last[f"{metric}__{name}"] == value, (name, metric)
