"""Reading run directories: the one run reader of the analysis scripts.

A run directory is what :class:`feedlab.experiments.record.RunWriter` commits with one
atomic rename (docs/metrics.md §Reading run directories; docs/sweeps.md):

    <run>/.hydra/config.yaml   the composed config
    <run>/summary.json         summary metrics (NaN stored as null)
    <run>/timeseries.parquet   one row per recorded step
    <run>/agents.parquet       one row per user at the end (when the run writes it)
    <run>/events.parquet       one row per event-layer action (when the run writes it)
    <run>/DONE                 written last: the SHA-256 of every file above

A *complete* run has its ``DONE``. :func:`find_runs` lists the complete runs under a
folder: for a sweep (a folder with ``sweep.json``) the manifest's expected runs whose
hashes match (:func:`feedlab.experiments.sweep.complete_runs`: orphans of an earlier grid
are not results of this one); otherwise every directory holding a ``DONE`` (an output
folder, a folder of sweeps, or one run). Unfinished runs — the writer's ``.staging``
folders, interrupted runs — have no ``DONE`` and are never read.

The readers return plain data: the config and the summary as dicts, tables as
:class:`pyarrow.Table` (:func:`read_table`) or NumPy columns (:func:`read_columns`), and
:func:`read_run` for all of them at once. :mod:`feedlab.analysis.cascades`,
:mod:`feedlab.analysis.influencers` and :mod:`feedlab.analysis.ranking_report` read runs
through this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

DONE = "DONE"
SUMMARY = "summary.json"
CONFIG = Path(".hydra") / "config.yaml"
#: The Parquet tables a run may write (``<name>.parquet``).
TABLES = ("timeseries", "agents", "events")


def find_runs(root: str | Path, experiment: str | None = None) -> list[Path]:
    """The complete run directories under ``root``, sorted by path.

    ``root`` may be a sweep (its manifest's complete runs), any folder (every directory
    below it with a ``DONE``) or a run directory itself. With ``experiment``, only the
    runs whose config's ``experiment`` equals it (runs without a config are left out).
    """
    from feedlab.experiments.sweep import MANIFEST, complete_runs

    root = Path(root)
    if (root / MANIFEST).is_file():
        dirs = sorted(d for _, d in complete_runs(root))
    else:
        dirs = sorted({p.parent for p in root.rglob(DONE)})
    if experiment is None:
        return dirs
    return [
        d for d in dirs if (d / CONFIG).is_file() and read_config(d).get("experiment") == experiment
    ]


def find_runs_in(paths: Iterable[str | Path], experiment: str | None = None) -> list[Path]:
    """:func:`find_runs` over several roots, in the order given (each root's runs sorted)."""
    return [d for p in paths for d in find_runs(p, experiment)]


def read_config(run_dir: str | Path, *, missing_ok: bool = False) -> dict[str, Any]:
    """The composed config of a run (``.hydra/config.yaml``); ``{}`` when it is absent
    and ``missing_ok``, else FileNotFoundError.
    """
    import yaml

    path = Path(run_dir) / CONFIG
    if missing_ok and not path.exists():
        return {}
    # libyaml's loader where PyYAML has it: the same documents, ~10x faster (a run's
    # config is read once per run by every analysis)
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """The run's ``summary.json`` (non-finite values are ``None``)."""
    return json.loads((Path(run_dir) / SUMMARY).read_text())


@overload
def read_table(run_dir: str | Path, name: str, *, missing_ok: Literal[False] = ...) -> pa.Table: ...
@overload
def read_table(run_dir: str | Path, name: str, *, missing_ok: bool) -> pa.Table | None: ...
def read_table(run_dir: str | Path, name: str, *, missing_ok: bool = False) -> pa.Table | None:
    """Table ``name`` (one of :data:`TABLES`) of a run; ``None`` when the run did not
    write it and ``missing_ok``, else FileNotFoundError.
    """
    import pyarrow.parquet as pq

    path = Path(run_dir) / f"{name}.parquet"
    if missing_ok and not path.exists():
        return None
    return pq.read_table(path)


def read_columns(run_dir: str | Path, name: str) -> dict[str, np.ndarray]:
    """Table ``name`` as NumPy columns (nulls of a numeric column become NaN); ``{}``
    when the run did not write it.
    """
    tab = read_table(run_dir, name, missing_ok=True)
    if tab is None:
        return {}
    return {c: tab.column(c).to_numpy(zero_copy_only=False) for c in tab.column_names}


def read_run(run_dir: str | Path, tables: Sequence[str] = TABLES) -> dict[str, Any]:
    """A run's outputs in one dict: ``dir`` (Path), ``config`` (``{}`` if absent),
    ``summary``, and each of ``tables`` as NumPy columns (``{}`` if not written).
    """
    d = Path(run_dir)
    out: dict[str, Any] = {
        "dir": d,
        "summary": read_summary(d),
        "config": read_config(d, missing_ok=True),
    }
    for name in tables:
        out[name] = read_columns(d, name)
    return out
