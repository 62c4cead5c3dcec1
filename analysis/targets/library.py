"""The field-target library: published field findings a feedlab run can be held against.

Each target is one measured quantity from one paper (a chronological-feed experiment, an
amplification audit, a sharing regression), stored as a small YAML file in
``data/targets/<id>.yaml`` and shipped as package data (``feedlab/data/targets`` in a
wheel). :func:`load_targets` reads and validates every file and returns frozen
:class:`Target` records; any bad file is refused with a
:class:`~feedlab.experiments.schema.ConfigError` whose lines name the file and the field.

What ``verified`` means: every number in the file (estimate, interval, ``setting.n``) was
read in the primary or an authoritative source named in ``verified_from`` (the paper, its
abstract on the publisher's, PubMed's or PMC's page, the arXiv preprint, the authors' data
deposit or the stored outputs of their analysis repository, or, for the TikTok table,
recomputed from the data in this repository). A number seen only in a secondary summary
stays ``verified: false`` and its ``notes`` say where it was seen. A ``directional``
target records a sign (or a null) without a magnitude.

The ``measurement`` block is a *proposal* for how a simulation should measure the
comparable quantity (design, step length, mapping to the paper's units); it is advice for
whoever builds that check, not something this module runs. Field descriptions:
``data/targets/README.md``; the table of targets: ``docs/validation.md`` (Field targets).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from feedlab.experiments.schema import ConfigError

#: Where the shipped targets live: ``<package>/data/targets`` (the repository's
#: ``data/targets`` in a clone or an editable install).
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "targets"

KINDS = ("quantitative", "directional")
SCALES = ("difference", "ratio", "count")
INTERVAL_KINDS = ("95% CI", "bootstrap 95% CI", "SE", "range")
SIGNS = (-1, 0, 1)

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP = (
    "id",
    "title",
    "citation",
    "doi",
    "url",
    "quantity",
    "kind",
    "scale",
    "estimate",
    "interval",
    "units",
    "sign",
    "direction",
    "setting",
    "verified",
    "verified_from",
    "notes",
    "measurement",
)
_CITATION = ("authors", "year", "journal", "volume", "pages")
_SETTING = ("platform", "country", "population", "n", "n_unit", "duration", "treated_share")
_MEASUREMENT = ("design", "step", "mapping")
_INTERVAL = ("lo", "hi", "kind")


@dataclass(frozen=True)
class Citation:
    """Bibliographic record; ``year``, ``volume`` and ``pages`` are None where not known."""

    authors: str
    year: int | None
    journal: str
    volume: str | None
    pages: str | None


@dataclass(frozen=True)
class Interval:
    """``[lo, hi]`` of kind ``95% CI``, ``bootstrap 95% CI``, ``SE`` (estimate ± 1 SE) or
    ``range`` (observed min–max).
    """

    lo: float
    hi: float
    kind: str


@dataclass(frozen=True)
class Setting:
    """Where and on whom the quantity was measured."""

    platform: str
    country: str
    population: str
    n: int | None
    n_unit: str
    duration: str
    treated_share: str


@dataclass(frozen=True)
class Measurement:
    """A proposal for the comparable simulated quantity (not run by this module)."""

    design: str
    step: str
    mapping: str


@dataclass(frozen=True)
class Target:
    """One measured quantity of one paper (see the module docstring for the fields)."""

    id: str
    title: str
    citation: Citation
    doi: str | None
    url: str | None
    quantity: str
    kind: str
    scale: str
    estimate: float | None
    interval: Interval | None
    units: str
    sign: int
    direction: str
    setting: Setting
    verified: bool
    verified_from: str | None
    notes: str
    measurement: Measurement
    path: Path

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the target's interval (False if it has none)."""
        return self.interval is not None and self.interval.lo <= value <= self.interval.hi


class _Checker:
    """Collects problem lines for one file: ``<file>: <field>: <what is wrong>``."""

    def __init__(self, path: Path):
        self.name = path.name
        self.problems: list[str] = []
        self.missing: set[str] = set()

    def bad(self, field: str, msg: str) -> None:
        if field in self.missing:  # already reported as missing: one line per field
            return
        self.problems.append(f"{self.name}: {field}: {msg}")

    def mapping(self, data: Any, field: str, keys: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(data, Mapping):
            self.bad(field, f"must be a mapping with keys {', '.join(keys)}")
            return None
        for k in keys:
            if k not in data:
                where = f"{field}.{k}" if field else k
                self.bad(where, "required field is missing")
                self.missing.add(where)
        for k in data:
            if k not in keys:
                where = f"{field}.{k}" if field else str(k)
                self.bad(where, f"unknown field; allowed: {', '.join(keys)}")
        return dict(data)

    def text(self, data: Mapping[str, Any], key: str, field: str, *, null: bool = False) -> Any:
        v = data.get(key)
        if v is None and null:
            return None
        if not isinstance(v, str) or not v.strip():
            self.bad(field, "must be a non-empty string" + (" or null" if null else ""))
            return None
        return v.strip()

    def number(self, data: Mapping[str, Any], key: str, field: str, *, null: bool) -> Any:
        v = data.get(key)
        if v is None and null:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            self.bad(field, f"must be a finite number{' or null' if null else ''}, got {v!r}")
            return None
        return float(v)

    def choice(self, data: Mapping[str, Any], key: str, field: str, allowed: tuple) -> Any:
        v = data.get(key)
        if isinstance(v, bool) or v not in allowed:
            self.bad(field, f"must be one of {', '.join(map(str, allowed))}, got {v!r}")
            return None
        return v


def _check_id(c: _Checker, top: Mapping[str, Any], path: Path) -> Any:
    """The target's ``id``: lower_snake_case and equal to the file name stem."""
    tid = top.get("id")
    if not isinstance(tid, str) or not _ID.match(tid):
        c.bad("id", f"must be lower_snake_case letters/digits, got {tid!r}")
    elif tid != path.stem:
        c.bad("id", f"must equal the file name stem {path.stem!r}, got {tid!r}")
    return tid


def _parse_citation(c: _Checker, top: Mapping[str, Any]) -> Citation | None:
    """The ``citation`` block (``year`` an integer in 1900–2100 or null)."""
    cit = c.mapping(top.get("citation"), "citation", _CITATION)
    if cit is None:
        return None
    year = cit.get("year")
    if year is not None and (
        isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100
    ):
        c.bad("citation.year", f"must be a year (integer 1900-2100) or null, got {year!r}")
    return Citation(
        authors=c.text(cit, "authors", "citation.authors"),
        year=year,
        journal=c.text(cit, "journal", "citation.journal"),
        volume=_opt_str(c, cit, "volume", "citation.volume"),
        pages=_opt_str(c, cit, "pages", "citation.pages"),
    )


def _parse_interval(c: _Checker, top: Mapping[str, Any], estimate: float | None) -> Interval | None:
    """The optional ``interval`` block: ``lo ≤ hi``, and it must contain the estimate."""
    raw_iv = top.get("interval")
    if raw_iv is None:
        return None
    iv = c.mapping(raw_iv, "interval", _INTERVAL)
    if iv is None:
        return None
    lo = c.number(iv, "lo", "interval.lo", null=False)
    hi = c.number(iv, "hi", "interval.hi", null=False)
    ik = c.choice(iv, "kind", "interval.kind", INTERVAL_KINDS)
    if lo is None or hi is None:
        return None
    if lo > hi:
        c.bad("interval", f"lo {lo} is above hi {hi}")
    elif estimate is not None and not lo <= estimate <= hi:
        c.bad("interval", f"[{lo}, {hi}] does not contain the estimate {estimate}")
    return Interval(lo, hi, ik)


def _parse_setting(c: _Checker, top: Mapping[str, Any]) -> Setting | None:
    """The ``setting`` block (``n`` a positive integer or null)."""
    st = c.mapping(top.get("setting"), "setting", _SETTING)
    if st is None:
        return None
    n = st.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n <= 0):
        c.bad("setting.n", f"must be a positive integer or null, got {n!r}")
    return Setting(
        platform=c.text(st, "platform", "setting.platform"),
        country=c.text(st, "country", "setting.country"),
        population=c.text(st, "population", "setting.population"),
        n=n,
        n_unit=c.text(st, "n_unit", "setting.n_unit"),
        duration=c.text(st, "duration", "setting.duration"),
        treated_share=c.text(st, "treated_share", "setting.treated_share"),
    )


def _parse_measurement(c: _Checker, top: Mapping[str, Any]) -> Measurement | None:
    """The ``measurement`` block: how the model measures the target."""
    ms = c.mapping(top.get("measurement"), "measurement", _MEASUREMENT)
    if ms is None:
        return None
    return Measurement(
        design=c.text(ms, "design", "measurement.design"),
        step=c.text(ms, "step", "measurement.step"),
        mapping=c.text(ms, "mapping", "measurement.mapping"),
    )


def _check_cross_fields(c: _Checker, top: Mapping[str, Any], f: dict[str, Any]) -> None:
    """Rules between fields: a quantitative target has an estimate and a directional one
    none; a verified target names its source; the sign agrees with the estimate on its
    scale (a ratio's sign is that of its logarithm).
    """
    kind, estimate, sign, scale = f["kind"], f["estimate"], f["sign"], f["scale"]
    if kind == "quantitative" and "estimate" in top and top.get("estimate") is None:
        c.bad("estimate", "a quantitative target needs a number (directional ones may be null)")
    if kind == "directional" and estimate is not None:
        c.bad("estimate", "a directional target records no magnitude: use null")
    if f["verified"] is True and f["verified_from"] is None:
        c.bad("verified_from", "a verified target must name the source it was read in")
    if estimate is not None and sign is not None and scale in ("difference", "ratio"):
        value = (
            estimate if scale == "difference" else (math.log(estimate) if estimate > 0 else None)
        )
        if value is None:
            c.bad("estimate", f"a ratio must be > 0, got {estimate}")
        elif (value > 0) - (value < 0) != sign:
            c.bad("sign", f"{sign} disagrees with the estimate {estimate} ({scale} scale)")


def _parse_fields(c: _Checker, top: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level scalar fields, checked in file order (``None`` where invalid)."""
    f: dict[str, Any] = {
        "title": c.text(top, "title", "title"),
        "doi": c.text(top, "doi", "doi", null=True),
        "url": c.text(top, "url", "url", null=True),
    }
    if isinstance(f["url"], str) and not f["url"].startswith(("https://", "http://")):
        c.bad("url", f"must be an http(s) address, got {f['url']!r}")
    for key in ("quantity", "units", "direction", "notes"):
        f[key] = c.text(top, key, key)
    for key, allowed in (("kind", KINDS), ("scale", SCALES), ("sign", SIGNS)):
        f[key] = c.choice(top, key, key, allowed)
    f["estimate"] = c.number(top, "estimate", "estimate", null=True)
    f["verified"] = top.get("verified")
    if not isinstance(f["verified"], bool):
        c.bad("verified", f"must be true or false, got {f['verified']!r}")
    f["verified_from"] = c.text(top, "verified_from", "verified_from", null=True)
    return f


def _parse(path: Path, data: Any) -> tuple[Target | None, list[str]]:
    """Check one target file's data; the target, or ``None`` and every problem found."""
    c = _Checker(path)
    top = c.mapping(data, "", _TOP)
    if top is None:
        return None, c.problems
    tid = _check_id(c, top, path)
    f = _parse_fields(c, top)
    citation = _parse_citation(c, top)
    interval = _parse_interval(c, top, f["estimate"])
    setting = _parse_setting(c, top)
    measurement = _parse_measurement(c, top)
    _check_cross_fields(c, top, f)
    title, doi, url = f["title"], f["doi"], f["url"]
    quantity, units, direction, notes = f["quantity"], f["units"], f["direction"], f["notes"]
    kind, scale, sign, estimate = f["kind"], f["scale"], f["sign"], f["estimate"]
    verified, verified_from = f["verified"], f["verified_from"]

    if c.problems:
        return None, c.problems
    # every required field was checked above (a missing one is a problem)
    assert tid is not None and citation is not None and setting is not None
    assert verified is not None and measurement is not None
    target = Target(
        id=tid,
        title=title,
        citation=citation,
        doi=doi,
        url=url,
        quantity=quantity,
        kind=kind,
        scale=scale,
        estimate=estimate,
        interval=interval,
        units=units,
        sign=sign,
        direction=direction,
        setting=setting,
        verified=verified,
        verified_from=verified_from,
        notes=notes,
        measurement=measurement,
        path=path,
    )
    return target, []


def _opt_str(c: _Checker, data: Mapping[str, Any], key: str, field: str) -> str | None:
    v = data.get(key)
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return c.text(data, key, field)


def load_target(path: str | Path) -> Target:
    """Read and validate one target file; :class:`ConfigError` names every bad field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([f"{path.name}: cannot be read as YAML: {exc}"]) from None
    target, problems = _parse(path, data)
    if problems:
        raise ConfigError(problems)
    assert target is not None
    return target


def load_targets(dir: str | Path | None = None) -> dict[str, Target]:
    """Every ``*.yaml`` target in ``dir`` (default: the shipped library), by id.

    All files are checked before anything is returned; the :class:`ConfigError` lists the
    problems of every bad file, one line each, prefixed with the file name.
    """
    root = Path(dir) if dir is not None else DEFAULT_DIR
    if not root.is_dir():
        raise ConfigError([f"targets directory {str(root)!r} does not exist"])
    files = sorted(root.glob("*.yaml"))
    if not files:
        raise ConfigError([f"targets directory {str(root)!r} holds no *.yaml target"])
    targets: dict[str, Target] = {}
    problems: list[str] = []
    for path in files:
        try:
            t = load_target(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        targets[t.id] = t
    if problems:
        raise ConfigError(problems)
    return targets


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.4g}"


def markdown_table(targets: Mapping[str, Target]) -> str:
    """The summary table of ``data/targets/README.md``: id, paper, estimate, interval, units,
    verified. A directional target shows its sign in words instead of a number.
    """
    lines = [
        "| id | paper | estimate | interval | units | verified |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in sorted(targets.values(), key=lambda t: t.id):
        if t.estimate is None:
            est = {1: "increase", -1: "decrease", 0: "no significant change"}[t.sign]
        else:
            est = _fmt(t.estimate)
        iv = "—"
        if t.interval is not None:
            iv = f"[{_fmt(t.interval.lo)}, {_fmt(t.interval.hi)}] ({t.interval.kind})"
        first = t.citation.authors.split(",")[0].strip()
        paper = f"{first} {t.citation.year or ''} {t.citation.journal.split(' (')[0]}".strip()
        lines.append(
            f"| `{t.id}` | {paper} | {est} | {iv} | {t.units} | {'yes' if t.verified else 'no'} |"
        )
    return "\n".join(lines) + "\n"
