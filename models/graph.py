"""The follow graph as CSR arrays with per-edge trust.

Row ``i`` lists the accounts that user ``i`` follows: ``indices[indptr[i]:indptr[i+1]]``
(sorted). Each edge carries its current trust ``trust`` and the baseline ``baseline`` it
relaxes toward. Rewiring is batched: :meth:`FollowGraph.rewire` removes and adds many
edges at once in one pass over each edge array (:func:`feedlab.models.kernels.splice`),
so per-step cost stays vectorised.
"""

from __future__ import annotations

import numpy as np

from feedlab.models import buffers
from feedlab.models.kernels import csr_find, splice, threaded


class FollowGraph:
    """Directed follow graph: CSR rows are followers, columns the followed accounts."""

    def __init__(
        self, n: int, src: np.ndarray, dst: np.ndarray, trust: np.ndarray, baseline: np.ndarray
    ):
        self.n = int(n)
        self._set(np.asarray(src), np.asarray(dst), np.asarray(trust), np.asarray(baseline))

    @classmethod
    def from_edges(cls, n: int, src: np.ndarray, dst: np.ndarray) -> FollowGraph:
        """Sorted, de-duplicated graph without self loops; trust filled later."""
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        keep = src != dst
        key = src[keep] * n + dst[keep]
        if key.size and np.any(key[1:] <= key[:-1]):  # not already sorted and unique
            key = np.sort(key)
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        z = np.zeros(key.shape[0])
        return cls(n, key // n, key % n, z, z.copy())

    def _set(self, src: np.ndarray, dst: np.ndarray, trust: np.ndarray, baseline: np.ndarray):
        key = src.astype(np.int64) * self.n + dst.astype(np.int64)
        if key.size and np.any(key[1:] <= key[:-1]):
            order = np.argsort(key, kind="stable")
            src, dst, trust, baseline = src[order], dst[order], trust[order], baseline[order]
        self.src = np.asarray(src, dtype=np.int32)
        self.indices = np.asarray(dst, dtype=np.int32)
        self.trust = np.asarray(trust, dtype=np.float64)
        self.baseline = np.asarray(baseline, dtype=np.float64)
        self._set_indptr()
        # Extra per-edge state (e.g. Beta-reputation evidence): name -> (array, fill for new edges)
        self.edge_state: dict[str, tuple[np.ndarray, float]] = getattr(self, "edge_state", {})

    def _set_indptr(self) -> None:
        counts = np.bincount(self.src, minlength=self.n)
        self.indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])

    def add_edge_state(self, name: str, values: np.ndarray, fill: float) -> None:
        """Attach a per-edge array that follows the edges through :meth:`rewire`
        (new edges start at ``fill``). Read it as ``graph.state(name)``.
        """
        if values.shape[0] != self.n_edges:
            raise ValueError(
                f"edge state {name!r} has {values.shape[0]} values for {self.n_edges} edges"
            )
        self.edge_state[name] = (values, fill)

    def state(self, name: str) -> np.ndarray:
        """The per-edge array registered as ``name`` by :meth:`add_edge_state`."""
        return self.edge_state[name][0]

    @property
    def n_edges(self) -> int:
        """Number of directed follow edges."""
        return int(self.indices.shape[0])

    def out_degree(self) -> np.ndarray:
        """Number of accounts each user follows."""
        return np.diff(self.indptr)

    def in_degree(self) -> np.ndarray:
        """Number of followers of each account."""
        return np.bincount(self.indices, minlength=self.n)

    def edge_keys(self) -> np.ndarray:
        """Sorted int64 keys ``src·n + dst`` (for membership tests)."""
        return self.src.astype(np.int64) * self.n + self.indices

    def reciprocal(self) -> np.ndarray:
        """Boolean per edge: whether the followed account follows back (a mutual tie)."""
        return self.has_edges(self.indices, self.src)

    def has_edges(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Vectorised membership test for (src follows dst)."""
        return self.find_edges(src, dst) >= 0

    def find_edges(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Per query (src, dst): the edge's index if ``src`` follows ``dst``, else
        ``-(p + 1)`` with ``p`` the index where it would be inserted
        (:func:`feedlab.models.kernels.csr_find`: a binary search in ``src``'s row).
        """
        src = np.ascontiguousarray(src)
        dst = np.ascontiguousarray(dst)
        pos = np.empty(src.shape[0], np.int64)
        csr_find(self.indptr, self.indices, src, dst, pos)
        return pos

    def rewire(
        self,
        remove: np.ndarray | None = None,
        add_src: np.ndarray | None = None,
        add_dst: np.ndarray | None = None,
        add_trust: np.ndarray | None = None,
        add_baseline: np.ndarray | None = None,
    ) -> tuple[int, np.ndarray]:
        """Remove edges (a boolean mask over the edges, or their indices in ascending
        order) and add new ones (skipping existing and self edges; duplicates within the
        batch keep the first). Returns the number removed and a boolean mask over the
        proposed additions that were actually added.

        O(E) per call, one pass per edge array: existing edges and insertion points are
        found by binary search within each new edge's row, and every array (the edge
        state included) is rebuilt by :func:`feedlab.models.kernels.splice`; ``indptr``
        is shifted by the per-user net change (O(N)).
        """
        if remove is None:
            rem = np.zeros(0, np.int64)
        elif remove.dtype == np.bool_:
            rem = np.flatnonzero(remove)
        else:
            rem = np.asarray(remove, dtype=np.int64)
        ok = np.zeros(0 if add_src is None else add_src.shape[0], bool)
        if add_src is not None and add_src.size:
            assert add_dst is not None, "rewire: add_src needs add_dst"
            q = add_src.astype(np.int64) * self.n + add_dst
            pos = self.find_edges(add_src, add_dst)
            ok = (add_src != add_dst) & (pos < 0)
            _, first = np.unique(q, return_index=True)
            uniq = np.zeros(q.shape[0], bool)
            uniq[first] = True
            ok &= uniq
        if rem.size == 0 and not ok.any():
            return 0, ok
        arrays = {
            "src": self.src,
            "indices": self.indices,
            "trust": self.trust,
            "baseline": self.baseline,
        }
        arrays.update({f"state:{k}": v for k, (v, _) in self.edge_state.items()})
        new: dict[str, np.ndarray] = {k: np.zeros(0, v.dtype) for k, v in arrays.items()}
        ins_pos = np.zeros(0, np.int64)
        delta = np.zeros(self.n, np.int64)  # net new edges per user
        if ok.any():
            assert add_src is not None and add_dst is not None  # ok has a True: additions
            order = np.argsort(q[ok], kind="stable")
            ins_pos = (-pos[ok] - 1)[order]  # non-decreasing: the keys are sorted
            new = {
                "src": add_src[ok][order].astype(np.int32),
                "indices": add_dst[ok][order].astype(np.int32),
                "trust": np.asarray(add_trust, np.float64)[ok][order],
                "baseline": np.asarray(add_baseline, np.float64)[ok][order],
            }
            for k, (v, fill) in self.edge_state.items():
                new[f"state:{k}"] = np.full(ins_pos.shape[0], fill, dtype=v.dtype)
            delta += np.bincount(new["src"], minlength=self.n)
        if rem.size:
            delta -= np.bincount(self.src[rem], minlength=self.n)
        size = self.n_edges - rem.shape[0] + ins_pos.shape[0]
        out = {}
        for k, v in arrays.items():
            out[k] = buffers.empty(size, v.dtype)  # recycled: the arrays replaced last time
            threaded(splice)(v, rem, ins_pos, new[k], out[k])  # on platform.threads
        self.src, self.indices = out["src"], out["indices"]
        self.trust, self.baseline = out["trust"], out["baseline"]
        for k, (_, fill) in list(self.edge_state.items()):
            self.edge_state[k] = (out[f"state:{k}"], fill)
        self.indptr = self.indptr.copy()
        self.indptr[1:] += np.cumsum(delta)
        return int(rem.shape[0]), ok
