"""``python -m feedlab <command> ...`` is the ``feedlab`` command (feedlab.experiments.cli)."""

import sys

from feedlab.experiments.cli import main

sys.exit(main())
