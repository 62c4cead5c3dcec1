"""Results that query well: config metadata in run Parquet files, unique unit labels,
``feedlab query`` over a sweep's runs."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from feedlab.analysis import aggregate, query
from feedlab.analysis.labels import unit_label
from feedlab.experiments import cli, record
from feedlab.experiments.run import compose, run_experiment

TINY = ["network.n=100", "steps=2", "output.progress=false", "output.quiet=true"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Two complete runs (bridging predicted / observed) in one runs/ folder."""
    out = tmp_path_factory.mktemp("sweep")
    res = [
        run_experiment([*TINY, f"ranking={r}", f"output.dir={out}"])
        for r in ("bridging", "bridging_observed")
    ]
    return out, res


def test_parquet_files_carry_the_config_and_unchanged_columns(sweep):
    _, res = sweep
    r = res[1]
    for name in ("timeseries.parquet", "events.parquet", "agents.parquet"):
        meta = pq.read_schema(r.run_dir / name).metadata
        assert meta[b"run_key"].decode() == r.key
        assert json.loads(meta[b"ranking.variant"]) == "observed"
        assert json.loads(meta[b"network.n"]) == 100
        flat = json.loads(meta[record.CONFIG_METADATA_KEY.encode()])
        assert flat["ranking.name"] == "bridging" and flat["steps"] == 2
    # the data are exactly the columns the run computed, nothing added or changed
    t = pq.read_table(r.run_dir / "timeseries.parquet")
    assert t.column_names == list(r.timeseries)
    expected = pa.table({k: pa.array(v) for k, v in r.timeseries.items()})
    assert t.schema.remove_metadata().equals(expected.schema)
    for k, v in r.timeseries.items():  # NaN-aware: NaN == NaN here
        np.testing.assert_array_equal(t.column(k).to_numpy(), v)


def test_metadata_outside_a_run_writer_is_absent(tmp_path):
    record.write_parquet(tmp_path / "x.parquet", {"a": np.arange(3)})
    assert pq.read_schema(tmp_path / "x.parquet").metadata is None


def test_unit_labels_tell_presets_of_one_unit_apart():
    obs = compose(["ranking=bridging_observed"])["ranking"]
    pred = compose(["ranking=bridging"])["ranking"]
    assert unit_label("ranking", pred) == "bridging"
    assert unit_label("ranking", obs) == "bridging_observed"
    assert unit_label("ranking", {**pred, "aggregate": "product"}) == "bridging[aggregate=product]"
    eng = compose(["ranking.weights.comment=3"])["ranking"]
    assert unit_label("ranking", eng) == "engagement"  # numbers never change the label
    assert unit_label("network", compose([])["network"]) == "stochastic_block"


def test_aggregate_results_have_unique_labels(sweep):
    out, _ = sweep
    rep = aggregate.aggregate(out)
    assert rep.results_rows == 2
    t = pq.read_table(out / "results.parquet").to_pydict()
    assert sorted(t["ranking.label"]) == ["bridging", "bridging_observed"]
    assert t["ranking.name"] == ["bridging", "bridging"]


def test_query_views_carry_config_columns(sweep):
    out, res = sweep
    _, rows = query.query(
        out, 'SELECT "ranking.label", count(*) FROM timeseries GROUP BY ALL ORDER BY 1'
    )
    assert rows == [("bridging", 3), ("bridging_observed", 3)]  # steps 0..2
    _, rows = query.query(out, 'SELECT key, "metric.steps" FROM summary ORDER BY key')
    assert rows == sorted((r.key, 2) for r in res)
    _, rows = query.query(out, "SELECT count(DISTINCT key), count(*) FROM agents")
    assert rows == [(2, 200)]
    _, rows = query.query(out, 'SELECT count(DISTINCT "ranking.label") FROM runs')
    assert rows == [(2,)]


def test_query_command_and_errors(sweep, capsys):
    out, _ = sweep
    assert cli.main(["query", str(out), 'SELECT "ranking.label" AS l FROM runs ORDER BY l']) == 0
    text = capsys.readouterr().out
    assert "bridging_observed" in text and "(2 rows)" in text
    assert cli.main(["query", str(out), "SELEC 1"]) == 2
    err = capsys.readouterr().err
    assert "Parser" in err and "Traceback" not in err
    assert cli.main(["query", str(out / "nope"), "SELECT 1"]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert cli.main(["query", str(out), "SELECT 1", "--out", str(out / "x.txt")]) == 2
    assert not (out / "x.txt").exists()


def test_cascade_groups_and_ranking_report_use_the_unit_label(sweep):
    import yaml

    from feedlab.analysis.cascades import group_runs
    from feedlab.analysis.ranking_report import option_of

    out, res = sweep
    groups = group_runs([out], "ranking.label")
    assert sorted(groups) == ["bridging", "bridging_observed"]
    assert sorted(group_runs([out], "ranking.name")) == ["bridging"]  # the old, ambiguous key
    cfg = yaml.safe_load((res[1].run_dir / ".hydra" / "config.yaml").read_text())
    assert option_of(cfg) == "bridging_observed"
