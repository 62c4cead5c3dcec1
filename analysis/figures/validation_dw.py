"""Canonical-model validation: the Deffuant–Weisbuch cluster law (docs/model.md §Canonical
mode; docs/validation.md §Canonical reductions).

With emotion, trust and rewiring off, one random followed author per step and a feed of
one, feedlab is the Deffuant–Weisbuch bounded-confidence model; on a complete graph the
number of major opinion clusters follows ⌊1/(2ε)⌋ (ε on the [0, 1] scale; Deffuant et
al. 2000). The runs and the pass/fail criterion are those of ``feedlab validate``'s
``dw_complete`` check (:mod:`feedlab.analysis.validation`, ``conf/experiment/dw_complete.yaml``:
N = 500, ε ∈ {0.15, 0.2, 0.3}, 10 seeds each, stepped until the opinions freeze); this
script re-draws its result in the house style with provenance. Skipped when this
install has no ``feedlab.analysis.validation``, and in ``--quick`` (the check's size is fixed
by the validation suite: about 20 s of CPU).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from feedlab.analysis.figures import base, style

NAME = "validation_dw"
TITLE = "Validation: the Deffuant-Weisbuch cluster law"
CAPTION = (
    "Feed model reduced to Deffuant-Weisbuch bounded confidence on a complete graph "
    "(N = 500, 10 seeds per tolerance): number of major opinion clusters (>= 5% of users) "
    "against 1/(2 eps); marker area proportional to the number of seeds. Grey: the "
    "floor(1/(2 eps)) law of Deffuant et al. (2000)."
)
STATISTICS = "counts of seeds per cluster number; modal count against the law"
CHECK = "dw_complete"
#: The ``feedlab validate`` check this figure re-draws (its verdict goes in the sidecar).
FACTS = (CHECK,)


def _validation() -> Any:
    if importlib.util.find_spec("feedlab.analysis.validation") is None:
        raise base.FigureSkipped("needs feedlab.analysis.validation (the validation suite)")
    from feedlab.analysis import validation

    if CHECK not in validation.CHECKS:
        raise base.FigureSkipped(f"feedlab.analysis.validation has no {CHECK!r} check")
    return validation


def design(scale: base.Scale) -> list[base.RunSpec]:
    """No recorded runs: the ``dw_complete`` check steps its own models; skipped in
    ``--quick`` and where the validation package is absent.
    """
    _validation()
    if scale.name == "quick":
        raise base.FigureSkipped(
            f"not drawn with --quick: the {CHECK} check's size is fixed by the validation suite"
        )
    return []  # the check steps its own models (feedlab.experiments.build), not recorded runs


def plot(
    runs: list[base.Run], scale: base.Scale, cache: Path | None = None
) -> tuple[Figure, dict[str, Any]]:
    """Run (or reuse from ``cache``) the ``dw_complete`` check and draw its clusters
    against ε with the law ⌊1/(2ε)⌋ (Deffuant et al. 2000).
    """
    from feedlab.experiments import record

    v = _validation()
    ctx = v.Context(cache=(cache or base.ROOT / "figures" / ".runs") / "validation")
    [res] = v.run_checks(v.select(only=[CHECK]), ctx)
    if res.status not in (v.PASS, v.FAIL):
        raise base.FigureSkipped(f"{CHECK} check: {res.status}: {res.reason}")
    cells = res.data["cells"]
    eps_values = [float(e) for e in next(iter(cells.values()))]
    keys = sorted(
        {
            record.run_key(v.pairwise_config(ctx, CHECK, eps01=e, seed=s))
            for e in eps_values
            for s in range(v.DW_REPLICATES)
        }
    )
    fig = style.figure(style.COLUMN * 1.2, 2.9)
    ax = fig.subplots()
    grid = np.linspace(1.0, 4.0, 400)
    ax.plot(grid, np.floor(grid + 1e-12), color=style.GREY, lw=1.2, label="⌊1/(2ε)⌋ law")
    for k, (label, row) in enumerate(cells.items()):
        for e, c in row.items():
            vals, freq = np.unique(c["major_clusters"], return_counts=True)
            ax.scatter(
                np.full(vals.size, 1.0 / (2.0 * float(e))),
                vals,
                s=10 + 12 * freq,
                color=style.CYCLE[k % len(style.CYCLE)],
                alpha=0.8,
                lw=0,
                label=f"feedlab ({label})" if e == next(iter(row)) else None,
            )
    ax.set_xlabel("1/(2ε)  (tolerance ε on the [0, 1] scale)")
    ax.set_ylabel("Major opinion clusters (≥ 5% of users)")
    ax.set_yticks(range(0, 6))
    ax.legend(loc="upper left")
    data = {
        "check": CHECK,
        "status": res.status,
        "expected": res.expected,
        "measured": res.measured,
        "cells": cells,
        "_provenance": {
            "config_hashes": keys,
            "seeds": list(range(v.DW_REPLICATES)),
            "coverage": f"{len(keys)}/{len(keys)} canonical runs (check {res.status})",
            "runs": [],
        },
    }
    return fig, data
