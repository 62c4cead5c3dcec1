"""The field-target library: every shipped file loads and is internally consistent, bad
files are refused with the file and field named, and the TikTok slope is recomputed from
the data (in-process, < 1 s)."""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from feedlab.analysis.metrics import engagement_rate_scaling
from feedlab.analysis.targets import DEFAULT_DIR, Target, load_target, load_targets
from feedlab.analysis.targets.library import markdown_table
from feedlab.experiments.schema import ConfigError

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "data" / "tiktok_top25.csv"  # the seed table (data/README.md)

#: the papers the library must cover (docs/validation.md §Field targets)
REQUIRED_PREFIXES = (
    "guess2023_",
    "huszar2022_",
    "bakshy2015_",
    "tiktok_top25_",
    "brady2017_",
    "rathje2021_",
    "milli2025_",
    "piccardi2025_",
)


@pytest.fixture(scope="module")
def targets() -> dict[str, Target]:
    return load_targets()


def test_every_shipped_file_loads(targets: dict[str, Target]) -> None:
    files = sorted(p.stem for p in DEFAULT_DIR.glob("*.yaml"))
    assert sorted(targets) == files
    assert len(files) >= 20
    for prefix in REQUIRED_PREFIXES:
        assert any(t.startswith(prefix) for t in targets), prefix


def test_required_fields_present(targets: dict[str, Target]) -> None:
    for t in targets.values():
        assert t.title and t.quantity and t.units and t.direction and t.notes, t.id
        assert t.citation.authors and t.citation.journal, t.id
        assert t.setting.platform and t.setting.population and t.setting.duration, t.id
        assert t.setting.treated_share, t.id
        m = t.measurement
        assert m.design and m.step and "proposal" in m.mapping.lower(), t.id
        assert t.doi or t.url or t.id.startswith("tiktok"), t.id
        if t.kind == "quantitative":
            assert t.estimate is not None, t.id
        else:
            assert t.estimate is None, t.id


def test_interval_contains_estimate(targets: dict[str, Target]) -> None:
    with_interval = [t for t in targets.values() if t.interval is not None]
    assert with_interval  # at least the TikTok slope
    for t in with_interval:
        assert t.interval.lo <= t.interval.hi, t.id
        if t.estimate is not None:
            assert t.contains(t.estimate), t.id


def test_verified_targets_name_their_source(targets: dict[str, Target]) -> None:
    for t in targets.values():
        if t.verified:
            assert t.verified_from and len(t.verified_from) > 20, t.id
        else:
            # an unverified number must say so where a reader looks first
            assert "not verified" in t.notes.lower(), t.id


def test_sign_agrees_with_estimate(targets: dict[str, Target]) -> None:
    for t in targets.values():
        if t.estimate is None or t.scale == "count":
            continue
        v = t.estimate if t.scale == "difference" else math.log(t.estimate)
        assert np.sign(v) == t.sign, t.id


def _tiktok() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    followers = np.array([float(r["followers"]) for r in rows])
    likes = np.array([float(r["avg_likes_per_post"]) for r in rows])
    rate = np.array([float(r["engagement_rate_pct"]) for r in rows])
    return followers, likes, rate


def test_tiktok_slope_recomputed_from_the_csv(targets: dict[str, Target]) -> None:
    t = targets["tiktok_top25_engagement_slope"]
    f, likes, rate = _tiktok()
    assert len(f) == t.setting.n == 25
    assert (f.min(), f.max()) == (1145.0, 1_400_000.0)
    # the rate column is likes per post / followers, in %
    np.testing.assert_allclose(rate, 100 * likes / f, atol=0.03)
    x, y = np.log10(f), np.log10(rate)
    design = np.column_stack([np.ones_like(x), x])
    (intercept, slope), *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ np.array([intercept, slope])
    se = math.sqrt(resid @ resid / (len(x) - 2) / ((x - x.mean()) @ (x - x.mean())))
    assert abs(slope - t.estimate) < 0.001
    assert abs(se - 0.064) < 0.001
    # the project's own metric agrees
    beta, lo, hi, n = engagement_rate_scaling(f, rate)
    assert n == 25 and abs(beta - slope) < 1e-12 and lo < beta < hi
    # pairs bootstrap, seeded: the percentile interval matches the recorded one to ~0.01
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(x), size=(4000, len(x)))
    xs, ys = x[idx], y[idx]
    xc = xs - xs.mean(axis=1, keepdims=True)
    boot = (xc * (ys - ys.mean(axis=1, keepdims=True))).sum(axis=1) / (xc**2).sum(axis=1)
    b_lo, b_hi = np.percentile(boot, [2.5, 97.5])
    assert abs(b_lo - t.interval.lo) < 0.015 and abs(b_hi - t.interval.hi) < 0.015


def test_readme_table_is_current(targets: dict[str, Target]) -> None:
    readme = (DEFAULT_DIR / "README.md").read_text(encoding="utf-8")
    assert markdown_table(targets) in readme, "regenerate: python -m feedlab.analysis.targets"


# --- bad input ------------------------------------------------------------------------


def _copy(tmp_path: Path, name: str = "rathje2021_outgroup_term_odds") -> tuple[Path, dict]:
    src = DEFAULT_DIR / f"{name}.yaml"
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    return dst, yaml.safe_load(dst.read_text(encoding="utf-8"))


def _write(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (lambda d: d.pop("units"), "units: required field is missing"),
        (lambda d: d.update(colour="red"), "colour: unknown field"),
        (lambda d: d.update(estimate="big"), "estimate: must be a finite number"),
        (lambda d: d.update(interval={"lo": 2.0, "hi": 3.0, "kind": "95% CI"}), "does not contain"),
        (lambda d: d.update(interval={"lo": 1.0, "hi": 2.0, "kind": "CI"}), "interval.kind"),
        (lambda d: d.update(verified_from=None), "verified_from: a verified target"),
        (lambda d: d.update(sign=-1), "sign: -1 disagrees"),
        (lambda d: d.update(kind="vibes"), "kind: must be one of quantitative, directional"),
        (lambda d: d.update(id="other_name"), "id: must equal the file name stem"),
        (lambda d: d["setting"].update(n=-3), "setting.n: must be a positive integer"),
        (lambda d: d["citation"].pop("journal"), "citation.journal: required field is missing"),
        (lambda d: d["measurement"].update(mapping=""), "measurement.mapping: must be a non-empty"),
        (lambda d: d.update(kind="directional"), "estimate: a directional target records no"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, edit, expect: str) -> None:
    path, data = _copy(tmp_path)
    edit(data)
    _write(path, data)
    with pytest.raises(ConfigError) as exc:
        load_targets(tmp_path)
    text = str(exc.value)
    assert path.name in text and expect in text, text


def test_all_bad_files_reported_at_once(tmp_path: Path) -> None:
    a, da = _copy(tmp_path, "rathje2021_outgroup_term_odds")
    b, db = _copy(tmp_path, "guess2023_time_spent")
    da.pop("units")
    db["sign"] = 7
    _write(a, da)
    _write(b, db)
    with pytest.raises(ConfigError) as exc:
        load_targets(tmp_path)
    assert len(exc.value.problems) == 2
    assert any(a.name in p for p in exc.value.problems)
    assert any(b.name in p and "sign" in p for p in exc.value.problems)


def test_unreadable_yaml_and_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds no"):
        load_targets(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_targets(tmp_path / "nope")
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml: cannot be read as YAML"):
        load_target(bad)


def test_cli_prints_table_and_refuses_bad_dir(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "feedlab.analysis.targets"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "`tiktok_top25_engagement_slope`" in ok.stdout
    path, data = _copy(tmp_path)
    data.pop("units")
    _write(path, data)
    bad = subprocess.run(
        [sys.executable, "-m", "feedlab.analysis.targets", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "units" in bad.stderr and "Traceback" not in bad.stderr
