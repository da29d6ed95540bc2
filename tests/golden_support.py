"""Golden files: rendered output compared byte for byte with a committed file under ``tests/golden/``.

``DBAUDIT_UPDATE_GOLDEN=1`` rewrites the files instead of comparing; review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str | Path, text: str) -> None:
    """Compare ``text`` with ``tests/golden/<name>`` (or the file ``name`` when it is a path);
    DBAUDIT_UPDATE_GOLDEN=1 rewrites the file instead."""
    path = name if isinstance(name, Path) else GOLDEN / name
    if os.environ.get("DBAUDIT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"golden file {path.name} missing: run with DBAUDIT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs: DBAUDIT_UPDATE_GOLDEN=1 to accept"
