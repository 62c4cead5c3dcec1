"""``feedlab validate --targets``: every field target of the library, measured (with its
CI) against expected (with its interval), a verdict and its reason in a sentence.

Measurements come from :mod:`feedlab.analysis.targets.measurements` (a registry keyed by
target id), verdicts from :mod:`feedlab.analysis.targets.verdict`; runs go through the
validation run cache (:class:`.runner.Context`), on the first ``n`` test seeds
(:data:`.seeds.TEST_SEEDS`), or under the sequential design of ``--sequential``
(:data:`TARGET_DESIGN`: looks at 20, 40, 60 seeds of the same set, fixed in advance as its
first 20, 40, 60; a target stops at the first look whose verdict is settled, and every look
uses a ``1 − 0.05/3`` interval, Bonferroni over the three looks, as ``--powered`` does for the
facts, so that peeking does not raise the chance of a wrong settled verdict above 5 %).
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .protocol import Design, sequential
from .runner import Context

#: The sequential design of ``feedlab validate --targets --sequential``: looks at 20, 40
#: and 60 test seeds (issue 16 item 5: "≥ 20 paired seeds, or a sequential design that
#: stops when the CI settles the criterion"), each at alpha 0.05 / 3.
TARGET_DESIGN = Design(start=20, step=20, maximum=60)


def _fmt(x: float) -> str:
    """A number with 3 significant digits, or an en dash for NaN."""
    return "–" if x is None or not math.isfinite(x) else f"{x:.3g}"


def _expected(t: Any) -> str:
    """The target's estimate with its interval, or its direction."""
    if t.estimate is None:
        word = {1: "increase", -1: "decrease", 0: "null (n.s.)"}[t.sign]
        return f"{word} (direction only)"
    iv = f" [{t.interval.lo:g}, {t.interval.hi:g}] ({t.interval.kind})" if t.interval else ""
    return f"{t.estimate:g}{iv}"


def _measure(fn: Callable, ctx: Context, seeds: Sequence[int]) -> tuple[Any, str, dict]:
    """``(values, detail, data)`` of a measurement; ``values`` None and the error in
    ``detail`` when it raised (reported, not hidden).
    """
    try:
        m = fn(ctx, seeds)
        return m.values, m.detail, m.data
    except Exception as exc:  # reported, not hidden
        return None, f"ERROR {type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()}


def measure_targets(
    ctx: Context,
    seeds: Sequence[int],
    only: Sequence[str] = (),
    echo: Callable[[str], None] | None = None,
    design: Design | None = None,
) -> list[dict[str, Any]]:
    """One row per target (or per target of ``only``): measured, expected, verdict, reason.

    With ``design`` (the sequential design), a measured target is looked at on the first
    ``n`` of ``seeds`` for each ``n`` of ``design.looks`` at level ``1 − design.look_alpha``
    until its verdict is settled (anything but ``INCONCLUSIVE``); its row
    says which looks were taken (``looks``: ``[n, verdict]`` pairs).
    """
    from feedlab.analysis.targets import load_targets
    from feedlab.analysis.targets.measurements import MEASUREMENTS, NEEDS
    from feedlab.analysis.targets.verdict import target_verdict

    targets = load_targets()
    rows = []
    for tid, t in targets.items():
        if only and tid not in only:
            continue
        fn = MEASUREMENTS.get(tid)
        detail, values, looks, used = "", None, [], list(seeds)
        data: dict[str, Any] = {}
        v = target_verdict(t, None, NEEDS.get(tid, ""))
        if fn is not None and design is None:
            if echo:
                echo(f"[{tid}] measuring on {len(seeds)} seeds ...")
            values, detail, data = _measure(fn, ctx, seeds)
            v = target_verdict(t, values, NEEDS.get(tid, ""))
        elif fn is not None:
            assert design is not None and len(seeds) >= design.maximum

            def evaluate(n: int, alpha: float, t: Any = t, fn: Callable = fn) -> tuple[str, Any]:
                """One look: measure on the first ``n`` seeds, decide at ``1 − alpha``."""
                if echo:
                    echo(f"[{t.id}] measuring on {n} seeds (sequential look) ...")
                got = _measure(fn, ctx, seeds[:n])
                if got[0] is None:
                    return "ERROR", (got, None)
                verdict = target_verdict(t, got[0], level=1 - alpha)
                return verdict.verdict, (got, verdict)

            res = sequential(evaluate, design)
            (values, detail, data), last = res.last
            looks = [list(look) for look in res.looks]
            used = list(seeds[: res.n])
            v = last if last is not None else v
        if fn is not None and values is None:
            v = type(v)(target=tid, verdict="ERROR", reason=detail)
        rows.append(
            {
                **v.as_dict(),
                "title": t.citation.authors.split(";")[0] + f" ({t.citation.year or 'n.d.'})",
                "units": t.units,
                "expected": _expected(t),
                "verified": t.verified,
                "seeds": used if values is not None else [],
                "looks": looks,
                "values": list(values) if values is not None else [],
                "detail": detail,
                "mapping": " ".join((fn.__doc__ or "").split()) if fn else "",
                "data": data,
            }
        )
    return rows


def measure_informative(
    ctx: Context,
    seeds: Sequence[int],
    only: Sequence[str] = (),
    echo: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per informative measurement (no target, no verdict): mean and 95 % CI."""
    from feedlab.analysis.targets.measurements import INFORMATIVE
    from feedlab.analysis.validation.protocol import t_interval

    rows = []
    for name, (title, fn) in INFORMATIVE.items():
        if only and name not in only:
            continue
        if echo:
            echo(f"[{name}] measuring on {len(seeds)} seeds (informative) ...")
        try:
            m = fn(ctx, seeds)
        except Exception as exc:  # reported, not hidden
            rows.append({"name": name, "title": title, "n": 0, "detail": f"ERROR {exc}"})
            continue
        mean, _sd, lo, hi = t_interval(m.values, 0.05)
        rows.append(
            {
                "name": name,
                "title": title,
                "mean": mean,
                "ci_lo": lo,
                "ci_hi": hi,
                "n": len(m.values),
                "values": list(m.values),
                "detail": m.detail,
                "mapping": " ".join((fn.__doc__ or "").split()),
            }
        )
    return rows


def targets_markdown(
    rows: Sequence[Mapping[str, Any]],
    header: str,
    informative: Sequence[Mapping[str, Any]] = (),
    ci: str = "95 %",
) -> str:
    """The Markdown page of ``--targets``: a header, the table (the model's CI at level
    ``ci``), the informative rows (no target, 95 % CIs) and the mappings.
    """
    lines = [
        "# Field targets: measured vs expected",
        "",
        header,
        "",
        f"| target | expected (paper) | measured (model, {ci} CI) | seeds | verdict | reason |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        measured = f"{_fmt(r['mean'])} [{_fmt(r['ci_lo'])}, {_fmt(r['ci_hi'])}]" if r["n"] else "–"
        reason = r["reason"] + (f" ({r['detail']})" if r["detail"] else "")
        if len(r.get("looks") or ()) > 1:
            reason += "; sequential looks: " + ", ".join(f"{n} → {v}" for n, v in r["looks"])
        lines.append(
            f"| `{r['target']}` | {r['expected']} | {measured} | {r['n'] or '–'} | "
            f"**{r['verdict']}** | {reason.replace('|', '/')} |"
        )
    if informative:
        lines += [
            "",
            "## Informative rows (no target, no verdict)",
            "",
            "| measurement | model (95 % CI) | seeds | detail |",
            "| --- | --- | --- | --- |",
        ]
        for r in informative:
            got = f"{_fmt(r['mean'])} [{_fmt(r['ci_lo'])}, {_fmt(r['ci_hi'])}]" if r["n"] else "–"
            lines.append(
                f"| `{r['name']}`: {r['title']} | {got} | {r['n'] or '–'} | "
                f"{r['detail'].replace('|', '/')} |"
            )
    lines += ["", "## How each measured target maps to the paper's units", ""]
    for r in rows:
        if r["mapping"]:
            lines += [f"* `{r['target']}` ({r['units']}): {r['mapping']}", ""]
    for r in informative:
        if r.get("mapping"):
            lines += [f"* `{r['name']}` (informative): {r['mapping']}", ""]
    return "\n".join(lines) + "\n"
