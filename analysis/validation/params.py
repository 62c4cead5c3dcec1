"""Validation under another parameter set: ``feedlab validate --params calibrated``.

The stylized facts and field targets are decided under feedlab's default parameters. After
``feedlab calibrate --write-config`` (docs/calibration.md), ``conf/<group>/calibrated.yaml``
holds the posterior point estimate; ``--params calibrated`` appends ``<group>=calibrated``
for every such group to every run of the checks or targets, writes its reports beside the
default ones with a ``_calibrated`` suffix (``targets_calibrated.md``,
``targets_calibrated_B.md``), and adds a section comparing each verdict and value with the
default-parameter report of the same seed set when that report's JSON lies beside it (the
issue's "every field target under the default and the calibrated parameters"). The runs are
full-size: a parameter set is not a shrink hook, so the results are not marked reduced.
Pure except :func:`calibrated_groups` and :func:`provenance`, which read ``conf/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: The parameter sets ``--params`` accepts.
PARAM_SETS = ("default", "calibrated")
#: The file-name suffix of reports under the calibrated parameters.
SUFFIX = "_calibrated"


def conf_dir() -> Path:
    """The config root that runs are composed from (:data:`feedlab.experiments.run.CONF_DIR`)."""
    from feedlab.experiments import run

    return Path(run.CONF_DIR)


def calibrated_groups(root: Path | None = None) -> list[str]:
    """The config groups that have a ``calibrated.yaml`` (sorted)."""
    base = root or conf_dir()
    return sorted(p.parent.name for p in base.glob("*/calibrated.yaml"))


def overrides(params: str, root: Path | None = None) -> tuple[str, ...]:
    """The overrides of a parameter set: none for ``default``, ``<group>=calibrated`` for
    every calibrated group; ValueError naming the option when there is nothing to use.
    """
    if params not in PARAM_SETS:
        raise ValueError(f"--params must be one of {', '.join(PARAM_SETS)}, got {params!r}")
    if params == "default":
        return ()
    groups = calibrated_groups(root)
    if not groups:
        raise ValueError(
            "--params calibrated: no conf/<group>/calibrated.yaml exists; write one with "
            "`feedlab calibrate --write-config` (docs/calibration.md)"
        )
    return tuple(f"{g}=calibrated" for g in groups)


def provenance(root: Path | None = None) -> list[str]:
    """The provenance header lines (leading ``#`` comments) of every calibrated config."""
    base = root or conf_dir()
    out = []
    for g in calibrated_groups(base):
        for line in (base / g / "calibrated.yaml").read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            out.append(line.lstrip("# ").rstrip())
    return out


def roles(lines: Sequence[str]) -> tuple[list[str], list[str]]:
    """The fitted and held-out target ids named in provenance lines (``fitted targets:
    a, b`` / ``held-out targets: c``, as ``feedlab calibrate`` writes them).
    """
    fitted: list[str] = []
    held: list[str] = []
    for line in lines:
        for prefix, into in (("fitted targets:", fitted), ("held-out targets:", held)):
            if line.startswith(prefix):
                into.extend(t.strip() for t in line[len(prefix) :].split(",") if t.strip())
    return fitted, [t for t in held if t != "(none)"]


def suffixed(path: Path) -> Path:
    """``x.md`` → ``x_calibrated.md`` and ``x_B.md`` → ``x_calibrated_B.md``."""
    stem = path.stem
    if stem.endswith("_B"):
        return path.with_name(f"{stem[:-2]}{SUFFIX}_B{path.suffix}")
    return path.with_name(f"{stem}{SUFFIX}{path.suffix}")


def default_twin(path: Path) -> Path:
    """The default-parameter report beside a calibrated one (``_calibrated`` removed)."""
    return path.with_name(path.name.replace(SUFFIX, "", 1))


def _cell(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "–"
    if "target" in row:
        if not row.get("n"):
            return str(row.get("verdict", "–"))
        return (
            f"{row['mean']:.3g} [{row['ci_lo']:.3g}, {row['ci_hi']:.3g}] {row.get('verdict', '')}"
        )
    return str(row.get("status", "–"))


def _rows(payload: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    if "targets" in payload:
        return {r["target"]: r for r in payload["targets"]}
    return {r["name"]: r for r in payload.get("results", [])}


def _verdict(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return ""
    return str(row.get("verdict", row.get("status", "")))


def comparison(default: Mapping[str, Any], calibrated: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per check or target in either report: both cells and whether the verdict
    changed (None when one side is missing).
    """
    from .seed_sets import paired

    out = []
    for name, a, b in paired(_rows(default), _rows(calibrated)):
        out.append(
            {
                "name": name,
                "default": _cell(a),
                "calibrated": _cell(b),
                "changed": None if a is None or b is None else _verdict(a) != _verdict(b),
            }
        )
    return out


def markdown(
    rows: Sequence[Mapping[str, Any]],
    default: Mapping[str, Any],
    calibrated: Mapping[str, Any],
    fitted: Sequence[str] = (),
    held_out: Sequence[str] = (),
) -> str:
    """The section: each check or target under both parameter sets; fitted targets and
    held-out targets of the calibration are marked (a held-out target was never fitted).
    """
    same = default.get("code_fingerprint") == calibrated.get("code_fingerprint")
    lines = [
        "## Default vs calibrated parameters",
        "",
        f"Default parameters: code fingerprint {default.get('code_fingerprint', '?')}; "
        f"calibrated (`{' '.join(calibrated.get('params_overrides', []))}`): code fingerprint "
        f"{calibrated.get('code_fingerprint', '?')}; seed set {calibrated.get('seed_set', 'A')}."
        + ("" if same else " **The two reports come from different code versions.**"),
        "",
        "| check / target | role in the calibration | default | calibrated | verdict changed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        role = "fitted" if r["name"] in fitted else ("held out" if r["name"] in held_out else "–")
        changed = {True: "**yes**", False: "no", None: "–"}[r["changed"]]
        lines.append(f"| `{r['name']}` | {role} | {r['default']} | {r['calibrated']} | {changed} |")
    return "\n".join(lines) + "\n"
