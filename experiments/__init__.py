"""Where configs become objects and runs become directories.

from feedlab.experiments import run_experiment, build, compose
"""

from typing import Any

__all__ = ["RunResult", "build", "compose", "run_experiment"]


def __getattr__(name: str) -> Any:  # lazy, so that `feedlab --help` stays fast
    if name in __all__:
        from feedlab.experiments import run

        return getattr(run, name)
    raise AttributeError(name)
