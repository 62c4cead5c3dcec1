"""A calibration's specification: ``conf/calibration/<name>.yaml`` plus the command line,
checked whole before any run.

Keys of a calibration config (every one required unless marked optional)::

    targets: [tiktok_top25_engagement_slope, ...]   # fitted: ids of the targets library
    hold_out: [guess2023_engagement, ...]           # predicted, never fitted
    overrides: [network.n=1000]                     # appended to every simulation
    params:                                         # free parameters: dotted path -> prior
      dynamics.reaction.like.intercept: {prior: uniform, low: -4.0, high: -1.0}
    smc: {population: 40, generations: 5, quantile: 0.5, seeds: 1, noise_seeds: 4,
          min_acceptance: 0.02, ppc_draws: 16}
    budget: 600          # at most this many parameter sets simulated (pilot and PPC apart)
    seed: 0              # the calibration's random stream (proposals, simulation seeds)
    assumed_sigma: {}    # optional: target id -> sd used when the paper gives no interval
    truth: {}            # optional: param -> value; synthetic targets from the model itself
    truth_seeds: 8       # optional: seeds of the synthetic targets
    screen: {...}        # optional: the sensitivity screen (:mod:`.screen`, --screen)

A target id is a target of the library with a registered measurement
(:mod:`feedlab.analysis.targets.measurements`), or ``metric:<summary metric>`` (a plain
run's summary value), which has no published value and so is allowed only with ``truth``.
A *fitted* library target must be verified and quantitative with an interval (or an
``assumed_sigma``); held-out ones may be directional (their sign is predicted). Parameters
must be numeric leaves of the composed config in the groups of :data:`GROUPS` (those the
generated ``calibrated`` configs can hold), and both corners of the prior box must
validate. Every problem is reported at once in a :class:`ConfigError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from feedlab.experiments.schema import ConfigError

from .launch import Launch
from .priors import Prior, parse_prior

#: Config groups whose numeric leaves may be calibrated (each gets a generated
#: ``conf/<group>/calibrated.yaml``).
GROUPS = ("dynamics", "population", "platform")
#: Where calibration configs live.
CONF_DIR = Path(__file__).resolve().parents[2] / "conf" / "calibration"
#: Prefix of a synthetic-only target: a plain run's summary metric.
METRIC = "metric:"

_TOP = (
    "targets",
    "hold_out",
    "overrides",
    "params",
    "smc",
    "budget",
    "seed",
    "assumed_sigma",
    "truth",
    "truth_seeds",
    "screen",
)
_OPTIONAL = ("assumed_sigma", "truth", "truth_seeds", "screen")
#: smc key -> (minimum, integer?)
_SMC: dict[str, tuple[float, bool]] = {
    "population": (4, True),
    "generations": (1, True),
    "quantile": (0.0, False),
    "seeds": (1, True),
    "noise_seeds": (2, True),
    "min_acceptance": (0.0, False),
    "ppc_draws": (2, True),
}


@dataclass(frozen=True)
class Smc:
    """Settings of the sampler (see :mod:`.smc` and :mod:`.simulate`)."""

    population: int
    generations: int
    quantile: float
    seeds: int
    noise_seeds: int
    min_acceptance: float
    ppc_draws: int


@dataclass(frozen=True)
class Spec:
    """A checked calibration: what is fitted, held out, free, and how it is sampled."""

    name: str
    targets: tuple[str, ...]
    hold_out: tuple[str, ...]
    overrides: tuple[str, ...]
    priors: tuple[Prior, ...]
    smc: Smc
    budget: int
    seed: int
    out: Path
    assumed_sigma: dict[str, float] = field(default_factory=dict)
    truth: dict[str, float] = field(default_factory=dict)
    truth_seeds: int = 8
    jobs: int = 1
    #: The sweep launcher that executes the runs (``--launcher``, :mod:`.launch`); None:
    #: in process. Not part of the specification: results do not depend on it.
    launch: Launch | None = field(default=None, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """The free parameters' dotted paths, in config order."""
        return [p.name for p in self.priors]

    def as_dict(self) -> dict[str, Any]:
        """The specification as recorded in ``calibration.json`` and the manifest."""
        return {
            "config": self.name,
            "targets": list(self.targets),
            "hold_out": list(self.hold_out),
            "overrides": list(self.overrides),
            "params": {p.name: p.describe() for p in self.priors},
            "smc": vars(self.smc),
            "budget": self.budget,
            "seed": self.seed,
            "assumed_sigma": self.assumed_sigma,
            "truth": self.truth,
            "truth_seeds": self.truth_seeds,
        }


def available() -> list[str]:
    """Names of the shipped calibration configs."""
    return sorted(p.stem for p in CONF_DIR.glob("*.yaml"))


def config_path(option: str) -> Path:
    """``calibration=NAME`` (or ``NAME``) → ``conf/calibration/NAME.yaml``; a path to a
    ``.yaml`` file is taken as it is. ConfigError naming the allowed names otherwise.
    """
    name = option.split("=", 1)[1] if option.startswith("calibration=") else option
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_file():
            raise ConfigError([f"--config: {name}: no such file"])
        return path
    if name not in available():
        raise ConfigError(
            [f"--config: calibration={name!r} is not allowed; allowed: {', '.join(available())}"]
        )
    return CONF_DIR / f"{name}.yaml"


def _ids(value: Any, key: str, problems: list[str]) -> tuple[str, ...]:
    """A list of target ids (a comma-separated string is split)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{key}: must be a list of target ids, got {value!r}")
        return ()
    return tuple(value)


def _smc(raw: Any, problems: list[str]) -> Smc | None:
    if not isinstance(raw, Mapping):
        problems.append(f"smc: must be a mapping with keys {', '.join(_SMC)}")
        return None
    vals: dict[str, Any] = {}
    for k, (lo, integer) in _SMC.items():
        v = raw.get(k)
        ok = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not isinstance(v, int | float) or not ok:
            bad = True
        else:
            bad = not math.isfinite(v) or v < lo
        if bad:
            kind = "an integer" if integer else "a number"
            problems.append(f"smc.{k}: must be {kind} >= {lo:g}, got {v!r}")
        vals[k] = v
    if isinstance(vals.get("quantile"), int | float) and not 0 < vals["quantile"] < 1:
        problems.append(f"smc.quantile: must lie in (0, 1), got {vals['quantile']!r}")
    if isinstance(vals.get("min_acceptance"), int | float) and vals["min_acceptance"] >= 1:
        problems.append(f"smc.min_acceptance: must lie in [0, 1), got {vals['min_acceptance']!r}")
    extra = sorted(str(k) for k in raw if k not in _SMC)
    if extra:
        problems.append(f"smc: unknown key(s) {', '.join(extra)}; allowed: {', '.join(_SMC)}")
    return None if any(p.startswith("smc") for p in problems) else Smc(**vals)


def _int(raw: Mapping[str, Any], key: str, lo: int, problems: list[str]) -> int:
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        problems.append(f"{key}: must be an integer >= {lo}, got {v!r}")
        return lo
    return v


def _number_map(raw: Any, key: str, problems: list[str]) -> dict[str, float]:
    if raw is None:
        return {}
    ok = isinstance(raw, Mapping) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in raw.values()
    )
    if not ok:
        problems.append(f"{key}: must be a mapping of names to finite numbers, got {raw!r}")
        return {}
    return {str(k): float(v) for k, v in raw.items()}


def read(path: Path, problems: list[str]) -> dict[str, Any]:
    """The raw mapping of a calibration file, its top-level keys checked."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([f"--config: {path}: {' '.join(str(exc).split())}"]) from None
    if not isinstance(raw, Mapping):
        raise ConfigError([f"--config: {path}: must be a mapping with keys {', '.join(_TOP)}"])
    for k in _TOP:
        if k not in raw and k not in _OPTIONAL:
            problems.append(f"{k}: required field is missing")
    for k in raw:
        if k not in _TOP:
            problems.append(f"{k}: unknown field; allowed: {', '.join(_TOP)}")
    return dict(raw)


def _one_target(key: str, tid: str, spec: Spec, library: Mapping[str, Any]) -> list[str]:
    """The problems of one fitted (``key`` = targets) or held-out target id."""
    from feedlab.analysis.targets.measurements import MEASUREMENTS, NEEDS

    if tid.startswith(METRIC):
        if spec.truth:
            return []
        return [
            f"{key}: {tid}: a summary metric has no published value; allowed only with truth "
            "(synthetic targets)"
        ]
    if tid not in MEASUREMENTS:
        why = f" (needs {NEEDS[tid]})" if tid in NEEDS else ""
        return [
            f"{key}: {tid!r} has no registered measurement{why}; allowed: "
            + ", ".join(sorted(MEASUREMENTS))
            + f", or {METRIC}<summary metric> with truth"
        ]
    if key != "targets" or spec.truth:
        return []
    t = library[tid]
    problems = []
    if not t.verified:
        problems.append(f"targets: {tid}: not verified; an unverified number is never fitted")
    if t.estimate is None:
        problems.append(
            f"targets: {tid}: directional (no estimate); hold it out instead (its sign is "
            "predicted)"
        )
    elif t.interval is None and tid not in spec.assumed_sigma:
        problems.append(
            f"targets: {tid}: no published interval; give assumed_sigma.{tid} (documented as "
            "an assumption) or hold it out"
        )
    return problems


def _target_problems(spec: Spec) -> list[str]:
    """Fitted and held-out targets against the library and the measurement registry."""
    from feedlab.analysis.targets import load_targets

    library = load_targets()
    problems: list[str] = []
    if not spec.targets:
        problems.append("targets: give at least one target to fit")
    both = sorted(set(spec.targets) & set(spec.hold_out))
    if both:
        problems.append(f"hold_out: {', '.join(both)} also fitted; a target is one or the other")
    for key, ids in (("targets", spec.targets), ("hold_out", spec.hold_out)):
        for tid in ids:
            problems += _one_target(key, tid, spec, library)
    problems += [f"assumed_sigma.{t}: must be > 0" for t, v in spec.assumed_sigma.items() if v <= 0]
    return problems


def _priors(
    spec: Spec, raw_params: Mapping[str, Any], allowed: Mapping[str, str], problems: list[str]
) -> list[Prior]:
    """Every ``params`` entry parsed: a numeric leaf of :data:`GROUPS` not set by an override."""
    priors: list[Prior] = []
    if not raw_params:
        problems.append("params: give at least one free parameter")
    for name, pspec in raw_params.items():
        name = str(name)
        if name not in allowed:
            problems.append(
                f"params.{name}: not a numeric parameter of the groups {', '.join(GROUPS)}; "
                "allowed: " + ", ".join(sorted(allowed))
            )
        elif any(o.lstrip("+~").split("=", 1)[0] == name for o in spec.overrides):
            problems.append(f"params.{name}: also set by an override; drop one")
        else:
            p = parse_prior(name, pspec, problems, integer=allowed[name] == "int")
            if p is not None:
                priors.append(p)
    return priors


def _truth_problems(spec: Spec, names: Sequence[str], priors: Sequence[Prior]) -> list[str]:
    """``truth`` names every free parameter, each inside its prior."""
    if not spec.truth:
        return []
    problems = [
        f"truth.{n}: not a free parameter; allowed: {', '.join(names)}"
        for n in spec.truth
        if n not in names
    ]
    problems += [
        f"truth.{p.name}: {spec.truth[p.name]:g} lies outside the prior [{p.low:g}, {p.high:g}]"
        for p in priors
        if p.name in spec.truth and not p.low <= spec.truth[p.name] <= p.high
    ]
    missing = [n for n in names if n not in spec.truth]
    if missing:
        problems.append(
            f"truth: give a value for every free parameter; missing: {', '.join(missing)}"
        )
    return problems


def _param_problems(spec: Spec, raw_params: Mapping[str, Any]) -> tuple[list[Prior], list[str]]:
    """Priors parsed and checked against the composed base config (numeric leaves of
    :data:`GROUPS`, not set by an override) and the prior box's corners validated.
    """
    from feedlab.analysis.sensitivity import numeric_params
    from feedlab.experiments.config import validate
    from feedlab.experiments.run import compose

    bad = [
        o for o in spec.overrides if "hydra" in o.split("=", 1)[0] or o.startswith(("-", "seed="))
    ]
    if bad:
        return [], [
            f"overrides: {', '.join(bad)}: refused; the calibration sets seeds itself and "
            "gives config values only"
        ]
    base = compose(list(spec.overrides))
    validate(base)
    allowed = {k: v for k, v in numeric_params(base).items() if k.split(".")[0] in GROUPS}
    problems: list[str] = []
    priors = _priors(spec, raw_params, allowed, problems)
    problems += _truth_problems(spec, [str(n) for n in raw_params], priors)
    if problems:
        return priors, problems
    for corner in ("low", "high"):
        ov = [*spec.overrides, *(p.override(getattr(p, corner)) for p in priors)]
        try:
            validate(compose(ov))
        except ConfigError as exc:
            problems.extend(f"params: {corner} corner of the prior box: {x}" for x in exc.problems)
    return priors, problems


def load(
    config: str = "calibration=default",
    *,
    targets: Sequence[str] | None = None,
    hold_out: Sequence[str] | None = None,
    budget: int | None = None,
    seed: int | None = None,
    out: Path | str | None = None,
    jobs: int = 1,
    truth: Mapping[str, float] | None = None,
    overrides: Sequence[str] = (),
) -> Spec:
    """The checked :class:`Spec` of ``config`` with the command line's replacements
    (``overrides`` are appended to the config's). Raises ConfigError with every problem
    before anything is written.
    """
    path = config_path(config)
    problems: list[str] = []
    raw = read(path, problems)
    smc = _smc(raw.get("smc"), problems)
    tgt = _ids(targets if targets is not None else raw.get("targets", []), "targets", problems)
    held = _ids(
        hold_out if hold_out is not None else raw.get("hold_out") or [], "hold_out", problems
    )
    ov = raw.get("overrides") or []
    if not isinstance(ov, list) or not all(isinstance(o, str) for o in ov):
        problems.append(f"overrides: must be a list of strings, got {ov!r}")
        ov = []
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        problems.append("params: must be a mapping of dotted config paths to priors")
        params = {}
    b = budget if budget is not None else _int(raw, "budget", 1, problems)
    s = seed if seed is not None else _int(raw, "seed", 0, problems)
    if b < 1:
        problems.append(f"--budget: {b} is out of range; allowed: >= 1")
    if s < 0:
        problems.append(f"--seed: {s} is out of range; allowed: >= 0")
    if smc is not None and b < smc.population:
        problems.append(
            f"--budget: {b} is below one generation; allowed: >= smc.population ({smc.population})"
        )
    if jobs < 1:
        problems.append(f"--jobs: {jobs} is out of range; allowed: >= 1")
    truth_map = dict(truth) if truth else _number_map(raw.get("truth"), "truth", problems)
    truth_seeds = _int(raw, "truth_seeds", 2, problems) if "truth_seeds" in raw else 8
    if problems or smc is None:
        raise ConfigError(problems)
    spec = Spec(
        name=path.stem,
        targets=tgt,
        hold_out=held,
        overrides=(*ov, *overrides),
        priors=(),
        smc=smc,
        budget=b,
        seed=s,
        out=Path(out) if out is not None else Path("outputs") / "calibration" / path.stem,
        assumed_sigma=_number_map(raw.get("assumed_sigma"), "assumed_sigma", problems),
        truth=truth_map,
        truth_seeds=truth_seeds,
        jobs=jobs,
    )
    problems += _target_problems(spec)
    try:
        priors, more = _param_problems(spec, params)
    except ConfigError as exc:
        raise ConfigError([*problems, *(f"overrides: {p}" for p in exc.problems)]) from None
    problems += more
    if problems:
        raise ConfigError(problems)
    return replace(spec, priors=tuple(priors))
