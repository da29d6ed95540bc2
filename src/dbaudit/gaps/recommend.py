"""Section 3: one recommendation per group of gaps, with the advice its kind of table calls for."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from dbaudit.gaps import classify as kinds
from dbaudit.gaps.convention import Convention
from dbaudit.gaps.domains import Domain
from dbaudit.gaps.graph import SchemaGraph
from dbaudit.markdown import code, codes
from dbaudit.model import Recommendation, ScanResult, SeedSource, SourceKind, TableStatus


@dataclass(frozen=True)
class Draft:
    """A recommendation before its prerequisites are known (they may point at other drafts)."""

    domain: str
    tables: tuple[str, ...]
    archetype: str
    seeder: str
    folder: str | None
    extends: str | None = None


def draft_recommendations(
    domains: Sequence[Domain],
    graph: SchemaGraph,
    archetypes: dict[str, str],
    scan: ScanResult | None,
    convention: Convention,
    tenant_columns: tuple[str, ...] = (),
) -> list[Draft]:
    """Split each domain into its reference catalogue and the rest, and name a seeder for each part."""
    drafts: list[Draft] = []
    used: set[str] = set()

    def unique(name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        candidate, n = name, 2
        while candidate in used:
            candidate = f"{stem}_{n}{dot}{ext}" if dot else f"{name}_{n}"
            n += 1
        used.add(candidate)
        return candidate

    for domain in domains:
        reference = tuple(t for t in domain.tables if archetypes[t] == kinds.REFERENCE)
        rest = tuple(t for t in domain.tables if archetypes[t] != kinds.REFERENCE)
        if reference:
            seeder = unique(f"seed_{domain.name}_reference_data")
            drafts.append(Draft(domain.name, reference, kinds.REFERENCE, seeder, convention.revision_folder))
        if not rest:
            continue
        shared = {archetypes[t] for t in rest}
        archetype = shared.pop() if len(shared) == 1 else kinds.DOMAIN
        extends = None
        if archetype in (kinds.DOMAIN, kinds.ASSOCIATION):  # logs and soft deletes keep their own advice
            extends = _extendable(rest, graph, scan, tenant_columns)
        if extends is not None:
            # the existing script's own name: several domains may extend the same script
            drafts.append(Draft(domain.name, rest, kinds.EXTEND, extends.name, extends.folder, extends.path))
            continue
        seeder = unique(convention.script_name(domain.name))
        drafts.append(Draft(domain.name, rest, archetype, seeder, convention.folder))
    return drafts


def _extendable(
    tables: tuple[str, ...], graph: SchemaGraph, scan: ScanResult | None, tenant_columns: tuple[str, ...]
) -> SeedSource | None:
    """The one existing seed script that writes every parent of these tables, if there is one.

    Only for a table or two that hang off the script's own rows: each must have a required foreign key, other
    than a tenant column, to a table the script writes (``asset_dependencies`` of ``assets``).  A new entity
    that only carries tenant columns (``migrations``) deserves its own seeder.
    """
    if scan is None or len(tables) > 2:
        return None
    own = set(tables)
    parents = {p for t in tables for p in graph.parents(t)} - own
    if not parents:
        return None
    for source in scan.sources:
        written = set(source.tables)
        hanging = all(_hangs_off(t, written, graph, tenant_columns) for t in tables)
        if source.kind is SourceKind.SCRIPT and parents <= written and hanging:
            return source
    return None


def _hangs_off(table: str, written: set[str], graph: SchemaGraph, tenant_columns: tuple[str, ...]) -> bool:
    state = graph.tables[table]
    for fk in state.table.foreign_keys:
        if set(fk.columns) <= set(tenant_columns) or fk.referred_table not in written:
            continue
        if all((c := state.table.column(name)) is not None and not c.nullable for name in fk.columns):
            return True
    return False


def finish(
    drafts: Sequence[Draft],
    graph: SchemaGraph,
    archetypes: dict[str, str],
    scan: ScanResult | None,
    tenant_columns: tuple[str, ...],
) -> tuple[Recommendation, ...]:
    """Add prerequisites, tenancy and the advice text to each draft."""
    recommended = {t: d.seeder for d in drafts for t in d.tables}
    out = []
    for draft in drafts:
        own = set(draft.tables)
        requires = tuple(
            dict.fromkeys(
                p
                for t in draft.tables
                for p in graph.parents(t, required_only=True)
                if p not in own and graph.status(p) is TableStatus.EMPTY
            )
        )
        providers: list[str] = []
        for parent in requires:
            if parent in recommended:
                providers.append(recommended[parent])
            elif scan is not None:
                providers.extend(s.name for s in scan.sources_for(parent))
        provided_by = tuple(dict.fromkeys(providers))
        tenant = tuple(
            c
            for c in tenant_columns
            if any(graph.tables[t].table.column(c) is not None for t in draft.tables)
        )
        text = _advice(draft, graph, archetypes)
        if requires:
            text += " " + _requirement(requires, requires_by=provided_by)
        if tenant:
            text += f" Scope rows to an existing tenant ({codes(tenant)})."
        out.append(
            Recommendation(
                tables=draft.tables,
                seeder=draft.seeder,
                text=text,
                archetype=draft.archetype,
                domain=draft.domain,
                requires=requires,
                provided_by=provided_by,
                folder=draft.folder,
                tenant_scoped=bool(tenant),
            )
        )
    return tuple(out)


def _names(tables: Sequence[str], joiner: str = ", ") -> str:
    quoted = [code(t) for t in tables]
    if len(quoted) <= 1 or joiner != ", ":
        return joiner.join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _existing_parents(draft: Draft, graph: SchemaGraph) -> list[str]:
    own = set(draft.tables)
    return [
        p
        for p in dict.fromkeys(p for t in draft.tables for p in graph.parents(t))
        if p not in own and graph.status(p) is TableStatus.POPULATED
    ]


def _advice(draft: Draft, graph: SchemaGraph, archetypes: dict[str, str]) -> str:
    seeder = code(draft.seeder)
    tables = _names(draft.tables)
    parents = _existing_parents(draft, graph)
    linked = f", linked to existing {_names(parents)} rows" if parents else ""
    if draft.archetype == kinds.REFERENCE:
        noun = "catalogue" if len(draft.tables) == 1 else "catalogues"
        return (
            f"Create a data-only Alembic revision ({code(_revision_command(draft.seeder))}) to insert the "
            f"{tables} {noun}, so every environment has {'it' if len(draft.tables) == 1 else 'them'}."
        )
    if draft.archetype == kinds.EXTEND:
        verb = "link" if all(archetypes[t] == kinds.ASSOCIATION for t in draft.tables) else "add"
        what = f"rows to {tables}" if verb == "add" else f"its existing {_names(parents)} rows in {tables}"
        tail = f" from its existing {_names(parents)} rows" if verb == "add" and parents else ""
        return f"Extend {seeder} to {verb} {what}{tail}."
    if draft.archetype == kinds.ASSOCIATION:
        pairs = f"existing {_names(parents)} rows" if parents else "existing rows"
        return f"{seeder} – link {pairs} in {tables} (a few distinct pairs)."
    if draft.archetype == kinds.LOG:
        return f"{seeder} – back-fill a few events in {tables}, ordered in time{linked}."
    if draft.archetype == kinds.SOFT_DELETE:
        return (
            f"Optional: {seeder} – insert a sample soft-deleted row in {tables} to exercise restoration "
            "workflows."
        )
    text = f"{seeder} – generate sample {tables} rows{linked}"
    extras = []
    logs = [t for t in draft.tables if archetypes[t] == kinds.LOG]
    links = [t for t in draft.tables if archetypes[t] == kinds.ASSOCIATION]
    deleted = [t for t in draft.tables if archetypes[t] == kinds.SOFT_DELETE]
    if logs:
        extras.append(f"back-fill a few events in {_names(logs)}")
    if links:
        extras.append(f"link existing rows in {_names(links)}")
    if deleted:
        extras.append(f"optionally a sample soft-deleted row in {_names(deleted)}")
    if extras:
        text += "; " + "; ".join(extras)
    return text + "."


def _revision_command(message: str) -> str:
    """``alembic revision -m "message"``, quoted for the shell when the message needs more than that."""
    quoted = f'"{message}"' if shlex.quote(message) == message else shlex.quote(message)
    return f"alembic revision -m {quoted}"


def _requirement(requires: Sequence[str], requires_by: Sequence[str]) -> str:
    text = f"Requires at least one row in {_names(requires)}"
    if requires_by:
        text += f" (provided by {_names(requires_by)})"
    return text + "."
