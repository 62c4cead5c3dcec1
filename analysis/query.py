r"""SQL over a sweep's runs with DuckDB, every row carrying its run's config.

    feedlab query SWEEP_DIR "SQL" [--csv | --json] [--out FILE] [--views]

The views (one row per …):

* ``runs`` — run: ``key``, the flattened config (``"ranking.name"``, ``"network.n"``,
  ``seed``, …) and the unit labels (``"ranking.label"``: ``bridging`` vs
  ``bridging_observed``; :mod:`feedlab.analysis.labels`);
* ``summary`` — run: the ``runs`` columns, provenance (``"run.commit"``, …) and every
  ``summary.json`` metric (the table ``feedlab aggregate`` writes as ``results.parquet``);
* ``timeseries`` — recorded step of a run; ``agents`` — user of a run (final state);
  ``events`` — follow/unfollow/share/call-out record of a run. Each is the run's Parquet
  file with ``key`` and the ``runs`` config columns in front.

Only complete runs count (``DONE`` present and every hash matching, as ``feedlab verify``
and ``feedlab aggregate`` decide); a partial sweep is queried with a note on stderr. A data
column whose name equals a config column (``steps``) is exposed as ``"metric.steps"``, as
in ``feedlab aggregate``. Dotted names need double quotes in SQL::

    feedlab query outputs/sweeps/default "
      SELECT \"ranking.label\", avg(opinion_variance) AS var, count(*) AS runs
      FROM summary GROUP BY ALL ORDER BY var"

Nothing is written unless ``--out`` is given (``.parquet`` or ``.csv``). Bad SQL, a
missing sweep or a missing DuckDB is a clean error with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feedlab.analysis import aggregate

VIEWS = ("runs", "summary", "timeseries", "agents", "events")
FILES = {"timeseries": "timeseries.parquet", "agents": "agents.parquet", "events": "events.parquet"}


class QueryError(Exception):
    """A query that cannot run (exit code 2)."""


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise QueryError(
            "feedlab query needs DuckDB, which is not installed: pip install duckdb"
        ) from exc
    return duckdb


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect(sweep_dir: Path | str) -> tuple[Any, aggregate.Report, dict[str, list[str]]]:
    """An in-memory DuckDB connection with the views of the module docstring over the
    sweep's complete runs; also the scan report and each view's columns.
    """
    duckdb = _duckdb()
    sweep_dir = Path(sweep_dir)
    try:
        rep, loaded = aggregate.scan(sweep_dir)
    except aggregate.SweepError as exc:
        raise QueryError(str(exc)) from None
    if not rep.complete:
        raise QueryError(f"{sweep_dir}: no complete run to query ({rep.coverage})")
    table, config, _ = aggregate._results_table(rep, loaded)
    con = duckdb.connect(":memory:")
    con.register("_summary", table)
    con.execute("CREATE VIEW summary AS SELECT * FROM _summary")
    run_cols = ["key", *config]
    con.execute(f"CREATE VIEW runs AS SELECT {', '.join(map(_q, run_cols))} FROM _summary")
    columns = {"runs": run_cols, "summary": list(table.column_names)}
    runs_dir = sweep_dir / rep.runs_dir
    for view, fname in FILES.items():
        files = [
            (str(runs_dir / k / fname), k) for k in rep.complete if (runs_dir / k / fname).is_file()
        ]
        if not files:
            continue
        import pyarrow as pa

        con.register(
            f"_files_{view}",
            pa.table({"filename": [f for f, _ in files], "key": [k for _, k in files]}),
        )
        src = (
            "read_parquet([" + ", ".join("'" + f.replace("'", "''") + "'" for f, _ in files) + "]"
            ", filename=true, union_by_name=true)"
        )
        data_cols = [
            r[0]
            for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
            if r[0] != "filename"
        ]
        reserved = set(run_cols)
        data_sel = [
            f"t.{_q(c)} AS {_q('metric.' + c)}" if c in reserved else f"t.{_q(c)}"
            for c in data_cols
        ]
        cfg_sel = [f"r.{_q(c)}" for c in run_cols]
        con.execute(
            f"CREATE VIEW {view} AS SELECT {', '.join(cfg_sel + data_sel)} FROM {src} t "
            f"JOIN _files_{view} f ON f.filename = t.filename "
            f"JOIN _summary r ON r.key = f.key"
        )
        columns[view] = run_cols + [("metric." + c) if c in reserved else c for c in data_cols]
    return con, rep, columns


def query(sweep_dir: Path | str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` over the sweep's views; (column names, rows)."""
    con, _, columns = connect(sweep_dir)
    try:
        t = run_sql(con, sql)
    except Exception as exc:  # duckdb.Error and its subclasses
        raise QueryError(f"{type(exc).__name__}: {exc}\n(views: {', '.join(columns)})") from None
    return list(t.column_names), list(zip(*(c.to_pylist() for c in t.columns)))


def run_sql(con: Any, sql: str) -> Any:
    """One statement → a pyarrow Table (empty for a statement without a result)."""
    import pyarrow as pa

    rel = con.sql(sql)
    if rel is None:
        return pa.table({})
    return _arrow(rel)


def _arrow(result: Any) -> Any:
    """A DuckDB relation as a pyarrow Table (the method's name differs across DuckDB 1.x
    and 2.x).
    """
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        fn = getattr(result, name, None)
        if fn is not None:
            return fn()
    raise QueryError("this DuckDB cannot return Arrow tables")  # pragma: no cover


def _cell(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def format_table(cols: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[_cell(v) for v in r] for r in rows]
    width = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, width))
    out = [line, "  ".join("-" * w for w in width)]
    out += [
        "  ".join(v.rjust(w) if _num(v) else v.ljust(w) for v, w in zip(r, width)) for r in cells
    ]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _num(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _parser() -> argparse.ArgumentParser:
    """The ``feedlab query`` command line (module docstring)."""
    ap = argparse.ArgumentParser(
        prog="feedlab query",
        description="SQL (DuckDB) over a sweep's complete runs. Views: "
        + ", ".join(VIEWS)
        + "; every row carries its run's config columns (docs/metrics.md).",
    )
    ap.add_argument("sweep_dir", type=Path)
    ap.add_argument("sql", nargs="?", help="the query; omit with --views")
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    fmt.add_argument("--json", action="store_true", help="print JSON records")
    ap.add_argument("--out", type=Path, help="also write the result to FILE (.parquet or .csv)")
    ap.add_argument("--views", action="store_true", help="list the views and their columns")
    return ap


def _print_result(arrow: Any, *, csv: bool, as_json: bool) -> None:
    """Print a query result as CSV, JSON records or (default) an aligned table."""
    cols = list(arrow.column_names)
    rows = list(zip(*(arrow.column(i).to_pylist() for i in range(arrow.num_columns))))
    if csv:
        import csv as csv_

        w = csv_.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
    elif as_json:
        print(json.dumps([dict(zip(cols, r)) for r in rows], default=str, indent=1))
    else:
        print(format_table(cols, rows))


def _write_result(arrow: Any, out: Path) -> None:
    """Write a query result to ``out`` as Parquet or CSV (by its suffix)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        pq.write_table(arrow, out)
    else:
        pcsv.write_csv(arrow, out)


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab query``: exit code 0, or 2 for a usage error, an unreadable sweep or a
    failing query (message on stderr).
    """
    args = _parser().parse_args(list(argv or []))
    if args.out is not None and args.out.suffix not in (".parquet", ".csv"):
        print(f"feedlab query: --out {args.out}: allowed suffixes: .parquet, .csv", file=sys.stderr)
        return 2
    if not args.views and not args.sql:
        print("feedlab query: give a SQL query (or --views)", file=sys.stderr)
        return 2
    try:
        con, rep, columns = connect(args.sweep_dir)
        if rep.is_partial:
            print(
                f"feedlab query: note: {rep.coverage}; querying the complete ones", file=sys.stderr
            )
        if args.views:
            for v, cols in columns.items():
                print(f"{v}: {', '.join(cols)}")
            if not args.sql:
                return 0
        try:
            arrow = run_sql(con, args.sql)
            cols = list(arrow.column_names)
        except Exception as exc:  # duckdb.Error
            raise QueryError(
                f"{type(exc).__name__}: {exc}\n(views: {', '.join(columns)})"
            ) from None
    except QueryError as exc:
        print(f"feedlab query: {exc}", file=sys.stderr)
        return 2
    _print_result(arrow, csv=args.csv, as_json=args.json)
    if args.out is not None:
        _write_result(arrow, args.out)
    return 0
