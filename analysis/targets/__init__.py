"""Field targets: published field-experiment findings as validated, shipped YAML records.

``load_targets()`` returns every shipped target by id; ``python -m feedlab.analysis.targets``
prints the summary table. See :mod:`feedlab.analysis.targets.library`.
"""

from .library import (
    DEFAULT_DIR,
    Citation,
    Interval,
    Measurement,
    Setting,
    Target,
    load_target,
    load_targets,
    markdown_table,
)

__all__ = [
    "DEFAULT_DIR",
    "Citation",
    "Interval",
    "Measurement",
    "Setting",
    "Target",
    "load_target",
    "load_targets",
    "markdown_table",
]
