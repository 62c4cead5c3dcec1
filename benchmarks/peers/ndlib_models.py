"""ndlib (Rossetti et al.) as a researcher would call it: the peer for side-by-side runs.

What ndlib 6.0.1 does (read from its source, ``ndlib/models/opinions/AlgorithmicBiasModel.py``
and ``ndlib/models/epidemics/ThresholdModel.py``):

* **AlgorithmicBiasModel.iteration()** — the *first* call (``actual_iteration == 0``)
  performs no interaction and only reports the initial state. Every later call performs
  exactly ``N`` sequential elementary steps: an agent ``i`` drawn uniformly *with
  replacement* (``random.choice`` from Python's global ``random``), a neighbour ``j``
  drawn with probability ∝ ``max(|x_i − x_j|, 1e-5)^(−γ)`` by inverse CDF on
  ``numpy.random.random_sample()`` (NumPy's global state), and, if
  ``|x_i − x_j| < ε``, both set to their average. So μ is fixed at 0.5 (there is no μ
  parameter), one iteration = N attempted interactions, and ``n_steps`` sweeps need
  ``n_steps + 1`` calls. An agent with no neighbours makes ndlib crash (``argmax`` of an
  empty array), so isolated nodes are rejected up front here. On a complete graph ndlib
  takes a different code path (``self.sts``), which this wrapper keeps in sync.
* **set_initial_status()** always samples fresh opinions (uniform by default) from
  NumPy's global state; the wrapper overwrites them with ``initial_opinions``.
* **Seeding**: ``Model(graph, seed=s)`` only calls ``np.random.seed(s)``; Python's
  ``random`` is left unseeded, so ndlib runs are *not* reproducible from ``seed`` alone
  (the node draws differ run to run). This wrapper seeds both global generators and
  restores their previous states afterwards.
* **ThresholdModel.iteration()** — first call reports the initial state; each later
  call is one synchronous round over all nodes (a node activates when the fraction of
  active neighbours in the previous round is ≥ its threshold). Deterministic.
"""

from __future__ import annotations

# Peer requirement: ndlib draws from Python's *global* ``random`` module (``from random
# import choice``), so reproducing an ndlib run needs ``random.seed``. feedlab's own code
# never uses the global RNG (ruff TID251); this peer wrapper is the one exception.
import random  # noqa: TID251
import time
from contextlib import contextmanager

import numpy as np

from feedlab.benchmarks.peers._graph import to_networkx

__all__ = ["run_ndlib_algorithmic_bias", "run_ndlib_threshold"]


@contextmanager
def _seeded_globals(seed: int | None):
    """Seed Python's global ``random``; restore it and NumPy's global state on exit.

    NumPy's global state is seeded by ndlib itself (``DiffusionModel.__init__`` calls
    ``np.random.seed(seed)``); only Python's ``random`` is missing.
    """
    # NumPy's legacy global state is ndlib's, not ours: saved and restored only.
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002
    try:
        if seed is not None:
            random.seed(seed)
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002


def _as_seed(seed) -> int | None:
    """Ndlib needs a legacy int seed; accept ints and SeedSequences."""
    if seed is None or isinstance(seed, int | np.integer):
        return None if seed is None else int(seed)
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, dtype=np.uint32)[0])
    raise TypeError(f"seed must be an int or SeedSequence, not {type(seed).__name__}")


def run_ndlib_algorithmic_bias(
    src,
    dst,
    n: int,
    epsilon: float,
    gamma: float,
    mu: float = 0.5,
    n_steps: int = 1,
    seed=None,
    initial_opinions=None,
    *,
    max_seconds: float | None = None,
) -> dict:
    """Run ndlib's ``AlgorithmicBiasModel`` for ``n_steps`` sweeps of N interactions.

    ``mu`` must be 0.5 (ndlib averages; it has no μ). ``initial_opinions`` on [0, 1]
    (length ``n``; ``None`` keeps ndlib's own uniform draw). Returns
    ``dict(final_opinions, interactions, seconds, setup_seconds, sweep_seconds)``:
    ``interactions`` = ``n_steps·n`` elementary steps (attempted encounters), ``seconds``
    the wall time of the ``iteration()`` calls, ``setup_seconds`` that of graph and model
    construction, ``sweep_seconds`` the wall time of each sweep (``cpu_seconds``,
    ``sweep_cpu_seconds``: the same as process CPU time). ``max_seconds`` (a
    benchmark time budget) stops after the first sweep that brings ``seconds`` to it, so
    fewer than ``n_steps`` may run (``interactions`` counts those that did).
    """
    import ndlib.models.ModelConfig as mc
    import ndlib.models.opinions as op

    if mu != 0.5:
        raise ValueError(f"ndlib's AlgorithmicBiasModel has μ fixed at 0.5 (got mu={mu})")
    seed = _as_seed(seed)
    t_setup = time.perf_counter()
    g = to_networkx(src, dst, n)
    isolated = [v for v, k in g.degree() if k == 0]
    if isolated:
        raise ValueError(
            f"ndlib's AlgorithmicBiasModel crashes on isolated nodes ({len(isolated)} here, "
            f"e.g. {isolated[:5]}); remove them first"
        )
    with _seeded_globals(seed):
        model = op.AlgorithmicBiasModel(g, seed=seed)
        config = mc.Configuration()
        config.add_model_parameter("epsilon", float(epsilon))
        config.add_model_parameter("gamma", float(gamma))
        model.set_initial_status(config)
        if initial_opinions is not None:
            x0 = np.asarray(initial_opinions, dtype=np.float64).reshape(n)
            for node in range(n):
                model.status[node] = float(x0[node])
            model.initial_status = model.status.copy()
            if model.sts is not None and len(model.node_data) == 0:  # complete-graph path
                model.sts = np.array([model.status[k] for k in model.ids], dtype=object)
        setup_seconds = time.perf_counter() - t_setup

        sweep_seconds, sweep_cpu_seconds = [], []
        t0, c0 = time.perf_counter(), time.process_time()
        model.iteration(node_status=False)  # iteration 0: reports the state, no interaction
        for _ in range(int(n_steps)):
            ts, cs = time.perf_counter(), time.process_time()
            model.iteration(node_status=False)
            sweep_seconds.append(time.perf_counter() - ts)
            sweep_cpu_seconds.append(time.process_time() - cs)
            if max_seconds is not None and time.perf_counter() - t0 >= max_seconds:
                break
        seconds = time.perf_counter() - t0
        cpu_seconds = time.process_time() - c0

    final = np.array([model.status[node] for node in range(n)], dtype=np.float64)
    return {
        "final_opinions": final,
        "interactions": len(sweep_seconds) * n,
        "seconds": seconds,
        "setup_seconds": setup_seconds,
        "sweep_seconds": sweep_seconds,
        "cpu_seconds": cpu_seconds,
        "sweep_cpu_seconds": sweep_cpu_seconds,
    }


def run_ndlib_threshold(src, dst, n: int, threshold, seed_nodes, seed=None) -> dict:
    """Run ndlib's ``ThresholdModel`` (Watts 2002) from ``seed_nodes`` until no change.

    ``threshold`` is φ, a scalar or one value per node. Returns
    ``dict(final_active, cascade_size, iterations, seconds, setup_seconds)``:
    ``iterations`` counts the rounds that activated at least one node (ndlib's initial
    reporting call and the final no-change round are excluded), the same definition as
    ``numpy_reference.run_reference_threshold``; ``seconds`` covers the ``iteration()``
    calls only (``cpu_seconds``: the same as process CPU time).
    """
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc

    seed = _as_seed(seed)
    t_setup = time.perf_counter()
    g = to_networkx(src, dst, n)
    phi = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,))
    with _seeded_globals(seed):
        model = ep.ThresholdModel(g, seed=seed)
        config = mc.Configuration()
        config.add_node_set_configuration("threshold", dict(enumerate(phi.tolist())))
        config.add_model_initial_configuration(
            "Infected", [int(v) for v in np.asarray(seed_nodes).ravel()]
        )
        model.set_initial_status(config)
        setup_seconds = time.perf_counter() - t_setup

        t0, c0 = time.perf_counter(), time.process_time()
        model.iteration(node_status=True)  # iteration 0: reports the state only
        iterations = 0
        while True:
            res = model.iteration(node_status=True)
            if not res["status"]:  # delta: nodes whose status changed in this round
                break
            iterations += 1
        seconds = time.perf_counter() - t0
        cpu_seconds = time.process_time() - c0

    active = np.array([model.status[node] == 1 for node in range(n)], dtype=bool)
    return {
        "final_active": active,
        "cascade_size": int(active.sum()),
        "iterations": iterations,
        "seconds": seconds,
        "setup_seconds": setup_seconds,
        "cpu_seconds": cpu_seconds,
    }
