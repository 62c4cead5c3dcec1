"""``feedlab validate``: feedlab checked against the literature (docs/validation.md).

    feedlab validate                  # fast subset: DW complete graph, consensus, Watts,
                                      # fact 1 (about a minute on 2 cores)
    feedlab validate --full           # every check (≈ 3 min on 2 idle cores, ≈ 5 CPU-min)
    feedlab validate --only dw_complete,fact_outrage_amplification
    feedlab validate --list           # the checks, their tier and status
    feedlab validate --full --out docs/validation_results.md --figures docs/figures

Two kinds of check, one entry each in :data:`CHECKS`:

* **canonical reductions** (docs/validation.md §Canonical reductions) — with its mechanisms switched off, feedlab *is* a
  published model: Deffuant–Weisbuch bounded confidence on complete and sparse graphs,
  Fortunato's consensus threshold, Sîrbu et al.'s algorithmic bias, Watts' threshold
  cascades. They reproduce published results and **must pass**.
* **stylized facts** (docs/validation.md §Stylized facts) — claims about the default model, tested, not asserted.
  A fact the model does not show is a finding: it is reported as ``FAIL-reported`` with
  the numbers measured and the reason, and documented in ``docs/validation.md``; the test
  and the model are never tuned to make it pass.

Every check fixes its seeds, states what it expects before it runs and returns what it
measured. Its tolerance is chosen from the spread of replicates (the comment above its
constants says how), and ``tests/test_canonical.py`` / ``tests/test_validation.py``
plant a bug for each check (a wrong sign, a mis-indexed rule, a mislabelled metric) and
assert that the check then reports failure (a fact that fails in the correct model, fact 5,
gets the opposite test: the effect it claims is planted, and the check must pass).

Exit status
-----------
``0`` if and only if every canonical reduction that ran passed and no check raised an
error; ``1`` otherwise. A stylized fact that fails is reported (``FAIL-reported``) and
changes the exit status only with ``--strict``. A check that is not yet implemented (it
needs a unit or a metric that does not exist yet) is listed with that status, never as
passing, and does not change the exit status. ``2``: usage error.

Runs
----
Canonical reductions build models with :func:`feedlab.experiments.build` from their experiment
configs (``conf/experiment/dw_*.yaml``, ``algorithmic_bias_sweep.yaml``) and step them
until the opinions freeze (:func:`frozen`). Stylized facts go through
:func:`feedlab.experiments.run_experiment` into ``<cache>/<code fingerprint>/`` (default
``validation/.runs``): re-running reuses the complete runs of the *same code and
configs*, and any change to the model's source or configs starts a fresh cache (the run
key hashes the config only). The Watts check calls the threshold-cascade kernel of
:mod:`feedlab.models.events.threshold` (its feed-model equivalence is ``tests/test_watts.py``).

Adding a check
--------------
Write ``def my_check(ctx: Context) -> Outcome`` and ``register(Check(name=..., kind=...,
title=..., expected=..., source=..., run=my_check))``. A check returns
:class:`Outcome` (passed, one line of measured numbers, the reason when it fails, and
the numbers as a dict for the JSON); :func:`run_checks` turns it into a :class:`Result`.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import math
import os
import sys
import textwrap
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"

PASS = "PASS"
FAIL = "FAIL"  # a canonical reduction failed: exit status 1
REPORTED = "FAIL-reported"  # a stylized fact does not hold: reported and documented
ERROR = "ERROR"  # the check raised: exit status 1
PENDING = "not yet implemented"

Kind = Literal["canonical", "fact"]
Tier = Literal["fast", "full"]


# ------------------------------------------------------------------------ the registry
@dataclass(frozen=True)
class Outcome:
    """What a check found: pass/fail, the measured numbers (one line), the reason."""

    passed: bool
    measured: str
    reason: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    figure: str | None = None


@dataclass(frozen=True)
class Check:
    """One validation check (module docstring). ``run`` is ``None`` while the check
    is not yet implemented; ``pending`` then says what it needs."""

    name: str
    kind: Kind
    title: str
    expected: str
    source: str
    run: Callable[..., Outcome] | None = None
    tier: Tier = "full"
    experiment: str = ""
    pending: str = ""


@dataclass
class Result:
    """A check's row in the results table (and the JSON)."""

    name: str
    kind: str
    title: str
    expected: str
    measured: str
    status: str
    reason: str
    source: str
    experiment: str
    tier: str
    seconds: float
    figure: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def counts_as_failure(self) -> bool:
        """Whether this result makes the exit status non-zero (without --strict)."""
        return self.status in (FAIL, ERROR)


CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add (or replace) a check in :data:`CHECKS`; returns it."""
    CHECKS[check.name] = check
    return check


# ------------------------------------------------------------------------- the context
def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    return v


def code_fingerprint(root: Path = ROOT) -> str:
    """12 hex digits over what can change a run: ``*.py`` of agents, models, experiments
    and analysis (except this report and the figure scripts) and ``conf/**/*.yaml`` —
    the cache key of a code version."""
    h = hashlib.sha256()
    parts = [root / d for d in ("agents", "models", "experiments", "analysis")]
    skip = {root / "analysis" / "validation.py"}
    files = sorted(
        p
        for d in parts
        if d.is_dir()
        for p in d.rglob("*.py")
        if p not in skip and (root / "analysis" / "figures") not in p.parents
    )
    files += sorted((root / "conf").rglob("*.yaml"))
    for p in files:
        h.update(str(p.relative_to(root)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


def run_task(task: tuple[str, list[str]]) -> dict[str, Any]:
    """``(cache, overrides)`` → one run through :func:`feedlab.experiments.run_experiment` into
    ``cache`` (a complete run there is reused): ``{"summary", "timeseries", "run_dir",
    "key"}``. A top-level function, so worker processes can run it."""
    from feedlab.experiments import run_experiment

    cache, overrides = task
    res = run_experiment(
        [
            *overrides,
            f"output.dir={cache}",
            "output.progress=false",
            "output.quiet=true",
            "output.mesa_agents=false",
        ]
    )
    ts = res.timeseries
    if not ts:
        import pyarrow.parquet as pq

        table = pq.read_table(res.run_dir / "timeseries.parquet").to_pydict()
        ts = {k: np.asarray(v, dtype=np.float64) for k, v in table.items()}
    return {"summary": res.summary, "timeseries": ts, "run_dir": str(res.run_dir), "key": res.key}


@dataclass
class Context:
    """What checks get: the run cache, where figures go, a logger.

    ``cache`` is the ``output.dir`` of every :func:`run_experiment` call (tests pass a
    temporary directory so that planted bugs never touch a shared cache).
    """

    cache: Path
    figures: Path | None = None
    log: Callable[[str], None] = lambda msg: None
    jobs: int = 1
    _composed: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        """``[fn(t) for t in tasks]``, in ``jobs`` forked worker processes when > 1.

        Workers are forked, so they see the parent's state exactly (including any
        test's monkeypatched kernel); each task is independent and seeded by its own
        config, so results do not depend on ``jobs``.
        """
        if self.jobs <= 1 or len(tasks) <= 1:
            return [fn(t) for t in tasks]
        import multiprocessing as mp
        import warnings
        from concurrent.futures import ProcessPoolExecutor

        # fork on purpose: workers inherit the parent's modules as they are, including a
        # test's planted bug. Python 3.12 warns about forking a process with threads; the
        # parent's only extra threads are idle BLAS/Arrow pools (fork-safe via atfork).
        method = "fork" if "fork" in mp.get_all_start_methods() else None
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*use of fork\\(\\) may lead to deadlocks")
            with ProcessPoolExecutor(
                max_workers=min(self.jobs, len(tasks)), mp_context=mp.get_context(method)
            ) as pool:
                return list(pool.map(fn, tasks))

    def config(self, *overrides: str) -> dict[str, Any]:
        """The composed config (a fresh deep copy; composition is cached)."""
        if overrides not in self._composed:
            from feedlab.experiments import compose

            self._composed[overrides] = compose([*overrides, "output.mesa_agents=false"])
        return copy.deepcopy(self._composed[overrides])

    def run(self, overrides: Sequence[str]) -> dict[str, Any]:
        """One recorded run through :func:`feedlab.experiments.run_experiment` (complete runs in
        the cache are reused). Returns ``{"summary", "timeseries", "run_dir", "key"}``."""
        return run_task((str(self.cache), list(overrides)))

    def run_many(self, overrides: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
        """:meth:`run` for each list of overrides (in parallel with ``jobs`` > 1)."""
        for ov in overrides:
            self.log("  run " + " ".join(ov))
        return self.map(run_task, [(str(self.cache), list(ov)) for ov in overrides])

    def figure_path(self, name: str) -> Path | None:
        if self.figures is None:
            return None
        self.figures.mkdir(parents=True, exist_ok=True)
        return self.figures / f"validation_{name}.png"


def _save(fig: Any, path: Path | None) -> str | None:
    """Write a PNG atomically (no timestamps in the metadata); returns its path."""
    if path is None:
        return None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fig.savefig(tmp, format="png", dpi=150, metadata={"Software": "feedlab validate"})
    os.replace(tmp, path)
    return str(path)


def _label(style: Any, metric: str, width: int = 40) -> str:
    """The project's axis label of a metric, wrapped to fit a narrow panel."""
    return "\n".join(textwrap.wrap(style.LABELS.get(metric, metric), width))


def _plotting() -> tuple[Any, Any]:
    """(style module, Figure factory) with the project's publication style."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from feedlab.analysis.figures import style

    return style, style.figure


# ================================================================ canonical reductions
#: Opinions are frozen "up to δ" when every follow edge joins two users whose opinions
#: differ by less than δ (they have met) or by at least the tolerance (they never will).
#: δ = 1e-3 on the [-1, 1] scale (5e-4 on [0, 1]): 50× below the cluster-splitting gap
#: of the metrics (0.05), so cluster counts no longer change once frozen.
FREEZE_DELTA = 1e-3


def frozen(model: Any, delta: float = FREEZE_DELTA) -> bool:
    """True when no follow edge can still move an opinion by more than μ·δ.

    An edge (i, j) is *active* while ``δ ≤ |x_i − x_j| < max(ε_i, ε_j)`` (either end
    would move). Frozen = no active edge; after that, interactions only merge opinions
    already within δ, so the cluster structure is final (a standard absorbing-state
    criterion for bounded confidence; Lorenz 2007, Int. J. Mod. Phys. C 18:1819).
    """
    x, g, tol = model.users.opinion, model.graph, model.users.tolerance
    d = np.abs(x[g.src] - x[g.indices])
    eps = np.maximum(tol[g.src], tol[g.indices])
    return bool(np.all((d < delta) | (d >= eps)))


def step_until_frozen(model: Any, max_steps: int, every: int = 1) -> int | None:
    """Step (N pairwise interactions each) until :func:`frozen`; the number of steps
    = interactions per individual, or ``None`` if still active after ``max_steps``."""
    for _ in range(max_steps):
        model.step()
        if model.t % every == 0 and frozen(model):
            return int(model.t)
    return None


def _set(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    node = cfg
    *path, last = dotted.split(".")
    for k in path:
        node = node[k]
    node[last] = value


def pairwise_config(
    ctx: Context,
    experiment: str,
    *,
    eps01: float,
    seed: int,
    n: int | None = None,
    network: Mapping[str, Any] | None = None,
    gamma: float | None = None,
) -> dict[str, Any]:
    """A canonical run's config: the experiment config with ε (given on the papers'
    [0, 1] scale, set as 2ε on feedlab's [-1, 1] scale), the root seed, optionally a
    replacement network node (its parameters except ``n``), the number of users ``n``
    and the algorithmic-bias γ."""
    cfg = ctx.config(f"experiment={experiment}")
    _set(cfg, "population.tolerance.mean", 2.0 * eps01)
    cfg["seed"] = seed
    if network is not None:
        cfg["network"] = dict(network)
    if n is not None:
        cfg["network"]["n"] = n
    if gamma is not None:
        _set(cfg, "ranking.gamma", gamma)
    return cfg


def freeze_task(task: tuple[dict[str, Any], int, int]) -> tuple[np.ndarray, int | None]:
    """Build ``cfg`` with :func:`feedlab.experiments.build` and step it until :func:`frozen`:
    ``(final opinions, steps or None)``. A top-level function, so workers can run it."""
    from feedlab.experiments import build

    cfg, max_steps, every = task
    model = build(cfg)
    steps = step_until_frozen(model, max_steps, every)
    return model.users.opinion.copy(), steps


def dw_law(eps01: float) -> int:
    """⌊1/(2ε)⌋ major clusters (Deffuant et al. 2000; ε on the [0, 1] scale)."""
    return math.floor(1.0 / (2.0 * eps01) + 1e-12)


# Deffuant–Weisbuch cluster law. ε values (on [0, 1]) put 1/(2ε) = 3.33, 2.5, 1.67 inside
# the intervals of the floor law, away from its integer jumps (at ε = 0.1, 1/(2ε) = 5
# exactly and 4 or 5 clusters are equally likely). N = 500; 10 replicates per ε
# (root seeds 0–9, shared across ε: common random numbers). Measured over 20 replicates
# (seeds 0–19): complete graph 20/20, 20/20, 19/20 runs on the law; Erdős–Rényi and
# Watts–Strogatz 8/10 at ε = 0.15 (the others 2 clusters + a large minority cluster),
# 10/10 at ε = 0.2 and 0.3; Barabási–Albert 9/10, 10/10, 10/10. Criterion: for every
# (graph, ε) the modal number of major clusters (≥ 5 % of users) equals ⌊1/(2ε)⌋ and
# at least 60 % of the replicates agree. With a per-replicate agreement p ≥ 0.85, the
# chance that fewer than 6 of 10 agree is ≤ 1 % per cell (binomial), so a correct model
# fails this check in well under 5 % of seed choices across its cells.
DW_EPS = (0.15, 0.2, 0.3)
DW_N = 500
DW_REPLICATES = 10
DW_MIN_AGREE = 0.6
DW_MAX_STEPS = 5000
SPARSE_GRAPHS: dict[str, dict[str, Any]] = {
    "Erdős–Rényi z=10": {"name": "erdos_renyi", "mean_degree": 10},
    "Barabási–Albert m=5": {"name": "barabasi_albert", "m": 5},
    "Watts–Strogatz k=10 p=0.1": {"name": "watts_strogatz", "k": 10, "p": 0.1},
}


def _cluster_law_cells(
    ctx: Context, experiment: str, graphs: Mapping[str, Mapping[str, Any] | None], every: int
) -> dict[str, dict[float, dict[str, Any]]]:
    from feedlab.analysis.metrics import effective_clusters, major_clusters

    keys, tasks = [], []
    for label, net in graphs.items():
        for eps in DW_EPS:
            for seed in range(DW_REPLICATES):
                cfg = pairwise_config(ctx, experiment, eps01=eps, seed=seed, n=DW_N, network=net)
                keys.append((label, eps))
                tasks.append((cfg, DW_MAX_STEPS, every))
    ctx.log(f"  {len(tasks)} runs of {experiment}")
    results = ctx.map(freeze_task, tasks)
    out: dict[str, dict[float, dict[str, Any]]] = {}
    for label in graphs:
        out[label] = {}
        for eps in DW_EPS:
            runs = [r for k, r in zip(keys, results) if k == (label, eps)]
            counts = [int(major_clusters(x)) for x, _ in runs]
            steps = [t for _, t in runs]
            values, freq = np.unique(counts, return_counts=True)
            mode = int(values[np.argmax(freq)])
            agree = sum(c == dw_law(eps) for c in counts)
            out[label][eps] = {
                "law": dw_law(eps),
                "major_clusters": counts,
                "effective_clusters": [float(effective_clusters(x)) for x, _ in runs],
                "mode": mode,
                "agree": agree,
                "frozen_steps": steps,
                "not_frozen": sum(t is None for t in steps),
                "ok": mode == dw_law(eps) and agree >= DW_MIN_AGREE * DW_REPLICATES,
            }
            ctx.log(f"  {label} ε={eps}: major clusters {counts}")
    return out


def _cluster_law_outcome(
    ctx: Context, cells: dict[str, dict[float, dict[str, Any]]], name: str, title: str
) -> Outcome:
    parts, bad = [], []
    for label, row in cells.items():
        txt = ", ".join(
            f"ε={e:g}: {c['mode']} ({c['agree']}/{DW_REPLICATES})" for e, c in row.items()
        )
        parts.append(f"{label}: {txt}" if len(cells) > 1 else txt)
        bad += [
            f"{label} ε={e:g}: mode {c['mode']} (law {c['law']}), {c['agree']}/{DW_REPLICATES} agree"
            for e, c in row.items()
            if not c["ok"]
        ]
        bad += [
            f"{label} ε={e:g}: {c['not_frozen']} runs not frozen after {DW_MAX_STEPS} steps"
            for e, c in row.items()
            if c["not_frozen"]
        ]
    fig = _plot_cluster_law(ctx, cells, name, title)
    return Outcome(
        passed=not bad,
        measured="modal major clusters (replicates on the law): " + "; ".join(parts),
        reason="; ".join(bad),
        data={"cells": cells, "replicates": DW_REPLICATES, "n": DW_N},
        figure=fig,
    )


def _plot_cluster_law(
    ctx: Context, cells: dict[str, dict[float, dict[str, Any]]], name: str, title: str
) -> str | None:
    path = ctx.figure_path(name)
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * (1.4 if len(cells) > 1 else 1.0), 2.8)
        ax = fig.subplots()
        grid = np.linspace(1.0, 4.0, 400)
        ax.plot(grid, np.floor(grid + 1e-12), color=style.GREY, lw=1.2, label="⌊1/(2ε)⌋")
        offsets = np.linspace(-0.08, 0.08, max(len(cells), 1))
        for k, (label, row) in enumerate(cells.items()):
            xs, ys = [], []
            for e, c in row.items():
                vals, freq = np.unique(c["major_clusters"], return_counts=True)
                for v, f in zip(vals, freq):
                    xs.append(1 / (2 * e) + offsets[k])
                    ys.append((v, f))
            ax.scatter(
                [x for x in xs],
                [v for v, _ in ys],
                s=[12 + 10 * f for _, f in ys],
                alpha=0.75,
                color=style.CYCLE[k % len(style.CYCLE)],
                label=label if len(cells) > 1 else "feedlab (marker area ∝ replicates)",
            )
        ax.set_xlabel("1/(2ε)  (ε on the [0, 1] scale)")
        ax.set_ylabel("Major opinion clusters (≥ 5 % of users)")
        ax.set_title(title)
        ax.legend(loc="upper left")
        return _save(fig, path)


def check_dw_complete(ctx: Context) -> Outcome:
    cells = _cluster_law_cells(ctx, "dw_complete", {"complete graph": None}, every=5)
    return _cluster_law_outcome(ctx, cells, "dw_complete", "Deffuant–Weisbuch, complete graph")


def check_dw_sparse(ctx: Context) -> Outcome:
    cells = _cluster_law_cells(ctx, "dw_sparse", SPARSE_GRAPHS, every=5)
    return _cluster_law_outcome(ctx, cells, "dw_sparse", "Deffuant–Weisbuch, sparse graphs")


# Fortunato (2004): complete consensus (every user in one cluster) for ε > 1/2 on any
# connected graph; below 1/2 it becomes improbable as N grows. ε = 0.55 (above) and
# ε = 0.4 (below), N = 500, 10 replicates per graph (seeds 0–9). Measured (seeds 0–19
# on the complete graph, 0–9 on the sparse ones): above, 20/20 and 10/10 complete
# consensus everywhere; below, complete graph 5/20 (P ≈ 0.25) and 0/10 on every sparse
# graph. Criterion: above, all replicates reach complete consensus (Fortunato finds it in
# every run above 1/2, so one miss contradicts the result); below, at least one replicate
# does not (with P ≈ 0.25 the chance that all 10 do is 0.25¹⁰ ≈ 1e-6).
CONSENSUS_ABOVE = 0.55
CONSENSUS_BELOW = 0.4
CONSENSUS_REPLICATES = 10
CONSENSUS_GRAPHS: dict[str, dict[str, Any] | None] = {"complete graph": None, **SPARSE_GRAPHS}


def check_dw_consensus(ctx: Context) -> Outcome:
    from feedlab.analysis.metrics import cluster_sizes

    keys, tasks = [], []
    for label, net in CONSENSUS_GRAPHS.items():
        for key, eps in (("above", CONSENSUS_ABOVE), ("below", CONSENSUS_BELOW)):
            for seed in range(CONSENSUS_REPLICATES):
                cfg = pairwise_config(
                    ctx, "dw_consensus", eps01=eps, seed=seed, n=DW_N, network=net
                )
                keys.append((label, key))
                tasks.append((cfg, DW_MAX_STEPS, 5))
    ctx.log(f"  {len(tasks)} runs of dw_consensus")
    results = ctx.map(freeze_task, tasks)
    res: dict[str, dict[str, Any]] = {}
    bad = []
    for label in CONSENSUS_GRAPHS:
        row: dict[str, Any] = {}
        for key, eps in (("above", CONSENSUS_ABOVE), ("below", CONSENSUS_BELOW)):
            runs = [r for k, r in zip(keys, results) if k == (label, key)]
            full = [t is not None and cluster_sizes(x).size == 1 for x, t in runs]
            row[key] = {"eps": eps, "consensus": int(sum(full)), "runs": len(runs)}
        res[label] = row
        if row["above"]["consensus"] < CONSENSUS_REPLICATES:
            bad.append(
                f"{label}: complete consensus in {row['above']['consensus']}/"
                f"{CONSENSUS_REPLICATES} runs at ε = {CONSENSUS_ABOVE}"
            )
        if row["below"]["consensus"] == CONSENSUS_REPLICATES:
            bad.append(f"{label}: complete consensus in every run at ε = {CONSENSUS_BELOW}")
        ctx.log(f"  {label}: {row}")
    measured = "; ".join(
        f"{label}: {r['above']['consensus']}/{r['above']['runs']} at ε={CONSENSUS_ABOVE}, "
        f"{r['below']['consensus']}/{r['below']['runs']} at ε={CONSENSUS_BELOW}"
        for label, r in res.items()
    )
    return Outcome(
        passed=not bad,
        measured="runs in complete consensus: " + measured,
        reason="; ".join(bad),
        data={"graphs": res, "n": DW_N},
        figure=_plot_consensus(ctx, res),
    )


def _plot_consensus(ctx: Context, res: dict[str, dict[str, Any]]) -> str | None:
    path = ctx.figure_path("dw_consensus")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * 1.4, 2.8)
        ax = fig.subplots()
        labels = list(res)
        xs = np.arange(len(labels))
        for k, key in enumerate(("below", "above")):
            share = [res[g][key]["consensus"] / res[g][key]["runs"] for g in labels]
            eps = res[labels[0]][key]["eps"]
            ax.bar(xs + (k - 0.5) * 0.38, share, 0.36, label=f"ε = {eps:g}", color=style.CYCLE[k])
        ax.axhline(1.0, color=style.GREY, lw=0.8, ls=":")
        ax.set_xticks(xs, [g.replace(" ", "\n", 1) for g in labels])
        ax.set_ylabel("Share of runs in complete consensus")
        ax.set_ylim(0, 1.3)
        ax.set_title("Consensus threshold ε = 1/2 (Fortunato 2004)")
        ax.legend(loc="upper left", ncols=2)
        return _save(fig, path)


# Algorithmic bias (Sîrbu et al. 2019), complete graph, N = 100 as in the paper; γ ∈ {0,
# 0.5, 1}; seeds shared across γ (paired). Clusters at ε = 0.2 and 0.3 (20 replicates);
# time to freeze at ε = 0.4 (10 replicates). Measured (seeds 0–19 / 0–7): effective
# clusters at ε = 0.2: 2.15 ± 0.31, 2.31 ± 0.41, 2.33 ± 0.40; median time to freeze at
# ε = 0.4: 20, 37, 1281 interactions per individual (reference 35, 192, 1049), with a
# heavy right tail at γ = 0 (mean 29, one straggling pair). Criteria: (a) the effective
# number of clusters never falls from one γ to the next by more than 3 standard errors
# of the paired difference (a flat truth fails this with probability ≈ 0.2 % per step,
# < 1 % over the four steps); (b) the median time to freeze never decreases with γ and
# grows ≥ 10× from γ = 0 to 1 (reference 30×, measured 64×); (c) every median lies
# within 10× of 35·exp(3.4γ) ("order of magnitude": measured 0.2–1.2×; the reference
# is the paper's visual aid and its convergence criterion differs from ours).
# γ > 1 is left out: with the 1e-5 distance floor, two users who have just met hold the
# same opinion and pick each other with weight 1e5^γ, so freezing slows like ≈ 1e5^γ
# rather than exp(3.4γ): at γ = 1.25 five of six runs were still active after 40,000
# interactions per individual (reference 2,456) — see docs/validation.md.
AB_N = 100
AB_CLUSTER_EPS = (0.2, 0.3)
AB_GAMMAS = (0.0, 0.5, 1.0)
AB_REPLICATES = 20
AB_TIME_EPS = 0.4
AB_TIME_REPLICATES = 10
AB_MAX_STEPS = 20_000
AB_NOT_DECREASING_SE = 3.0
AB_TIME_FACTOR = 10.0
AB_MIN_TIME_RATIO = 10.0


def sirbu_reference_time(gamma: float) -> float:
    """Interactions per individual to converge at ε = 0.4: 35·exp(3.4γ) (Sîrbu et al.
    2019, Fig. 4, drawn there 'as a visual aid')."""
    return 35.0 * math.exp(3.4 * gamma)


def _paired_se(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the paired differences a − b."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else 0.0


def check_algorithmic_bias(ctx: Context) -> Outcome:
    from feedlab.analysis.metrics import effective_clusters

    keys, tasks = [], []
    for eps in AB_CLUSTER_EPS:
        for g in AB_GAMMAS:
            for seed in range(AB_REPLICATES):
                cfg = pairwise_config(
                    ctx, "algorithmic_bias_sweep", eps01=eps, seed=seed, n=AB_N, gamma=g
                )
                keys.append(("clusters", eps, g))
                tasks.append((cfg, AB_MAX_STEPS, 10))
    for g in AB_GAMMAS:
        for seed in range(AB_TIME_REPLICATES):
            cfg = pairwise_config(
                ctx, "algorithmic_bias_sweep", eps01=AB_TIME_EPS, seed=seed, n=AB_N, gamma=g
            )
            keys.append(("time", AB_TIME_EPS, g))
            tasks.append((cfg, AB_MAX_STEPS, 1))
    # longest first: the largest-γ runs dominate, so start them early in the pool
    order = sorted(range(len(tasks)), key=lambda i: -keys[i][2])
    ctx.log(f"  {len(tasks)} runs of algorithmic_bias_sweep")
    done = ctx.map(freeze_task, [tasks[i] for i in order])
    results: list[Any] = [None] * len(tasks)
    for i, r in zip(order, done):
        results[i] = r
    bad: list[str] = []
    clusters: dict[float, dict[float, list[float]]] = {}
    for eps in AB_CLUSTER_EPS:
        clusters[eps] = {}
        for g in AB_GAMMAS:
            runs = [r for k, r in zip(keys, results) if k == ("clusters", eps, g)]
            if any(t is None for _, t in runs):
                bad.append(f"ε={eps:g} γ={g:g}: runs not frozen after {AB_MAX_STEPS} steps")
            clusters[eps][g] = [float(effective_clusters(x)) for x, _ in runs]
            ctx.log(f"  ε={eps} γ={g}: effective clusters {np.mean(clusters[eps][g]):.2f}")
        for g0, g1 in itertools.pairwise(AB_GAMMAS):
            m, se = _paired_se(clusters[eps][g1], clusters[eps][g0])
            if m < -AB_NOT_DECREASING_SE * se:
                bad.append(
                    f"ε={eps:g}: effective clusters fall from γ={g0:g} to γ={g1:g} "
                    f"({m:+.2f} ± {se:.2f})"
                )
    times: dict[float, list[float]] = {}
    for g in AB_GAMMAS:
        runs = [r for k, r in zip(keys, results) if k == ("time", AB_TIME_EPS, g)]
        times[g] = [float(t) if t is not None else math.nan for _, t in runs]
        ctx.log(f"  ε={AB_TIME_EPS} γ={g}: steps to freeze {times[g]}")
    med = {
        g: float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan for g, v in times.items()
    }
    for g, v in times.items():
        if not np.isfinite(v).all():
            bad.append(f"ε={AB_TIME_EPS:g} γ={g:g}: some runs not frozen after {AB_MAX_STEPS}")
    gs = list(AB_GAMMAS)
    if any(med[b] < med[a] for a, b in itertools.pairwise(gs)):
        bad.append("median time to freeze is not non-decreasing in γ")
    ratio = med[gs[-1]] / med[gs[0]]
    if not ratio >= AB_MIN_TIME_RATIO:
        bad.append(
            f"time to freeze grows only {ratio:.3g}× from γ={gs[0]:g} to γ={gs[-1]:g} "
            f"(reference {sirbu_reference_time(gs[-1]) / sirbu_reference_time(gs[0]):.3g}×)"
        )
    for g in gs:
        f = med[g] / sirbu_reference_time(g)
        if not (1 / AB_TIME_FACTOR <= f <= AB_TIME_FACTOR):
            bad.append(
                f"γ={g:g}: median time {med[g]:.0f} is {f:.3g}× the reference "
                f"{sirbu_reference_time(g):.0f} (allowed within {AB_TIME_FACTOR:g}×)"
            )
    eff_txt = "; ".join(
        f"ε={e:g}: "
        + ", ".join(f"{np.mean(clusters[e][g]):.2f}" for g in gs)
        + " (paired change γ={:g}→{:g}: {:+.2f} ± {:.2f})".format(
            gs[0], gs[-1], *_paired_se(clusters[e][gs[-1]], clusters[e][gs[0]])
        )
        for e in clusters
    )
    t_txt = ", ".join(f"{med[g]:.0f} (ref {sirbu_reference_time(g):.0f})" for g in gs)
    measured = (
        f"effective clusters at γ = {', '.join(f'{g:g}' for g in gs)}: {eff_txt}; "
        f"median interactions per individual to freeze at ε={AB_TIME_EPS:g}: {t_txt}"
    )
    data = {
        "effective_clusters": {
            str(e): {str(g): v for g, v in r.items()} for e, r in clusters.items()
        },
        "time_to_freeze": {str(g): v for g, v in times.items()},
        "median_time": {str(g): v for g, v in med.items()},
        "reference_time": {str(g): sirbu_reference_time(g) for g in gs},
        "replicates": AB_REPLICATES,
        "time_replicates": AB_TIME_REPLICATES,
    }
    return Outcome(
        passed=not bad,
        measured=measured,
        reason="; ".join(bad),
        data=data,
        figure=_plot_algorithmic_bias(ctx, clusters, times),
    )


def _plot_algorithmic_bias(
    ctx: Context, clusters: dict[float, dict[float, list[float]]], times: dict[float, list[float]]
) -> str | None:
    path = ctx.figure_path("algorithmic_bias")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.DOUBLE, 2.8)
        ax, bx = fig.subplots(1, 2)
        for k, (eps, row) in enumerate(clusters.items()):
            gs = np.array(list(row)) + 0.02 * (k - (len(clusters) - 1) / 2)  # dodge
            m = np.array([np.mean(v) for v in row.values()])
            sd = np.array([np.std(v, ddof=1) for v in row.values()])
            ax.errorbar(gs, m, yerr=sd, marker="o", color=style.CYCLE[k], label=f"ε = {eps:g}")
        ax.set_xlabel("Algorithmic bias γ")
        ax.set_ylabel("Effective number of clusters (mean ± sd)")
        ax.set_title("(a) Fragmentation grows with γ")
        ax.legend()
        gs = np.array(list(times))
        for g, tv in times.items():
            v = np.asarray(tv, dtype=float)
            bx.scatter(np.full(v.size, g), v, s=10, alpha=0.5, color=style.CYCLE[0])
        bx.plot(
            gs,
            [np.nanmedian(v) for v in times.values()],
            "o-",
            color=style.CYCLE[0],
            label="feedlab (median)",
        )
        fine = np.linspace(gs.min(), gs.max(), 100)
        bx.plot(
            fine,
            [sirbu_reference_time(g) for g in fine],
            "--",
            color=style.GREY,
            label="35·exp(3.4γ) (Sîrbu et al.)",
        )
        bx.set_yscale("log")
        bx.set_xlabel("Algorithmic bias γ")
        bx.set_ylabel(f"Interactions per individual\nto freeze (ε = {AB_TIME_EPS:g})")
        bx.set_title("(b) Convergence slows with γ")
        bx.legend()
        return _save(fig, path)


# ====================================================================== stylized facts
class NotAvailable(Exception):
    """Raised by a check whose unit or metric is not in this install (status
    ``not yet implemented``, with the message as the reason)."""


def policies_available() -> list[str]:
    """Ranking policies with a config in ``conf/ranking/`` (sorted)."""
    return sorted(p.stem for p in (CONF / "ranking").glob("*.yaml"))


def _paired_greater(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
) -> dict[str, float]:
    """One-sided paired t-test of mean(a − b) > 0 (Student 1908); NaN pairs dropped."""
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    out: dict[str, float] = {
        "mean_diff": float(d.mean()) if d.size else math.nan,
        "n": float(d.size),
    }
    if d.size < 2:
        out["p"] = 1.0
        return out
    if np.allclose(d, d[0]):  # no spread: the sign decides
        out["p"] = 0.0 if d[0] > 0 else 1.0
        return out
    out["p"] = float(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
    out["sd_diff"] = float(d.std(ddof=1))
    return out


def _fmt_ms(values: Sequence[float], digits: int = 3) -> str:
    """``mean ± sd`` of the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "nan"
    if v.size == 1:
        return f"{v[0]:.{digits}g}"
    return f"{v.mean():.{digits}g} ± {v.std(ddof=1):.{max(digits - 1, 1)}g}"


def _arm_runs(
    ctx: Context, experiment: str, arms: Mapping[str, Sequence[str]], seeds: Sequence[int]
) -> dict[str, list[dict[str, Any]]]:
    """Every arm (a list of overrides) on every seed, through the run cache."""
    keys, ovs = [], []
    for arm, extra in arms.items():
        for seed in seeds:
            keys.append(arm)
            ovs.append([f"experiment={experiment}", *extra, f"seed={seed}"])
    results = ctx.run_many(ovs)
    out: dict[str, list[dict[str, Any]]] = {arm: [] for arm in arms}
    for arm, r in zip(keys, results):
        out[arm].append(r)
    return out


def _values(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """A summary value per run (NaN where missing)."""
    out = []
    for r in runs:
        v = r["summary"].get(key)
        out.append(float(v) if v is not None else math.nan)
    return out


def _series_mean(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """Per run, the mean over recorded steps after step 0 of a time-series column."""
    out = []
    for r in runs:
        col = np.asarray(r["timeseries"].get(key, [math.nan]), dtype=float)[1:]
        out.append(float(np.nanmean(col)) if np.isfinite(col).any() else math.nan)
    return out


def _rise(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """Per run, the change of a time-series column from step 0 to the last record."""
    out = []
    for r in runs:
        col = np.asarray(r["timeseries"].get(key, [math.nan]), dtype=float)
        out.append(float(col[-1] - col[0]))
    return out


#: Root seeds of every stylized-fact experiment: the same for every fact, so the
#: engagement and chronological runs are shared between facts 1, 2, 4 and 8 (same
#: config ⇒ same run key ⇒ one run in the cache).
FACT_SEEDS = tuple(range(10))
#: Seeds of the all-policy comparison (fact 4): 9 policies × 3 seeds.
FACT4_SEEDS = tuple(range(3))
#: Significance level of the one-sided paired tests of the stylized facts.
ALPHA = 0.05

# Fact 1 tolerances. Engagement ranking: the run-mean amplification must exceed 1 in a
# one-sided one-sample t-test at ALPHA over the 10 seeds (measured over 6 seeds at the
# fact size, n = 1000 and 200 steps: 5.14 ± 0.25, so a true ratio of 1 is rejected
# with a margin of > 30 sd). Chronological "≈ 1": |mean − 1| ≤ 0.1. Without reshares,
# where nothing but the feed decides what is seen, the chronological run-mean is
# 0.98 ± 0.03 (8 seeds, 100 steps), so the mean of 10 has sd ≈ 0.01 and 0.1 is ≈ 10
# sd: a model whose chronological feed is neutral fails this in a negligible share of
# seed sets, while an over-representation of outrage by 10 % or more is substantive.
FACT1_CHRONO_TOL = 0.1


def check_fact_outrage_amplification(ctx: Context, seeds: Sequence[int] = FACT_SEEDS) -> Outcome:
    exp = "fact_outrage_amplification"
    runs = _arm_runs(
        ctx, exp, {"engagement": ["ranking=engagement"], "chron": ["ranking=chronological"]}, seeds
    )
    a_e = _values(runs["engagement"], "run_mean_outrage_amplification")
    a_c = _values(runs["chron"], "run_mean_outrage_amplification")
    above = _paired_greater(a_e, [1.0] * len(a_e))
    s_e = _series_mean(runs["engagement"], "outrage_share_impressions")
    s_c = _series_mean(runs["chron"], "outrage_share_impressions")
    huszar = [e / c if c > 0 else math.nan for e, c in zip(s_e, s_c)]
    c_mean = float(np.nanmean(a_c))
    ok_e = above["mean_diff"] > 0 and above["p"] < ALPHA
    ok_c = abs(c_mean - 1.0) <= FACT1_CHRONO_TOL
    reasons = []
    if not ok_e:
        reasons.append(
            f"engagement ranking does not amplify outrage: {_fmt_ms(a_e)} "
            f"(one-sided p = {above['p']:.3g} for > 1)"
        )
    if not ok_c:
        reasons.append(
            f"chronological feed is not neutral: amplification {c_mean:.3g}, outside "
            f"1 ± {FACT1_CHRONO_TOL:g}"
        )
    measured = (
        f"amplification engagement {_fmt_ms(a_e)} (p = {above['p']:.2g} for > 1), "
        f"chronological {_fmt_ms(a_c)}; high-outrage impression share engagement ÷ "
        f"chronological {_fmt_ms(huszar)} ({len(seeds)} seeds)"
    )
    data = {
        "seeds": list(seeds),
        "amplification_engagement": a_e,
        "amplification_chronological": a_c,
        "impression_share_ratio": huszar,
        "p_engagement_above_1": above["p"],
        "chronological_tolerance": FACT1_CHRONO_TOL,
    }
    return Outcome(
        passed=ok_e and ok_c,
        measured=measured,
        reason="; ".join(reasons),
        data=data,
        figure=_plot_strip(
            ctx,
            "fact_outrage_amplification",
            {"engagement": a_e, "chronological": a_c},
            "run_mean_outrage_amplification",
            "Fact 1: engagement ranking amplifies outrage",
            ref=1.0,
            band=FACT1_CHRONO_TOL,
        ),
    )


def _plot_strip(
    ctx: Context,
    name: str,
    arms: Mapping[str, Sequence[float]],
    metric: str,
    title: str,
    ref: float | None = None,
    band: float | None = None,
    paired: bool = False,
) -> str | None:
    """Per-seed values of each arm (joined by seed when ``paired``)."""
    path = ctx.figure_path(name)
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * 1.2, 2.8)
        ax = fig.subplots()
        labels = list(arms)
        if paired:
            mat = np.array([arms[a] for a in labels], dtype=float)
            for j in range(mat.shape[1]):
                ax.plot(range(len(labels)), mat[:, j], color=style.GREY, lw=0.7, alpha=0.6)
        for k, a in enumerate(labels):
            colour, marker, _, _ = style.policy_style(a, k)
            v = np.asarray(arms[a], dtype=float)
            ax.scatter(np.full(v.size, k), v, color=colour, marker=marker, s=18, zorder=3)
            ax.errorbar(
                k + 0.18,
                np.nanmean(v),
                yerr=np.nanstd(v, ddof=1) if v.size > 1 else 0,
                fmt="_",
                color=colour,
                ms=12,
                capsize=3,
            )
        if ref is not None:
            ax.axhline(ref, color=style.GREY, lw=0.8, ls=":")
            if band:
                ax.axhspan(ref - band, ref + band, color=style.GREY, alpha=0.12, lw=0)
        ax.set_xticks(
            range(len(labels)), [style.policy_style(a, k)[3] for k, a in enumerate(labels)]
        )
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.set_ylabel(_label(style, metric))
        ax.set_title(title)
        return _save(fig, path)


# Fact 2 tolerance: one-sided paired t-test (pairs = seeds, common random numbers) of
# log final opinion variance, engagement > chronological, at ALPHA over 10 seeds. The
# log: variance is a scale, and the effect is multiplicative with a heavy right tail —
# over 6 seeds at the fact size the per-seed ratios were 1.4–43 (engagement 0.026 ±
# 0.023, chronological 0.0049 ± 0.0021), where one seed at 43× inflates the sd of raw
# differences (raw paired p = 0.04) while the log ratios (mean 1.5, sd 1.3) give p ≈
# 0.02 with 6 and a power > 0.9 with 10 pairs. Bimodality and the distance between group
# means are reported beside it (raw paired tests; not part of the criterion: both are
# noisier, sd ≈ 70–110 % of their mean).


def check_fact_engagement_polarises(ctx: Context, seeds: Sequence[int] = FACT_SEEDS) -> Outcome:
    exp = "fact_engagement_polarises"
    runs = _arm_runs(
        ctx, exp, {"engagement": ["ranking=engagement"], "chron": ["ranking=chronological"]}, seeds
    )
    stats_: dict[str, dict[str, Any]] = {}
    for m in ("opinion_variance", "bimodality", "group_mean_distance"):
        e, c = _values(runs["engagement"], m), _values(runs["chron"], m)
        if m == "opinion_variance":  # a scale: test the log ratio (tolerance comment)
            test = _paired_greater(np.log(e), np.log(c))
        else:
            test = _paired_greater(e, c)
        stats_[m] = {"engagement": e, "chronological": c, **test}
    v = stats_["opinion_variance"]
    ok = v["mean_diff"] > 0 and v["p"] < ALPHA
    measured = "; ".join(
        f"{m}: engagement {_fmt_ms(st['engagement'])} vs chronological "
        f"{_fmt_ms(st['chronological'])} (paired{' log-ratio' if m == 'opinion_variance' else ''}"
        f" p = {st['p']:.2g})"
        for m, st in stats_.items()
    )
    reason = (
        ""
        if ok
        else f"final opinion variance not higher under engagement ranking (mean paired log "
        f"ratio {v['mean_diff']:+.3g}, one-sided p = {v['p']:.3g} ≥ {ALPHA:g})"
    )
    return Outcome(
        passed=ok,
        measured=measured + f" ({len(seeds)} seeds)",
        reason=reason,
        data={"seeds": list(seeds), "metrics": stats_},
        figure=_plot_strip(
            ctx,
            "fact_engagement_polarises",
            {"chronological": v["chronological"], "engagement": v["engagement"]},
            "opinion_variance",
            "Fact 2: engagement ranking polarises more",
            paired=True,
        ),
    )


def check_fact_bridging_depolarises(ctx: Context, seeds: Sequence[int] = FACT_SEEDS) -> Outcome:
    if "bridging" not in policies_available():
        raise NotAvailable("needs the bridging ranking policy (conf/ranking/bridging.yaml)")
    exp = "fact_bridging_depolarises"
    runs = _arm_runs(
        ctx, exp, {"engagement": ["ranking=engagement"], "bridging": ["ranking=bridging"]}, seeds
    )
    e = _values(runs["engagement"], "opinion_variance")
    b = _values(runs["bridging"], "opinion_variance")
    t = _paired_greater(np.log(e), np.log(b))  # a scale: log ratio, as for fact 2
    ok = t["mean_diff"] > 0 and t["p"] < ALPHA
    gmd_e = _values(runs["engagement"], "group_mean_distance")
    gmd_b = _values(runs["bridging"], "group_mean_distance")
    measured = (
        f"final opinion variance engagement {_fmt_ms(e)} vs bridging {_fmt_ms(b)} "
        f"(paired log-ratio p = {t['p']:.2g}); group-mean distance {_fmt_ms(gmd_e)} vs "
        f"{_fmt_ms(gmd_b)} "
        f"({len(seeds)} seeds)"
    )
    reason = (
        ""
        if ok
        else f"bridging does not polarise less than engagement (mean paired log ratio "
        f"{t['mean_diff']:+.3g}, one-sided p = {t['p']:.3g} ≥ {ALPHA:g})"
    )
    return Outcome(
        passed=ok,
        measured=measured,
        reason=reason,
        data={"seeds": list(seeds), "engagement": e, "bridging": b, "p": t["p"]},
        figure=_plot_strip(
            ctx,
            "fact_bridging_depolarises",
            {"engagement": e, "bridging": b},
            "opinion_variance",
            "Fact 2b: bridging polarises less than engagement",
            paired=True,
        ),
    )


# Fact 3 criteria (fixed after exploring seeds 100–109 and before running the test seeds).
# (a) "Cuts exposure": per seed, the share of high-outrage political impressions that
# engagement_negfb removes, 1 − P_negfb / P_eng (P = run-mean
# political_outrage_share_impressions, paired by seed), exceeds one half on average
# (one-sided one-sample t-test of the mean cut against FACT3_MIN_CUT at ALPHA). A ratio
# per seed, not a difference: under engagement ranking P varies 16-fold between seeds
# (0.05–0.78 over the exploration seeds; n = 1000, 200 steps, window 3), so raw
# differences are dominated by a few seeds; the cut was 0.998 ± 0.002 (P_negfb ≤ 0.0004
# in every run; 0.000 in the ranking comparison of docs/ranking.md at N = 3000). (b) "Modest engagement cost": the
# relative loss per seed, 1 − E_negfb / E_eng, is below FACT3_MAX_LOSS = 10 % (one-sided
# t-test of the mean against 0.10 at ALPHA) for both engagement measures: MSI points per
# user-step (like 1, comment 30, share 5: the objective the policy re-weights,
# conf/ranking/engagement.yaml) and reactions per user-step (run_mean_engagement_per_user).
# "Modest" is feedlab's definition (the reports of Facebook's 2021 test give no number):
# a loss of less than a tenth of engagement, at most a fifth of the cut in exposure that
# (a) requires. Exploration: MSI loss −0.011 ± 0.020 (max +0.016: MSI points mostly
# rise), reactions −0.12 ± 0.065 (they rise), so the bound is ≈ 17 SE above the mean
# loss with 10 seeds; a true loss of 5 % would still pass with power > 0.99.
FACT3_MIN_CUT = 0.5
FACT3_MAX_LOSS = 0.10


def _msi_per_user(run: Mapping[str, Any], weights: Mapping[str, float]) -> float:
    """MSI points per user-step of a run: Σ_a w_a · total_a / (N · steps)."""
    s = run["summary"]
    pts = sum(float(w) * float(s[f"total_{a}s"]) for a, w in weights.items())
    return pts / (float(s["n_users"]) * float(s["steps"]))


def _relative_change(treated: Sequence[float], control: Sequence[float]) -> list[float]:
    """Per pair, 1 − treated / control (NaN where the control is not positive)."""
    return [1.0 - t / c if c > 0 else math.nan for t, c in zip(treated, control)]


def check_fact_negfb_political_outrage(ctx: Context, seeds: Sequence[int] = FACT_SEEDS) -> Outcome:
    exp = "fact_negfb_political_outrage"
    runs = _arm_runs(
        ctx,
        exp,
        {"engagement": ["ranking=engagement"], "engagement_negfb": ["ranking=engagement_negfb"]},
        seeds,
    )
    weights = ctx.config(f"experiment={exp}", "ranking=engagement")["ranking"]["weights"]
    pol = {a: _values(r, "run_mean_political_outrage_share_impressions") for a, r in runs.items()}
    cut = _relative_change(pol["engagement_negfb"], pol["engagement"])
    t_cut = _paired_greater(cut, [FACT3_MIN_CUT] * len(cut))
    msi = {a: [_msi_per_user(x, weights) for x in r] for a, r in runs.items()}
    react = {a: _values(r, "run_mean_engagement_per_user") for a, r in runs.items()}
    loss = {
        "msi": _relative_change(msi["engagement_negfb"], msi["engagement"]),
        "reactions": _relative_change(react["engagement_negfb"], react["engagement"]),
    }
    t_loss = {k: _paired_greater([FACT3_MAX_LOSS] * len(v), v) for k, v in loss.items()}
    outrage = {a: _values(r, "run_mean_outrage_share_impressions") for a, r in runs.items()}
    negfb = {
        a: [
            x["summary"]["total_negfb"] / (x["summary"]["n_users"] * x["summary"]["steps"])
            for x in r
        ]
        for a, r in runs.items()
    }
    ok_cut = t_cut["mean_diff"] > 0 and t_cut["p"] < ALPHA
    ok_loss = {k: t["mean_diff"] > 0 and t["p"] < ALPHA for k, t in t_loss.items()}
    reasons = []
    if not ok_cut:
        reasons.append(
            f"engagement_negfb does not cut exposure to high-outrage political items by more "
            f"than {FACT3_MIN_CUT:.0%}: mean cut {_fmt_ms(cut)} (one-sided p = "
            f"{t_cut['p']:.3g})"
        )
    names = {"msi": "MSI points", "reactions": "reactions"}
    for k, ok in ok_loss.items():
        if not ok:
            reasons.append(
                f"engagement cost not modest: {names[k]} per user-step fall by "
                f"{_fmt_ms(loss[k])} (not below {FACT3_MAX_LOSS:.0%}: one-sided p = "
                f"{t_loss[k]['p']:.3g})"
            )
    measured = (
        f"high-outrage political share of impressions engagement {_fmt_ms(pol['engagement'])} "
        f"→ engagement_negfb {_fmt_ms(pol['engagement_negfb'])} (cut {_fmt_ms(cut)}, p = "
        f"{t_cut['p']:.2g} for > {FACT3_MIN_CUT:g}); engagement loss: MSI points "
        f"{_fmt_ms(msi['engagement'])} → {_fmt_ms(msi['engagement_negfb'])} per user-step "
        f"({_fmt_ms(loss['msi'])}, p = {t_loss['msi']['p']:.2g} for < {FACT3_MAX_LOSS:g}), "
        f"reactions {_fmt_ms(react['engagement'])} → {_fmt_ms(react['engagement_negfb'])} "
        f"({_fmt_ms(loss['reactions'])}, p = {t_loss['reactions']['p']:.2g}); high-outrage "
        f"share of impressions, all topics, {_fmt_ms(outrage['engagement'])} → "
        f"{_fmt_ms(outrage['engagement_negfb'])}; negative feedback per user-step "
        f"{_fmt_ms(negfb['engagement'])} → {_fmt_ms(negfb['engagement_negfb'])} "
        f"({len(seeds)} seeds)"
    )
    data = {
        "seeds": list(seeds),
        "political_outrage_share": pol,
        "cut": cut,
        "p_cut": t_cut["p"],
        "msi_per_user": msi,
        "reactions_per_user": react,
        "loss": loss,
        "p_loss": {k: t["p"] for k, t in t_loss.items()},
        "outrage_share": outrage,
        "negfb_per_user": negfb,
        "min_cut": FACT3_MIN_CUT,
        "max_loss": FACT3_MAX_LOSS,
    }
    return Outcome(
        passed=ok_cut and all(ok_loss.values()),
        measured=measured,
        reason="; ".join(reasons),
        data=data,
        figure=_plot_negfb(ctx, pol, loss),
    )


def _plot_negfb(
    ctx: Context, pol: Mapping[str, Sequence[float]], loss: Mapping[str, Sequence[float]]
) -> str | None:
    path = ctx.figure_path("fact_negfb_political_outrage")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.DOUBLE, 2.8)
        ax, bx = fig.subplots(1, 2)
        labels = list(pol)
        mat = np.array([pol[a] for a in labels], dtype=float)
        for j in range(mat.shape[1]):
            ax.plot(range(len(labels)), mat[:, j], color=style.GREY, lw=0.7, alpha=0.6)
        for k, a in enumerate(labels):
            colour, marker, _, _ = style.policy_style(a, k)
            ax.scatter(
                np.full(mat.shape[1], k), mat[k], color=colour, marker=marker, s=18, zorder=3
            )
        ax.set_xticks(
            range(len(labels)), [style.policy_style(a, k)[3] for k, a in enumerate(labels)]
        )
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.set_ylabel("High-outrage political items\n(share of impressions, run mean)")
        ax.set_title("(a) Exposure to political outrage (per seed)")
        names = {"msi": "MSI points", "reactions": "Reactions"}
        for k, v in enumerate(loss.values()):
            x = 100.0 * np.asarray(v, dtype=float)
            bx.scatter(np.full(x.size, k), x, color=style.CYCLE[k], s=18, zorder=3)
            bx.errorbar(
                k + 0.18,
                np.nanmean(x),
                yerr=np.nanstd(x, ddof=1) if x.size > 1 else 0,
                fmt="_",
                color=style.CYCLE[k],
                ms=12,
                capsize=3,
            )
        bx.axhline(
            100 * FACT3_MAX_LOSS,
            color=style.GREY,
            lw=0.8,
            ls="--",
            label=f"modest: < {FACT3_MAX_LOSS:.0%}",
        )
        bx.axhline(0, color=style.GREY, lw=0.8, ls=":")
        bx.set_xticks(range(len(loss)), [names.get(k, k) for k in loss])
        bx.set_xlim(-0.5, len(loss) - 0.5)
        bx.set_ylabel("Engagement lost under engagement_negfb\n(% of engagement ranking, per seed)")
        bx.set_title("(b) Engagement cost per user-step")
        bx.legend(loc="upper right")
        return _save(fig, path)


# Fact 4 criterion: over FACT4_SEEDS (3 seeds, every policy on the same seeds), E* =
# the policy with the highest mean run-mean engagement per user, V* = the one with the
# highest mean run-mean reflective value. Pass when E* ≠ V* and V*'s value exceeds E*'s
# in every seed (a sign test of 3 pairs: a tie in truth passes with probability 1/8;
# measured value gaps engagement vs chronological 0.04 with per-seed sd ≈ 0.02, so a
# real gap of that size passes in nearly every seed set). Policies that cannot run
# (a unit under development) are listed and left out.


def check_fact_engagement_not_value(
    ctx: Context, seeds: Sequence[int] = FACT4_SEEDS, policies: Sequence[str] | None = None
) -> Outcome:
    exp = "fact_engagement_not_value"
    names = list(policies) if policies is not None else policies_available()
    eng: dict[str, list[float]] = {}
    val: dict[str, list[float]] = {}
    skipped: dict[str, str] = {}
    ovs = [[f"experiment={exp}", f"ranking={p}", f"seed={s}"] for p in names for s in seeds]
    try:
        flat = ctx.run_many(ovs)
        results = {p: flat[i * len(seeds) : (i + 1) * len(seeds)] for i, p in enumerate(names)}
    except Exception:  # one broken policy must not hide the others: retry one by one
        results = {}
        for p in names:
            try:
                results[p] = ctx.run_many(
                    [[f"experiment={exp}", f"ranking={p}", f"seed={s}"] for s in seeds]
                )
            except Exception as exc:  # reported, not hidden
                skipped[p] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    for p, runs in results.items():
        eng[p] = _values(runs, "run_mean_engagement_per_user")
        val[p] = _values(runs, "run_mean_mean_value")
    if len(eng) < 2:
        raise RuntimeError(f"fewer than two policies ran: {sorted(eng)}; skipped {skipped}")
    mean_e = {p: float(np.nanmean(v)) for p, v in eng.items()}
    mean_v = {p: float(np.nanmean(v)) for p, v in val.items()}
    e_star = max(mean_e, key=lambda p: mean_e[p])
    v_star = max(mean_v, key=lambda p: mean_v[p])
    gaps = [b - a for a, b in zip(val[e_star], val[v_star])]
    ok = e_star != v_star and all(g > 0 for g in gaps)
    frontier = [
        p
        for p in eng
        if not any(
            mean_e[q] >= mean_e[p]
            and mean_v[q] >= mean_v[p]
            and (mean_e[q], mean_v[q]) != (mean_e[p], mean_v[p])
            for q in eng
        )
    ]
    table = ", ".join(f"{p} {mean_e[p]:.3g}/{mean_v[p]:.4g}" for p in sorted(eng))
    measured = (
        f"max engagement: {e_star} ({mean_e[e_star]:.3g}); max value: {v_star} "
        f"({mean_v[v_star]:.4g}); value gap per seed {', '.join(f'{g:+.3g}' for g in gaps)}; "
        f"frontier {', '.join(sorted(frontier))}; engagement/value {table} ({len(seeds)} seeds)"
        + (f"; skipped {', '.join(skipped)}" if skipped else "")
    )
    if e_star == v_star:
        reason = f"{e_star} maximises both engagement and value"
    elif not ok:
        reason = f"value of {v_star} does not exceed that of {e_star} in every seed ({gaps})"
    else:
        reason = ""
    return Outcome(
        passed=ok,
        measured=measured,
        reason=reason,
        data={
            "seeds": list(seeds),
            "engagement": eng,
            "value": val,
            "engagement_optimal": e_star,
            "value_optimal": v_star,
            "frontier": frontier,
            "skipped": skipped,
        },
        figure=_plot_frontier(ctx, eng, val, frontier),
    )


def _plot_frontier(
    ctx: Context,
    eng: Mapping[str, list[float]],
    val: Mapping[str, list[float]],
    frontier: list[str],
) -> str | None:
    path = ctx.figure_path("fact_engagement_not_value")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * 1.4, 3.0)
        ax = fig.subplots()
        for k, p in enumerate(sorted(eng)):
            colour, marker, _, label = style.policy_style(p, k)
            e, v = np.asarray(eng[p]), np.asarray(val[p])
            ax.errorbar(
                np.mean(e),
                np.mean(v),
                xerr=np.std(e, ddof=1) if e.size > 1 else 0,
                yerr=np.std(v, ddof=1) if v.size > 1 else 0,
                fmt=marker,
                color=colour,
                label=label + (" *" if p in frontier else ""),
            )
        pts = sorted((float(np.mean(eng[p])), float(np.mean(val[p]))) for p in frontier)
        if len(pts) > 1:
            ax.plot(*zip(*pts), color=style.GREY, lw=0.8, ls="--")
        ax.set_xlabel(_label(style, "run_mean_engagement_per_user", 60))
        ax.set_ylabel(_label(style, "run_mean_mean_value", 30))
        ax.set_title("Fact 4: engagement–value frontier (* on the frontier)")
        ax.legend(fontsize=6.5, loc="best")
        return _save(fig, path)


# Fact 5 criterion. The stylized fact claims an audience-size effect: accounts with larger
# audiences get fewer likes and comments per post per follower. The statistic is
# therefore the log–log slope of the engagement rate on followers *within* a class of
# comparable accounts (feedlab.analysis.metrics.engagement_rate_scaling, OLS on log10 ER vs
# log10 mean followers, per run): regular users and authentic influencers
# (experiment=engagement_rate_by_tier; bought accounts are left out: their paid likes
# and comments set their rate). Pass when both within-class slopes are negative in a
# one-sided one-sample t-test over seeds at ALPHA. The slope pooled over every non-bot
# account (the run summary's er_slope, the number industry rankings report) is measured
# and reported beside it, not tested: it mixes classes whose rates differ for reasons
# other than audience size. Exploration (seeds 100–105): users +0.078 ± 0.017,
# authentic influencers +0.056 ± 0.043, pooled −0.052 ± 0.017 (per-run 95 % CI
# half-widths ≈ 0.055 and 0.11); docs/influencers.md §6.2 (seeds 0–2, an earlier code version): +0.107,
# +0.077, −0.033. With 5 seeds the standard error of a class's mean slope is ≈ 0.01–0.02,
# so a true within-class decline of −0.05 or steeper would be detected.
FACT5_SEEDS = tuple(range(5))


def _er_classes(run_dir: str, authentic: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per class of accounts of one run: followers, engagement rate and the log–log fit
    (slope, 95 % CI, accounts) from ``agents.parquet`` (:mod:`feedlab.analysis.influencers`)."""
    from feedlab.analysis import influencers as infl
    from feedlab.analysis.metrics import engagement_rate_scaling

    a = infl.read_run(run_dir)["agents"]
    er = infl.engagement_rates(
        a["likes_received"], a["comments_received"], a["posts_made"], a["mean_followers"]
    )
    f = np.asarray(a["mean_followers"], dtype=np.float64)
    role = np.asarray(a["role"])
    beh = np.asarray(a["behaviour"], dtype=object)
    masks = {
        "users": (role == infl.ROLE_USER) & (beh == ""),
        "authentic": np.isin(beh, list(authentic)),
        "pooled": role != infl.ROLE_BOT,
        "other": (role != infl.ROLE_BOT)
        & (role != infl.ROLE_USER)
        & ~np.isin(beh, list(authentic)),
    }
    out = {}
    for k, m in masks.items():
        slope, lo, hi, n = engagement_rate_scaling(f[m], er[m])
        out[k] = {"slope": slope, "ci": (lo, hi), "n": n, "followers": f[m], "rate": er[m]}
    return out


def check_fact_engagement_rate_audience(
    ctx: Context, seeds: Sequence[int] = FACT5_SEEDS
) -> Outcome:
    exp = "engagement_rate_by_tier"
    cfg = ctx.config(f"experiment={exp}")
    authentic = [
        c["label"] for c in cfg["influencer"]["components"] if c["behaviour"]["name"] == "authentic"
    ]
    runs = ctx.run_many([[f"experiment={exp}", f"seed={s}"] for s in seeds])
    classes = [_er_classes(r["run_dir"], authentic) for r in runs]
    slopes = {k: [c[k]["slope"] for c in classes] for k in ("users", "authentic", "pooled")}
    ci = {k: [c[k]["ci"] for c in classes] for k in slopes}
    tests = {k: _paired_greater([0.0] * len(v), v) for k, v in slopes.items()}
    within = ("users", "authentic")
    ok = {k: tests[k]["mean_diff"] > 0 and tests[k]["p"] < ALPHA for k in within}
    names = {"users": "regular users", "authentic": "authentic influencers", "pooled": "pooled"}
    reasons = [
        f"within {names[k]} the engagement rate does not fall with audience size: slope "
        f"{_fmt_ms(slopes[k])} (one-sided p = {tests[k]['p']:.3g} for < 0)"
        for k in within
        if not ok[k]
    ]
    if reasons and tests["pooled"]["mean_diff"] > 0:
        reasons.append(
            f"the pooled slope ({_fmt_ms(slopes['pooled'])}) mixes account classes whose "
            "rates differ for reasons other than audience size (docs/validation.md, fact 5)"
        )
    measured = (
        "log–log slope of engagement rate on followers: "
        + "; ".join(
            f"{names[k]} {_fmt_ms(slopes[k])} (p = {tests[k]['p']:.2g} for < 0; per-seed 95 % "
            "CIs " + ", ".join(f"[{lo:+.2f}, {hi:+.2f}]" for lo, hi in ci[k]) + ")"
            for k in slopes
        )
        + f" ({len(seeds)} seeds)"
    )
    data = {
        "seeds": list(seeds),
        "slopes": slopes,
        "ci": ci,
        "accounts": {k: [c[k]["n"] for c in classes] for k in slopes},
        "p": {k: t["p"] for k, t in tests.items()},
    }
    return Outcome(
        passed=all(ok.values()),
        measured=measured,
        reason="; ".join(reasons),
        data=data,
        figure=_plot_er_audience(ctx, classes, slopes, ci),
    )


def _plot_er_audience(
    ctx: Context,
    classes: Sequence[Mapping[str, Mapping[str, Any]]],
    slopes: Mapping[str, Sequence[float]],
    ci: Mapping[str, Sequence[tuple[float, float]]],
) -> str | None:
    path = ctx.figure_path("fact_engagement_rate_audience")
    if path is None:
        return None
    style, figure = _plotting()
    look = {
        "users": ("Regular users", style.GREY, 3),
        "authentic": ("Authentic influencers", style.CYCLE[0], 10),
        "other": ("Bought-engagement influencers", style.CYCLE[1], 10),
        "pooled": ("Pooled (all non-bot accounts)", "black", 0),
    }
    with style.rc():
        fig = figure(style.DOUBLE, 3.0)
        ax, bx = fig.subplots(1, 2)
        first = classes[0]
        for k in ("users", "other", "authentic"):
            c = first[k]
            ok = np.isfinite(c["rate"]) & (c["rate"] > 0) & (c["followers"] > 0)
            label, colour, size = look[k]
            ax.scatter(
                c["followers"][ok],
                c["rate"][ok],
                s=size,
                color=colour,
                alpha=0.45,
                lw=0,
                label=label,
            )
        for k in ("users", "authentic", "pooled"):
            c = first[k]
            ok = np.isfinite(c["rate"]) & (c["rate"] > 0) & (c["followers"] > 0)
            if ok.sum() < 2 or not np.isfinite(c["slope"]):
                continue
            lx, ly = np.log10(c["followers"][ok]), np.log10(c["rate"][ok])
            xs = np.linspace(lx.min(), lx.max(), 20)
            ax.plot(
                10**xs,
                10 ** (ly.mean() + c["slope"] * (xs - lx.mean())),
                color=look[k][1],
                ls="--" if k == "pooled" else "-",
                lw=1.2,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(style.LABELS["followers"])
        ax.set_ylabel(_label(style, "engagement_rate", 36))
        ax.set_title("(a) First seed; fits: solid within class, dashed pooled")
        ax.legend(loc="lower left", markerscale=1.5)
        for k, key in enumerate(("users", "authentic", "pooled")):
            s = np.asarray(slopes[key], dtype=float)
            lo = np.array([c[0] for c in ci[key]], dtype=float)
            hi = np.array([c[1] for c in ci[key]], dtype=float)
            xs = k + np.linspace(-0.2, 0.2, s.size) if s.size > 1 else np.array([k])
            bx.errorbar(xs, s, yerr=[s - lo, hi - s], fmt="o", color=look[key][1], ms=3)
        bx.axhline(0, color=style.GREY, lw=0.8, ls=":")
        bx.set_xticks(range(3), ["Regular users", "Authentic\ninfluencers", "Pooled"])
        bx.set_xlim(-0.5, 2.5)
        bx.set_ylabel("Log–log slope of engagement rate\non followers (per seed, 95 % CI)")
        bx.set_title("(b) Slopes per seed (fact 5: < 0)")
        return _save(fig, path)


# Fact 6 criteria (experiment influencer_disclosure: sponsored influencers, campaign from
# step 60 to 120, 240 steps, N = 2000). Each campaign run is compared with the control
# of the same seed without sponsored posts (influencer.rate = 0; the disclosure flag is
# then irrelevant), d(t) = trust in the sponsored accounts minus the control's
# (feedlab.analysis.influencers.campaign_effect). (a) "Undisclosed erodes trust faster": d after
# 10 campaign steps (effect_h) is lower for undisclosed than for disclosed sponsorship,
# one-sided paired t-test over seeds at ALPHA. (b) "Trust falls fast and recovers
# slowly": for undisclosed sponsorship the fall half-life (exponential fit of d over the
# campaign) is shorter than the recovery half-life (fit from the lowest d after the
# campaign, toward 0), one-sided paired t-test at ALPHA; disclosed sponsorship moves
# trust too little for reliable half-lives (docs/influencers.md §6.1), so they are reported, not tested.
# Exploration (seeds 100–105): d after 10 steps −0.0121 vs −0.0013 (paired difference
# 0.0108 ± 0.0031); half-lives, undisclosed, fall 12.3 ± 3.0 vs recovery 46 ± 9.5 steps
# (paired difference 34 ± 12). Over every 4-seed subset of those 6 the larger of the two
# p-values was ≤ 0.010 (median 0.006; ≤ 0.04 over 3-seed subsets), so 4 seeds leave a
# margin.
FACT6_SEEDS = tuple(range(4))
FACT6_COLUMN = "trust_sponsored"


def _campaign_runs(
    ctx: Context, seeds: Sequence[int]
) -> tuple[dict[str, list[dict[str, Any]]], int, int | None]:
    exp = "influencer_disclosure"
    arms = {
        "control": ["influencer.rate=0.0", "influencer.disclosed=true"],
        "disclosed": ["influencer.disclosed=true"],
        "undisclosed": ["influencer.disclosed=false"],
    }
    runs = _arm_runs(ctx, exp, arms, seeds)
    inf = ctx.config(f"experiment={exp}")["influencer"]
    return runs, int(inf["start"]), (None if inf["stop"] < 0 else int(inf["stop"]))


def check_fact_sponsorship_trust(ctx: Context, seeds: Sequence[int] = FACT6_SEEDS) -> Outcome:
    from feedlab.analysis.influencers import campaign_effect

    runs, start, stop = _campaign_runs(ctx, seeds)
    effects: dict[str, list[dict[str, float]]] = {}
    for arm in ("disclosed", "undisclosed"):
        effects[arm] = []
        for r, c in zip(runs[arm], runs["control"]):
            ts, tc = r["timeseries"], c["timeseries"]
            effects[arm].append(
                campaign_effect(ts["step"], ts[FACT6_COLUMN], tc[FACT6_COLUMN], start, stop)
            )

    def col(arm: str, key: str) -> list[float]:
        return [float(e[key]) for e in effects[arm]]

    t_fast = _paired_greater(col("disclosed", "effect_h"), col("undisclosed", "effect_h"))
    t_slow = _paired_greater(
        col("undisclosed", "recovery_half_life"), col("undisclosed", "fall_half_life")
    )
    ok_fast = t_fast["mean_diff"] > 0 and t_fast["p"] < ALPHA
    ok_slow = t_slow["mean_diff"] > 0 and t_slow["p"] < ALPHA
    reasons = []
    if not ok_fast:
        reasons.append(
            f"undisclosed sponsorship does not erode trust faster than disclosed: effect after "
            f"10 campaign steps {_fmt_ms(col('undisclosed', 'effect_h'))} vs "
            f"{_fmt_ms(col('disclosed', 'effect_h'))} (one-sided paired p = {t_fast['p']:.3g})"
        )
    if not ok_slow:
        reasons.append(
            f"trust does not recover more slowly than it falls (undisclosed): fall half-life "
            f"{_fmt_ms(col('undisclosed', 'fall_half_life'))} vs recovery "
            f"{_fmt_ms(col('undisclosed', 'recovery_half_life'))} steps (one-sided paired p = "
            f"{t_slow['p']:.3g})"
        )
    pct = {a: [100 * v for v in col(a, "effect_relative")] for a in effects}
    measured = (
        f"trust in sponsored accounts minus same-seed control after 10 campaign steps: "
        f"undisclosed {_fmt_ms(col('undisclosed', 'effect_h'), 2)}, disclosed "
        f"{_fmt_ms(col('disclosed', 'effect_h'), 2)} (paired p = {t_fast['p']:.2g}); largest "
        f"loss {_fmt_ms(pct['undisclosed'])} % vs {_fmt_ms(pct['disclosed'])} % of the "
        f"control; undisclosed half-lives: fall {_fmt_ms(col('undisclosed', 'fall_half_life'))}"
        f" vs recovery {_fmt_ms(col('undisclosed', 'recovery_half_life'))} steps (paired p = "
        f"{t_slow['p']:.2g}), {_fmt_ms(col('undisclosed', 'recovered'))} of the loss regained "
        f"by step {int(runs['undisclosed'][0]['timeseries']['step'][-1])}; disclosed "
        f"(unreliable, small loss): fall {_fmt_ms(col('disclosed', 'fall_half_life'))}, "
        f"recovery {_fmt_ms(col('disclosed', 'recovery_half_life'))} "
        f"({len(seeds)} seeds)"
    )
    data = {
        "seeds": list(seeds),
        "campaign": [start, stop],
        "effects": effects,
        "p_faster": t_fast["p"],
        "p_recovers_slower": t_slow["p"],
        "exposures": {a: _values(runs[a], "total_sponsored_exposures") for a in effects},
        "detections": {a: _values(runs[a], "total_detections") for a in effects},
    }
    return Outcome(
        passed=ok_fast and ok_slow,
        measured=measured,
        reason="; ".join(reasons),
        data=data,
        figure=_plot_sponsorship(ctx, runs, effects, start, stop),
    )


def _plot_sponsorship(
    ctx: Context,
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    effects: Mapping[str, Sequence[Mapping[str, float]]],
    start: int,
    stop: int | None,
) -> str | None:
    path = ctx.figure_path("fact_sponsorship_trust")
    if path is None:
        return None
    style, figure = _plotting()
    colour = {"disclosed": style.CYCLE[0], "undisclosed": style.CYCLE[1]}
    with style.rc():
        fig = figure(style.DOUBLE, 2.9)
        ax, bx = fig.subplots(1, 2, width_ratios=[1.6, 1])
        for arm in ("disclosed", "undisclosed"):
            ds = [
                np.asarray(r["timeseries"][FACT6_COLUMN], float)
                - np.asarray(c["timeseries"][FACT6_COLUMN], float)
                for r, c in zip(runs[arm], runs["control"])
            ]
            t = np.asarray(runs[arm][0]["timeseries"]["step"], float)
            for d in ds:
                ax.plot(t, d, color=colour[arm], lw=0.5, alpha=0.35)
            ax.plot(t, np.mean(ds, axis=0), color=colour[arm], label=arm)
        end = stop if stop is not None else float(t[-1])
        ax.axvspan(start, end, color=style.GREY, alpha=0.12, lw=0, label="campaign")
        ax.axhline(0, color=style.GREY, lw=0.8, ls=":")
        ax.set_xlabel(style.LABELS["step"])
        ax.set_ylabel("Trust in sponsored accounts\nminus same-seed control")
        ax.set_title("(a) Campaign effect on followers' trust")
        ax.legend(loc="lower right")
        pairs = [(e["fall_half_life"], e["recovery_half_life"]) for e in effects["undisclosed"]]
        for f, r in pairs:
            bx.plot([0, 1], [f, r], color=style.GREY, lw=0.7, alpha=0.7)
        bx.scatter(
            [0] * len(pairs), [p[0] for p in pairs], color=colour["undisclosed"], s=18, zorder=3
        )
        bx.scatter(
            [1] * len(pairs),
            [p[1] for p in pairs],
            color=colour["undisclosed"],
            marker="s",
            s=18,
            zorder=3,
        )
        bx.set_xticks([0, 1], ["Fall\n(during campaign)", "Recovery\n(after it)"])
        bx.set_xlim(-0.5, 1.5)
        bx.set_ylabel("Half-life of the trust effect (steps)")
        bx.set_title("(b) Undisclosed: half-lives")
        return _save(fig, path)


# Fact 7 criteria (experiment apology_timing: the cancel_storm transgression on day 10 by
# the most-followed account of a 3,000-user follower graph, engagement ranking — the
# default — 100 days; the seed fixes network, population and thresholds). A *storm* is
# a cascade that reached ≥ 1 % of the users (feedlab.analysis.cascades.table's definition).
# Over the storms without an apology: (a) rise fast — the median time from the
# transgression to the day with the most call-outs is ≤ FACT7_PEAK_DAYS; (b) fade
# within weeks — every storm's last call-out comes ≤ FACT7_FADE_DAYS (four weeks) after
# the transgression; (c) reputations mostly recover — on average more than half of the
# reputation lost at the trough (mean follower trust in the target) is regained by the
# end (one-sided t-test of the mean regained share against FACT7_REGAINED at ALPHA);
# the number of runs back at 90 % of the pre-event level (the yardstick of docs/cascades.md §5) is
# reported beside it. (d) Faster after an apology — days to recover to 90 % are fewer
# with an apology on day 1 after the transgression than without, paired by seed (one-
# sided paired t-test at ALPHA; a run that never recovers counts as the horizon, 90
# days, which is conservative when only the no-apology run is censored). An apology on
# day 7 is run and reported (docs/cascades.md §5 found it makes no difference), not tested: the fact
# claims only that an apology helps. Exploration (seeds 100–107): every run a storm;
# time to peak 0–6 days (median 0); duration 6–9 days (docs/cascades.md §5, five rankings: ≤ 27);
# share of the loss regained 0.91 ± 0.10 (min 0.82; > 1 where trust ends above its
# pre-event level); 6/8 back at 90 %; days to 90 % without vs with an early apology,
# paired difference 41 ± 16 (all 8 positive); with a day-7 apology +0.75 ± 4.6. The
# thresholds are the fact's words made numbers ("fast": within three days; "within
# weeks": four weeks; "mostly": more than half); they sit well outside the measured
# spread. 8 seeds, the experiment's own: the apology test needs them (the censored
# recovery times are noisy; on seeds 0–2 alone p = 0.11).
FACT7_SEEDS = tuple(range(8))
FACT7_STORM = 0.01
FACT7_PEAK_DAYS = 3.0
FACT7_FADE_DAYS = 28.0
FACT7_REGAINED = 0.5
FACT7_EARLY = 1
FACT7_LATE = 7


def check_fact_cascades_fade(
    ctx: Context, seeds: Sequence[int] = FACT7_SEEDS, late: bool = True
) -> Outcome:
    """Fact 7 (criteria above); ``late=False`` skips the day-7 apology arm, which is
    reported but not part of the criterion."""
    exp = "apology_timing"
    cfg = ctx.config(f"experiment={exp}")
    t0, steps = int(cfg["event"]["time"]), int(cfg["steps"])
    horizon = float(steps - t0)
    arms = {
        "none": ["event.apology_time=null"],
        "early": [f"event.apology_time={t0 + FACT7_EARLY}"],
    }
    if late:
        arms["late"] = [f"event.apology_time={t0 + FACT7_LATE}"]
    runs = _arm_runs(ctx, exp, arms, seeds)

    def vals(arm: str, key: str) -> np.ndarray:
        return np.asarray(_values(runs[arm], key), dtype=float)

    size = vals("none", "cascade_size")
    storm = size >= FACT7_STORM * vals("none", "n_users")
    peak = vals("none", "time_to_peak")[storm]
    duration = vals("none", "cascade_duration")[storm]
    base, trough = vals("none", "reputation_baseline"), vals("none", "reputation_trough")
    final = vals("none", "reputation_final")
    with np.errstate(divide="ignore", invalid="ignore"):
        regained = np.where(base > trough, (final - trough) / (base - trough), np.nan)[storm]
    recover = {a: vals(a, "time_to_recover_90") for a in runs}
    censored = {a: np.where(np.isfinite(v), v, horizon) for a, v in recover.items()}
    t_regained = _paired_greater(regained, np.full(regained.size, FACT7_REGAINED))
    t_apology = _paired_greater(censored["none"], censored["early"])
    reasons = []
    if storm.sum() < 2:
        reasons.append(f"fewer than two call-out storms (≥ {FACT7_STORM:.0%} of users) to test")
    else:
        if not np.median(peak) <= FACT7_PEAK_DAYS:
            reasons.append(
                f"storms do not rise fast: median time to peak {np.median(peak):g} days "
                f"> {FACT7_PEAK_DAYS:g}"
            )
        if not np.max(duration) <= FACT7_FADE_DAYS:
            reasons.append(
                f"storms do not fade within weeks: longest lasted {np.max(duration):g} days "
                f"> {FACT7_FADE_DAYS:g}"
            )
        if not (t_regained["mean_diff"] > 0 and t_regained["p"] < ALPHA):
            reasons.append(
                f"reputations do not mostly recover: share of the loss regained by day "
                f"{steps} {_fmt_ms(regained)} (one-sided p = {t_regained['p']:.3g} for > "
                f"{FACT7_REGAINED:g})"
            )
    if not (t_apology["mean_diff"] > 0 and t_apology["p"] < ALPHA):
        reasons.append(
            f"reputation does not recover faster after an apology on day {FACT7_EARLY}: days "
            f"to 90 % without {_fmt_ms(censored['none'])}, with {_fmt_ms(censored['early'])} "
            f"(one-sided paired p = {t_apology['p']:.3g})"
        )
    n_rec = int(np.isfinite(recover["none"]).sum())
    measured = (
        f"no apology: {int(storm.sum())}/{len(seeds)} runs a storm (median "
        f"{np.median(size):.0f} callers of {int(vals('none', 'n_users')[0])}); time to peak "
        f"{_fmt_ms(peak)} days (median {np.median(peak) if peak.size else math.nan:g}, max "
        f"{np.max(peak) if peak.size else math.nan:g}); duration {_fmt_ms(duration)} days "
        f"(max {np.max(duration) if duration.size else math.nan:g}); reputation trough "
        f"{_fmt_ms(trough / base)} of baseline, share of the loss regained by day {steps} "
        f"{_fmt_ms(regained)} (p = {t_regained['p']:.2g} for > {FACT7_REGAINED:g}); "
        f"{n_rec}/{len(seeds)} back at 90 % by day {steps}; days to 90 % (not recovered = "
        f"{horizon:g}): none {_fmt_ms(censored['none'])}, apology on day {FACT7_EARLY} "
        f"{_fmt_ms(censored['early'])} (paired p = {t_apology['p']:.2g})"
    )
    data: dict[str, Any] = {
        "seeds": list(seeds),
        "storm": storm,
        "cascade_size": {a: vals(a, "cascade_size") for a in runs},
        "time_to_peak": {a: vals(a, "time_to_peak") for a in runs},
        "cascade_duration": {a: vals(a, "cascade_duration") for a in runs},
        "reputation_trough_rel": {a: vals(a, "reputation_trough_rel") for a in runs},
        "time_to_recover_90": recover,
        "regained": regained,
        "p_regained": t_regained["p"],
        "p_apology": t_apology["p"],
        "apology_days": {"early": FACT7_EARLY, **({"late": FACT7_LATE} if late else {})},
    }
    if late:
        t_late = _paired_greater(censored["none"], censored["late"])
        data["p_late_apology"] = t_late["p"]
        measured += (
            f", on day {FACT7_LATE} {_fmt_ms(censored['late'])} (paired difference "
            f"{t_late['mean_diff']:+.3g}, p = {t_late['p']:.2g})"
        )
    measured += f" ({len(seeds)} seeds)"
    return Outcome(
        passed=not reasons,
        measured=measured,
        reason="; ".join(reasons),
        data=data,
        figure=_plot_cascades(ctx, runs, t0, steps),
    )


def _plot_cascades(
    ctx: Context, runs: Mapping[str, Sequence[Mapping[str, Any]]], t0: int, steps: int
) -> str | None:
    path = ctx.figure_path("fact_cascades_fade")
    if path is None:
        return None
    from feedlab.analysis.cascades import callout_counts, cascade_tree
    from feedlab.analysis.cascades import read_run as read_cascade

    style, figure = _plotting()
    labels = {
        "none": "no apology",
        "early": f"apology on day {FACT7_EARLY}",
        "late": f"apology on day {FACT7_LATE}",
    }
    with style.rc():
        fig = figure(style.DOUBLE, 2.9)
        ax, bx = fig.subplots(1, 2)
        for k, (arm, rs) in enumerate(runs.items()):
            colour = style.CYCLE[k]
            counts = [
                callout_counts(cascade_tree(read_cascade(r["run_dir"])["events"]), t_end=steps)
                for r in rs
            ]
            m = min(c.size for c in counts)
            mat = np.array([c[:m] for c in counts])
            days = np.arange(m)
            ls = "--" if arm == "late" else "-"  # it overlays "none": dashed to see both
            ax.plot(days, mat.mean(0), color=colour, ls=ls, label=labels.get(arm, arm))
            reps = []
            st = np.asarray(rs[0]["timeseries"]["step"], float)
            for r in rs:
                rep = np.asarray(r["timeseries"]["reputation"], float)
                reps.append(rep / rep[st <= t0][-1])
                bx.plot(st - t0, reps[-1], color=colour, lw=0.4, alpha=0.35)
            mean = np.nanmean(reps, axis=0)
            bx.plot(st - t0, mean, color=colour, ls=ls, label=labels.get(arm, arm))
        ax.set_xlim(-0.5, 30)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Days since the transgression")
        ax.set_ylabel("Call-outs per day (mean over seeds)")
        ax.set_title("(a) Storms rise fast and fade")
        ax.legend(loc="upper right")
        bx.axhline(0.9, color=style.GREY, lw=0.8, ls="--")
        bx.axvline(0, color=style.GREY, lw=0.8, ls=":")
        bx.set_xlabel("Days since the transgression")
        bx.set_ylabel(_label(style, "reputation_rel", 34))
        bx.set_title("(b) Reputation (thin: seeds; thick: mean)")
        bx.legend(loc="lower right")
        return _save(fig, path)


# Fact 8 tolerance: one-sided paired t-test (pairs = seeds) of the rise of the
# echo-chamber index from step 0 to the end, rewiring on (the defaults: follow enabled,
# homophily 2) minus rewiring off, at ALPHA over 10 seeds (step 0 is the same in both
# arms of a seed, so this is also the paired difference of the final index). Rewiring
# without homophily (homophily 0) is reported beside it to separate the two mechanisms.
# Measured over 6 seeds at the fact size: rise −0.33 ± 0.31 (on), −0.60 ± 0.08 (off),
# −0.42 ± 0.29 (homophily 0); paired differences on − off +0.27 ± 0.33 (5 of 6
# positive, p = 0.053): the outcome is bimodal per seed (echo chambers survive or
# dissolve), so 10 pairs are needed to detect a difference of this size with power ≈ 0.75.


def check_fact_unfollow_echo_chambers(
    ctx: Context, seeds: Sequence[int] = FACT_SEEDS, attribution: bool = True
) -> Outcome:
    """Fact 8 (tolerance comment above); ``attribution=False`` skips the homophily-0 arm,
    which is reported but not part of the criterion."""
    exp = "fact_unfollow_echo_chambers"
    arms = {
        "on": ["ranking=engagement"],
        "off": ["ranking=engagement", "dynamics.follow.enabled=false"],
    }
    if attribution:
        arms["no_homophily"] = ["ranking=engagement", "dynamics.follow.homophily=0"]
    runs = _arm_runs(ctx, exp, arms, seeds)
    rise = {arm: _rise(r, "echo_chamber_index") for arm, r in runs.items()}
    t = _paired_greater(rise["on"], rise["off"])
    ok = t["mean_diff"] > 0 and t["p"] < ALPHA
    data: dict[str, Any] = {"seeds": list(seeds), "rise": rise, "p": t["p"]}
    homophily = ""
    if attribution:
        t_h = _paired_greater(rise["on"], rise["no_homophily"])
        data["p_homophily"] = t_h["p"]
        homophily = (
            f", rewiring without homophily {_fmt_ms(rise['no_homophily'])} "
            f"(p = {t_h['p']:.2g} for less)"
        )
    measured = (
        f"echo-chamber index rise (step 0 → end): rewiring + homophily {_fmt_ms(rise['on'])}, "
        f"static graph {_fmt_ms(rise['off'])} (paired p = {t['p']:.2g}){homophily}; "
        f"index at the end {_fmt_ms(_values(runs['on'], 'echo_chamber_index'))} vs "
        f"{_fmt_ms(_values(runs['off'], 'echo_chamber_index'))} ({len(seeds)} seeds)"
    )
    reason = (
        ""
        if ok
        else f"the echo-chamber index does not rise more with rewiring and homophily than on a "
        f"static graph (paired difference {t['mean_diff']:+.3g}, one-sided p = {t['p']:.3g} "
        f"≥ {ALPHA:g})"
    )
    return Outcome(
        passed=ok,
        measured=measured,
        reason=reason,
        data=data,
        figure=_plot_echo(ctx, runs),
    )


def _plot_echo(ctx: Context, runs: Mapping[str, list[dict[str, Any]]]) -> str | None:
    path = ctx.figure_path("fact_unfollow_echo_chambers")
    if path is None:
        return None
    style, figure = _plotting()
    labels = {
        "on": "rewiring + homophily",
        "off": "static graph",
        "no_homophily": "rewiring, homophily 0",
    }
    with style.rc():
        fig = figure(style.COLUMN * 1.3, 2.8)
        ax = fig.subplots()
        for k, (arm, rs) in enumerate(runs.items()):
            curves = [np.asarray(r["timeseries"]["echo_chamber_index"], float) for r in rs]
            steps = np.asarray(rs[0]["timeseries"]["step"], float)
            m = min(c.size for c in curves)
            mat = np.array([c[:m] for c in curves])
            mu = mat.mean(0)
            sd = mat.std(0, ddof=1) if mat.shape[0] > 1 else np.zeros(m)
            ax.plot(steps[:m], mu, color=style.CYCLE[k], label=labels.get(arm, arm))
            ax.fill_between(steps[:m], mu - sd, mu + sd, color=style.CYCLE[k], alpha=0.15, lw=0)
        ax.set_xlabel(style.LABELS["step"])
        ax.set_ylabel(_label(style, "echo_chamber_index"))
        ax.set_title("Fact 8: rewiring and echo chambers (mean ± sd)")
        ax.legend()
        return _save(fig, path)


# ================================================================== Watts (2002) window
# The design and tolerances of tests/test_watts.py::test_cascade_window_in_mean_degree,
# where the cascade engineer measured them: N = 10⁴, 50 independent Erdős–Rényi graphs
# with one random seed node each per z (SeedSequence roots [7, 100·z, replicate]), φ =
# 0.18; global = ≥ 10 % of nodes. Three replicate designs gave global frequencies 0.68–
# 0.92 inside the analytic window and 0 of 50 outside. Criterion: inside, ≥ 0.4 at the
# edges (z = 2, 5) and ≥ 0.6 in the middle (z = 3, 4) — ≥ 3 binomial sd below the lowest
# replicate; outside (z = 0.5, 7, 10), none; near the upper edge (z = 5) global cascades
# take > 95 % of the nodes. The check calls the fast kernel of models/events/threshold.py;
# tests/test_watts.py shows the feed model's event path gives the same active sets.
WATTS_PHI = 0.18
WATTS_N = 10_000
WATTS_REPLICATES = 50
WATTS_Z = (0.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0)
WATTS_GLOBAL = 0.1


def watts_task(task: tuple[float, int]) -> int:
    """Size of one threshold cascade from a random seed node on a fresh ER graph."""
    from feedlab.models.events.threshold import followers_csr, run_cascade
    from feedlab.models.network import ErdosRenyi

    z, r = task
    rng = np.random.default_rng(np.random.SeedSequence([7, int(z * 100), r]))
    net = ErdosRenyi(n=WATTS_N, mean_degree=z).generate(rng)
    ip, ix = followers_csr(net.src, net.dst, WATTS_N)
    deg = np.bincount(net.src, minlength=WATTS_N)
    return int(run_cascade(ip, ix, deg, WATTS_PHI, int(rng.integers(0, WATTS_N))).size)


def check_watts_cascade_window(ctx: Context) -> Outcome:
    try:
        from feedlab.models.events.threshold import watts_window
    except ImportError as exc:
        raise NotAvailable(
            f"needs feedlab.models.events.threshold (the cascade kernel): {exc}"
        ) from None
    lo, hi = watts_window(WATTS_PHI)
    tasks = [(z, r) for z in WATTS_Z for r in range(WATTS_REPLICATES)]
    sizes = np.array(ctx.map(watts_task, tasks), dtype=float).reshape(len(WATTS_Z), -1)
    freq, gsize = {}, {}
    for z, s in zip(WATTS_Z, sizes):
        glob = s >= WATTS_GLOBAL * WATTS_N
        freq[z] = float(glob.mean())
        gsize[z] = float(s[glob].mean() / WATTS_N) if glob.any() else 0.0
    inside = [z for z in WATTS_Z if lo < z < hi]
    bad = []
    for z in WATTS_Z:
        if z in inside:
            edge = z in (min(inside), max(inside))
            need = 0.4 if edge else 0.6
            if freq[z] < need:
                bad.append(f"z={z:g} (inside): global-cascade frequency {freq[z]:.2f} < {need}")
        elif freq[z] > 0:
            bad.append(f"z={z:g} (outside): global cascades in {freq[z]:.2f} of runs")
    if inside and gsize[max(inside)] <= 0.95:
        bad.append(f"z={max(inside):g}: global cascades take only {gsize[max(inside)]:.2f}")
    measured = (
        f"analytic window {lo:.2f} < z < {hi:.2f}; global-cascade frequency "
        + ", ".join(f"z={z:g}: {freq[z]:.2f}" for z in WATTS_Z)
        + f"; mean global size at z={max(inside) if inside else math.nan:g}: "
        + (f"{gsize[max(inside)]:.2f}" if inside else "n/a")
    )
    return Outcome(
        passed=not bad,
        measured=measured,
        reason="; ".join(bad),
        data={"window": [lo, hi], "frequency": freq, "global_size": gsize, "sizes": sizes},
        figure=_plot_watts(ctx, freq, gsize, lo, hi),
    )


def _plot_watts(
    ctx: Context, freq: Mapping[float, float], gsize: Mapping[float, float], lo: float, hi: float
) -> str | None:
    path = ctx.figure_path("watts_cascade_window")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * 1.3, 2.8)
        ax = fig.subplots()
        zs = list(freq)
        ax.axvspan(lo, hi, color=style.GREY, alpha=0.15, lw=0, label="analytic window")
        ax.plot(zs, [freq[z] for z in zs], "o-", color=style.CYCLE[0], label="P(global cascade)")
        ax.plot(zs, [gsize[z] for z in zs], "s--", color=style.CYCLE[1], label="mean global size")
        ax.set_xlabel("Mean degree z (Erdős–Rényi)")
        ax.set_ylabel(f"Frequency / share of users (φ = {WATTS_PHI:g})")
        ax.set_title("Watts (2002) cascade window")
        ax.legend(loc="upper right")
        return _save(fig, path)


# ========================================================================= the checks
_DW = (
    "Deffuant, G., Neau, D., Amblard, F. & Weisbuch, G. (2000). Mixing beliefs among "
    "interacting agents. Advances in Complex Systems 3(1–4), 87–98."
)
_FORTUNATO = (
    "Fortunato, S. (2004). Universality of the threshold for complete consensus for the "
    "opinion dynamics of Deffuant et al. International Journal of Modern Physics C 15(9), "
    "1301–1307."
)
_SIRBU = (
    "Sîrbu, A., Pedreschi, D., Giannotti, F. & Kertész, J. (2019). Algorithmic bias "
    "amplifies opinion fragmentation and polarization: a bounded confidence model. PLoS "
    "ONE 14(3), e0213246."
)
_WATTS = (
    "Watts, D. J. (2002). A simple model of global cascades on random networks. "
    "Proceedings of the National Academy of Sciences 99(9), 5766–5771."
)

register(
    Check(
        name="dw_complete",
        kind="canonical",
        title="Deffuant–Weisbuch cluster law, complete graph",
        expected=(
            "μ = 0.5, uniform opinions: ⌊1/(2ε)⌋ major clusters (≥ 5 % of users; ε on "
            "[0, 1], feedlab tolerance 2ε) — 3, 2, 1 at ε = 0.15, 0.2, 0.3: the modal count "
            f"of {DW_REPLICATES} replicates, ≥ {DW_MIN_AGREE:.0%} of them on the law"
        ),
        source=_DW,
        run=check_dw_complete,
        tier="fast",
        experiment="dw_complete",
    )
)
register(
    Check(
        name="dw_sparse",
        kind="canonical",
        title="Deffuant–Weisbuch cluster law, sparse graphs",
        expected=(
            "the same ⌊1/(2ε)⌋ major clusters on Erdős–Rényi (z = 10), Barabási–Albert "
            "(m = 5) and Watts–Strogatz (k = 10, p = 0.1) graphs, N = 500 (modal count, "
            f"≥ {DW_MIN_AGREE:.0%} of {DW_REPLICATES} replicates on the law)"
        ),
        source=(
            _DW + " Weisbuch, G., Deffuant, G., Amblard, F. & Nadal, J.-P. (2002). Meet, "
            "discuss and segregate! Complexity 7(3), 55–63. " + _FORTUNATO
        ),
        run=check_dw_sparse,
        experiment="dw_sparse",
    )
)
register(
    Check(
        name="dw_consensus",
        kind="canonical",
        title="Consensus threshold ε = 1/2 on every topology",
        expected=(
            f"complete consensus (one cluster) in all {CONSENSUS_REPLICATES} runs at "
            f"ε = {CONSENSUS_ABOVE} on complete, Erdős–Rényi, Barabási–Albert and "
            f"Watts–Strogatz graphs; not in all runs at ε = {CONSENSUS_BELOW}"
        ),
        source=_FORTUNATO,
        run=check_dw_consensus,
        tier="fast",
        experiment="dw_consensus",
    )
)
register(
    Check(
        name="algorithmic_bias",
        kind="canonical",
        title="Algorithmic bias: fragmentation and slow convergence grow with γ",
        expected=(
            "complete graph, N = 100, γ = 0, 0.5, 1: at ε = 0.2 and 0.3 the effective number "
            "of clusters does not fall as γ grows (no paired drop beyond "
            f"{AB_NOT_DECREASING_SE:g} SE); at ε = 0.4 the median interactions per individual "
            f"to converge never decrease with γ, grow ≥ {AB_MIN_TIME_RATIO:g}× from γ = 0 to 1 "
            f"and lie within {AB_TIME_FACTOR:g}× of 35·exp(3.4γ)"
        ),
        source=_SIRBU,
        run=check_algorithmic_bias,
        experiment="algorithmic_bias_sweep",
    )
)
register(
    Check(
        name="watts_cascade_window",
        kind="canonical",
        title="Watts threshold cascades: the window in mean degree",
        expected=(
            f"φ = {WATTS_PHI}, Erdős–Rényi N = 10⁴, {WATTS_REPLICATES} graphs per z: global "
            "cascades (≥ 10 %) only inside the analytic window (≈ 1.02 < z < 5.76), frequent "
            "inside (≥ 0.4 at the edges, ≥ 0.6 in the middle), and near-complete at the "
            "upper edge"
        ),
        source=_WATTS,
        run=check_watts_cascade_window,
        tier="fast",
        experiment="watts_cascade",
    )
)
register(
    Check(
        name="fact_outrage_amplification",
        kind="fact",
        title="1. Engagement ranking amplifies outrage",
        expected=(
            "outrage amplification (impression share ÷ post share of high-outrage items) "
            f"> 1 under engagement ranking (one-sided p < {ALPHA}); chronological within "
            f"1 ± {FACT1_CHRONO_TOL} ({len(FACT_SEEDS)} seeds)"
        ),
        source=(
            "Stylized fact 1 (docs/validation.md). Huszár, F., Ktena, S. I., O'Brien, C., Belli, L., Schlaikjer, A. "
            "& Hardt, M. (2022). Algorithmic amplification of politics on Twitter. PNAS "
            "119(1), e2025334119. Brady, W. J., Wills, J. A., Jost, J. T., Tucker, J. A. & "
            "Van Bavel, J. J. (2017). Emotion shapes the diffusion of moralized content in "
            "social networks. PNAS 114(28), 7313–7318."
        ),
        run=check_fact_outrage_amplification,
        tier="fast",
        experiment="fact_outrage_amplification",
    )
)
register(
    Check(
        name="fact_engagement_polarises",
        kind="fact",
        title="2. Engagement ranking polarises more than chronological",
        expected=(
            "final opinion variance higher under engagement than chronological ranking, "
            f"paired by seed (log ratio, one-sided p < {ALPHA}, {len(FACT_SEEDS)} seeds); "
            "bimodality and group-mean distance reported"
        ),
        source=(
            "Stylized fact 2 (docs/validation.md). Perra, N. & Rocha, L. E. C. (2019). Modelling opinion dynamics "
            "in the age of algorithmic personalisation. Scientific Reports 9, 7261. Contrast: "
            "Guess, A. M. et al. (2023). How do social media feed algorithms affect attitudes "
            "and behavior in an election campaign? Science 381(6656), 398–404."
        ),
        run=check_fact_engagement_polarises,
        experiment="fact_engagement_polarises",
    )
)
register(
    Check(
        name="fact_bridging_depolarises",
        kind="fact",
        title="2b. Bridging ranking polarises less than engagement",
        expected=(
            "final opinion variance lower under bridging than engagement ranking, paired by "
            f"seed (log ratio, one-sided p < {ALPHA}, {len(FACT_SEEDS)} seeds)"
        ),
        source=(
            "Stylized fact 2 (docs/validation.md). Ovadya, A. & Thorburn, L. (2023). Bridging systems. arXiv:"
            "2301.09976. Törnberg, P., Valeeva, D., Uitermark, J. & Bail, C. (2023). "
            "Simulating social media using large language models to evaluate alternative "
            "news feed algorithms. arXiv:2310.05984."
        ),
        run=check_fact_bridging_depolarises,
        experiment="fact_bridging_depolarises",
    )
)
register(
    Check(
        name="fact_negfb_political_outrage",
        kind="fact",
        title="3. Negative-feedback ranking cuts political outrage at a modest engagement cost",
        expected=(
            "engagement_negfb vs engagement, paired by seed (window 3): the share of "
            "high-outrage political impressions removed exceeds "
            f"{FACT3_MIN_CUT:.0%} (one-sided p < {ALPHA}) and the engagement lost per "
            f"user-step — MSI points and reactions — is below {FACT3_MAX_LOSS:.0%} "
            f"(one-sided p < {ALPHA}) ({len(FACT_SEEDS)} seeds)"
        ),
        source=(
            "Stylized fact 3 (docs/validation.md). Facebook's 2021 test on political content: less weight on "
            "predicted comments and shares, more on predicted negative feedback "
            "(LITERATURE.md, 'Ranking and field experiments'; the reports give the "
            "direction, not magnitudes)."
        ),
        run=check_fact_negfb_political_outrage,
        experiment="fact_negfb_political_outrage",
    )
)
register(
    Check(
        name="fact_engagement_not_value",
        kind="fact",
        title="4. Engagement-optimal is not value-optimal",
        expected=(
            "across every policy in conf/ranking/, the policy with the highest engagement per "
            "user is not the one with the highest reflective value, whose value is higher in "
            f"every seed ({len(FACT4_SEEDS)} seeds)"
        ),
        source=(
            "docs/model.md §Engagement and reflective value and stylized fact 4 (revealed vs reflective preference). Tang, A., Weyl, E. "
            "G. et al. (2025). Prosocial media. arXiv:2502.10834."
        ),
        run=check_fact_engagement_not_value,
        experiment="fact_engagement_not_value",
    )
)
register(
    Check(
        name="fact_engagement_rate_audience",
        kind="fact",
        title="5. Engagement rate falls as audience size grows",
        expected=(
            "engagement rate ((likes + comments) per post ÷ followers) falls with followers "
            "within comparable accounts: the log–log slope is negative within regular users "
            f"and within authentic influencers (one-sided p < {ALPHA} over "
            f"{len(FACT5_SEEDS)} seeds); the slope pooled over all accounts reported"
        ),
        source=(
            "Stylized fact 5 (docs/validation.md); industry engagement-rate rankings: larger accounts have lower "
            "engagement rates, nano and micro influencers engage more (LITERATURE.md, "
            "'Trust and influencers')."
        ),
        run=check_fact_engagement_rate_audience,
        experiment="engagement_rate_by_tier",
    )
)
register(
    Check(
        name="fact_sponsorship_trust",
        kind="fact",
        title="6. Undisclosed sponsorship erodes trust faster; trust falls fast, recovers slowly",
        expected=(
            "against a same-seed control without sponsored posts: trust in the sponsored "
            "accounts after 10 campaign steps lower with undisclosed than disclosed "
            "sponsorship, and for undisclosed sponsorship a fall half-life shorter than the "
            f"recovery half-life (one-sided paired p < {ALPHA} each, "
            f"{len(FACT6_SEEDS)} seeds)"
        ),
        source=(
            "Stylized fact 6 (docs/validation.md). Slovic, P. (1993). Perceived risk, trust, and democracy. Risk "
            "Analysis 13(6), 675–682. Carr, C. T. & Hayes, R. A. (2014). The effect of "
            "disclosure of third-party influence on an opinion leader's credibility and "
            "electronic word of mouth in two-step flow. Journal of Interactive Advertising "
            "14(1), 38–50."
        ),
        run=check_fact_sponsorship_trust,
        experiment="influencer_disclosure",
    )
)
register(
    Check(
        name="fact_cascades_fade",
        kind="fact",
        title="7. Outrage cascades rise fast and fade; reputations mostly recover",
        expected=(
            "a transgression by the most-followed account, engagement ranking: storms "
            f"(≥ {FACT7_STORM:.0%} of users) peak within {FACT7_PEAK_DAYS:g} days (median) "
            f"and end within {FACT7_FADE_DAYS:g} days; more than {FACT7_REGAINED:.0%} of the "
            f"lost reputation regained by day 100 (one-sided p < {ALPHA}); recovery to 90 % "
            f"faster with an apology on day {FACT7_EARLY} than without (paired, one-sided "
            f"p < {ALPHA}); a day-{FACT7_LATE} apology reported ({len(FACT7_SEEDS)} seeds)"
        ),
        source=(
            "Stylized fact 7. " + _WATTS + " Crane, R. & Sornette, D. (2008). Robust dynamic "
            "classes revealed by measuring the response function of a social system. PNAS "
            "105(41), 15649–15653. Slovic, P. (1993). Perceived risk, trust, and democracy. "
            "Risk Analysis 13(6), 675–682."
        ),
        run=check_fact_cascades_fade,
        experiment="apology_timing",
    )
)
register(
    Check(
        name="fact_unfollow_echo_chambers",
        kind="fact",
        title="8. Unfollowing plus homophily deepen echo chambers over time",
        expected=(
            "the echo-chamber index rises more (step 0 → end) with rewiring (follow enabled, "
            "homophily 2) than on a static graph, paired by seed (one-sided p < "
            f"{ALPHA}, {len(FACT_SEEDS)} seeds); rewiring without homophily reported"
        ),
        source=(
            "Stylized fact 8 (docs/validation.md). Sasahara, K., Chen, W., Peng, H., Ciampaglia, G. L., Flammini, "
            "A. & Menczer, F. (2021). Social influence and unfollowing accelerate the "
            "emergence of echo chambers. Journal of Computational Social Science 4, 381–402. "
            "Cinelli, M. et al. (2021). The echo chamber effect on social media. PNAS "
            "118(9), e2023301118."
        ),
        run=check_fact_unfollow_echo_chambers,
        experiment="fact_unfollow_echo_chambers",
    )
)


# ============================================================================= running
def run_check(check: Check, ctx: Context, **params: Any) -> Result:
    """Run one check and classify its outcome (module docstring: statuses)."""
    t0 = time.perf_counter()
    measured, reason, figure, data = "", "", None, {}
    if check.run is None:
        status, reason = PENDING, check.pending
    else:
        try:
            out = check.run(ctx, **params)
            measured, reason, figure, data = out.measured, out.reason, out.figure, dict(out.data)
            if out.passed:
                status = PASS
            else:
                status = FAIL if check.kind == "canonical" else REPORTED
        except NotAvailable as exc:
            status, reason = PENDING, str(exc)
        except Exception as exc:  # reported as ERROR: exit status 1
            status = ERROR
            reason = f"{type(exc).__name__}: {exc}"
            data = {"traceback": traceback.format_exc()}
    return Result(
        name=check.name,
        kind=check.kind,
        title=check.title,
        expected=check.expected,
        measured=measured,
        status=status,
        reason=reason,
        source=check.source,
        experiment=check.experiment,
        tier=check.tier,
        seconds=round(time.perf_counter() - t0, 1),
        figure=figure,
        data=_jsonable(data),
    )


def select(full: bool = False, only: Sequence[str] = ()) -> list[Check]:
    """The checks to run: ``only`` (in that order), else all (``full``) or the fast tier.
    Raises KeyError naming unknown checks."""
    if only:
        unknown = [n for n in only if n not in CHECKS]
        if unknown:
            raise KeyError(f"unknown check(s) {', '.join(unknown)}; allowed: {', '.join(CHECKS)}")
        return [CHECKS[n] for n in only]
    return [c for c in CHECKS.values() if full or c.tier == "fast"]


def exit_status(results: Sequence[Result], strict: bool = False) -> int:
    """0 iff no canonical reduction failed and no check raised (and, with ``strict``,
    no stylized fact failed); else 1."""
    bad = any(r.counts_as_failure for r in results)
    if strict:
        bad = bad or any(r.status == REPORTED for r in results)
    return 1 if bad else 0


def format_table(results: Sequence[Result], width: int = 100) -> str:
    """The terminal table: one row per check, expected / measured / reason below it."""
    lines = [f"{'STATUS':<20} {'KIND':<10} {'CHECK':<32} {'TIME':>6}", "-" * width]
    wrap = textwrap.TextWrapper(width=width, initial_indent="    ", subsequent_indent="      ")
    for r in results:
        lines.append(f"{r.status:<20} {r.kind:<10} {r.name:<32} {r.seconds:>5.0f}s")
        lines += wrap.wrap(f"expected: {r.expected}")
        if r.measured:
            lines += wrap.wrap(f"measured: {r.measured}")
        if r.reason:
            lines += wrap.wrap(("needs: " if r.status == PENDING else "reason: ") + r.reason)
    counts = {
        s: sum(r.status == s for r in results) for s in (PASS, FAIL, REPORTED, ERROR, PENDING)
    }
    lines.append("-" * width)
    lines.append(", ".join(f"{v} {k}" for k, v in counts.items() if v))
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results: Sequence[Result], md_path: Path | None = None, header: str = "") -> str:
    """A Markdown table (expected vs measured, status) and a section per check."""
    out = [header] if header else []
    out += ["| Check | Kind | Expected | Measured | Status |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        measured = r.measured or "—"
        if r.reason:
            measured += (" **Needs:** " if r.status == PENDING else " **Reason:** ") + r.reason
        out.append(
            f"| {_md_cell(r.title)} (`{r.name}`) | {r.kind} | {_md_cell(r.expected)} | "
            f"{_md_cell(measured)} | **{r.status}** |"
        )
    out.append("")
    for r in results:
        out += [f"### {r.title}", "", f"- check: `{r.name}` ({r.kind}, {r.seconds:g} s)"]
        if r.experiment:
            out.append(f"- config: `conf/experiment/{r.experiment}.yaml`")
        out.append(f"- status: **{r.status}**")
        out.append(f"- source: {r.source}")
        if r.figure:
            rel = os.path.relpath(r.figure, md_path.parent) if md_path else r.figure
            out += ["", f"![{r.name}]({rel})"]
        out.append("")
    return "\n".join(out)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_checks(
    checks: Sequence[Check], ctx: Context, echo: Callable[[str], None] | None = None
) -> list[Result]:
    """Run checks in order; ``echo`` (if given) gets a line as each one finishes."""
    results = []
    for c in checks:
        if echo:
            echo(f"[{c.name}] running ...")
        r = run_check(c, ctx)
        if echo:
            echo(f"[{c.name}] {r.status} ({r.seconds:g} s)")
        results.append(r)
    return results


EPILOG = """exit status:
  0  every canonical reduction that ran passed and no check raised an error
     (stylized facts that fail are reported as FAIL-reported and documented in
     docs/validation.md; checks not yet implemented are listed, never counted)
  1  a canonical reduction failed (FAIL) or a check raised (ERROR); with --strict
     also when a stylized fact failed
  2  usage error (e.g. an unknown check name)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab validate``: run the suite, print the table, write Markdown and JSON."""
    ap = argparse.ArgumentParser(
        prog="feedlab validate",
        description=(
            "Canonical reductions and stylized facts: expected vs measured.\n"
            "Runs the fast subset by default (about a minute), every check with --full;\n"
            "complete runs are cached per code version under --cache."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--full", action="store_true", help="run every check, not the fast subset")
    ap.add_argument("--only", default="", help="comma-separated check names (see --list)")
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    ap.add_argument(
        "--out", default="validation/results.md", help="Markdown table (default %(default)s)"
    )
    ap.add_argument("--json", default="", help="JSON results (default: --out with .json)")
    ap.add_argument(
        "--figures", default="validation/figures", help="figure directory (default %(default)s)"
    )
    ap.add_argument("--no-figures", action="store_true", help="do not draw figures")
    ap.add_argument(
        "--cache", default="validation/.runs", help="run cache root (default %(default)s)"
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="worker processes for independent runs (default %(default)s)",
    )
    ap.add_argument("--strict", action="store_true", help="failing stylized facts also exit 1")
    ap.add_argument("--quiet", action="store_true", help="print only the table")
    try:
        args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.list:
        for c in CHECKS.values():
            state = "implemented" if c.run else "not yet implemented"
            print(f"{c.name:32s} {c.kind:10s} {c.tier:5s} {state:20s} {c.title}")
        return 0
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    try:
        checks = select(args.full, only)
    except KeyError as exc:
        print(f"feedlab validate: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("feedlab validate: --jobs must be >= 1", file=sys.stderr)
        return 2
    fingerprint = code_fingerprint()
    cache = Path(args.cache) / fingerprint
    echo = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    ctx = Context(
        cache=cache,
        figures=None if args.no_figures else Path(args.figures),
        log=(lambda msg: None),
        jobs=args.jobs,
    )
    scope = "selected" if only else ("all" if args.full else "fast subset; --full runs all")
    if echo:
        echo(f"feedlab validate: {len(checks)} checks ({scope}); runs cached in {cache}")
    results = run_checks(checks, ctx, echo)
    status = exit_status(results, args.strict)
    print(format_table(results))
    md = Path(args.out)
    header = (
        f"Results of `feedlab validate` ({scope}; code fingerprint {fingerprint}; exit "
        f"status {status}).\n"
    )
    _write_atomic(md, to_markdown(results, md, header))
    js = Path(args.json) if args.json else md.with_suffix(".json")
    payload = {
        "code_fingerprint": fingerprint,
        "scope": scope,
        "exit_status": status,
        "strict": args.strict,
        "results": [asdict(r) for r in results],
    }
    _write_atomic(js, json.dumps(_jsonable(payload), indent=1, ensure_ascii=False) + "\n")
    if echo:
        echo(
            f"wrote {md} and {js}" + (f"; figures in {args.figures}" if not args.no_figures else "")
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
