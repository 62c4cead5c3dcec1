"""Figure helpers shared by the checks: the project's publication style, wrapped axis labels
and an atomic, timestamp-free PNG write.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any


def _save(fig: Any, path: Path | None) -> str | None:
    """Write a PNG atomically (no timestamps in the metadata); returns its path."""
    if path is None:
        return None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fig.savefig(tmp, format="png", dpi=150, metadata={"Software": "feedlab validate"})
    os.replace(tmp, path)
    return str(path)


def _label(style: Any, metric: str, width: int = 40) -> str:
    """The project's axis label of a metric, wrapped to fit a narrow panel."""
    return "\n".join(textwrap.wrap(style.LABELS.get(metric, metric), width))


def _plotting() -> tuple[Any, Any]:
    """(style module, Figure factory) with the project's publication style."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from feedlab.analysis.figures import style

    return style, style.figure
