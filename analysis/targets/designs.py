"""Experimental designs shared by field-target measurements (docs/validation.md §Field
targets).
"""

from __future__ import annotations

#: Share of users on the chronological feed: a small treated minority inside an
#: engagement-ranked platform, as in Guess et al. (2023).
MINORITY_SHARE = 0.05
#: Days of the minority-arm runs (one step = one day; Guess et al.'s 3-month study).
MINORITY_STEPS = 90


def minority_overrides(seed: int) -> list[str]:
    """One run with a chronological minority arm: ``experiment=feed_ab_test`` (its control
    arm is chronological, its treatment the engagement ranking) with the shares swapped to
    5 % chronological / 95 % engagement, 90 steps, window 3, N = 3000.
    """
    return [
        "experiment=feed_ab_test",
        "ranking=engagement",
        f"arms.0.share={MINORITY_SHARE}",
        f"arms.1.share={1 - MINORITY_SHARE}",
        f"steps={MINORITY_STEPS}",
        f"seed={seed}",
    ]
