"""docs/performance.md from a results JSON: the figures and the Markdown report.

The page's fixed text is the Markdown template ``report_template.md`` (package data):
:func:`render_report` computes the values and renders the tables with the small
functions here, and fills the template's parts with them. The explanations of missed
targets come from :func:`feedlab.benchmarks.targets.why_missed`.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from feedlab.benchmarks.markdown import IMPL_LABEL, measured, secs, si, table
from feedlab.benchmarks.step_section import section as step_compare_section
from feedlab.benchmarks.targets import why_missed

#: the report's fixed text (shipped as package data)
TEMPLATE = Path(__file__).with_name("report_template.md")
_PART = re.compile(r"^<!-- part: (\w+) -->\n", flags=re.MULTILINE)
#: the implementations of the algorithmic-bias tables and figure, in column order
AB_IMPLS = ("feedlab_kernel", "feedlab_model", "ndlib", "mesa")


@functools.cache
def template_parts(path: Path = TEMPLATE) -> dict[str, Template]:
    """The parts of the report template by name (the text before the first part, a
    comment for the reader, is left out); surrounding blank lines are not part of a part.
    """
    pieces = _PART.split(path.read_text(encoding="utf-8"))
    return {name: Template(text.strip("\n")) for name, text in zip(pieces[1::2], pieces[2::2])}


def fill(part: str, **values: Any) -> str:
    """The template part ``part`` with its placeholders filled (a missing one raises)."""
    return template_parts()[part].substitute(values)


def _optional(text: str) -> str:
    """An optional paragraph that follows another: a blank line, then ``text``."""
    return "\n\n" + text


def _lines(rows: list[str]) -> str:
    """Table lines (or any lines) as one block of text."""
    return "\n".join(rows)


# --------------------------------------------------------------------------------------
# figures


def _scaling_figure(results: dict[str, Any], figdir: Path, plt) -> Path | None:
    """Step time, peak memory and ranking rates against N (the scaling rows)."""
    rows = results.get("scaling", {}).get("rows", [])
    if not rows:
        return None
    ns = np.array([r["n"] for r in rows], dtype=float)
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    step = np.array([r["median_step_cpu_seconds"] for r in rows])
    ax[0].loglog(ns, step, "o-", label="full feed step (median, CPU)")
    ax[0].loglog(ns, [r["median_step_seconds"] for r in rows], "x", label="same, wall")
    for phase, style in (("rank", "--"), ("react", ":"), ("update", "-.")):
        ax[0].loglog(ns, [r["phase_seconds"][phase] for r in rows], style, label=f"{phase} (wall)")
    ax[0].loglog(ns, step[-1] * ns / ns[-1], color="grey", lw=0.8, label="∝ N")
    ax[0].plot([1e5], [0.5], "r*", ms=10, label="target 0.5 s at 10⁵")
    ax[0].set(xlabel="users N", ylabel="seconds per step", title="feed step time")
    ax[0].legend(fontsize=7)
    rss = [r["peak_rss_gb"] for r in rows]
    ax[1].loglog(ns, rss, "o-", label="peak RSS (fresh process)")
    ax[1].loglog(ns, [r["rss_after_import_gb"] for r in rows], ":", label="after imports")
    ax[1].set(xlabel="users N", ylabel="GiB", title="peak memory")
    ax[1].legend(fontsize=7)
    cold = [r["ranking"]["cold_candidates_per_s"] / 1e6 for r in rows]
    warm = [r["ranking"]["warm_candidates_per_s"] / 1e6 for r in rows]
    ax[2].semilogx(ns, cold, "o-", label="cold (features included)")
    ax[2].semilogx(ns, warm, "s--", label="warm (score + top-k)")
    ax[2].axhline(30, color="red", lw=0.8, label="target 30 M/s")
    ax[2].set(xlabel="users N", ylabel="M candidates / s", title="ranking (engagement)")
    ax[2].legend(fontsize=7)
    fig.suptitle(
        f"feedlab scaling, one core ({results['started']}, load "
        f"{results['load_start'][0]:g}→{results['load_end'][0]:g})",
        fontsize=9,
    )
    fig.tight_layout()
    p = figdir / "performance_scaling.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def _peers_figure(results: dict[str, Any], figdir: Path, plt) -> Path | None:
    """Interactions per second of every implementation against N, one panel per γ."""
    ab = results.get("algorithmic_bias")
    if not ab:
        return None
    gammas = sorted({r["gamma"] for r in ab["rows"]})
    fig, axes = plt.subplots(1, len(gammas), figsize=(5 * len(gammas), 3.8), squeeze=False)
    for ax, gamma in zip(axes[0], gammas):
        for impl in AB_IMPLS:
            pts = [
                (r["n"], r["interactions_per_s"])
                for r in ab["rows"]
                if r["gamma"] == gamma and r["impl"] == impl
            ]
            if pts:
                x, y = zip(*pts)
                ax.loglog(x, y, "o-", label=IMPL_LABEL[impl])
        ax.set(
            xlabel="users N (Barabási–Albert m=5)",
            ylabel="interactions / s",
            title=f"Deffuant / algorithmic bias, γ = {gamma:g}",
        )
        ax.legend(fontsize=7)
    fig.tight_layout()
    p = figdir / "performance_peers.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def write_figures(results: dict[str, Any], figdir: Path) -> list[Path]:
    """The report's figures (PNG, Agg backend) in ``figdir``; the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figdir.mkdir(parents=True, exist_ok=True)
    paths = [_scaling_figure(results, figdir, plt), _peers_figure(results, figdir, plt)]
    return [p for p in paths if p is not None]


def _figure(figures: list[Path], name: str, part: str) -> str:
    """The image line of figure ``name`` (as an optional paragraph) if it was written."""
    return "".join(_optional(fill(part, name=f.name)) for f in figures if f.name == name)


# --------------------------------------------------------------------------------------
# machine, load, targets


def _machine_table(results: dict[str, Any]) -> str:
    """CPU, cores, memory, versions, commit, load and the time of each section."""
    m = results["machine"]
    pk = m["packages"]
    rows = [
        ["CPU", m["cpu_model"]],
        ["cores (logical / usable)", f"{m['logical_cores']} / {m['usable_cores']}"],
        ["memory", f"{m['mem_total_gb']} GB"],
        ["OS / Python", f"{m['os']} / {m['python']}"],
        ["packages", ", ".join(f"{k} {v}" for k, v in pk.items() if v)],
        ["not installed", ", ".join(k for k, v in pk.items() if not v) or "—"],
        ["commit", f"`{m['commit'][:12]}`"],
        ["load average (1, 5, 15 min) at start", " / ".join(map(str, results["load_start"]))],
        ["load average at end", " / ".join(map(str, results["load_end"]))],
        [
            "wall time per section",
            ", ".join(f"{k} {v:.0f} s" for k, v in results["section_seconds"].items()),
        ],
    ]
    return _lines(table(["", ""], rows))


def _load(results: dict[str, Any]) -> str:
    """Whether the machine was shared during the run, and what that does to the numbers."""
    m = results["machine"]
    cores = m["usable_cores"] or m["logical_cores"] or 1
    start, end = results["load_start"][0], results["load_end"][0]
    if not max(start, end) > cores:
        return fill("load_idle")
    return fill(
        "load_shared",
        load_start=f"{start:g}",
        load_end=f"{end:g}",
        cores=cores,
        slowdown=f"{max(start, end) / cores:.1f}",
    )


def _targets_table(results: dict[str, Any]) -> str:
    """One row per target: measured, met, shortfall and notes."""
    rows = []
    for t in results["targets"]:
        met = {True: "yes", False: "**no**", None: "—"}[t["met"]]
        short = f"{t['shortfall_factor']:.2f}× short" if t["shortfall_factor"] else ""
        notes = "; ".join(x for x in (short, t["note"]) if x)
        rows.append([t["workload"], t["target"], measured(t), met, notes])
    return _lines(table(["workload", "target", "measured", "met", "notes"], rows))


def _pass(ok: bool) -> str:
    """``pass`` or ``FAIL``."""
    return "pass" if ok else "FAIL"


# --------------------------------------------------------------------------------------
# Deffuant / algorithmic bias and its agreement


def _ab_rates_table(ab: dict[str, Any]) -> str:
    """Rates of every implementation (CPU; wall and repeats × sweeps in brackets)."""
    impls = [i for i in AB_IMPLS if any(r["impl"] == i for r in ab["rows"])]

    def cell(r: dict[str, Any] | None) -> str:
        if r is None:
            return "—"
        return (
            f"{si(r['interactions_per_s'])} ({si(r['interactions_per_s_wall'])}; "
            f"{r['repeats']}×{r['sweeps_per_repeat']})"
        )

    rows = []
    for n in sorted({r["n"] for r in ab["rows"]}):
        for gamma in sorted({r["gamma"] for r in ab["rows"]}):
            by = {r["impl"]: r for r in ab["rows"] if r["n"] == n and r["gamma"] == gamma}
            rows.append([f"{n:,}", f"{gamma:g}"] + [cell(by.get(i)) for i in impls])
    return _lines(table(["N", "γ"] + [IMPL_LABEL[i] for i in impls], rows))


def _ab_ratios_table(ab: dict[str, Any]) -> str:
    """The model's rate over each peer's and over the bare kernel's."""
    peers = ab["peers"]
    rows = [
        [f"{r['n']:,}", f"{r['gamma']:g}"]
        + [f"{r[f'model_over_{p}']:,.0f}×" for p in peers]
        + [f"{r['model_over_kernel']:.2f}"]
        for r in ab["ratios"]
    ]
    header = (
        ["N", "γ"]
        + [f"feedlab model / {IMPL_LABEL[p]}" for p in peers]
        + ["feedlab model / feedlab kernel (1 = no overhead)"]
    )
    return _lines(table(header, rows))


def _ab_setup(ab: dict[str, Any]) -> str:
    """Set-up times at the largest N (graph and agents; not in the rates)."""
    setups = [r for r in ab["rows"] if r["impl"] in ("mesa", "ndlib", "feedlab_model")]
    if not setups:
        return ""
    nmax = max(r["n"] for r in setups)
    return fill(
        "ab_setup",
        n=f"{nmax:,}",
        setups=", ".join(
            f"{IMPL_LABEL[r['impl']]} γ={r['gamma']:g} {r['setup_seconds']:.1f} s"
            for r in setups
            if r["n"] == nmax
        ),
    )


def _closest(comp: dict[str, Any]) -> str:
    """The statistic closest to its tolerance in one comparison, with its margin."""
    name, st = max(comp["stats"].items(), key=lambda kv: kv[1]["diff"] / kv[1]["tol"])
    sign = "≤" if st["ok"] else ">"
    return f"{name}: {st['diff']:.3g} {sign} {st['tol']:.3g}"


def _agreement_rows(c: dict[str, Any]) -> list[list[str]]:
    """One case: a row per comparison in distribution, then the exact checks."""
    eps, gamma = f"{c['epsilon01']:g}", f"{c['gamma']:g}"
    rows = [
        [
            eps,
            gamma,
            IMPL_LABEL[comp["a"]],
            IMPL_LABEL[comp["b"]],
            f"{c['means'][comp['a']]['effective_clusters']:.2f} / "
            f"{c['means'][comp['b']]['effective_clusters']:.2f}",
            _closest(comp),
            "pass" if comp["ok"] else "**FAIL**",
        ]
        for comp in c["comparisons"]
    ]
    exact = ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in c["exact"].items())
    ok = "pass" if all(c["exact"].values()) else "**FAIL**"
    rows.append([eps, gamma, "feedlab model", "feedlab kernel", "exact", exact, ok])
    return rows


def _agreement_table(ag: dict[str, Any]) -> str:
    """Every comparison of every case, with its closest statistic and verdict."""
    header = [
        "ε",
        "γ",
        "a",
        "b",
        "effective clusters a / b",
        "closest statistic (diff ≤ tol)",
        "result",
    ]
    return _lines(table(header, [row for c in ag["cases"] for row in _agreement_rows(c)]))


def _ab_values(results: dict[str, Any], figures: list[Path]) -> dict[str, Any]:
    """The values of the algorithmic-bias and agreement sections."""
    ab, ag = results["algorithmic_bias"], results["agreement_algorithmic_bias"]
    return {
        "ab_graph": ab["graph"],
        "ab_epsilon01": f"{ab['epsilon01']:g}",
        "ab_epsilon": f"{2 * ab['epsilon01']:g}",
        "ab_mu": f"{ab['mu']:g}",
        "ab_rates_table": _ab_rates_table(ab),
        "ab_ratios_table": _ab_ratios_table(ab),
        "ab_setup": _ab_setup(ab),
        "feedlab_repeats": ab["feedlab_repeats"],
        "feedlab_block_seconds": ab["feedlab_block_seconds"],
        "peer_budget_seconds": f"{ab['peer_budget_seconds']:g}",
        "peer_min_sweeps": ab["peer_min_sweeps"],
        "peers_figure": _figure(figures, "performance_peers.png", "peers_figure"),
        "agreement_graph": ag["graph"],
        "agreement_replicates": ag["cases"][0]["replicates"],
        "agreement_sweeps": ag["cases"][0]["sweeps"],
        "agreement_stats": ", ".join(ag["stats"]),
        "agreement_abs_tol": ag["abs_tol"],
        "agreement_k": f"{ag['k']:g}",
        "agreement_table": _agreement_table(ag),
    }


# --------------------------------------------------------------------------------------
# Watts threshold cascade


def _threshold_table(th: dict[str, Any]) -> str:
    """Time per global cascade of each implementation, and its ratio to feedlab's."""
    fl = th["rows"][0]["seconds_per_cascade"]
    rows = [
        [
            IMPL_LABEL[r["impl"]],
            f"{secs(r['seconds_per_cascade'])} ({secs(r['seconds_per_cascade_wall'])})",
            r["cascades"],
            f"{r['seconds_per_cascade'] / fl:,.1f}×" if r["impl"] != "feedlab_kernel" else "1",
        ]
        for r in th["rows"]
    ]
    header = [
        "implementation",
        "time per global cascade, CPU (wall), median",
        "cascades timed",
        "× feedlab",
    ]
    return _lines(table(header, rows))


def _threshold_values(th: dict[str, Any]) -> dict[str, Any]:
    """The values of the threshold-cascade section."""
    return {
        "threshold_graph": th["graph"],
        "threshold_n": f"{th['n']:,}",
        "threshold_z": f"{th['z']:g}",
        "threshold_phi": f"{th['phi']:g}",
        "cascade_percent": f"{100 * th['median_cascade_fraction']:.0f}",
        "cascade_rounds": f"{th['median_rounds']:.0f}",
        "threshold_table": _threshold_table(th),
        "threshold_agree": sum(c["ok"] for c in th["agreement"]["checks"]),
        "threshold_checks": len(th["agreement"]["checks"]),
        "threshold_verdict": _pass(th["agreement"]["ok"]),
    }


# --------------------------------------------------------------------------------------
# scaling, ranking policies, full scale


def _scaling_row(r: dict[str, Any]) -> list[str]:
    """One N: edges, build, step, phase split, memory and ranking rates."""
    ph = r["phase_seconds"]
    per_user = (
        f"{2**30 * (r['peak_rss_gb'] - r['rss_after_import_gb']) / r['n'] / 1e3:.1f}"
        if r["n"] >= 1e5
        else "—"
    )
    return [
        f"{r['n']:,}",
        f"{r['n_edges']:,}",
        secs(r["build_seconds"]),
        f"{secs(r['median_step_cpu_seconds'])} ({secs(r['median_step_seconds'])}; "
        f"{r['steps_timed']})",
        " / ".join(f"{ph[k]:.3g}" for k in ("post", "gather", "rank", "react", "update", "record")),
        f"{r['peak_rss_gb']:.2f}",
        per_user,
        f"{si(r['ranking']['cold_candidates_per_s'])} / {si(r['ranking']['warm_candidates_per_s'])}",
    ]


def _scaling_table(sc: dict[str, Any]) -> str:
    """The scaling rows, one per N."""
    header = [
        "N",
        "follow edges",
        "build",
        "step CPU (wall; steps timed)",
        "post / gather / rank / react / update / record (s)",
        "peak RSS GiB",
        "kB per user above imports",
        "ranking cand/s cold / warm",
    ]
    return _lines(table(header, [_scaling_row(r) for r in sc["rows"]]))


def _scaling_slope(sc: dict[str, Any]) -> str:
    """The exponent of step CPU time in N between the two largest sizes (optional)."""
    if len(sc["rows"]) < 2:
        return ""
    a, b = sc["rows"][-2], sc["rows"][-1]
    slope = math.log(b["median_step_cpu_seconds"] / a["median_step_cpu_seconds"]) / math.log(
        b["n"] / a["n"]
    )
    return _optional(
        fill("scaling_slope", slope=f"{slope:.2f}", n_a=f"{a['n']:,}", n_b=f"{b['n']:,}")
    )


def _ranking_policies(pol: dict[str, Any]) -> str:
    """Every ranking policy at the target workload (an optional section)."""
    rows = [
        [k, si(v["cold_candidates_per_s"]), si(v["warm_candidates_per_s"]), secs(v["cold_seconds"])]
        for k, v in pol["by_policy"].items()
    ]
    header = ["policy", "cold cand/s", "warm cand/s", "cold time per rank call"]
    return _optional(
        fill(
            "ranking_policies",
            n=f"{pol['n']:,}",
            per_viewer=f"{pol['candidates_per_viewer']:.1f}",
            mean_k=f"{pol['mean_k']:.1f}",
            repeats=pol["repeats"],
            clock=next(iter(pol["by_policy"].values()))["clock"],
            table=_lines(table(header, rows)),
        )
    )


def _scaling_values(sc: dict[str, Any], figures: list[Path]) -> dict[str, Any]:
    """The values of the scaling section."""
    fresh = all(r.get("fresh_process", True) for r in sc["rows"])
    return {
        "scaling_network": sc["network"],
        "scaling_processes": fill("scaling_fresh" if fresh else "scaling_in_process"),
        "scaling_table": _scaling_table(sc),
        "scaling_figure": _figure(figures, "performance_scaling.png", "scaling_figure"),
        "scaling_slope": _scaling_slope(sc),
        "ranking_policies": "".join(
            _ranking_policies(r["policies"]) for r in sc["rows"] if "policies" in r
        ),
    }


def _full_scale(fs: dict[str, Any] | None) -> str:
    """The full-scale run (``--full-scale``), or how to make it."""
    if not fs:
        return fill("full_scale_missing")
    header = [
        "build (wall)",
        "steps (wall)",
        "median step CPU (wall)",
        "slowest step (wall)",
        "total CPU (wall)",
        "peak RSS",
    ]
    row = [
        secs(fs["build_seconds"]),
        secs(fs["steps_seconds"]),
        f"{secs(fs['median_step_cpu_seconds'])} ({secs(fs['median_step_seconds'])})",
        secs(fs["max_step_seconds"]),
        f"{secs(fs['total_cpu_seconds'])} ({secs(fs['total_seconds'])})",
        f"{fs['peak_rss_gb']:.2f} GiB",
    ]
    return fill(
        "full_scale",
        started=fs["started"],
        load_before=f"{fs['load_before'][0]:g}",
        load_after=f"{fs['load_after'][0]:g}",
        n=f"{fs['n']:,}",
        n_edges=f"{fs['n_edges']:,}",
        steps=fs["steps"],
        note=fs["note"],
        table=_lines(table(header, [row])),
    )


def _throughput_rows(name: str, v: dict[str, Any]) -> list[list[str]]:
    rows = []
    for w in (1, 2):
        m = v[f"workers_{w}"]
        every = m.get("wall_seconds_all", [])
        rows.append(
            [
                name,
                str(v["runs"]),
                str(w),
                secs(m["wall_seconds"])
                + (f" ({', '.join(f'{x:.2f}' for x in every)})" if len(every) > 1 else ""),
                f"{m['runs_per_min_wall']:,.0f}",
                secs(m["cpu_seconds"]),
                f"{m['runs_per_cpu_min']:,.0f}",
            ]
        )
    r = v["resume"]
    resume = [f"{name}, resume", str(v["runs"]), "2", secs(r["wall_seconds"]), "–"]
    rows.append([*resume, secs(r["cpu_seconds"]), "–"])
    return rows


def _ratio(x: float | None, target: float, what: str) -> str:
    if x is None:
        return f"{what}: not measured (no baseline)"
    verdict = "met" if x >= target else "not met"
    # two decimals: 1.68× must not read as the 1.7× it misses
    return f"{what} {x:.2f}× (target ≥ {target:g}×: {verdict})"


def _amdahl(v: dict[str, Any]) -> str:
    """Why 2 workers are not twice as fast: the parts of the 1-worker sweep that workers
    cannot share — until its first run starts (imports, composing, planning, the first
    worker's pre-imported process importing and warming up) and after its last run ends
    (verifying, exit), measured from the runs' manifests — do not shrink with workers, so
    even with everything else halved 2 workers gain at most
    ``one / (fixed + (one - fixed) / 2)`` (Amdahl's law). Results without those
    measurements fall back to the resume's time as the fixed part (an older estimate,
    which counts the launcher's own work but not the pre-imported process's).
    """
    w1 = v["workers_1"]
    one = w1["wall_seconds"]
    if "first_run_start_seconds" in w1:
        first, after = w1["first_run_start_seconds"], w1["after_last_run_seconds"]
        fixed = first + after
        what = (
            f"The fixed part of the 1-worker sweep — {secs(first)} until its first run "
            f"starts (the launch's imports, composing and planning, while the first worker's "
            f"pre-imported process imports and warms up) and {secs(after)} after its last "
            "run ends (verifying, exit) — does not shrink with workers"
        )
    else:
        fixed = v["resume"]["wall_seconds"]
        what = (
            f"The launch (imports, Hydra's compositions, planning, verifying: what resuming "
            f"the complete sweep costs, {secs(fixed)} wall) does not shrink with workers"
        )
    if not 0 < fixed < one:
        return "The fixed part could not be estimated (it is not shorter than the sweep)."
    bound = one / (fixed + (one - fixed) / 2)
    return (
        f"{what}; the rest of the 1-worker sweep is {secs(one - fixed)}, "
        f"{(one - fixed) / v['runs'] * 1e3:.0f} ms per run. Halving only that rest, 2 workers "
        f"could be at most {bound:.2f}× faster than 1 (Amdahl's law)."
    )


def _throughput(tp: dict[str, Any] | None) -> str:
    """The sweep-throughput run (``--throughput``), or how to make it."""
    if not tp:
        return fill("throughput_missing")
    header = ["code", "runs", "workers", "wall", "runs/min (wall)", "CPU", "runs/CPU-min"]
    rows = _throughput_rows("feedlab", tp["feedlab"])
    b = tp.get("baseline")
    if b:
        rows += _throughput_rows(f"baseline {b['source']}", b)
        note = (
            f"The baseline is commit {b['source']} (one Hydra job per run, composed again "
            "by the joblib worker that runs it; a run-isolation process per worker), "
            "imported from a `git archive` "
            "with the same interpreter and packages."
            + (
                f" It runs {b['runs']} runs rather than {tp['feedlab']['runs']}: its start-up "
                "costs weigh more in its rates."
                if b["runs"] != tp["feedlab"]["runs"]
                else ""
            )
        )
    else:
        note = "No baseline was measured (`--baseline-commit`)."
    reps = int(tp["feedlab"].get("repeats", 1))
    b_reps = int(b.get("repeats", 1)) if b else 1
    if reps > 1:
        note += (
            f" feedlab's sweeps ran {reps} times each"
            + (f" (the baseline's {b_reps} times)" if b_reps > 1 else "")
            + ", 1 and 2 workers alternating: each row is the repeat with the median wall "
            "time, every repeat's wall seconds in brackets."
        )
    r = tp["ratios"]
    verdicts = [
        _ratio(
            r["vs_baseline_2_workers_wall"],
            10,
            "feedlab against the baseline, 2 workers, wall clock (how fast the sweep runs, "
            "the target's measure, on 2 idle cores):",
        )
        + (
            "; in CPU time (the CPU per run, what a shared machine would see) "
            + _ratio(r["vs_baseline_2_workers_cpu"], 10, "").strip()
            if r["vs_baseline_2_workers_cpu"]
            else ""
        )
        + ".",
        _ratio(r["two_vs_one_wall"], 1.7, "2 workers against 1, wall clock:")
        + f" (in CPU time {r['two_vs_one_cpu']:.2f}×: the CPU spent per run; a shared "
        "machine's wall clock only shows the speed-up when 2 cores are free).",
        _amdahl(tp["feedlab"]),
        f"Resuming the complete sweep: {secs(r['resume_cpu_seconds'])} CPU, "
        f"{secs(r['resume_wall_seconds'])} wall (target ≤ 5 s: "
        f"{'met' if r['resume_cpu_seconds'] <= 5 else 'not met'} in CPU time, "
        f"{'met' if r['resume_wall_seconds'] <= 5 else 'not met'} in wall time).",
    ]
    return fill(
        "throughput",
        command=tp.get("command", "feedlab bench --throughput").strip(),
        started=tp["started"],
        load_before=f"{tp['load_before'][0]:g}",
        load_after=f"{tp['load_after'][0]:g}",
        cores=tp["cores"],
        workload=tp["workload"],
        baseline_note=note,
        table=_lines(table(header, rows)),
        verdicts=_lines([f"- {v}" for v in verdicts]),
    )


# --------------------------------------------------------------------------------------
# missed targets, reference


def _missed_lines(t: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """One missed target: heading, shortfall, then its explanation — paragraphs with a
    blank line after each, table rows together — and two blank lines to close.
    """
    if t["shortfall_factor"]:
        shortfall = fill("missed_short", factor=f"{t['shortfall_factor']:.2f}")
    else:
        shortfall = fill("missed_ratio", note=t["note"])
    head = fill(
        "missed",
        workload=t["workload"],
        target=t["target"],
        measured=measured(t),
        shortfall=shortfall,
    )
    lines = [*head.split("\n"), ""]
    for line in why_missed(t, results):
        if not line.startswith("|") and lines[-1].startswith("|"):
            lines.append("")
        lines += [line] if line.startswith("|") else [line, ""]
    if lines[-1].startswith("|"):
        lines.append("")
    return [*lines, ""]


def _missed(results: dict[str, Any]) -> str:
    """Every missed target with its measured reasons, or a sentence that none is."""
    missed = [t for t in results["targets"] if t["met"] is False]
    if not missed:
        return fill("none_missed")
    return _lines([line for t in missed for line in _missed_lines(t, results)])


def _reference_values(d: dict[str, Any]) -> dict[str, str]:
    """The peers' rates when the targets were set (``DESIGN_REFERENCE``)."""
    return {
        "ref_ab0_ndlib": si(d["ab_gamma0"]["ndlib"]),
        "ref_ab1_ndlib": si(d["ab_gamma1"]["ndlib"]),
        "ref_ab0_mesa": si(d["ab_gamma0"]["mesa"]),
        "ref_ab1_mesa": si(d["ab_gamma1"]["mesa"]),
        "ref_ab0_numba": si(d["ab_gamma0"]["numba"]),
        "ref_ab1_numba": si(d["ab_gamma1"]["numba"]),
        "ref_th_ndlib": secs(d["threshold_s"]["ndlib"]),
        "ref_th_numpy": secs(d["threshold_s"]["numpy"]),
        "ref_th_numba": secs(d["threshold_s"]["numba"]),
    }


def render_report(results: dict[str, Any], doc: Path, figures: list[Path]) -> str:
    """The text of the performance page for ``results``, linking the written ``figures``
    (``doc`` is where it will be written; the figures are linked relative to it).
    """
    skipped = results["skipped"]
    values = {
        "command": results["command"].strip(),
        "mode": results["mode"],
        "started": results["started"],
        "minutes": f"{results['wall_seconds'] / 60:.1f}",
        "machine_table": _machine_table(results),
        "load": _load(results),
        "skipped": _optional(fill("skipped", skipped="; ".join(skipped))) if skipped else "",
        "targets_table": _targets_table(results),
        "agreement": "all pass" if results["agreement_ok"] else "FAILED",
        "agreement_ab": _pass(results["agreement_algorithmic_bias"]["ok"]),
        "agreement_threshold": _pass(results["threshold"]["agreement"]["ok"]),
        **_ab_values(results, figures),
        **_threshold_values(results["threshold"]),
        **_scaling_values(results["scaling"], figures),
        "full_scale": _full_scale(results.get("full_scale")),
        "throughput": _throughput(results.get("throughput")),
        "missed": _missed(results),
        **_reference_values(results["design_reference"]),
    }
    # the large-N step against the baseline (benchmarks/step_compare.py), when measured,
    # then the attention economy's cost (benchmarks/workloads/attention.py), when measured
    return (
        fill("document", **values)
        + "\n"
        + _prefixed(step_compare_section())
        + _prefixed(attention_section(results.get("attention_cost")))
    )


def attention_section(res: dict[str, Any] | None) -> str:
    """docs/performance.md §Attention economy from the suite's ``attention_cost`` result
    ("" when the run did not measure it): the step with sessions, churn and ads on against
    off, interleaved in one process, and the budget.
    """
    if not res:
        return ""
    cpu, wall = res["median_step_cpu_seconds"], res["median_step_wall_seconds"]
    verdict = "within" if res["within_budget"] else "**over**"
    return "\n".join(
        [
            "## Attention economy: the step with sessions, churn and ads on vs off",
            "",
            f"Workload `attention_cost` (`benchmarks/workloads/attention.py`), N = "
            f"{res['n']:,}: both models built in one process from the default config; "
            f'"on" adds `{" ".join(res["switches_on"])}`. After {res["warmup_steps"]} '
            f"warm-up steps each, {res['steps_timed']} steps of each, interleaved; medians "
            f"of the per-step times (1-minute load {res['load_start'][0]} at start, "
            f"{res['load_end'][0]} at the end).",
            "",
            "| step CPU off | step CPU on | on ÷ off (CPU) | median of pair ratios | on ÷ off (wall) |",
            "|---|---|---|---|---|",
            f"| {cpu['off']:.3f} s | {cpu['on']:.3f} s | {res['ratio_cpu']:.2f}× | "
            f"{res['ratio_cpu_pairs_median']:.2f}× | "
            f"{wall['on'] / wall['off']:.2f}× |",
            "",
            f"The budget is {res['budget']}×: the measured ratio is {verdict} it "
            "(docs/attention.md §Cost says where the time goes).",
            "",
        ]
    )


def _prefixed(section: str) -> str:
    """``section`` after a blank line, or nothing."""
    return "\n" + section if section else ""


def write_report(results: dict[str, Any], doc: Path) -> None:
    """Write the figures beside ``doc`` (``figures/``) and the page itself, atomically."""
    doc = Path(doc)
    doc.parent.mkdir(parents=True, exist_ok=True)
    figures = write_figures(results, doc.parent / "figures")
    text = render_report(results, doc, figures)
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, doc)
