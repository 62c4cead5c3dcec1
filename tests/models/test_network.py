"""Network units: configs compose, graphs satisfy the edge invariants, and knobs do what
they say. Small graphs only (n ≈ 300-3000): the whole file runs in a few seconds."""

from __future__ import annotations

import dataclasses
import gzip
import math
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from feedlab.experiments.schema import ConfigError
from feedlab.models.network import NETWORKS, Network

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf" / "network"
DATA = ROOT / "data"  # the real networks ship with feedlab
PRESETS = {"polblogs.yaml", "facebook.yaml"}  # read data/ through feedlab://data/...
SMALL_N = 300

GENERATORS = {
    "erdos_renyi": {"n": SMALL_N, "mean_degree": 10},
    "barabasi_albert": {"n": SMALL_N, "m": 5},
    "watts_strogatz": {"n": SMALL_N, "k": 10, "p": 0.1},
    "stochastic_block": {"n": SMALL_N, "n_groups": 2, "mean_degree": 10, "homophily": 0.8},
    "holme_kim": {"n": SMALL_N, "m": 5, "p_triad": 0.5},
    "follower_graph": {
        "n": SMALL_N,
        "mean_out_degree": 10,
        "in_degree_exponent": 2.3,
        "reciprocity": 0.3,
    },
}


def build(name: str, **params):
    return NETWORKS.build({"name": name, **params}, "network")


def gen(name: str, seed: int = 0, **params) -> Network:
    return build(name, **params).generate(np.random.default_rng(seed))


def check_invariants(net: Network) -> None:
    assert net.src.dtype == np.int32 and net.dst.dtype == np.int32
    assert net.src.shape == net.dst.shape
    if net.n_edges:
        assert net.src.min() >= 0 and net.dst.min() >= 0
        assert net.src.max() < net.n and net.dst.max() < net.n
    assert not np.any(net.src == net.dst), "self loop"
    keys = net.src.astype(np.int64) * net.n + net.dst
    assert np.all(np.diff(keys) > 0), (
        "edges not strictly sorted by (src, dst): unsorted or duplicate"
    )
    if net.groups is not None:
        assert net.groups.dtype == np.int32 and net.groups.shape == (net.n,)
        assert net.groups.min() >= 0
        assert set(np.unique(net.groups).tolist()) == set(range(net.n_groups))


def is_symmetric(net: Network) -> bool:
    fwd = net.src.astype(np.int64) * net.n + net.dst
    rev = np.sort(net.dst.astype(np.int64) * net.n + net.src)
    return bool(np.array_equal(fwd, rev))


def reciprocity(net: Network) -> float:
    """Fraction of follows whose reverse follow also exists."""
    fwd = net.src.astype(np.int64) * net.n + net.dst
    rev = net.dst.astype(np.int64) * net.n + net.src
    return float(np.isin(rev, fwd).mean())


# --------------------------------------------------------------------------- configs


def yaml_files() -> list[Path]:
    return sorted(CONF.glob("*.yaml"))


def test_every_unit_has_a_yaml():
    names = {OmegaConf.load(p).name for p in yaml_files()}
    assert names == set(NETWORKS.names())
    assert {p.stem for p in yaml_files()} >= set(GENERATORS) | {"from_file"}


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: p.name)
def test_yaml_composes_builds_and_generates(path: Path, monkeypatch):
    if path.name in PRESETS:
        monkeypatch.delenv("FEEDLAB_DATA", raising=False)  # the shipped copy in data/
    node = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    cls = NETWORKS.get(node["name"])
    # the YAML is the source of truth: it lists every parameter, and none has a default
    fields = dataclasses.fields(cls)
    assert set(node) - {"name"} == {f.name for f in fields}
    assert all(f.default is dataclasses.MISSING for f in fields)
    if path.name == "from_file.yaml":  # generic template: path left empty on purpose
        with pytest.raises(ConfigError, match=r"path: required for from_file"):
            NETWORKS.build(node, "network")
        return
    if "n" in node:
        node["n"] = SMALL_N
    unit = NETWORKS.build(node, "network")
    net = unit.generate(np.random.default_rng(0))
    assert isinstance(net, Network)
    check_invariants(net)
    assert net.n_edges > 0


# ------------------------------------------------------------------------ generators


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_invariants_symmetry_and_mean_degree(name: str):
    params = GENERATORS[name]
    unit = build(name, **params)
    net = unit.generate(np.random.default_rng(1))
    check_invariants(net)
    assert net.n == SMALL_N
    assert is_symmetric(net) == (name != "follower_graph")
    assert (net.groups is not None) == (name == "stochastic_block")
    est_nodes, est_edges = unit.size_estimate()
    assert est_nodes == net.n
    mean_out = net.n_edges / net.n
    if name in ("erdos_renyi", "watts_strogatz", "barabasi_albert"):
        # G(n, m) draws exactly m edges; the ring lattice has exactly n·k/2 and rewiring
        # keeps the count; BA adds exactly min(i, m) edges with node i
        assert net.n_edges == est_edges
        if name != "barabasi_albert":
            assert mean_out == pytest.approx(10)
    elif name == "stochastic_block":
        # the edge count is a sum of two binomials with mean M = n·k/2 = 1500 and
        # variance ≤ M: 4 standard deviations is 4/sqrt(1500) ≈ 10 % of the mean
        assert mean_out == pytest.approx(10, rel=4 / math.sqrt(1500))
    elif name == "holme_kim":
        # networkx adds m edges per new node, but a preferential target that the triad
        # step already linked is a no-op, so a few edges (< 2 % here) go missing
        assert 0.98 * est_edges <= net.n_edges <= est_edges
    else:  # follower_graph: n Poisson(10) out-degrees (sd sqrt(3000) ≈ 55 of 3000 follows)
        # plus Binomial(≈3000, 0.3) follow-backs (sd ≈ 25): 4 sd ≈ 8 % of the mean 3900
        assert net.n_edges == pytest.approx(est_edges, rel=0.08)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_deterministic_given_seed(name: str):
    unit = build(name, **GENERATORS[name])
    a = unit.generate(np.random.default_rng(123))
    b = unit.generate(np.random.default_rng(123))
    c = unit.generate(np.random.default_rng(124))
    assert np.array_equal(a.src, b.src) and np.array_equal(a.dst, b.dst)
    assert a.n_edges != c.n_edges or not (
        np.array_equal(a.src, c.src) and np.array_equal(a.dst, c.dst)
    )


def within_share(net: Network) -> float:
    assert net.groups is not None
    return float(np.mean(net.groups[net.src] == net.groups[net.dst]))


def test_stochastic_block_homophily_orders_within_group_share():
    # n = 1000, mean degree 10: M = 5000 undirected edges, so the share's standard error
    # is ≤ sqrt(0.25/5000) ≈ 0.007; 0.03 is > 4 standard errors
    hs = [0.1, 0.5, 0.8, 0.95]
    shares = [
        within_share(gen("stochastic_block", n=1000, n_groups=2, mean_degree=10, homophily=h))
        for h in hs
    ]
    assert shares == sorted(shares) and shares[0] < shares[-1] - 0.5
    for h, s in zip(hs, shares):
        assert s == pytest.approx(h, abs=0.03)
    # equal groups: 1/n_groups means no preference
    four = gen("stochastic_block", n=1000, n_groups=4, mean_degree=10, homophily=0.25)
    assert np.bincount(four.groups).tolist() == [250] * 4
    assert within_share(four) == pytest.approx(0.25, abs=0.03)
    isolated = gen("stochastic_block", n=1000, n_groups=2, mean_degree=10, homophily=1.0)
    assert within_share(isolated) == 1.0


def test_follower_graph_heavy_tail_and_reciprocity():
    params = {"n": 3000, "mean_out_degree": 10, "in_degree_exponent": 2.2}
    r = 0.3
    net = gen("follower_graph", seed=5, reciprocity=r, **params)
    base = gen("follower_graph", seed=5, reciprocity=0.0, **params)
    indeg = np.bincount(base.dst, minlength=base.n)
    outdeg = np.bincount(base.src, minlength=base.n)
    # Pareto attractiveness with tail index 1.2: the largest of 3000 draws is typically
    # hundreds of times the median, so hubs gather far more followers than average,
    # while out-degrees are Poisson (max ≈ mean + 4 sd)
    assert indeg.max() > 10 * indeg.mean()
    assert outdeg.max() < 3 * outdeg.mean()
    # each first-pass follow is followed back with probability r, so the fraction of
    # follows whose reverse exists is 2r/(1+r), plus the chance reciprocity measured on
    # the same graph without follow-backs; binomial noise on ~30000 edges is < 0.01
    rho0 = reciprocity(base)
    assert reciprocity(net) == pytest.approx(2 * r / (1 + r), abs=rho0 + 0.02)
    assert rho0 < 0.05
    assert reciprocity(gen("follower_graph", seed=5, reciprocity=1.0, **params)) == 1.0


def test_size_estimate_needs_no_generation():
    unit = build("erdos_renyi", n=2_000_000_000, mean_degree=10)
    assert unit.size_estimate() == (2_000_000_000, 20_000_000_000)
    unit = build(
        "follower_graph", n=10**9, mean_out_degree=100, in_degree_exponent=2.5, reciprocity=0
    )
    assert unit.size_estimate() == (10**9, 10**11)


# -------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("name", "params", "pattern"),
    [
        ("erdos_renyi", {"n": 300, "mean_degree": -1}, r"network\.mean_degree: -1"),
        ("erdos_renyi", {"n": 300, "mean_degree": 400}, r"mean_degree: 400 exceeds"),
        ("erdos_renyi", {"n": 300}, r"network\.mean_degree: missing"),
        (
            "stochastic_block",
            {"n": 300, "n_groups": 2, "mean_degree": 10, "homophily": 1.5},
            r"network\.homophily: 1\.5 is out of range",
        ),
        ("watts_strogatz", {"n": 300, "k": 9, "p": 0.1}, r"k: 9 must be even"),
        ("barabasi_albert", {"n": 300, "m": 300}, r"m: 300 must be smaller than n"),
        (
            "follower_graph",
            {"n": 300, "mean_out_degree": 5, "in_degree_exponent": 2.0, "reciprocity": 0},
            r"network\.in_degree_exponent: 2\.0 is out of range",
        ),
        ("erdos_renyi", {"n": 300, "mean_degree": 5, "p": 0.1}, r"network\.p: unknown field"),
        (
            "from_file",
            {
                "path": "no/such/file.gml",
                "format": "auto",
                "directed": False,
                "group_attribute": "",
                "relabel": True,
            },
            r"path: 'no/such/file\.gml' does not exist",
        ),
    ],
)
def test_bad_values_refused(name: str, params: dict, pattern: str):
    with pytest.raises(ConfigError, match=pattern):
        build(name, **params)


def test_unknown_unit_refused():
    with pytest.raises(ConfigError, match=r"network\.name: 'erdos' is not a network unit"):
        build("erdos", n=10)


# ------------------------------------------------------------------------- from_file


def from_file(path: Path, **kw) -> Network:
    params = {"format": "auto", "directed": False, "group_attribute": "", "relabel": True}
    params.update(kw)
    return gen("from_file", path=str(path), **params)


def test_edgelist_relabels_in_sorted_id_order(tmp_path: Path):
    p = tmp_path / "g.txt"
    p.write_text("# comment\n10 30\n30 20\n20 10 0.5\n10 10\n10 30\n")
    net = from_file(p, directed=True)
    check_invariants(net)
    assert net.n == 3  # 10→0, 20→1, 30→2; the self loop and the repeat are dropped
    assert list(zip(net.src.tolist(), net.dst.tolist())) == [(0, 2), (1, 0), (2, 1)]
    raw = from_file(p, directed=True, relabel=False)
    assert raw.n == 31 and (10, 30) in set(zip(raw.src.tolist(), raw.dst.tolist()))
    undirected = from_file(p)
    assert is_symmetric(undirected) and undirected.n_edges == 6


def test_csv_with_header_and_text_ids_gzipped(tmp_path: Path):
    p = tmp_path / "g.csv.gz"
    with gzip.open(p, "wt") as f:
        f.write("source,target\nbob,alice\ncarol,alice\n")
    net = from_file(p, directed=True)
    assert net.n == 3  # alice 0, bob 1, carol 2
    assert list(zip(net.src.tolist(), net.dst.tolist())) == [(1, 0), (2, 0)]
    with pytest.raises(ValueError, match="relabel"):
        from_file(p, directed=True, relabel=False)


def test_gml_duplicates_groups_and_direction(tmp_path: Path):
    p = tmp_path / "g.gml"
    p.write_text(
        "graph [\n directed 1\n"
        ' node [ id 3 side "b" ]\n node [ id 1 side "a" ]\n'
        ' node [ id 2 ]\n node [ id 7 side "a" ]\n'
        " edge [ source 1 target 3 ]\n edge [ source 1 target 3 ]\n edge [ source 3 target 2 ]\n]\n"
    )
    net = from_file(p, directed=True, group_attribute="side")
    check_invariants(net)
    assert net.n == 4  # node 7 is isolated but kept
    assert list(zip(net.src.tolist(), net.dst.tolist())) == [(0, 2), (2, 1)]
    # values sorted: "a" → 0, "b" → 1; node 2 lacks the attribute → extra group 2
    assert net.groups.tolist() == [0, 2, 1, 0]
    undirected_file = tmp_path / "u.gml"
    undirected_file.write_text(
        "graph [\n node [ id 0 ]\n node [ id 1 ]\n edge [ source 0 target 1 ]\n]\n"
    )
    assert from_file(undirected_file).n_edges == 2
    with pytest.raises(ValueError, match="declares an undirected graph"):
        from_file(undirected_file, directed=True)


def test_format_and_group_attribute_checks(tmp_path: Path):
    weird = tmp_path / "g.dat"
    weird.write_text("0 1\n")
    with pytest.raises(ConfigError, match=r"format: 'auto' cannot tell"):
        from_file(weird)
    assert from_file(weird, format="edgelist").n_edges == 2
    with pytest.raises(ConfigError, match=r"group_attribute: 'x' cannot be read from an edge list"):
        from_file(weird, format="edgelist", group_attribute="x")


@pytest.fixture(scope="module")
def polblogs() -> Network:
    return from_file(DATA / "polblogs.gml.gz", directed=True, group_attribute="value")


def test_polblogs(polblogs: Network):
    net = polblogs
    check_invariants(net)
    # 1,490 blogs (266 without any link), 19,015 hyperlinks of which 3 are self links
    assert net.n == 1490
    assert net.n_edges == 19012
    assert np.bincount(net.groups).tolist() == [758, 732]  # 0 liberal, 1 conservative
    degree = np.bincount(net.src, minlength=net.n) + np.bincount(net.dst, minlength=net.n)
    assert int((degree == 0).sum()) == 266
    assert within_share(net) > 0.9  # "divided they blog"


def test_facebook():
    net = from_file(DATA / "facebook_combined.txt.gz")
    check_invariants(net)
    assert net.n == 4039
    assert net.n_edges == 2 * 88234
    assert is_symmetric(net) and net.groups is None


def test_size_estimate_is_the_parsed_count(polblogs: Network):
    """The memory guard sees the parsed file: the exact number of users and the edges as
    read (before self loops and repeats are dropped), not a guess from the file size."""
    unit = build(
        "from_file",
        path="feedlab://data/polblogs.gml.gz",
        format="auto",
        directed=True,
        group_attribute="value",
        relabel=True,
    )
    assert unit.resolved_path() == DATA / "polblogs.gml.gz"
    assert unit.size_estimate() == (1490, 19015)
    assert unit.read_estimate() != unit.size_estimate()  # the pre-read guess is only a guess
    net = unit.generate(np.random.default_rng(0))
    assert net.n == polblogs.n and np.array_equal(net.src, polblogs.src)


def test_file_is_parsed_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Validation parses the file; the run reuses that parse (and validating the same
    file again, as a sweep plan does for every job, does not read it again)."""
    from feedlab.experiments import run_experiment
    from feedlab.experiments.config import validate
    from feedlab.experiments.run import compose
    from feedlab.models.network import FromFile

    p = tmp_path / "g.txt"
    p.write_text("0 1\n1 2\n2 0\n2 3\n")
    calls: list[Path] = []
    parse = FromFile._parse

    def counting(self, path):
        calls.append(path)
        return parse(self, path)

    monkeypatch.setattr(FromFile, "_parse", counting)
    overrides = ["network=from_file", f"network.path={p}", "steps=1", "output.quiet=true"]
    res = run_experiment([*overrides, f"output.dir={tmp_path / 'out'}"])
    assert res.summary["n_users"] == 4
    assert calls == [p]
    validate(compose([*overrides, f"output.dir={tmp_path / 'out'}", "seed=5"]))
    assert calls == [p]
    p.write_text("0 1\n1 2\n2 0\n2 3\n3 4\n")  # a changed file is read again
    _, units = validate(compose([*overrides, f"output.dir={tmp_path / 'out'}"]))
    assert calls == [p, p] and units.network.size_estimate()[0] == 5


def test_csv_header_without_edges_is_no_network(tmp_path: Path):
    p = tmp_path / "g.csv"
    p.write_text("source,target\n")
    with pytest.raises(ConfigError, match=r"network\.path: .* gives 0 users"):
        from_file(p)
