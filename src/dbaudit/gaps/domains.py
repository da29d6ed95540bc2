"""Group the gaps into domains: tables that belong together get one seeder.

Two rules, in this order:

1. **Names.** Audit trails (any table with ``audit`` in its name) form one domain.  Other tables sharing a
   significant word of their names (``sixr_questions`` and ``cmdb_sixr_analyses``; ``data_imports`` and
   ``import_field_mappings``) are joined.  Generic words (``data``, ``raw``, ``log``, ``summary``...) join
   nothing.
2. **Foreign keys.** A table left alone by its name joins the one named group it is linked to by a foreign
   key, when there is exactly one (``mapping_learning_patterns`` next to the import tables) and it does not
   hang off rows that exist already (``assessments`` of existing ``assets`` stay apart).

A domain is named after the word its members share most, or after its only table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from dbaudit.gaps.classify import singular, words
from dbaudit.gaps.graph import SchemaGraph
from dbaudit.model import TableStatus

AUDIT_DOMAIN = "audit_logs"

#: Words that say little about which part of the application a table belongs to.
GENERIC_WORDS = frozenset(
    " ".join(
        (
            "data raw enhanced custom new old tmp temp base core app main default extra misc",
            "general common log summary item record detail info step type status entry event",
            "history session progress result value field line link map tag note meta id table",
            "list set group by of to and the s t x",
        )
    ).split()
)


@dataclass(frozen=True)
class Domain:
    name: str
    tables: tuple[str, ...]


class _Union:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for item in self.parent:
            out.setdefault(self.find(item), []).append(item)
        return out


def significant_words(table: str) -> list[str]:
    return [w for w in (singular(w) for w in words(table)) if w not in GENERIC_WORDS and len(w) > 1]


def group_domains(
    tables: Iterable[str], graph: SchemaGraph, tenant_columns: tuple[str, ...] = ()
) -> list[Domain]:
    """Partition ``tables`` into domains; every table lands in exactly one.  Order follows ``tables``."""
    order = list(dict.fromkeys(tables))
    audit = [t for t in order if any(singular(w) == "audit" for w in words(t))]
    rest = [t for t in order if t not in audit]

    union = _Union(rest)
    owner: dict[str, str] = {}
    for table in rest:
        for word in significant_words(table):
            if word in owner:
                union.join(owner[word], table)
            else:
                owner[word] = table
    groups = union.groups()

    # a table alone by name joins the single named group its foreign keys link it to
    named = {root: members for root, members in groups.items() if len(members) > 1}
    member_of = {t: root for root, members in named.items() for t in members}
    for root, members in list(groups.items()):
        if len(members) != 1:
            continue
        table = members[0]
        linked = {member_of[n] for n in graph.neighbours(table) if n in member_of}
        if len(linked) == 1 and not _hangs_off_existing_rows(table, graph, tenant_columns):
            target = linked.pop()
            named[target].append(members[0])
            del groups[root]

    domains = [Domain(_name(members), tuple(members)) for members in groups.values()]
    if audit:
        domains.append(Domain(AUDIT_DOMAIN, tuple(audit)))
    position = {t: i for i, t in enumerate(order)}
    domains.sort(key=lambda d: min(position[t] for t in d.tables))
    return [Domain(d.name, tuple(sorted(d.tables, key=position.__getitem__))) for d in domains]


def _hangs_off_existing_rows(table: str, graph: SchemaGraph, tenant_columns: tuple[str, ...]) -> bool:
    """A foreign key (other than a tenant column) points at a populated table: it belongs with that data."""
    t = graph.tables[table].table
    return any(
        not set(fk.columns) <= set(tenant_columns)
        and any(
            graph.status(p) is TableStatus.POPULATED for p in graph.by_bare_name.get(fk.referred_table, ())
        )
        for fk in t.foreign_keys
    )


def _name(members: list[str]) -> str:
    """A name fit for a file name: the shared word, or the only table's words (``table`` if it has none)."""
    if len(members) == 1:
        return "_".join(words(members[0])) or "table"
    counts = Counter(w for t in members for w in dict.fromkeys(significant_words(t)))
    first = {significant_words(t)[0] for t in members if significant_words(t)}
    best = max(counts.items(), key=lambda kv: (kv[1], kv[0] in first, -len(kv[0]), kv[0]))
    return best[0] if best[1] > 1 else "_".join(words(members[0])) or "table"
