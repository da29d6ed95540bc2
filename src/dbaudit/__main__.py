"""``python -m dbaudit`` and the ``dbaudit`` console script."""

from __future__ import annotations

import sys

#: Commands that read Alembic's configuration without a database connection (see dbaudit.helper).
_SCANNING = frozenset({"scan"})


def console() -> None:
    """Run the CLI.  For a scan, Alembic's import starts in a helper process before the CLI's own
    (about a tenth of a second) so that it overlaps more of the scan."""
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command in _SCANNING:
        from dbaudit import helper

        helper.start("alembic.config")
    from dbaudit import cli

    cli.console()


if __name__ == "__main__":
    console()
