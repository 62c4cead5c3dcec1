"""Canonical-model validation: the Watts (2002) cascade window, reproduced by the feed
model's reduction (docs/validation.md §Canonical reductions; docs/cascades.md §4).

Runs: ``conf/experiment/watts_cascade.yaml`` — emotion, opinions, trust and rewiring
off, the feed holds every followed account's post, one seed account, a uniform threshold
φ = 0.18 on Erdős–Rényi graphs — over a grid of mean degrees z × many seeds (a new graph
and a new seed node each), at the figure size. A cascade is *global* when it reaches
10 % of the users (as in ``tests/models/test_watts.py``).

(a) Frequency of global cascades against z, with a 95 % Wilson interval; (b) mean size
of the global cascades as a share of users. Shaded: the analytic window of Watts (2002,
eq. 4) for Poisson degrees, :func:`feedlab.models.events.threshold.watts_window`. The full
validation suite (expected vs measured) is ``feedlab validate`` where installed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from scipy import stats as sps

from feedlab.analysis.figures import base, style

NAME = "validation_watts"
TITLE = "Validation: the Watts cascade window"
CAPTION = (
    "Feed model reduced to the Watts (2002) threshold model (phi = 0.18, Erdos-Renyi "
    "graphs, one seed account per run). (a) Frequency of global cascades (>= 10% of "
    "users) against mean degree z, 95% Wilson intervals; (b) mean size of global "
    "cascades. Shaded: the analytic cascade window."
)
STATISTICS = "binomial frequency per z with a 95% Wilson score interval; mean global size"
#: The ``feedlab validate`` check this figure re-draws (its verdict goes in the sidecar).
FACTS = ("watts_cascade_window",)
PHI = 0.18
GLOBAL = 0.1
Z = {"default": (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0), "quick": (1.0, 3.0, 7.0)}


def design(scale: base.Scale) -> list[base.RunSpec]:
    """One ``watts_cascade`` run per mean degree of ``Z`` and seed of ``scale.many_seeds``."""
    base.require_options("experiment", ["watts_cascade"], "the Watts reduction")
    return [
        base.RunSpec.make(
            [
                "experiment=watts_cascade",
                f"network.mean_degree={z}",
                f"seed={s}",
                f"network.n={scale.n}",
                f"steps={scale.steps}",
            ],
            z=z,
            seed=s,
        )
        for z in Z.get(scale.name, Z["default"])
        for s in scale.many_seeds
    ]


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927)."""
    if n == 0:
        return math.nan, math.nan
    z = float(sps.norm.ppf((1 + level) / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def plot(runs: list[base.Run], scale: base.Scale) -> tuple[Figure, dict[str, Any]]:
    """Panels (a) and (b) of the module docstring, with Watts' (2002) analytic window
    shaded.
    """
    if "cascade_size" not in runs[0].summary:
        raise base.FigureSkipped("summary.json has no 'cascade_size' (cascade metrics)")
    from feedlab.models.events.threshold import watts_window

    lo_z, hi_z = watts_window(PHI)
    fig = style.figure(style.DOUBLE, 2.8)
    ax, bx = fig.subplots(1, 2, sharex=True)
    zs, freq, flo, fhi, gsize = [], [], [], [], []
    data: dict[str, Any] = {"analytic_window": [lo_z, hi_z], "phi": PHI, "global_share": GLOBAL}
    for z, rs in base.group(runs, "z").items():
        share = np.array([r.value("cascade_size") / r.value("n_users") for r in rs])
        share = share[np.isfinite(share)]
        k = int((share >= GLOBAL).sum())
        lo, hi = wilson(k, share.size)
        zs.append(z)
        freq.append(k / share.size if share.size else np.nan)
        flo.append(lo)
        fhi.append(hi)
        gsize.append(float(share[share >= GLOBAL].mean()) if k else np.nan)
        data[str(z)] = {
            "runs": int(share.size),
            "global": k,
            "frequency_ci": [lo, hi],
            "mean_global_size": gsize[-1],
        }
    zs_a, f_a = np.array(zs), np.array(freq)
    for a in (ax, bx):
        if math.isfinite(lo_z):
            a.axvspan(lo_z, hi_z, color="#CFE6F3", lw=0, zorder=0, label="analytic window")
        a.set_xlabel("Mean degree z")
    ax.errorbar(
        zs_a,
        f_a,
        yerr=np.clip([f_a - np.array(flo), np.array(fhi) - f_a], 0.0, None),
        color="black",
        marker="o",
        lw=1.2,
        label=f"feed model, N = {scale.n}",
    )
    bx.plot(zs_a, gsize, color=style.OKABE_ITO["vermillion"], marker="s", lw=1.2)
    ax.set_ylabel("Frequency of global cascades")
    bx.set_ylabel("Mean global cascade size (share of users)")
    ax.set_ylim(-0.03, 1.03)
    bx.set_ylim(-0.03, 1.03)
    ax.set_title("(a)", loc="left")
    bx.set_title("(b)", loc="left")
    # below the panels, on white: inside (a) the window's swatch vanished on the window
    # itself, and the legend hid error bars; "analytic window" names the band of (b) too
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    return fig, data
