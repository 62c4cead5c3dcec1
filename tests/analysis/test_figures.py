"""Paper figures: regenerated from configs, byte-identical on a re-run, with provenance."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedlab.analysis import figures
from feedlab.analysis.figures import base, style
from feedlab.analysis.figures.engagement_value_frontier import pareto
from feedlab.analysis.figures.validation_watts import wilson
from feedlab.experiments.cli import main as cli_main

SUBSET = ["polarisation_over_time", "outrage_amplification"]
FILES = [f"{n}.{ext}" for n in SUBSET for ext in ("png", "pdf", "json")]


def _make(out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = figures.main(["--quick", "-q", "--only", ",".join(SUBSET), "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    return text


def test_quick_figures_are_byte_identical_and_carry_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = _make(a, capsys)
    assert "6/6 runs complete, 6 computed now" in first
    # an independent regeneration (fresh run cache) and a cached one: the same bytes
    _make(b, capsys)
    again = _make(a, capsys)
    assert "0 computed now" in again  # the second figure reused the cached runs too
    for f in FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f

    side = json.loads((a / "polarisation_over_time.json").read_text())
    keys = sorted(p.name for p in (a / ".runs" / "runs").iterdir() if not p.name.startswith("."))
    assert side["config_hashes"] == keys and len(keys) == 6
    assert side["coverage"] == "6/6 runs complete" and side["seeds"] == [0, 1]
    assert side["figure"] == "polarisation_over_time" and "commit" in side
    assert side["scale"]["name"] == "quick" and side["command"].startswith("feedlab figures")
    assert {r["labels"]["policy"] for r in side["runs"]} == {
        "chronological",
        "engagement",
        "bridging",
    }
    assert all(f"seed={r['labels']['seed']}" in r["overrides"] for r in side["runs"])
    assert "chronological" in side["data"] and side["data"]["engagement"]["n_seeds"] == 2
    assert str(tmp_path) not in (a / "polarisation_over_time.json").read_text()

    from PIL import Image

    with Image.open(a / "polarisation_over_time.png") as im:
        meta = json.loads(im.text["Comment"])
        assert im.text["Title"] == side["title"]
    assert meta["config_hashes"] == keys and meta["coverage"] == side["coverage"]
    pdf = (a / "polarisation_over_time.pdf").read_bytes()
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf
    assert keys[0].encode() in pdf  # the provenance in /Keywords

    amp = json.loads((a / "outrage_amplification.json").read_text())
    diff = amp["data"]["engagement"]["paired_difference_vs_chronological"]
    assert diff["n"] == 2 and diff["method"] == "bca"


def _fake(name: str, design, plot) -> types.ModuleType:
    m = types.ModuleType(name)
    m.NAME, m.TITLE, m.CAPTION = name.rsplit(".", 1)[-1], "t", "c"
    m.design, m.plot = design, plot
    return m


def test_skipped_and_failed_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def absent(scale: base.Scale) -> list[base.RunSpec]:
        raise base.FigureSkipped("needs column 'x', absent")

    def broken(runs: list[base.Run], scale: base.Scale) -> tuple:
        raise RuntimeError("boom")

    spec = [base.RunSpec.make(["network.n=120", "steps=2"], seed=0)]
    monkeypatch.setitem(sys.modules, "fake_skip", _fake("fake_skip", absent, broken))
    monkeypatch.setitem(sys.modules, "fake_fail", _fake("fake_fail", lambda s: spec, broken))
    monkeypatch.setattr(figures, "FIGURES", {"skip": "fake_skip", "fail": "fake_fail"})
    assert figures.main(["-q", "--only", "skip", "--out", str(tmp_path)]) == 0
    assert "skip: skipped: needs column 'x', absent" in capsys.readouterr().out
    assert figures.main(["-q", "--only", "fail", "--out", str(tmp_path)]) == 1
    assert "fail: FAILED" in capsys.readouterr().err
    # runs that cannot be configured: reported, exit 1, nothing drawn
    assert (
        figures.main(
            ["-q", "--only", "fail", "--out", str(tmp_path / "x"), "--override", "network.n=-3"]
        )
        == 1
    )
    assert "no run completed (ConfigError" in capsys.readouterr().err
    assert not list((tmp_path / "x").glob("*.png"))


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["figures", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in figures.FIGURES)
    assert figures.main(["--only", "no_such_figure"]) == 2


def test_save_is_deterministic(tmp_path: Path) -> None:
    prov = {
        "figure": "t",
        "title": "T – test",
        "caption": "c",
        "commit": "abc",
        "config_hashes": ["k"],
        "seeds": [0],
        "coverage": "1/1 runs complete",
    }
    for d in ("a", "b"):
        with style.rc():
            fig = style.figure(3, 2)
            fig.subplots().plot([0, 1], [1, 0], label="x")
            style.save(fig, tmp_path / d, "t", prov)
    for ext in ("png", "pdf", "json"):
        assert (tmp_path / "a" / f"t.{ext}").read_bytes() == (
            tmp_path / "b" / f"t.{ext}"
        ).read_bytes()
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_palette_is_okabe_ito_and_distinct() -> None:
    colours = [c for c, *_ in style.POLICY_STYLE.values()]
    assert len(set(colours)) == len(colours)
    markers = [m for _, m, *_ in style.POLICY_STYLE.values()]
    assert len(set(markers)) == len(markers)  # distinguishable without colour
    allowed = set(style.OKABE_ITO.values()) | {style.GREY, "#B8A800", style.DARK_GREEN}
    assert set(colours) <= allowed


def test_pareto_and_wilson_known_answers() -> None:
    x = np.array([1.0, 2.0, 3.0, 2.5, np.nan])
    y = np.array([3.0, 2.0, 1.0, 1.5, 9.0])
    assert pareto(x, y).tolist() == [0, 1, 3, 2]  # (2.5, 1.5) is not dominated
    y2 = np.array([3.0, 2.0, 1.0, 0.5, 0.0])  # (2.5, 0.5) is dominated by (3, 1)
    assert pareto(x, y2).tolist() == [0, 1, 2]
    # Wilson (1927): 0 of 10 → [0, z²/(n+z²)] = [0, 0.2775]; 5 of 10 → 0.5 ± 0.2872
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.27753, abs=1e-5)
    lo, hi = wilson(5, 10)
    assert (lo, hi) == pytest.approx((0.23659, 0.76341), abs=1e-5)


# ------------------------------------------------------------- figures that cannot lie
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    lo=finite,
    width=st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
    n=st.integers(min_value=0, max_value=25),
)
def test_bounded_interval_never_crosses_the_bounds(
    data: st.DataObject, lo: float, width: float, n: int
) -> None:
    hi = lo + width
    inside = st.floats(min_value=lo, max_value=hi, allow_nan=False)
    values = data.draw(st.lists(inside | st.just(float("nan")), min_size=n, max_size=n))
    ci = base.bounded_interval(values, (lo, hi))
    finite_values = [v for v in values if np.isfinite(v)]
    assert ci["n"] == len(finite_values) and ci["n_nonfinite"] == n - len(finite_values)
    if not finite_values:
        assert np.isnan(ci["estimate"]) and ci["method"] == "none"
        return
    for k in ("estimate", "low", "high"):
        assert lo <= ci[k] <= hi, (k, ci)
    assert min(finite_values) <= ci["low"] <= ci["high"] <= max(finite_values)
    want = "percentile bootstrap" if len(finite_values) >= 10 else "range"
    assert ci["method"] == want


def test_bounded_interval_where_a_t_interval_goes_below_zero() -> None:
    from feedlab.analysis import stats

    variances = [0.001, 0.002, 0.25]  # 3 seeds, one far out: the t-interval crosses 0
    assert stats.t_interval(variances).low < 0
    ci = base.bounded_interval(variances, base.VARIANCE)
    assert (ci["low"], ci["high"], ci["method"]) == (0.001, 0.25, "range")
    many = [0.0] * 8 + [0.3, 0.4]  # 10 seeds: a bootstrap interval, still >= 0
    assert stats.t_interval(many).low < 0
    ci = base.bounded_interval(many, base.VARIANCE)
    assert ci["method"] == "percentile bootstrap" and 0.0 <= ci["low"] < ci["high"] <= 0.4
    mean, low, high = base.bounded_band([np.array(many[i : i + 1] * 4) for i in range(10)])
    assert np.all(low >= 0.0) and np.all(high <= 0.4) and np.allclose(mean, np.mean(many))
    with pytest.raises(ValueError, match="bounds"):
        base.bounded_interval([1.0], (1.0, 0.0))


def _fake_run(root: Path, key: str, labels: dict, summary: dict, series: dict) -> base.Run:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = root / key
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps(summary))
    if series:
        pq.write_table(pa.table(series), d / "timeseries.parquet")
    return base.Run(base.RunSpec.make([], **labels), key, d)


def _fake_runs(root: Path, name: str, seeds: int) -> list[base.Run]:
    """Synthetic run directories for one figure: enough columns to draw it."""
    rng = np.random.default_rng(0)
    step = np.arange(20)
    runs = []
    if name in ("polarisation_over_time", "outrage_amplification"):
        for p in ("chronological", "engagement"):
            for s in range(seeds):
                series = {
                    "step": step,
                    "opinion_variance": np.abs(rng.normal(0.02, 0.02, step.size)),
                    "group_mean_distance": np.abs(rng.normal(0.5, 0.2, step.size)),
                }
                summary = {"run_mean_outrage_amplification": float(rng.uniform(0.5, 6))}
                runs.append(_fake_run(root, f"{p}{s}", {"policy": p, "seed": s}, summary, series))
    elif name == "trust_by_behaviour":
        for b in ("Authentic", "Sponsored, undisclosed"):
            for s in range(seeds):
                series = {"step": step, "trust_influencers": rng.uniform(0.0, 0.05, step.size)}
                runs.append(_fake_run(root, f"{b[:4]}{s}", {"behaviour": b, "seed": s}, {}, series))
    elif name == "reputation_recovery":
        for c in ("no apology", "apology"):
            for s in range(seeds):
                series = {
                    "step": step,
                    "callouts": rng.integers(0, 5, step.size),
                    "reputation": rng.uniform(0.1, 0.3, step.size),
                }
                summary = {"cascade_size": 10, "time_to_peak": 1.0}
                runs.append(
                    _fake_run(root, f"{c[:2]}{s}", {"condition": c, "seed": s}, summary, series)
                )
    elif name == "validation_watts":
        for z in (1.0, 3.0, 7.0):
            for s in range(seeds):
                summary = {"cascade_size": int(rng.integers(1, 300)), "n_users": 300}
                runs.append(_fake_run(root, f"z{z}s{s}", {"z": z, "seed": s}, summary, {}))
    return runs


def _reference_artists(fig) -> list:
    """Lines and spans drawn in axes-fraction units along one axis (axhline, axvline,
    axhspan, axvspan): the reference lines and regions of a figure."""
    out = []
    for ax in fig.axes:
        blended = {id(ax.get_xaxis_transform()), id(ax.get_yaxis_transform())}
        for a in [*ax.lines, *ax.patches]:
            t = a.get_data_transform() if a in ax.patches else a.get_transform()
            if id(t) in blended:
                out.append(a)
    return out


def _legend_texts(fig) -> set[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return {t.get_text() for lg in legends if lg is not None for t in lg.get_texts()}


@pytest.mark.parametrize("seeds", [3, 12])
@pytest.mark.parametrize(
    "name",
    [
        "polarisation_over_time",
        "outrage_amplification",
        "trust_by_behaviour",
        "reputation_recovery",
        "validation_watts",
    ],
)
def test_every_reference_line_is_in_a_legend_and_no_band_crosses_a_bound(
    tmp_path: Path, name: str, seeds: int
) -> None:
    import importlib

    module = importlib.import_module(figures.FIGURES[name])
    runs = _fake_runs(tmp_path, name, seeds)
    with style.rc():
        fig, data = module.plot(runs, base.QUICK)
    refs = _reference_artists(fig)
    assert refs, f"{name} draws no reference line; the test would prove nothing"
    texts = _legend_texts(fig)
    for a in refs:
        assert a.get_label() in texts, (name, a.get_label(), texts)
    # every band of a bounded metric stays inside its bounds (trust, variance >= 0 ...)
    for ax in fig.axes:
        for coll in ax.collections:
            for path in coll.get_paths():
                ys = path.vertices[:, 1]
                if name in ("polarisation_over_time",) and ax is fig.axes[0]:
                    assert ys.min() >= 0.0
                if name == "trust_by_behaviour":
                    assert 0.0 <= ys.min() and ys.max() <= 1.0
    json.dumps(base.jsonable(data))  # the sidecar data serialise


def test_figures_of_stylized_facts_carry_the_measured_verdict() -> None:
    import importlib

    results = json.loads(base.VALIDATION_RESULTS.read_text())["results"]
    claims = {r["name"]: r for r in results}
    seen = 0
    for mod in figures.FIGURES.values():
        m = importlib.import_module(mod)
        got = base.verdicts(getattr(m, "FACTS", ()))
        assert set(got) == set(getattr(m, "FACTS", ())), mod  # every named check exists
        for check, v in got.items():
            assert v["status"] == claims[check]["status"]
            if v["status"] != "PASS":
                seen += 1
                # a fact that was not confirmed is not the figure's title
                claim = v["title"].split(". ", 1)[-1].lower()
                assert claim not in m.TITLE.lower(), (mod, m.TITLE)
    assert seen  # some figure shows a FAIL-reported fact: the check is exercised
    assert base.verdicts(["fact_outrage_amplification"], Path("/nonexistent")) == {}
