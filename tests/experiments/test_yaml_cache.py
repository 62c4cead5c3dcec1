"""The parse cache in front of Hydra's config files (feedlab.experiments.yaml_cache):
the same composed configs as without it, each file parsed once, an edited file parsed
again, and no composition seeing another's edits.
"""

from __future__ import annotations

import copy
import functools
import io
import json
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


@functools.cache
def _composed_options() -> list[tuple[list[str], object]]:
    """The first and last option of every group, composed without the cache (once)."""
    return [(c, composed(c)) for c in group_choices(False)]


@pytest.mark.parametrize("every", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_group_options_compose_the_same_with_the_cache(every: bool) -> None:
    choices = group_choices(every)
    assert len(choices) > 10  # the config tree is there
    if every:
        plain = [composed(c) for c in choices]
    else:
        assert yaml_cache._original is None  # composed without the cache
        plain = [p for _, p in _composed_options()]
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


# ---------------------------------------------------------------- writing (record.py)


def test_config_yaml_is_yaml_dump_for_every_group_option() -> None:
    """A run's ``.hydra/config.yaml`` made block by block with the blocks remembered
    (record.config_yaml) is ``yaml.dump`` of the whole config, byte for byte — also the
    second time, from the remembered blocks, and for a seed that changed."""
    from feedlab.experiments import record

    for overrides, composed_cfg in _composed_options():
        if isinstance(composed_cfg, str):  # an option that needs others
            continue
        cfg = copy.deepcopy(composed_cfg)
        for seed in (1, 2, 1):
            cfg["seed"] = seed
            want = yaml.dump(cfg, Dumper=record._YAML_DUMPER, sort_keys=False)
            assert record.config_yaml(cfg) == want, overrides


def test_config_yaml_keeps_order_types_and_float_bits() -> None:
    from feedlab.experiments import record

    cases = [
        {"a": {"x": 1, "y": 2}, "b": 0.0},
        {"a": {"y": 2, "x": 1}, "b": -0.0},  # another order, the other zero
        {"a": {"x": "1", "y": True}, "b": [1, [2, 3]], "c": None, "d": {}},
        {"a": {"x": 1.0, "y": 1}, "b": (1, 2), 3: "int key"},
        {"a": "a long string " * 12},
    ]
    for data in cases * 2:
        want = yaml.dump(data, Dumper=record._YAML_DUMPER, sort_keys=False)
        assert record.config_yaml(data) == want, data
    shared = [1, 2]
    both = {"a": shared, "b": shared}  # one list under two keys: PyYAML anchors it
    want = yaml.dump(both, Dumper=record._YAML_DUMPER, sort_keys=False)
    assert "&id" in want and record.config_yaml(both) == want


def test_config_metadata_values_are_json_dumps() -> None:
    from feedlab.experiments import record

    for v in (0.0, -0.0, 1, 1.0, True, "1", None, 1e-300, float("inf"), [1, 2], {"b": 1}):
        for _ in range(2):
            assert record._json_value(v) == json.dumps(v, sort_keys=True, default=str), v
