"""The Solara app of ``feedlab explore`` (:mod:`feedlab.experiments.explore`): Solara's
server imports this module and shows :data:`page`. The overrides come from the
``FEEDLAB_EXPLORE_OVERRIDES`` environment variable (set by ``feedlab explore``).
"""

from __future__ import annotations

from feedlab.experiments.explore import overrides_from_env
from feedlab.experiments.explore import page as _page

#: the SolaraViz element Solara's server renders
page = _page(overrides_from_env())
