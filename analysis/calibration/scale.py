"""``feedlab calibrate --scale-check N1,N2``: whether calibrated parameters hold at other sizes.

A calibration fits parameters at one network size (its ``overrides``, e.g.
``network.n=1000``). Whether they give the same target values at N = 10⁴ and 10⁵ is an
empirical question: per-user rates (engagement per user, cross-cutting shares) need not
drift, tail quantities (the engagement-rate slope over the top 3 decades of audience size)
may. The check measures every target of the calibration (fitted and held out) at each size
of ``N1,N2,...`` under the **default** parameters and under the **calibrated** ones (the
posterior medians of ``OUT/calibration.json``), on ``--scale-seeds`` seeds, every
simulation an ordinary run of the sweep folder ``OUT/scale/`` (resumable, ``feedlab
verify``-able). It reports, per target and size, the mean and sd over seeds, the observed
value, z = (mean − observed) / √(σ² + sd²/k), and the drift of the calibrated mean from
the smallest size in units of its seed sd.
"""

from __future__ import annotations

import json
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
from .simulate import Measurer, Point, Runs

#: Spawn key of the scale check's run seeds (after the screen's, 5).
SCALE_STREAM = 6
ARMS = ("default", "calibrated")


@dataclass(frozen=True)
class ScaleCheck:
    """A checked scale check: the calibration, its posterior medians, the sizes."""

    spec: S.Spec  # the calibration (its ``out`` holds calibration.json)
    sizes: tuple[int, ...]
    seeds: int
    calibrated: dict[str, float]
    observations: dict[str, dict[str, Any]]

    @property
    def folder(self) -> Path:
        """The check's own sweep folder."""
        return self.spec.out / "scale"


def scale_seeds(seed: int, n: int) -> list[int]:
    """The run seeds of every size and arm (common random numbers)."""
    ss = np.random.SeedSequence(seed, spawn_key=(SCALE_STREAM,))
    return [int(x) & 0x7FFFFFFF for x in ss.generate_state(n)]


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"1000,10000"`` → (1000, 10000); ConfigError naming the option otherwise."""
    try:
        sizes = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        sizes = ()
    if not sizes or any(n < 10 for n in sizes):
        raise ConfigError(
            [
                f"--scale-check: {text!r}: expected network sizes >= 10, comma-separated, e.g. 10000,100000"
            ]
        )
    return tuple(dict.fromkeys(sizes))


def load(
    config: str,
    sizes: str,
    *,
    seeds: int = 3,
    out: Path | str | None = None,
    jobs: int = 1,
    overrides: Sequence[str] = (),
) -> ScaleCheck:
    """The checked :class:`ScaleCheck`; ConfigError before any run (no calibration.json,
    bad sizes or seeds).
    """
    problems: list[str] = []
    try:
        ns = parse_sizes(sizes)
    except ConfigError as exc:
        problems += exc.problems
        ns = ()
    if seeds < 2:
        problems.append(f"--scale-seeds: {seeds} is out of range; allowed: >= 2")
    spec = S.load(config, out=out, jobs=jobs, overrides=overrides)
    path = spec.out / "calibration.json"
    if not path.is_file():
        problems.append(
            f"--scale-check: {path} not found; run the calibration first "
            f"(feedlab calibrate --config {config}{' --out ' + str(out) if out else ''})"
        )
    if problems:
        raise ConfigError(problems)
    summary = json.loads(path.read_text())
    med = {r["param"]: float(r["median"]) for r in summary["marginals"]}
    missing = [n for n in spec.names if n not in med]
    if missing:
        raise ConfigError(
            [f"--scale-check: {path} has no posterior for {', '.join(missing)} (another config?)"]
        )
    obs = {o["target"]: o for o in summary["observations"]}
    return ScaleCheck(spec, ns, seeds, {n: med[n] for n in spec.names}, obs)


@dataclass
class _ScaleRuns(Runs):
    check: dict[str, Any] | None = None

    def manifest(self) -> dict[str, Any]:
        """``sweep.json`` naming the check."""
        m = super().manifest()
        m["launcher"] = f"feedlab calibrate --scale-check ({self.how})"
        m["scale_check"] = self.check
        return m


def _nan_stats(v: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(v)), float(np.nanstd(v, ddof=1))


def _scaled_capacity(overrides: Sequence[str], n: int) -> tuple[str, ...]:
    """A fixed ``platform.post_capacity`` among the calibration's overrides, scaled to
    ``n`` users (the same slots per user as at the calibration's ``network.n``): the post
    buffer decides when originals are evicted (models/posts.py), so keeping its size per
    user keeps the setting the parameters were fitted in; empty when there is none.
    """
    vals = dict(o.partition("=")[::2] for o in overrides)
    cap, n0 = vals.get("platform.post_capacity"), vals.get("network.n")
    if not cap or not n0 or int(cap) == 0:
        return ()
    return (f"platform.post_capacity={max(1, round(int(cap) * n / int(n0)))}",)


def run(chk: ScaleCheck, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure every target at every size under both parameter sets."""
    t0 = time.perf_counter()
    spec = replace(chk.spec, out=chk.folder)
    targets = [*spec.targets, *spec.hold_out]
    seeds = scale_seeds(spec.seed, chk.seeds)
    cal = tuple(p.override(chk.calibrated[p.name]) for p in spec.priors)
    desc = {
        "config": spec.name,
        "sizes": list(chk.sizes),
        "seeds": seeds,
        "calibrated": chk.calibrated,
        "overrides": list(spec.overrides),
    }
    m = Measurer(spec)
    m.runs = _ScaleRuns(spec, check=desc)
    rows: list[dict[str, Any]] = []
    for n in chk.sizes:
        if echo:
            echo(f"scale-check: N = {n}, {len(ARMS)} arms × {len(seeds)} seeds ...")
        size = (f"network.n={n}", *_scaled_capacity(spec.overrides, n))
        pts = [Point(size, seeds), Point((*cal, *size), seeds)]
        vals = m.measure(pts, targets)
        for a, arm in enumerate(ARMS):
            for j, tid in enumerate(targets):
                mean, sd = _nan_stats(vals[a, j])
                o = chk.observations.get(tid, {})
                y, sig = o.get("estimate"), o.get("sigma")
                z = math.nan
                if y is not None and sig is not None and math.isfinite(sig):
                    z = (mean - y) / math.sqrt(
                        sig**2 + (sd if math.isfinite(sd) else 0) ** 2 / len(seeds)
                    )
                rows.append(
                    {
                        "target": tid,
                        "role": "fitted" if tid in spec.targets else "held out",
                        "n": n,
                        "arm": arm,
                        "mean": mean,
                        "sd": sd,
                        "observed": y,
                        "z": z,
                        "values": vals[a, j].tolist(),
                    }
                )
    base = {(r["target"], r["arm"]): r for r in rows if r["n"] == chk.sizes[0]}
    for r in rows:
        b = base[(r["target"], r["arm"])]
        r["drift_sd"] = (r["mean"] - b["mean"]) / b["sd"] if b["sd"] > 0 else math.nan
    return {
        "check": desc,
        "rows": rows,
        "runs_expected": len(m.runs.expected),
        "runs_simulated_now": len(m.runs.ran),
        "runs_reused": m.runs.reused,
        "cpu_seconds_runs_now": round(m.runs.cpu_seconds, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }


def markdown(res: Mapping[str, Any]) -> str:
    """``scale.md``: per target and size, default and calibrated means, z and drift."""

    def f(x: Any) -> str:
        return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"

    c = res["check"]
    lines = [
        f"# Scale check of `{c['config']}`",
        "",
        f"Sizes {', '.join(map(str, c['sizes']))}; seeds {c['seeds']}; calibrated: "
        + ", ".join(f"{k} = {v:.4g}" for k, v in c["calibrated"].items())
        + f"; {res['runs_expected']} runs.",
        "",
        "| target | role | N | observed | default mean (sd) | calibrated mean (sd) | z calibrated | drift (sd) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by = {(r["target"], r["n"], r["arm"]): r for r in res["rows"]}
    for (tid, n, arm), r in by.items():
        if arm != "calibrated":
            continue
        d = by[(tid, n, "default")]
        lines.append(
            f"| {tid} | {r['role']} | {n} | {f(r['observed'])} | {f(d['mean'])} ({f(d['sd'])}) | "
            f"{f(r['mean'])} ({f(r['sd'])}) | {f(r['z'])} | {f(r['drift_sd'])} |"
        )
    return "\n".join(lines) + "\n"


def write(res: dict[str, Any], folder: Path) -> None:
    """``scale.json`` and ``scale.md`` into the check's folder."""
    from feedlab.experiments.record import write_bytes_atomic, write_json

    write_json(folder / "scale.json", res)
    write_bytes_atomic(folder / "scale.md", markdown(res).encode())
