"""PostgreSQL: ``pg_catalog`` reads, ``COPY`` loads, advisory locks, per-table write counts."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import (
    Float,
    Text,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.elements import ColumnElement

from dbaudit.dialects.base import (
    PG_SYSTEM_SCHEMAS,
    SAMPLE_LIMIT,
    CatalogRows,
    ColumnLike,
    ColumnSample,
    Dialect,
    Effects,
    Estimate,
    PartitionLayout,
    Reference,
    TableLike,
)
from dbaudit.dialects.copy import NULL, CsvStream, pg_converter, render_csv
from dbaudit.dialects.pg_catalog import read_catalog
from dbaudit.errors import SeedError


class PostgresDialect(Dialect):
    name = "postgresql"
    system_schemas = PG_SYSTEM_SCHEMAS
    has_materialized_views = True

    def column_sample(
        self, conn: Connection, table: TableLike, column: str, limit: int = SAMPLE_LIMIT
    ) -> ColumnSample:
        """The planner's statistics (``pg_stats``: histogram bounds, most common values and their shares)
        when ANALYZE has run on the table, else a bounded sample."""
        schema, name = table.qualified
        row = conn.execute(
            text(
                "SELECT histogram_bounds::text::text[], most_common_vals::text::text[], most_common_freqs"
                " FROM pg_catalog.pg_stats"
                " WHERE schemaname = coalesce(:schema, current_schema()) AND tablename = :table"
                " AND attname = :column AND NOT inherited"
            ),
            {"schema": schema or None, "table": name, "column": column},
        ).first()
        if row is not None and (row[0] or row[1]):
            return ColumnSample(
                bounds=list(row[0] or []),
                common=list(row[1] or []),
                common_shares=[float(f) for f in row[2] or []],
            )
        return super().column_sample(conn, table, column, limit)

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
        if (conn.dialect.server_version_info or (0,)) >= (11,):
            # The catalog queries of a large database cross the JIT cost threshold and spend longer compiling
            # than running (a quarter of the read at 1,000 tables); LOCAL ends with the transaction.
            conn.execute(text("SET LOCAL jit = off"))

    def export_snapshot(self, conn: Connection) -> str | None:
        # A standby cannot export one (and a failed statement would end the report's transaction): asked
        # only where the server is not in recovery.
        value = conn.execute(
            text("SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_export_snapshot() END")
        ).scalar()
        return str(value) if value is not None else None

    def join_snapshot(self, conn: Connection, snapshot: str) -> None:
        # SET TRANSACTION SNAPSHOT must come before the transaction's first query, after its isolation
        # level; the id goes in as a literal the dialect renders (the statement takes no parameter).
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        conn.execute(
            text("SET TRANSACTION SNAPSHOT :snapshot").bindparams(
                bindparam("snapshot", snapshot, literal_execute=True)
            )
        )
        if (conn.dialect.server_version_info or (0,)) >= (11,):
            conn.execute(text("SET LOCAL jit = off"))

    def cancel(self, conn: Connection) -> None:
        # psycopg2's and psycopg's connections both cancel the running statement from another thread
        with suppress(Exception):
            conn.connection.dbapi_connection.cancel()  # type: ignore[union-attr]

    def catalog_table_names(self, conn: Connection, schema: str | None) -> list[str]:
        # the relations of the native catalog read (pg_catalog._COLUMNS): plain, partitioned, foreign
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p', 'f')"
                " AND c.relpersistence <> 't'"
                " AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = :schema)"
            ),
            {"schema": schema},
        )
        return [str(name) for (name,) in rows]

    def native_catalog(self, conn: Connection, schema: str | None) -> CatalogRows | None:
        return read_catalog(conn, schema) if schema is not None else None

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
        # A parent's estimate is the sum over its whole partition/inheritance tree.  The schema is found by
        # OID and each row carries what it needs: joining back to pg_class scans the whole database's.
        rows = conn.execute(
            text(
                """
                WITH RECURSIVE tree(root, oid, tuples, kind) AS (
                    SELECT c.relname, c.oid, c.reltuples, c.relkind FROM pg_class c
                    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = :schema)
                      AND c.relkind IN ('r', 'p', 'f')
                    UNION ALL
                    SELECT tree.root, k.oid, k.reltuples, k.relkind
                    FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid
                    JOIN pg_class k ON k.oid = i.inhrelid
                )
                SELECT root,
                       sum(CASE WHEN tuples > 0 THEN tuples ELSE 0 END) AS known,
                       bool_or(tuples <= 0 AND kind <> 'p') AS some_unknown
                FROM tree
                GROUP BY root
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
        return sqlstate(exc) in ("57014", "55P03")  # query_canceled, lock_not_available

    def is_lock_wait(self, exc: DBAPIError) -> bool:
        return sqlstate(exc) == "55P03"

    def is_permission_denied(self, exc: DBAPIError) -> bool:
        return sqlstate(exc) == "42501"  # insufficient_privilege

    def timeout_setting(self, exc: DBAPIError) -> str | None:
        # query_canceled (57014) is also a cancel request ("due to user request"): only the message tells
        code, message = sqlstate(exc), str(exc.orig).lower()
        if code == "57014" and "statement timeout" in message:
            return "statement_timeout"
        if code == "55P03" and "lock timeout" in message:
            return "lock_timeout"
        return None

    def is_connection_lost(self, exc: DBAPIError) -> bool:
        # class 08: connection exception; 57P01-57P03: the server shut down or terminated the backend
        code = sqlstate(exc) or ""
        return bool(exc.connection_invalidated) or code.startswith(("08", "57P"))

    def domains(
        self, conn: Connection, schema: str | None
    ) -> dict[str, tuple[list[tuple[str | None, str]], bool, str]]:
        found = {}
        for domain in inspect(conn).get_domains(schema=schema or "*"):  # type: ignore[attr-defined]
            checks = [(c.get("name"), str(c["check"])) for c in domain.get("constraints", [])]
            base = str(domain.get("type") or "")
            found[str(domain["name"])] = (checks, bool(domain.get("nullable") is False), base)
        return found

    def exclusion_constraints(self, conn: Connection, schema: str | None) -> dict[str, list[tuple[str, str]]]:
        rows = conn.execute(
            text(
                "SELECT c.relname, x.conname, pg_get_constraintdef(x.oid) FROM pg_constraint x"
                " JOIN pg_class c ON c.oid = x.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE x.contype = 'x' AND n.nspname = :schema ORDER BY x.conname"
            ),
            {"schema": schema},
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for table, name, definition in rows:
            found.setdefault(str(table), []).append((str(name), str(definition)))
        return found

    def partition_layout(self, conn: Connection, schema: str | None) -> PartitionLayout:
        layout = PartitionLayout()
        rows = conn.execute(
            text(
                "SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid), pg_get_partkeydef(p.oid)"
                " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace"
                " WHERE c.relispartition AND n.nspname = :schema ORDER BY c.relname"
            ),
            {"schema": schema},
        )
        for child, parent, bound, keydef in rows:
            layout.partitions.add(str(child))
            key_match = _RANGE_KEY.match(keydef or "")
            bound_match = _RANGE_BOUND.match(bound or "")
            if key_match and bound_match:
                _key, ranges = layout.bounds.setdefault(str(parent), (key_match.group(1), []))
                ranges.append(tuple(_bound_value(v) for v in bound_match.groups()))
        inherited = conn.execute(
            text(
                "SELECT DISTINCT p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace"
                " WHERE NOT c.relispartition AND n.nspname = :schema"
            ),
            {"schema": schema},
        )
        layout.inherited = {str(name) for (name,) in inherited}
        return layout

    makes_databases = True
    schemas_inside_database = True
    native_uuid = True
    typed_values_lists = True
    pads_fixed_char_in_patterns = True

    def column_type_names(self, conn: Connection, table: TableLike) -> dict[str, str]:
        # A domain's base type: a cast to the domain would raise instead of answering.
        rows = conn.execute(
            text(
                "SELECT a.attname,"
                " format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,"
                " CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END)"
                " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                " WHERE a.attrelid = CAST(:name AS regclass) AND a.attnum > 0 AND NOT a.attisdropped"
            ),
            {"name": conn.dialect.identifier_preparer.format_table(table.sa)},
        )
        return {str(column): str(kind) for column, kind in rows}

    def create_database(self, conn: Connection, name: str) -> None:
        conn.exec_driver_sql(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(name)}")

    def drop_database(self, conn: Connection, name: str) -> None:
        version = conn.dialect.server_version_info or (0,)
        quote = conn.dialect.identifier_preparer.quote
        if version >= (13,):  # FORCE ends the sessions a step left behind
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
            return
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                " AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}")

    def database_names(self, conn: Connection) -> set[str]:
        return {str(row[0]) for row in conn.execute(text("SELECT datname FROM pg_database"))}

    def cumulative_statistics(self, conn: Connection) -> dict[tuple[str, str], tuple[int, int, int]]:
        # Another session's counts reach the shared statistics when it ends: wait (briefly) for the sessions
        # a step left, then read a fresh snapshot.
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            others = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            ).scalar()
            if not others:
                break
            time.sleep(0.05)
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        rows = conn.execute(
            text("SELECT schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables")
        )
        return {(str(s), str(n)): (int(i), int(u), int(d)) for s, n, i, u, d in rows}

    # -- Writing --

    def check_writable(self, conn: Connection) -> None:
        read_only = conn.execute(text("SELECT current_setting('transaction_read_only')")).scalar()
        in_recovery = conn.execute(text("SELECT pg_is_in_recovery()")).scalar()
        if read_only == "on" or in_recovery:
            why = "a standby in recovery" if in_recovery else "transaction_read_only is on"
            raise SeedError(
                f"the database is read-only ({why}); seeding and purging need to write",
                "connect to a writable primary, or unset default_transaction_read_only for this role or "
                "database",
            )

    def acquire_lock(self, conn: Connection, database: str) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            if conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(database)}
            ).scalar():
                return
            if time.monotonic() >= deadline:
                raise SeedError(
                    f"timed out after {self.lock_timeout:g} s waiting for the dbaudit lock of database "
                    f"{database}: another dbaudit seed or purge is running on it",
                    "wait for it to finish, then run again (--lock-timeout waits longer)",
                )
            time.sleep(0.2)

    def defer_constraints(self, conn: Connection) -> None:
        conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))

    def check_at_statement_end(self, conn: Connection) -> None:
        # Deferred constraint triggers (an application's "delete if unused" rules) would otherwise fail the
        # COMMIT and the whole run with it.
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))

    def check_deferred_keys(self, conn: Connection, tables: Sequence[TableLike]) -> str | None:
        # The deferred checks run as the mode switches back (an error is raised here, in the savepoint).
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        return None

    def allocate_ids(self, conn: Connection, table: TableLike, column: str, count: int) -> list[int]:
        sequence = table.sequences.get(column)
        if sequence is None:
            qualified = conn.dialect.identifier_preparer.format_table(table.sa)
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": qualified, "column": column}
            ).scalar()
        if not sequence:
            return super().allocate_ids(conn, table, column, count)
        # Draw the numbers in the server and look at their range only: a single sequence never repeats a
        # number within n draws, so a range of n numbers is exactly them.  Only when another session drew
        # numbers in between are they drawn again into a temporary table and fetched.
        low, high, drawn = conn.execute(
            text(
                "SELECT min(v), max(v), count(*)"
                " FROM (SELECT nextval(CAST(:seq AS regclass)) AS v FROM generate_series(1, :n)) AS drawn"
            ),
            {"seq": sequence, "n": count},
        ).one()
        if low is not None and high - low + 1 == count == drawn:
            return list(range(int(low), int(high) + 1))
        # One statement per call: psycopg 3 binds parameters on the server, where a statement with
        # parameters cannot hold several commands.
        conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS dbaudit_numbers (n bigint) ON COMMIT DROP"))
        conn.execute(text("TRUNCATE dbaudit_numbers"))
        conn.execute(
            text(
                "INSERT INTO dbaudit_numbers"
                " SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"
            ),
            {"seq": sequence, "n": count},
        )
        low, high, distinct = conn.execute(
            text("SELECT min(n), max(n), count(DISTINCT n) FROM dbaudit_numbers")
        ).one()
        if low is not None and high - low + 1 == count == distinct:
            return list(range(int(low), int(high) + 1))
        return [int(r[0]) for r in conn.execute(text("SELECT n FROM dbaudit_numbers ORDER BY n"))]

    def prefetch_ids(
        self, conn: Connection, wanted: Sequence[tuple[TableLike, str, int]]
    ) -> dict[tuple[str, str], list[int]]:
        """One round trip: ``nextval`` of each column's sequence (serial or identity), ``count`` times."""
        if not wanted:
            return {}
        format_table = conn.dialect.identifier_preparer.format_table
        result = conn.execute(
            text(
                "SELECT t.i, nextval(CAST(coalesce(t.seq, pg_get_serial_sequence(t.tbl, t.col)) AS regclass))"
                " FROM unnest(CAST(:seqs AS text[]), CAST(:tbls AS text[]), CAST(:cols AS text[]),"
                " CAST(:counts AS int[])) WITH ORDINALITY AS t(seq, tbl, col, c, i)"
                " CROSS JOIN LATERAL generate_series(1, t.c) AS g(n)"
            ),
            {
                "seqs": [table.sequences.get(column) for table, column, _n in wanted],
                "tbls": [format_table(table.sa) for table, _column, _n in wanted],
                "cols": [column for _table, column, _n in wanted],
                "counts": [n for _table, _column, n in wanted],
            },
        )
        drawn: dict[int, list[int]] = {}
        for index, value in result:
            if value is not None:
                drawn.setdefault(int(index), []).append(int(value))
        found = {}
        for index, (table, column, n) in enumerate(wanted, start=1):
            values = sorted(drawn.get(index, []))
            if len(values) == n:
                found[(table.key, column)] = values
        return found

    def insert_rows(
        self, conn: Connection, table: TableLike, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        size = CsvStream.CHUNK
        if len(rows) <= size:
            # One chunk: rendered here and sent from memory (no producer thread for a small table).
            converters = [pg_converter(table, c) for c in columns]
            payload = render_csv([list(c) for c in zip(*rows, strict=True)], converters)
            self._copy(conn, table, columns, io.BytesIO(payload))
            return
        chunks = ([list(c) for c in zip(*rows[i : i + size], strict=True)] for i in range(0, len(rows), size))
        self.insert_stream(conn, table, columns, chunks)

    def insert_stream(
        self,
        conn: Connection,
        table: TableLike,
        columns: Sequence[str],
        chunks: Iterable[list[list[Any]]],
    ) -> None:
        """One COPY fed chunk by chunk: while the server loads a chunk, the next one is produced."""
        converters = [pg_converter(table, c) for c in columns]
        self._copy(conn, table, columns, CsvStream(chunks, converters))

    def _copy(
        self, conn: Connection, table: TableLike, columns: Sequence[str], stream: CsvStream | io.BytesIO
    ) -> None:
        """``COPY table (columns) FROM STDIN`` reading CSV from ``stream``, through the driver's own COPY
        interface (psycopg2's ``copy_expert``, psycopg 3's ``cursor.copy()``); errors as SQLAlchemy's."""
        if conn.dialect.driver == "psycopg":
            _copy_psycopg(conn, table, columns, stream)
        else:
            _copy_psycopg2(conn, table, columns, stream)

    def insert_together(
        self, conn: Connection, parts: list[tuple[TableLike, Sequence[str], list[tuple[Any, ...]]]]
    ) -> None:
        """Insert every part in one statement (data-modifying CTEs): foreign keys are checked at its end."""
        parts = [p for p in parts if p[2]]
        if not parts:
            return
        *first, last = parts
        stmt = insert(last[0].sa).values([dict(zip(last[1], row, strict=False)) for row in last[2]])
        for index, (table, columns, rows) in enumerate(first):
            cte = (
                insert(table.sa)
                .values([dict(zip(columns, row, strict=False)) for row in rows])
                .cte(f"dbaudit_part_{index}")
            )
            stmt = stmt.add_cte(cte)
        conn.execute(stmt)

    def begin_session(self, conn: Connection) -> None:
        # Text forms the ledger compares must not depend on the session: one time zone, ISO dates, the
        # shortest exact float output, hex bytea.  Row-lock waits are bounded.
        conn.execute(
            text(
                "SELECT set_config('lock_timeout', :lock, true), set_config('TimeZone', 'UTC', true),"
                " set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true),"
                " set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true)"
            ),
            {"lock": f"{int(self.lock_timeout * 1000)}ms"},
        )

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        if not names:
            return {}
        rows = conn.execute(
            text(
                "SELECT n.nspname, c.relname, c.oid"
                " FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[]))"
                " AS w(s, t) JOIN pg_namespace n ON n.nspname = w.s"
                " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.t"
            ),
            {"schemas": [s for s, _n in names], "names": [n for _s, n in names]},
        )
        return {(str(s), str(n)): f"postgresql:oid={int(oid)}" for s, n, oid in rows}

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        prefix = "postgresql:oid="
        if not identity.startswith(prefix) or not identity[len(prefix) :].isdigit():
            return None
        row = conn.execute(
            text(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.oid = CAST(:oid AS oid)"
            ),
            {"oid": int(identity[len(prefix) :])},
        ).first()
        return (str(row[0]), str(row[1])) if row else None

    def key_text(self, column: Any, spec: ColumnLike) -> ColumnElement[Any]:
        if spec.kind == "json":
            return cast(cast(column, JSONB), Text)  # json keeps its input text; jsonb normalises it
        return cast(column, Text)

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        return cast(func.json_build_array(*items), Text)

    def json_item(self, expr: Any, index: int) -> ColumnElement[Any]:
        return func.jsonb_extract_path_text(cast(expr, JSONB), str(int(index)))

    def value_equal(self, column: Any, spec: ColumnLike, value: Any) -> ColumnElement[bool]:
        if value is None:
            return column.is_(None)  # type: ignore[no-any-return]
        if spec.kind == "json":
            return cast(column, JSONB) == cast(literal(json.dumps(value), Text), JSONB)
        if spec.kind == "float":
            # A real column compared with a double parameter widens the stored value: cast the parameter.
            return column == cast(literal(value, Float()), column.type)  # type: ignore[no-any-return]
        return column == bindparam(None, value, type_=column.type)  # type: ignore[no-any-return]

    def indexable_equal(
        self, column: Any, spec: ColumnLike, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        if spec.kind in ("int", "uuid", "date", "datetime", "decimal"):
            return column == cast(item, column.type)  # type: ignore[no-any-return]
        if spec.kind == "str":
            return column == item  # type: ignore[no-any-return]
        return None

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        if not tables:
            return []
        # Every schema, whatever the run audits; clones of a partitioned table's key (conparentid <> 0)
        # are covered by the key on the partitioned table.
        rows = conn.execute(
            text(
                "SELECT con.conname, cn.nspname, cc.relname, pn.nspname, pc.relname, con.confdeltype,"
                " ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)"
                "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos),"
                " ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)"
                "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.pos)"
                " FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS w(s, t)"
                " JOIN pg_namespace pn ON pn.nspname = w.s"
                " JOIN pg_class pc ON pc.relnamespace = pn.oid AND pc.relname = w.t"
                " JOIN pg_constraint con ON con.confrelid = pc.oid AND con.contype = 'f'"
                "  AND con.conparentid = 0"
                " JOIN pg_class cc ON cc.oid = coalesce(pg_partition_root(con.conrelid), con.conrelid)"
                " JOIN pg_namespace cn ON cn.oid = cc.relnamespace"
                " ORDER BY cn.nspname, cc.relname, con.conname"
            ),
            {"schemas": [s for s, _n in tables], "names": [n for _s, n in tables]},
        )
        actions = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        # A key declared on each partition of a table (not on the table) is reported once, on the table:
        # its rows are the partitions' rows.
        found: dict[tuple[Any, ...], Reference] = {}
        for name, cs, ct, ps, pt, action, cols, refs in rows:
            ref = Reference(
                schema=str(cs),
                table=str(ct),
                columns=tuple(cols),
                referred_schema=str(ps),
                referred_table=str(pt),
                referred=tuple(refs),
                name=str(name),
                ondelete=actions.get(str(action)),
            )
            found.setdefault(
                (ref.schema, ref.table, ref.columns, ref.referred_schema, ref.referred_table), ref
            )
        return list(found.values())

    counts_writes_per_table = True
    streams_bulk_load = True
    batches_ledger = True
    defers_deferrable_keys = True
    one_statement_cycles = True
    row_locator = ("tableoid", "ctid")
    """A partitioned table's rows are unique only as the pair."""

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[TableLike], event_name: str
    ) -> set[str]:
        if not tables:
            return set()
        # Trigger type bits: 4 INSERT, 8 DELETE; rules: ev_type '3' INSERT, '4' DELETE.
        bit, ev_type = (4, "3") if event_name == "INSERT" else (8, "4")
        by_name = {t.qualified: t.key for t in tables}
        rows = conn.execute(
            text(
                "SELECT w.s, w.t FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS w(s, t)"
                " JOIN pg_namespace n ON n.nspname = w.s"
                " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.t"
                # a partitioned table's partitions may have their own; pg_trigger is read by its tgrelid
                # index per table (an OR across both would scan it whole for each table)
                " WHERE EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal"
                "   AND g.tgenabled <> 'D' AND (g.tgtype & :bit) <> 0)"
                " OR (c.relkind = 'p' AND EXISTS (SELECT 1 FROM pg_partition_tree(c.oid) pt"
                "   JOIN pg_trigger g ON g.tgrelid = pt.relid WHERE NOT g.tgisinternal AND g.tgenabled <> 'D'"
                "   AND (g.tgtype & :bit) <> 0))"
                " OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.ev_type = :ev)"
            ),
            {
                "schemas": [s for s, _n in by_name],
                "names": [n for _s, n in by_name],
                "bit": bit,
                "ev": ev_type,
            },
        )
        return {by_name[(str(s), str(n))] for s, n in rows}

    def insert_trigger_bodies(self, conn: Connection, tables: Sequence[TableLike]) -> list[tuple[str, str]]:
        if not tables:
            return []
        by_name = {t.qualified: t.key for t in tables}
        rows = conn.execute(
            text(
                "SELECT n.nspname, c.relname, p.prosrc FROM pg_trigger g"
                " JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_proc p ON p.oid = g.tgfoid"
                " WHERE NOT g.tgisinternal AND g.tgenabled <> 'D' AND (g.tgtype & 4) <> 0"
                " AND n.nspname = ANY(CAST(:schemas AS text[]))"
            ),
            {"schemas": sorted({s for s, _n in by_name})},
        )
        return [(by_name[(str(s), str(t))], str(body)) for s, t, body in rows if (str(s), str(t)) in by_name]

    def effect_counters(self, conn: Connection, watch: Sequence[TableLike]) -> Any:
        # This transaction's own counts, per table (leaf partitions folded into their root).
        rows = conn.execute(
            text(
                "SELECT n.nspname, c.relname, sum(s.n_tup_ins), sum(s.n_tup_upd), sum(s.n_tup_del)"
                " FROM pg_stat_xact_user_tables s"
                " JOIN pg_class c ON c.oid = coalesce(pg_partition_root(s.relid), s.relid)"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE s.n_tup_ins > 0 OR s.n_tup_upd > 0 OR s.n_tup_del > 0 GROUP BY n.nspname, c.relname"
            )
        )
        return {(str(s), str(t)): (int(i), int(u), int(d)) for s, t, i, u, d in rows}

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[TableLike]
    ) -> Effects:
        effects = Effects()
        for name, (ins, upd, dele) in sorted(after.items()):
            was = before.get(name, (0, 0, 0))
            for counts, value in ((effects.inserted, ins - was[0]), (effects.updated, upd - was[1])):
                if value:
                    counts[name] = value
            if dele - was[2]:
                effects.deleted[name] = dele - was[2]
        return effects

    def new_rows_since(self, conn: Connection, before: Any, table: TableLike) -> ColumnElement[bool] | None:
        # Rows visible to this transaction whose inserting transaction is still in progress are this
        # transaction's own (other sessions' uncommitted rows are invisible).  xmin is 32 bits: the epoch
        # comes from the current transaction id.
        return literal_column(
            "pg_xact_status(CAST(CAST(((CAST(CAST(pg_current_xact_id() AS text) AS bigint) >> 32) << 32)"
            " | CAST(CAST(xmin AS text) AS bigint) AS text) AS xid8)) = 'in progress'"
        )


def _copy_psycopg2(
    conn: Connection, table: TableLike, columns: Sequence[str], stream: CsvStream | io.BytesIO
) -> None:
    import psycopg2
    from psycopg2 import sql

    raw: Any = conn.connection.driver_connection
    statement = _copy_statement(sql, table, columns).as_string(raw)
    with raw.cursor() as cursor:
        try:
            cursor.copy_expert(statement, stream, size=CsvStream.READ_SIZE)
        except psycopg2.Error as exc:
            stream.close()
            if isinstance(stream, CsvStream) and stream.failure is not None:
                # psycopg2 turns an exception raised while reading into a failed COPY: raise the original.
                raise stream.failure from exc
            if "error in .read() call" in str(exc):
                # Only a signal can escape read() unrecorded (Ctrl-C landing as the call starts).
                raise KeyboardInterrupt from exc
            lost = bool(conn.dialect.is_disconnect(exc, raw, cursor)) or raw.closed != 0
            raise _copy_error(conn, statement, exc, psycopg2.Error, lost) from exc


def _copy_psycopg(
    conn: Connection, table: TableLike, columns: Sequence[str], stream: CsvStream | io.BytesIO
) -> None:
    import psycopg
    from psycopg import pq, sql

    raw: Any = conn.connection.driver_connection
    statement = _copy_statement(sql, table, columns)
    try:
        with raw.cursor() as cursor:
            try:
                # The CSV text goes as it is (Copy.write): the same bytes psycopg2 reads from the stream.  An
                # exception while producing it ends the COPY with CopyFail, and psycopg 3 raises the original.
                with cursor.copy(statement) as copy:
                    while data := stream.read(CsvStream.READ_SIZE):
                        copy.write(data)
            except psycopg.Error as exc:
                failure: Any = exc
                lost = bool(conn.dialect.is_disconnect(failure, raw, cursor)) or bool(raw.closed)
                raise _copy_error(conn, statement.as_string(raw), exc, psycopg.Error, lost) from exc
    except BaseException as exc:
        status = pq.TransactionStatus
        # The states in which the session takes a next command (ROLLBACK); ACTIVE and UNKNOWN do not.
        settled = (status.IDLE, status.INTRANS, status.INERROR)
        if not isinstance(exc, DBAPIError) and raw.pgconn.transaction_status not in settled:
            # Interrupted inside libpq (Ctrl-C while the COPY was sending or waiting): the session still has
            # a command in progress and cannot even roll back, which would hide the interrupt behind "another
            # command is already in progress".  Closing it makes the server roll the transaction back.
            conn.invalidate(exc)
        raise
    finally:
        stream.close()  # stops the producer thread when the COPY failed half-way


def _copy_statement(sql: Any, table: TableLike, columns: Sequence[str]) -> Any:
    """The COPY statement composed with the driver's ``sql`` module (both drivers offer the same one)."""
    target = sql.Identifier(table.schema, table.name) if table.schema else sql.Identifier(table.name)
    return sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL {})").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Literal(NULL)
    )


def _copy_error(
    conn: Connection, statement: str, exc: Exception, error_class: type[Exception], lost: bool
) -> StatementError:
    """The driver's COPY error as the DBAPIError SQLAlchemy raises for its statements."""
    error = DBAPIError.instance(
        statement, None, exc, error_class, connection_invalidated=lost, dialect=conn.dialect
    )
    if lost:
        conn.invalidate(exc)
    return error


def sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of the server's error, whichever driver raised it: psycopg 3 names it ``sqlstate``,
    psycopg2 ``pgcode``; both also carry it in ``diag.sqlstate``."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code is None:
        code = getattr(getattr(orig, "diag", None), "sqlstate", None)
    return str(code) if code else None


def _lock_key(scope: str) -> int:
    """A signed 64-bit advisory-lock key for one database and schema."""
    import hashlib

    return int.from_bytes(hashlib.sha256(f"dbaudit:{scope}".encode()).digest()[:8], "big", signed=True)


_RANGE_KEY = re.compile(r"RANGE \((\w+)\)$")
_RANGE_BOUND = re.compile(r"FOR VALUES FROM \((.+)\) TO \((.+)\)$")


def _bound_value(value: str) -> Any:
    value = value.strip()
    if value.startswith("'") and value.endswith("'"):
        return value[1:-1]
    try:
        return int(value)
    except ValueError:
        return value
