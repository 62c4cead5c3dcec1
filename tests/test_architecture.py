"""Imports flow one way: the layer contract of docs/architecture.md, and no import cycle.

The import graph is read from the source with :mod:`ast` (every ``import`` of a feedlab
module, at module level or inside a function; ``if TYPE_CHECKING:`` imports count for the
record only, since they never execute: a unit may name the model it is handed in a type
hint). A module may import from its own layer and the layers below it, never above."""

from __future__ import annotations

import ast
import fnmatch
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("models", "agents", "experiments", "analysis", "benchmarks")

# Bottom to top. A module belongs to the first layer with a matching pattern.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "foundation: schema, registries, seeds, kernels, pure metrics",
        [
            "feedlab.experiments.schema",
            "feedlab.models.registry",
            "feedlab.models.seeds",
            "feedlab.models.buffers",
            "feedlab.models.blas",
            "feedlab.models.sampling",
            "feedlab.models.kernels",
            "feedlab.models.step_kernels",
            "feedlab.models.rank_kernels",
            "feedlab.analysis.stats",
            "feedlab.analysis.metrics",
            "feedlab.analysis.metrics.*",
        ],
    ),
    (
        "state and rules",
        [
            "feedlab.agents",
            "feedlab.agents.population",
            "feedlab.agents.user",
            "feedlab.agents.rules",
            "feedlab.agents.rules.*",
            "feedlab.models.graph",
            "feedlab.models.posts",
            "feedlab.models.config",
            "feedlab.models.extension",
        ],
    ),
    (
        "units: networks, feeds, ranking, influencers, events",
        [
            "feedlab.models.network",
            "feedlab.models.predictor",
            "feedlab.models.feed",
            "feedlab.models.ranking",
            "feedlab.models.ranking.*",
            "feedlab.models.events",
            "feedlab.models.events.*",
            "feedlab.models.economy",
            "feedlab.models.economy.*",
            "feedlab.agents.behaviours",
            "feedlab.agents.behaviours.*",
        ],
    ),
    ("the model", ["feedlab.models", "feedlab.models.model"]),
    ("the recorder", ["feedlab.analysis.live", "feedlab.analysis.arms"]),
    ("experiments and sweeps", ["feedlab.experiments", "feedlab.experiments.*"]),
    (
        "analysis, validation, benchmarks",
        ["feedlab.analysis", "feedlab.analysis.*", "feedlab.benchmarks*"],
    ),
]
CLI = {"feedlab.experiments.cli"}  # the command table names modules as strings only


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["feedlab", *parts])


def _modules() -> dict[str, Path]:
    mods = {"feedlab": ROOT / "__init__.py"}
    for sub in SUBPACKAGES:
        for path in (ROOT / sub).rglob("*.py"):
            mods[_module_name(path)] = path
    return mods


def _imports(mods: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(runtime imports, type-checking-only imports) of every module."""
    runtime: dict[str, set[str]] = defaultdict(set)
    typing_only: dict[str, set[str]] = defaultdict(set)

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]

        def visit(
            node: ast.AST, out: dict[str, set[str]], mod: str = mod, package: str = package
        ) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    visit(child, typing_only)
                    continue
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join([*anchor, *([base] if base else [])])
                    for alias in child.names:  # `from pkg import submodule` names the submodule
                        full = f"{base}.{alias.name}"
                        targets.append(full if full in mods else base)
                for t in targets:
                    if t.startswith("feedlab"):
                        r = resolve(t)
                        if r is not None and r != mod:
                            out[mod].add(r)
                visit(child, out)

        visit(ast.parse(path.read_text()), runtime)
    return runtime, typing_only


def _layer(mod: str) -> int | None:
    for i, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(mod, p) for p in patterns):
            return i
    return None


MODS = _modules()
RUNTIME, TYPING = _imports(MODS)


def test_every_module_has_a_layer() -> None:
    missing = [m for m in MODS if m != "feedlab" and m not in CLI and _layer(m) is None]
    assert not missing, f"add these modules to a layer in LAYERS: {missing}"


def test_imports_flow_downwards() -> None:
    bad = []
    for mod in MODS:
        if mod == "feedlab" or mod in CLI:  # the root facade re-exports lazily
            continue
        here = _layer(mod)
        for target in sorted(RUNTIME[mod]):
            there = _layer(target)
            if target != "feedlab" and there is not None and here is not None and there > here:
                bad.append(f"{mod} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})")
    assert not bad, "imports that flow upwards:\n" + "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_import_cycles() -> None:
    graph = {m: {t for t in RUNTIME[m] if t != "feedlab"} for m in MODS if m != "feedlab"}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", ["feedlab.models.model", "feedlab.agents.rules.trust"])
def test_layers_are_found(name: str) -> None:
    assert _layer(name) is not None
