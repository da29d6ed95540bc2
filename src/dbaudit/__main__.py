"""``python -m dbaudit`` and the ``dbaudit`` console script."""

from __future__ import annotations

from dbaudit.cli import console

if __name__ == "__main__":
    console()
