"""What a reader of the report chose: a template folder and the filters of section 1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderOptions:
    template_dir: Path | None = None
    only: str | None = None
    """Section 1 shows only ``empty``, ``populated`` or ``uncovered`` tables."""
    min_rows: int | None = None
    """Section 1 shows only tables with at least this many rows."""
