"""The whole run configuration: schema, validation and the memory guard.

:func:`validate` turns the composed Hydra config (a plain mapping) into a
:class:`RunConfig` or raises :class:`~feedlab.experiments.schema.ConfigError` listing every bad
field; :func:`estimate_memory` refuses sizes that cannot fit before anything is built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from feedlab.agents.behaviours import INFLUENCERS
from feedlab.agents.population import PopulationConfig, validate_population
from feedlab.experiments import arms as _arms
from feedlab.experiments.arms import ArmConfig
from feedlab.experiments.schema import ConfigError, field, find_forbidden, parse
from feedlab.models.config import DynamicsConfig, PlatformConfig
from feedlab.models.economy import ADS
from feedlab.models.events import EVENTS
from feedlab.models.network import MAX_NODES, NETWORKS
from feedlab.models.ranking import RANKINGS


@dataclass(frozen=True)
class OutputConfig:
    """Where and what to record. Not part of the run key (does not change results)."""

    dir: str = field(doc="results root; runs go to <dir>/runs/<run key>")
    agents: Literal["auto", "true", "false"] = field(doc="write agents.parquet (auto: N <= 200000)")
    share_events: bool = field(doc="record every reshare in events.parquet (large)")
    progress: bool = field(doc="progress bar for runs longer than a few seconds")
    quiet: bool = field(doc="print nothing but errors")
    mesa_agents: bool = field(doc="create a Mesa Agent view per user (model.agents)")
    sync_after_s: float = field(
        default=1.0,
        ge=0,
        doc="fsync a run's files at commit if it took at least this many seconds "
        "(0: every run); shorter runs are cheaper to redo after a machine crash",
    )


@dataclass(frozen=True)
class LimitsConfig:
    """Refuse work that cannot fit."""

    memory_gb: float = field(ge=0, doc="memory budget; 0 = 80% of this machine's memory")
    max_users: int = field(ge=1, doc="largest accepted number of users")
    max_runs: int = field(ge=1, doc="largest accepted number of runs in one sweep (-m)")
    run_memory_gb: float = field(
        ge=0, doc="address-space cap (RLIMIT_AS) of each run process in a sweep; 0 = none"
    )
    run_timeout_s: float = field(ge=0, doc="wall-clock cap of each run in a sweep; 0 = none")


@dataclass(frozen=True)
class SweepConfig:
    """How a sweep (``-m``) executes its runs (experiments/batch.py). Not in the run key."""

    batch: bool = field(
        default=True,
        doc="feedlab runs the sweep in batches (workers import once); false: Hydra's "
        "launcher runs one job per run",
    )
    runs_per_task: int = field(
        default=0,
        ge=0,
        doc="SLURM/submitit: runs per array task; 0 = the fewest that fit max_tasks",
    )
    max_tasks: int = field(default=1000, ge=1, doc="SLURM/submitit: most array tasks of one launch")


@dataclass(frozen=True)
class RunConfig:
    """One run, fully parsed. Unit nodes (network, ranking) are built by the registries."""

    seed: int = field(ge=0, le=2**63 - 1, doc="root seed of every random stream")
    steps: int = field(ge=0, le=10**7, doc="number of steps")
    record_every: int = field(ge=1, doc="record live metrics every this many steps")
    network: dict[str, Any] = field(doc="network unit: {name: ..., params}")
    population: PopulationConfig = field(doc="how users' traits are drawn")
    ranking: dict[str, Any] = field(doc="ranking unit: {name: ..., params}")
    platform: PlatformConfig = field(doc="what the platform does around the ranking policy")
    dynamics: DynamicsConfig = field(doc="the per-person rules and which of them are on")
    influencer: dict[str, Any] = field(doc="influencer behaviour unit: {name: ..., params}")
    event: dict[str, Any] = field(doc="event unit: {name: ..., params}")
    ads: dict[str, Any] = field(doc="ads unit: {name: none} or {name: feed_ads, params}")
    output: OutputConfig = field(doc="where and what to record (not in the run key)")
    limits: LimitsConfig = field(doc="refuse work that cannot fit (not in the run key)")
    sweep: SweepConfig = field(
        default=SweepConfig(), doc="how a sweep executes its runs (not in the run key)"
    )
    experiment: str = field(default="", doc="experiment name (informational)")
    arms: list[ArmConfig] = field(
        default=[], doc="experimental arms (experiments/arms.py); empty = one arm using ranking"
    )
    arms_assignment: Literal["random", "by_group"] = field(
        default="random", doc="users to arms: complete randomisation, or whole groups"
    )


@dataclass(frozen=True)
class Units:
    """The units a config names, built and checked by their registries."""

    network: Any
    ranking: Any
    influencer: Any
    event: Any
    ads: Any
    arms: tuple[Any, ...] = ()  # one ranking policy per experimental arm (empty: no arms)


def _pairwise_problems(run: RunConfig) -> list[str]:
    """What ``dynamics.interaction = pairwise`` cannot drive: rankings other than random
    and algorithmic bias, and the feed-session mechanisms (sessions, churn).
    """
    if run.dynamics.interaction != "pairwise":
        return []
    out = []
    if run.ranking.get("name") not in ("random", "algorithmic_bias"):
        out.append(
            f"ranking.name: {run.ranking.get('name')!r} cannot drive pairwise interaction; "
            "allowed with dynamics.interaction=pairwise: random, algorithmic_bias"
        )
    for name in ("session", "churn"):  # docs/attention.md: both act on the feed session
        if getattr(run.dynamics, name).enabled:
            out.append(
                f"dynamics.{name}.enabled: true has no feed to act on with "
                "dynamics.interaction=pairwise; allowed there: false"
            )
    return out


def validate(cfg: Mapping[str, Any]) -> tuple[RunConfig, Units]:
    """Parse and check everything; returns the config and its built units."""
    problems: list[str] = [
        f"{p}: refused; feedlab configs name units from its registries and never carry "
        "Hydra instantiation keys"
        for p in find_forbidden(cfg)
    ]
    data = {k: v for k, v in cfg.items() if k != "hydra"}
    run = None
    units: dict[str, Any] = {}
    try:
        run = parse(RunConfig, data)
    except ConfigError as exc:
        problems.extend(p for p in exc.problems if p not in problems)
    try:  # cross-field population checks, even when other fields failed
        problems.extend(
            validate_population(parse(PopulationConfig, cfg.get("population"), "population"))
        )
    except ConfigError:
        pass  # already reported by the RunConfig parse
    if run is not None:
        problems.extend(_pairwise_problems(run))
        problems.extend(_cross_field_problems(run))
    registries = (
        ("network", NETWORKS),
        ("ranking", RANKINGS),
        ("influencer", INFLUENCERS),
        ("event", EVENTS),
        ("ads", ADS),
    )
    for key, registry in registries:
        try:
            units[key] = registry.build(cfg.get(key), key)
        except ConfigError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if run is not None and run.arms:
        problems.extend(_arms.check(run.arms, run.dynamics.interaction))
        try:
            units["arms"] = tuple(_arms.build_policies(run.arms, RANKINGS))
        except ConfigError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise ConfigError(problems)
    assert run is not None
    check_size(run, units["network"])
    return run, Units(**units)


def _cross_field_problems(run: RunConfig) -> list[str]:
    """Checks across fields (the pairwise ones are :func:`_pairwise_problems`): ads and
    business model must agree (selling ads needs ads, ads need a model that sells them;
    docs/attention.md §Business models) and the economy runs on the feed.
    """
    out = []
    model = run.platform.business_model
    ads = str(run.ads.get("name", "none"))
    if model in ("ad_funded", "hybrid") and ads == "none":
        out.append(
            f"platform.business_model: {model!r} sells ads but ads=none; set ads=feed_ads, "
            "or use a business model without ads; allowed with ads=none: none, subscription"
        )
    if model == "none" and ads != "none":
        out.append(
            f"ads.name: {ads!r} needs a business model that sells ads; set "
            "platform.business_model to one of: ad_funded, hybrid"
        )
    if run.dynamics.interaction == "pairwise" and (model != "none" or ads != "none"):
        out.append(
            "platform.business_model: ads and business models need the feed session; "
            "allowed with dynamics.interaction=pairwise: none (and ads=none)"
        )
    return out


def machine_memory_bytes() -> int:
    """Physical memory of this machine."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8 * 2**30


def estimate_memory(run: RunConfig, n_nodes: int, n_edges: int) -> int:
    """Peak bytes of a run, estimated from sizes (documented in docs/performance.md).

    Per user ≈ 130 B of state plus ≈ 700 B for a Mesa view; per follow edge ≈ 60 B
    (CSR, trust, baseline, rewiring temporaries); per candidate pair ≈ 120 B (features,
    predictions, top-k); the post buffer ≈ 100 B per slot.
    """
    pop = run.population
    per_user = 130 + (700 if run.output.mesa_agents else 0)
    posts_per_step = n_nodes * max(pop.activity.mean, 0.0)
    mean_out = n_edges / max(n_nodes, 1)
    cand = n_nodes * (
        mean_out * pop.activity.mean * run.platform.window + run.platform.out_of_network
    )
    capacity = run.platform.post_capacity or 4 * (run.platform.window + 1) * (posts_per_step + 1)
    return int(n_nodes * per_user + n_edges * 60 + cand * 120 + capacity * 100)


def check_size(run: RunConfig, net: Any) -> None:
    """Refuse a run that exceeds the user cap, the int32 node ids or the memory budget,
    with the numbers; the memory guard.

    A network read from a file (a unit with ``read_estimate``) is checked twice: first
    with a guess from the file size, so a file too large to hold is refused before it is
    read; then with the counts of the parsed file (its ``size_estimate`` parses it, once,
    and refuses an unusable file with a ConfigError naming ``network.path``). The
    refusal names the unit's ``size_field`` (``network.path`` for a file, else
    ``network``).
    """
    where = getattr(net, "size_field", "network")
    read_estimate = getattr(net, "read_estimate", None)
    if read_estimate is not None:
        guess_nodes, guess_edges = read_estimate()
        _check_memory(run, guess_nodes, guess_edges, where, " (guessed from the file size)")
    n_nodes, n_edges = net.size_estimate()
    detail = net.size_detail() if hasattr(net, "size_detail") else ""
    _check_counts(run, n_nodes, where, detail)
    _check_memory(run, n_nodes, n_edges, where, detail)


def _check_counts(run: RunConfig, n_nodes: int, where: str, detail: str) -> None:
    if n_nodes > run.limits.max_users:
        raise ConfigError(
            [
                f"{where}: {n_nodes:,} users{detail} exceed limits.max_users = "
                f"{run.limits.max_users:,}; raise limits.max_users if the machine can hold it"
            ]
        )
    if n_nodes > MAX_NODES:
        raise ConfigError(
            [
                f"{where}: {n_nodes:,} users{detail} exceed the largest network feedlab can "
                f"index (node ids are int32); allowed: at most {MAX_NODES:,} users"
            ]
        )
    per_step = n_nodes * max(run.population.activity.mean, 0.0)
    cap = run.platform.post_capacity
    if cap and cap < 2 * per_step:
        raise ConfigError(
            [
                f"platform.post_capacity: {cap:,} slots cannot hold one step of posts and "
                f"reshares (~{per_step:,.0f} posts expected per step from {n_nodes:,} users × "
                f"mean activity {run.population.activity.mean:g}; at least {2 * per_step:,.0f} "
                "needed); use 0 for the automatic size"
            ]
        )


def _check_memory(run: RunConfig, n_nodes: int, n_edges: int, where: str, detail: str) -> None:
    need = estimate_memory(run, n_nodes, n_edges)
    budget = run.limits.memory_gb * 2**30 or 0.8 * machine_memory_bytes()
    if need > budget:
        raise ConfigError(
            [
                f"{where}: {n_nodes:,} users{detail} and ~{n_edges:,} follows need an "
                f"estimated {need / 2**30:,.1f} GiB, more than the budget of "
                f"{budget / 2**30:,.1f} GiB (limits.memory_gb; 0 = 80% of this machine)"
            ]
        )
