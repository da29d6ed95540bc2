"""Find the folders dbaudit ships beside its code: report templates, bundled seeders, the demo example.

A wheel carries them inside the package (``dbaudit/_bundled/...``); a source checkout or an editable install
finds them at the top of the repository.  Both layouts resolve through :func:`bundled_dir`.
"""

from __future__ import annotations

from pathlib import Path

from dbaudit.errors import DbauditError

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """Path of the bundled folder ``name`` (``report_templates``, ``seeders`` or ``examples``)."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise DbauditError(
        f"the bundled folder {name!r} is missing from this installation",
        "reinstall dbaudit: pip install --force-reinstall dbaudit",
    )


def templates_dir() -> Path:
    return bundled_dir("report_templates")


def seeders_dir() -> Path:
    return bundled_dir("seeders")


def examples_dir() -> Path:
    return bundled_dir("examples")
