"""What the project's existing seeders do, so the advice can follow it: the implementation guidance.

Everything here comes from the scan result: which sources write rows, where they live, how they are named
and run, and the conventions the scanner read from their text (:class:`~dbaudit.model.SourceConventions`:
session style, mock marker, purge flag).  No file is read here.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass

from dbaudit.model import ImplementationGuidance, ScanResult, SeedSource, SourceConventions, SourceKind

_PREFIX = re.compile(r"^(seed|populate|load|fixture|init)s?_", re.IGNORECASE)
_NAMED_UPGRADE = re.compile(r"(alembic -n \S+ upgrade |flask db upgrade )head")


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


def conventions(scan: ScanResult | None) -> dict[str, SourceConventions]:
    """The scanner's record of each seed script's conventions, by path."""
    return {c.path: c for c in scan.conventions} if scan is not None else {}


def implementation_guidance(
    scan: ScanResult | None,
    convention: Convention,
    tenant_columns: tuple[str, ...],
) -> ImplementationGuidance:
    """The guidance of section 3, from the existing seed scripts' conventions and the schema."""
    recorded = conventions(scan)
    found = [recorded[s.path] for s in scripts(scan) if s.path in recorded]
    styles = Counter(c.session_style for c in found if c.session_style)
    flags = Counter(flag for c in found for flag in c.purge_flags)
    column = next((c.mock_column for c in found if c.mock_column), None)
    prefix = next((c.mock_prefix for c in found if c.mock_prefix), None)
    marker = [f"{column} = TRUE"] if column else []
    marker += [f"{prefix} prefix"] if prefix else []
    return ImplementationGuidance(
        session_style=styles.most_common(1)[0][0] if styles else None,
        mock_marker=" + ".join(marker) or None,
        purge_flag=flags.most_common(1)[0][0] if flags else None,
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
