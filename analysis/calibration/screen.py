"""``feedlab calibrate --screen``: which behavioural parameters are worth fitting.

A parameter the targets cannot move cannot be calibrated (its posterior stays flat), and
every useless free parameter makes ABC-SMC slower. The screen is a Morris elementary-effects
design (Morris 1991, *Technometrics* 33, 161–174; μ* of Campolongo, Cariboni & Saltelli
2007, *Environmental Modelling & Software* 22, 1509–1518) over the candidate parameters of
a calibration config's ``screen:`` section, whose response is **every target's registered
measurement** (the same functions the calibration's distance and ``feedlab validate
--targets`` use), so the screen ranks parameters by what they do to the quantities the
calibration compares with the field — not by a proxy summary metric.

Design: ``trajectories · (D + 1)`` points on a ``levels`` grid over the candidate box
(:func:`feedlab.analysis.stats.morris_design`, seeded by ``design_seed``); every point is
measured on the same ``seeds`` run seeds (common random numbers, so an elementary effect
is the parameter's effect rather than a change of seed). Every simulation is an ordinary
run of the screen's own sweep folder (:class:`feedlab.analysis.calibration.simulate.Runs`:
run key, ``DONE``, ``sweep.json``), so a killed screen resumes without repeating a run and
``feedlab verify`` works on it.

Indices per target (SALib): μ*, σ, μ and μ*'s bootstrap half-width. SALib divides each
output difference by the step in *unit-box* coordinates, so μ* is in the target's units
per full prior range, comparable between parameters of one target. Selection rule
(:func:`select`): for each target, rank parameters by μ*; the parameter is *influential*
for the target when it belongs to the smallest top set whose μ* sum reaches ``cover``
(0.8) of the target's total μ* **and** its μ* exceeds ``floor_factor`` (2) × the target's
noise floor
(:func:`noise_floor`: the μ* a parameter that only reshuffles the random path would get,
from the seed-to-seed sd of the target at the config's own values on ``noise_seeds``
seeds; a null parameter's μ* over 10 trajectories has an sd of ≈ 0.24 × the floor, and
the floor itself is estimated from a few seeds, hence the factor 2). The parameters worth freeing are those influential for at least one *fitted*
target; the rest would stay flat whatever the data.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.experiments.schema import ConfigError

from . import spec as S
from .priors import Prior
from .simulate import Measurer, Point, Runs, clean_new_folder

#: Spawn key of the screen's run seeds: after the calibration's run-seed streams (0–3)
#: and its sampler (4), so no calibration draw moves.
SCREEN_STREAM = 5
_KEYS = (
    "targets",
    "overrides",
    "params",
    "trajectories",
    "levels",
    "seeds",
    "design_seed",
    "cover",
    "noise_seeds",
    "floor_factor",
)


@dataclass(frozen=True)
class Screen:
    """A checked screen: the base calibration, the candidates and the design."""

    base: S.Spec  # the calibration the screen chooses parameters for
    spec: S.Spec  # what the runs see: screen overrides appended, candidates as priors
    targets: tuple[str, ...]
    trajectories: int
    levels: int
    seeds: int
    design_seed: int
    cover: float
    noise_seeds: int = 6
    floor_factor: float = 2.0

    @property
    def params(self) -> tuple[Prior, ...]:
        """The candidate parameters (uniform over their screening range)."""
        return self.spec.priors

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem of the candidate box."""
        return {
            "names": [p.name for p in self.params],
            "bounds": [[p.low, p.high] for p in self.params],
            "integer": [p.name for p in self.params if p.integer],
        }

    def as_dict(self) -> dict[str, Any]:
        """For ``screen.json`` and the sweep manifest."""
        return {
            "config": self.base.name,
            "fitted": list(self.base.targets),
            "targets": list(self.targets),
            "overrides": list(self.spec.overrides),
            "params": {p.name: [p.low, p.high] for p in self.params},
            "trajectories": self.trajectories,
            "levels": self.levels,
            "seeds": self.seeds,
            "design_seed": self.design_seed,
            "cover": self.cover,
            "noise_seeds": self.noise_seeds,
            "floor_factor": self.floor_factor,
            "seed": self.base.seed,
        }


def screen_seeds(seed: int, n: int, stream: int = 0) -> list[int]:
    """The run seeds every design point shares (common random numbers; ``stream`` 0), or
    those of the noise floor (``stream`` 1).
    """
    ss = np.random.SeedSequence(seed, spawn_key=(SCREEN_STREAM, stream))
    return [int(x) & 0x7FFFFFFF for x in ss.generate_state(n)]


def _int(raw: Mapping[str, Any], key: str, default: int, lo: int, problems: list[str]) -> int:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        problems.append(f"screen.{key}: must be an integer >= {lo}, got {v!r}")
        return default
    return v


def _design_problems(
    raw: Mapping[str, Any], problems: list[str]
) -> tuple[int, int, int, int, float, int, float]:
    extra = sorted(str(k) for k in raw if k not in _KEYS)
    if extra:
        problems.append(f"screen: unknown key(s) {', '.join(extra)}; allowed: {', '.join(_KEYS)}")
    traj = _int(raw, "trajectories", 8, 2, problems)
    levels = _int(raw, "levels", 4, 2, problems)
    if levels % 2:
        problems.append(f"screen.levels: must be even, got {levels}")
    seeds = _int(raw, "seeds", 1, 1, problems)
    noise = _int(raw, "noise_seeds", 6, 2, problems)
    dseed = _int(raw, "design_seed", 0, 0, problems)
    cover = raw.get("cover", 0.8)
    if isinstance(cover, bool) or not isinstance(cover, int | float) or not 0 < cover <= 1:
        problems.append(f"screen.cover: must lie in (0, 1], got {cover!r}")
        cover = 0.8
    factor = raw.get("floor_factor", 2.0)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 0:
        problems.append(f"screen.floor_factor: must be a number >= 0, got {factor!r}")
        factor = 2.0
    return traj, levels, seeds, dseed, float(cover), noise, float(factor)


def _target_problems(targets: Sequence[str]) -> list[str]:
    from feedlab.analysis.targets.measurements import MEASUREMENTS

    if not targets:
        return ["screen.targets: give at least one target"]
    return [
        f"screen.targets: {t!r} has no registered measurement; allowed: "
        + ", ".join(sorted(MEASUREMENTS))
        + f", or {S.METRIC}<summary metric>"
        for t in targets
        if t not in MEASUREMENTS and not t.startswith(S.METRIC)
    ]


def load(
    config: str = "calibration=default",
    *,
    out: Path | str | None = None,
    jobs: int = 1,
    overrides: Sequence[str] = (),
) -> Screen:
    """The checked :class:`Screen` of ``config``'s ``screen:`` section (ConfigError with
    every problem, before anything is written). ``overrides`` are appended after the
    calibration's and the screen's own.
    """
    base = S.load(config, jobs=jobs, overrides=overrides)
    problems: list[str] = []
    raw = S.read(S.config_path(config), problems).get("screen")
    if not isinstance(raw, Mapping):
        raise ConfigError(
            [f"screen: {base.name} has no screen section (a mapping with keys {', '.join(_KEYS)})"]
        )
    traj, levels, seeds, dseed, cover, noise, factor = _design_problems(raw, problems)
    targets = S._ids(
        raw.get("targets") or [*base.targets, *base.hold_out], "screen.targets", problems
    )
    problems += _target_problems(targets)
    sov = raw.get("overrides") or []
    if not isinstance(sov, list) or not all(isinstance(o, str) for o in sov):
        problems.append(f"screen.overrides: must be a list of strings, got {sov!r}")
        sov = []
    params = raw.get("params")
    if not isinstance(params, Mapping) or not params:
        problems.append("screen.params: must map dotted config paths to [low, high]")
        params = {}
    box: dict[str, Any] = {}
    for name, rng in params.items():
        ok = (
            isinstance(rng, list)
            and len(rng) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in rng)
        )
        if not ok:
            problems.append(f"screen.params.{name}: must be [low, high], got {rng!r}")
            continue
        box[str(name)] = {"prior": "uniform", "low": float(rng[0]), "high": float(rng[1])}
    if problems:
        raise ConfigError(problems)
    # The base calibration's overrides come first (the config's, then the command line's);
    # the screen's go between, so a command-line override still wins.
    n_cli = len(overrides)
    head = base.overrides[: len(base.overrides) - n_cli]
    run_spec = replace(
        base,
        overrides=(*head, *sov, *overrides),
        truth={},
        out=Path(out)
        if out is not None
        else Path("outputs") / "calibration" / f"{base.name}-screen",
    )
    priors, more = S._param_problems(run_spec, box)
    if more:
        raise ConfigError([m.replace("params", "screen.params", 1) for m in more])
    return Screen(
        base=base,
        spec=replace(run_spec, priors=tuple(priors)),
        targets=targets,
        trajectories=traj,
        levels=levels,
        seeds=seeds,
        design_seed=dseed,
        cover=cover,
        noise_seeds=noise,
        floor_factor=factor,
    )


@dataclass
class _ScreenRuns(Runs):
    """The screen's sweep folder: the calibration's, its manifest naming the screen."""

    screen: dict[str, Any] | None = None

    def manifest(self) -> dict[str, Any]:
        """``sweep.json`` with the screen's design."""
        m = super().manifest()
        m["launcher"] = f"feedlab calibrate --screen ({self.how})"
        m["screen"] = self.screen
        return m


def noise_floor(sd: float, levels: int) -> float:
    """μ* of a parameter that does nothing but change the run's random path: with the
    paths decorrelated, an elementary effect is (ε₁ − ε₂)/Δ, ε the seed-to-seed noise of sd
    ``sd`` and Δ = levels / (2 (levels − 1)) SALib's step in unit-box coordinates, so
    E|EE| = 2 sd / (√π Δ). A μ* at or below it is indistinguishable from noise.
    """
    delta = levels / (2.0 * (levels - 1))
    return 2.0 * sd / (math.sqrt(math.pi) * delta)


def select(
    rows: Sequence[Mapping[str, Any]], cover: float, floor: Mapping[str, float] | None = None
) -> dict[str, list[str]]:
    """Target → its influential parameters: of the smallest set of top-μ* parameters whose
    μ* sum reaches ``cover`` of the target's total μ* (none when every μ* is 0), those whose
    μ* exceeds the target's noise ``floor`` (:func:`noise_floor`; none given: no floor).
    """
    floor = floor or {}
    out: dict[str, list[str]] = {}
    for tid in dict.fromkeys(r["target"] for r in rows):
        mine = sorted(
            (r for r in rows if r["target"] == tid and math.isfinite(r["mu_star"])),
            key=lambda r: (-r["mu_star"], r["param"]),
        )
        total = sum(r["mu_star"] for r in mine)
        chosen: list[str] = []
        acc = 0.0
        for r in mine:
            if total <= 0 or acc >= cover * total:
                break
            if r["mu_star"] > floor.get(tid, 0.0):
                chosen.append(r["param"])
            acc += r["mu_star"]
        out[tid] = chosen
    return out


def _indices(sc: Screen, X: np.ndarray, Y: np.ndarray) -> list[dict[str, Any]]:
    """One row per target × parameter: μ*, its half-width, σ, μ and μ*'s share."""
    from feedlab.analysis import stats

    rows: list[dict[str, Any]] = []
    names = [p.name for p in sc.params]
    for j, tid in enumerate(sc.targets):
        cols: dict[str, Any] = {tid: Y[:, j]}
        cols.update({n: X[:, k] for k, n in enumerate(names)})
        try:
            res = stats.sensitivity(
                cols,
                tid,
                sc.problem,
                method="morris",
                n=sc.trajectories,
                seed=sc.design_seed,
                num_levels=sc.levels,
            )
        except ValueError as exc:  # a design point without a finite measurement
            res = None
            why = str(exc)
        total = sum(float(res["mu_star"][n]) for n in names) if res else math.nan
        for n in names:
            r: dict[str, Any] = {"target": tid, "param": n}
            for k in ("mu_star", "mu_star_conf", "sigma", "mu"):
                r[k] = float(res[k][n]) if res else math.nan
            r["share"] = r["mu_star"] / total if res and total > 0 else math.nan
            if not res:
                r["note"] = why
            rows.append(r)
    return rows


def run(sc: Screen, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run (or reuse) the screen's runs and compute its indices and selection."""
    from feedlab.analysis import stats

    t0 = time.perf_counter()
    out = sc.spec.out
    created = not out.exists()
    m = Measurer(sc.spec)
    m.runs = _ScreenRuns(sc.spec, screen=sc.as_dict())
    X = stats.morris_design(sc.problem, sc.trajectories, num_levels=sc.levels, seed=sc.design_seed)
    seeds = screen_seeds(sc.base.seed, sc.seeds)
    pts = [Point(tuple(p.override(float(v)) for p, v in zip(sc.params, row)), seeds) for row in X]
    step = len(sc.params) + 1  # one trajectory
    parts = []
    for i in range(0, len(pts), step):
        try:
            parts.append(m.measure(pts[i : i + step], sc.targets))
        except ConfigError:
            clean_new_folder(out, created)
            raise
        if echo:
            el = time.perf_counter() - t0
            done = i + step
            echo(
                f"screen: trajectory {done // step}/{sc.trajectories} | {done}/{len(pts)} points | "
                f"{el:.0f} s elapsed | ETA {(len(pts) - done) * el / done / 60:.1f} min"
            )
    # the noise floor: the targets at the config's own values on noise_seeds fresh seeds
    noise_pt = Point((), screen_seeds(sc.base.seed, sc.noise_seeds, stream=1))
    base = m.measure([noise_pt], sc.targets)[0]  # targets × noise seeds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        Y = np.nanmean(np.concatenate(parts), axis=-1)  # points × targets
        sd = {t: float(np.nanstd(base[j], ddof=1)) for j, t in enumerate(sc.targets)}
    floor = {t: noise_floor(v, sc.levels) for t, v in sd.items()}
    rows = _indices(sc, X, Y)
    for r in rows:
        r["noise_floor"] = floor[r["target"]]
    chosen = select(rows, sc.cover, {t: sc.floor_factor * f for t, f in floor.items()})
    fitted = [t for t in sc.base.targets if t in chosen]
    free = sorted({p for t in fitted for p in chosen[t]}, key=[p.name for p in sc.params].index)
    current = list(sc.base.names)
    return {
        "screen": sc.as_dict(),
        "indices": rows,
        "influential": chosen,
        "free": free,
        "moves": {
            p: [t for t in sc.targets if p in chosen[t]] for p in [x.name for x in sc.params]
        },
        "inert_in_config": [p for p in current if p not in free],
        "noise_sd": sd,
        "noise_floor": floor,
        "default_mean": {t: float(np.nanmean(base[j])) for j, t in enumerate(sc.targets)},
        "design_points": int(X.shape[0]),
        "runs_expected": len(m.runs.expected),
        "runs_simulated_now": len(m.runs.ran),
        "runs_reused": m.runs.reused,
        "cpu_seconds_runs_now": round(m.runs.cpu_seconds, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "response": {t: Y[:, j].tolist() for j, t in enumerate(sc.targets)},
        "design": X.tolist(),
    }


def markdown(res: Mapping[str, Any]) -> str:
    """``screen.md``: μ* (σ) per parameter and target, the influential sets and the choice."""
    sc = res["screen"]
    targets = sc["targets"]
    params = list(sc["params"])
    by = {(r["target"], r["param"]): r for r in res["indices"]}

    def cell(t: str, p: str) -> str:
        r = by[(t, p)]
        if not math.isfinite(r["mu_star"]):
            return "–"
        mark = "**" if p in res["influential"][t] else ""
        return f"{mark}{r['mu_star']:.3g}{mark} ({r['sigma']:.2g})"

    lines = [
        f"# Morris screen of `{sc['config']}`",
        "",
        f"{res['design_points']} design points ({sc['trajectories']} trajectories × "
        f"{len(params) + 1}, {sc['levels']} levels, design seed {sc['design_seed']}) × "
        f"{sc['seeds']} common seed(s); {res['runs_expected']} runs; overrides "
        f"`{' '.join(sc['overrides'])}`. Cells: μ* (σ), in the target's units per full "
        f"range of the parameter; **bold**: influential (among the top μ* covering "
        f"{sc['cover']:.0%} of the target's total, and above {sc['floor_factor']:g} × the "
        "target's noise floor). "
        "Fitted targets are marked *.",
        "",
        "| parameter | range | "
        + " | ".join(t + (" *" if t in sc["fitted"] else "") for t in targets)
        + " |",
        "|---|---|" + "---|" * len(targets),
    ]
    for p in params:
        lo, hi = sc["params"][p]
        lines.append(
            f"| `{p}` | [{lo:g}, {hi:g}] | " + " | ".join(cell(t, p) for t in targets) + " |"
        )
    lines.append(
        f"| noise floor (sd over {sc['noise_seeds']} seeds) | | "
        + " | ".join(f"{res['noise_floor'][t]:.3g} ({res['noise_sd'][t]:.2g})" for t in targets)
        + " |"
    )
    lines += [
        "",
        f"Worth fitting (influential for a fitted target): {', '.join(res['free']) or '(none)'}.",
    ]
    if res["inert_in_config"]:
        lines.append(
            f"Free in `{sc['config']}.yaml` but not influential for any fitted target: "
            f"{', '.join(res['inert_in_config'])}."
        )
    return "\n".join(lines) + "\n"


def write(res: dict[str, Any], out: Path) -> None:
    """``screen.parquet`` (long table), ``screen.md`` and ``screen.json`` into ``out``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from feedlab.experiments.record import canonical_json, write_bytes_atomic, write_json

    rows = res["indices"]
    infl = res["influential"]
    cols = {
        k: [r[k] for r in rows]
        for k in (
            "target",
            "param",
            "mu_star",
            "mu_star_conf",
            "sigma",
            "mu",
            "share",
            "noise_floor",
        )
    }
    cols["influential"] = [r["param"] in infl[r["target"]] for r in rows]
    t = pa.table(cols).replace_schema_metadata({"feedlab.screen": canonical_json(res["screen"])})
    pq.write_table(t, out / "screen.parquet", compression="zstd")
    write_json(out / "screen.json", res)
    write_bytes_atomic(out / "screen.md", markdown(res).encode())
