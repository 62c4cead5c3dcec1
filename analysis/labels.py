"""Unique labels of the units a run used, for results tables and figures.

A config names a *registered unit* (``ranking.name: bridging``); several ``conf/<group>/``
presets can configure one unit differently (``ranking=bridging`` and
``ranking=bridging_observed`` are both the ``bridging`` unit, with ``variant: predicted``
and ``variant: observed``). ``ranking.name`` alone therefore labels two different
policies alike. :func:`unit_label` gives the preset a unit node comes from: among the
presets of the same unit, the one whose categorical (string and boolean) fields all equal
the node's, preferring the preset named like the unit, so ``bridging`` stays
``bridging`` and the observed variant is ``bridging_observed``. Numeric parameters never
change the label (a swept weight is a column of its own). A node that matches no preset
keeps its registered name with its differing categorical fields appended, e.g.
``bridging[aggregate=product]``. These labels are the keys of
:data:`feedlab.analysis.figures.style.POLICY_STYLE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
UNIT_GROUPS = ("network", "ranking", "influencer", "event")


@cache
def _presets(group: str, conf_dir: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    """``(option, resolved node)`` of every ``conf/<group>/*.yaml`` (interpolations such
    as ``${oc.env:...}`` resolved as the run would resolve them).
    """
    from omegaconf import OmegaConf

    out = []
    for p in sorted((Path(conf_dir) / group).glob("*.yaml")):
        raw = yaml.safe_load(p.read_text()) or {}
        if not isinstance(raw, Mapping) or "name" not in raw:
            continue
        try:
            node = OmegaConf.to_container(OmegaConf.create(dict(raw)), resolve=True)
        except Exception:  # an unresolvable interpolation: compare the raw text
            node = dict(raw)
        out.append((p.stem, dict(node)))  # type: ignore[arg-type]
    return tuple(out)


def _categorical(v: Any) -> bool:
    return isinstance(v, str | bool)


def unit_label(group: str, node: Mapping[str, Any] | None, conf_dir: Path = CONF_DIR) -> str:
    """The label of the unit ``node`` of config group ``group`` (module docstring)."""
    if not isinstance(node, Mapping) or "name" not in node:
        return ""
    name = str(node["name"])
    best: tuple[int, int, str] | None = None
    diffs: dict[str, Any] = {}
    for option, preset in _presets(group, str(conf_dir)):
        if preset.get("name") != name:
            continue
        keys = {k for k in (*preset, *node) if k != "name"}
        bad = {
            k: node.get(k)
            for k in keys
            if (_categorical(preset.get(k)) or _categorical(node.get(k)))
            and preset.get(k) != node.get(k)
        }
        rank = (len(bad), option != name, option)
        if best is None or rank < best:
            best, diffs = rank, bad
    if best is None:
        return name
    if best[0] == 0:
        return best[2]
    return name + "[" + ",".join(f"{k}={diffs[k]}" for k in sorted(diffs)) + "]"


def run_labels(cfg: Mapping[str, Any], conf_dir: Path = CONF_DIR) -> dict[str, str]:
    """``{"<group>.label": label}`` for every unit group in a run's config."""
    return {
        f"{g}.label": unit_label(g, cfg.get(g), conf_dir)
        for g in UNIT_GROUPS
        if isinstance(cfg.get(g), Mapping)
    }
