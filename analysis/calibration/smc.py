r"""ABC-SMC (population Monte Carlo ABC) driven by one seeded NumPy Generator.

The algorithm is ABC-PMC of Beaumont, Cornuet, Marin & Robert (2009, *Biometrika* 96(4),
983–990), the sampler behind pyabc's ``ABCSMC``, with the adaptive tolerance schedule of
Del Moral, Doucet & Jasra (2012, *Statistics and Computing* 22, 1009–1020) as pyabc's
``QuantileEpsilon`` does it:

* generation 0 draws ``population`` parameter sets from the prior and accepts them all
  (tolerance ε₀ = ∞), keeping their distances;
* generation t ≥ 1 sets ε_t to the weighted ``quantile`` of generation t−1's distances,
  draws a particle by weight, perturbs it with a Gaussian kernel of covariance twice the
  weighted covariance of generation t−1 (Beaumont et al. 2009, §3), redraws any
  perturbation outside the prior's support (no simulation spent), simulates, and accepts
  when the distance ≤ ε_t, until ``population`` particles are accepted; weights
  :math:`w^* ∝ π(θ^*) / \sum_j w_j K_Σ(θ^* \mid θ_j)`.

Determinism: every draw comes from the one Generator, in a fixed order. Proposals are
simulated in batches (for parallel runs) and accepted *in proposal order*, the first
``population`` acceptances kept; the order does not depend on the outcomes, so this is
unbiased (as pyabc's look-ahead samplers, which also sort by proposal id) and the result
does not depend on how many processes simulate a batch. Same seed, same simulations → the
same posterior, bit for bit.

The budget counts parameter sets simulated. When it runs out inside a generation, that
generation is incomplete and dropped: the posterior is the last complete generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .priors import Prior

#: Redraws of one perturbation before the sampler gives up (a kernel far wider than the
#: prior support).
MAX_REDRAWS = 10_000


@dataclass
class Generation:
    """One population: internal coordinates ``z`` (n × d), normalised weights, distances,
    the tolerance it was accepted at and what it cost.
    """

    index: int
    z: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    epsilon: float
    proposals: int  # parameter sets simulated for this generation
    accepted: int

    @property
    def acceptance(self) -> float:
        """Accepted ÷ simulated."""
        return self.accepted / self.proposals if self.proposals else float("nan")

    @property
    def ess(self) -> float:
        """Kish's effective sample size (Σw)² / Σw² of the weights."""
        return float(self.weights.sum() ** 2 / np.sum(self.weights**2))


@dataclass
class Result:
    """Every complete generation, why the sampler stopped and the proposals it spent."""

    generations: list[Generation]
    stopped: str
    proposals: int

    @property
    def final(self) -> Generation:
        """The posterior: the last complete generation."""
        return self.generations[-1]


#: ``evaluate(z_batch, generation, first_proposal_index) -> distances`` (NaN = failed).
Evaluate = Callable[[np.ndarray, int, int], np.ndarray]


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``x`` under weights ``w`` (inverse of the weighted ECDF)."""
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    cw /= cw[-1]
    return float(x[order][min(int(np.searchsorted(cw, q)), len(x) - 1)])


def weighted_cov(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted covariance (d × d) of the rows of ``z``."""
    mean = w @ z
    c = z - mean
    return (c * w[:, None]).T @ c / (1.0 - np.sum(w**2))


def _logprior(priors: Sequence[Prior], z: np.ndarray) -> np.ndarray:
    return np.sum([p.logpdf(z[:, j]) for j, p in enumerate(priors)], axis=0)


def _kernel(prev: Generation) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factor and inverse of Σ = 2 × weighted covariance (ridged if singular)."""
    cov = 2.0 * np.atleast_2d(weighted_cov(prev.z, prev.weights))
    scale = np.maximum(np.diag(cov), 1e-12)
    cov = cov + np.diag(scale) * 1e-9
    return np.linalg.cholesky(cov), np.linalg.inv(cov)


def _propose(
    priors: Sequence[Prior], prev: Generation, chol: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` perturbed particles inside the prior's support."""
    d = prev.z.shape[1]
    out = np.empty((n, d))
    for i in range(n):
        for _ in range(MAX_REDRAWS):
            j = rng.choice(len(prev.weights), p=prev.weights)
            z = prev.z[j] + chol @ rng.standard_normal(d)
            if np.isfinite(_logprior(priors, z[None, :])[0]):
                out[i] = z
                break
        else:
            raise RuntimeError("ABC-SMC: no perturbation inside the prior's support")
    return out


def _weights(
    priors: Sequence[Prior], prev: Generation, z: np.ndarray, inv: np.ndarray
) -> np.ndarray:
    """Importance weights π(z) / Σ_j w_j K(z | z_j) (Gaussian kernel; constants cancel)."""
    diff = z[:, None, :] - prev.z[None, :, :]
    m = np.einsum("abi,ij,abj->ab", diff, inv, diff)
    k = np.exp(-0.5 * m) @ prev.weights
    w = np.exp(_logprior(priors, z)) / k
    return w / w.sum()


def _generation(
    priors: Sequence[Prior],
    prev: Generation,
    evaluate: Evaluate,
    *,
    population: int,
    quantile: float,
    room: int,
    spent: int,
    rng: np.random.Generator,
) -> tuple[Generation | None, int]:
    """Generation ``prev.index + 1`` within ``room`` more simulations (``spent`` so far):
    the generation (None when the budget ran out first) and the simulations it used.
    """
    finite = np.isfinite(prev.distances)
    eps = weighted_quantile(prev.distances[finite], prev.weights[finite], quantile)
    chol, inv = _kernel(prev)
    acc_z: list[np.ndarray] = []
    acc_d: list[float] = []
    simulated = 0
    while len(acc_z) < population:
        rate = (len(acc_z) + 1) / (simulated + 1)
        want = int(np.ceil((population - len(acc_z)) / max(rate, 0.05)))
        batch = min(max(want, population // 2, 1), room - simulated)
        if batch <= 0:
            return None, simulated
        z = _propose(priors, prev, chol, batch, rng)
        d = np.asarray(evaluate(z, prev.index + 1, spent + simulated), dtype=np.float64)
        simulated += batch
        for zi, di in zip(z, d):
            if len(acc_z) < population and np.isfinite(di) and di <= eps:
                acc_z.append(zi)
                acc_d.append(float(di))
    za = np.asarray(acc_z)
    w = _weights(priors, prev, za, inv)
    return Generation(
        prev.index + 1, za, w, np.asarray(acc_d), eps, simulated, population
    ), simulated


def run(
    priors: Sequence[Prior],
    evaluate: Evaluate,
    *,
    population: int,
    generations: int,
    quantile: float,
    budget: int,
    rng: np.random.Generator,
    min_acceptance: float = 0.0,
    on_generation: Callable[[Generation], None] | None = None,
) -> Result:
    """Run ABC-SMC until ``generations`` are complete, the budget is spent or the
    acceptance rate of a generation falls below ``min_acceptance``.
    """
    if budget < population:
        raise ValueError(f"budget {budget} is below one population ({population})")
    z0 = np.column_stack([p.sample(rng, population) for p in priors])
    d0 = np.asarray(evaluate(z0, 0, 0), dtype=np.float64)
    d0 = np.where(np.isfinite(d0), d0, np.inf)
    ok = np.isfinite(d0)
    w0 = ok / ok.sum() if ok.any() else np.full(population, 1 / population)
    gens = [Generation(0, z0, w0, d0, float("inf"), population, int(ok.sum()))]
    spent = population
    if on_generation:
        on_generation(gens[0])
    stopped = "generations"
    while len(gens) < generations:
        gen, used = _generation(
            priors,
            gens[-1],
            evaluate,
            population=population,
            quantile=quantile,
            room=budget - spent,
            spent=spent,
            rng=rng,
        )
        spent += used
        if gen is None:
            stopped = "budget"
            break
        gens.append(gen)
        if on_generation:
            on_generation(gen)
        if gen.acceptance < min_acceptance:
            stopped = "min_acceptance"
            break
    return Result(gens, stopped, spent)
