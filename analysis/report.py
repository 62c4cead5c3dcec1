"""``feedlab report <topic> ...``: the per-topic reports behind the docs pages.

Each topic is a report module of the analysis layer with its own arguments
(``feedlab report <topic> --help``):

- ``ranking`` — the policy comparison and the A/B experiment of docs/ranking.md
  (:mod:`feedlab.analysis.ranking_report`);
- ``influencers`` — the disclosure experiment, engagement rates and fake-engagement
  indicators of docs/influencers.md (:mod:`feedlab.analysis.influencers`);
- ``cascades`` — cascade summaries, tables and figures of docs/cascades.md
  (:mod:`feedlab.analysis.cascades`).

Every report reads complete runs only, through the same run reader as
``feedlab aggregate``; numbers across topics come from ``results.parquet`` style tables
(``feedlab aggregate``) or, for a single question, ``feedlab query``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

#: topic -> (module, what it reports)
TOPICS: dict[str, tuple[str, str]] = {
    "ranking": (
        "feedlab.analysis.ranking_report",
        "ranking_comparison and feed_ab_test sweeps: tables and figures (docs/ranking.md)",
    ),
    "influencers": (
        "feedlab.analysis.influencers",
        "influencer experiments: disclosure effects, engagement rates, fake-engagement indicators",
    ),
    "cascades": (
        "feedlab.analysis.cascades",
        "call-out cascades: summary | table --by KEY | figures --by KEY --out DIR",
    ),
}


def usage() -> str:
    """The list of topics, one line each."""
    lines = [
        "usage: feedlab report <topic> [args]   (feedlab report <topic> --help)",
        "",
        "topics:",
    ]
    lines += [f"  {name:12s} {text}" for name, (_, text) in TOPICS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report of a topic with the remaining arguments; exit code 2 for an
    unknown topic.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    topic, rest = args[0], args[1:]
    if topic not in TOPICS:
        print(f"feedlab report: unknown topic {topic!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(TOPICS[topic][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
