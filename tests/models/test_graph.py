"""FollowGraph: CSR invariants, membership, reciprocity, and batched rewiring."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from feedlab.models.graph import FollowGraph


def _graph(n, edges):
    src = np.array([e[0] for e in edges], np.int64)
    dst = np.array([e[1] for e in edges], np.int64)
    return FollowGraph.from_edges(n, src, dst)


def _pairs(g):
    return set(zip(g.src.tolist(), g.indices.tolist(), strict=True))


def test_from_edges_sorts_dedupes_and_drops_self_loops():
    g = _graph(4, [(2, 1), (0, 3), (2, 1), (1, 1), (0, 1)])
    assert list(zip(g.src, g.indices, strict=True)) == [(0, 1), (0, 3), (2, 1)]
    assert g.indptr.tolist() == [0, 2, 2, 3, 3]
    assert g.in_degree().tolist() == [0, 2, 0, 1]


def test_reciprocal_marks_mutual_follows():
    g = _graph(3, [(0, 1), (1, 0), (1, 2)])
    assert g.reciprocal().tolist() == [True, True, False]


def test_rewire_known_answer_and_state_follows_edges():
    g = _graph(4, [(0, 1), (1, 2), (2, 3)])
    g.trust[:] = [0.1, 0.2, 0.3]
    g.add_edge_state("r", np.array([1.0, 2.0, 3.0]), fill=-1.0)
    removed, added = g.rewire(
        np.array([False, True, False]),
        np.array([3, 0, 0, 2]),
        np.array([0, 1, 2, 2]),  # (0,1) exists, (2,2) self loop
        np.array([0.9, 0.9, 0.8, 0.7]),
        np.array([0.5, 0.5, 0.5, 0.5]),
    )
    assert removed == 1 and added.tolist() == [True, False, True, False]
    assert list(zip(g.src.tolist(), g.indices.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (2, 3),
        (3, 0),
    ]
    assert g.trust.tolist() == [0.1, 0.8, 0.3, 0.9]
    assert g.state("r").tolist() == [1.0, -1.0, 3.0, -1.0]
    assert g.indptr.tolist() == [0, 2, 2, 3, 4]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40),
            st.lists(st.booleans(), min_size=40, max_size=40),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=15),
        )
    )
)
def test_rewire_matches_set_semantics(args):
    n, edges, cut_bits, adds = args
    g = _graph(n, edges)
    before = _pairs(g)
    cut = np.array(cut_bits[: g.n_edges], bool)
    removed_pairs = {p for p, c in zip(sorted(before), cut, strict=True) if c}
    a_src = np.array([a for a, _ in adds], np.int64)
    a_dst = np.array([b for _, b in adds], np.int64)
    g.rewire(cut, a_src, a_dst, np.full(len(adds), 0.5), np.full(len(adds), 0.5))
    expected = (before - removed_pairs) | {
        (a, b) for a, b in adds if a != b and (a, b) not in before
    }
    assert _pairs(g) == expected
    keys = g.edge_keys()
    assert np.all(keys[1:] > keys[:-1])  # sorted, unique
    assert g.indptr[-1] == g.n_edges and np.all(np.diff(g.indptr) >= 0)
