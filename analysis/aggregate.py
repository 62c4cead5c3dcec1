"""Sweep aggregation: complete run directories → two Parquet tables.

    feedlab aggregate SWEEP_DIR [--allow-partial] [--out DIR] [--quiet]

reads the runs a sweep *expected* (its manifest ``SWEEP_DIR/sweep.json``), never a blind
glob, and writes, atomically:

* ``results.parquet`` — one row per complete run: ``key``, the flattened config (dotted
  column names such as ``ranking.name``, ``network.n``, ``seed``), one unique label per
  unit (``ranking.label``: the preset a unit comes from, so ``bridging`` and
  ``bridging_observed`` differ although both are ``ranking.name = bridging``;
  :mod:`feedlab.analysis.labels`), a few provenance
  columns (``run.commit``, ``run.dirty``, ``run.feedlab_version``, ``run.wall_seconds``)
  and every ``summary.json`` metric;
* ``timeseries.parquet`` — every recorded step of every complete run, with ``key`` and
  the config columns on each row;
* ``aggregate.json`` — the coverage report (which runs were complete, incomplete,
  corrupt, missing, orphaned; non-finite counts per metric).

A run counts only when :func:`feedlab.experiments.record.is_complete` holds (``DONE`` present and
every file hash matches) and its summary and config parse. Non-finite values (``None`` in
``summary.json``, NaN/inf in the time series) are stored as null and *counted* per metric
in the report; no row is dropped for them. A sweep with fewer complete runs than expected
is refused (exit code 1) unless ``--allow-partial``.

The manifest is the one ``feedlab run -m`` writes before launch (``experiments/sweep.py``,
format 1)::

    {"format": 1, "runs_dir": "runs",
     "expected": [{"key": "<run key>", "overrides": [...], "jobs": [...]}, ...], ...}

(a plain ``{"runs": [{"key": ..., "overrides": [...]}, ...]}`` is read too), with run
directories at ``SWEEP_DIR/<runs_dir>/<key>/`` and failure records at
``SWEEP_DIR/failures/<key>.<attempt>.json``. Runs are classified as ``feedlab verify``
classifies them: complete; failed (a failure record and no run directory); missing
(never recorded); incomplete (a directory without ``DONE``); corrupt (a file that does
not match its hash in ``DONE``, a config that does not hash to the directory name, an
unreadable summary). Without a ``sweep.json`` every ``SWEEP_DIR/runs/*/`` holding a
``DONE`` is taken as expected, and the report says "no manifest". A metric whose name equals a config column (``steps``) is stored as
``metric.<name>``. Query with DuckDB::

    SELECT "ranking.label", avg(opinion_variance), count(*)
    FROM read_parquet('SWEEP_DIR/results.parquet', union_by_name=true)
    GROUP BY ALL;
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from feedlab.analysis.labels import run_labels
from feedlab.analysis.runs import read_config
from feedlab.experiments import record

__all__ = ["Report", "Results", "aggregate", "flatten", "main", "read_results", "read_sweep"]

MANIFEST = "sweep.json"
EXCLUDED_CONFIG = ("output", "limits", "hydra")
METADATA_KEY = b"feedlab"
PROVENANCE = {
    "run.commit": "commit",
    "run.dirty": "dirty",
    "run.feedlab_version": "feedlab_version",
    "run.wall_seconds": "wall_seconds",
}


class SweepError(Exception):
    """A sweep directory or manifest that cannot be read (exit code 2)."""


def _few(keys: Sequence[str]) -> str:
    """The first five run keys, and how many more."""
    shown = ", ".join(keys[:5])
    return shown + (f", … (+{len(keys) - 5})" if len(keys) > 5 else "")


@dataclass
class Report:
    """What a sweep directory holds, run by run."""

    sweep_dir: Path
    has_manifest: bool
    expected: list[str] = field(default_factory=list)
    runs_dir: str = "runs"
    complete: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    corrupt: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    nonfinite: dict[str, int] = field(default_factory=dict)
    absent: dict[str, int] = field(default_factory=dict)
    timeseries_nonfinite: dict[str, int] = field(default_factory=dict)
    results_rows: int = 0
    timeseries_rows: int = 0
    written: list[str] = field(default_factory=list)

    @property
    def is_partial(self) -> bool:
        """Whether some expected run is not complete (aggregating needs ``--allow-partial``)."""
        return len(self.complete) < len(self.expected)

    @property
    def coverage(self) -> str:
        """``"<complete>/<expected> runs complete"``, as printed and stored in the metadata."""
        return f"{len(self.complete)}/{len(self.expected)} runs complete"

    def lines(self) -> list[str]:
        """The report as printed by ``feedlab aggregate``: coverage, then each kind of
        run that is not complete, then the summary values stored as null.
        """
        src = "manifest sweep.json" if self.has_manifest else "no manifest"
        out = [f"sweep {self.sweep_dir}: {self.coverage} ({src})"]
        if not self.has_manifest:
            out.append(
                "  no sweep.json: every runs/*/ with a DONE is taken as expected; runs that "
                "never wrote a DONE cannot be counted as missing"
            )
        return out + self._run_lines() + self._null_lines()

    def _run_lines(self) -> list[str]:
        """Incomplete, corrupt, failed, missing and orphan runs (20 reasons at most)."""
        out = []
        if self.incomplete:
            out.append(f"  incomplete (no DONE): {len(self.incomplete)}: {_few(self.incomplete)}")
        if self.corrupt:
            out.append(f"  corrupt: {len(self.corrupt)}")
            out += [f"    {k}: {why}" for k, why in sorted(self.corrupt.items())[:20]]
        if self.failed:
            out.append(f"  failed (failure record, no run): {len(self.failed)}")
            out += [f"    {k}: {why}" for k, why in sorted(self.failed.items())[:20]]
        if self.missing:
            out.append(f"  missing (never recorded): {len(self.missing)}: {_few(self.missing)}")
        if self.orphans:
            out.append(
                f"  orphans (not in sweep.json, ignored): {len(self.orphans)}: {_few(self.orphans)}"
            )
        return out

    def _null_lines(self) -> list[str]:
        """Per metric, how many complete runs had a non-finite or absent summary value."""
        if not (self.nonfinite or self.absent):
            return []
        out = ["  non-finite or absent summary values (stored as null):"]
        for m in sorted(set(self.nonfinite) | set(self.absent)):
            parts = []
            if self.nonfinite.get(m):
                parts.append(f"{self.nonfinite[m]} non-finite")
            if self.absent.get(m):
                parts.append(f"{self.absent[m]} absent")
            out.append(f"    {m}: {', '.join(parts)} of {len(self.complete)} runs")
        return out

    def as_dict(self) -> dict[str, Any]:
        """The report as stored in ``aggregate.json``."""
        return {
            "coverage": self.coverage,
            "has_manifest": self.has_manifest,
            "expected": len(self.expected),
            "complete": self.complete,
            "incomplete": self.incomplete,
            "corrupt": self.corrupt,
            "failed": self.failed,
            "missing": self.missing,
            "orphans": self.orphans,
            "nonfinite": self.nonfinite,
            "absent": self.absent,
            "timeseries_nonfinite": self.timeseries_nonfinite,
            "results_rows": self.results_rows,
            "timeseries_rows": self.timeseries_rows,
        }


# ---------------------------------------------------------------------- reading
def _safe_name(k: Any) -> bool:
    return isinstance(k, str) and bool(k) and "/" not in k and "\\" not in k and k[0] != "."


def read_sweep(sweep_dir: Path) -> tuple[list[str], bool, str]:
    """Expected run keys (manifest order, duplicates removed), whether a manifest exists,
    and the runs folder name. Without ``sweep.json``: the sorted ``runs/*`` directories
    that hold a ``DONE``.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise SweepError(f"{sweep_dir}: not a directory")
    manifest = sweep_dir / MANIFEST
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text())
            entries = data["expected"] if "expected" in data else data["runs"]
            keys = [e if isinstance(e, str) else e.get("key") for e in entries]
            runs_dir = data.get("runs_dir", "runs")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SweepError(
                f"{manifest}: not a sweep manifest ({exc!r}); expected "
                '{"expected": [{"key": "<run key>", "overrides": [...]}, ...]}'
            ) from None
        bad = [k for k in keys if not _safe_name(k)]
        if bad or not _safe_name(runs_dir):
            raise SweepError(f"{manifest}: invalid run keys {bad[:5]} or runs_dir {runs_dir!r}")
        return list(dict.fromkeys(keys)), True, runs_dir
    runs = sweep_dir / "runs"
    if not runs.is_dir():
        raise SweepError(f"{sweep_dir}: no {MANIFEST} and no runs/ directory; is it a sweep?")
    keys = sorted(p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [k for k in keys if (runs / k / "DONE").exists()], False, "runs"


def _failure(sweep_dir: Path, key: str) -> str | None:
    """The reason in the latest failure record ``failures/<key>.<attempt>.json``."""
    latest: tuple[int, Path] | None = None
    for f in (sweep_dir / "failures").glob(f"{key}.*.json"):
        attempt = f.name.split(".")[1]
        if attempt.isdigit() and (latest is None or int(attempt) > latest[0]):
            latest = (int(attempt), f)
    if latest is None:
        return None
    try:
        reason = str(json.loads(latest[1].read_text()).get("reason", ""))
    except (OSError, ValueError, AttributeError):
        reason = "(unreadable failure record)"
    return f"attempt {latest[0]}: {reason}"


def _corruption(run_dir: Path) -> str:
    """Why a run directory with a DONE fails :func:`record.is_complete`."""
    try:
        hashes = json.loads((run_dir / "DONE").read_text())["files"]
    except (ValueError, KeyError, OSError, TypeError):
        return "DONE unreadable"
    for name, digest in sorted(hashes.items()):
        f = run_dir / name
        if not f.is_file():
            return f"{name} listed in DONE is missing"
        if record.file_sha256(f) != digest:
            return f"{name} does not match its hash in DONE"
    return "failed the completion check"


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings → dotted names; lists become canonical JSON strings."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, f"{name}."))
        elif isinstance(v, list | tuple):
            out[name] = record.canonical_json(list(v))
        else:
            out[name] = v
    return out


def _load_run(run_dir: Path, key: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(config columns, summary, manifest) of a complete run; ValueError if unreadable."""
    try:
        cfg = read_config(run_dir)
        summary = json.loads((run_dir / "summary.json").read_text())
        manifest = json.loads((run_dir / "manifest.json").read_text())
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"unreadable: {exc.__class__.__name__}: {exc}") from None
    if not isinstance(cfg, dict) or not isinstance(summary, dict) or not isinstance(manifest, dict):
        raise ValueError("config, summary or manifest is not a mapping")
    if record.run_key(cfg) != key:
        raise ValueError(f"its config hashes to {record.run_key(cfg)}, not to its name")
    cfg = {k: v for k, v in cfg.items() if k not in EXCLUDED_CONFIG}
    return {**flatten(cfg), **run_labels(cfg)}, flatten(summary), manifest


def _is_nonfinite(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def _arrow_column(values: list[Any]) -> pa.Array:
    """Python values → one Arrow column; non-finite floats → null; mixed → string."""
    vals = [None if _is_nonfinite(v) else v for v in values]
    present = [v for v in vals if v is not None]
    if all(isinstance(v, bool) for v in present):
        return pa.array(vals, type=pa.bool_())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(vals, type=pa.int64())
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
    return pa.array([None if v is None else str(v) for v in vals], type=pa.string())


def _finite_or_null(col: pa.ChunkedArray | pa.Array) -> tuple[Any, int]:
    """Float columns: NaN/inf → null; returns (column, number replaced)."""
    if not pa.types.is_floating(col.type):
        return col, 0
    ok = pc.is_finite(col)
    bad = int(pc.sum(pc.invert(pc.fill_null(ok, True))).as_py() or 0)
    if not bad:
        return col, 0
    return pc.if_else(ok, col, pa.scalar(None, col.type)), bad


def _write_atomic(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _metadata(config: list[str], metrics: list[str], report: Report) -> dict[bytes, bytes]:
    meta = {"config_columns": config, "metric_columns": metrics, "coverage": report.coverage}
    return {METADATA_KEY: record.canonical_json(meta).encode()}


# -------------------------------------------------------------------- aggregation
def scan(sweep_dir: Path) -> tuple[Report, dict[str, tuple[dict, dict, dict]]]:
    """Classify every expected run; load the complete ones."""
    sweep_dir = Path(sweep_dir)
    keys, has_manifest, runs_dir = read_sweep(sweep_dir)
    rep = Report(sweep_dir, has_manifest, expected=keys, runs_dir=runs_dir)
    runs = sweep_dir / runs_dir
    loaded: dict[str, tuple[dict, dict, dict]] = {}
    for key in keys:
        d = runs / key
        if not d.is_dir():
            why = _failure(sweep_dir, key)
            if why is None:
                rep.missing.append(key)
            else:
                rep.failed[key] = why
        elif not (d / "DONE").exists():
            rep.incomplete.append(key)
        elif not record.is_complete(d):
            rep.corrupt[key] = _corruption(d)
        else:
            try:
                loaded[key] = _load_run(d, key)
            except ValueError as exc:
                rep.corrupt[key] = str(exc)
                continue
            rep.complete.append(key)
    if runs.is_dir():
        known = set(keys)
        rep.orphans = sorted(
            p.name
            for p in runs.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name not in known
        )
    return rep, loaded


def _results_table(
    rep: Report, loaded: Mapping[str, tuple[dict, dict, dict]]
) -> tuple[pa.Table, list[str], dict[str, str]]:
    keys = rep.complete
    config: list[str] = []
    metrics: list[str] = []
    for k in keys:
        cfg, summ, _ = loaded[k]
        config.extend(c for c in cfg if c not in config)
        metrics.extend(m for m in summ if m not in metrics)
    reserved = {"key", *config, *PROVENANCE}
    rename = {m: f"metric.{m}" if m in reserved else m for m in metrics}
    cols: dict[str, pa.Array] = {"key": pa.array(keys, type=pa.string())}
    for c in config:
        cols[c] = _arrow_column([loaded[k][0].get(c) for k in keys])
    for col, name in PROVENANCE.items():
        cols[col] = _arrow_column([loaded[k][2].get(name) for k in keys])
    for m in metrics:
        vals = [loaded[k][1].get(m, _ABSENT) for k in keys]
        absent = sum(v is _ABSENT for v in vals)
        vals = [None if v is _ABSENT else v for v in vals]
        bad = sum(_is_nonfinite(v) for v in vals) - absent
        if bad:
            rep.nonfinite[m] = bad
        if absent:
            rep.absent[m] = absent
        cols[rename[m]] = _arrow_column(vals)
    table = pa.table(cols)
    return table, config, rename


_ABSENT = object()


def _widen(prev: pa.DataType | None, new: pa.DataType) -> pa.DataType:
    """The column type that holds both a previous run's type and this run's: integers
    widen to floats, any other disagreement to strings.
    """
    if prev is None or prev == new:
        return new
    if pa.types.is_integer(prev) and pa.types.is_floating(new):
        return new
    if pa.types.is_floating(prev) and pa.types.is_integer(new):
        return prev
    return pa.string()


def _timeseries_fields(
    schemas: Mapping[str, pa.Schema | None], reserved: set[str]
) -> dict[str, pa.DataType]:
    """Union of the runs' time-series columns, in first-seen order, with widened types; a
    column named like a config column (or ``key``) becomes ``metric.<name>``.
    """
    ts_fields: dict[str, pa.DataType] = {}
    for s in schemas.values():
        if s is None:
            continue
        for fld in s:
            name = f"metric.{fld.name}" if fld.name in reserved else fld.name
            ts_fields[name] = _widen(ts_fields.get(name), fld.type)
    return ts_fields


def _timeseries_arrays(
    rep: Report, t: pa.Table, schema: pa.Schema, config: list[str], results: pa.Table, i: int
) -> list[pa.Array]:
    """One run's rows in the merged schema: its config row repeated, its columns cast
    (non-finite values to null, counted in ``rep``), nulls for columns it lacks.
    """
    n = t.num_rows
    arrays = []
    for fld in schema:
        if fld.name == "key" or fld.name in config:
            arrays.append(pa.repeat(results.column(fld.name)[i], n).cast(fld.type))
            continue
        src = fld.name[len("metric.") :] if fld.name.startswith("metric.") else fld.name
        if src not in t.column_names:
            arrays.append(pa.nulls(n, fld.type))
            continue
        col, bad = _finite_or_null(t.column(src).cast(fld.type))
        if bad:
            rep.timeseries_nonfinite[fld.name] = rep.timeseries_nonfinite.get(fld.name, 0) + bad
        arrays.append(col)
    return arrays


def _timeseries(
    rep: Report,
    loaded: Mapping[str, tuple[dict, dict, dict]],
    results: pa.Table,
    config: list[str],
    out: Path,
) -> None:
    """Stream every run's time series into one file (constant memory per run)."""
    runs = rep.sweep_dir / rep.runs_dir
    schemas = {}
    for k in rep.complete:
        f = runs / k / "timeseries.parquet"
        schemas[k] = pq.read_schema(f) if f.is_file() else None
    ts_fields = _timeseries_fields(schemas, {"key", *config})
    cfg_fields = [results.schema.field(c) for c in ["key", *config]]
    schema = pa.schema(cfg_fields + [pa.field(n, t) for n, t in ts_fields.items()])
    schema = schema.with_metadata(_metadata(config, list(ts_fields), rep))
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
            for i, k in enumerate(rep.complete):
                if schemas[k] is None:
                    continue
                t = pq.read_table(runs / k / "timeseries.parquet")
                arrays = _timeseries_arrays(rep, t, schema, config, results, i)
                w.write_table(pa.Table.from_arrays(arrays, schema=schema))
                rep.timeseries_rows += t.num_rows
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def aggregate(
    sweep_dir: Path | str,
    *,
    allow_partial: bool = False,
    out_dir: Path | str | None = None,
    timeseries: bool = True,
) -> Report:
    """Aggregate a sweep; returns the :class:`Report`. Writes nothing when the sweep is
    partial and ``allow_partial`` is false, or when no run is complete (check
    ``report.written``).
    """
    rep, loaded = scan(Path(sweep_dir))
    if (rep.is_partial and not allow_partial) or not rep.complete:
        return rep
    out = Path(out_dir) if out_dir is not None else Path(sweep_dir)
    out.mkdir(parents=True, exist_ok=True)
    table, config, rename = _results_table(rep, loaded)
    metrics = [rename[m] for m in rename]
    rep.results_rows = table.num_rows
    _write_atomic(
        out / "results.parquet", table.replace_schema_metadata(_metadata(config, metrics, rep))
    )
    rep.written.append("results.parquet")
    if timeseries:
        _timeseries(rep, loaded, table, config, out / "timeseries.parquet")
        rep.written.append("timeseries.parquet")
    record.write_json(out / "aggregate.json", rep.as_dict())
    rep.written.append("aggregate.json")
    return rep


# ------------------------------------------------------------------------ results
@dataclass
class Results:
    """``results.parquet`` as NumPy columns: numbers as float64 (null → NaN) or int64,
    strings as object arrays (null → None); ``config`` and ``metrics`` name the columns.
    """

    columns: dict[str, np.ndarray]
    config: list[str]
    metrics: list[str]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def keys(self) -> Any:
        """The column names (so ``Results`` reads like a mapping)."""
        return self.columns.keys()

    def __len__(self) -> int:
        return len(self.columns.get("key", ()))


def read_results(path: Path | str) -> Results:
    """Read ``results.parquet`` (or a sweep directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.parquet"
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    cols: dict[str, np.ndarray] = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_integer(col.type) and col.null_count == 0:
            cols[name] = col.to_numpy().astype(np.int64)
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            cols[name] = np.asarray(col.cast(pa.float64()).fill_null(np.nan).to_numpy())
        else:
            cols[name] = np.array(col.to_pylist(), dtype=object)
    config = meta.get("config_columns", [])
    metrics = meta.get("metric_columns", [c for c in table.column_names if c not in config])
    return Results(cols, list(config), list(metrics))


# ---------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab aggregate``: exit code 0; 1 when runs are missing and
    ``--allow-partial`` was not given; 2 for a sweep directory that cannot be read.
    """
    p = argparse.ArgumentParser(
        prog="feedlab aggregate",
        description="Aggregate the complete runs of a sweep into results.parquet "
        "(one row per run) and timeseries.parquet (one row per run and step).",
    )
    p.add_argument("sweep_dir", type=Path, help="the sweep directory (holds sweep.json, runs/)")
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="aggregate the complete runs even if some expected runs are not complete",
    )
    p.add_argument("--out", type=Path, default=None, help="output directory (default SWEEP_DIR)")
    p.add_argument("--no-timeseries", action="store_true", help="write results.parquet only")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the coverage line")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        rep = aggregate(
            args.sweep_dir,
            allow_partial=args.allow_partial,
            out_dir=args.out,
            timeseries=not args.no_timeseries,
        )
    except SweepError as exc:
        print(f"feedlab aggregate: {exc}", file=sys.stderr)
        return 2
    lines = rep.lines()
    print("\n".join(lines[:1] if args.quiet else lines))
    if not rep.complete:
        print("feedlab aggregate: no complete run to aggregate", file=sys.stderr)
        return 1
    if rep.is_partial and not args.allow_partial:
        print(
            f"feedlab aggregate: refusing a partial sweep ({rep.coverage}); re-run the sweep "
            "(complete runs are skipped) or pass --allow-partial",
            file=sys.stderr,
        )
        return 1
    out = args.out or args.sweep_dir
    print(
        f"wrote {out / 'results.parquet'} ({rep.results_rows} rows)"
        + (
            f", {out / 'timeseries.parquet'} ({rep.timeseries_rows} rows)"
            if "timeseries.parquet" in rep.written
            else ""
        )
        + f", {out / 'aggregate.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
