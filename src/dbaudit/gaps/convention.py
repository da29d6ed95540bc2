"""What the project's existing seeders do, so the advice can follow it: the implementation guidance.

Everything here is read statically.  The scanner says which sources write rows and through which recogniser;
for what it does not record (an async session, the mock marker, the purge flag) the seed scripts' text is read
(never imported or run), from the scanned root when it is a folder on disk.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dbaudit.config import Settings
from dbaudit.model import ImplementationGuidance, ScanResult, SeedSource, SourceKind

#: Seed scripts larger than this are not read for their style (the scanner reports them anyway).
MAX_READ_BYTES = 2_000_000

_PREFIX = re.compile(r"^(seed|populate|load|fixture|init)s?_", re.IGNORECASE)
_NAMED_UPGRADE = re.compile(r"(alembic -n \S+ upgrade |flask db upgrade )head")
_PURGE_FLAG = re.compile(r"""["'](--(?:force|purge|clean|clear|reset|wipe|drop)[\w-]*)["']""")
_ASYNC = re.compile(
    r"\b(AsyncSession|async_sessionmaker|create_async_engine|AsyncEngine)\b|await\s+\w*(session|db)\."
)
_ORM = re.compile(r"\.(add|add_all|merge|bulk_save_objects|bulk_insert_mappings)\(")
_CORE = re.compile(r"\b(insert\(|\.insert\(\)|\.execute\()")
_RAW_SQL = re.compile(r"\bINSERT\s+INTO\b", re.IGNORECASE)


@dataclass(frozen=True)
class Convention:
    """Where seed scripts live and how they are named, from the existing ones."""

    folder: str | None
    """Folder (relative, with a trailing slash) of the existing seed scripts, or None when there are none."""
    prefix: str
    """Name prefix of seed scripts, ``seed_`` unless the project uses another."""
    revision_folder: str | None
    pattern: SeedSource | None
    """The existing script to follow: the one writing the most tables."""

    def script_name(self, domain: str) -> str:
        return f"{self.prefix}{domain}.py"


def scripts(scan: ScanResult | None) -> list[SeedSource]:
    """Seed scripts (not revisions, SQL or fixtures) that write at least one table."""
    if scan is None:
        return []
    return [s for s in scan.sources if s.kind is SourceKind.SCRIPT and s.writes]


def detect_convention(scan: ScanResult | None) -> Convention:
    found = scripts(scan)
    folders = Counter(s.folder for s in found)
    prefixes = Counter(m.group(0).lower() for s in found if (m := _PREFIX.match(s.name)))
    prefix = "seed_"
    if prefixes and "seed_" not in prefixes and "seeds_" not in prefixes:
        top = prefixes.most_common(1)[0][0]
        prefix = top if not top.startswith("init") else "seed_"
    revisions = Counter(s.folder for s in (scan.sources if scan else ()) if s.kind is SourceKind.REVISION)
    pattern = max(found, key=lambda s: (len(s.tables), s.run_command is not None, s.path), default=None)
    return Convention(
        folder=folders.most_common(1)[0][0] if folders else None,
        prefix=prefix,
        revision_folder=revisions.most_common(1)[0][0] if revisions else None,
        pattern=pattern,
    )


def source_root(scan: ScanResult | None, settings: Settings) -> Path | None:
    if scan is not None and scan.root and Path(scan.root).is_dir():
        return Path(scan.root)
    root = settings.project_root
    return root if root.is_dir() else None


def read_text(root: Path | None, path: str) -> str:
    """The text of a scanned file, or ``""`` when it cannot be read (the scanner has said why)."""
    if root is None:
        return ""
    file = root / path
    try:
        if not file.is_file() or file.stat().st_size > MAX_READ_BYTES:
            return ""
        return file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def session_style(sources: Iterable[SeedSource], texts: dict[str, str]) -> str | None:
    """How the seed scripts write: an async or sync SQLAlchemy session, Core, or raw SQL."""
    styles: Counter[str] = Counter()
    for source in sources:
        text = texts.get(source.path, "")
        recognisers = " ".join(w.recogniser for w in source.writes).lower()
        is_async = bool(_ASYNC.search(text))
        if "orm" in recognisers or "session" in recognisers or _ORM.search(text):
            styles["async SQLAlchemy session" if is_async else "sync SQLAlchemy session"] += 1
        elif "core" in recognisers or (_CORE.search(text) and "sql" not in recognisers):
            styles["SQLAlchemy Core (async connection)" if is_async else "SQLAlchemy Core"] += 1
        elif "sql" in recognisers or _RAW_SQL.search(text):
            styles["raw SQL"] += 1
    return styles.most_common(1)[0][0] if styles else None


def mock_marker(texts: Iterable[str], settings: Settings) -> str | None:
    """``is_mock = TRUE``, ``MOCK: prefix`` or both (joined by `` + ``), as the seed scripts mark rows."""
    column = re.compile(rf"""\b{re.escape(settings.mock_column)}\b["']?\s*[:=]+\s*(True|TRUE|true|1)\b""")
    prefix = re.compile(rf"""["']{re.escape(settings.mock_prefix)}""")
    uses_column = uses_prefix = False
    for text in texts:
        uses_column = uses_column or bool(column.search(text))
        uses_prefix = uses_prefix or bool(prefix.search(text))
    parts = []
    if uses_column:
        parts.append(f"{settings.mock_column} = TRUE")
    if uses_prefix:
        parts.append(f"{settings.mock_prefix} prefix")
    return " + ".join(parts) or None


def purge_flag(texts: Iterable[str]) -> str | None:
    """The command-line flag the seed scripts take to purge their earlier mock rows (``--force``)."""
    flags = Counter(m.group(1) for text in texts for m in _PURGE_FLAG.finditer(text))
    return flags.most_common(1)[0][0] if flags else None


def implementation_guidance(
    scan: ScanResult | None,
    settings: Settings,
    convention: Convention,
    tenant_columns: tuple[str, ...],
) -> ImplementationGuidance:
    """The guidance of section 3, derived from the existing seed scripts and the schema."""
    found = scripts(scan)
    root = source_root(scan, settings)
    texts = {s.path: read_text(root, s.path) for s in found}
    return ImplementationGuidance(
        session_style=session_style(found, texts),
        mock_marker=mock_marker(texts.values(), settings),
        purge_flag=purge_flag(texts.values()),
        seed_folder=convention.folder,
        tenant_columns=tenant_columns,
        pattern_source=convention.pattern.path if convention.pattern else None,
    )


def command_for(source: SeedSource, flag: str | None = None) -> str:
    """How to run an existing source: the project's own command where the code shows one.

    A shell line: every name in it is quoted for the shell (``shlex.quote``), so a file or revision named
    ``x; rm -rf ~`` or ``$(...)`` is one argument, never a command.  A fixture file has no command: its line
    is a shell comment saying what to do.
    """
    # a revision: one step of the history at a time, so scripts can run between data revisions where needed
    generic = not source.run_command or source.run_command.startswith("alembic upgrade")
    if source.kind is SourceKind.REVISION and source.revision is not None and generic:
        return f"alembic upgrade {shlex.quote(source.revision.revision)}"
    # the same for a named ini section (``alembic -n NAME upgrade head``) and Flask-Alembic
    if source.kind is SourceKind.REVISION and source.revision is not None and source.run_command:
        named = _NAMED_UPGRADE.fullmatch(source.run_command)
        if named:
            return f"{named.group(1)}{shlex.quote(source.revision.revision)}"
    if source.run_command:
        return source.run_command
    if source.kind is SourceKind.SQL:
        return f'psql "$DATABASE_URL" -f {shlex.quote(source.path)}'
    if source.kind is SourceKind.FIXTURE:
        return f"# load {source.path} with the project's fixture loader"
    return f"python {shlex.quote(source.path)}" + (f" {flag}" if flag else "")


def command_like(pattern: SeedSource | None, folder: str | None, name: str, flag: str | None) -> str:
    """The command for a new script ``name``, written the way the project runs ``pattern`` (names quoted for
    the shell, as in :func:`command_for`)."""
    path = f"{folder or ''}{name}"
    if pattern is not None and pattern.run_command:
        old_stem, new_stem = pattern.name.rsplit(".", 1)[0], name.rsplit(".", 1)[0]
        command = pattern.run_command
        for old, new in (
            (pattern.path, path),
            (pattern.name, name),
            (pattern.path.rsplit(".", 1)[0].replace("/", "."), path.rsplit(".", 1)[0].replace("/", ".")),
        ):
            if shlex.quote(old) in command:
                return command.replace(shlex.quote(old), shlex.quote(new))
        if re.search(rf"\b{re.escape(old_stem)}\b", command) and shlex.quote(new_stem) == new_stem:
            return re.sub(rf"\b{re.escape(old_stem)}\b", new_stem, command)
    return f"python {shlex.quote(path)}" + (f" {flag}" if flag else "")
