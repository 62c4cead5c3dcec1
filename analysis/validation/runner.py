"""Running checks: the run cache keyed by the code fingerprint, :class:`Context` (what a check
gets: cached runs, forked workers, where figures go), :func:`run_check` (one check, classified)
and :func:`run_checks`, :func:`select` and :func:`exit_status`.
"""

from __future__ import annotations

import copy
import hashlib
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .protocol import POWERED, Design, SequentialResult, sequential
from .registry import (
    CHECKS,
    ERROR,
    FAIL,
    INCONCLUSIVE,
    PASS,
    PENDING,
    REPORTED,
    Check,
    NotAvailable,
    Outcome,
    Result,
)
from .report import _jsonable

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"


def code_fingerprint(root: Path = ROOT) -> str:
    """12 hex digits over what can change a run: ``*.py`` of agents, models, experiments
    and analysis and ``conf/**/*.yaml`` — the cache key of a code version — except
    :data:`READERS`, the code that reads, measures or shows runs but cannot change one
    (this validation package, figures, the field-target library, calibration's sampler
    and reports, the economy tables, sensitivity, reports and queries, the command-line
    front ends and the browser explorer). A run's own path (composition, build, step,
    record) is always covered.
    """
    h = hashlib.sha256()
    parts = [root / d for d in ("agents", "models", "experiments", "analysis")]
    skip = [root / r for r in READERS]
    files = sorted(
        p
        for d in parts
        if d.is_dir()
        for p in d.rglob("*.py")
        if not any(s == p or s in p.parents for s in skip)
    )
    files += sorted(
        p
        for p in (root / "conf").rglob("*.yaml")
        if not any(s in p.parents for s in skip) and p.name not in GENERATED_CONFIGS
    )
    for p in files:
        h.update(str(p.relative_to(root)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


#: Config files that ``feedlab calibrate --write-config`` generates (``conf/<group>/
#: calibrated.yaml``): left out of :func:`code_fingerprint` because no run uses them unless
#: it names them, their values enter every such run's key, and ``feedlab validate --params
#: calibrated`` records their provenance in its report.
GENERATED_CONFIGS: tuple[str, ...] = ("calibrated.yaml",)

#: Paths (folders or files, from the project root) that read runs but cannot change one:
#: left out of :func:`code_fingerprint`, so editing them keeps the validation run cache.
READERS: tuple[str, ...] = (
    "analysis/validation",
    "analysis/figures",
    "analysis/targets",
    "analysis/calibration",
    "analysis/economy.py",
    "analysis/sensitivity.py",
    "analysis/report.py",
    "analysis/ranking_report.py",
    "analysis/query.py",
    "analysis/aggregate.py",
    "experiments/cli.py",
    "experiments/params.py",
    "experiments/explore.py",
    "experiments/explore_app.py",
    "conf/calibration",
)


def run_task(task: tuple[str, list[str]]) -> dict[str, Any]:
    """``(cache, overrides)`` → one run through :func:`feedlab.experiments.run_experiment` into
    ``cache`` (a complete run there is reused): ``{"summary", "timeseries", "run_dir",
    "key"}``. A top-level function, so worker processes can run it.
    """
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
    #: Two-sided level of the protocol's intervals at the current look (1 − alpha CIs):
    #: 0.05 for the fixed small seed sets, alpha / K under the sequential design.
    alpha: float = 0.05
    #: The sequential design of ``--powered`` (None: each fact on its fixed seed set).
    design: Design | None = None
    #: Overrides appended to every run of :meth:`run_many` (``feedlab validate --set``): a
    #: shrink hook for reduced end-to-end checks (e.g. ``network.n=300``); results run
    #: with it are marked reduced and are not the documented ones.
    overrides: tuple[str, ...] = ()
    #: The test seeds of ``--powered`` (``--seed-set``: set A, :data:`.seeds.TEST_SEEDS`, or
    #: set B, :data:`.seeds.TEST_SEEDS_B`).
    test_seeds: tuple[int, ...] = ()
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
        """The composed config with :attr:`overrides` (a fresh deep copy; cached)."""
        key = (*overrides, *self.overrides)
        if key not in self._composed:
            from feedlab.experiments import compose

            self._composed[key] = compose([*key, "output.mesa_agents=false"])
        return copy.deepcopy(self._composed[key])

    def run(self, overrides: Sequence[str]) -> dict[str, Any]:
        """One recorded run through :func:`feedlab.experiments.run_experiment` (complete runs in
        the cache are reused). Returns ``{"summary", "timeseries", "run_dir", "key"}``.
        """
        return run_task((str(self.cache), list(overrides)))

    def run_many(self, overrides: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
        """:meth:`run` for each list of overrides (in parallel with ``jobs`` > 1)."""
        full = [[*ov, *self.overrides] for ov in overrides]
        for ov in full:
            self.log("  run " + " ".join(ov))
        return self.map(run_task, [(str(self.cache), ov) for ov in full])

    def figure_path(self, name: str) -> Path | None:
        """Where a check writes its figure (``validation_<name>.png``), or ``None`` when
        figures are off.
        """
        if self.figures is None:
            return None
        self.figures.mkdir(parents=True, exist_ok=True)
        return self.figures / f"validation_{name}.png"


def _status(check: Check, out: Outcome) -> str:
    """The status of an outcome: the protocol's verdict where the check gives one."""
    if out.verdict is not None and check.kind == "fact":
        return {PASS: PASS, REPORTED: REPORTED}.get(out.verdict, INCONCLUSIVE)
    if out.passed:
        return PASS
    return FAIL if check.kind == "canonical" else REPORTED


def powered_run(check: Check, ctx: Context, design: Design = POWERED, **params: Any) -> Outcome:
    """Run a stylized fact under the sequential design: on the first n test seeds
    (``ctx.test_seeds``, by default :data:`.seeds.TEST_SEEDS`) at each look, with the look's
    alpha, until the verdict is settled (:func:`.protocol.sequential`). Runs of earlier looks
    come from the cache.
    """
    from dataclasses import replace

    from .seeds import TEST_SEEDS

    test_seeds = ctx.test_seeds or TEST_SEEDS
    if design.maximum > len(test_seeds):
        raise ValueError(f"design needs {design.maximum} seeds; the test set has {len(test_seeds)}")
    assert check.run is not None

    def evaluate(n: int, alpha: float) -> tuple[str, Outcome]:
        ctx.log(f"  look: {n} seeds at alpha {alpha:g}")
        look = replace(ctx, alpha=alpha)
        out = check.run(look, seeds=test_seeds[:n], **params)  # type: ignore[misc]
        return out.verdict or (PASS if out.passed else REPORTED), out

    res: SequentialResult = sequential(evaluate, design)
    out: Outcome = res.last
    looks = ", ".join(f"{n} seeds: {v}" for n, v in res.looks)
    data = {
        **out.data,
        "sequential": {
            "looks": res.looks,
            "design": {
                "looks": list(design.looks),
                "alpha": design.alpha,
                "look_alpha": design.look_alpha,
            },
        },
    }
    return replace(
        out,
        measured=f"{out.measured} [sequential: {looks}; {100 * (1 - design.look_alpha):.4g} % CIs]",
        data=data,
    )


def run_check(check: Check, ctx: Context, **params: Any) -> Result:
    """Run one check and classify its outcome (module docstring: statuses); a stylized
    fact runs under the sequential design when ``ctx.design`` is set.
    """
    t0 = time.perf_counter()
    measured, reason, figure, data = "", "", None, {}
    if check.run is None:
        status, reason = PENDING, check.pending
    else:
        try:
            if ctx.design is not None and check.kind == "fact":
                out = powered_run(check, ctx, ctx.design, **params)
            else:
                out = check.run(ctx, **params)
            measured, reason, figure, data = out.measured, out.reason, out.figure, dict(out.data)
            status = _status(check, out)
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
    Raises KeyError naming unknown checks.
    """
    if only:
        unknown = [n for n in only if n not in CHECKS]
        if unknown:
            raise KeyError(f"unknown check(s) {', '.join(unknown)}; allowed: {', '.join(CHECKS)}")
        return [CHECKS[n] for n in only]
    return [c for c in CHECKS.values() if full or c.tier == "fast"]


def exit_status(results: Sequence[Result], strict: bool = False) -> int:
    """0 iff no canonical reduction failed and no check raised (and, with ``strict``,
    no stylized fact failed or was inconclusive); else 1.
    """
    bad = any(r.counts_as_failure for r in results)
    if strict:
        bad = bad or any(r.status in (REPORTED, INCONCLUSIVE) for r in results)
    return 1 if bad else 0


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
