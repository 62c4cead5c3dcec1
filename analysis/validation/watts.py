"""Canonical reduction: Watts' (2002) threshold cascades and their window in mean degree."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .plotting import _plotting, _save
from .registry import Check, NotAvailable, Outcome, register
from .runner import Context

# The design and tolerances of tests/models/test_watts.py::test_cascade_window_in_mean_degree,
# where the cascade engineer measured them: N = 10⁴, 50 independent Erdős–Rényi graphs
# with one random seed node each per z (SeedSequence roots [7, 100·z, replicate]), φ =
# 0.18; global = ≥ 10 % of nodes. Three replicate designs gave global frequencies 0.68–
# 0.92 inside the analytic window and 0 of 50 outside. Criterion: inside, ≥ 0.4 at the
# edges (z = 2, 5) and ≥ 0.6 in the middle (z = 3, 4) — ≥ 3 binomial sd below the lowest
# replicate; outside (z = 0.5, 7, 10), none; near the upper edge (z = 5) global cascades
# take > 95 % of the nodes. The check calls the fast kernel of models/events/threshold.py;
# tests/models/test_watts.py shows the feed model's event path gives the same active sets.
WATTS_PHI = 0.18
WATTS_N = 10_000
WATTS_REPLICATES = 50
WATTS_Z = (0.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0)
WATTS_GLOBAL = 0.1


def watts_task(task: tuple[float, int]) -> int:
    """Size of one threshold cascade from a random seed node on a fresh ER graph."""
    from feedlab.models.events.threshold import followers_csr, run_cascade
    from feedlab.models.network import ErdosRenyi

    z, r = task
    rng = np.random.default_rng(np.random.SeedSequence([7, int(z * 100), r]))
    net = ErdosRenyi(n=WATTS_N, mean_degree=z).generate(rng)
    ip, ix = followers_csr(net.src, net.dst, WATTS_N)
    deg = np.bincount(net.src, minlength=WATTS_N)
    return int(run_cascade(ip, ix, deg, WATTS_PHI, int(rng.integers(0, WATTS_N))).size)


def check_watts_cascade_window(ctx: Context) -> Outcome:
    """Watts (2002): global cascades occur inside the analytic window of mean degree and
    not outside it, and near its upper edge they take almost every node (criterion above).
    """
    try:
        from feedlab.models.events.threshold import watts_window
    except ImportError as exc:
        raise NotAvailable(
            f"needs feedlab.models.events.threshold (the cascade kernel): {exc}"
        ) from None
    lo, hi = watts_window(WATTS_PHI)
    tasks = [(z, r) for z in WATTS_Z for r in range(WATTS_REPLICATES)]
    sizes = np.array(ctx.map(watts_task, tasks), dtype=float).reshape(len(WATTS_Z), -1)
    freq, gsize = {}, {}
    for z, s in zip(WATTS_Z, sizes):
        glob = s >= WATTS_GLOBAL * WATTS_N
        freq[z] = float(glob.mean())
        gsize[z] = float(s[glob].mean() / WATTS_N) if glob.any() else 0.0
    inside = [z for z in WATTS_Z if lo < z < hi]
    bad = []
    for z in WATTS_Z:
        if z in inside:
            edge = z in (min(inside), max(inside))
            need = 0.4 if edge else 0.6
            if freq[z] < need:
                bad.append(f"z={z:g} (inside): global-cascade frequency {freq[z]:.2f} < {need}")
        elif freq[z] > 0:
            bad.append(f"z={z:g} (outside): global cascades in {freq[z]:.2f} of runs")
    if inside and gsize[max(inside)] <= 0.95:
        bad.append(f"z={max(inside):g}: global cascades take only {gsize[max(inside)]:.2f}")
    measured = (
        f"analytic window {lo:.2f} < z < {hi:.2f}; global-cascade frequency "
        + ", ".join(f"z={z:g}: {freq[z]:.2f}" for z in WATTS_Z)
        + f"; mean global size at z={max(inside) if inside else math.nan:g}: "
        + (f"{gsize[max(inside)]:.2f}" if inside else "n/a")
    )
    return Outcome(
        passed=not bad,
        measured=measured,
        reason="; ".join(bad),
        data={"window": [lo, hi], "frequency": freq, "global_size": gsize, "sizes": sizes},
        figure=_plot_watts(ctx, freq, gsize, lo, hi),
    )


def _plot_watts(
    ctx: Context, freq: Mapping[float, float], gsize: Mapping[float, float], lo: float, hi: float
) -> str | None:
    path = ctx.figure_path("watts_cascade_window")
    if path is None:
        return None
    style, figure = _plotting()
    with style.rc():
        fig = figure(style.COLUMN * 1.3, 2.8)
        ax = fig.subplots()
        zs = list(freq)
        ax.axvspan(lo, hi, color=style.GREY, alpha=0.15, lw=0, label="analytic window")
        ax.plot(zs, [freq[z] for z in zs], "o-", color=style.CYCLE[0], label="P(global cascade)")
        ax.plot(zs, [gsize[z] for z in zs], "s--", color=style.CYCLE[1], label="mean global size")
        ax.set_xlabel("Mean degree z (Erdős–Rényi)")
        ax.set_ylabel(f"Frequency / share of users (φ = {WATTS_PHI:g})")
        ax.set_title("Watts (2002) cascade window")
        ax.legend(loc="upper right")
        return _save(fig, path)


_WATTS = (
    "Watts, D. J. (2002). A simple model of global cascades on random networks. "
    "Proceedings of the National Academy of Sciences 99(9), 5766–5771."
)

register(
    Check(
        name="watts_cascade_window",
        kind="canonical",
        title="Watts threshold cascades: the window in mean degree",
        expected=(
            f"φ = {WATTS_PHI}, Erdős–Rényi N = 10⁴, {WATTS_REPLICATES} graphs per z: global "
            "cascades (≥ 10 %) only inside the analytic window (≈ 1.02 < z < 5.76), frequent "
            "inside (≥ 0.4 at the edges, ≥ 0.6 in the middle), and near-complete at the "
            "upper edge"
        ),
        source=_WATTS,
        run=check_watts_cascade_window,
        tier="fast",
        experiment="watts_cascade",
    )
)
