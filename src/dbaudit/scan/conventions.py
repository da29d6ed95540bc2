"""The conventions of the project's seed scripts: how they write rows, how they mark them, how they purge.

Read from the scripts' text (never imported or run), once, while scanning, and kept in the scan result
(:class:`~dbaudit.model.SourceConventions`), so the gap analysis advises new seeders to follow them without
reading a file itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from dbaudit.config import Settings
from dbaudit.model import Diagnostic, SeedSource, SourceConventions, SourceKind
from dbaudit.scan.files import read
from dbaudit.scan.tree import SourceTree

#: Seed scripts larger than this are not read for their style (the scanner reports them anyway).
MAX_READ_BYTES = 2_000_000

_PURGE_FLAG = re.compile(r"""["'](--(?:force|purge|clean|clear|reset|wipe|drop)[\w-]*)["']""")
_ASYNC = re.compile(
    r"\b(AsyncSession|async_sessionmaker|create_async_engine|AsyncEngine)\b|await\s+\w*(session|db)\."
)
_ORM = re.compile(r"\.(add|add_all|merge|bulk_save_objects|bulk_insert_mappings)\(")
_CORE = re.compile(r"\b(insert\(|\.insert\(\)|\.execute\()")
_RAW_SQL = re.compile(r"\bINSERT\s+INTO\b", re.IGNORECASE)


def record_conventions(
    tree: SourceTree, sources: Iterable[SeedSource], settings: Settings
) -> tuple[SourceConventions, ...]:
    """The conventions of every seed script among ``sources`` that writes rows, in their order."""
    found = []
    for source in sources:
        if source.kind is not SourceKind.SCRIPT or not source.writes:
            continue
        text = _text(tree, source.path)
        found.append(
            SourceConventions(
                path=source.path,
                session_style=source_style(source, text),
                mock_column=settings.mock_column if _sets_mock_column(text, settings) else None,
                mock_prefix=settings.mock_prefix if _writes_mock_prefix(text, settings) else None,
                purge_flags=tuple(m.group(1) for m in _PURGE_FLAG.finditer(text)),
            )
        )
    return tuple(found)


def _text(tree: SourceTree, path: str) -> str:
    """The text of a scanned file, or ``""`` when it cannot be read (the scanner has said why)."""
    data = read(tree, path)
    if isinstance(data, Diagnostic) or len(data) > MAX_READ_BYTES:
        return ""
    return data.decode("utf-8", errors="replace")


def source_style(source: SeedSource, text: str) -> str | None:
    """How one seed script writes: an async or sync SQLAlchemy session, Core, or raw SQL."""
    recognisers = " ".join(w.recogniser for w in source.writes).lower()
    is_async = bool(_ASYNC.search(text))
    if "orm" in recognisers or "session" in recognisers or _ORM.search(text):
        return "async SQLAlchemy session" if is_async else "sync SQLAlchemy session"
    if "core" in recognisers or (_CORE.search(text) and "sql" not in recognisers):
        return "SQLAlchemy Core (async connection)" if is_async else "SQLAlchemy Core"
    if "sql" in recognisers or _RAW_SQL.search(text):
        return "raw SQL"
    return None


def session_style(sources: Iterable[SeedSource], texts: dict[str, str]) -> str | None:
    """The style most of ``sources`` write in (``texts``: their text by path)."""
    styles = Counter(
        style for source in sources if (style := source_style(source, texts.get(source.path, "")))
    )
    return styles.most_common(1)[0][0] if styles else None


def _sets_mock_column(text: str, settings: Settings) -> bool:
    column = re.compile(rf"""\b{re.escape(settings.mock_column)}\b["']?\s*[:=]+\s*(True|TRUE|true|1)\b""")
    return bool(column.search(text))


def _writes_mock_prefix(text: str, settings: Settings) -> bool:
    return bool(re.search(rf"""["']{re.escape(settings.mock_prefix)}""", text))


def mock_marker(texts: Iterable[str], settings: Settings) -> str | None:
    """``is_mock = TRUE``, ``MOCK: prefix`` or both (joined by `` + ``), as ``texts`` mark rows."""
    texts = list(texts)
    parts = []
    if any(_sets_mock_column(text, settings) for text in texts):
        parts.append(f"{settings.mock_column} = TRUE")
    if any(_writes_mock_prefix(text, settings) for text in texts):
        parts.append(f"{settings.mock_prefix} prefix")
    return " + ".join(parts) or None


def purge_flag(texts: Iterable[str]) -> str | None:
    """The command-line flag ``texts`` take most often to purge earlier mock rows (``--force``)."""
    flags = Counter(m.group(1) for text in texts for m in _PURGE_FLAG.finditer(text))
    return flags.most_common(1)[0][0] if flags else None
