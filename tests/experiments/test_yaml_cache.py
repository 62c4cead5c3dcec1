"""The parse cache in front of Hydra's config files (feedlab.experiments.yaml_cache):
the same composed configs as without it, each file parsed once, an edited file parsed
again, and no composition seeing another's edits.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from feedlab.experiments import yaml_cache
from feedlab.experiments.run import CONF_DIR, compose


@pytest.fixture
def cache() -> Iterator[None]:
    yaml_cache.install()
    try:
        yield
    finally:
        yaml_cache.uninstall()


def group_choices(every: bool) -> list[list[str]]:
    """One override list per option of every config group (or the first and last of
    each), and the defaults."""
    out: list[list[str]] = [[]]
    for group in sorted(p for p in CONF_DIR.iterdir() if p.is_dir()):
        options = sorted(group.glob("*.yaml"))
        for option in options if every else options[:1] + options[-1:]:
            out.append([f"{group.name}={option.stem}"])
    return out


def composed(overrides: list[str]) -> object:
    try:
        return compose(overrides)
    except Exception as exc:  # an option that needs others: the same error both ways
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("every", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_group_options_compose_the_same_with_the_cache(every: bool) -> None:
    choices = group_choices(every)
    assert len(choices) > 10  # the config tree is there
    plain = [composed(c) for c in choices]
    yaml_cache.install()
    try:
        cached = [composed(c) for c in choices]
        again = [composed(c) for c in choices]  # now from the cache
        assert yaml_cache._PARSED  # it was used
    finally:
        yaml_cache.uninstall()
    assert cached == plain
    assert again == plain


def test_each_text_is_parsed_once_and_an_edit_is_parsed_again(
    cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = yaml.load

    def counting(stream: object, Loader: object) -> object:
        calls.append(str(stream))
        return original(stream, Loader=Loader)  # type: ignore[arg-type]

    monkeypatch.setattr(yaml, "load", counting)
    a = OmegaConf.load(io.StringIO("x: 1\ny: [1, 2]\n"))
    b = OmegaConf.load(io.StringIO("x: 1\ny: [1, 2]\n"))
    assert len(calls) == 1
    assert a == b and a is not b
    c = OmegaConf.load(io.StringIO("x: 2\ny: [1, 2]\n"))  # an edited file
    assert len(calls) == 2 and c.x == 2
    a.y.append(3)  # one composition's edit reaches no other load
    a.x = 5
    assert OmegaConf.load(io.StringIO("x: 1\ny: [1, 2]\n")) == OmegaConf.create(
        {"x": 1, "y": [1, 2]}
    )
    empty = OmegaConf.load(io.StringIO(""))
    assert empty == OmegaConf.create()
    binary = OmegaConf.load(io.BytesIO(b"z: 3\n"))  # a zipped package's resource
    assert binary.z == 3


def test_paths_and_bad_files_behave_as_omegaconf(cache: None, tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("k: v\n")
    assert OmegaConf.load(f) == OmegaConf.create({"k": "v"})  # a path: OmegaConf's own
    with pytest.raises(OSError, match="Invalid loaded object type"):
        OmegaConf.load(io.StringIO("3\n"))
    with pytest.raises(yaml.YAMLError):
        OmegaConf.load(io.StringIO("a: [1,\n"))


def test_install_is_idempotent_and_uninstall_restores() -> None:
    before = OmegaConf.load
    yaml_cache.install()
    yaml_cache.install()
    try:
        assert OmegaConf.load is not before
    finally:
        yaml_cache.uninstall()
    assert OmegaConf.load == before
    assert not yaml_cache._PARSED
