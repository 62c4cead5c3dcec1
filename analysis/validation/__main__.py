"""``python -m feedlab.analysis.validation``: the same as ``feedlab validate``."""

import sys

from feedlab.analysis.validation.cli import main

sys.exit(main())
