"""Call-out cascades: tree building and metrics from event rows (known answers and
properties), the transgression event's mechanisms, and the experiment configs end to end."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedlab.analysis import cascades as ac
from feedlab.analysis.metrics import cascade_structure
from feedlab.experiments import build, compose, run_experiment
from feedlab.experiments.config import validate
from feedlab.experiments.schema import ConfigError
from feedlab.models.events.transgression import CalloutStorm

ROOT = Path(__file__).resolve().parents[2]
NAN = float("nan")


def rows(parent_row: list[int], time: list[int], conformist: list[bool] | None = None) -> dict:
    """Event rows of a tree given by the row index of each node's parent (-1 = root,
    row 0). Post ids are 100 + 3·row; the parent column holds the parent's post id."""
    n = len(parent_row)
    post = 100 + 3 * np.arange(n)
    conformist = conformist or [False] * n
    kind = ["transgression"] + [
        "callout_conformist" if c else "callout_proportionate" for c in conformist[1:]
    ]
    return {
        "time": np.array(time),
        "user": np.arange(10, 10 + n),
        "target": np.full(n, 10),
        "parent": np.array([post[p] if p >= 0 else -1 for p in parent_row]),
        "kind": np.array(kind, dtype=object),
        "post": post,
    }


def shuffled(ev: dict, seed: int) -> dict:
    perm = np.random.default_rng(seed).permutation(len(ev["time"]))
    return {k: np.asarray(v)[perm] for k, v in ev.items()}


# ----------------------------------------------------------------------- known answers
def test_star() -> None:
    n = 8
    ev = shuffled(rows([-1] + [0] * (n - 1), [5] * n), 1)
    tree = ac.cascade_tree(ev)
    assert tree.size == n and tree.t0 == 5
    assert tree.parent_user.tolist() == [-1] + [10] * (n - 1)
    m = ac.cascade_metrics(tree)
    assert m["cascade_size"] == n
    assert m["cascade_depth"] == 1
    assert m["cascade_max_breadth"] == n - 1
    assert m["structural_virality"] == pytest.approx(2 * (n - 1) / n)
    assert m["cascade_duration"] == 0
    assert m["time_to_peak"] == 0
    assert m["callouts_total"] == n - 1 and m["callouts_peak"] == n - 1


def test_path() -> None:
    n = 7
    ev = shuffled(rows([-1, *range(n - 1)], [3] * n), 2)
    m = ac.cascade_metrics(ac.cascade_tree(ev))
    assert m["cascade_size"] == n
    assert m["cascade_depth"] == n - 1
    assert m["cascade_max_breadth"] == 1
    assert m["structural_virality"] == pytest.approx((n + 1) / 3)


def test_chain_in_time() -> None:
    """Each call-out exposed through the previous one, one step later: duration n-2,
    flat counts (earliest peak at t0), user-to-user parents along the chain."""
    n = 6
    ev = rows([-1, *range(n - 1)], [4, *range(4, 4 + n - 1)], [False, False] + [True] * (n - 2))
    tree = ac.cascade_tree(shuffled(ev, 3))
    assert tree.parent_user.tolist() == [-1, *range(10, 10 + n - 1)]
    m = ac.cascade_metrics(tree, t_end=20)
    assert m["cascade_duration"] == n - 2  # last call-out at t0 + n - 2
    assert m["time_to_peak"] == 0
    assert m["conformist_share"] == pytest.approx((n - 2) / (n - 1))
    assert ac.callout_counts(tree, 20).tolist() == [1.0] * (n - 1) + [0.0] * (16 - n + 1)


def test_peak_and_decay() -> None:
    # call-outs per step from t0: 1, 8, 4, 2, 1 → peak 1 step after t0; half-life 1
    counts = [1, 8, 4, 2, 1]
    times = [0] + [t for t, c in enumerate(counts) for _ in range(c)]
    parents = [-1] + [0] * sum(counts)
    m = ac.cascade_metrics(ac.cascade_tree(rows(parents, times)))
    assert m["time_to_peak"] == 1
    assert m["decay_half_life"] == pytest.approx(1.0, rel=1e-6)
    assert m["cascade_duration"] == 4


def test_empty_and_root_only() -> None:
    core = {
        "time": np.array([1, 2]),
        "user": np.array([0, 1]),
        "target": np.array([3, 4]),
        "parent": np.array([-1, -1]),
        "kind": np.array(["follow", "unfollow"], dtype=object),
    }
    for ev in (core, {k: v[:0] for k, v in core.items()}):
        tree = ac.cascade_tree(ev)
        assert tree.size == 0
        m = ac.cascade_metrics(tree)
        assert m["cascade_size"] == 0 and m["callouts_total"] == 0
        for k in ("cascade_depth", "structural_virality", "time_to_peak", "conformist_share"):
            assert math.isnan(m[k]), k
    m = ac.cascade_metrics(ac.cascade_tree(rows([-1], [7])))
    assert m["cascade_size"] == 1 and m["cascade_depth"] == 0 and m["cascade_duration"] == 0
    assert math.isnan(m["structural_virality"]) and math.isnan(m["conformist_share"])
    assert math.isnan(m["time_to_peak"])  # no call-outs


def test_apology_and_other_rows_are_not_in_the_tree() -> None:
    ev = rows([-1, 0, 1], [0, 0, 1])
    extra = {
        "time": np.array([2, 0]),
        "user": np.array([10, 5]),
        "target": np.array([10, 6]),
        "parent": np.array([100, -1]),
        "kind": np.array(["apology", "follow"], dtype=object),
        "post": np.array([-1, -1]),
    }
    both = {k: np.concatenate([ev[k], extra[k]]) for k in ev}
    assert ac.cascade_tree(both).size == 3


def test_malformed_rows_refused() -> None:
    ev = rows([-1, 0, 1], [0, 0, 1])
    bad = {**ev, "parent": np.array([-1, 100, 999])}
    with pytest.raises(ValueError, match="parent post"):
        ac.cascade_tree(bad)
    with pytest.raises(ValueError, match="'post'"):
        ac.cascade_tree({k: v for k, v in ev.items() if k != "post"})
    with pytest.raises(ValueError, match="without a transgression"):
        ac.cascade_tree({k: v[1:] for k, v in ev.items()})
    two = {k: np.concatenate([v, v]) for k, v in ev.items()}
    two["target"] = np.r_[ev["target"], ev["target"] + 1]
    with pytest.raises(ValueError, match="several targets"):
        ac.cascade_tree(two)
    assert ac.cascade_tree(two, target=11).size == 3


def test_reputation_known_answer() -> None:
    step = np.arange(0, 30)
    rep = np.full(30, 0.8)
    # the sample at step t0 = 10 is the state before the transgression step
    rep[11:16] = [0.7, 0.5, 0.4, 0.6, 0.7]  # trough 0.4 at step 13
    rep[16:] = 0.75  # >= 0.72 = 90 % of 0.8 from step 16 on
    m = ac.reputation_metrics(step, rep, t0=10)
    assert m["reputation_baseline"] == 0.8
    assert m["reputation_trough"] == 0.4 and m["reputation_trough_rel"] == pytest.approx(0.5)
    assert m["time_to_trough"] == 3
    assert m["time_to_recover_90"] == 6
    assert m["reputation_final_rel"] == pytest.approx(0.75 / 0.8)
    rep[16:] = 0.6
    assert math.isnan(ac.reputation_metrics(step, rep, t0=10)["time_to_recover_90"])
    assert math.isnan(ac.reputation_metrics(step, rep, t0=NAN)["reputation_trough"])


# -------------------------------------------------------------------------- properties
@st.composite
def trees(draw):
    n = draw(st.integers(1, 40))
    parents = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    dt = [0] + [draw(st.integers(0, 3)) for _ in range(1, n)]
    time = [0] * n
    for i in range(1, n):
        time[i] = time[parents[i]] + dt[i]  # a call-out never precedes its parent
    conf = [False] + [draw(st.booleans()) for _ in range(1, n)]
    return parents, time, conf, draw(st.integers(0, 2**31))


@settings(max_examples=60, deadline=None)
@given(trees())
def test_tree_rebuild_properties(tree_spec) -> None:
    parents, time, conf, seed = tree_spec
    ev = rows(parents, time, conf)
    tree = ac.cascade_tree(shuffled(ev, seed))
    n = len(parents)
    assert tree.size == n
    # the rebuilt parent users are the original ones (user = 10 + row)
    by_user = dict(zip(tree.user.tolist(), tree.parent_user.tolist(), strict=True))
    assert by_user == {10 + i: (10 + p if p >= 0 else -1) for i, p in enumerate(parents)}
    # structure is that of the original parent array, whatever the row order
    want = cascade_structure(parents)
    got = ac.cascade_metrics(tree)
    for k, g in (("size", "cascade_size"), ("depth", "cascade_depth")):
        assert got[g] == want[k]
    assert got["cascade_max_breadth"] == want["max_breadth"]
    assert got["structural_virality"] == pytest.approx(want["structural_virality"], nan_ok=True)
    # bounds: 2(n-1)/n ≤ ν ≤ (n+1)/3; counts sum to the call-outs
    if n >= 2:
        assert 2 * (n - 1) / n - 1e-9 <= got["structural_virality"] <= (n + 1) / 3 + 1e-9
    assert ac.callout_counts(tree).sum() == n - 1
    assert got["callouts_conformist"] + got["callouts_proportionate"] == n - 1
    if n > 1:
        assert 0 <= got["conformist_share"] <= 1
        assert got["cascade_duration"] == max(time)
    # the root comes first; the rest by (time, user)
    assert tree.parent[0] == -1 and np.all(tree.parent[1:] >= 0)
    assert np.all(np.diff(tree.time[1:]) >= 0)


# ------------------------------------------------------------------ the event itself
SMALL = [
    "event=transgression",
    "network=follower_graph",
    "network.n=600",
    "event.time=2",
    "output.mesa_agents=false",
]


def _model(extra: list[str] = ()):
    return build(compose([*SMALL, *extra]))


def _storm(model) -> CalloutStorm:
    return next(e for e in model.extensions if isinstance(e, CalloutStorm))


def test_target_fallback_and_choice() -> None:
    m = _model()
    ext = _storm(m)
    indeg = m.graph.in_degree()
    assert ext.fallback  # influencer=none: no roles, falls back to in-degree
    assert ext.target == int(np.lexsort((np.arange(m.n), -indeg))[0])
    m3 = _model(["event.target_rank=3"])
    assert _storm(m3).target == int(np.lexsort((np.arange(m.n), -indeg))[3])
    assert _storm(_model(["event.target=id", "event.target_id=17"])).target == 17


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (["event.apology_time=1"], ["event.apology_time", "after"]),
        (["event.target=id"], ["event.target_id", "-1"]),
        (["event.threshold.mean=1.5"], ["event.threshold", "1.5", "0..1"]),
        (["event.severity=2"], ["event.severity", "2", "allowed"]),
        (["event.target=celebrity"], ["event.target", "celebrity", "influencer"]),
    ],
)
def test_bad_event_config_refused(overrides: list[str], needles: list[str]) -> None:
    with pytest.raises(ConfigError) as ei:
        validate(compose([*SMALL, *overrides]))
    for needle in needles:
        assert needle in str(ei.value), str(ei.value)


def test_target_out_of_range_refused_before_any_step() -> None:
    with pytest.raises(
        ConfigError, match=r"event\.target_id: 600 is out of range; allowed: 0\.\.599"
    ):
        _model(["event.target=id", "event.target_id=600"])
    with pytest.raises(ConfigError, match=r"event\.target_rank"):
        _model(["event.target_rank=600"])


def test_offence_attention_and_apology() -> None:
    m = _model(["event.apology_time=6", "event.apology_effect=0.5"])
    ext = _storm(m)
    users = np.arange(20)
    t0, h = ext.unit.time, ext.unit.attention_half_life
    assert np.all(ext.offence(m, users, t0 - 1) == 0)  # no attention before the event
    o0 = ext.offence(m, users, t0)
    assert np.all(o0 > 0)
    np.testing.assert_allclose(ext.offence(m, users, t0 + 3), o0 * 0.5 ** (3 / h))
    np.testing.assert_allclose(ext.offence(m, users, 6), o0 * 0.5 ** ((6 - t0) / h) * 0.5)
    # the formula: σ·(w_0 + w_d·|x_i − x_t|/2 + w_s·s_i + w_e·e_i) at t0
    u, w = m.users, ext.unit.offence
    m.users.arousal[users] = np.linspace(0, 1, users.size)
    want = ext.unit.severity * (
        w.base
        + w.distance * np.abs(u.opinion[users] - u.opinion[ext.target]) / 2
        + w.susceptibility * u.susceptibility[users]
        + w.arousal * u.arousal[users]
    )
    np.testing.assert_allclose(ext.offence(m, users, t0), want)


def _run(model, steps: int) -> None:
    for _ in range(steps):
        model.step()


def test_storm_records_consistent_rows() -> None:
    m = _model()
    _run(m, 14)
    ext = _storm(m)
    ev = m.event_table()
    assert {"time", "user", "target", "parent", "kind", "post", "offence", "peer_share"} <= set(ev)
    kinds = set(ev["kind"].tolist())
    assert "transgression" in kinds and kinds & {"callout_proportionate", "callout_conformist"}
    call = np.isin(ev["kind"], ["callout_proportionate", "callout_conformist"])
    users = ev["user"][call]
    assert np.unique(users).size == users.size  # at most once per user
    assert ext.target not in users.tolist()
    # proportionate ⇔ offence alone reached the threshold
    prop = ev["kind"][call] == "callout_proportionate"
    np.testing.assert_array_equal(prop, ev["offence"][call] >= ext.phi[users])
    # call-out posts exist and are call-outs about the target (those still in the buffer)
    posts = ev["post"][call]
    assert np.all(posts[ev["time"][call] < m.t - 1] >= 0)
    slot = m.posts.slot_of(posts[posts >= 0])
    live = slot[slot >= 0]
    assert np.all(m.posts.kind[live] == 2) and np.all(m.posts.target[live] == ext.target)
    tree = ac.cascade_tree(ev)
    assert tree.size == call.sum() + 1
    # a parent called out (or transgressed) no later than its child
    pt = np.where(tree.parent >= 0, tree.time[np.maximum(tree.parent, 0)], -1)
    assert np.all(pt[1:] <= tree.time[1:])


def test_peer_pressure_off_means_only_proportionate() -> None:
    m = _model(["event.peer_weight=0", "event.threshold.mean=0.3"])
    _run(m, 10)
    s = _storm(m).summary(m)
    assert s["callouts_total"] > 0
    assert s["conformist_share"] == 0.0


def test_no_offence_means_only_conformist_or_nothing() -> None:
    off = "event.offence={base: 0, distance: 0, susceptibility: 0, arousal: 0}"
    m = _model([off, "event.peer_counts_target=true", "event.threshold.mean=0.1"])
    _run(m, 10)
    s = _storm(m).summary(m)
    assert s["callouts_total"] > 0 and s["conformist_share"] == 1.0
    m = _model([off])  # no offence, no seed: nobody ever calls out
    _run(m, 10)
    assert _storm(m).summary(m)["callouts_total"] == 0


def test_trust_in_target_falls_then_recovers() -> None:
    m = _model(["dynamics.follow.enabled=false"])
    ext = _storm(m)
    _run(m, 60)
    s = ext.summary(m)
    assert s["reputation_trough_rel"] < 0.95  # a real drop
    trough_at = int(np.argmin(ext.rep_values))
    assert ext.rep_values[-1] > ext.rep_values[trough_at]  # relaxation brings it back
    # with trust evidence off the target keeps its reputation
    m0 = _model(["dynamics.follow.enabled=false", "event.trust_evidence=0"])
    _run(m0, 20)
    assert _storm(m0).summary(m0)["reputation_trough_rel"] > s["reputation_trough_rel"]


def test_storm_before_t0_and_never_fired() -> None:
    m = _model(["event.time=50"])
    _run(m, 5)
    s = _storm(m).summary(m)
    assert s["cascade_size"] == 0 and math.isnan(s["reputation_trough"])
    assert len(m.event_table()["time"]) == 0 or "transgression" not in set(m.event_table()["kind"])


# ------------------------------------------------------------ runs and experiments
def test_offline_summary_equals_live(tmp_path: Path) -> None:
    res = run_experiment(
        [*SMALL, "steps=12", f"output.dir={tmp_path}", "output.progress=false", "output.quiet=true"]
    )
    s = json.loads((res.run_dir / "summary.json").read_text())
    off = ac.run_summary(res.run_dir)
    for k, v in off.items():
        live = s[k]
        if live is None:
            assert math.isnan(v), k
        else:
            assert v == pytest.approx(live), k
    ev = pq.read_table(res.run_dir / "events.parquet").to_pydict()
    assert ev["kind"][0] in ("transgression", "follow", "unfollow")
    ts = pq.read_table(res.run_dir / "timeseries.parquet").column_names
    assert {"callouts", "reputation", "event_attention", "callouts_total"} <= set(ts)
    sizes = ac.cascade_sizes([tmp_path])
    assert sizes.tolist() == [s["cascade_size"]]
    v, p = ac.size_ccdf([tmp_path])
    assert p.tolist() == [1.0]


SUMMARY_KEYS = (
    "cascade_size",
    "cascade_depth",
    "cascade_max_breadth",
    "structural_virality",
    "cascade_duration",
    "time_to_peak",
    "decay_half_life",
    "reputation_trough",
    "time_to_recover_90",
    "conformist_share",
)


@pytest.mark.parametrize("experiment", ["cancel_storm", "apology_timing", "watts_cascade"])
def test_experiment_configs_run(experiment: str, tmp_path: Path) -> None:
    res = run_experiment(
        [
            f"experiment={experiment}",
            "network.n=300",
            "steps=8",
            "event.time=2",
            f"output.dir={tmp_path}",
            "output.progress=false",
            "output.quiet=true",
        ]
    )
    for k in SUMMARY_KEYS:
        assert k in res.summary, k
    assert res.summary["cascade_size"] >= 1


@pytest.mark.slow
def test_apology_timing_multirun_cli(tmp_path: Path) -> None:
    """``feedlab run -m experiment=apology_timing`` (small): every run of the sweep
    writes a summary with the cascade and reputation metrics."""
    cmd = [
        sys.executable,
        "-m",
        "feedlab.experiments.cli",
        "run",
        "-m",
        "experiment=apology_timing",
        "network.n=300",
        "steps=20",
        "seed=0",
        f"output.dir={tmp_path}",
        "output.quiet=true",
        "output.progress=false",
    ]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=600)
    summaries = sorted(tmp_path.rglob("runs/*/summary.json"))
    expected = compose(["experiment=apology_timing"])
    assert expected["experiment"] == "apology_timing"
    assert len(summaries) >= 3
    times = set()
    for p in summaries:
        s = json.loads(p.read_text())
        for k in SUMMARY_KEYS:
            assert k in s, (p, k)
        times.add(json.dumps(_cfg(p.parent)["event"]["apology_time"]))
    assert "null" in times and len(times) == len(summaries)


def _cfg(run_dir: Path) -> dict:
    import yaml

    return yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
