"""``pytest-dcc`` and ``dcc-conformance``: the entry points (``pytest-dcc serve`` runs the reference DCC as an
HTTP(S) server, :mod:`pytest_dcc.commands.serve`; ``dcc-conformance`` runs the suite and the report commands,
:mod:`pytest_dcc.commands.conformance`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pytest_dcc.commands.conformance import conformance
from pytest_dcc.commands.serve import parser, serve
from pytest_dcc.errors import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pytest-dcc`` script."""
    args = parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
    except ConfigError as exc:
        print(f"pytest-dcc: error: {exc}", file=sys.stderr)
        return 2
    return 2


__all__ = ["conformance", "main"]

if __name__ == "__main__":
    sys.exit(main())
