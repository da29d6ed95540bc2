"""SQLite: one file, one writer; pragmas, ``total_changes()``, ``rowid``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.elements import ColumnElement

from dbaudit.dialects.base import (
    ColumnLike,
    Dialect,
    Effects,
    Reference,
    TableLike,
)
from dbaudit.errors import SeedError


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

    def module_tables(self, conn: Connection, schema: str | None) -> set[str]:
        # The shadow tables of FTS, R*Tree and other virtual tables hold the module's index: a row written
        # there directly corrupts it.  SQLite 3.37+ lists them as 'shadow'; older ones by the module's naming
        # rule (the virtual table's name, an underscore, a suffix).
        try:
            rows = conn.execute(text("SELECT name FROM pragma_table_list WHERE type = 'shadow'"))
            return {str(name) for (name,) in rows}
        except DBAPIError:
            pass
        virtual = [
            str(name)
            for (name,) in conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
                )
            )
        ]
        names = [
            str(name) for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        ]
        return {n for n in names for v in virtual if n.startswith(f"{v}_") and n != v}

    def module_totals_tables(self, conn: Connection, schema: str | None) -> dict[str, str]:
        # FTS4 writes a row of document totals (id 0) into <table>_stat on the first insert and keeps it,
        # all zero, when the last document is deleted (FTS3 has no such table; FTS5 keeps no such row).
        rows = conn.execute(
            text(
                "SELECT v.name, s.name FROM sqlite_master AS v JOIN sqlite_master AS s"
                " ON s.type = 'table' AND s.name = v.name || '_stat'"
                " WHERE v.type = 'table' AND lower(v.sql) LIKE 'create virtual table%using fts4%'"
            )
        )
        return {str(virtual): str(stat) for virtual, stat in rows}

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

    def is_lock_wait(self, exc: DBAPIError) -> bool:
        message = str(exc.orig).lower()
        return "locked" in message or "busy" in message

    def is_timeout(self, exc: DBAPIError) -> bool:
        return "interrupted" in str(exc.orig).lower()

    def column_uniques(
        self, conn: Connection, schema: str | None, tables: Sequence[str]
    ) -> dict[str, list[tuple[str, ...]]]:
        # SQLAlchemy misses a column-level UNIQUE on SQLite: read its automatic index instead.
        out: dict[str, list[tuple[str, ...]]] = {}
        for table in tables:
            indexes = conn.execute(
                text('SELECT name, "unique", origin FROM pragma_index_list(:t)'), {"t": table}
            ).all()
            for name, unique, origin in indexes:
                if not unique or origin != "u":
                    continue
                cols = tuple(
                    str(r[0])
                    for r in conn.execute(
                        text("SELECT name FROM pragma_index_info(:i) ORDER BY seqno"), {"i": name}
                    )
                    if r[0] is not None
                )
                if cols:
                    out.setdefault(table, []).append(cols)
        return out

    def table_options(self, conn: Connection, schema: str | None) -> dict[str, dict[str, bool]]:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        return {
            str(name): {
                "without_rowid": bool(_WITHOUT_ROWID.search(str(sql or ""))),
                "replaces_on_conflict": bool(_REPLACE_CLAUSE.search(str(sql or ""))),
            }
            for name, sql in rows
        }

    # -- Writing --
    batch_rows = 500

    def prepare_engine(self, engine: Engine) -> None:
        timeout = self.lock_timeout

        # Take the write lock at BEGIN (so a second writer waits, then refuses) and enforce foreign keys.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                message = str(exc.orig).lower()
                if "locked" in message or "busy" in message:
                    raise SeedError(
                        f"timed out after {timeout:g} s waiting for the write lock of this SQLite database: "
                        "another process is writing to it",
                        "wait for it to finish, then run again (--lock-timeout waits longer)",
                    ) from exc
                if "readonly" in message or "read-only" in message:
                    raise SeedError(
                        "the SQLite database is read-only; seeding and purging need to write",
                        "check the file's permissions",
                    ) from exc
                raise

    def check_writable(self, conn: Connection) -> None:
        if conn.exec_driver_sql("PRAGMA query_only").scalar():
            raise SeedError("the SQLite connection is query-only; seeding and purging need to write")

    def defer_constraints(self, conn: Connection) -> None:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")

    def check_deferred_keys(self, conn: Connection, tables: Sequence[TableLike]) -> str | None:
        # SQLite checks deferred keys only at COMMIT: ask for the violations of these tables now.
        for table in tables:
            bad = conn.execute(
                text('SELECT "table", "parent" FROM pragma_foreign_key_check(:t)'), {"t": table.name}
            ).first()
            if bad is not None:
                return f"a row of {bad[0]} refers to no row of {bad[1]}"
        return None

    row_locks = False
    database_is_a_file = True
    untyped_columns_take_anything = True
    parameter_budget = 999
    defers_every_foreign_key = True
    write_isolation_level = None  # one writer at a time: the immediate transaction sees everything
    row_locator = ("rowid",)

    def begin_session(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        # The root page: kept by a rename and by ALTER TABLE ADD COLUMN, new for a rebuilt table (a dropped
        # table's page may be reused by the next one: rows of tables without a mark are also fingerprinted).
        wanted = {n for s, n in names if s == "main"}
        rows = conn.execute(text("SELECT name, rootpage FROM sqlite_master WHERE type = 'table'"))
        return {("main", str(n)): f"sqlite:root={int(r)}" for n, r in rows if n in wanted}

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        prefix = "sqlite:root="
        if not identity.startswith(prefix) or not identity[len(prefix) :].isdigit():
            return None
        row = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage = :r"),
            {"r": int(identity[len(prefix) :])},
        ).first()
        return ("main", str(row[0])) if row else None

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        return func.json_array(*items)

    def indexable_equal(
        self, column: Any, spec: ColumnLike, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        if spec.kind in ("int", "str"):
            return column == item  # type: ignore[no-any-return]
        return None

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        wanted = {n.lower(): n for s, n in tables if s == "main"}
        if not wanted:
            return []
        rows = conn.execute(
            text(
                'SELECT m.name, f.id, f."from", f."to", f."table", f.on_delete FROM sqlite_master m'
                " JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
            )
        ).all()
        grouped: dict[tuple[str, int], tuple[str, list[str], list[str | None], str]] = {}
        for child, fk_id, col, ref, parent, action in rows:
            target = wanted.get(str(parent).lower())
            if target is None:
                continue
            entry = grouped.setdefault((str(child), int(fk_id)), (target, [], [], str(action)))
            entry[1].append(str(col))
            entry[2].append(None if ref is None else str(ref))
        out = []
        for (child, _fk_id), (parent, cols, refs, action) in grouped.items():
            if any(r is None for r in refs):  # REFERENCES parent without columns: its primary key
                refs = [
                    str(r[0])
                    for r in conn.execute(
                        text("SELECT name FROM pragma_table_info(:t) WHERE pk > 0 ORDER BY pk"), {"t": parent}
                    )
                ]
            out.append(
                Reference(
                    "main", child, tuple(cols), "main", parent, tuple(str(r) for r in refs), None, action
                )
            )
        return out

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[TableLike], event_name: str
    ) -> set[str]:
        by_name = {t.name.lower(): t.key for t in tables}
        found = set()
        for kind, _name, owner, sql in conn.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('trigger', 'table')")
        ):
            key = by_name.get(str(owner).lower())
            if key is None or not sql:
                continue
            if kind == "trigger" and _sqlite_trigger_event(str(sql)) == event_name:
                found.add(key)
            if kind == "table" and event_name == "INSERT" and _REPLACE_CLAUSE.search(str(sql)):
                found.add(key)  # a conflict clause that deletes the existing row to make room
        return found

    def insert_trigger_bodies(self, conn: Connection, tables: Sequence[TableLike]) -> list[tuple[str, str]]:
        by_name = {t.name.lower(): t.key for t in tables}
        out = []
        triggers = conn.execute(text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
        for owner, sql in triggers:
            key = by_name.get(str(owner).lower())
            if key is not None and sql and _sqlite_trigger_event(str(sql)) == "INSERT":
                # The body only: the head names the trigger's own table after INSERT ON.
                body = str(sql)
                begin = re.search(r"\bBEGIN\b", body, re.IGNORECASE)
                out.append((key, body[begin.end() :] if begin else body))
        return out

    def effect_counters(self, conn: Connection, watch: Sequence[TableLike]) -> Any:
        total = int(conn.execute(text("SELECT total_changes()")).scalar() or 0)
        tops = {}
        for table in watch:
            if table.without_rowid:
                continue
            tops[table.key] = conn.execute(
                select(func.max(literal_column("rowid"))).select_from(table.sa)
            ).scalar()
        counts = {
            table.qualified: int(conn.execute(select(func.count()).select_from(table.sa)).scalar() or 0)
            for table in watch
            if table.replaces_on_conflict
        }
        return total, tops, counts

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[TableLike]
    ) -> Effects:
        (total, _tops, counts), (total_after, _later, counts_after) = before, after
        effects = Effects(writes=total_after - total)
        for name, count in counts.items():
            # REPLACE conflict resolution deletes rows without counting them as changes: count the table.
            effects.net_rows[name] = counts_after.get(name, count) - count
        return effects

    def new_rows_since(self, conn: Connection, before: Any, table: TableLike) -> ColumnElement[bool] | None:
        _total, tops, _counts = before
        if table.key not in tops:
            return None
        top = tops[table.key]
        return literal_column("rowid") > (top if top is not None else 0)


_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", re.IGNORECASE)
_REPLACE_CLAUSE = re.compile(r"\bON\s+CONFLICT\s+REPLACE\b", re.IGNORECASE)
_TRIGGER_EVENT = re.compile(
    r"\bCREATE\s+(?:TEMP\w*\s+)?TRIGGER\b.*?\b(INSERT|DELETE|UPDATE)\b", re.IGNORECASE | re.DOTALL
)


def _sqlite_trigger_event(sql: str) -> str | None:
    """The event (INSERT, DELETE, UPDATE) a SQLite ``CREATE TRIGGER`` statement fires on."""
    match = _TRIGGER_EVENT.search(sql)
    return match.group(1).upper() if match else None
