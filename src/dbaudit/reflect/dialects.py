"""What differs between database engines, as small classes chosen by ``engine.dialect.name``.

:class:`Dialect` is the default (plain SQL, no estimates, no time budget); :class:`PostgresDialect`,
:class:`MySQLDialect` and :class:`SQLiteDialect` override what their engine does differently: the default
schema, the read-only transaction, bulk row estimates, the per-statement time budget, partitions, row-level
security and how a failed statement is explained.  Table names never reach SQL as text: statements are built
with SQLAlchemy constructs (``sqlalchemy.table``) so the engine's own identifier quoting applies, and catalog
queries take schema names as bound parameters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

#: Schemas that hold the engine's own catalog, never application tables.
PG_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")
MYSQL_SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")


class Estimate(NamedTuple):
    """A row estimate from catalog statistics.  ``complete=False``: part of it was never analysed, so
    ``rows`` is only a lower bound."""

    rows: int
    complete: bool = True


class Dialect:
    """The behaviour of a database engine dbaudit has no special knowledge of."""

    name: ClassVar[str] = "default"
    #: Schemas never audited, even with ``--all-schemas``.
    system_schemas: ClassVar[tuple[str, ...]] = ()
    #: Whether tables live in named schemas (``False``: one unnamed schema, as in SQLite).
    has_schemas: ClassVar[bool] = True
    #: Whether the engine has materialized views SQLAlchemy can list.
    has_materialized_views: ClassVar[bool] = False
    #: The quote character that SQLAlchemy's reflection leaves doubled inside column names (``None``: none).
    doubled_quote_in_names: ClassVar[str | None] = None
    #: Whether a failed statement must be wrapped in a savepoint so the transaction survives it.
    savepoints: ClassVar[bool] = True
    #: Isolation level the report's connection is switched to (a real transaction even when the caller's
    #: engine runs in autocommit mode); ``None`` leaves the connection as it is.
    isolation_level: ClassVar[str | None] = "REPEATABLE READ"

    def display_name(self, conn: Connection) -> str:
        """The dialect as the report names it."""
        return conn.engine.dialect.name

    def server_version(self, conn: Connection) -> str:
        info = conn.engine.dialect.server_version_info
        return ".".join(str(part) for part in info) if info else "unknown"

    def default_schema(self, conn: Connection) -> str | None:
        """The schema unqualified names resolve to on this connection."""
        return conn.engine.dialect.default_schema_name

    def list_schemas(self, conn: Connection, names: Sequence[str]) -> list[str]:
        """The schemas ``--all-schemas`` audits: ``names`` without the engine's own."""
        return [n for n in names if n not in self.system_schemas]

    def begin_read_only(self, conn: Connection) -> None:
        """Open the read-only transaction the whole report runs in (nothing by default)."""

    def end_read_only(self, conn: Connection) -> None:
        """Leave the transaction without writing anything."""
        conn.rollback()

    @contextmanager
    def time_budget(self, conn: Connection, seconds: float | None) -> Iterator[None]:
        """Limit the next statements to ``seconds`` each (``None``: no limit).  No limit by default."""
        yield

    def estimates(self, conn: Connection, schema: str | None) -> dict[str, Estimate]:
        """Row estimates by table name from the catalog statistics; a table left out has no estimate."""
        return {}

    def partition_children(self, conn: Connection, schema: str | None) -> dict[str, str]:
        """Partition (or inheritance child) name -> its top-level parent's name, within ``schema``."""
        return {}

    def partitioned_parents(self, conn: Connection, schema: str | None) -> set[str]:
        """Names of declaratively partitioned parents in ``schema``."""
        return set()

    def rows_hidden(self, conn: Connection, schema: str | None) -> dict[str, str]:
        """Tables of ``schema`` whose rows row-level security filters for this connection's role, by name,
        with the reason they get no count.

        A probe or count of such a table sees only what the policies let through (or fails), so an Empty or
        a number would be wrong.  Only engines with row-level security can hide rows: nothing by default.
        """
        return {}

    def internal_tables(self, conn: Connection, schema: str | None) -> list[str]:
        """Bookkeeping tables of the engine itself that SQLAlchemy's table list leaves out but users see."""
        return []

    def foreign_key_actions(
        self, conn: Connection, schema: str | None
    ) -> dict[tuple[str, tuple[str, ...]], str]:
        """``ON DELETE`` actions by (table, constrained columns) where SQLAlchemy's reflection misses them."""
        return {}

    def is_identity(self, column: dict[str, Any], primary_key: Sequence[str]) -> bool:
        """Whether the database fills this column by itself (identity, serial, auto-increment)."""
        return bool(column.get("identity")) or column.get("autoincrement") is True

    def is_timeout(self, exc: DBAPIError) -> bool:
        return False

    def is_lock_wait(self, exc: DBAPIError) -> bool:
        """Whether the statement gave up waiting for another session's lock."""
        return False

    def is_permission_denied(self, exc: DBAPIError) -> bool:
        return "permission denied" in str(exc.orig).lower()

    def timeout_setting(self, exc: DBAPIError) -> str | None:
        """The server setting whose time limit ended the statement (``statement_timeout``...), if one did.

        A statement cancelled for another reason (a cancel request, a ``KILL QUERY``) has none."""
        return None

    def is_connection_lost(self, exc: DBAPIError) -> bool:
        """Whether the session is gone (killed, server restarted, network cut), not just the statement."""
        return bool(exc.connection_invalidated)

    def explain_failure(self, exc: DBAPIError, budget: float | None) -> str:
        """One line saying why a statement on a table failed, for the Unreadable status."""
        if self.is_permission_denied(exc):
            return "permission denied"
        if self.is_timeout(exc):
            reason = f"timed out after {budget:g} s" if budget else "timed out"
            return f"{reason} waiting for a lock" if self.is_lock_wait(exc) else reason
        first = str(exc.orig).strip().splitlines()
        return first[0] if first else type(exc.orig).__name__


class PostgresDialect(Dialect):
    name = "postgresql"
    system_schemas = PG_SYSTEM_SCHEMAS
    has_materialized_views = True

    def server_version(self, conn: Connection) -> str:
        return str(conn.execute(text("SELECT current_setting('server_version')")).scalar_one())

    def list_schemas(self, conn: Connection, names: Sequence[str]) -> list[str]:
        # The pg_ prefix is reserved for the server's own schemas (pg_toast, pg_temp_N...).
        return [n for n in names if n not in self.system_schemas and not n.startswith("pg_")]

    def default_schema(self, conn: Connection) -> str | None:
        # current_schema() follows the connection's search_path (``options=-csearch_path=...``).
        value = conn.execute(text("SELECT current_schema()")).scalar()
        return str(value) if value is not None else None

    def begin_read_only(self, conn: Connection) -> None:
        # The first statement of the transaction: one consistent snapshot, and no writes possible.
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))

    @contextmanager
    def time_budget(self, conn: Connection, seconds: float | None) -> Iterator[None]:
        # lock_timeout a little shorter than statement_timeout: a statement stuck behind another session's
        # lock fails as a lock timeout, and the report can say so.
        millis = int(seconds * 1000) if seconds else 0
        conn.execute(
            text(
                "SELECT set_config('statement_timeout', :ms, true), "
                "set_config('lock_timeout', :lock_ms, true)"
            ),
            {"ms": str(millis), "lock_ms": str(max(1, millis * 9 // 10) if millis else 0)},
        )
        yield

    def estimates(self, conn: Connection, schema: str | None) -> dict[str, Estimate]:
        # reltuples is -1 before the first VACUUM/ANALYZE (and 0 may mean "not analysed yet"): unknown.
        # A parent's estimate is the sum over its whole partition/inheritance tree.
        rows = conn.execute(
            text(
                """
                WITH RECURSIVE tree(root, oid) AS (
                    SELECT c.oid, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'f')
                    UNION ALL
                    SELECT tree.root, i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid
                )
                SELECT r.relname,
                       sum(CASE WHEN c.reltuples > 0 THEN c.reltuples ELSE 0 END) AS known,
                       bool_or(c.reltuples <= 0 AND c.relkind <> 'p') AS some_unknown
                FROM tree JOIN pg_class r ON r.oid = tree.root JOIN pg_class c ON c.oid = tree.oid
                GROUP BY r.relname
                """
            ),
            {"schema": schema},
        )
        return {
            str(name): Estimate(int(known), complete=not some_unknown)
            for name, known, some_unknown in rows
            if known and known > 0
        }

    def partition_children(self, conn: Connection, schema: str | None) -> dict[str, str]:
        rows = conn.execute(
            text(
                """
                WITH RECURSIVE tree(root, child) AS (
                    SELECT i.inhparent, i.inhrelid FROM pg_inherits i
                    WHERE NOT EXISTS (SELECT 1 FROM pg_inherits up WHERE up.inhrelid = i.inhparent)
                    UNION ALL
                    SELECT tree.root, i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.child
                )
                SELECT c.relname, p.relname
                FROM tree
                JOIN pg_class c ON c.oid = tree.child JOIN pg_namespace cn ON cn.oid = c.relnamespace
                JOIN pg_class p ON p.oid = tree.root JOIN pg_namespace pn ON pn.oid = p.relnamespace
                WHERE cn.nspname = :schema AND pn.nspname = :schema
                """
            ),
            {"schema": schema},
        )
        return {child: parent for child, parent in rows}

    def partitioned_parents(self, conn: Connection, schema: str | None) -> set[str]:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema"
            ),
            {"schema": schema},
        )
        return {name for (name,) in rows}

    def rows_hidden(self, conn: Connection, schema: str | None) -> dict[str, str]:
        # The server's own rule (check_enable_rls): a table with relrowsecurity is read unfiltered by a
        # superuser or a BYPASSRLS role (attributes of the role itself, never inherited), and by its owner or
        # a role with the owner's privileges unless FORCE ROW LEVEL SECURITY is set.  Only the policies of
        # the table a query names apply, so a parent's own flag speaks for its whole partition tree.  With
        # row_security off the server refuses such a read instead of filtering it.  A table the role may not
        # select at all is left to the probe, which names that ("permission denied").
        rows = conn.execute(
            text(
                """
                SELECT c.relname, current_user, current_setting('row_security')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND c.relrowsecurity
                  AND has_any_column_privilege(c.oid, 'SELECT')
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_roles r
                      WHERE r.rolname = current_user AND (r.rolsuper OR r.rolbypassrls)
                  )
                  AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
                """
            ),
            {"schema": schema},
        )
        hidden = {}
        for name, role, setting in rows:
            if setting == "off":
                why = f"row-level security applies to role {role} and row_security is off, so reading fails"
            else:
                why = f"row-level security hides rows from role {role}: counts would be wrong"
            hidden[str(name)] = f"{why} (report as a BYPASSRLS role)"
        return hidden

    def is_identity(self, column: dict[str, Any], primary_key: Sequence[str]) -> bool:
        default = str(column.get("default") or "")
        return bool(column.get("identity")) or default.startswith("nextval(")

    def is_timeout(self, exc: DBAPIError) -> bool:
        return getattr(exc.orig, "pgcode", None) in ("57014", "55P03")  # query_canceled, lock_not_available

    def is_lock_wait(self, exc: DBAPIError) -> bool:
        return getattr(exc.orig, "pgcode", None) == "55P03"

    def is_permission_denied(self, exc: DBAPIError) -> bool:
        return getattr(exc.orig, "pgcode", None) == "42501"  # insufficient_privilege

    def timeout_setting(self, exc: DBAPIError) -> str | None:
        # query_canceled (57014) is also a cancel request ("due to user request"): only the message tells
        code, message = getattr(exc.orig, "pgcode", None), str(exc.orig).lower()
        if code == "57014" and "statement timeout" in message:
            return "statement_timeout"
        if code == "55P03" and "lock timeout" in message:
            return "lock_timeout"
        return None

    def is_connection_lost(self, exc: DBAPIError) -> bool:
        # class 08: connection exception; 57P01-57P03: the server shut down or terminated the backend
        code = str(getattr(exc.orig, "pgcode", None) or "")
        return bool(exc.connection_invalidated) or code.startswith(("08", "57P"))


class MySQLDialect(Dialect):
    name = "mysql"
    system_schemas = MYSQL_SYSTEM_SCHEMAS
    # SQLAlchemy parses column names out of SHOW CREATE TABLE and keeps an escaped backtick doubled.
    doubled_quote_in_names = "`"
    # MySQL and MariaDB have no row-level security: rows_hidden keeps the default, nothing is hidden.

    def display_name(self, conn: Connection) -> str:
        return "mariadb" if getattr(conn.engine.dialect, "is_mariadb", False) else "mysql"

    def server_version(self, conn: Connection) -> str:
        return str(conn.execute(text("SELECT VERSION()")).scalar_one())

    def default_schema(self, conn: Connection) -> str | None:
        value = conn.execute(text("SELECT DATABASE()")).scalar()
        return str(value) if value is not None else None

    def begin_read_only(self, conn: Connection) -> None:
        conn.execute(text("START TRANSACTION READ ONLY"))

    @contextmanager
    def time_budget(self, conn: Connection, seconds: float | None) -> Iterator[None]:
        # A session variable, set back to the server's default afterwards (the engine may be the caller's).
        if getattr(conn.engine.dialect, "is_mariadb", False):
            # MariaDB: seconds, fractions allowed, every statement; 0 = no limit.
            conn.execute(text("SET SESSION max_statement_time = :s"), {"s": float(seconds or 0)})
            reset = text("SET SESSION max_statement_time = DEFAULT")
        else:
            # MySQL: milliseconds, SELECT statements only; 0 = no limit.
            conn.execute(text("SET SESSION max_execution_time = :ms"), {"ms": int((seconds or 0) * 1000)})
            reset = text("SET SESSION max_execution_time = DEFAULT")
        try:
            yield
        finally:
            if not conn.invalidated:
                conn.execute(reset)

    def estimates(self, conn: Connection, schema: str | None) -> dict[str, Estimate]:
        # InnoDB's table_rows is a sampled estimate; 0 often just means "statistics not updated yet".
        rows = conn.execute(
            text(
                "SELECT table_name, table_rows FROM information_schema.tables "
                "WHERE table_schema = :schema AND table_type = 'BASE TABLE'"
            ),
            {"schema": schema},
        )
        return {str(name): Estimate(int(n)) for name, n in rows if n}

    def is_identity(self, column: dict[str, Any], primary_key: Sequence[str]) -> bool:
        return column.get("autoincrement") is True

    def is_timeout(self, exc: DBAPIError) -> bool:
        code = _mysql_errno(exc)
        # 1969: MariaDB max_statement_time exceeded; 3024: MySQL max_execution_time exceeded;
        # 1317: query interrupted; 1205: lock wait timeout
        return code in (1969, 3024, 1317, 1205)

    def is_lock_wait(self, exc: DBAPIError) -> bool:
        return _mysql_errno(exc) == 1205

    def is_permission_denied(self, exc: DBAPIError) -> bool:
        return _mysql_errno(exc) in (1142, 1143, 1044)

    def timeout_setting(self, exc: DBAPIError) -> str | None:
        return {
            1969: "max_statement_time",  # MariaDB
            3024: "max_execution_time",  # MySQL
            1205: "innodb_lock_wait_timeout (row locks) or lock_wait_timeout (table locks)",
        }.get(_mysql_errno(exc) or 0)

    def is_connection_lost(self, exc: DBAPIError) -> bool:
        # 2006 server has gone away, 2013 lost during query, 1927 connection killed, 4031 idle disconnect
        return bool(exc.connection_invalidated) or _mysql_errno(exc) in (2006, 2013, 1927, 4031)


def _mysql_errno(exc: DBAPIError) -> int | None:
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class SQLiteDialect(Dialect):
    name = "sqlite"
    has_schemas = False
    savepoints = False  # a failed read leaves a SQLite transaction usable
    isolation_level = None
    # SQLite has no row-level security: rows_hidden keeps the default, nothing is hidden.

    def server_version(self, conn: Connection) -> str:
        return str(conn.execute(text("SELECT sqlite_version()")).scalar_one())

    def default_schema(self, conn: Connection) -> str | None:
        return "main"

    def list_schemas(self, conn: Connection, names: Sequence[str]) -> list[str]:
        return [n for n in names if n != "temp"]

    def begin_read_only(self, conn: Connection) -> None:
        conn.execute(text("PRAGMA query_only = ON"))

    def internal_tables(self, conn: Connection, schema: str | None) -> list[str]:
        # sqlite_sequence holds AUTOINCREMENT counters: system meta the audit lists.
        rows = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        )
        return [str(name) for (name,) in rows]

    def foreign_key_actions(
        self, conn: Connection, schema: str | None
    ) -> dict[tuple[str, tuple[str, ...]], str]:
        # SQLAlchemy reads actions from the DDL text of FOREIGN KEY clauses only; the pragma also knows
        # those of inline REFERENCES.  One statement for the whole file.
        rows = conn.execute(
            text(
                'SELECT m.name, p.id, p.seq, p."from", p.on_delete FROM sqlite_master AS m '
                "JOIN pragma_foreign_key_list(m.name) AS p WHERE m.type = 'table' "
                "ORDER BY m.name, p.id, p.seq"
            )
        )
        columns: dict[tuple[str, int], list[str]] = {}
        actions: dict[tuple[str, int], str] = {}
        for table_name, fk_id, _seq, column, on_delete in rows:
            columns.setdefault((table_name, fk_id), []).append(str(column))
            actions[(table_name, fk_id)] = str(on_delete)
        return {
            (name, tuple(columns[(name, fk_id)])): action
            for (name, fk_id), action in actions.items()
            if action.upper() != "NO ACTION"
        }

    def end_read_only(self, conn: Connection) -> None:
        conn.rollback()
        conn.execute(text("PRAGMA query_only = OFF"))
        conn.commit()

    @contextmanager
    def time_budget(self, conn: Connection, seconds: float | None) -> Iterator[None]:
        # SQLite has no statement timeout: a progress handler interrupts the statement past its deadline.
        raw: Any = conn.connection.driver_connection
        if not seconds or raw is None or not hasattr(raw, "set_progress_handler"):
            yield
            return
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)

    def is_identity(self, column: dict[str, Any], primary_key: Sequence[str]) -> bool:
        # A lone INTEGER PRIMARY KEY is SQLite's rowid: the database assigns it.
        if list(primary_key) == [column["name"]] and str(column.get("type", "")).upper() == "INTEGER":
            return True
        return column.get("autoincrement") is True

    def is_timeout(self, exc: DBAPIError) -> bool:
        return "interrupted" in str(exc.orig).lower()


DIALECTS: tuple[type[Dialect], ...] = (PostgresDialect, MySQLDialect, SQLiteDialect)


def dialect_for(engine_dialect_name: str) -> Dialect:
    """The :class:`Dialect` for ``engine.dialect.name`` (``mariadb`` is MySQL's); the default otherwise."""
    name = "mysql" if engine_dialect_name == "mariadb" else engine_dialect_name
    for cls in DIALECTS:
        if cls.name == name:
            return cls()
    return Dialect()


__all__ = [
    "DIALECTS",
    "Dialect",
    "Estimate",
    "MySQLDialect",
    "PostgresDialect",
    "SQLiteDialect",
    "dialect_for",
]
