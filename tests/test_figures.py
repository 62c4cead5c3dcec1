"""Paper figures: regenerated from configs, byte-identical on a re-run, with provenance."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

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
