"""The follow graph as CSR arrays with per-edge trust.

Row ``i`` lists the accounts that user ``i`` follows: ``indices[indptr[i]:indptr[i+1]]``
(sorted). Each edge carries its current trust ``trust`` and the baseline ``baseline`` it
relaxes toward. Rewiring is batched: :meth:`FollowGraph.rewire` removes and adds many
edges at once and rebuilds the arrays (O(E log E)), so per-step cost stays vectorised.
"""

from __future__ import annotations

import numpy as np


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
        keys = self.edge_keys()
        q = src.astype(np.int64) * self.n + dst.astype(np.int64)
        if keys.size == 0:
            return np.zeros(q.shape[0], bool)
        pos = np.minimum(np.searchsorted(keys, q), keys.shape[0] - 1)
        return keys[pos] == q

    def rewire(
        self,
        remove: np.ndarray | None = None,
        add_src: np.ndarray | None = None,
        add_dst: np.ndarray | None = None,
        add_trust: np.ndarray | None = None,
        add_baseline: np.ndarray | None = None,
    ) -> tuple[int, np.ndarray]:
        """Remove edges (boolean mask) and add new ones (skipping existing and self
        edges; duplicates within the batch keep the first). Returns the number removed
        and a boolean mask over the proposed additions that were actually added.

        O(E) per call: removal compresses the arrays and additions are merged into the
        sorted edge list with ``searchsorted`` + ``insert`` (no global re-sort).
        """
        n_removed = int(remove.sum()) if remove is not None else 0
        ok = np.zeros(0 if add_src is None else add_src.shape[0], bool)
        if add_src is not None and add_src.size:
            assert add_dst is not None, "rewire: add_src needs add_dst"
            q = add_src.astype(np.int64) * self.n + add_dst
            ok = (add_src != add_dst) & ~self.has_edges(add_src, add_dst)
            _, first = np.unique(q, return_index=True)
            uniq = np.zeros(q.shape[0], bool)
            uniq[first] = True
            ok &= uniq
        if n_removed == 0 and not ok.any():
            return 0, ok
        arrays = {
            "src": self.src,
            "indices": self.indices,
            "trust": self.trust,
            "baseline": self.baseline,
        }
        arrays.update({f"state:{k}": v for k, (v, _) in self.edge_state.items()})
        if n_removed:
            assert remove is not None  # n_removed > 0 only with a mask
            keep = ~remove
            arrays = {k: v[keep] for k, v in arrays.items()}
        if ok.any():
            assert add_src is not None and add_dst is not None  # ok has a True: additions
            nq = q[ok]
            order = np.argsort(nq, kind="stable")
            nq = nq[order]
            keys = arrays["src"].astype(np.int64) * self.n + arrays["indices"]
            pos = np.searchsorted(keys, nq)
            new: dict[str, np.ndarray] = {
                "src": add_src[ok][order].astype(np.int32),
                "indices": add_dst[ok][order].astype(np.int32),
                "trust": np.asarray(add_trust, np.float64)[ok][order],
                "baseline": np.asarray(add_baseline, np.float64)[ok][order],
            }
            for k, (_, fill) in self.edge_state.items():
                new[f"state:{k}"] = np.full(nq.shape[0], fill, dtype=self.edge_state[k][0].dtype)
            arrays = {k: np.insert(v, pos, new[k]) for k, v in arrays.items()}
        self.src, self.indices = arrays["src"], arrays["indices"]
        self.trust, self.baseline = arrays["trust"], arrays["baseline"]
        for k, (_, fill) in list(self.edge_state.items()):
            self.edge_state[k] = (arrays[f"state:{k}"], fill)
        self._set_indptr()
        return n_removed, ok
