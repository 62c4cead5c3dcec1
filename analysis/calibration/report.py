"""What a calibration reports: posterior tables, diagnostics, identifiability, posterior
predictive checks, plots and the generated ``calibrated`` configs.

* **Marginals**: weighted median, mean, sd and 90 % interval of each parameter in the
  final generation; *contraction* = posterior 90 % width ÷ prior 90 % width. A parameter
  is *identified* when the contraction is ≤ 0.5, *weakly identified* up to 0.8 and
  *not identified* (a flat marginal: the targets cannot pin it down) above.
* **Correlations**: weighted Pearson correlation of every pair; |r| ≥ 0.7 is flagged — the
  targets fix a combination (a ridge), not each parameter.
* **Convergence**: per generation the tolerance ε, proposals, acceptance rate and Kish's
  effective sample size; the shift of each posterior mean between the last two
  generations in posterior sds (small = the sampler has settled at this tolerance).
* **Posterior predictive checks**, per target (fitted and held out): the predictive mean
  and 90 % interval of the measurement over posterior draws, z = (observed − predictive
  mean) / sqrt(predictive sd² + σ²), whether the interval covers the observed value; for
  a directional target the share of draws with the published sign. The same at the
  default (pilot) parameters for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .engine import Outcome, _values
from .smc import weighted_quantile
from .spec import GROUPS

#: Contraction thresholds (posterior 90 % width ÷ prior 90 % width).
IDENTIFIED, WEAK = 0.5, 0.8
#: |r| at or above which a pair is flagged as strongly correlated.
STRONG_R = 0.7


def marginals(o: Outcome) -> list[dict[str, Any]]:
    """One row per parameter: posterior summaries, contraction and identifiability."""
    g = o.result.final
    vals = _values(o.spec, g.z)
    rows = []
    for j, p in enumerate(o.spec.priors):
        v, w = vals[:, j], g.weights
        mean = float(w @ v)
        lo, med, hi = (weighted_quantile(v, w, q) for q in (0.05, 0.5, 0.95))
        ratio = (hi - lo) / p.width(0.9)
        status = (
            "identified" if ratio <= IDENTIFIED else "weak" if ratio <= WEAK else "not identified"
        )
        row = {
            "param": p.name,
            "prior": p.describe(),
            "median": med,
            "mean": mean,
            "sd": math.sqrt(max(float(w @ (v - mean) ** 2), 0.0)),
            "q05": lo,
            "q95": hi,
            "contraction": float(ratio),
            "identifiability": status,
            "default": o.pilot_values[p.name],
        }
        if o.spec.truth:
            t = o.spec.truth[p.name]
            row["truth"] = t
            row["truth_in_90"] = bool(lo <= t <= hi)
        rows.append(row)
    return rows


def correlations(o: Outcome) -> list[dict[str, Any]]:
    """Weighted correlation of every pair of parameters, strong ones flagged."""
    g = o.result.final
    vals = _values(o.spec, g.z)
    w = g.weights
    c = vals - w @ vals
    cov = (c * w[:, None]).T @ c
    sd = np.sqrt(np.diag(cov))
    out = []
    names = o.spec.names
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = float(cov[i, j] / (sd[i] * sd[j])) if sd[i] > 0 and sd[j] > 0 else math.nan
            out.append({"a": names[i], "b": names[j], "r": r, "strong": bool(abs(r) >= STRONG_R)})
    return out


def convergence(o: Outcome) -> dict[str, Any]:
    """Per generation ε, proposals, acceptance, ESS and parameter means; the last shift."""
    rows = []
    for g in o.result.generations:
        vals = _values(o.spec, g.z)
        rows.append(
            {
                "generation": g.index,
                "epsilon": g.epsilon,
                "proposals": g.proposals,
                "acceptance": g.acceptance,
                "ess": g.ess,
                **{f"mean:{n}": float(g.weights @ vals[:, j]) for j, n in enumerate(o.spec.names)},
            }
        )
    shift: dict[str, float] = {}
    if len(rows) > 1:
        sd = {r["param"]: r["sd"] for r in marginals(o)}
        for n in o.spec.names:
            d = abs(rows[-1][f"mean:{n}"] - rows[-2][f"mean:{n}"])
            shift[n] = d / sd[n] if sd[n] > 0 else math.nan
    return {"generations": rows, "last_shift_in_sd": shift, "stopped": o.result.stopped}


def _check(values: np.ndarray, obs: Any) -> dict[str, Any]:
    v = values[np.isfinite(values)]
    if not len(v):
        return {
            "mean": math.nan,
            "q05": math.nan,
            "q95": math.nan,
            "z": math.nan,
            "covered": None,
            "sign_share": math.nan,
        }
    mean, sd = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
    lo, hi = (float(x) for x in np.quantile(v, [0.05, 0.95]))
    row: dict[str, Any] = {
        "mean": mean,
        "q05": lo,
        "q95": hi,
        "sign_share": float(np.mean(np.sign(v) == obs.sign)),
    }
    if obs.estimate is None:
        row.update(z=math.nan, covered=None)
    else:
        s = math.sqrt(sd**2 + (obs.sigma if math.isfinite(obs.sigma) else 0.0) ** 2)
        row.update(
            z=(obs.estimate - mean) / s if s > 0 else math.nan,
            covered=bool(lo <= obs.estimate <= hi),
        )
    return row


def predictive(o: Outcome) -> list[dict[str, Any]]:
    """One row per target: observed, posterior predictive and default (pilot) checks."""
    rows = []
    nfit = len(o.spec.targets)
    for j, (tid, obs) in enumerate(zip(o.all_targets, o.observations)):
        post = _check(o.ppc[:, j], obs)
        dflt = _check(o.pilot[j], obs)
        rows.append(
            {
                "target": tid,
                "role": "fitted" if j < nfit else "held out",
                "observed": obs.estimate,
                "sigma": obs.sigma,
                "source": obs.source,
                "sim_noise_sd": float(o.noise[j]),
                **{f"posterior_{k}": v for k, v in post.items()},
                **{f"default_{k}": v for k, v in dflt.items()},
            }
        )
    return rows


def provenance(o: Outcome) -> dict[str, Any]:
    """Targets, commit, seeds, budget, cost and date of the calibration."""
    from feedlab import __version__
    from feedlab.experiments.record import git_state
    from feedlab.experiments.run import ROOT

    return {
        "feedlab_version": __version__,
        **git_state(ROOT),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": o.spec.name,
        "fitted": list(o.spec.targets),
        "held_out": list(o.spec.hold_out),
        "seed": o.spec.seed,
        "budget": o.spec.budget,
        "proposals": o.result.proposals,
        "runs_expected": o.expected,
        "runs_simulated_now": o.runs,
        "runs_reused": o.reused,
        "cpu_seconds_runs_now": round(o.cpu_seconds, 1),
        "wall_seconds": round(o.wall_seconds, 1),
        "launcher": o.spec.launch.describe() if o.spec.launch is not None else "inprocess",
    }


def _nested(pairs: Mapping[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, v in pairs.items():
        node = out
        *head, last = path.split(".")
        for k in head:
            node = node.setdefault(k, {})
        node[last] = v
    return out


def generated_configs(o: Outcome, command: str) -> dict[str, str]:
    """Group → YAML text of ``conf/<group>/calibrated.yaml``: the group's ``default`` with
    the posterior medians of its free parameters, a provenance header on top.
    """
    prov = provenance(o)
    med = {r["param"]: r for r in marginals(o)}
    out = {}
    for group in GROUPS:
        mine = {n: med[n] for n in o.spec.names if n.split(".")[0] == group}
        if not mine:
            continue
        head = [
            f"# Generated by `feedlab calibrate` ({command}); do not edit by hand.",
            f"# Posterior medians of an ABC-SMC calibration: use with `feedlab run {group}=calibrated`.",
            f"# fitted targets: {', '.join(prov['fitted'])}",
            f"# held-out targets: {', '.join(prov['held_out']) or '(none)'}",
            f"# simulated with: {' '.join(o.spec.overrides) or '(the default config)'}",
            f"# commit: {prov['commit']}{' (dirty)' if prov['dirty'] else ''}; feedlab {prov['feedlab_version']}",
            f"# seed: {prov['seed']}; budget: {prov['budget']}; proposals: {prov['proposals']}; "
            f"runs: {prov['runs_expected']}",
            f"# date: {prov['date']}",
        ]
        for n, r in mine.items():
            head.append(
                f"# {n}: median {r['median']:.4g}, 90 % [{r['q05']:.4g}, {r['q95']:.4g}], "
                f"prior {r['prior']}, {r['identifiability']}"
            )
        vals = {
            n[len(group) + 1 :]: (
                round(r["median"])
                if next(p for p in o.spec.priors if p.name == n).integer
                else float(f"{r['median']:.6g}")
            )
            for n, r in mine.items()
        }
        body = {"defaults": ["default", "_self_"], **_nested(vals)}
        out[group] = "\n".join(head) + "\n" + yaml.safe_dump(body, sort_keys=False)
    return out


def _fmt(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return "–" if not math.isfinite(x) else f"{x:.3g}"
    return str(x)


def _table(rows: Sequence[Mapping[str, Any]], cols: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |" for r in rows]
    return lines


def _run_cost(prov: Mapping[str, Any]) -> str:
    """The runs' cost: CPU seconds in process; with a sweep launcher the seconds each run
    recorded for itself (one core per run), since its processes are not this one's.
    """
    launcher = prov.get("launcher", "inprocess")
    if launcher == "inprocess":
        return f"{prov['cpu_seconds_runs_now']} CPU s in runs"
    return f"{prov['cpu_seconds_runs_now']} s in runs as they recorded them ({launcher})"


def markdown(o: Outcome, summary: Mapping[str, Any]) -> str:
    """``calibration.md``: cost, posterior, identifiability, convergence, predictive checks."""
    prov = summary["provenance"]
    conv = summary["convergence"]
    lines = [
        f"# Calibration `{o.spec.name}`",
        "",
        f"Fitted: {', '.join(o.spec.targets)}. Held out: {', '.join(o.spec.hold_out) or '(none)'}.",
        f"Seed {prov['seed']}, budget {prov['budget']} parameter sets; {prov['proposals']} simulated "
        f"over {len(conv['generations'])} complete generations (stopped: {conv['stopped']}); "
        f"{prov['runs_expected']} runs in the folder ({prov['runs_simulated_now']} simulated by this "
        f"invocation, {prov['runs_reused']} reused; {_run_cost(prov)}, "
        f"{prov['wall_seconds']} s wall). Commit {prov['commit']}.",
        "",
        "## Posterior marginals",
        "",
    ]
    mcols = ["param", "prior", "median", "q05", "q95", "contraction", "identifiability", "default"]
    if o.spec.truth:
        mcols += ["truth", "truth_in_90"]
    lines += _table(summary["marginals"], mcols)
    strong = [c for c in summary["correlations"] if c["strong"]]
    lines += ["", "## Identifiability", ""]
    flat = [r["param"] for r in summary["marginals"] if r["identifiability"] != "identified"]
    lines.append(
        "Not pinned down by these targets (contraction > 0.5): " + (", ".join(flat) or "none") + "."
    )
    lines.append(
        "Strongly correlated pairs (|r| ≥ 0.7): "
        + (", ".join(f"{c['a']} / {c['b']} (r = {c['r']:.2f})" for c in strong) or "none")
        + "."
    )
    lines += ["", "## Convergence", ""]
    lines += _table(
        conv["generations"], ["generation", "epsilon", "proposals", "acceptance", "ess"]
    )
    if conv["last_shift_in_sd"]:
        lines += [
            "",
            "Shift of the posterior means between the last two generations, in posterior sds: "
            + ", ".join(f"{k} {v:.2f}" for k, v in conv["last_shift_in_sd"].items())
            + ".",
        ]
    lines += ["", "## Posterior predictive checks", ""]
    lines += _table(
        summary["predictive"],
        [
            "target",
            "role",
            "observed",
            "sigma",
            "posterior_mean",
            "posterior_q05",
            "posterior_q95",
            "posterior_z",
            "posterior_covered",
            "posterior_sign_share",
            "default_mean",
            "default_z",
        ],
    )
    held = [
        r for r in summary["predictive"] if r["role"] == "held out" and r["observed"] is not None
    ]
    if held:
        cov = sum(bool(r["posterior_covered"]) for r in held)
        lines += [
            "",
            f"Held-out coverage: {cov} of {len(held)} observed values inside the 90 % predictive interval.",
        ]
    return "\n".join(lines) + "\n"


def plots(o: Outcome, out: Path) -> None:
    """``marginals.png/pdf`` (weighted histograms, prior range, default and truth) and
    ``pairs.png/pdf`` (every pair of parameters, points sized by weight).
    """
    from feedlab import __version__
    from feedlab.analysis.figures import style

    g = o.result.final
    vals = _values(o.spec, g.z)
    names = o.spec.names
    d = len(names)
    meta = {
        "seeds": [o.spec.seed],
        "feedlab_version": __version__,
        "config_hashes": [],
    }
    with style.rc():
        fig = style.figure(min(2.4 * d, 9.0), 2.4)
        for j, p in enumerate(o.spec.priors):
            ax = fig.add_subplot(1, d, j + 1)
            ax.hist(
                vals[:, j],
                bins=15,
                weights=g.weights,
                range=(p.low, p.high),
                color=style.CYCLE[0],
                density=True,
            )
            ax.axvspan(p.low, p.high, color=style.GREY, alpha=0.08)
            ax.axvline(o.pilot_values[p.name], color=style.GREY, ls=":", label="default")
            if o.spec.truth:
                ax.axvline(o.spec.truth[p.name], color=style.CYCLE[1], ls="--", label="truth")
            ax.set(xlabel=p.name.split(".", 1)[1], yticks=[])
            if j == 0:
                ax.legend(fontsize=6)
        style.save(
            fig, out, "marginals", {**meta, "figure": "marginals", "title": "Posterior marginals"}
        )
        fig = style.figure(min(2.0 * d, 9.0), min(2.0 * d, 9.0))
        for i in range(d):
            for j in range(d):
                ax = fig.add_subplot(d, d, i * d + j + 1)
                if i == j:
                    ax.hist(vals[:, i], bins=15, weights=g.weights, color=style.CYCLE[0])
                    ax.set_yticks([])
                else:
                    ax.scatter(
                        vals[:, j],
                        vals[:, i],
                        s=4 + 200 * g.weights,
                        color=style.CYCLE[0],
                        alpha=0.5,
                        lw=0,
                    )
                    if o.spec.truth:
                        ax.plot(
                            o.spec.truth[names[j]],
                            o.spec.truth[names[i]],
                            "x",
                            color=style.CYCLE[1],
                        )
                if i == d - 1:
                    ax.set_xlabel(names[j].split(".", 1)[1], fontsize=6)
                if j == 0 and i != j:
                    ax.set_ylabel(names[i].split(".", 1)[1], fontsize=6)
        style.save(fig, out, "pairs", {**meta, "figure": "pairs", "title": "Posterior pairs"})


def write(
    o: Outcome, command: str, write_config: bool = False, conf_dir: Path | None = None
) -> dict[str, Any]:
    """Write every output into ``spec.out`` (and, with ``write_config``, the generated
    configs into ``conf_dir/<group>/calibrated.yaml``, by default the package's ``conf/``);
    returns the summary that ``calibration.json`` holds.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from feedlab.experiments.record import canonical_json, write_bytes_atomic, write_json
    from feedlab.experiments.run import CONF_DIR

    out = o.spec.out
    summary = {
        "spec": o.spec.as_dict(),
        "observations": [x.as_dict() for x in o.observations],
        "distance_scales": dict(zip(o.spec.targets, map(float, o.scales))),
        "marginals": marginals(o),
        "correlations": correlations(o),
        "convergence": convergence(o),
        "predictive": predictive(o),
        "provenance": provenance(o),
        "command": command,
    }
    meta = {"feedlab.calibration": canonical_json(o.spec.as_dict())}
    cols: dict[str, list[Any]] = {"generation": [], "weight": [], "distance": []}
    for n in o.spec.names:
        cols[n] = []
    for g in o.result.generations:
        vals = _values(o.spec, g.z)
        cols["generation"] += [g.index] * len(g.weights)
        cols["weight"] += g.weights.tolist()
        cols["distance"] += g.distances.tolist()
        for j, n in enumerate(o.spec.names):
            cols[n] += vals[:, j].tolist()
    table = pa.table(cols).replace_schema_metadata(meta)
    pq.write_table(table, out / "populations.parquet", compression="zstd")
    last = pa.compute.equal(table["generation"], o.result.final.index)
    pq.write_table(table.filter(last), out / "posterior.parquet", compression="zstd")
    ppc = {"draw": list(range(len(o.ppc)))}
    ppc.update({n: o.ppc_theta[:, j].tolist() for j, n in enumerate(o.spec.names)})
    ppc.update({f"target:{t}": o.ppc[:, j].tolist() for j, t in enumerate(o.all_targets)})
    pq.write_table(
        pa.table(ppc).replace_schema_metadata(meta), out / "predictive.parquet", compression="zstd"
    )
    write_json(out / "calibration.json", summary)
    write_bytes_atomic(out / "calibration.md", markdown(o, summary).encode())
    plots(o, out)
    written = []
    for group, text in generated_configs(o, command).items():
        path = out / "calibrated" / group / "calibrated.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, text.encode())
        written.append(str(path))
        if write_config:
            dest = (conf_dir or CONF_DIR) / group / "calibrated.yaml"
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(dest, text.encode())
            written.append(str(dest))
    summary["configs"] = written
    return summary
