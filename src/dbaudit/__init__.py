"""dbaudit: audit which tables of a database are populated and which seed sources fill them."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
