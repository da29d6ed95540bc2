"""A schema of hostile identifiers, the same shape on every dialect.

Table and column names carry double quotes, backticks, single quotes, spaces, semicolons, ``--``, unicode,
Markdown/HTML markup (``|``, ``<script>``), reserved words (``select``, ``order``, ``user``), mixed case, and
names at the engine's length limit (PostgreSQL: 63 bytes; MariaDB/MySQL: 64 characters), with foreign keys
between them.  The tables are created
through SQLAlchemy (whose quoting is the reference), so the names reach the catalog exactly as written here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import Engine

PARENT = "Order Items \"q\" 'x' ;-- drop"
CHILD = "user"
GRANDCHILD = "select"
BACKTICK = "tab`le; DROP TABLE x --"
UNICODE = "Ünïcødé 表 données"
MIXED = "MixedCase"
MARKUP = "x|<script>alert(1)</script>|"
"""A name that breaks a Markdown table or injects script into the HTML report unless escaped."""

TEXT_COLUMN = 'Col "q" ; --'
RESERVED_COLUMN = "order"
ODD_COLUMN = "ÿ ünï `b`"


def long_name(dialect: str, prefix: str) -> str:
    """A name exactly at the dialect's identifier limit (PostgreSQL counts bytes, MySQL characters)."""
    if dialect == "postgresql":
        name = prefix + "ü" * ((63 - len(prefix.encode())) // 2)
        return name + "x" * (63 - len(name.encode()))
    if dialect == "mysql":
        # MariaDB maps table names to file names; ASCII keeps the encoded file name under 255 bytes.
        return prefix + "x" * (64 - len(prefix))
    return prefix + "ü" * 200


@dataclass(frozen=True)
class HostileSchema:
    """The hostile tables of one database, and which of them start out populated."""

    metadata: MetaData
    populated: frozenset[str]

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.metadata.sorted_tables]

    @property
    def empty(self) -> frozenset[str]:
        return frozenset(self.names) - self.populated

    def rows(self, engine: Engine) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every hostile table, sorted: the before/after picture."""
        with engine.connect() as conn:
            return {
                t.name: sorted(tuple(r) for r in conn.execute(select(t))) for t in self.metadata.sorted_tables
            }


def _columns(dialect: str) -> Iterator[Column[object]]:
    yield Column("id", Integer, primary_key=True, autoincrement=True)
    yield Column(TEXT_COLUMN, String(40))
    yield Column(RESERVED_COLUMN, Integer)
    yield Column(ODD_COLUMN, String(40))
    yield Column(long_name(dialect, 'Long col "c" '), String(20))


def create_hostile_schema(engine: Engine, schema: str | None) -> HostileSchema:
    """Create the hostile tables in ``schema`` (``None``: the default), with rows in two of them."""
    dialect = "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name
    metadata = MetaData(schema=schema)
    prefix = f"{schema}." if schema else ""
    parent = Table(PARENT, metadata, *_columns(dialect))
    Table(
        CHILD,
        metadata,
        *_columns(dialect),
        Column('parent "ref"', Integer, ForeignKey(parent.c.id), nullable=False),
    )
    Table(
        GRANDCHILD,
        metadata,
        *_columns(dialect),
        Column("user id", Integer, ForeignKey(f"{prefix}{CHILD}.id")),
    )
    Table(BACKTICK, metadata, *_columns(dialect))
    Table(UNICODE, metadata, *_columns(dialect))
    Table(MARKUP, metadata, *_columns(dialect))
    mixed = Table(MIXED, metadata, *_columns(dialect))
    Table(long_name(dialect, "Long \"n\" 'q' "), metadata, *_columns(dialect))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(parent),
            [
                {TEXT_COLUMN: 'it\'s "real"; --', RESERVED_COLUMN: 1, ODD_COLUMN: "é"},
                {TEXT_COLUMN: "second `row`", RESERVED_COLUMN: 2, ODD_COLUMN: None},
            ],
        )
        conn.execute(insert(mixed), [{TEXT_COLUMN: "kept", RESERVED_COLUMN: 7}])
    return HostileSchema(metadata, frozenset({PARENT, MIXED}))


# ------------------------------------------------------------------------------------------------------------
# Names that try to become markup or shell once printed (tests/safety/test_inert_names.py).  Each one that
# would run a command asks for a file named PWNED_*: a test fails when one appears.

FENCE_BREAK = "fence\n```\n<img src=x onerror=alert(1)>"
"""A newline and three backticks: ends a fenced block or a code span and puts live HTML after it."""
SUBSHELL = "sub$(touch PWNED_subshell)"
SEMICOLON = "semi; rm -rf victim; touch PWNED_semicolon"
BACKTICKS = "tick`echo >PWNED_backticks`"
"""``echo`` is a shell builtin: this one creates its file even with no command on PATH."""
PIPES = "pi|pe|x"
SCRIPT_TAG = "<script>alert(1)</script>"
PUNCTUATION = "#_EMPH_*STAR*__UNDER__**STRONG**~~STRIKE~~[LINK](javascript:alert(1))"
#: The words of :data:`PUNCTUATION` that emphasis, strong emphasis, strike-through or a link would wrap.
PUNCTUATION_WORDS = ("EMPH", "STAR", "UNDER", "STRONG", "STRIKE", "LINK")
ENTITY = "&lt;b&gt;&amp;"
QUOTES = "q'uo\"te"
CARRIAGE = "cr\rreturn"
LONG_NAME = "long_" + "é" * 300
FIXTURE_TABLE = "fx$(touch PWNED_fixture)"

INERT_TABLES = (
    FENCE_BREAK,
    SUBSHELL,
    SEMICOLON,
    BACKTICKS,
    PIPES,
    SCRIPT_TAG,
    PUNCTUATION,
    ENTITY,
    QUOTES,
    CARRIAGE,
    LONG_NAME,
    FIXTURE_TABLE,
)
"""Table names, each of which every output must print as data."""
