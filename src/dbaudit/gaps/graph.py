"""The foreign-key graph of a snapshot's application tables, and how to break its cycles.

Tables are named as the report names them (:meth:`dbaudit.model.DatabaseSnapshot.name_of`): ``schema.name``
when the audit covers several schemas, else the bare name.  A foreign key is *required* when every one of its
columns is NOT NULL: a row of the child cannot exist before a row of the parent.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbaudit.model import DatabaseSnapshot, ForeignKey, TableState, TableStatus


@dataclass(frozen=True)
class Edge:
    """A foreign key from ``child`` to ``parent`` (both report names)."""

    child: str
    parent: str
    columns: tuple[str, ...]
    required: bool
    deferrable: bool = False

    def label(self) -> str:
        """``child.col -> parent``, the way a reader names a foreign key."""
        cols = ", ".join(self.columns)
        return f"{self.child}.{cols} -> {self.parent}"


def report_names(snapshot: DatabaseSnapshot) -> dict[str, TableState]:
    """Application tables by the name the audit gives them (:meth:`DatabaseSnapshot.name_of`)."""
    return {snapshot.name_of(s.ref): s for s in snapshot.tables if s.is_application}


class SchemaGraph:
    """Foreign keys between the application tables of one snapshot."""

    def __init__(self, snapshot: DatabaseSnapshot) -> None:
        self.tables: dict[str, TableState] = report_names(snapshot)
        by_key = {(s.table.schema, s.table.name): name for name, s in self.tables.items()}
        self.edges: list[Edge] = []
        for name, state in self.tables.items():
            table = state.table
            for fk in table.foreign_keys:
                parent = by_key.get((fk.referred_schema or table.schema, fk.referred_table))
                if parent is None:
                    parent = by_key.get((table.schema, fk.referred_table))
                if parent is None:
                    continue
                self.edges.append(
                    Edge(name, parent, fk.columns, _required(state, fk), deferrable=fk.deferrable)
                )
        self._index()
        self.by_bare_name: dict[str, list[str]] = {}
        for name, state in self.tables.items():
            self.by_bare_name.setdefault(state.table.name, []).append(name)

    def parents(self, table: str, *, required_only: bool = False) -> tuple[str, ...]:
        """Parent tables of ``table`` (without itself), in foreign-key order, without repeats."""
        index = self._required_parents if required_only else self._parents
        return index.get(table, ())

    def children(self, table: str) -> tuple[str, ...]:
        return self._children.get(table, ())

    def neighbours(self, table: str) -> set[str]:
        return set(self.parents(table)) | set(self.children(table))

    def _index(self) -> None:
        parents: dict[str, dict[str, None]] = {}
        required: dict[str, dict[str, None]] = {}
        children: dict[str, dict[str, None]] = {}
        for e in self.edges:
            if e.child == e.parent:
                continue
            parents.setdefault(e.child, {})[e.parent] = None
            children.setdefault(e.parent, {})[e.child] = None
            if e.required:
                required.setdefault(e.child, {})[e.parent] = None
        self._parents = {k: tuple(v) for k, v in parents.items()}
        self._required_parents = {k: tuple(v) for k, v in required.items()}
        self._children = {k: tuple(v) for k, v in children.items()}

    def status(self, table: str) -> TableStatus:
        return self.tables[table].status


def _required(state: TableState, fk: ForeignKey) -> bool:
    columns = [state.table.column(c) for c in fk.columns]
    return bool(columns) and all(c is not None and not c.nullable for c in columns)
