"""What kind of table a gap is, because each kind calls for different advice.

- ``reference``: a catalogue other tables point at and that needs no parent (questions, parameters,
  permissions, pricing, types, statuses...): best shipped as a data-only Alembic revision.
- ``association``: a link table between existing rows (two or more foreign keys and little else).
- ``log``: logs and audit trails: back-fill a few events.
- ``soft-delete``: a table of deleted items: an optional sample row.
- ``domain``: everything else.

``extend`` (a table whose parents an existing script already seeds) depends on the code, not the table, and
is decided by the recommender.
"""

from __future__ import annotations

import functools
import re

from dbaudit.gaps.graph import SchemaGraph

REFERENCE = "reference"
ASSOCIATION = "association"
LOG = "log"
SOFT_DELETE = "soft-delete"
EXTEND = "extend"
DOMAIN = "domain"

#: Name words of lookup and catalogue tables.
REFERENCE_WORDS = frozenset(
    " ".join(
        (
            "question parameter permission pricing price prices rate tariff type types kind",
            "category categories status statuses state country countries language languages",
            "currency currencies locale role roles setting settings config configuration",
            "catalog catalogue lookup code codes level levels tier tiers template templates",
            "option options unit units genre genres media",
        )
    ).split()
)
_LOG_NAME = re.compile(r"(^|_)(log|logs|audit|audits|history|histories|events|trail|trails|journal)($|_)")
_SOFT_DELETE_NAME = re.compile(r"(^|_)(deleted|soft_deleted|trash|trashed|recycle|recycled|tombstones?)($|_)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[_\W]+")
#: Columns that carry no payload of their own: keys, timestamps, markers.
_PLUMBING = re.compile(
    r"^(id|uuid|created_at|updated_at|created_on|updated_on|last_update|created|modified|is_mock)$"
)


def words(name: str) -> list[str]:
    """The words of a table name (``asset_dependencies`` -> ``asset``, ``dependencies``)."""
    return list(_words(name))


@functools.lru_cache(maxsize=65_536)
def _words(name: str) -> tuple[str, ...]:
    # The gap analysis asks for the words of the same names many times over (grouping, naming, ordering).
    bare = _CAMEL.sub("_", name.rsplit(".", 1)[-1])
    return tuple(w for w in _SEPARATORS.split(bare.lower()) if w)


def singular(word: str) -> str:
    """A rough singular, enough to match ``imports`` with ``import`` and ``summaries`` with ``summary``."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def classify(
    graph: SchemaGraph,
    table: str,
    tenant_columns: tuple[str, ...] = (),
    revision_tables: frozenset[str] = frozenset(),
) -> str:
    """The archetype of ``table``: ``reference``, ``association``, ``log``, ``soft-delete`` or ``domain``.

    ``revision_tables`` are tables Alembic revisions already fill: a catalogue whose required parents are all
    among them can still ship as a revision.
    """
    name = "_".join(words(table))
    if _LOG_NAME.search(name):
        return LOG
    if _SOFT_DELETE_NAME.search(name):
        return SOFT_DELETE
    if is_association(graph, table, tenant_columns):
        return ASSOCIATION
    if is_reference(graph, table, revision_tables):
        return REFERENCE
    return DOMAIN


def is_reference(graph: SchemaGraph, table: str, revision_tables: frozenset[str] = frozenset()) -> bool:
    """Named like a catalogue, or shaped like a lookup table other tables point at; no required parent that a
    data revision could not rely on."""
    required = graph.parents(table, required_only=True)
    if any(p not in revision_tables for p in required):
        return False
    if any(w in REFERENCE_WORDS or singular(w) in REFERENCE_WORDS for w in words(table)):
        return True
    return not required and bool(graph.children(table)) and _looks_like_lookup(graph, table)


def _looks_like_lookup(graph: SchemaGraph, table: str) -> bool:
    """A key and one or two descriptive columns, with no foreign key at all."""
    t = graph.tables[table].table
    if t.foreign_keys:
        return False
    payload = [c for c in t.columns if c.name not in t.primary_key and not _PLUMBING.match(c.name)]
    return 0 < len(payload) <= 1


#: Columns a link table may carry besides its keys: what kind of link, since when, by whom, in which order.
_LINK_ATTRIBUTE = re.compile(
    r"((^|_)(type|kind|role|level|scope|position|order|rank|weight|priority|status|permission|access|note)$)"
    r"|(^(is|has)_)|(_(at|on|date|by)$)"
)


def is_association(graph: SchemaGraph, table: str, tenant_columns: tuple[str, ...] = ()) -> bool:
    """A link table: its key made of foreign keys, or two foreign keys to other tables and nothing but link
    attributes besides (a type, a level, a timestamp), with no table pointing at it.

    A tenant foreign key does not count: every tenant-scoped table has one.
    """
    t = graph.tables[table].table
    fks = [fk for fk in t.foreign_keys if fk.referred_table != t.name]
    fk_columns = {c for fk in fks for c in fk.columns}
    if len({fk.columns for fk in fks}) >= 2 and t.primary_key and set(t.primary_key) <= fk_columns:
        return True
    tenant = set(tenant_columns)
    data_fks = {fk.columns for fk in fks if not set(fk.columns) <= tenant}
    if len(data_fks) < 2 or graph.children(table):
        return False
    payload = [
        c
        for c in t.columns
        if c.name not in fk_columns
        and c.name not in t.primary_key
        and c.name not in tenant
        and not _PLUMBING.match(c.name)
        and not _LINK_ATTRIBUTE.search(c.name)
    ]
    return not payload
