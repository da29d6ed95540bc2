"""Scan results shaped for the templates: the ``dbaudit scan`` document, and section 2 of the report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbaudit.errors import ConfigError
from dbaudit.markdown import code, codes, prose
from dbaudit.model import (
    SCHEMA_VERSION,
    ScanResult,
    SeedSource,
    SourceKind,
    TableWrite,
    natural_sorted,
    to_dict,
)
from dbaudit.render.jsondoc import to_json
from dbaudit.render.templates import run_template

if TYPE_CHECKING:
    from dbaudit.model import Audit
    from dbaudit.render.options import RenderOptions

SCAN_FORMATS = ("md", "json")
_KIND_LABELS = {
    SourceKind.SCRIPT: "script",
    SourceKind.REVISION: "Alembic revision",
    SourceKind.SQL: "SQL file",
    SourceKind.FIXTURE: "fixture file",
}


def _table_label(write: TableWrite) -> str:
    return f"{write.schema}.{write.table}" if write.schema else write.table


def _populated(source: SeedSource) -> str:
    """``users, tags (conditional)``: tables in order of first write, conditional ones marked."""
    always = {_table_label(w) for w in source.writes if not w.conditional}
    labels = dict.fromkeys(_table_label(w) for w in source.writes)
    return ", ".join(label if label in always else f"{label} (conditional)" for label in labels)


def _source_title(source: SeedSource) -> str:
    if source.revision is not None:
        message = f": {source.revision.message}" if source.revision.message else ""
        return f"revision {source.revision.revision}{message}"
    return _KIND_LABELS[source.kind]


def scan_context(scan: ScanResult) -> dict[str, Any]:
    """Everything ``scan.md.j2`` lays out."""
    sources = []
    per_table: dict[str, list[str]] = {}
    for source in scan.sources:
        writes = []
        for write in source.writes:
            label = _table_label(write)
            writes.append(
                [
                    code(label),
                    code(write.location) if write.location else "",
                    write.recogniser,
                    "yes" if write.conditional else "no",
                ]
            )
            owners = per_table.setdefault(label, [])
            if source.path not in owners:
                owners.append(source.path)
        sources.append(
            {
                "path": source.path,
                "title": _source_title(source),
                "run_command": source.run_command,
                "writes": writes,
            }
        )
    revisions = [s for s in scan.sources if s.revision is not None]
    return {
        "root": scan.root,
        "files_scanned": scan.files_scanned,
        "sources": sources,
        "tables": [[code(t), codes(per_table[t])] for t in natural_sorted(per_table)],
        "heads": list(scan.revision_heads),
        "data_revisions": [
            [code(s.revision.revision), s.revision.message or "", code(s.path)]
            for s in revisions
            if s.revision
        ],
        "declared": len({(d.schema, d.table) for d in scan.declarations}),
        "findings": [
            {
                "severity": f.severity.value,
                "kind": f.kind,
                "message": prose(f.message),
                "location": str(f.location) if f.location else None,
            }
            for f in scan.findings
        ],
        "diagnostics": [
            {"message": d.message, "location": str(d.location) if d.location else None}
            for d in scan.diagnostics
        ],
    }


def render_scan(scan: ScanResult, fmt: str, template_dir: Path | None = None) -> str:
    """``dbaudit scan`` output: Markdown from ``scan.md.j2``, or JSON (the model plus ``schema_version``)."""
    if fmt == "json":
        return to_json({"schema_version": SCHEMA_VERSION, **to_dict(scan)})
    if fmt != "md":
        raise ConfigError(f"unknown format {fmt!r}", f"choose one of {', '.join(SCAN_FORMATS)}")
    return run_template("scan.md.j2", {"scan": scan_context(scan)}, template_dir)


def coverage_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """Section 2: one row per source that populates tables, then the coverage line."""
    if audit.scan is None and audit.coverage is None:
        return None
    rows = []
    outside_sources: dict[str, list[str]] = {}
    outside = set(audit.coverage.outside) if audit.coverage else set()
    for source in audit.scan.sources if audit.scan else ():
        if not source.writes:
            continue
        rows.append([code(source.name), code(source.folder or "./"), _populated(source)])
        for write in source.writes:
            label = _table_label(write)
            if label in outside:
                names = outside_sources.setdefault(label, [])
                if source.name not in names:
                    names.append(source.name)
    coverage = audit.coverage
    return {
        "rows": rows,
        "coverage": None
        if coverage is None
        else {
            "covered": len(coverage.covered),
            "total": coverage.application_tables,
            "percent": f"{coverage.percent:.0f}",
        },
        "outside": [
            {"table": table, "sources": codes(outside_sources.get(table, []))}
            for table in (coverage.outside if coverage else ())
        ],
    }
