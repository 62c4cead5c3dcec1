"""Configs become objects here, and only here; runs are recorded here, and only here.

- :func:`compose` — the Hydra config for a list of overrides (no Hydra app needed).
- :func:`build` — validated config → :class:`feedlab.models.FeedModel` (one place).
- :func:`run_experiment` — run one config to a committed run directory → :class:`RunResult`.

The Hydra app behind ``feedlab run`` is :mod:`feedlab.experiments.app` (it sits above the
sweep machinery, which runs configs through this module).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

# One run = one core; parallelism is across runs. These pin a BLAS that loads after this
# import (a fresh process: the CLI, a run-isolation process); one already loaded (a
# notebook that imported NumPy first) is pinned when a model is built (models/blas.py).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# Numba's pool is left at its default (the cores): kernels run serially unless a run asks
# for platform.threads > 1 (feedlab.models.kernels.threaded)

from omegaconf import DictConfig, OmegaConf  # noqa: E402
from tqdm import tqdm  # noqa: E402

from feedlab.analysis.arms import model_arm_summary  # noqa: E402
from feedlab.analysis.live import Recorder  # noqa: E402
from feedlab.experiments import arms, record  # noqa: E402
from feedlab.experiments.config import RunConfig, Units, validate  # noqa: E402
from feedlab.experiments.schema import ConfigError  # noqa: E402
from feedlab.models import RESULTS_VERSION, seeds  # noqa: E402
from feedlab.models.economy import economy_extension  # noqa: E402
from feedlab.models.model import FeedModel  # noqa: E402
from feedlab.models.ranking.quality import SourceLabels  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "conf"
from feedlab import __version__  # noqa: E402  (manifests record it)


@dataclass
class RunResult:
    """What a run produced: where, its summary, its time series (columns)."""

    run_dir: Path
    key: str
    summary: dict[str, Any]
    timeseries: dict[str, np.ndarray]
    skipped: bool = False


def compose(overrides: Sequence[str] = (), config_name: str = "config") -> dict[str, Any]:
    """Compose the config tree with Hydra's override grammar, resolved to plain data.

    An override Hydra cannot apply (unknown key or option, bad syntax) or a value that
    cannot be resolved (``steps=${steps}``, a missing environment variable) raises
    :class:`ConfigError`, as ``feedlab run`` reports it.
    """
    from hydra import compose as hcompose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = hcompose(config_name=config_name, overrides=list(overrides))
        return to_container(cfg)
    except (HydraException, OmegaConfBaseException) as exc:
        key = getattr(exc, "full_key", None)  # OmegaConf names the key it could not resolve
        text = str(exc).strip().splitlines()[0] if key else " ".join(str(exc).split())
        text = text.split(" Config search path:")[0]  # Hydra's internals, not the user's
        raise ConfigError([f"{key or 'config'}: {text or type(exc).__name__}"]) from None


def to_container(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    """A config as plain, resolved data without the ``hydra`` node: the form
    :func:`run_experiment` and a sweep job take (Hydra hands the task a DictConfig).
    """
    data: dict[str, Any]
    if isinstance(cfg, DictConfig):
        # a DictConfig's container is a dict with the config's (str) keys
        data = cast("dict[str, Any]", OmegaConf.to_container(cfg, resolve=True))
    else:
        data = dict(cfg)
    data.pop("hydra", None)
    return data


def build(cfg: Mapping[str, Any], extensions: Sequence[Any] = ()) -> FeedModel:
    """A validated config → a ready :class:`FeedModel` (network generated, users drawn)."""
    run, units = validate(cfg)
    return _build(run, units, extensions)


def _build(run: RunConfig, units: Units, extensions: Sequence[Any] = ()) -> FeedModel:
    model = FeedModel(**model_parts(run, units, extensions))
    arms.apply(model, run.arms, run.arms_assignment, run.seed)
    return model


def model_parts(run: RunConfig, units: Units, extensions: Sequence[Any] = ()) -> dict[str, Any]:
    """The keyword arguments of :class:`FeedModel` for a validated config (the network
    generated); :func:`build` and the flat-parameter form (:mod:`feedlab.experiments.flat`)
    share it. The arms' assignment (:func:`feedlab.experiments.arms.apply`) follows the
    model's construction.
    """
    network = units.network.generate(seeds.rng(run.seed, "network"))
    built = [
        units.influencer.extension(seeds.rng(run.seed, "behaviour")),
        units.event.extension(seeds.rng(run.seed, "event")),
    ]
    # the economy last among the built-ins: it reads the feed others have acted on
    built.append(economy_extension(units.ads, run.platform, seeds.rng(run.seed, "economy")))
    extensions = [e for e in built if e is not None] + list(extensions)
    if run.platform.labels.enabled:
        extensions.append(SourceLabels(run.platform.labels))
    return dict(
        network=network,
        population=run.population,
        policies=list(units.arms) or [units.ranking],
        arm_names=[a.name for a in run.arms] or None,
        platform=run.platform,
        dynamics=run.dynamics,
        seed=run.seed,
        extensions=extensions,
        agent_views=run.output.mesa_agents,
        share_events=run.output.share_events,
        recorder=Recorder(every=run.record_every, last=run.steps),
    )


def _simulate(model: FeedModel, run: RunConfig) -> list[dict[str, float]]:
    """Step the model ``run.steps`` times; its recorder's rows (step 0 included)."""
    recorder = model.recorder
    assert isinstance(recorder, Recorder)
    show = run.output.progress and not run.output.quiet
    bar = tqdm(
        total=run.steps, desc="steps", unit="step", delay=3.0, disable=not show, file=sys.stderr
    )
    recorder.collect(model)  # step 0, before the first step
    for _ in range(run.steps):
        model.step()  # records a row on record steps (Recorder.after_step)
        bar.update(1)
    bar.close()
    return recorder.rows


def _columns(rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    cols = {k: np.array([r.get(k, np.nan) for r in rows], dtype=np.float64) for k in names}
    cols["step"] = cols["step"].astype(np.int64)
    return cols


def summarise(model: FeedModel, rows: list[dict[str, float]], n_edges0: int) -> dict[str, Any]:
    """Final metrics (last record row), run means of flow metrics, and sizes."""
    last = rows[-1]
    summary: dict[str, Any] = dict(last)
    cols = _columns(rows[1:]) if len(rows) > 1 else {}
    for name in (
        "engagement_per_user",
        "mean_value",
        "outrage_amplification",
        "outrage_share_candidates",
        "outrage_selection",
        "outrage_pool_drift",
        "cross_cutting_share",
    ):
        if name in cols and np.isfinite(cols[name]).any():
            summary[f"run_mean_{name}"] = float(np.nanmean(cols[name]))
    for name in (
        "impressions",
        "likes",
        "comments",
        "shares",
        "negfb",
        "posts",
        "reshares",
        "follows",
        "unfollows",
    ):
        if name in cols:
            summary[f"total_{name}"] = float(np.nansum(cols[name]))
    summary["n_users"] = model.n
    summary["n_edges_initial"] = n_edges0
    summary["steps"] = model.t
    summary["posts_overwritten_in_window"] = model.posts.overwritten_live
    for ext in model.hooks["summary"]:
        summary.update(ext.summary(model))
    summary.update(model_arm_summary(model, cols, last))  # per arm, arm − control
    return record.clean_floats(summary)


def _agent_columns(model: FeedModel) -> dict[str, np.ndarray]:
    cols = dict(model.users.columns())
    cols = {"id": np.arange(model.n, dtype=np.int32), **cols}
    cols["in_degree"] = model.graph.in_degree().astype(np.int32)
    cols["out_degree"] = model.graph.out_degree().astype(np.int32)
    cols["last_value"] = model.last_value
    cols["last_engagement"] = model.last_engagement
    cols.update(model.attention_columns())  # sessions / churn on (docs/attention.md)
    for ext in model.hooks["agent_columns"]:  # per-account columns (influencer books, ...)
        cols.update(ext.agent_columns(model))
    return cols


def run_experiment(
    cfg: Mapping[str, Any] | Sequence[str] | None = None,
    *,
    overrides: Sequence[str] = (),
    extensions: Sequence[Any] = (),
) -> RunResult:
    """Run one configuration to a committed run directory.

    ``cfg`` is a composed config mapping, or a list of Hydra overrides (composed here).
    Bad input raises :class:`ConfigError` before any work. A run whose directory is
    already complete is not re-run (``RunResult.skipped``).
    """
    if cfg is None or (isinstance(cfg, Sequence) and not isinstance(cfg, Mapping)):
        overrides = list(cfg or []) + list(overrides)
        data = compose(overrides)
    else:
        data = to_container(cfg)
    run, units = validate(data)
    key = record.run_key(data)
    out = Path(run.output.dir)
    final = out / "runs" / key
    if record.is_complete(final):
        import json

        summary = json.loads((final / "summary.json").read_text())
        return RunResult(final, key, summary, {}, skipped=True)

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    writer = record.RunWriter(out, key)
    try:
        writer.config(data, list(overrides))
        model = _build(run, units, extensions)
        n_edges0 = model.graph.n_edges
        rows = _simulate(model, run)
        cols = _columns(rows)
        summary = summarise(model, rows, n_edges0)
        record.write_parquet(writer.staging / "timeseries.parquet", cols)
        record.write_json(writer.staging / "summary.json", summary)
        record.write_parquet(writer.staging / "events.parquet", model.event_table())
        write_agents = run.output.agents == "true" or (
            run.output.agents == "auto" and model.n <= 200_000
        )
        if write_agents:
            record.write_parquet(writer.staging / "agents.parquet", _agent_columns(model))
        manifest = {
            "feedlab_version": __version__,
            "results_version": RESULTS_VERSION,
            **record.git_state(ROOT),
            "run_key": key,
            "seed": run.seed,
            "child_seeds": seeds.child_seeds(run.seed),
            "config_hash": key,
            "started": started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "wall_seconds": round(time.perf_counter() - t0, 3),
            "status": "complete",
            **record.environment(),
        }
        # a long run is synced to disk; a short one is cheaper to run again after a
        # machine crash than to sync (output.sync_after_s, docs/sweeps.md)
        took = time.perf_counter() - t0
        final = writer.commit(manifest, durable=took >= run.output.sync_after_s)
    except BaseException:
        writer.abort()
        raise
    return RunResult(final, key, summary, cols)
