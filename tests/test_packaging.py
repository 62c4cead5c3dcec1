"""One import name: the distribution installs the ``feedlab`` package and nothing else,
in editable and wheel installs alike; the old top-level names are gone."""

import importlib
import importlib.metadata
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import feedlab

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ["agents", "models", "experiments", "analysis", "benchmarks"]


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackages_are_the_top_level_folders(name: str) -> None:
    mod = importlib.import_module(f"feedlab.{name}")
    assert Path(mod.__file__).resolve().parent == ROOT / name
    assert feedlab.ROOT == ROOT


def test_old_top_level_names_are_not_importable(tmp_path: Path) -> None:
    """From any other folder, ``import models`` (etc.) fails: no module has two names."""
    code = (
        "import importlib.util, sys\n"
        f"bad = [n for n in {SUBPACKAGES!r} if importlib.util.find_spec(n) is not None]\n"
        "import feedlab.models\n"
        "sys.exit(1 if bad else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, timeout=60)
    assert out.returncode == 0


def test_installed_distribution_has_one_top_level_package() -> None:
    dist = importlib.metadata.distribution("feedlab")
    assert (dist.read_text("top_level.txt") or "").split() == ["feedlab"]
    assert dist.entry_points.select(group="console_scripts")["feedlab"].value == (
        "feedlab.experiments.cli:console"
    )


def test_wheel_holds_one_top_level_package_and_the_config_tree(tmp_path: Path) -> None:
    """Build the wheel as ``pip install .`` would; every file is under ``feedlab/`` (plus
    the dist-info), the config tree ships as package data, and no test or doc is packed."""
    import shutil

    src = tmp_path / "src"  # setuptools writes build/ into the source folder: use a copy
    skip = shutil.ignore_patterns(".venv", ".git", "build", "outputs", "__pycache__", "*.egg-info")
    shutil.copytree(ROOT, src, ignore=skip)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = tmp_path.glob("feedlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"feedlab", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "feedlab/conf/config.yaml" in names
    assert "feedlab/conf/ranking/engagement.yaml" in names
    assert "feedlab/models/model.py" in names
    for data in ("polblogs.gml.gz", "facebook_combined.txt.gz", "tiktok_top25.csv", "README.md"):
        assert f"feedlab/data/{data}" in names  # the real networks ship as package data
    for init in ROOT.glob("*/**/__init__.py"):  # every subpackage is listed in pyproject
        rel = init.relative_to(ROOT)
        if rel.parts[0] in SUBPACKAGES:
            assert f"feedlab/{rel.as_posix()}" in names, f"{rel.parent} is not packaged"
    targets = [n for n in names if n.startswith("feedlab/data/targets/") and n.endswith(".yaml")]
    assert len(targets) >= 20  # the field targets too
    assert "feedlab/analysis/targets/library.py" in names
    assert not [
        n for n in names if n.startswith(("feedlab/tests", "feedlab/docs", "feedlab/.venv"))
    ]


def test_no_global_rng_in_sources() -> None:
    """No stdlib random and no numpy global RNG anywhere in the package sources."""
    bad = []
    for pkg in ("agents", "models", "experiments", "analysis"):  # peers keep their own RNGs
        for f in (ROOT / pkg).rglob("*.py"):
            text = f.read_text()
            for needle in (
                "import random\n",
                "from random import",
                "np.random.seed(",
                "np.random.rand(",
                "np.random.randint(",
                "np.random.normal(",
                "np.random.choice(",
                "np.random.uniform(",
            ):
                if needle in text:
                    bad.append(f"{f.relative_to(ROOT)}: {needle.strip()}")
    assert not bad, bad


def test_results_version_counts_the_results_changes() -> None:
    """feedlab.models.RESULTS_VERSION (part of every run key) is bumped with each CHANGELOG entry
    marked **[results]**, so a sweep re-launched on new code does not reuse old runs."""
    from feedlab.models import RESULTS_VERSION

    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
    entries = [line for line in changelog.splitlines() if line.startswith("- **[results]**")]
    assert RESULTS_VERSION == len(entries)
