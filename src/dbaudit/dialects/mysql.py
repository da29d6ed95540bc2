"""MySQL and MariaDB: ``information_schema`` reads, multi-row inserts, ``GET_LOCK``, session counters."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BINARY,
    CHAR,
    Float,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbaudit.dialects.base import (
    MYSQL_SYSTEM_SCHEMAS,
    ColumnLike,
    Dialect,
    Effects,
    Estimate,
    Reference,
    TableLike,
)
from dbaudit.errors import ConfigError, DbauditError, SeedError


class MySQLDialect(Dialect):
    name = "mysql"
    system_schemas = MYSQL_SYSTEM_SCHEMAS
    # SQLAlchemy parses column names out of SHOW CREATE TABLE and keeps an escaped backtick doubled.
    doubled_quote_in_names = "`"
    # MySQL and MariaDB have no row-level security: rows_hidden keeps the default, nothing is hidden.

    def no_default_schema(self, shown_url: str) -> DbauditError:
        return ConfigError(
            f"the URL {shown_url} names no database", "add /DATABASE to the URL or pass --schema"
        )

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

    def column_checks(self, conn: Connection, schema: str | None) -> dict[str, list[tuple[str | None, str]]]:
        # MariaDB's column-level CHECKs (json_valid of a JSON column among them), which inspection misses.
        out: dict[str, list[tuple[str | None, str]]] = {}
        try:
            with conn.begin_nested():
                rows = conn.execute(
                    text(_COLUMN_CHECKS),
                    {"schema": schema},
                ).all()
        except DBAPIError:  # MySQL 8 has no TABLE_NAME there; its table-level checks are inspected already
            return out
        for table, name, clause in rows:
            out.setdefault(str(table), []).append((name, str(clause)))
        return out

    makes_databases = True

    def create_database(self, conn: Connection, name: str) -> None:
        # the character set and collation of the database the URL names, so text compares as it would there
        charset, collation = conn.execute(text("SELECT @@character_set_database, @@collation_database")).one()
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(
            f"CREATE DATABASE {quote(name)} CHARACTER SET {quote(charset)} COLLATE {quote(collation)}"
        )

    def drop_database(self, conn: Connection, name: str) -> None:
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {30}")
        # a step stopped mid-transaction may leave its connection open a moment, holding locks DROP waits on
        others = conn.execute(
            text("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = :name AND ID <> CONNECTION_ID()"),
            {"name": name},
        ).scalars()
        for pid in list(others):
            with contextlib.suppress(DBAPIError):  # it may have ended by itself meanwhile
                conn.exec_driver_sql(f"KILL {int(pid)}")
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}")

    def database_names(self, conn: Connection) -> set[str]:
        return {str(row[0]) for row in conn.execute(text("SHOW DATABASES"))}

    # -- Writing --
    batch_rows = 1000
    ddl_commits = True

    def check_writable(self, conn: Connection) -> None:
        read_only = conn.execute(text("SELECT @@global.read_only")).scalar()
        try:
            tx_read_only = conn.execute(text("SELECT @@session.tx_read_only")).scalar()
        except DBAPIError:
            tx_read_only = conn.execute(text("SELECT @@session.transaction_read_only")).scalar()
        if int(read_only or 0) or int(tx_read_only or 0):
            raise SeedError(
                "the database is read-only (read_only or transaction_read_only is set); seeding and purging "
                "need "
                "to write",
                "connect to a writable server",
            )

    def acquire_lock(self, conn: Connection, database: str) -> None:
        got = conn.execute(
            text("SELECT GET_LOCK(:name, :wait)"),
            {"name": _mysql_lock_name(database), "wait": self.lock_timeout},
        ).scalar()
        if got != 1:
            raise SeedError(
                f"timed out after {self.lock_timeout:g} s waiting for the dbaudit lock of database "
                f"{database}: another dbaudit seed or purge is running on it",
                "wait for it to finish, then run again (--lock-timeout waits longer)",
            )

    def release_lock(self, conn: Connection, database: str) -> None:
        conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _mysql_lock_name(database)})

    suspends_foreign_key_checks = True

    @contextmanager
    def foreign_key_checks_off(self, conn: Connection) -> Iterator[None]:
        # A session variable, not part of the transaction: set back whatever happens inside the block, so
        # no later statement of the session (or of the pool's next user) runs unchecked.
        was = conn.execute(text("SELECT @@session.foreign_key_checks")).scalar()
        conn.execute(text("SET SESSION foreign_key_checks = 0"))
        try:
            yield
        finally:
            conn.execute(text("SET SESSION foreign_key_checks = :v"), {"v": 0 if was in (0, "0") else 1})

    def begin_session(self, conn: Connection) -> None:
        seconds = max(1, round(self.lock_timeout))
        conn.execute(
            text("SET SESSION innodb_lock_wait_timeout = :s, SESSION lock_wait_timeout = :s"), {"s": seconds}
        )

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        wanted = set(names)
        if not wanted:
            return {}
        created = {
            (str(s), str(t)): str(c)
            for s, t, c in conn.execute(
                text(
                    "SELECT TABLE_SCHEMA, TABLE_NAME, CREATE_TIME FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA IN :schemas AND TABLE_TYPE = 'BASE TABLE'"
                ).bindparams(bindparam("schemas", expanding=True)),
                {"schemas": sorted({s for s, _t in wanted})},
            )
            if (str(s), str(t)) in wanted
        }
        ids = self._innodb_ids(conn, {s for s, _t in wanted})
        out = {}
        for name, when in created.items():
            table_id = ids.get(name)
            out[name] = f"mysql:id={table_id}" if table_id is not None else f"mysql:created={when}"
        return out

    def _innodb_ids(self, conn: Connection, schemas: set[str]) -> dict[tuple[str, str], int]:
        """InnoDB's table ids (stable across a rename, new on a re-create), keyed by decoded name."""
        try:
            rows = conn.execute(text("SELECT NAME, TABLE_ID FROM information_schema.INNODB_SYS_TABLES")).all()
        except DBAPIError:  # no such table (MySQL 8: INNODB_TABLES) or no PROCESS privilege
            conn.rollback() if not conn.in_nested_transaction() and not conn.in_transaction() else None
            return {}
        out = {}
        for name, table_id in rows:
            schema, _sep, table = _decode_filename(str(name)).partition("/")
            if schema in schemas and table:
                out[(schema, table)] = int(table_id)
        return out

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        prefix = "mysql:id="
        if not identity.startswith(prefix) or not identity[len(prefix) :].isdigit():
            return None
        try:
            row = conn.execute(
                text("SELECT NAME FROM information_schema.INNODB_SYS_TABLES WHERE TABLE_ID = :i"),
                {"i": int(identity[len(prefix) :])},
            ).first()
        except DBAPIError:
            return None
        if row is None:
            return None
        schema, _sep, table = _decode_filename(str(row[0])).partition("/")
        return (schema, table) if table else None

    def key_text(self, column: Any, spec: ColumnLike) -> ColumnElement[Any]:
        if spec.kind == "bytes":
            return func.hex(column)
        if spec.kind == "json":
            return func.json_compact(column)
        # Compared as bytes: no collation decides that two different texts are the same key.
        return cast(cast(column, CHAR), BINARY)

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        return cast(cast(func.json_array(*items), CHAR), BINARY)

    def json_item(self, expr: Any, index: int) -> ColumnElement[Any]:
        path = f"$[{int(index)}]"
        item = func.json_extract(expr, path)
        return case((func.json_type(item) == "NULL", None), else_=cast(func.json_unquote(item), BINARY))

    exact_parameters = True

    def value_equal(self, column: Any, spec: ColumnLike, value: Any) -> ColumnElement[bool]:
        if value is None:
            return column.is_(None)  # type: ignore[no-any-return]
        if spec.kind == "float":
            # FLOAT columns keep single precision: a double parameter never equals the stored value.  The
            # ledger then records the stored value's own text, which later comparisons use exactly.
            tolerance = abs(float(value)) * 1e-6 + 1e-12
            return func.abs(column - literal(float(value), Float())) <= tolerance
        if spec.kind == "json":
            return func.json_compact(column) == func.json_compact(literal(json.dumps(value), Text))
        return column == bindparam(None, value, type_=column.type)  # type: ignore[no-any-return]

    def indexable_equal(
        self, column: Any, spec: ColumnLike, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        if spec.kind == "int":
            return column == cast(item, Integer)  # type: ignore[no-any-return]
        return None

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        if not tables:
            return []
        # Every database on the server this user can see, whatever the run audits.
        rows = conn.execute(
            text(
                "SELECT k.CONSTRAINT_NAME, k.TABLE_SCHEMA, k.TABLE_NAME, k.COLUMN_NAME,"
                " k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE"
                " FROM information_schema.KEY_COLUMN_USAGE k"
                " JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
                " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME"
                " AND r.TABLE_NAME = k.TABLE_NAME"
                " WHERE k.REFERENCED_TABLE_SCHEMA IN :schemas AND k.REFERENCED_TABLE_NAME IN :names"
                " ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
            ).bindparams(bindparam("schemas", expanding=True), bindparam("names", expanding=True)),
            {"schemas": sorted({s for s, _t in tables}), "names": sorted({t for _s, t in tables})},
        )
        wanted = set(tables)
        grouped: dict[tuple[str, str, str, str, str], tuple[list[str], list[str], str]] = {}
        for name, cs, ct, col, ps, pt, ref, rule in rows:
            if (str(ps), str(pt)) not in wanted:
                continue
            entry = grouped.setdefault((str(cs), str(ct), str(name), str(ps), str(pt)), ([], [], str(rule)))
            entry[0].append(str(col))
            entry[1].append(str(ref))
        return [
            Reference(cs, ct, tuple(cols), ps, pt, tuple(refs), name, rule)
            for (cs, ct, name, ps, pt), (cols, refs, rule) in grouped.items()
        ]

    def lock_rows(self, conn: Connection, stmt: Any, table: TableLike) -> int:
        # MariaDB takes no FOR UPDATE inside a derived table: stream the locked rows and count them here.
        locked = stmt.with_for_update()
        count = 0
        result = conn.execution_options(stream_results=True, yield_per=10_000).execute(locked)
        for part in result.partitions():
            count += len(part)
        return count

    def delete_multiset(
        self,
        conn: Connection,
        table: TableLike,
        row_text: ColumnElement[Any],
        ledger_rows: Any,
        set_ids: list[int],
        extra: ColumnElement[bool] | None = None,
    ) -> int:
        # No row locator: one DELETE ... LIMIT per distinct row.
        wanted = conn.execute(
            select(ledger_rows.c.row_key, func.count())
            .where(ledger_rows.c.set_id.in_(set_ids))
            .group_by(ledger_rows.c.row_key)
        ).all()
        deleted = 0
        for row_key, copies in wanted:
            removal = table.sa.delete().where(row_text == cast(literal(row_key, Text), BINARY))
            if extra is not None:
                removal = removal.where(extra)
            deleted += int(conn.execute(removal.with_dialect_options(mysql_limit=int(copies))).rowcount or 0)
        return deleted

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[TableLike], event_name: str
    ) -> set[str]:
        if not tables:
            return set()
        by_name = {t.qualified: t.key for t in tables}
        rows = conn.execute(
            text(
                "SELECT DISTINCT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
                " WHERE EVENT_MANIPULATION = :event AND EVENT_OBJECT_SCHEMA IN :schemas"
            ).bindparams(bindparam("schemas", expanding=True)),
            {"event": event_name, "schemas": sorted({s for s, _t in by_name})},
        )
        return {by_name[(str(s), str(t))] for s, t in rows if (str(s), str(t)) in by_name}

    def insert_trigger_bodies(self, conn: Connection, tables: Sequence[TableLike]) -> list[tuple[str, str]]:
        if not tables:
            return []
        by_name = {t.qualified: t.key for t in tables}
        rows = conn.execute(
            text(
                "SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, ACTION_STATEMENT"
                " FROM information_schema.TRIGGERS"
                " WHERE EVENT_MANIPULATION = 'INSERT' AND EVENT_OBJECT_SCHEMA IN :schemas"
            ).bindparams(bindparam("schemas", expanding=True)),
            {"schemas": sorted({s for s, _t in by_name})},
        )
        return [(by_name[(str(s), str(t))], str(body)) for s, t, body in rows if (str(s), str(t)) in by_name]

    def effect_counters(self, conn: Connection, watch: Sequence[TableLike]) -> Any:
        handlers = {
            str(k): int(v)
            for k, v in conn.execute(
                text(
                    "SHOW SESSION STATUS WHERE Variable_name IN"
                    " ('Handler_write', 'Handler_update', 'Handler_delete')"
                )
            )
        }
        tops = {}
        for table in watch:
            column = _auto_key(table)
            if column is not None:
                tops[table.key] = conn.execute(select(func.max(table.sa.c[column]))).scalar()
        return handlers, tops

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[TableLike]
    ) -> Effects:
        (was, _tops), (now, _later) = before, after
        effects = Effects(writes=now.get("Handler_write", 0) - was.get("Handler_write", 0))
        updated = now.get("Handler_update", 0) - was.get("Handler_update", 0)
        deleted = now.get("Handler_delete", 0) - was.get("Handler_delete", 0)
        if updated:
            effects.updated[("", "")] = updated
        if deleted:
            effects.deleted[("", "")] = deleted
        return effects

    def new_rows_since(self, conn: Connection, before: Any, table: TableLike) -> ColumnElement[bool] | None:
        _handlers, tops = before
        column = _auto_key(table)
        if column is None or table.key not in tops:
            return None
        top = tops[table.key]
        return table.sa.c[column] > (top if top is not None else 0)


def _mysql_errno(exc: DBAPIError) -> int | None:
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _auto_key(table: TableLike) -> str | None:
    """The auto-numbered single-column primary key of ``table`` (new rows get larger values), if any."""
    if len(table.primary_key) == 1 and table.primary_key[0] in table.sequences:
        return table.primary_key[0]
    return None


def _decode_filename(name: str) -> str:
    """MariaDB's file-name encoding of identifiers (``@0020`` for a space) back to text."""
    return re.sub(r"@([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), name)


def _mysql_lock_name(database: str) -> str:
    return f"dbaudit:{database}"[:64]


_COLUMN_CHECKS = (
    "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
    " WHERE CONSTRAINT_SCHEMA = coalesce(:schema, DATABASE())"
)
