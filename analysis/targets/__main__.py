"""``python -m feedlab.analysis.targets [DIR]``: validate the targets and print their table.

Exit status 0 when every file is valid, 2 (with one line per problem, no traceback) when
one is not.
"""

from __future__ import annotations

import sys

from feedlab.experiments.schema import ConfigError

from .library import load_targets, markdown_table


def main(argv: list[str] | None = None) -> int:
    """``python -m feedlab.analysis.targets [DIR]``: print the target library as a Markdown
    table; exit code 2 when a target file is invalid.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        targets = load_targets(args[0] if args else None)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(markdown_table(targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
