"""What an insert did besides inserting the seeder's rows, and the ledger rows that record what it inserted.

Triggers and rules run inside the seeder's transaction: an ``AFTER INSERT`` trigger may update real rows of
another table, insert audit rows, or rewrite the row being inserted (its key, its mark).  Tables where that
can happen (the dialect says which: triggers, rules, SQLite ``ON CONFLICT REPLACE``) are watched: the
transaction's own write counters are read before and after the insert (PostgreSQL per table,
``pg_stat_xact_user_tables``; MariaDB the session's ``Handler_*`` counters; SQLite ``total_changes()``).
Anything beyond the rows sent rolls the table back to its savepoint and skips it (``trigger side effects``),
except rows inserted into other tables with ``--allow-trigger-inserts``, which are found and recorded in the
ledger like the seeder's own.  Every table's rows are then recorded as the server stored them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import literal, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbaudit import progress
from dbaudit.dialects import Dialect
from dbaudit.errors import SeedError
from dbaudit.seed import batch
from dbaudit.seed import ledger as ledger_mod
from dbaudit.seed.generate import TableRows, UnfillableTable
from dbaudit.seed.ledger import mark_condition
from dbaudit.seed.schema import SeedSchema, SeedTable, has_rows

SIDE_EFFECTS = "trigger side effects"
PENDING_TABLES = 200
"""Tables whose ledger rows (and, for small ones, their rows) are written together."""
BATCH_ROWS = 1_000
"""Tables of up to this many rows are inserted with their ledger rows, many to a statement; larger ones by
COPY."""
BATCH_VALUES = 50_000
"""Values (and keys) written by one statement at most."""


class NeedsSavepoints(Exception):
    """A table written without its own savepoint must be taken back: the attempt is rolled back whole."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"{table}: {reason}")
        self.table, self.reason = table, reason


def key_shape(table: SeedTable, written: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The columns that identify a seeded row of ``table`` and how the ledger records them.

    The primary key, else a unique key over NOT NULL columns, whose values the seeder wrote; a single integer
    column is recorded as ranges (``int``), other keys as the server's text (``text``).  Without such a key,
    every written column, and equal rows are told apart only by how many there are (``rows``).
    """
    candidates = [table.primary_key] if table.primary_key else []
    candidates += [
        u for u in table.uniques if all(c in table.columns and not table.columns[c].nullable for c in u)
    ]
    for key in candidates:
        if key and all(c in written for c in key):
            if len(key) == 1 and table.columns[key[0]].kind == "int":
                return tuple(key), "int"
            return tuple(key), "text"
    return tuple(c for c in written), "rows"


@dataclass
class InsertGuard:
    """Watches each table's insert inside its savepoint, then records the rows in the ledger."""

    conn: Connection
    dialect: Dialect
    schema: SeedSchema
    writer: ledger_mod.LedgerWriter
    allow_trigger_inserts: bool = False
    watched: set[str] = field(default_factory=set)
    identities: dict[tuple[str, str], str] = field(default_factory=dict)
    home: str = ""
    recorded: dict[tuple[str, str], list[tuple[int, str, tuple[str, ...]]]] = field(default_factory=dict)
    trigger_filled: dict[str, tuple[str, int]] = field(default_factory=dict)
    pending: list[tuple[ledger_mod.PendingSet, int]] = field(default_factory=list)
    pending_values: int = 0
    """Tables inserted without a savepoint whose rows are not recorded yet, with how many were inserted."""
    empty_at_start: set[str] = field(default_factory=set)
    totals: dict[str, SeedTable] = field(default_factory=dict)
    """Planned table key -> the module's table of totals it writes into, empty when the run began (FTS4)."""
    """Tables that held no row when the run began: every row of theirs the ledger does not hold is new."""
    """Table key -> (key of the table whose triggers inserted into it, rows they inserted), this run."""

    def prepare(self, planned: Sequence[SeedTable]) -> None:
        """One catalog read for every table the run plans to fill."""
        self.watched = self.dialect.tables_with_triggers(self.conn, list(planned), "INSERT")
        self.identities = self.dialect.table_identities(self.conn, [t.qualified for t in planned])
        self.home = self.dialect.default_schema(self.conn) or ""
        self.empty_at_start = {t.key for t in self.schema.tables.values() if not t.has_rows}
        module_totals = {
            schema: self.dialect.module_totals_tables(self.conn, schema)
            for schema in {t.schema for t in planned}
        }
        if not any(module_totals.values()):
            return  # no full-text table keeps totals here (every engine but SQLite's FTS4)
        by_name = {(t.qualified[0], t.name): t for t in self.schema.tables.values()}
        for table in planned:
            totals = module_totals[table.schema].get(table.name)
            found = by_name.get((table.qualified[0], totals)) if totals else None
            if found is not None and not has_rows(self.conn, found):
                # its first row is this run's doing: recorded with the table's rows (see _record_totals)
                self.totals[table.key] = found

    def shown(self, qualified: tuple[str, str]) -> str:
        return qualified[1] if qualified[0] == self.home else ".".join(qualified)

    def before(self, tables: Sequence[SeedTable]) -> tuple[list[SeedTable], Any] | None:
        """Counters before inserting ``tables``, when one of them is watched."""
        self._nothing_pending()
        if not any(t.key in self.watched for t in tables):
            return None
        if self.allow_trigger_inserts:
            watch = sorted(self.schema.tables.values(), key=lambda t: t.key)
        else:
            watch = list(tables)
        return watch, self.dialect.effect_counters(self.conn, watch)

    def after(
        self, before: tuple[list[SeedTable], Any] | None, made: Sequence[tuple[SeedTable, TableRows]]
    ) -> None:
        """Check what the insert of ``made`` did (raises :class:`UnfillableTable` to roll it back) and record
        its rows in the ledger."""
        self._nothing_pending()
        trigger_rows: list[tuple[SeedTable, ColumnElement[bool]]] = []
        if before is not None:
            trigger_rows = self._effects(before, made)
        for table, rows in made:
            self._record(table, rows, verify=before is not None)
        for target, where in trigger_rows:
            self._record_trigger_rows(target, where, made[0][0])
        for table, _rows in made:
            if table.key in self.totals:
                self._record_totals(table, self.totals[table.key])

    def insert_later(self, table: SeedTable, rows: TableRows) -> bool:
        """Leave the insert of ``table``'s rows (not watched, no savepoint) to the next :meth:`flush`, where
        it goes with other tables' and their ledger rows in one statement (``dbaudit.seed.batch``);
        ``False`` where it cannot (the caller inserts them now).

        Only for a table that was empty when the run began: generating a later table reads from the database
        only the tables that held rows then (existing parent keys, samples), so it never misses these rows
        while they wait; a table that held rows goes in at once, its rows read like the others."""
        if (
            not self.dialect.batches_ledger
            or table.has_rows
            or table.key in self.totals
            or rows.count > BATCH_ROWS
        ):
            return False
        entry = self._pending_entry(table, rows, with_values=True)
        if entry is None:
            return False
        self._add(entry, rows.count)
        return True

    def send_pending_rows(self) -> None:
        """Flush when rows wait to be inserted: the table the caller inserts next may point at them."""
        if any(entry.values is not None for entry, _count in self.pending):
            self.flush()

    def record_later(self, table: SeedTable, rows: TableRows) -> None:
        """Record the rows of ``table``, inserted without a savepoint and not watched, with other tables' at
        the next :meth:`flush` (where the dialect writes many tables' ledger at once; else now)."""
        if not self.dialect.batches_ledger or table.key in self.totals:
            self.flush()
            self.after(None, [(table, rows)])
            return
        entry = self._pending_entry(table, rows, with_values=False)
        if entry is None:
            self._record(table, rows, verify=False)
            return
        self._add(entry, rows.count)

    def _pending_entry(
        self, table: SeedTable, rows: TableRows, *, with_values: bool
    ) -> ledger_mod.PendingSet | None:
        marker = rows.marker
        key_columns, kind = key_shape(table, rows.columns)
        keys = rows.tuples(key_columns)
        content = self._content(table, marker, kind)
        if kind == "rows" or len(keys) > ledger_mod.ROW_KEY_CHUNK or table.qualified in self.recorded:
            return None
        if kind != "int" or content is not None:
            kind = "text"
        columns = tuple(rows.columns)
        return ledger_mod.PendingSet(
            table,
            self._identity(table),
            marker,
            key_columns,
            kind,
            content,
            keys,
            mark_condition(table.sa, marker),
            columns,
            rows.tuples(columns) if with_values else None,
        )

    def _add(self, entry: ledger_mod.PendingSet, count: int) -> None:
        if any(pending.table.qualified == entry.table.qualified for pending, _count in self.pending):
            self.flush()  # one set per table and statement: the sets are told apart by their table
        size = len(entry.columns) * len(entry.values or ()) + len(entry.keys)
        if self.pending and self.pending_values + size > BATCH_VALUES:
            self.flush()
        self.pending.append((entry, count))
        self.pending_values += size
        if len(self.pending) >= PENDING_TABLES:
            self.flush()

    def flush(self) -> None:
        """Insert the rows waiting to be inserted and write the pending tables' ledger rows.  A statement
        the server refuses, or a table whose rows are not all recorded as inserted, raises
        :class:`NeedsSavepoints`: written without a savepoint, the whole attempt goes back."""
        if not self.pending:
            return
        pending, self.pending, self.pending_values = self.pending, [], 0
        recording = [(entry, count) for entry, count in pending if entry.values is None]
        inserting = [(entry, count) for entry, count in pending if entry.values is not None]
        outcome: list[tuple[ledger_mod.PendingSet, int, int, int]] = []
        if recording:
            done = self.writer.record_sets([entry for entry, _count in recording])
            outcome += [
                (e, c, set_id, found) for (e, c), (set_id, found) in zip(recording, done, strict=True)
            ]
        if inserting:
            try:
                written = batch.write_batch(self.conn, self.dialect, self.writer, [e for e, _c in inserting])
            except DBAPIError as exc:
                if self.dialect.is_connection_lost(exc) or self.dialect.is_timeout(exc):
                    raise
                first = inserting[0][0].table.key
                raise NeedsSavepoints(
                    first, f"the server rejected a row: {self.dialect.describe_error(exc)}"
                ) from exc
            for (entry, count), (set_id, inserted, found) in zip(inserting, written, strict=True):
                if inserted != count:
                    raise NeedsSavepoints(entry.table.key, f"{inserted} of {count} rows inserted")
                outcome.append((entry, count, set_id, found))
                progress.advance(count)
        for entry, count, set_id, found in outcome:
            if found != count:
                raise NeedsSavepoints(
                    entry.table.key,
                    f"{SIDE_EFFECTS}: {count - found} of {count} rows are not stored as they were inserted",
                )
            self.recorded.setdefault(entry.table.qualified, []).append(
                (set_id, entry.key_kind, entry.key_columns)
            )

    def _nothing_pending(self) -> None:
        # Pending ledger rows written inside a table's savepoint would go with it if it is rolled back,
        # leaving earlier tables' rows unrecorded: the caller flushes before it opens a savepoint.
        if self.pending:
            raise RuntimeError("ledger rows pending when a table's savepoint opens")

    @staticmethod
    def _content(table: SeedTable, marker: dict[str, Any], kind: str) -> tuple[str, ...] | None:
        """Every column's text too, for a table whose rows carry no mark (a real row may reuse a key)."""
        if marker.get("kind") not in ("column", "prefix") and kind != "rows":
            return tuple(table.sa.c.keys())
        return None

    def _record_totals(self, table: SeedTable, totals: SeedTable) -> None:
        """The row of totals the module wrote on this run's first insert into ``table`` (empty before): purge
        deletes it once ``table`` holds no row again, else it stays (real rows are counted in it)."""
        if not has_rows(self.conn, totals) or self.writer.holds(totals) or len(totals.primary_key) != 1:
            return
        key = totals.sa.c[totals.primary_key[0]]
        ids = [int(i) for (i,) in self.conn.execute(select(key))]
        marker = {"kind": "totals-of", "table": table.name}
        set_id = self.writer.open_set(
            totals, self._identity(totals), marker, totals.primary_key, "int", None, trigger_rows=True
        )
        self.writer.add_ranges(set_id, ids)

    def _effects(
        self, before: tuple[list[SeedTable], Any], made: Sequence[tuple[SeedTable, TableRows]]
    ) -> list[tuple[SeedTable, ColumnElement[bool]]]:
        watch, counters = before
        after = self.dialect.effect_counters(self.conn, watch)
        effects = self.dialect.effects_between(self.conn, counters, after, watch)
        expected = {table.qualified: rows.count for table, rows in made}
        first = made[0][0]
        problems, extra = effects.beyond_insert(expected, self.shown)
        if problems:
            raise UnfillableTable(first.key, f"{SIDE_EFFECTS}: {'; '.join(problems)}")
        total = sum(extra.values()) if isinstance(extra, dict) else extra
        if not total:
            return []
        where_text = (
            ", ".join(f"{n} into {self.shown(q)}" for q, n in sorted(extra.items()))
            if isinstance(extra, dict)
            else f"{total} rows into other tables{self._named_in_triggers(made)}"
        )
        if not self.allow_trigger_inserts:
            raise UnfillableTable(
                first.key,
                f"{SIDE_EFFECTS}: its triggers insert {where_text} (--allow-trigger-inserts lets them in)",
            )
        return self._find_trigger_rows(counters, extra, {t.key for t, _r in made}, first)

    def _named_in_triggers(self, made: Sequence[tuple[SeedTable, TableRows]]) -> str:
        """The tables the triggers' text inserts into, where the counters cannot say which."""
        names = sorted(
            {self.schema.tables[k].name for t, _r in made for k in self.schema.trigger_fills.get(t.key, ())}
        )
        return f" ({', '.join(names)}, by their text)" if names else ""

    def _find_trigger_rows(
        self, counters: Any, extra: dict[tuple[str, str], int] | int, members: set[str], first: SeedTable
    ) -> list[tuple[SeedTable, ColumnElement[bool]]]:
        found = self._trigger_rows(counters, extra, members, first)
        for target, _where in found:
            if target.excluded:
                raise UnfillableTable(
                    first.key,
                    f"{SIDE_EFFECTS}: its triggers insert into {target.key}, which is excluded "
                    "(--include/--exclude: dbaudit never writes it)",
                )
        return found

    def _trigger_rows(
        self, counters: Any, extra: dict[tuple[str, str], int] | int, members: set[str], first: SeedTable
    ) -> list[tuple[SeedTable, ColumnElement[bool]]]:
        by_name = {t.qualified: t for t in self.schema.tables.values()}
        found: list[tuple[SeedTable, ColumnElement[bool]]] = []
        if isinstance(extra, dict):
            for qualified, count in sorted(extra.items()):
                target = by_name.get(qualified)
                if target is None:
                    raise UnfillableTable(
                        first.key,
                        f"{SIDE_EFFECTS}: its triggers insert into {self.shown(qualified)}, which this run "
                        "does not reflect (add its schema with --schema)",
                    )
                where = self._new_rows(counters, target)
                if where is None or self._count(target, where) != count:
                    raise UnfillableTable(
                        first.key,
                        f"{SIDE_EFFECTS}: cannot tell which rows its triggers inserted into {target.key}",
                    )
                found.append((target, where))
            return found
        total = 0
        for target in sorted(self.schema.tables.values(), key=lambda t: t.key):
            if target.key in members:
                continue
            where = self._new_rows(counters, target)
            if where is None:
                continue
            count = self._count(target, where)
            if count:
                found.append((target, where))
                total += count
        if total != extra:
            raise UnfillableTable(
                first.key,
                f"{SIDE_EFFECTS}: its triggers wrote {extra} rows, {total} of them found as new rows of "
                "other tables (the rest updated or deleted rows, or went where they cannot be traced)",
            )
        return found

    def _new_rows(self, counters: Any, target: SeedTable) -> ColumnElement[bool] | None:
        where = self.dialect.new_rows_since(self.conn, counters, target)
        if where is None:
            if target.key not in self.empty_at_start:
                return None
            # No auto-numbered key to tell new rows by (MariaDB's sakila film_text, keyed by film_id), but
            # the table was empty: its rows the ledger does not hold yet are the ones just inserted.  The
            # caller still checks they add up to the session's own write count.
            where = true()
        for set_id, kind, key_columns in self.recorded.get(target.qualified, []):
            entry = self.writer.tables.rows
            match = ledger_mod.key_match(self.dialect, target, entry, kind, key_columns)
            seen = select(literal(1)).select_from(entry).where(entry.c.set_id == set_id, match).exists()
            where = where & ~seen
        return where

    def _count(self, target: SeedTable, where: ColumnElement[bool]) -> int:
        from sqlalchemy import func

        stmt = select(func.count()).select_from(target.sa).where(where)
        return int(self.conn.execute(target.restrict(stmt)).scalar() or 0)

    def _identity(self, table: SeedTable) -> str:
        if table.qualified not in self.identities:
            self.identities.update(self.dialect.table_identities(self.conn, [table.qualified]))
        identity = self.identities.get(table.qualified)
        if identity is None:
            raise SeedError(
                f"the server does not know table {table.key} by its name", "nothing was committed"
            )
        return identity

    def _record(self, table: SeedTable, rows: TableRows, *, verify: bool) -> None:
        marker = rows.marker
        key_columns, kind = key_shape(table, rows.columns)
        content = self._content(table, marker, kind)
        identity = self._identity(table)
        writer = self.writer
        keys = rows.tuples(key_columns)
        if kind == "rows":
            set_id = writer.open_set(table, identity, marker, key_columns, kind, None)
            found = writer.add_multiset(set_id, table, key_columns, keys, mark_condition(table.sa, marker))
            if found != rows.count:
                # A row not found again as inserted (a JSON column given None stores the JSON text null, a
                # trigger rewrote a value) would be a mock row no ledger entry points at: purge could never
                # take it out.  The table is rolled back instead.
                raise UnfillableTable(
                    table.key,
                    f"{SIDE_EFFECTS}: {rows.count - found} of {rows.count} rows are not stored as they were "
                    "inserted (a trigger, a rule or a type changed a value), and the table has no key",
                )
        elif kind == "int" and not verify and content is None:
            set_id = writer.open_set(table, identity, marker, key_columns, kind, None)
            writer.add_ranges(set_id, [k[0] for k in keys])
        else:
            # Read back as stored: the server's text of each key (a trigger or a type may have changed
            # it), and only rows that still carry the mark.
            kind = "text"
            set_id = writer.open_set(table, identity, marker, key_columns, kind, content)
            found = writer.copy_rows(
                set_id, table, key_columns, keys, content, mark_condition(table.sa, marker)
            )
            if found != rows.count:
                raise UnfillableTable(
                    table.key,
                    f"{SIDE_EFFECTS}: {rows.count - found} of {rows.count} rows are not stored as they were "
                    "inserted (a trigger or rule changed their key or their mark)",
                )
        self.recorded.setdefault(table.qualified, []).append((set_id, kind, key_columns))

    def _record_trigger_rows(self, target: SeedTable, where: ColumnElement[bool], source: SeedTable) -> None:
        written = tuple(target.sa.c.keys())
        key_columns, kind = key_shape(target, written)
        if kind == "int":
            kind = "text"
        content = written if kind != "rows" else None
        set_id = self.writer.open_set(
            target, self._identity(target), {"kind": "ledger"}, key_columns, kind, content, trigger_rows=True
        )
        count = self.writer.copy_where(set_id, target, key_columns, content, where)
        self.recorded.setdefault(target.qualified, []).append((set_id, kind, key_columns))
        was = self.trigger_filled.get(target.key, (source.key, 0))
        self.trigger_filled[target.key] = (was[0], was[1] + count)
