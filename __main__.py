"""``python -m feedlab <command> ...`` is the ``feedlab`` command (feedlab.experiments.cli)."""

from feedlab.experiments.cli import console

console()
