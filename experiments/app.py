"""The Hydra app behind ``feedlab run`` (and ``python -m feedlab run``).

:func:`main` locks the hydra node (:func:`feedlab.experiments.guard.check_command_line`),
then hands over to Hydra; :func:`hydra_main` is Hydra's task: one run, or one job of a
sweep (:func:`feedlab.experiments.execute.run_job`). :func:`print_summary` is what a run
prints. This module is the top of the experiments layer: it imports the single-run API
(:mod:`feedlab.experiments.run`) and the sweep machinery, neither of which imports it.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from omegaconf import DictConfig

from feedlab.experiments.schema import ConfigError

if TYPE_CHECKING:
    from feedlab.experiments.run import RunResult

# conf/ (the same path as feedlab.experiments.run.CONF_DIR): the simulation code is
# imported only where a run executes, so that a sweep's launching process never pays for it
CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def print_summary(res: RunResult, quiet: bool = False) -> None:
    """Print what ``feedlab run`` reports: the run key and directory, the headline metrics,
    and with arms each arm − control difference with its bootstrap interval. Nothing when
    ``quiet`` (``output.quiet``).
    """
    if quiet:
        return
    s = res.summary
    state = "already complete (skipped)" if res.skipped else "complete"
    print(f"run {res.key}: {state}")
    print(f"  run directory: {res.run_dir}")
    keys = (
        "n_users",
        "steps",
        "opinion_variance",
        "bimodality",
        "echo_chamber_index",
        "mean_edge_trust",
        "mean_platform_trust",
        "run_mean_engagement_per_user",
        "run_mean_mean_value",
        "run_mean_outrage_amplification",
        "run_mean_cross_cutting_share",
        "mean_outgroup_warmth",  # dynamics.affect (absent without it)
        "outgroup_warmth_change",
        "affective_gap",
        "mean_anger",
        "run_mean_animosity_share_impressions",
    )
    for k in keys:
        if k in s and s[k] is not None:
            v = s[k]
            print(f"  {k:32s} {v:.4g}" if isinstance(v, float) else f"  {k:32s} {v}")
    diffs = []
    for k in s:  # with arms: the differences arm − control of the same metrics
        metric, sep, arm = k.rpartition("__")
        if sep and "-" in arm and metric in keys and isinstance(s[k], float):
            diffs.append(k)
    if not diffs:
        return
    intervals = _difference_intervals(res)
    for k in diffs:
        ci = intervals.get(k)
        text = f"  [{ci[0]:+.4g}, {ci[1]:+.4g}] 95% (bootstrap over {ci[2]})" if ci else ""
        print(f"  {k:52s} {s[k]:+.4g}{text}")
    if any(k not in intervals for k in diffs):
        print(
            "  (no interval: a state metric with no per-user column, too few steps or users, "
            "or no agents.parquet; docs/ranking.md)"
        )


def _difference_intervals(res: RunResult) -> dict[str, tuple[float, float, str]]:
    """Bootstrap intervals of a run's arm − control differences
    (:func:`feedlab.analysis.arms.difference_intervals`) from its recorded files.
    """
    import pyarrow.parquet as pq
    import yaml

    from feedlab.analysis.arms import difference_intervals

    try:
        cfg = yaml.safe_load((res.run_dir / ".hydra" / "config.yaml").read_text())
        names = [a["name"] for a in cfg.get("arms") or []]
        ts = res.timeseries or pq.read_table(res.run_dir / "timeseries.parquet").to_pydict()
        f = res.run_dir / "agents.parquet"
        agents = pq.read_table(f).to_pydict() if f.is_file() else None
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return {}
    return difference_intervals(names, ts, agents, seed=int(cfg.get("seed", 0)))


def main() -> None:
    """``feedlab run``: lock the hydra node, then run Hydra.

    :func:`feedlab.experiments.guard.check_command_line` refuses (exit 2, nothing written) any
    command line or config file that would make Hydra import or call code. A sweep whose
    launcher fails ends with feedlab's report (:func:`feedlab.experiments.callback.launch_aborted`).
    """
    from feedlab.experiments import isolate, yaml_cache
    from feedlab.experiments.guard import check_command_line

    yaml_cache.install()  # the config files are parsed once, not once per composition
    if {"-m", "--multirun"} & set(sys.argv[1:]):
        # a sweep: its first worker's pre-imported process (the zygote) starts now (if
        # the feedlab command did not already start it) and imports while this process
        # composes and plans
        isolate.prestart_for_sweep()
    try:
        check_command_line(sys.argv[1:], CONF_DIR)
    except ConfigError as exc:
        isolate.discard_spare_zygotes()
        print(f"feedlab: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        hydra_main()
    except (Exception, KeyboardInterrupt) as exc:
        # a sweep whose launcher gave up (a killed joblib worker, a lost SLURM job,
        # Ctrl-C): feedlab's report with the dead runs named, exit 1 (130 on Ctrl-C)
        from feedlab.experiments.callback import launch_aborted

        isolate.discard_spare_zygotes()
        launch_aborted(exc)
        raise


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> str | None:
    """Hydra task: one run (a multirun calls this once per job).

    In a multirun (``-m``) each job runs its config in an isolated child process into
    ``<hydra.sweep.dir>/runs/<run key>/`` and records a failure instead of raising, so one
    run's crash never takes the sweep down (:func:`feedlab.experiments.execute.run_job`).
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        hydra_cfg = HydraConfig.get()
        overrides = list(hydra_cfg.overrides.task)
        multirun = hydra_cfg.mode == RunMode.MULTIRUN
    except ValueError:
        overrides, multirun = [], False
    from feedlab.experiments.run import run_experiment, to_container

    data = to_container(cfg)
    if multirun:
        from feedlab.experiments.execute import run_job

        return run_job(
            data,
            overrides,
            sweep_dir=str(hydra_cfg.sweep.dir),
            job_num=getattr(hydra_cfg.job, "num", None),
        )
    try:
        res = run_experiment(data, overrides=overrides)
    except ConfigError as exc:
        print(f"feedlab: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception:
        traceback.print_exc()
        raise
    print_summary(res, quiet=bool(data.get("output", {}).get("quiet")))
    return None
