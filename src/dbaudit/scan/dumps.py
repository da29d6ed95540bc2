"""Plain-text database dumps (``pg_dump``, ``mysqldump``, ``sqlite3 .dump``), read by their content whatever
the file is called (``.dump``, ``.sql``, ``.pgsql``).

A dump is machine-written and can be large, so it is not parsed statement by statement with sqlglot: it is
split into statements (quotes, dollar quotes, comments, ``DELIMITER`` changes and ``COPY`` data respected)
and only the head of each statement is looked at.  What writes rows:

- a ``COPY ... FROM stdin`` block holding at least one row (an empty block, as pg_dump writes for an empty
  table, does not);
- ``INSERT`` (and ``REPLACE``, ``INSERT IGNORE``, ``ON CONFLICT``...) statements.

A function or procedure body, a trigger or rule definition is one ``CREATE`` statement, whatever INSERTs it
holds: it writes nothing when the dump is restored.  One write per table is kept (its first line): a dump
inserting ten thousand rows into one table still populates one table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbaudit.scan.sql_writes import SqlWrite

#: The first bytes of a pg_dump archive in custom format (binary): not readable here.
CUSTOM_ARCHIVE_MAGIC = b"PGDMP"

_HEADER = re.compile(
    r"^--\s*(?:PostgreSQL database dump|MySQL dump|MariaDB dump)", re.MULTILINE | re.IGNORECASE
)
_COPY_STDIN = re.compile(r"^\s*COPY\s+\S.*\bFROM\s+stdin\b", re.MULTILINE | re.IGNORECASE)
_MYSQL = re.compile(r"^--\s*(?:MySQL|MariaDB) dump", re.MULTILINE | re.IGNORECASE)

# what may stand before a statement's first word: blanks, comments, psql meta-commands (\connect, \restrict)
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/|\\[^\n]*)*", re.DOTALL)
_DELIMITER = re.compile(r"[ \t\r\n]*DELIMITER[ \t]+(\S+)[ \t\r]*(?:\n|\Z)", re.IGNORECASE)
_END_OF_COPY = re.compile(r"^\\\.[ \t\r]*$", re.MULTILINE)

_PART = r'(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_NAME = rf"(?P<name>{_PART}(?:\s*\.\s*{_PART}){{0,2}})"
_INSERT = re.compile(
    r"INSERT\s+(?P<mods>(?:(?:IGNORE|LOW_PRIORITY|DELAYED|HIGH_PRIORITY)\s+)*"
    r"(?:OR\s+(?:IGNORE|REPLACE|ABORT|FAIL|ROLLBACK)\s+)?)INTO\s+" + _NAME,
    re.IGNORECASE,
)
_REPLACE = re.compile(r"REPLACE\s+(?:(?:LOW_PRIORITY|DELAYED)\s+)?INTO\s+" + _NAME, re.IGNORECASE)
_COPY = re.compile(
    r"COPY\s+(?:ONLY\s+)?" + _NAME + r"\s*(?:\([^)]*\))?\s*FROM\s+(?P<source>STDIN\b)?", re.IGNORECASE
)
_UPSERT_TAIL = re.compile(r"\bON\s+(?:CONFLICT|DUPLICATE\s+KEY)\b", re.IGNORECASE)
_ATOMIC = re.compile(r"\bBEGIN\s+ATOMIC\b", re.IGNORECASE)
_BARE_END = re.compile(r"\bEND\s*\Z", re.IGNORECASE)
_ROUTINE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", re.IGNORECASE)


def is_dump(text: str) -> bool:
    """The text reads like a dump: a pg_dump/mysqldump header, or a ``COPY ... FROM stdin`` block."""
    return bool(_HEADER.search(text, 0, 4096) or _COPY_STDIN.search(text))


def _tokens(delimiter: str, backslash_escapes: bool) -> re.Pattern[str]:
    """What is skipped whole while looking for the end of a statement, and the end itself."""
    string = r"'(?:[^'\\]|''|\\.)*'" if backslash_escapes else r"'(?:[^']|'')*'"
    return re.compile(
        r"--[^\n]*"
        r"|/\*.*?\*/"
        r"|\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$"
        r"|(?<!\w)[Ee]'(?:[^'\\]|''|\\.)*'"
        rf"|{string}"
        r'|"(?:[^"]|"")*"'
        r"|`(?:[^`]|``)*`"
        rf"|(?P<end>{re.escape(delimiter)})",
        re.DOTALL,
    )


def _unquote(part: str) -> str:
    part = part.strip()
    if part[:1] == '"' and part[-1:] == '"':
        return part[1:-1].replace('""', '"')
    if part[:1] == "`" and part[-1:] == "`":
        return part[1:-1].replace("``", "`")
    if part[:1] == "[" and part[-1:] == "]":
        return part[1:-1]
    return part


def _split_name(name: str) -> tuple[str, str | None]:
    parts = [_unquote(p) for p in re.findall(_PART, name)]
    table = parts[-1]
    schema = parts[-2] if len(parts) > 1 else None
    return table, schema


@dataclass
class _Lines:
    """Line numbers of increasing offsets, counted once."""

    text: str
    offset: int = 0
    line: int = 1

    def at(self, offset: int) -> int:
        if offset >= self.offset:
            self.line += self.text.count("\n", self.offset, offset)
        else:  # not expected: offsets only grow
            self.line = self.text.count("\n", 0, offset) + 1
        self.offset = offset
        return self.line


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)
        self.backslash = bool(_MYSQL.search(text, 0, 4096))
        self.pattern = _tokens(";", self.backslash)
        self.writes: dict[tuple[str | None, str, str], SqlWrite] = {}
        self.in_atomic = False

    def add(self, name: str, recogniser: str, offset: int) -> None:
        table, schema = _split_name(name)
        key = (schema, table, recogniser)
        if key not in self.writes:
            self.writes[key] = SqlWrite(table, schema, recogniser, self.lines.at(offset))

    def statement(self, start: int, end: int) -> bool:
        """Look at the statement ``text[start:end]``; ``True`` when it is ``COPY ... FROM stdin`` (its data
        follows)."""
        head = _LEADING.match(self.text, start, end)
        at = head.end() if head else start
        if self.in_atomic:
            # inside a SQL-standard routine body (BEGIN ATOMIC ... END;): nothing here runs on restore
            if self.text[at:end].strip().upper().startswith("END"):
                self.in_atomic = False
            return False
        if _ROUTINE.match(self.text, at, end):
            atomic = _ATOMIC.search(self.text, at, end)
            # the body's statements follow as segments of their own, up to a bare END
            self.in_atomic = bool(atomic) and not _BARE_END.search(self.text[at:end])
            return False
        insert = _INSERT.match(self.text, at, end)
        if insert:
            upsert = bool(insert.group("mods").strip()) or bool(
                _UPSERT_TAIL.search(self.text, insert.end(), end)
            )
            self.add(insert.group("name"), "sql-upsert" if upsert else "sql-insert", at)
            return False
        replace = _REPLACE.match(self.text, at, end)
        if replace:
            self.add(replace.group("name"), "sql-upsert", at)
            return False
        copy = _COPY.match(self.text, at, end)
        if copy is None:
            return False
        if copy.group("source") is None:
            self.add(copy.group("name"), "sql-copy", at)  # from a server-side file or program
            return False
        self.copy_name, self.copy_at = copy.group("name"), at
        return True

    def copy_data(self, after: int) -> int:
        """Skip the data of a ``COPY ... FROM stdin``: rows from the next line to ``\\.``; a block with rows
        is a write.  Returns where the next statement starts."""
        newline = self.text.find("\n", after)
        if newline < 0:
            return len(self.text)
        first = newline + 1
        marker = _END_OF_COPY.search(self.text, first)
        stop = marker.start() if marker else len(self.text)
        if stop > first:  # at least one line of data
            self.add(self.copy_name, "sql-copy", self.copy_at)
        return marker.end() if marker else len(self.text)

    def read(self) -> list[SqlWrite]:
        text = self.text
        start = pos = 0
        while pos < len(text):
            if start == pos:
                directive = _DELIMITER.match(text, pos)
                if directive:
                    self.pattern = _tokens(directive.group(1), self.backslash)
                    start = pos = directive.end()
                    continue
            token = self.pattern.search(text, pos)
            if token is None:
                self.statement(start, len(text))
                break
            if token.group("end") is None:
                pos = token.end()
                continue
            if self.statement(start, token.start()):
                start = pos = self.copy_data(token.end())
            else:
                start = pos = token.end()
        return sorted(self.writes.values(), key=lambda w: w.line)


def dump_writes(text: str) -> list[SqlWrite]:
    """The tables a plain-text dump writes rows into, one :class:`SqlWrite` per table and kind of write."""
    return _Reader(text).read()
