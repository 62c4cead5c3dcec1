"""``feedlab params`` and ``feedlab run --help``: every schema field documented and listed."""

from __future__ import annotations

import dataclasses

import pytest

from feedlab.experiments import cli, params


def _schema_fields() -> list[tuple[str, str]]:
    """(dotted path, doc) of every field of the root schema and of every registered unit."""
    out = [
        (p, f.metadata.get("doc", "")) for p, f, _, _ in params.iter_fields(params._root_schema())
    ]
    for group, reg in params.registries().items():
        for name in reg.names():
            for p, f, _, _ in params.iter_fields(reg.get(name), f"{group}[{name}]."):
                out.append((p, f.metadata.get("doc", "")))
    return out


def test_every_schema_field_has_a_doc():
    missing = [p for p, doc in _schema_fields() if not doc.strip()]
    assert not missing, f"schema fields without doc=: {missing}"


@pytest.fixture(scope="module")
def defaults():
    return params.compose_defaults()


@pytest.fixture(scope="module")
def listing(defaults):
    return params.all_params(defaults)


def test_params_output_names_every_leaf_field(defaults, capsys):
    assert cli.main(["params", "--all"]) == 0
    text = capsys.readouterr().out
    root = params._root_schema()
    for path, _, _, leaf in params.iter_fields(root):
        if leaf and not path.startswith(params.UNIT_GROUPS):
            assert f"  {path}  (" in text, path
    for group, reg in params.registries().items():
        for name in reg.names():
            assert f"[{group}.name={name}" in text, (group, name)
            for path, _, _, leaf in params.iter_fields(reg.get(name)):
                if leaf:
                    assert f"  {group}.{path}  (" in text, (group, name, path)


def test_defaults_come_from_the_composed_yaml(listing, defaults):
    rows = {p.path: p for sec in listing["dynamics"].values() for p in sec}
    assert rows["dynamics.opinion.enabled"].default == defaults["dynamics"]["opinion"]["enabled"]
    top = {p.path: p for sec in listing["top-level"].values() for p in sec}
    assert top["steps"].default == defaults["steps"]
    assert top["seed"].allowed.startswith("[0, ")
    # unit groups: the default unit's values from the composed config; others from presets
    ranking = listing["ranking"]
    eng = next(v for k, v in ranking.items() if k.startswith("ranking.name=engagement "))
    w = {p.path: p.default for p in eng}
    assert w["ranking.weights.comment"] == defaults["ranking"]["weights"]["comment"]
    bridging = next(k for k in ranking if k.startswith("ranking.name=bridging "))
    assert "ranking=bridging_observed" in bridging  # both presets of the unit are named
    variant = next(p for p in ranking[bridging] if p.path == "ranking.variant")
    assert variant.allowed == "predicted, observed" and variant.default == "predicted"


def test_params_group_and_bad_group(capsys):
    assert cli.main(["params", "ranking"]) == 0
    out = capsys.readouterr().out
    assert "ranking.weights.like" in out and "w_like" in out
    assert cli.main(["params", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "'nosuch' is not a config group" in err and "dynamics" in err


def test_run_help_is_feedlabs_not_hydras(capsys):
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "feedlab params GROUP" in out
    assert "root seed of every random stream" in out  # a doc string, not a bare value
    assert "--hydra-help" in out
    assert cli.main(["run", "steps=7", "-h"]) == 0
    assert "default 7" in capsys.readouterr().out


def test_iter_fields_recurses_into_nested_and_listed_dataclasses():
    paths = [p for p, *_ in params.iter_fields(params._root_schema())]
    assert "dynamics.reaction.like.intercept" in paths
    assert "arms[].share" in paths
    assert all(
        not dataclasses.is_dataclass(t)
        for p, _, t, leaf in params.iter_fields(params._root_schema())
        if leaf
    )


def test_hydra_help_still_reaches_hydra(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "feedlab.experiments.cli", "run", "--hydra-help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Hydra (" in out.stdout and "feedlab params" not in out.stdout
    assert not any(tmp_path.iterdir())  # help writes nothing
