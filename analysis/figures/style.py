"""Publication style for feedlab figures: one look, colour-blind safe, reproducible bytes.

* Colours: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), safe
  for the common colour-vision deficiencies; every policy also has its own marker and
  line style, so figures survive greyscale printing.
* Fonts: DejaVu Sans (shipped with matplotlib, so every machine renders the same
  glyphs), 8–10 pt at the printed size; TrueType (Type 42) embedding in PDF, the format
  journals ask for.
* Axis labels name the quantity and its unit (:data:`LABELS`).
* Reproducible bytes: :func:`save` fixes every metadata field that would otherwise
  carry a date or a version-dependent string (PDF ``CreationDate``/``ModDate`` removed,
  PNG ``Software`` fixed), sets ``svg.hashsalt``, and writes atomically. The same data
  give byte-identical PNG and PDF files on the same machine.

Figures are built on :class:`matplotlib.figure.Figure` directly (no ``pyplot``), so no
global figure state, no GUI backend and no dependence on the user's ``matplotlibrc``:
:func:`figure` starts from matplotlib's defaults plus :data:`RC`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#7F7F7F"
#: Order in which unnamed series take colours.
CYCLE = [
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue")
] + [OKABE_ITO["black"], GREY]

#: Okabe–Ito's bluish green darkened (for a third bridging variant).
DARK_GREEN = "#00664A"

#: One fixed look per ranking policy, the same in every figure: (colour, marker, dashes, label).
POLICY_STYLE: dict[str, tuple[str, str, str, str]] = {
    "chronological": (OKABE_ITO["black"], "o", "-", "Chronological"),
    "random": (GREY, "X", ":", "Random"),
    "engagement": (OKABE_ITO["vermillion"], "s", "-", "Engagement"),
    "engagement_negfb": (OKABE_ITO["orange"], "D", "--", "Engagement + neg. feedback"),
    "bridging": (OKABE_ITO["bluish_green"], "^", "-", "Bridging (predicted)"),
    "bridging_observed": (OKABE_ITO["sky_blue"], "v", "--", "Bridging (observed)"),
    # darkened bluish green: a third bridging variant, told apart by marker and dashes too
    "bridging_mf": (DARK_GREEN, "<", ":", "Bridging (matrix factorisation)"),
    "quality": (OKABE_ITO["blue"], "P", "-.", "Quality"),
    "diversity": (OKABE_ITO["reddish_purple"], "h", "-.", "Diversity"),
    "algorithmic_bias": ("#B8A800", "*", ":", "Algorithmic bias"),  # darkened yellow
    "revenue": (OKABE_ITO["yellow"], "p", "--", "Revenue (platform objective)"),
}

#: Axis labels with units.
LABELS = {
    "step": "Time (steps; 1 step ≈ 1 day)",
    "opinion_variance": "Opinion variance (x ∈ [−1, 1]; max 1)",
    "group_mean_distance": "Distance between group means (opinion units, 0–2)",
    "echo_chamber_index": "Echo-chamber index (correlation, −1 to 1)",
    "run_mean_engagement_per_user": "Engagement (likes + comments + shares per user per step)",
    "run_mean_mean_value": "Reflective value (mean per item read, value units)",
    "run_mean_outrage_amplification": "Outrage amplification (impression share ÷ post share)",
    "trust": "Mean follower trust in the accounts (0–1)",
    "engagement_rate": "Engagement rate ((likes + comments) per post per follower)",
    "followers": "Audience size (mean followers over the run)",
    "cascade_size": "Cascade size s (accounts, transgressor included)",
    "ccdf": "P(S ≥ s) (fraction of cascades)",
    "reputation_rel": "Reputation (follower trust in target ÷ baseline)",
    "callouts": "Call-outs per step",
}

#: Matplotlib settings applied on top of matplotlib's own defaults.
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=CYCLE),
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "errorbar.capsize": 2.5,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "feedlab",
    "path.simplify": True,
}

#: Single-column and double-column widths (inches) of a typical journal page.
COLUMN = 3.5
DOUBLE = 7.2


def policy_style(name: str, index: int = 0) -> tuple[str, str, str, str]:
    """(colour, marker, line style, label) of a policy; unknown names cycle the palette."""
    if name in POLICY_STYLE:
        return POLICY_STYLE[name]
    return (CYCLE[index % len(CYCLE)], "o", "-", name.replace("_", " "))


@contextmanager
def rc() -> Iterator[None]:
    """Matplotlib's defaults plus :data:`RC`, whatever the user's matplotlibrc says."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(RC)  # type: ignore[arg-type]  # keys are checked at run time
        yield


def figure(width: float = DOUBLE, height: float = 3.0) -> Figure:
    """A new figure (inches), not registered with pyplot. Build it inside :func:`rc`."""
    return Figure(figsize=(width, height))


def plain_log_axes(ax: Any) -> None:
    """Log–log axes with plain tick labels (``20``, ``0.1``) instead of ``2×10¹``."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())


def _ascii_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _replace(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(fig: Figure, out_dir: Path, name: str, provenance: Mapping[str, Any]) -> list[Path]:
    """Write ``name.png``, ``name.pdf`` and the sidecar ``name.json`` atomically.

    The provenance (config hashes, commit, seeds, coverage; see
    :mod:`feedlab.analysis.figures`) goes into both files' metadata — PNG text chunks
    ``Title``/``Description``/``Source``/``Comment``, PDF ``Title``/``Subject``/
    ``Keywords`` — and, in full, into the JSON sidecar. No field holds a date.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    title = str(provenance.get("title", name))
    caption = str(provenance.get("caption", ""))
    compact = _ascii_json(
        {
            k: provenance[k]
            for k in (
                "figure",
                "commit",
                "dirty",
                "config_hashes",
                "seeds",
                "coverage",
                "feedlab_version",
            )
            if k in provenance
        }
    )
    software = f"feedlab {provenance.get('feedlab_version', '')} with matplotlib"
    source = f"git {provenance.get('commit')}" + (" (dirty)" if provenance.get("dirty") else "")
    written = []
    png_meta = {
        "Title": title,
        "Author": "feedlab",
        "Description": caption,
        "Source": source,
        "Software": software,
        "Comment": compact,
    }
    pdf_meta = {
        "Title": title,
        "Author": "feedlab",
        "Subject": caption,
        "Keywords": compact,
        "Creator": software,
        "Producer": software,
        "CreationDate": None,
        "ModDate": None,
    }
    for ext, meta in (("png", png_meta), ("pdf", pdf_meta)):
        path = out_dir / f"{name}.{ext}"
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            fig.savefig(tmp, format=ext, metadata=meta)
            _replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(path)
    side = out_dir / f"{name}.json"
    tmp = side.with_name(f".{side.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(provenance, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        _replace(tmp, side)
    finally:
        tmp.unlink(missing_ok=True)
    written.append(side)
    return written
