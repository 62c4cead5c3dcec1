"""A calibration end to end: pilot, (synthetic) observations, ABC-SMC, posterior predictive.

1. **Pilot**: the targets (fitted and held out) measured at the config's own values of the
   free parameters (or the prior's centre where a value lies outside the prior box) on
   ``noise_seeds`` seeds: the simulation noise of each measurement (:mod:`.observe`) and
   the "default" column of the report.
2. **Observations**: the library's published values, or with ``truth`` the model's own
   measurements at the true parameters (synthetic targets for recovery tests).
3. **ABC-SMC** (:mod:`.smc`) on the fitted targets, every proposal a batch of runs of the
   calibration's sweep folder (:mod:`.simulate`).
4. **Posterior predictive**: ``ppc_draws`` particles drawn by weight, every target (fitted
   and held out) measured there on fresh seeds.

Randomness: the sampler's draws come from ``SeedSequence(seed, spawn_key=(4,))`` and every
run seed from its own named stream (:func:`.simulate.run_seeds`), so the same
configuration and seed give the same posterior, and a relaunch the same run keys.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import observe, smc
from .simulate import SEED_STREAMS, Measurer, Point, clean_new_folder, run_seeds
from .spec import Spec

#: Spawn key of the sampler's Generator (after the run-seed streams).
SAMPLER_STREAM = len(SEED_STREAMS)


@dataclass
class Outcome:
    """Everything a calibration produced, for :mod:`.report`."""

    spec: Spec
    observations: list[observe.Observation]
    noise: np.ndarray  # per target (fitted then held out): sd between pilot seeds
    pilot: np.ndarray  # targets × noise_seeds: measurements at the pilot point
    pilot_values: dict[str, float]
    scales: np.ndarray  # per fitted target: the distance's denominators
    result: smc.Result
    ppc: np.ndarray  # draws × targets: predictive measurement (mean over seeds)
    ppc_theta: np.ndarray  # draws × params (parameter values)
    runs: int  # runs simulated by this invocation
    reused: int  # runs found complete
    expected: int  # distinct runs of the calibration
    cpu_seconds: float
    wall_seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_targets(self) -> list[str]:
        """Fitted then held-out target ids."""
        return [*self.spec.targets, *self.spec.hold_out]


def _pilot_values(spec: Spec) -> dict[str, float]:
    """The config's own value of each free parameter, or the prior centre outside the box."""
    from feedlab.experiments.run import compose

    base = compose(list(spec.overrides))
    out = {}
    for p in spec.priors:
        node: Any = base
        for k in p.name.split("."):
            node = node[k]
        v = float(node)
        out[p.name] = v if p.low <= v <= p.high else p.ppf(0.5)
    return out


def _seed_mean(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis (seeds), NaN where no seed gave a finite value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, said here
        return np.nanmean(values, axis=-1)


def _overrides(spec: Spec, values: dict[str, float] | np.ndarray) -> tuple[str, ...]:
    if isinstance(values, dict):
        return tuple(p.override(values[p.name]) for p in spec.priors)
    return tuple(p.override(float(v)) for p, v in zip(spec.priors, values))


def _values(spec: Spec, z: np.ndarray) -> np.ndarray:
    """Internal coordinates (n × d) → parameter values (n × d)."""
    return np.column_stack([p.to_value(z[:, j]) for j, p in enumerate(spec.priors)])


class _Progress:
    """The progress line: generation, simulations spent of the budget, elapsed, ETA."""

    def __init__(self, spec: Spec, echo: Callable[[str], None] | None):
        self.spec, self.echo = spec, echo
        self.t0 = time.perf_counter()
        self.gen_line = ""

    def batch(self, gen: int, spent: int) -> None:
        if not self.echo:
            return
        el = time.perf_counter() - self.t0
        left = (self.spec.budget - spent) * el / spent if spent else math.nan
        self.echo(
            f"calibrate: generation {gen} | {spent}/{self.spec.budget} simulations | "
            f"{el:.0f} s elapsed | ETA ≤ {left / 60:.1f} min (rest of the budget)"
            + (f" | {self.gen_line}" if self.gen_line else "")
        )

    def generation(self, g: smc.Generation) -> None:
        self.gen_line = (
            f"gen {g.index} done: ε={g.epsilon:.3g} acceptance {g.acceptance:.2f} ESS {g.ess:.0f}"
        )
        if self.echo:
            self.echo("calibrate: " + self.gen_line)


def calibrate(spec: Spec, echo: Callable[[str], None] | None = None) -> Outcome:
    """Run the calibration of ``spec`` (see the module docstring); complete runs in
    ``spec.out`` are reused. ConfigError (a bad ``metric:``) leaves no folder it created.
    """
    from feedlab.experiments.schema import ConfigError

    t0 = time.perf_counter()
    created = not spec.out.exists()
    m = Measurer(spec)
    fitted, held = list(spec.targets), list(spec.hold_out)
    targets = fitted + held
    pv = _pilot_values(spec)
    pilot_pt = Point(_overrides(spec, pv), run_seeds(spec.seed, "pilot", 0, spec.smc.noise_seeds))
    if echo:
        echo(f"calibrate: pilot at {pv} on {spec.smc.noise_seeds} seeds ...")
    try:
        pilot = m.measure([pilot_pt], targets)[0]
    except ConfigError:
        clean_new_folder(spec.out, created)
        raise
    noise = observe.noise_sd(pilot)
    if spec.truth:
        truth_pt = Point(
            _overrides(spec, spec.truth), run_seeds(spec.seed, "truth", 0, spec.truth_seeds)
        )
        tv = m.measure([truth_pt], targets)[0]
        observations = [observe.synthetic(t, tv[j]) for j, t in enumerate(targets)]
    else:
        observations = [observe.from_library(t, spec.assumed_sigma) for t in targets]
    obs_fit = observations[: len(fitted)]
    scale = observe.scales(obs_fit, noise[: len(fitted)], spec.smc.seeds)
    progress = _Progress(spec, echo)
    history: list[dict[str, Any]] = []

    def evaluate(z: np.ndarray, gen: int, first: int) -> np.ndarray:
        vals = _values(spec, z)
        pts = [
            Point(_overrides(spec, v), run_seeds(spec.seed, "proposal", first + i, spec.smc.seeds))
            for i, v in enumerate(vals)
        ]
        means = _seed_mean(m.measure(pts, fitted))
        d = observe.distance(means, obs_fit, scale)
        history.extend(
            {
                "generation": gen,
                "proposal": first + i,
                "distance": float(d[i]),
                **{p.name: float(vals[i, j]) for j, p in enumerate(spec.priors)},
                **{f"sim:{t}": float(means[i, k]) for k, t in enumerate(fitted)},
            }
            for i in range(len(pts))
        )
        progress.batch(gen, first + len(pts))
        return d

    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(SAMPLER_STREAM,)))
    result = smc.run(
        spec.priors,
        evaluate,
        population=spec.smc.population,
        generations=spec.smc.generations,
        quantile=spec.smc.quantile,
        budget=spec.budget,
        rng=rng,
        min_acceptance=spec.smc.min_acceptance,
        on_generation=progress.generation,
    )
    final = result.final
    idx = rng.choice(len(final.weights), size=spec.smc.ppc_draws, p=final.weights)
    theta = _values(spec, final.z[idx])
    if echo:
        echo(f"calibrate: posterior predictive, {len(idx)} draws × {len(targets)} targets ...")
    pts = [
        Point(_overrides(spec, v), run_seeds(spec.seed, "ppc", i, spec.smc.seeds))
        for i, v in enumerate(theta)
    ]
    ppc = _seed_mean(m.measure(pts, targets))
    return Outcome(
        spec=spec,
        observations=observations,
        noise=noise,
        pilot=pilot,
        pilot_values=pv,
        scales=scale,
        result=result,
        ppc=ppc,
        ppc_theta=theta,
        runs=len(m.runs.ran),
        reused=m.runs.reused,
        expected=len(m.runs.expected),
        cpu_seconds=m.runs.cpu_seconds,
        wall_seconds=time.perf_counter() - t0,
        history=history,
    )
