"""The attention economy: ads, subscriptions, revenue (docs/attention.md). Importing this
package registers the ``ads`` units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from feedlab.models.economy.ads import ADS, FeedAds
from feedlab.models.economy.platform import PlatformEconomy

if TYPE_CHECKING:
    from feedlab.models.config import PlatformConfig

__all__ = ["ADS", "PlatformEconomy", "economy_extension"]


def economy_extension(
    ads: object, platform: PlatformConfig, rng: np.random.Generator
) -> PlatformEconomy | None:
    """The economy extension of a run, or None when ads are off and the business model
    is ``none`` (then nothing is built and nothing drawn).
    """
    if platform.business_model == "none" and not isinstance(ads, FeedAds):
        return None
    return PlatformEconomy(
        ads if isinstance(ads, FeedAds) else None,
        platform.business_model,
        platform.subscription,
        rng,
    )
