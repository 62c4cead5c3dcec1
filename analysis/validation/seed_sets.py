"""Agreement of verdicts across the two disjoint test seed sets (docs/validation.md §Seeds).

``feedlab validate --full --powered`` and ``--targets`` write a JSON report that names its
seed set (``"seed_set": "A"`` or ``"B"``). With ``--seed-set B`` the default outputs get a
``_B`` suffix (``validation/results_B.md``, ``validation/targets_B.md``); whenever the
other set's JSON exists beside the one being written (or is named with
``--compare-with``), the Markdown gains a section with one row per check or target: the
verdict on each set and whether they agree. Pure: no runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Suffix of the default outputs of seed set B.
SUFFIX_B = "_B"


def default_out(path: Path, seed_set: str) -> Path:
    """The default output path for ``seed_set`` (set B: ``<stem>_B<suffix>``)."""
    if seed_set == "A":
        return path
    return path.with_name(f"{path.stem}{SUFFIX_B}{path.suffix}")


def other_json(json_path: Path, seed_set: str) -> Path:
    """Where the other set's JSON lies by the default naming: set A's ``x.json`` pairs with
    ``x_B.json`` and back.
    """
    if seed_set == "A":
        return json_path.with_name(f"{json_path.stem}{SUFFIX_B}{json_path.suffix}")
    stem = json_path.stem
    if stem.endswith(SUFFIX_B):
        stem = stem[: -len(SUFFIX_B)]
    return json_path.with_name(f"{stem}{json_path.suffix}")


def _side(r: Mapping[str, Any]) -> str:
    """Where a measured target's 95 % CI lies: above, below or around 0 (empty when the
    target was not measured).
    """
    lo, hi = r.get("ci_lo"), r.get("ci_hi")
    if not r.get("n") or not isinstance(lo, int | float) or not isinstance(hi, int | float):
        return ""
    if lo > 0:
        return " (CI > 0)"
    if hi < 0:
        return " (CI < 0)"
    return " (CI contains 0)"


def verdicts(payload: Mapping[str, Any]) -> dict[str, str]:
    """``{check or target: verdict}`` of a report's JSON (suite or ``--targets``). A
    target's verdict carries where its CI lies, so that two ``NOT-DECIDABLE`` verdicts
    with opposite directions do not count as agreeing.
    """
    if "targets" in payload:
        return {r["target"]: r["verdict"] + _side(r) for r in payload["targets"]}
    return {r["name"]: r["status"] for r in payload.get("results", [])}


def paired(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(name, a[name], b[name])`` for every name in either mapping, ``a``'s order first,
    None where a side lacks the name (the rows of every two-report comparison).
    """
    return [(n, a.get(n), b.get(n)) for n in [*a, *(n for n in b if n not in a)]]


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per name in either report: its verdict on A and on B (``–`` when absent) and
    ``agree`` (True, False, or None when one side is missing).
    """
    rows = []
    for name, x, y in paired(verdicts(a), verdicts(b)):
        rows.append(
            {
                "name": name,
                "A": x or "–",
                "B": y or "–",
                "agree": None if x is None or y is None else x == y,
            }
        )
    return rows


def comparison_markdown(rows: Sequence[Mapping[str, Any]], a: Mapping, b: Mapping) -> str:
    """The Markdown section: verdicts on both seed sets and whether they agree."""

    def seeds(p: Mapping) -> str:
        s = p.get("seeds") or []
        return f"{s[0]}–{s[-1]}" if s else "test seeds"

    n_agree = sum(1 for r in rows if r["agree"])
    n_both = sum(1 for r in rows if r["agree"] is not None)
    lines = [
        "## Agreement across the two test seed sets",
        "",
        f"Set A ({seeds(a)}; code fingerprint {a.get('code_fingerprint', '?')}) and set B "
        f"({seeds(b)}; code fingerprint {b.get('code_fingerprint', '?')}): **{n_agree} of "
        f"{n_both}** verdicts agree. A verdict that differs between the sets flips with the "
        "random streams and is not a finding"
        + (
            "; the two reports come from different code versions, so they are not comparable."
            if a.get("code_fingerprint") != b.get("code_fingerprint")
            else "."
        ),
        "",
        "| check / target | set A | set B | agree |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        agree = {True: "yes", False: "**no**", None: "–"}[r["agree"]]
        lines.append(f"| `{r['name']}` | {r['A']} | {r['B']} | {agree} |")
    return "\n".join(lines) + "\n"


def load(path: Path) -> dict[str, Any] | None:
    """A report's JSON, or None when it does not exist or cannot be read."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def on_test_seeds(payload: Mapping[str, Any]) -> bool:
    """Whether a report ran on a test seed set: ``--targets`` or ``--powered`` (the fast
    suite runs on fixed small seed sets, which no other set replicates).
    """
    return "targets" in payload or "powered" in str(payload.get("scope", ""))


def section(this: Mapping[str, Any], other_path: Path) -> str:
    """The agreement section for the report ``this`` against the JSON at ``other_path``
    (empty when that file does not exist, is of the same seed set, or either report did not
    run on test seeds; a report without ``seed_set`` is of set A, as before set B existed).
    """
    other = load(other_path)
    if other is None or other.get("seed_set", "A") == this.get("seed_set", "A"):
        return ""
    if not (on_test_seeds(this) and on_test_seeds(other)):
        return ""
    a, b = (this, other) if this.get("seed_set", "A") == "A" else (other, this)
    return comparison_markdown(compare(a, b), a, b)
