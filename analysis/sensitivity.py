r"""``feedlab sensitivity``: which parameters move a metric — Morris screening or Sobol' indices.

    feedlab sensitivity --param dynamics.opinion.backfire_rate=0.0:0.2 \
        --param ranking.weights.comment=1:30 --metric opinion_variance \
        [--method morris|sobol] [--trajectories 10] [--levels 4] [--n 8] \
        [--seeds 1] [--design-seed 0] [--out DIR] [OVERRIDE ...]

1. **Check everything first.** The overrides compose and validate like ``feedlab run``'s;
   every ``--param`` must name a numeric parameter of the composed config (the schema's
   leaf fields of the chosen units, e.g. ``ranking.weights.comment`` only when the
   ranking is an engagement policy) — otherwise a clean error lists the allowed names —
   and the low and high corners of the box must validate too. Exit code 2, nothing on disk.
2. **Design.** Morris one-at-a-time trajectories (Morris 1991, with Campolongo et al.
   2007's mu*) — ``trajectories·(D+1)`` points on a ``levels`` grid — or Saltelli's
   extension of a Sobol' sequence for first-order and total Sobol' indices (Saltelli et
   al. 2010) — ``n·(D+2)`` points, ``n`` a power of two. Designs come from
   :func:`feedlab.analysis.stats.morris_design` / :func:`~feedlab.analysis.stats.sobol_design`
   with a fixed ``--design-seed``; integer parameters are rounded.
3. **Runs.** Every design point × seed (``seed`` of the config, then the next ``--seeds - 1``
   integers) is an ordinary run through :func:`feedlab.experiments.run.run_experiment`,
   written to ``OUT/runs/<run key>/`` with a ``OUT/sweep.json`` manifest, so the folder is a
   sweep: ``feedlab verify``, ``feedlab aggregate`` and ``feedlab query`` read it, and a
   re-run (after an interruption, or with more metrics) skips the complete runs.
4. **Indices.** :func:`feedlab.analysis.stats.sensitivity` (SALib) on the summary
   ``--metric``, replicates at one point averaged: Morris ``mu``, ``mu_star``, ``sigma``,
   ``mu_star_conf``; Sobol' ``S1``, ``ST`` and their bootstrap half-widths.
5. **Outputs** in ``OUT``: ``sensitivity.parquet`` (one row per parameter, ranked),
   ``sensitivity.md`` (the same table), ``sensitivity.png``/``.pdf`` (mu* against sigma
   for Morris; S1 and ST bars for Sobol'), ``sensitivity.json`` (spec and indices); the
   ranking is printed.

How to read Morris: mu* large = influential; sigma large relative to mu* = non-linear or
interacting; a parameter that cannot affect the metric has mu* = sigma = 0 exactly (the
runs are bit-identical). Sobol': S1 = share of the metric's variance explained by the
parameter alone, ST = including its interactions; ST ≈ 0 = negligible.

References: Morris, M. D. (1991). Technometrics 33(2), 161–174. Campolongo, F., Cariboni,
J. & Saltelli, A. (2007). Environmental Modelling & Software 22(10), 1509–1518.
Saltelli, A. et al. (2010). Computer Physics Communications 181(2), 259–270.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from feedlab.experiments.schema import ConfigError

METHODS = ("morris", "sobol")


class RunFailed(RuntimeError):
    """A design point's run raised (exit code 1; the runs already complete are kept)."""


@dataclass(frozen=True)
class ParamRange:
    """One ``--param NAME=LOW:HIGH``."""

    name: str
    low: float
    high: float
    integer: bool = False


@dataclass
class Plan:
    """A checked sensitivity analysis: design, runs (overrides and keys) and outputs."""

    params: list[ParamRange]
    metric: str
    method: str
    size: int  # trajectories (Morris) or n (Sobol')
    levels: int
    design_seed: int
    seeds: list[int]
    overrides: list[str]
    out: Path
    X: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    jobs: list[tuple[list[str], dict[str, Any], str, int]] = field(default_factory=list)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem: parameter names, bounds and which are integers."""
        return {
            "names": [p.name for p in self.params],
            "bounds": [[p.low, p.high] for p in self.params],
            "integer": [p.name for p in self.params if p.integer],
        }

    def spec(self) -> dict[str, Any]:
        """The analysis as recorded in ``sensitivity.json``, the Parquet metadata and the sweep
        manifest.
        """
        return {
            "method": self.method,
            "metric": self.metric,
            "params": [vars(p) for p in self.params],
            "size": self.size,
            "levels": self.levels,
            "design_seed": self.design_seed,
            "seeds": self.seeds,
            "overrides": self.overrides,
            "design_points": int(self.X.shape[0]),
            "runs": len(self.jobs),
        }


def parse_param(text: str) -> tuple[str, float, float]:
    """``NAME=LOW:HIGH`` → (name, low, high); ConfigError otherwise."""
    name, sep, rng = text.partition("=")
    lo, sep2, hi = rng.partition(":")
    try:
        if not (sep and sep2 and name.strip()):
            raise ValueError
        low, high = float(lo), float(hi)
    except ValueError:
        raise ConfigError(
            [f"--param {text!r}: expected NAME=LOW:HIGH, e.g. dynamics.opinion.backfire_rate=0:0.2"]
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ConfigError([f"--param {text!r}: needs finite LOW < HIGH"])
    return name.strip(), low, high


def numeric_params(cfg: Mapping[str, Any]) -> dict[str, str]:
    """The numeric leaf parameters of a composed config and their schema types
    (``int``/``float``): top-level and dataclass groups from the schema, unit groups from
    the chosen unit's fields (:mod:`feedlab.experiments.params`). ``seed`` is excluded (the
    seeds are the replicates).
    """
    from feedlab.experiments import params as P

    out: dict[str, str] = {}
    for g in P.GROUPS:
        if g in ("output", "limits"):
            continue  # not part of a run's results
        sections = P.group_params(g, cfg)
        if g in P.UNIT_GROUPS:
            chosen = (cfg.get(g) or {}).get("name")
            sections = {k: v for k, v in sections.items() if k.split()[0] == f"{g}.name={chosen}"}
        for rows in sections.values():
            for p in rows:
                if p.type in ("int", "float") and p.path != "seed" and "[]" not in p.path:
                    out[p.path] = p.type
    return out


def _check_hydra_free(overrides: Sequence[str]) -> None:
    bad = [o for o in overrides if "hydra" in o.split("=", 1)[0] or o.startswith("-")]
    if bad:
        raise ConfigError(
            [
                f"overrides: {', '.join(bad)}: refused; give config values only "
                "(the analysis runs each design point itself)"
            ]
        )


def _option_problems(
    method: str,
    param_specs: Sequence[str],
    metric: str,
    trajectories: int,
    n: int,
    levels: int,
    seeds: int,
    design_seed: int,
) -> list[str]:
    """The problems with the command-line options themselves (method, design sizes, seeds),
    in the order ``feedlab sensitivity`` reports them.
    """
    problems: list[str] = []
    if method not in METHODS:
        problems.append(f"--method: {method!r} is not allowed; allowed: {', '.join(METHODS)}")
    if not param_specs:
        problems.append("--param: give at least one NAME=LOW:HIGH")
    if not metric:
        problems.append("--metric: give a summary metric, e.g. opinion_variance")
    if method == "morris" and trajectories < 2:
        problems.append(f"--trajectories: {trajectories} is out of range; allowed: >= 2")
    if method == "sobol" and (n < 2 or n & (n - 1)):
        problems.append(f"--n: {n} is not allowed; allowed: a power of two >= 2")
    if levels < 2 or levels % 2:
        problems.append(f"--levels: {levels} is not allowed; allowed: an even number >= 2")
    if seeds < 1:
        problems.append(f"--seeds: {seeds} is out of range; allowed: >= 1")
    if design_seed < 0:
        problems.append(f"--design-seed: {design_seed} is out of range; allowed: >= 0")
    return problems


def _parse_params(
    param_specs: Sequence[str], problems: list[str]
) -> list[tuple[str, float, float]]:
    """Parse every ``--param`` (appending each malformed one, then any name given twice, to
    ``problems``) and return the well-formed ones.
    """
    parsed = []
    for s in param_specs:
        try:
            parsed.append(parse_param(s))
        except ConfigError as exc:
            problems.extend(exc.problems)
    names = [p[0] for p in parsed]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        problems.append(f"--param: {', '.join(dup)} given more than once")
    return parsed


def _override_problems(names: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """Overrides that touch Hydra itself, and parameters that an override also sets (the
    design would silently lose to the override).
    """
    problems: list[str] = []
    try:
        _check_hydra_free(overrides)
    except ConfigError as exc:
        problems.extend(exc.problems)
    clash = [nm for nm in names if any(o.lstrip("+~").split("=", 1)[0] == nm for o in overrides)]
    if clash:
        problems.append(f"--param {', '.join(clash)}: also set by an override; drop one")
    return problems


def _unknown_param_problem(name: str, allowed: Mapping[str, str], base: Mapping[str, Any]) -> str:
    """The error for a ``--param`` that is not a numeric parameter of the composed config,
    with a hint when it names a field of a unit group other than the chosen unit.
    """
    group = name.split(".", 1)[0]
    hint = ""
    if group in ("network", "ranking", "influencer", "event"):
        chosen = (base.get(group) or {}).get("name")
        hint = (
            f" ({group}.* names are the fields of the chosen unit, here "
            f"{group}.name={chosen}; pick another with the override {group}=<preset>; "
            f"see feedlab params {group})"
        )
    return f"--param {name}: not a numeric parameter of this config{hint}; allowed: " + ", ".join(
        sorted(allowed)
    )


def _param_range(
    name: str, lo: float, hi: float, kind: str, *, levels: int, method: str
) -> ParamRange | str:
    """The box side of one parameter, or the problem with it. Integer parameters are
    narrowed to the integers inside ``[lo, hi]``; a Morris grid needs ``levels`` of them.
    """
    integer = kind == "int"
    if integer:
        lo, hi = float(math.ceil(lo)), float(math.floor(hi))
        if hi - lo < levels - 1 and method == "morris":
            return (
                f"--param {name}: an integer range needs at least --levels ({levels}) "
                f"values; got [{lo:g}, {hi:g}]"
            )
        if not lo < hi:
            return f"--param {name}: no two integers in the range"
    return ParamRange(name, lo, hi, integer)


def _fmt(p: ParamRange, v: float) -> str:
    """The override that sets parameter ``p`` to ``v`` (rounded for an integer one)."""
    return f"{p.name}={round(v)}" if p.integer else f"{p.name}={float(v)!r}"


def _corner_problems(overrides: Sequence[str], ranges: Sequence[ParamRange]) -> list[str]:
    """Validate the box's low and high corners as configs: a corner that breaks a
    constraint between fields is caught before any run.
    """
    from feedlab.experiments.config import validate
    from feedlab.experiments.run import compose

    problems: list[str] = []
    for corner in ("low", "high"):
        ov = [*overrides, *(_fmt(p, getattr(p, corner)) for p in ranges)]
        try:
            validate(compose(ov))
        except ConfigError as exc:
            problems.extend(f"{corner} corner: {p}" for p in exc.problems)
    return problems


def _add_design(p: Plan, trajectories: int, n: int) -> None:
    """Fill ``p.X`` with the Morris or Saltelli design and ``p.jobs`` with one run per design
    point and seed (overrides, composed config, run key, design row).
    """
    from feedlab.analysis import stats
    from feedlab.experiments.record import run_key
    from feedlab.experiments.run import compose

    if p.method == "morris":
        p.X = stats.morris_design(p.problem, trajectories, num_levels=p.levels, seed=p.design_seed)
    else:
        p.X = stats.sobol_design(p.problem, n, seed=p.design_seed)
    fixed = [f"output.dir={p.out}", "output.quiet=true", "output.progress=false"]
    for row, point in enumerate(stats.design_overrides(p.problem, p.X)):
        for seed in p.seeds:
            ov = [*p.overrides, *point, f"seed={seed}"]
            data = compose([*ov, *fixed])
            p.jobs.append((ov, data, run_key(data), row))


def plan(
    param_specs: Sequence[str],
    metric: str,
    *,
    method: str = "morris",
    trajectories: int = 10,
    n: int = 8,
    levels: int = 4,
    seeds: int = 1,
    design_seed: int = 0,
    overrides: Sequence[str] = (),
    out: Path | str | None = None,
) -> Plan:
    """Check the whole analysis and build its design and runs; raises ConfigError (with
    every problem) before anything is written.

    Three rounds of checks, each reporting all its problems at once: the options and the
    ``--param`` syntax; then, against the composed config, that every parameter is numeric
    (:func:`numeric_params`); then that the box's corners validate.
    """
    from feedlab.experiments.config import validate
    from feedlab.experiments.run import compose

    problems = _option_problems(
        method, param_specs, metric, trajectories, n, levels, seeds, design_seed
    )
    parsed = _parse_params(param_specs, problems)
    overrides = list(overrides)
    problems.extend(_override_problems([p[0] for p in parsed], overrides))
    if problems:
        raise ConfigError(problems)

    try:
        base = compose(overrides)
    except Exception as exc:  # Hydra cannot compose (unknown key, bad option)
        raise ConfigError([f"overrides: {' '.join(str(exc).split())}"]) from None
    run, _ = validate(base)
    allowed = numeric_params(base)
    ranges = []
    for name, lo, hi in parsed:
        if name not in allowed:
            problems.append(_unknown_param_problem(name, allowed, base))
            continue
        r = _param_range(name, lo, hi, allowed[name], levels=levels, method=method)
        if isinstance(r, str):
            problems.append(r)
        else:
            ranges.append(r)
    if problems:
        raise ConfigError(problems)

    problems = _corner_problems(overrides, ranges)
    if problems:
        raise ConfigError(problems)

    out_dir = Path(out) if out is not None else Path(run.output.dir) / "sensitivity"
    p = Plan(
        params=ranges,
        metric=metric,
        method=method,
        size=trajectories if method == "morris" else n,
        levels=levels,
        design_seed=design_seed,
        seeds=[run.seed + i for i in range(seeds)],
        overrides=overrides,
        out=out_dir,
    )
    _add_design(p, trajectories, n)
    return p


def _manifest(p: Plan) -> dict[str, Any]:
    from feedlab import __version__
    from feedlab.experiments.sweep import FORMAT, RUNS

    expected: dict[str, dict[str, Any]] = {}
    for i, (ov, _, key, _) in enumerate(p.jobs):
        expected.setdefault(key, {"key": key, "overrides": ov, "jobs": []})["jobs"].append(i)
    return {
        "format": FORMAT,
        "feedlab_version": __version__,
        "runs_dir": RUNS,
        "sweep_overrides": p.overrides,
        "launcher": "feedlab sensitivity (in process)",
        "n_jobs": len(p.jobs),
        "n_expected": len(expected),
        "expected": list(expected.values()),
        "sensitivity": p.spec(),
    }


def execute(p: Plan, *, progress: bool = True) -> dict[str, Any]:
    """Run (or reuse) every run of the plan, compute the indices and write the outputs.
    Returns the result of :func:`feedlab.analysis.stats.sensitivity` plus ``table`` rows.
    """
    from feedlab.analysis import stats
    from feedlab.experiments.record import write_json
    from feedlab.experiments.run import run_experiment
    from feedlab.experiments.sweep import write_manifest

    created = not p.out.exists()
    p.out.mkdir(parents=True, exist_ok=True)
    write_manifest(p.out, _manifest(p))
    values: list[float] = []
    rows: list[int] = []
    for i, (ov, data, key, row) in enumerate(p.jobs):
        try:
            res = run_experiment(data, overrides=ov)
        except ConfigError:
            raise
        except Exception as exc:  # a run that crashed: stop, the complete ones are kept
            raise RunFailed(
                f"run {i + 1}/{len(p.jobs)} ({key}: {' '.join(ov)}) failed: "
                f"{type(exc).__name__}: {exc}; the {i} runs before it are complete and "
                "are reused when the same command is run again"
            ) from exc
        v = res.summary.get(p.metric, "absent")
        if i == 0 and (v == "absent" or not isinstance(v, int | float | None)):
            numeric = sorted(k for k, x in res.summary.items() if isinstance(x, int | float))
            if created:
                shutil.rmtree(p.out, ignore_errors=True)
            raise ConfigError(
                [
                    f"--metric {p.metric}: not a numeric summary metric; allowed: {', '.join(numeric)}"
                ]
            )
        values.append(float("nan") if v is None else float(v))
        rows.append(row)
        if progress:
            state = "reused" if res.skipped else "ran"
            print(f"  run {i + 1}/{len(p.jobs)} {state} {res.key}", file=sys.stderr)
    columns: dict[str, Any] = {p.metric: np.asarray(values)}
    for j, prm in enumerate(p.params):
        columns[prm.name] = p.X[np.asarray(rows), j]
    result = stats.sensitivity(
        columns,
        p.metric,
        p.problem,
        method=p.method,
        n=p.size,
        seed=p.design_seed,
        num_levels=p.levels,
    )
    table = ranking_table(p, result)
    result["table"] = table
    _write_outputs(p, result, table)
    write_json(p.out / "sensitivity.json", {"spec": p.spec(), "result": result})
    return result


def ranking_table(p: Plan, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per parameter, most influential first (mu* for Morris, ST for Sobol')."""
    keys = (
        ["mu_star", "mu_star_conf", "sigma", "mu"]
        if p.method == "morris"
        else ["ST", "ST_conf", "S1", "S1_conf"]
    )
    rows = []
    for prm in p.params:
        r: dict[str, Any] = {
            "param": prm.name,
            "low": prm.low,
            "high": prm.high,
            "integer": prm.integer,
        }
        r.update({k: float(result[k][prm.name]) for k in keys})
        rows.append(r)
    lead = keys[0]
    rows.sort(key=lambda r: (-(r[lead] if np.isfinite(r[lead]) else -np.inf), r["param"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def markdown(p: Plan, table: Sequence[Mapping[str, Any]]) -> str:
    """``sensitivity.md``: the design in one paragraph, then the ranked table."""
    cols = [k for k in table[0] if k not in ("integer",)]
    head = (
        f"# Sensitivity of `{p.metric}` ({'Morris screening' if p.method == 'morris' else 'Sobol indices'})\n\n"
        f"{len(p.jobs)} runs: {p.X.shape[0]} design points × {len(p.seeds)} seed(s) "
        f"{p.seeds}; design seed {p.design_seed}; overrides: "
        f"{' '.join(p.overrides) or '(none)'}.\n\n"
    )
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in table:
        cells = [f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def _write_outputs(p: Plan, result: Mapping[str, Any], table: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from feedlab.analysis.figures import style
    from feedlab.experiments.record import canonical_json, write_bytes_atomic

    t = pa.table({k: [r[k] for r in table] for k in table[0]})
    t = t.replace_schema_metadata({"feedlab.sensitivity": canonical_json(p.spec())})
    tmp = p.out / ".sensitivity.parquet.tmp"
    pq.write_table(t, tmp, compression="zstd")
    tmp.replace(p.out / "sensitivity.parquet")
    write_bytes_atomic(p.out / "sensitivity.md", markdown(p, table).encode())

    names = [r["param"] for r in table]
    with style.rc():
        fig = style.figure(style.COLUMN * 1.4, 3.2)
        ax = fig.add_subplot()
        if p.method == "morris":
            ms = np.array([r["mu_star"] for r in table])
            sg = np.array([r["sigma"] for r in table])
            ci = np.array([r["mu_star_conf"] for r in table])
            ax.errorbar(ms, sg, xerr=ci, fmt="o", color=style.CYCLE[0])
            for x, y, nm in zip(ms, sg, names):
                ax.annotate(nm, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
            top = float(np.nanmax(np.concatenate([ms + ci, sg]))) if len(ms) else 1.0
            ax.plot([0, top], [0, top], ls=":", color=style.GREY, lw=0.8)
            ax.set(
                xlabel=f"μ* (mean |elementary effect| on {p.metric})",
                ylabel="σ (sd of elementary effects)",
                title=f"Morris screening, {p.size} trajectories",
            )
        else:
            y = np.arange(len(names))
            for k, (key, off) in enumerate((("S1", -0.2), ("ST", 0.2))):
                vals = np.array([r[key] for r in table])
                err = np.array([r[f"{key}_conf"] for r in table])
                ax.barh(y + off, vals, height=0.38, xerr=err, color=style.CYCLE[k], label=key)
            ax.set_yticks(y, names)
            ax.invert_yaxis()
            ax.legend()
            ax.set(xlabel=f"Sobol' index of {p.metric}", title=f"Sobol' indices, n = {p.size}")
        from feedlab import __version__

        style.save(
            fig,
            p.out,
            "sensitivity",
            {
                "figure": "sensitivity",
                "title": f"Sensitivity of {p.metric} ({p.method})",
                "caption": markdown(p, table).splitlines()[2],
                "config_hashes": sorted({k for _, _, k, _ in p.jobs}),
                "seeds": p.seeds,
                "feedlab_version": __version__,
            },
        )


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab sensitivity``: exit code 0; 2 for a bad option or config, or without
    SALib; 1 when a run fails.
    """
    ap = argparse.ArgumentParser(
        prog="feedlab sensitivity",
        description="Morris screening (default) or Sobol' indices of a summary metric over "
        "chosen numeric parameters; every design point is an ordinary run (docs/sweeps.md).",
    )
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH",
        help="a parameter and its range (repeat); names as in `feedlab params`",
    )
    ap.add_argument("--metric", default="", help="summary metric, e.g. opinion_variance")
    ap.add_argument("--method", default="morris", help="morris (default) or sobol")
    ap.add_argument("--trajectories", type=int, default=10, help="Morris trajectories (10)")
    ap.add_argument("--levels", type=int, default=4, help="Morris grid levels (even; 4)")
    ap.add_argument("--n", type=int, default=8, help="Sobol' base sample, a power of two (8)")
    ap.add_argument("--seeds", type=int, default=1, help="replicate seeds per point (1)")
    ap.add_argument("--design-seed", type=int, default=0, help="seed of the design (0)")
    ap.add_argument("--out", type=Path, help="output folder (default <output.dir>/sensitivity)")
    ap.add_argument("--quiet", "-q", action="store_true", help="print only the ranking")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides of the base config")
    args = ap.parse_args(list(argv or []))
    try:
        from feedlab.analysis.stats import _salib

        _salib()
    except ImportError as exc:
        print(f"feedlab sensitivity: {exc}", file=sys.stderr)
        return 2
    try:
        p = plan(
            args.param,
            args.metric,
            method=args.method,
            trajectories=args.trajectories,
            n=args.n,
            levels=args.levels,
            seeds=args.seeds,
            design_seed=args.design_seed,
            overrides=args.overrides,
            out=args.out,
        )
        if not args.quiet:
            print(
                f"feedlab sensitivity: {p.method}, {p.X.shape[0]} design points × "
                f"{len(p.seeds)} seed(s) = {len(p.jobs)} runs -> {p.out}",
                file=sys.stderr,
            )
        result = execute(p, progress=not args.quiet)
    except ConfigError as exc:
        print(f"feedlab sensitivity: {exc}", file=sys.stderr)
        return 2
    except (RunFailed, ValueError) as exc:  # ValueError: stats found no usable design
        print(f"feedlab sensitivity: {exc}", file=sys.stderr)
        return 1
    lead = "mu_star" if p.method == "morris" else "ST"
    print(f"ranking of parameters by {lead} ({p.metric}):")
    for r in result["table"]:
        extra = (
            f"mu*={r['mu_star']:.4g} ± {r['mu_star_conf']:.2g}  sigma={r['sigma']:.4g}"
            if p.method == "morris"
            else f"ST={r['ST']:.3g} ± {r['ST_conf']:.2g}  S1={r['S1']:.3g} ± {r['S1_conf']:.2g}"
        )
        print(f"  {r['rank']:2d}. {r['param']:40s} {extra}")
    print(f"wrote {p.out}/sensitivity.{{parquet,md,png,pdf,json}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
