"""The generic top-level package names must resolve to this repository."""

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["agents", "models", "experiments", "analysis"])
def test_top_level_packages_come_from_this_repo(name: str) -> None:
    mod = importlib.import_module(name)
    assert Path(mod.__file__).resolve().parent == ROOT / name


def test_console_script_is_declared() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'feedlab = "experiments.cli:main"' in text


def test_no_global_rng_in_sources() -> None:
    """No stdlib random and no numpy global RNG anywhere in the package sources."""
    bad = []
    for pkg in ("agents", "models", "experiments", "analysis"):
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
    """models.RESULTS_VERSION (part of every run key) is bumped with each CHANGELOG entry
    marked **[results]**, so a sweep re-launched on new code does not reuse old runs."""
    from models import RESULTS_VERSION

    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
    entries = [line for line in changelog.splitlines() if line.startswith("- **[results]**")]
    assert RESULTS_VERSION == len(entries)
