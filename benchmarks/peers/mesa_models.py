"""Idiomatic Mesa 3 implementation of the Deffuant / algorithmic-bias model (the peer).

Written the way the Mesa documentation and its ``virus_on_network`` example teach:
a ``mesa.Model`` holding a ``mesa.discrete_space.Network`` built on a networkx graph,
one ``FixedAgent`` per node that looks at ``self.cell.neighborhood.agents``, and
``self.agents.shuffle_do("step")`` each model step. The ``Network`` is built with
``layout=None``: its default (``nx.spring_layout``) costs ~86 s at 5,000 nodes.

Randomness comes only from the model's seeded generators: ``Model(rng=seed)`` seeds
``self.rng`` (NumPy) and, for an int seed, ``self.random`` (a ``random.Random``);
agents, the agent set and the space all use ``self.random``.

Semantics (Sîrbu et al. 2019, PLoS ONE 14(3): e0213246; Deffuant et al. 2000): in each
step every agent acts once, in a fresh random order (random *sequential* sweeps; ndlib
and the NumPy reference draw agents *with replacement* instead — same model, slightly
different schedule). The acting agent ``i`` picks a neighbour ``j`` with probability
∝ ``max(|x_i − x_j|, 1e-5)^(−γ)`` (γ = 0: uniform) and, if ``|x_i − x_j| < ε``, both
move toward each other by μ.
"""

from __future__ import annotations

import time

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from feedlab.benchmarks.peers._graph import to_networkx

__all__ = ["AlgorithmicBiasModel", "OpinionAgent", "run_mesa_algorithmic_bias"]


class OpinionAgent(FixedAgent):
    """A user on a network node with a continuous opinion in [0, 1]."""

    def __init__(self, model: AlgorithmicBiasModel, opinion: float, cell) -> None:
        super().__init__(model)
        self.opinion = opinion
        self.cell = cell

    def step(self) -> None:
        """Act once: pick a neighbour (uniformly, or with weight distance^−γ) and, within
        ε, both move toward each other by μ (module docstring).
        """
        model = self.model
        neighbours = list(self.cell.neighborhood.agents)
        model.interactions += 1
        if not neighbours:
            return
        if model.gamma == 0:
            other = self.random.choice(neighbours)
        else:
            weights = [
                max(abs(self.opinion - a.opinion), model.min_dist) ** -model.gamma
                for a in neighbours
            ]
            other = self.random.choices(neighbours, weights=weights)[0]
        diff = other.opinion - self.opinion
        if abs(diff) < model.epsilon:
            self.opinion += model.mu * diff
            other.opinion -= model.mu * diff


class AlgorithmicBiasModel(mesa.Model):
    """Deffuant model with algorithmic bias on a fixed network."""

    def __init__(
        self,
        graph,
        epsilon: float,
        gamma: float,
        mu: float = 0.5,
        initial_opinions=None,
        rng=None,
        min_dist: float = 1e-5,
    ) -> None:
        super().__init__(rng=rng)
        self.epsilon = float(epsilon)
        self.gamma = float(gamma)
        self.mu = float(mu)
        self.min_dist = float(min_dist)
        self.interactions = 0
        self.grid = Network(graph, capacity=1, random=self.random, layout=None)
        n = graph.number_of_nodes()
        if initial_opinions is None:
            opinions = [self.random.random() for _ in range(n)]
        else:
            opinions = [float(v) for v in np.asarray(initial_opinions).reshape(n)]
        OpinionAgent.create_agents(
            self, n, opinion=opinions, cell=[self.grid[node] for node in graph.nodes]
        )

    def opinions(self) -> np.ndarray:
        """Opinions indexed by node id."""
        out = np.empty(len(self.agents), dtype=np.float64)
        for agent in self.agents:
            out[agent.cell.coordinate] = agent.opinion
        return out

    def step(self) -> None:
        """One random sequential sweep: every agent acts once, in a fresh random order."""
        self.agents.shuffle_do("step")


def run_mesa_algorithmic_bias(
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
    """Run the Mesa model for ``n_steps`` steps (each = one sweep of N agent actions).

    Returns ``dict(final_opinions, interactions, seconds, setup_seconds, sweep_seconds)``:
    ``interactions`` = elementary steps (agent activations, successful or not) =
    ``n_steps·n``; ``seconds`` is the wall time of the ``model.step()`` calls,
    ``setup_seconds`` that of building the graph, space and agents, ``sweep_seconds`` the
    wall time of each step (``cpu_seconds``, ``sweep_cpu_seconds``: the same as process
    CPU time, robust to time-slicing on a shared machine). ``max_seconds`` (a benchmark time budget) stops after the
    first step that brings ``seconds`` to it, so fewer than ``n_steps`` may run
    (``interactions`` counts those that did).
    """
    t_setup = time.perf_counter()
    graph = to_networkx(src, dst, n)
    model = AlgorithmicBiasModel(
        graph, epsilon, gamma, mu, initial_opinions=initial_opinions, rng=seed
    )
    setup_seconds = time.perf_counter() - t_setup
    sweep_seconds, sweep_cpu_seconds = [], []
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(int(n_steps)):
        ts, cs = time.perf_counter(), time.process_time()
        model.step()
        sweep_seconds.append(time.perf_counter() - ts)
        sweep_cpu_seconds.append(time.process_time() - cs)
        if max_seconds is not None and time.perf_counter() - t0 >= max_seconds:
            break
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    return {
        "final_opinions": model.opinions(),
        "interactions": model.interactions,
        "seconds": seconds,
        "setup_seconds": setup_seconds,
        "sweep_seconds": sweep_seconds,
        "cpu_seconds": cpu_seconds,
        "sweep_cpu_seconds": sweep_cpu_seconds,
    }
