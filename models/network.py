"""Follow graphs: synthetic generators and real networks, as sorted edge arrays.

Every network unit is a frozen dataclass whose fields are its parameters (checked by
:mod:`feedlab.experiments.schema` when built from a config with ``NETWORKS.build``) and which has
one verb, :meth:`generate`, taking the run's :class:`numpy.random.Generator` and returning
a :class:`Network`. Each unit also has :meth:`size_estimate`, which returns the expected
numbers of nodes and directed edges *without* generating anything, so that a config
asking for 10¹² users is refused before any work starts.

Conventions shared by all units
-------------------------------
* An edge ``(src, dst)`` means *src follows dst*: src sees dst's posts.
* Undirected models (friendship-like graphs) become follows in **both** directions.
* No self loops, no duplicate edges; edges sorted by ``(src, dst)``; ``int32`` arrays.
* All randomness comes from the ``rng`` passed to :meth:`generate`. Libraries with their
  own random number generators (igraph, networkx) get an integer seed drawn from it, so
  the same generator state gives bit-identical output.

The fast generators (``erdos_renyi``, ``stochastic_block``, ``follower_graph``) are
vectorised NumPy samplers that handle 10⁶ nodes in seconds; ``barabasi_albert`` and
``watts_strogatz`` use igraph's C implementations; ``holme_kim`` uses networkx (pure
Python, ≈ 7 s at 10⁵ nodes with m = 5 — fine for experiments up to about that size).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import itertools
import math
import os
import re
import stat
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from feedlab.experiments.schema import ConfigError, field
from feedlab.models.registry import Registry

MAX_NODES = 2**31 - 1  # node ids are int32


@dataclass(frozen=True, eq=False)
class Network:
    """A directed follow graph as edge arrays: src follows dst (src sees dst's posts).

    Attributes
    ----------
    n
        Number of nodes; node ids are ``0 .. n-1`` (isolated nodes are allowed).
    src, dst
        ``int32`` arrays of equal length, sorted by ``(src, dst)``, without self loops or
        duplicates.
    groups
        ``int32`` group id per node in ``[0, n_groups)``, or ``None`` when the graph has
        no groups (the population then derives identities from opinions).
    name
        A short description of where the graph came from, for logs and saved runs.
    """

    n: int
    src: np.ndarray
    dst: np.ndarray
    groups: np.ndarray | None
    name: str

    @property
    def n_edges(self) -> int:
        """Number of directed edges (follows)."""
        return len(self.src)

    @property
    def n_groups(self) -> int:
        """Number of groups (0 when the graph has none)."""
        return 0 if self.groups is None or len(self.groups) == 0 else int(self.groups.max()) + 1


NETWORKS: Registry = Registry("network")


class NetworkUnit:
    """Shared helpers of network units (subclasses are frozen dataclasses)."""

    unit_name: ClassVar[str]

    def generate(self, rng: np.random.Generator) -> Network:  # pragma: no cover - abstract
        """Draw one graph; every random choice comes from ``rng`` (the run's network stream)."""
        raise NotImplementedError

    def size_estimate(self) -> tuple[int, int]:  # pragma: no cover - abstract
        """``(nodes, directed edges)`` expected from the parameters alone, without generating:
        what the memory guard checks before any work.
        """
        raise NotImplementedError

    def describe(self) -> str:
        """``unit_name(param=value, ...)`` for :attr:`Network.name`."""
        # the dataclass fields only: a unit may cache work on itself (FromFile keeps its
        # parsed file) without changing the name
        names = (
            [f.name for f in dataclasses.fields(self)]  # type: ignore[arg-type]
            if dataclasses.is_dataclass(self)
            else list(vars(self))
        )
        params = ", ".join(f"{k}={getattr(self, k)!r}" for k in names)
        return f"{getattr(self, 'unit_name', type(self).__name__)}({params})"


# --------------------------------------------------------------------------------------
# helpers


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based; ``np.unique`` hashes and is ~20× slower here)."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _in_sorted(values: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Mask of ``values`` present in the sorted array ``ref`` (binary search)."""
    if len(ref) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(ref, values), len(ref) - 1)
    return ref[pos] == values


def _finalize(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    symmetric: bool,
    groups: np.ndarray | None,
    name: str,
) -> Network:
    """Drop self loops and duplicates, add reverse edges if ``symmetric``, sort, cast."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if symmetric:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    keys = _unique(src * n + dst)  # sorted by (src, dst), duplicates removed
    out_src = (keys // n).astype(np.int32)
    out_dst = (keys % n).astype(np.int32)
    if groups is not None:
        groups = np.ascontiguousarray(groups, dtype=np.int32)
    return Network(n=n, src=out_src, dst=out_dst, groups=groups, name=name)


def _sample_distinct_keys(
    rng: np.random.Generator,
    m: int,
    total: int,
    draw: Callable[[int], np.ndarray],
) -> np.ndarray:
    """``m`` distinct keys, uniformly among all ``m``-subsets of a key space of size ``total``.

    ``draw(k)`` returns about ``k`` i.i.d. uniform valid keys (invalid draws already
    rejected, so it may return fewer). Keys are drawn in batches and deduplicated; when a
    batch overshoots, a uniform random subset of its *new* keys is kept. The set of
    distinct values of i.i.d. uniform draws is exchangeable, and so is a uniform subset of
    the new ones, hence the result is a uniform ``m``-subset (the G(n, m) construction).
    """
    if m > total:
        raise ValueError(f"cannot draw {m} distinct pairs from {total}")
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < m:
        have = len(keys)
        need = m - have
        # expected draws to find `need` new keys ≈ need·total/(total-have), plus the
        # ~need²/(2·total) collisions among themselves; a small margin avoids a 2nd round
        remaining = total - have
        k = need * total / remaining + need * need / (2.0 * remaining)
        k = math.ceil(k * 1.01) + 16
        batch = _unique(draw(k))
        if have:
            batch = batch[~_in_sorted(batch, np.sort(keys))]
        if len(batch) > need:
            batch = rng.choice(batch, size=need, replace=False, shuffle=False)
        keys = np.concatenate([keys, batch])
    return keys


class _NumpyBackedRandom:
    """The ``random``-module interface igraph calls, served from a NumPy Generator.

    igraph calls back into Python for every random number, so values are drawn in blocks
    and handed out from Python lists (≈ 10× faster than one NumPy call per number).
    """

    _BLOCK = 1 << 16

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._unif: Iterator[float] = iter(())
        self._bits: Iterator[int] = iter(())
        self._norm: Iterator[float] = iter(())

    def random(self) -> float:
        try:
            return next(self._unif)
        except StopIteration:
            self._unif = iter(self._rng.random(self._BLOCK).tolist())
            return next(self._unif)

    def _word(self) -> int:
        try:
            return next(self._bits)
        except StopIteration:
            words = self._rng.integers(0, 1 << 32, size=self._BLOCK, dtype=np.uint64)
            self._bits = iter(words.tolist())
            return next(self._bits)

    def getrandbits(self, k: int) -> int:
        value, got = 0, 0
        while got < k:
            value = (value << 32) | self._word()
            got += 32
        return value >> (got - k)

    def randint(self, a: int, b: int) -> int:
        return int(self._rng.integers(a, b + 1))

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        try:
            z = next(self._norm)
        except StopIteration:
            self._norm = iter(self._rng.standard_normal(self._BLOCK).tolist())
            z = next(self._norm)
        return mu + sigma * z


@contextlib.contextmanager
def _igraph_seeded(seed: int) -> Iterator[Any]:
    """Run igraph with its random numbers drawn from ``default_rng(seed)``; yields igraph.

    igraph keeps one process-wide generator (by default the ``random`` module). We swap
    in our own for the duration of the call and put igraph's default back afterwards
    (taken from ``sys.modules``, so this module never imports or seeds the global
    ``random``). Not thread-safe: do not generate igraph graphs from two threads at once
    (feedlab parallelises with processes).
    """
    import igraph  # deferred: importing igraph costs ~1 s

    igraph.set_random_number_generator(_NumpyBackedRandom(np.random.default_rng(seed)))
    try:
        yield igraph
    finally:
        igraph.set_random_number_generator(sys.modules.get("random"))


def _igraph_edges(graph: Any) -> tuple[np.ndarray, np.ndarray]:
    pairs = graph.get_edgelist()  # list of tuples; fromiter is ~3× faster than asarray
    flat = np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.int64, count=2 * len(pairs))
    return flat[0::2], flat[1::2]


def _seed(rng: np.random.Generator) -> int:
    """An integer seed for a library with its own generator (fits a C int and networkx)."""
    return int(rng.integers(2**31 - 1))


def _nfield(doc: str = "number of nodes (users)") -> Any:
    return field(ge=2, le=MAX_NODES, doc=doc)


# --------------------------------------------------------------------------------------
# generators


@NETWORKS.register("erdos_renyi")
@dataclass(frozen=True)
class ErdosRenyi(NetworkUnit):
    """Uniform random graph G(n, m) with m = round(n·mean_degree/2) undirected edges.

    Erdős & Rényi, "On random graphs I", Publicationes Mathematicae 6 (1959). The null
    model: no communities, no hubs, no clustering. Every node gets ``mean_degree``
    follows on average (and as many followers). Sampled by a vectorised rejection
    sampler (uniform node pairs, deduplicated): ~0.2 s at n = 10⁵ and ~2 s at 10⁶
    with mean degree 10.
    """

    n: int = _nfield()
    mean_degree: float = field(ge=0, doc="mean number of neighbours (follows) per node")

    def __post_init__(self) -> None:
        if self.mean_degree > self.n - 1:
            raise ValueError(
                f"mean_degree: {self.mean_degree:g} exceeds n - 1 = {self.n - 1}; "
                "allowed: 0 <= mean_degree <= n - 1"
            )

    @property
    def m(self) -> int:
        """Number of undirected edges, ``round(n·mean_degree/2)``."""
        return round(self.n * self.mean_degree / 2)

    def size_estimate(self) -> tuple[int, int]:
        """``n`` nodes and ``2m`` directed edges (each undirected edge is a follow both ways)."""
        return self.n, 2 * self.m

    def generate(self, rng: np.random.Generator) -> Network:
        """G(n, m) by rejection: uniform node pairs, self loops dropped, distinct pairs kept."""
        n = self.n

        def draw(k: int) -> np.ndarray:
            u = rng.integers(0, n, size=k, dtype=np.int64)
            v = rng.integers(0, n, size=k, dtype=np.int64)
            ok = u != v
            u, v = u[ok], v[ok]
            return np.minimum(u, v) * n + np.maximum(u, v)

        keys = _sample_distinct_keys(rng, self.m, n * (n - 1) // 2, draw)
        return _finalize(n, keys // n, keys % n, symmetric=True, groups=None, name=self.describe())


@NETWORKS.register("barabasi_albert")
@dataclass(frozen=True)
class BarabasiAlbert(NetworkUnit):
    """Preferential attachment: each new node links to m existing nodes ∝ their degree.

    Barabási & Albert, "Emergence of scaling in random networks", Science 286 (1999).
    Power-law degree distribution P(k) ~ k⁻³ with hubs, little clustering. Uses igraph's
    ``Graph.Barabasi`` (psumtree, no multi-edges); the first m nodes get fewer links, so
    there are m·n - m(m+1)/2 undirected edges. ~0.5 s at n = 10⁵ and ~9 s at 10⁶ with
    m = 5 (about half of it in igraph itself, the rest copying edges out).
    """

    n: int = _nfield()
    m: int = field(ge=1, doc="edges added with each new node (mean degree ≈ 2m)")

    def __post_init__(self) -> None:
        if self.m >= self.n:
            raise ValueError(f"m: {self.m} must be smaller than n = {self.n}; allowed: 1 <= m < n")

    def size_estimate(self) -> tuple[int, int]:
        """``m·n − m(m+1)/2`` undirected edges (the first nodes get fewer links), twice as
        many directed.
        """
        return self.n, 2 * (self.m * self.n - self.m * (self.m + 1) // 2)

    def generate(self, rng: np.random.Generator) -> Network:
        """Run igraph's ``Graph.Barabasi`` with its generator seeded from ``rng``."""
        with _igraph_seeded(_seed(rng)) as ig:
            g = ig.Graph.Barabasi(self.n, self.m, directed=False)
        src, dst = _igraph_edges(g)
        return _finalize(self.n, src, dst, symmetric=True, groups=None, name=self.describe())


@NETWORKS.register("watts_strogatz")
@dataclass(frozen=True)
class WattsStrogatz(NetworkUnit):
    """Small world: a ring where each node links to its k nearest neighbours, rewired.

    Watts & Strogatz, "Collective dynamics of 'small-world' networks", Nature 393 (1998).
    Edges are rewired with probability p (no self loops or multi-edges): p = 0 is a
    clustered lattice, small p gives high clustering with short paths. Uses igraph's
    ``Graph.Watts_Strogatz``, which rewires *both* endpoints of a chosen edge, so p = 1
    gives exactly a G(n, m) random graph (the 1998 model moves one endpoint); n·k/2
    undirected edges.
    """

    n: int = _nfield()
    k: int = field(ge=2, doc="ring-lattice degree (even): each node links to k/2 per side")
    p: float = field(ge=0, le=1, doc="rewiring probability per edge")

    def __post_init__(self) -> None:
        if self.k % 2:
            raise ValueError(f"k: {self.k} must be even; allowed: even k with 2 <= k < n - 1")
        if self.k >= self.n - 1:
            raise ValueError(
                f"k: {self.k} is too large for n = {self.n}; allowed: even k with 2 <= k < n - 1"
            )

    def size_estimate(self) -> tuple[int, int]:
        """``n·k/2`` undirected edges, ``n·k`` directed."""
        return self.n, self.n * self.k

    def generate(self, rng: np.random.Generator) -> Network:
        """Run igraph's ``Graph.Watts_Strogatz`` (simple graph) seeded from ``rng``."""
        with _igraph_seeded(_seed(rng)) as ig:
            g = ig.Graph.Watts_Strogatz(1, self.n, self.k // 2, self.p, allowed_edge_types="simple")
        src, dst = _igraph_edges(g)
        return _finalize(self.n, src, dst, symmetric=True, groups=None, name=self.describe())


@NETWORKS.register("stochastic_block")
@dataclass(frozen=True)
class StochasticBlock(NetworkUnit):
    """Planted-partition stochastic block model with equal groups and a homophily knob.

    Holland, Laskey & Leinhardt, "Stochastic blockmodels: first steps", Social Networks
    5 (1983). Nodes are split into ``n_groups`` contiguous blocks of equal size (sizes
    differ by at most one: node i is in group ``i·n_groups // n``). Each within-group pair
    is linked independently with probability p_in and each between-group pair with p_out,
    chosen so that, in expectation, the graph has M = n·mean_degree/2 undirected edges of
    which a fraction ``homophily`` lies within groups:

        p_in = homophily·M / (#within-group pairs),  p_out = (1-homophily)·M / (#between pairs)

    So ``homophily`` is the expected fraction of a node's edges that stay in its own
    group: 1 gives disconnected groups, ≈ 1/n_groups gives no preference (an ordinary
    random graph: exactly (n/G - 1)/(n - 1) of all pairs are within groups, ≈ 1/G), and
    below that nodes prefer the other groups. Returns the groups.

    Sampled without looping over pairs: the within and between edge counts are drawn
    from their binomial distributions, endpoints are sampled uniformly in the right
    blocks and deduplicated: ~0.2 s at n = 10⁵ and ~4 s at 10⁶ with mean degree 10
    (networkx's SBM is orders of magnitude slower at this size).
    """

    n: int = _nfield()
    n_groups: int = field(ge=2, doc="number of equal-size groups")
    mean_degree: float = field(ge=0, doc="mean number of neighbours (follows) per node")
    homophily: float = field(
        ge=0, le=1, doc="expected fraction of a node's edges within its own group"
    )

    def _sizes(self) -> np.ndarray:
        starts = -(-np.arange(self.n_groups + 1, dtype=np.int64) * self.n // self.n_groups)
        return np.diff(starts)

    def _pairs(self) -> tuple[int, int]:
        sizes = self._sizes()
        within = int((sizes * (sizes - 1) // 2).sum())
        return within, self.n * (self.n - 1) // 2 - within

    def __post_init__(self) -> None:
        if self.n_groups * 2 > self.n:
            raise ValueError(
                f"n_groups: {self.n_groups} leaves fewer than 2 nodes per group with n = "
                f"{self.n}; allowed: 2 <= n_groups <= n/2"
            )
        within, between = self._pairs()
        m = self.n * self.mean_degree / 2
        if self.homophily * m > within or (1 - self.homophily) * m > between:
            raise ValueError(
                f"mean_degree, homophily: {self.mean_degree:g} and {self.homophily:g} need "
                f"more within-group ({self.homophily * m:.0f} of {within}) or between-group "
                f"({(1 - self.homophily) * m:.0f} of {between}) pairs than exist; lower "
                "mean_degree or move homophily away from 0/1"
            )

    def size_estimate(self) -> tuple[int, int]:
        """``n·mean_degree`` directed edges, the expectation (edge counts are binomial draws)."""
        return self.n, round(self.n * self.mean_degree)

    def generate(self, rng: np.random.Generator) -> Network:
        """Draw the within- and between-group edge counts from their binomials, then sample
        that many distinct pairs inside blocks and across them (class docstring); returns the
        groups with the graph.
        """
        n, g = self.n, self.n_groups
        sizes = self._sizes()
        starts = np.concatenate([[0], np.cumsum(sizes)])[:-1]
        groups = (np.arange(n, dtype=np.int64) * g // n).astype(np.int32)
        within, between = self._pairs()
        m = n * self.mean_degree / 2
        m_in = int(rng.binomial(within, min(1.0, self.homophily * m / within)))
        m_out = int(rng.binomial(between, min(1.0, (1 - self.homophily) * m / between)))
        pair_share = sizes * (sizes - 1) / (2 * within)

        def draw_within(k: int) -> np.ndarray:
            blk = rng.choice(g, size=k, p=pair_share)
            s = sizes[blk]
            a = rng.integers(0, s)
            b = rng.integers(0, s - 1)
            b += b >= a  # a distinct second node in the same block
            u, v = starts[blk] + a, starts[blk] + b
            return np.minimum(u, v) * n + np.maximum(u, v)

        def draw_between(k: int) -> np.ndarray:
            u = rng.integers(0, n, size=k, dtype=np.int64)
            v = rng.integers(0, n, size=k, dtype=np.int64)
            ok = groups[u] != groups[v]
            u, v = u[ok], v[ok]
            return np.minimum(u, v) * n + np.maximum(u, v)

        keys = np.concatenate(
            [
                _sample_distinct_keys(rng, m_in, within, draw_within),
                _sample_distinct_keys(rng, m_out, between, draw_between),
            ]
        )
        return _finalize(
            n, keys // n, keys % n, symmetric=True, groups=groups, name=self.describe()
        )


@NETWORKS.register("holme_kim")
@dataclass(frozen=True)
class HolmeKim(NetworkUnit):
    """Preferential attachment with triad formation: power-law degrees *and* clustering.

    Holme & Kim, "Growing scale-free networks with tunable clustering", Phys. Rev. E 65
    (2002). Like Barabási–Albert, but after each preferential link the new node closes a
    triangle with probability ``p_triad`` (links to a neighbour of the node it just
    linked to). Uses ``networkx.powerlaw_cluster_graph`` — pure Python, ≈ 7 s at
    n = 10⁵ with m = 5 and growing linearly; use ``barabasi_albert`` for larger graphs.
    """

    n: int = _nfield()
    m: int = field(ge=1, doc="edges added with each new node (mean degree ≈ 2m)")
    p_triad: float = field(ge=0, le=1, doc="probability of a triad-formation step")

    def __post_init__(self) -> None:
        if self.m >= self.n:
            raise ValueError(f"m: {self.m} must be smaller than n = {self.n}; allowed: 1 <= m < n")

    def size_estimate(self) -> tuple[int, int]:
        """``m(n − m)`` undirected edges (each node after the first m adds m links; a triad
        step replaces a preferential one), ``2m(n − m)`` directed.
        """
        return self.n, 2 * self.m * (self.n - self.m)

    def generate(self, rng: np.random.Generator) -> Network:
        """Run ``networkx.powerlaw_cluster_graph`` seeded from ``rng``."""
        import networkx as nx  # deferred: only this generator and from_file need it

        g = nx.powerlaw_cluster_graph(self.n, self.m, self.p_triad, seed=_seed(rng))
        edges = np.asarray(list(g.edges()), dtype=np.int64).reshape(-1, 2)
        return _finalize(
            self.n, edges[:, 0], edges[:, 1], symmetric=True, groups=None, name=self.describe()
        )


@NETWORKS.register("follower_graph")
@dataclass(frozen=True)
class FollowerGraph(NetworkUnit):
    """Directed follower graph with a heavy-tailed in-degree (few accounts, many followers).

    Each node j gets an attractiveness a_j ~ Pareto with tail index
    ``in_degree_exponent - 1`` (x_min = 1), so that P(a > x) ~ x^-(γ-1) and, because
    followers arrive ∝ a, the in-degree distribution has density ~ k^-γ with
    γ = ``in_degree_exponent`` (a fitness / hidden-variable model in the spirit of
    Caldarelli et al., PRL 89, 2002; Twitter's follower distribution has γ ≈ 2.3, Kwak et
    al., WWW 2010). Each node i follows d_i ~ Poisson(``mean_out_degree``) distinct
    others (capped at n - 1), drawn ∝ attractiveness without replacement (i.i.d. draws,
    duplicates and self loops redrawn). Then every such follow is reciprocated
    (the followed account follows back) independently with probability ``reciprocity``.

    Consequences worth knowing: the final mean out-degree is ≈
    ``mean_out_degree · (1 + reciprocity)``, and the usual network reciprocity (fraction
    of follows whose reverse also exists) is ≈ 2r/(1 + r) for r = ``reciprocity``, plus a
    little chance reciprocity. For a target measured reciprocity ρ use r = ρ/(2 - ρ).
    Near γ = 2 the largest hubs approach saturation (the power law's natural cutoff
    n^(1/(γ-1)) exceeds n): at γ = 2.2 and n = 10⁶ the top account is followed by
    almost everyone. Vectorised: ~0.3 s at n = 10⁵ and ~6 s at 10⁶ (mean_out_degree 10).
    """

    n: int = _nfield()
    mean_out_degree: float = field(ge=0, doc="mean number of accounts each node follows")
    in_degree_exponent: float = field(
        gt=2, le=10, doc="exponent γ of the in-degree power law P(k) ~ k^-γ"
    )
    reciprocity: float = field(ge=0, le=1, doc="probability that a follow is followed back")

    _UNIFORM_AFTER_ROUNDS: ClassVar[int] = 50

    def __post_init__(self) -> None:
        if self.mean_out_degree > self.n - 1:
            raise ValueError(
                f"mean_out_degree: {self.mean_out_degree:g} exceeds n - 1 = {self.n - 1}; "
                "allowed: 0 <= mean_out_degree <= n - 1"
            )

    def size_estimate(self) -> tuple[int, int]:
        """``n·mean_out_degree·(1 + reciprocity)`` directed edges, the expectation."""
        return self.n, round(self.n * self.mean_out_degree * (1 + self.reciprocity))

    def generate(self, rng: np.random.Generator) -> Network:
        """Attractiveness, then out-degrees, then follows drawn ∝ attractiveness (class
        docstring).

        Follows are drawn in rounds: each round redraws only the follows still missing
        (duplicates and self loops are rejected). After ``_UNIFORM_AFTER_ROUNDS`` rounds the
        remaining ones are drawn uniformly, so a node that wants almost everyone cannot stall
        the loop. Finally each follow is reciprocated with probability ``reciprocity``.
        """
        n = self.n
        attract = 1.0 + rng.pareto(self.in_degree_exponent - 1.0, size=n)
        cdf = np.cumsum(attract)
        want = np.minimum(rng.poisson(self.mean_out_degree, size=n), n - 1)
        nodes = np.arange(n, dtype=np.int64)
        have = np.zeros(n, dtype=np.int64)
        keys = np.empty(0, dtype=np.int64)  # sorted keys src·n + dst accepted so far
        rounds = 0
        while True:
            miss = want - have
            total = int(miss.sum())
            if total == 0:
                break
            src = np.repeat(nodes, miss)
            if rounds < self._UNIFORM_AFTER_ROUNDS and total > n:
                # i.i.d. draws ∝ attractiveness = multinomial counts in a random order;
                # ~2× faster than a binary search per draw at 10⁷ draws
                counts = rng.multinomial(total, attract / cdf[-1])
                dst = rng.permutation(np.repeat(nodes, counts))
            elif rounds < self._UNIFORM_AFTER_ROUNDS:
                dst = np.searchsorted(cdf, rng.random(total) * cdf[-1], side="right")
                dst = np.minimum(dst, n - 1)  # guard against rounding at the top end
            else:  # only reached when a node wants nearly everyone: finish uniformly
                dst = rng.integers(0, n, size=total)
            new = _unique((src * n + dst)[src != dst])
            if len(keys):
                new = new[~_in_sorted(new, keys)]
                keys = np.insert(keys, np.searchsorted(keys, new), new)
            else:
                keys = new
            have += np.bincount(new // n, minlength=n)
            rounds += 1
        follower, followed = keys // n, keys % n
        back = rng.random(len(keys)) < self.reciprocity  # followed account follows back
        src = np.concatenate([follower, followed[back]])
        dst = np.concatenate([followed, follower[back]])
        return _finalize(n, src, dst, symmetric=False, groups=None, name=self.describe())


@NETWORKS.register("complete")
@dataclass(frozen=True)
class Complete(NetworkUnit):
    """Complete graph K_n: everyone follows everyone else (a well-mixed population).

    The mean-field setting of the canonical bounded-confidence models: Deffuant, Neau,
    Amblard & Weisbuch, "Mixing beliefs among interacting agents", Adv. Complex Syst. 3
    (2000), and Sîrbu, Pedreschi, Giannotti & Kertész, PLoS ONE 14:e0213246 (2019), draw
    partners from the whole population. n(n - 1) directed edges, so memory grows as n²
    (≈ 0.6 GB at n = 10⁴ with the model's per-edge arrays); the memory guard refuses
    sizes that do not fit. Deterministic: ``rng`` is unused.
    """

    n: int = _nfield()

    def size_estimate(self) -> tuple[int, int]:
        """``n(n − 1)`` directed edges (exact)."""
        return self.n, self.n * (self.n - 1)

    def generate(self, rng: np.random.Generator) -> Network:
        """All ordered pairs without the diagonal, sorted by (src, dst); no random draws."""
        n = self.n
        src = np.repeat(np.arange(n, dtype=np.int32), n - 1)
        other = np.tile(np.arange(n - 1, dtype=np.int32), n)
        dst = other + (other >= src)  # skip the diagonal: sorted by (src, dst), no loops
        return Network(n=n, src=src, dst=dst.astype(np.int32), groups=None, name=self.describe())


# --------------------------------------------------------------------------------------
# real networks

#: A ``path`` starting with this names a file inside the feedlab package (the repository
#: root in a clone, ``site-packages/feedlab`` in a wheel): ``feedlab://data/polblogs.gml.gz``
#: is ``feedlab.ROOT / "data/polblogs.gml.gz"``. The presets use it for the shipped data,
#: so they work from any working directory and their run keys do not depend on where
#: feedlab is installed.
PACKAGE_SCHEME = "feedlab://"

_EXTENSIONS = {
    ".gml": "gml",
    ".graphml": "graphml",
    ".txt": "edgelist",
    ".edges": "edgelist",
    ".edgelist": "edgelist",
    ".csv": "edgelist",
    ".tsv": "edgelist",
}


_HEADER_NAMES = {"source", "target", "src", "dst", "from", "to", "u", "v", "node1", "node2"}

#: C0 control characters other than tab, newline, vertical tab, form feed and carriage
#: return: they never occur in a text file, so one of them means binary content.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")

_MIN_USERS = 2  # as for the generators (n >= 2)

_FILE_KINDS = (
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
)


def _strip_gz(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return name[:-3], True
    return name, False


def _open_text(path: Path) -> Any:
    if _strip_gz(path)[1]:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _reason(exc: BaseException) -> str:
    """A one-line, printable account of why reading failed (no binary junk, no traceback)."""
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, gzip.BadGzipFile):
        return exc.strerror
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = _BINARY.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= 160 else text[:157] + "..."


def _sort_key(ids: list[Any]) -> Callable[[Any], Any]:
    """Numeric order when every id is an integer (or an integer string), text otherwise."""

    def as_int(x: Any) -> int | None:
        if isinstance(x, bool):
            return None
        if isinstance(x, int | np.integer):
            return int(x)
        if isinstance(x, str) and re.fullmatch(r"\s*[+-]?\d+\s*", x):
            return int(x)
        return None

    if all(as_int(x) is not None for x in ids):
        return lambda x: as_int(x)
    return str


@dataclass(frozen=True, eq=False)
class ParsedFile:
    """A network file read and numbered, before self loops and repeated edges are dropped.

    Everything here is proportional to the file, never to ``n``: with ``relabel: false``
    a 13-byte file can name node 3·10⁹, and the memory guard must see that ``n`` before
    any array of that length exists.
    """

    n: int  # number of users (nodes)
    src: np.ndarray  # int64 node index of each edge's first endpoint, in file order
    dst: np.ndarray  # int64 node index of each edge's second endpoint
    group_nodes: np.ndarray | None  # indices of the nodes that carry the group attribute
    group_codes: np.ndarray | None  # their group, 0..n_values-1 (sorted attribute values)
    n_values: int  # distinct attribute values; nodes without the attribute get group n_values
    max_id: int | None  # with relabel: false, the largest node id (n = max_id + 1)


#: The last file parsed in this process, keyed by the file's identity (device, inode, size,
#: modification time) and the reading options: validating many configs that name one file
#: (the plan of a sweep) reads it once. One entry, so at most one parsed file is held.
_LAST_PARSED: dict[tuple[Any, ...], ParsedFile] = {}


@NETWORKS.register("from_file")
@dataclass(frozen=True)
class FromFile(NetworkUnit):
    """A real network read from a GML, GraphML or edge-list file (optionally gzipped).

    Presets: ``polblogs`` — US political blogs linking to each other before the 2004
    election, with a liberal/conservative attribute (Adamic & Glance, "The political
    blogosphere and the 2004 U.S. election: divided they blog", LinkKDD 2005); and
    ``facebook`` — combined Facebook ego networks (McAuley & Leskovec, "Learning to
    discover social circles in ego networks", NIPS 2012). Both files ship in ``data/``.

    Reading rules
    -------------
    * ``path``: a path starting with ``feedlab://`` names a file inside the feedlab
      package (``feedlab://data/polblogs.gml.gz``, see :data:`PACKAGE_SCHEME`); any other
      relative path is resolved against the current working directory; ``~`` expands.
    * ``format: auto`` picks the reader from the extension after an optional ``.gz``:
      ``.gml`` → gml, ``.graphml`` → graphml, ``.txt/.edges/.edgelist/.csv/.tsv`` →
      edge list. Gzip is recognised by the ``.gz`` suffix.
    * Edge lists: one edge a line, the first two fields are the endpoints (further
      columns such as weights are ignored); ``#`` and ``%`` start comment lines (SNAP,
      KONECT); fields are split on commas for ``.csv`` and on whitespace otherwise. The
      first line of a ``.csv`` is a header if it names the columns (source/target,
      src/dst, from/to, u/v, node1/node2) or is non-numeric above numeric rows.
    * An edge ``u v`` (GML/GraphML source → target) is read as *u follows v*. With
      ``directed: false`` every edge becomes a follow in both directions; with
      ``directed: true`` the direction is kept, and a GML/GraphML file that declares
      itself undirected is refused (its stored orientation is arbitrary).
    * Self loops and repeated edges (multigraphs) are dropped.
    * ``relabel: true`` maps node ids to ``0..n-1`` in sorted order of the original ids
      (numeric order if all ids are integers, text order otherwise; ties keep file
      order). ``relabel: false`` uses the original ids as indices: they must be
      non-negative integers, ``n = max id + 1``, and absent ids become isolated nodes.
      GML/GraphML nodes without edges are kept (isolated); an edge list cannot list them.
    * ``group_attribute`` (GML/GraphML only; empty for none) gives groups: the distinct
      attribute values, sorted, become ``0..G-1``; nodes lacking the attribute all share
      one extra group ``G``.

    Checked before any work
    -----------------------
    Building the unit checks that ``path`` is a readable, non-empty regular file (not a
    directory, device or pipe) of a known format. :meth:`size_estimate` — called by the
    memory guard when the config is validated — then parses the file, once: a truncated
    or corrupt gzip, binary or unparseable content, fewer than 2 users, a missing group
    attribute or unusable ids raise :class:`~feedlab.experiments.schema.ConfigError`
    naming the field, and the guard sees the parsed number of users. The parse is kept on
    the unit, so :meth:`generate` does not read the file again.
    """

    path: str = field(
        doc="file to read; feedlab://data/... is inside the package, other relative paths "
        "resolve against the working directory"
    )
    format: str = field(
        choices=("auto", "gml", "graphml", "edgelist"),
        doc="file format; auto = from the extension",
    )
    directed: bool = field(doc="keep edge direction (false: every edge is a mutual follow)")
    group_attribute: str = field(doc="node attribute holding the group; empty for no groups")
    relabel: bool = field(doc="renumber nodes 0..n-1 in sorted id order (false: ids are indices)")

    #: the config field the memory guard names when it refuses this network
    size_field: ClassVar[str] = "network.path"

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError(
                "path: required for from_file; set it to a .gml, .graphml or edge-list file"
            )
        p = self.resolved_path()
        self._check_file(p)
        fmt = self.resolved_format()
        if fmt is None:
            raise ValueError(
                f"format: 'auto' cannot tell the format of {p.name!r}; allowed: gml, "
                "graphml, edgelist (or a file ending in " + ", ".join(_EXTENSIONS) + ")"
            )
        if fmt == "edgelist" and self.group_attribute:
            raise ValueError(
                f"group_attribute: {self.group_attribute!r} cannot be read from an edge "
                "list; allowed: '' for edge lists (use GML or GraphML for groups)"
            )

    def resolved_path(self) -> Path:
        """The file as an absolute path: ``feedlab://...`` inside the package, any other
        relative path against the current working directory.
        """
        if self.path.startswith(PACKAGE_SCHEME):
            from feedlab import ROOT

            return Path(os.path.normpath(ROOT / self.path[len(PACKAGE_SCHEME) :]))
        return Path(os.path.abspath(os.path.expanduser(self.path)))

    def resolved_format(self) -> str | None:
        """The reader to use, or None when ``auto`` cannot tell from the extension."""
        if self.format != "auto":
            return self.format
        name, _ = _strip_gz(self.resolved_path())
        return _EXTENSIONS.get(os.path.splitext(name)[1])

    def _check_file(self, p: Path) -> None:
        """Refuse (ValueError "path: ...") anything but a readable, non-empty regular file."""
        allowed = "allowed: a GML, GraphML or edge-list file"
        if self.path.startswith(PACKAGE_SCHEME):
            from feedlab import ROOT

            rel = self.path[len(PACKAGE_SCHEME) :]
            if os.path.isabs(rel) or not p.is_relative_to(ROOT):
                raise ValueError(
                    f"path: {self.path!r} leaves the feedlab package; allowed: "
                    f"{PACKAGE_SCHEME}<path inside the package>, e.g. "
                    f"{PACKAGE_SCHEME}data/polblogs.gml.gz"
                )
            where = f"inside the feedlab package to {str(p)!r}"
        else:
            where = f"against the working directory to {str(p)!r}"
        try:
            st = os.stat(p)
        except (FileNotFoundError, NotADirectoryError):
            raise ValueError(f"path: {self.path!r} does not exist (resolved {where})") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"path: {self.path!r} cannot be accessed: {_reason(exc)}") from None
        if stat.S_ISDIR(st.st_mode):
            raise ValueError(f"path: {self.path!r} is a directory; {allowed}")
        if not stat.S_ISREG(st.st_mode):
            kind = next((k for test, k in _FILE_KINDS if test(st.st_mode)), "special file")
            raise ValueError(f"path: {self.path!r} is a {kind}, not a regular file; {allowed}")
        try:
            with open(p, "rb") as f:
                first = f.read(1)
        except OSError as exc:
            raise ValueError(f"path: {self.path!r} cannot be read: {_reason(exc)}") from None
        if not first:
            raise ValueError(
                f"path: {self.path!r} is empty (0 users); a network needs at least "
                f"{_MIN_USERS} users"
            )

    # -- sizes, parsing once ------------------------------------------------------------

    def read_estimate(self) -> tuple[int, int]:
        """A cheap order-of-magnitude guess from the file size, before anything is read:
        the memory guard refuses a file too large to hold before parsing it.

        Assumes gzip compresses text ~5×, an edge-list line takes ~12 bytes and a GML or
        GraphML edge (with its share of node records) ~25 bytes, and ~10 edges per node.
        """
        p = self.resolved_path()
        size = p.stat().st_size * (5 if _strip_gz(p)[1] else 1)
        per_edge = 12 if self.resolved_format() == "edgelist" else 25
        edges = max(1, size // per_edge)
        return max(1, edges // 10), edges * (1 if self.directed else 2)

    def size_estimate(self) -> tuple[int, int]:
        """The parsed number of users (exact) and of follows (an upper bound: self loops and
        repeated edges are not yet dropped). Parses the file on first use (:meth:`load`).
        """
        parsed = self.load()
        return parsed.n, len(parsed.src) * (1 if self.directed else 2)

    def size_detail(self) -> str:
        """What the memory guard adds to a refusal: where the number of users comes from."""
        parsed = self.load()
        if parsed.max_id is not None:
            return f" (largest node id {parsed.max_id:,} in {self.path!r}, relabel: false)"
        return f" (read from {self.path!r})"

    def load(self) -> ParsedFile:
        """Parse the file once and keep the result on the unit (and as the process's last
        parsed file). Raises ConfigError naming the field when the file is unusable.
        """
        parsed = self.__dict__.get("_parsed")
        if parsed is not None:
            return parsed
        p = self.resolved_path()
        try:
            st = os.stat(p)
        except OSError as exc:  # removed since the unit was built
            raise self._refuse(f"cannot be read: {_reason(exc)}") from None
        key = (
            str(p),
            st.st_dev,
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
            self.resolved_format(),
            self.directed,
            self.group_attribute,
            self.relabel,
        )
        parsed = _LAST_PARSED.get(key)
        if parsed is None:
            parsed = self._parse(p)
            _LAST_PARSED.clear()
            _LAST_PARSED[key] = parsed
        object.__setattr__(self, "_parsed", parsed)  # frozen dataclass: a cache, not a field
        return parsed

    def generate(self, rng: np.random.Generator) -> Network:
        """The network of the parsed file (``rng`` is unused: a real network is not random)."""
        parsed = self.load()
        groups = None
        if parsed.group_nodes is not None and parsed.group_codes is not None:
            groups = np.full(parsed.n, parsed.n_values, dtype=np.int32)  # missing → extra group
            groups[parsed.group_nodes] = parsed.group_codes
        return _finalize(
            parsed.n,
            parsed.src,
            parsed.dst,
            symmetric=not self.directed,
            groups=groups,
            name=self.describe(),
        )

    def _refuse(self, what: str, field_name: str = "path") -> ConfigError:
        return ConfigError([f"network.{field_name}: {self.path!r} {what}"])

    def _parse(self, p: Path) -> ParsedFile:
        fmt = self.resolved_format()
        assert fmt is not None  # checked in __post_init__
        malformed: tuple[type[BaseException], ...] = (
            ValueError,
            TypeError,
            KeyError,
            IndexError,
            AttributeError,
            SyntaxError,  # xml.etree.ElementTree.ParseError (GraphML)
            RecursionError,  # deeply nested GML lists
        )
        attr_names: list[str] = []
        try:
            if fmt == "edgelist":
                u_ids, v_ids = self._read_edgelist(p)
                node_ids: list[Any] | np.ndarray = []
                attrs: dict[Any, Any] = {}
            else:
                import networkx as nx  # deferred import

                malformed += (nx.NetworkXException,)
                u_ids, v_ids, node_ids, attrs, attr_names = self._read_graph(p, fmt)
        except ConfigError:
            raise
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise self._refuse(
                f"is not a valid gzip file (truncated or corrupt: {_reason(exc)})"
            ) from None
        except OSError as exc:
            raise self._refuse(f"cannot be read: {_reason(exc)}") from None
        except malformed as exc:
            raise self._refuse(
                f"cannot be parsed as {fmt} (network.format: {self.format}): {_reason(exc)}"
            ) from None
        n, index_of, max_id = self._relabel(node_ids, u_ids, v_ids)
        if n < _MIN_USERS:
            raise self._refuse(
                f"gives {n} user{'' if n == 1 else 's'}; a network needs at least {_MIN_USERS} "
                "users (an edge list names its users through its edges)"
            )
        src, dst = index_of(u_ids), index_of(v_ids)
        group_nodes = group_codes = None
        n_values = 0
        if self.group_attribute:
            if not attrs:
                raise ConfigError(
                    [
                        f"network.group_attribute: no node of network.path {self.path!r} has attribute "
                        f"{self.group_attribute!r}; allowed: "
                        + (", ".join(map(repr, attr_names)) + " or " if attr_names else "")
                        + "'' (no groups)"
                    ]
                )
            try:
                values = sorted(set(attrs.values()), key=lambda v: (type(v).__name__, v))
            except TypeError:
                raise ConfigError(
                    [
                        f"network.group_attribute: the values of {self.group_attribute!r} in "
                        f"{self.path!r} are not plain numbers or strings; allowed: an "
                        "attribute with one number or string per node"
                    ]
                ) from None
            code = {v: i for i, v in enumerate(values)}
            nodes = list(attrs)
            group_nodes = index_of(nodes)
            group_codes = np.array([code[attrs[x]] for x in nodes], dtype=np.int32)
            n_values = len(values)
        return ParsedFile(n, src, dst, group_nodes, group_codes, n_values, max_id)

    # -- readers ------------------------------------------------------------------------

    def _read_edgelist(self, p: Path) -> tuple[np.ndarray | list[Any], np.ndarray | list[Any]]:
        delimiter = "," if _strip_gz(p)[0].endswith(".csv") else None
        try:  # fast path: integer ids (numpy's C parser)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
                arr = np.loadtxt(
                    p,
                    comments=["#", "%"],
                    delimiter=delimiter,
                    usecols=(0, 1),
                    dtype=np.int64,
                    ndmin=2,
                )
            return arr[:, 0], arr[:, 1]
        except ValueError:
            pass
        rows: list[list[str]] = []
        with _open_text(p) as f:
            for number, line in enumerate(f, 1):
                if _BINARY.search(line):
                    raise self._refuse(
                        f"holds binary data (line {number}); allowed: a text edge list, "
                        "one 'u v' pair a line"
                    )
                s = line.strip()
                if not s or s[0] in "#%":
                    continue
                parts = s.split(delimiter) if delimiter else s.split()
                if len(parts) < 2:
                    raise self._refuse(
                        f"line {number} has fewer than 2 fields ({_reason(ValueError(s))}); "
                        "allowed: one 'u v' pair a line"
                    )
                rows.append([parts[0].strip(), parts[1].strip()])
        numeric = re.compile(r"[+-]?\d+")
        if delimiter and rows:
            first = rows[0]
            if {x.lower() for x in first} <= _HEADER_NAMES or (
                len(rows) > 1
                and not all(numeric.fullmatch(x) for x in first)
                and all(numeric.fullmatch(x) for x in rows[1])
            ):
                rows = rows[1:]  # a CSV header (also when no edge follows it)
        return [r[0] for r in rows], [r[1] for r in rows]

    def _read_graph(
        self, p: Path, fmt: str
    ) -> tuple[list[Any], list[Any], list[Any], dict[Any, Any], list[str]]:
        import networkx as nx  # deferred import

        if fmt == "gml":
            with _open_text(p) as f:
                text = f.read()
            if m := _BINARY.search(text):
                line = text.count("\n", 0, m.start()) + 1
                raise self._refuse(f"holds binary data (line {line}); allowed: a GML text file")
            try:
                g = nx.parse_gml(text, label="id")
            except nx.NetworkXError as exc:
                if "duplicated" not in str(exc):
                    raise
                # repeated edges in a file not flagged as a multigraph: read it as one
                g = nx.parse_gml(
                    re.sub(r"\bgraph\s*\[", "graph [\n  multigraph 1", text, count=1),
                    label="id",
                )
        else:
            g = nx.read_graphml(p)
        if self.directed and not g.is_directed():
            raise ConfigError(
                [
                    f"network.directed: true, but {p.name!r} declares an undirected graph; "
                    "allowed: false for this file"
                ]
            )
        edges = list(g.edges())
        attrs: dict[Any, Any] = {}
        names: list[str] = []
        if self.group_attribute:
            attrs = {
                node: data[self.group_attribute]
                for node, data in g.nodes(data=True)
                if self.group_attribute in data
            }
            if not attrs:
                names = sorted({str(k) for _, data in g.nodes(data=True) for k in data})
        return [e[0] for e in edges], [e[1] for e in edges], list(g.nodes()), attrs, names

    def _relabel(
        self,
        node_ids: list[Any] | np.ndarray,
        u_ids: np.ndarray | list[Any],
        v_ids: np.ndarray | list[Any],
    ) -> tuple[int, Callable[[Any], np.ndarray], int | None]:
        """Number of nodes, a function mapping a sequence of original ids to indices, and
        (with ``relabel: false``) the largest id. Allocates nothing of size ``n``.
        """

        def refuse_ids(bad: Any) -> ConfigError:
            return ConfigError(
                [
                    "network.relabel: false needs non-negative integer node ids, and "
                    f"{self.path!r} has {bad!r}; allowed: relabel: true"
                ]
            )

        if isinstance(u_ids, np.ndarray) and len(node_ids) == 0:  # integer edge list
            both = np.concatenate([u_ids, v_ids])
            if self.relabel:
                uniq = _unique(both)
                return len(uniq), lambda ids: np.searchsorted(uniq, ids), None
            if len(both) == 0:
                return 0, lambda ids: np.asarray(ids), None
            if both.min() < 0:
                raise refuse_ids(int(both.min()))
            largest = int(both.max())
            return largest + 1, lambda ids: np.asarray(ids), largest
        # generic ids (GML / GraphML nodes, or text edge lists): keep node-list order, then
        # any node that only appears in an edge
        seen: dict[Any, None] = dict.fromkeys(node_ids)
        seen.update(dict.fromkeys(u_ids))
        seen.update(dict.fromkeys(v_ids))
        ids = list(seen)
        key = _sort_key(ids)
        max_id: int | None = None
        if self.relabel:
            ordered = sorted(ids, key=key)
            table = {x: i for i, x in enumerate(ordered)}
            n = len(ordered)
        else:
            bad = next((x for x in ids if key is str or key(x) < 0), None)
            if bad is not None:
                raise refuse_ids(bad)
            table = {x: key(x) for x in ids}
            max_id = max(table.values()) if table else None
            n = max_id + 1 if max_id is not None else 0
        return (
            n,
            lambda seq: np.fromiter((table[x] for x in seq), dtype=np.int64, count=len(seq)),
            max_id,
        )
