"""Sections 3 (gap analysis), 4 (next steps), 6 (execution order) and the findings, shaped for the templates.

Each ``*_context(audit, options)`` returns the plain data its template lays out, or ``None`` to leave the
section out.  All wording that depends on the data is decided here, so the templates stay dumb; it is
:class:`~dbaudit.render.inline.Inline` content, which the Markdown and the HTML templates both lay out.
Everything comes from the model: the execution order's rationale was decided when the order was planned.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dbaudit.markdown import code, fence, one_line
from dbaudit.model import Audit, ExecutionStep, Finding, Severity, SourceKind
from dbaudit.render.inline import Code, Inline, Part, Prose, Strong, codes

if TYPE_CHECKING:
    from dbaudit.render.options import RenderOptions

REFERENCE = "reference"
EXTEND = "extend"

FINDING_TITLES: dict[str, str] = {
    "seeded-but-empty": "Seeded but empty",
    "stale-reference": "Sources writing tables the database does not have",
    "unknown-table": "Sources writing tables the database does not have",
    "conditional-seed": "Conditional seeds",
    "duplicate-declaration": "Duplicate table declarations",
    "unresolved-name": "Table names the scanner could not resolve",
    "unreadable": "Unreadable tables",
    "fk-cycle": "Foreign-key cycles",
    "seeder-cycle": "Seeders that depend on each other",
}
SEVERITY_ICONS = {Severity.ERROR: "⛔", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


# ------------------------------------------------------------------------------------------------------------
# Section 3


def marker_phrase(marker: str | None) -> Inline | None:
    """``is_mock = TRUE + MOCK: prefix`` -> ``\\`is_mock = TRUE\\` and a \\`MOCK:\\` name prefix``."""
    if not marker:
        return None
    return Inline(*_marker_parts(marker))


def _marker_parts(marker: str) -> list[Part]:
    parts: list[Part] = []
    for index, part in enumerate(marker.split(" + ")):
        if index:
            parts.append(" and ")
        if part.endswith(" prefix"):
            parts += ["a ", Code(part[: -len(" prefix")]), " prefix"]
        else:
            parts.append(Code(part))
    return parts


def guidance_lines(audit: Audit) -> list[Inline]:
    """The numbered *Implementation Guidance* under the gap table, from what the existing seeders do."""
    guidance, recs = audit.guidance, audit.recommendations
    if guidance is None:
        return []
    pattern = guidance.pattern_source
    if pattern is None and audit.scan is not None:
        pattern = next((s.path for s in audit.scan.sources if s.kind is SourceKind.SCRIPT and s.writes), None)
    lines = []
    reference = [t for r in recs if r.archetype == REFERENCE for t in r.tables]
    revisions: list[Part] = (
        [
            ' or create small Alembic "data-only" revisions for immutable reference data (e.g. ',
            *codes(reference[:2]),
            ")",
        ]
        if reference
        else []
    )
    if pattern:
        name = pattern.rsplit("/", 1)[-1]
        style = f" ({guidance.session_style})" if guidance.session_style else ""
        lines.append(Inline("Follow the existing ", Code(name), f" pattern{style}", *revisions, "."))
    else:
        lines.append(
            Inline(
                "No seed script exists yet: write one per domain with the application's own models",
                *revisions,
                ".",
            )
        )
    if guidance.tenant_columns:
        lines.append(
            Inline(
                "Include ",
                *codes(guidance.tenant_columns, " & "),
                " in every row, taken from an existing tenant, for multi-tenant isolation.",
            )
        )
    flag: list[Part] = [" (", Code(guidance.purge_flag), ")"] if guidance.purge_flag else []
    if guidance.mock_marker:
        lines.append(
            Inline(
                "Mark all mock rows with ",
                *_marker_parts(guidance.mock_marker),
                " to allow easy purge",
                *flag,
                ", as the existing seeders do.",
            )
        )
    else:
        lines.append(
            Inline(
                "Mark all mock rows (",
                Code("is_mock = TRUE"),
                " where the table has such a column, else a ",
                Code("MOCK:"),
                " prefix) so they can be purged again (",
                Code("dbaudit purge"),
                " removes exactly those).",
            )
        )
    if guidance.seed_folder:
        lines.append(
            Inline(
                "Organise seed scripts under ",
                Code(guidance.seed_folder),
                " with a clear naming convention (",
                Code("seed_<domain>.py"),
                ").",
            )
        )
    if guidance.run_command:
        lines.append(Inline("Document how to run them (", Code(guidance.run_command), ")."))
    return lines


def gaps_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """Section 3: one row per recommendation, then the implementation guidance."""
    if audit.database is None:
        return None
    recs = audit.recommendations
    return {
        "rows": [[" / ".join(r.tables), Inline(Prose(r.text))] for r in recs],
        "count": sum(len(r.tables) for r in recs),
        "guidance": guidance_lines(audit),
    }


# ------------------------------------------------------------------------------------------------------------
# Section 4


def next_steps_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """Section 4: reference data first, then the remaining domains, then a CI gate."""
    if audit.database is None:
        return None
    recs = audit.recommendations
    steps: list[Inline] = []
    reference = [r for r in recs if r.archetype == REFERENCE]
    rest = [r for r in recs if r.archetype != REFERENCE]
    if reference:
        steps.append(
            Inline(
                Strong(("Prioritise reference data",)),
                " (",
                *codes([t for r in reference for t in r.tables]),
                ") via data-only Alembic revisions so it is guaranteed in every environment.",
            )
        )
    coverage = audit.coverage
    extended = list(dict.fromkeys(r.seeder for r in rest if r.archetype == EXTEND))
    rest = [r for r in rest if r.archetype != EXTEND]
    if rest or extended:
        what: list[Part] = ["Extend ", *codes(extended)] if extended else []
        if rest:
            seeders = codes(list(dict.fromkeys(r.seeder for r in rest)))
            if what:
                what.append(" and ")
            what += [
                f"{'build' if extended else 'Build'} the remaining domain-specific seeders (",
                *seeders,
                ")",
            ]
        goal = "to achieve 100% table coverage"
        if coverage is not None:
            goal = (
                f"to take coverage from {coverage.percent:.0f}% ({len(coverage.covered)}/"
                f"{coverage.application_tables}) to 100%"
            )
        steps.append(Inline(*what, f" {goal}."))
    if recs:
        steps.append(
            Inline(
                "Until then, ",
                Code("dbaudit seed --missing"),
                " fills every empty table with marked mock rows (",
                Code("dbaudit purge"),
                " takes them out again).",
            )
        )
    if coverage is not None:
        floor = math.floor(coverage.percent)
        steps.append(
            Inline(
                "Add a CI step that keeps it there: ",
                Code(f"dbaudit check --fail-under {floor}"),
                " fails the build when seeding coverage drops below today's level.",
            )
        )
    else:
        steps.append(
            Inline(
                "Add a CI step that fails the build when seeding coverage drops: ",
                Code("dbaudit check --fail-under N"),
                " (run ",
                Code("dbaudit report"),
                " with the project's sources scanned to see today's coverage).",
            )
        )
    return {"steps": steps}


# ------------------------------------------------------------------------------------------------------------
# Section 6


def _reason(step: ExecutionStep) -> Inline | None:
    """Why ``step`` runs where it does: the steps it follows and, as planned, what they provide."""
    if not step.after:
        return None
    because = {d.seeder: d for d in step.reasons}
    parts: list[Part] = [Code(_short(step.seeder)), " runs after "]
    for index, before in enumerate(step.after):
        if index:
            parts.append(", ")
        parts.append(Code(_short(before)))
        dependency = because.get(before)
        if dependency is not None and dependency.writes:
            parts += [" (writes ", *codes(dependency.writes), ")"]
        elif dependency is not None and dependency.migration_order:
            parts.append(" (earlier in the migration history)")
    return Inline(*parts, ".")


def _short(seeder: str) -> str:
    return seeder.rsplit("/", 1)[-1]


def order_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """Section 6: every seeder, existing and recommended, in an order that respects required parents."""
    if audit.database is None or not audit.execution_order:
        return None
    steps = []
    rationale = []
    for number, step in enumerate(audit.execution_order, start=1):
        steps.append(
            {
                "number": number,
                "seeder": _short(step.seeder),
                "path": step.seeder,
                "existing": step.existing,
                "tables": ", ".join(step.tables),
                "command": step.command or f"python {shlex.quote(step.seeder)}",
                "note": Inline(Prose(step.note)) if step.note else None,
                "after": [_short(a) for a in step.after],
            }
        )
        reason = _reason(step)
        if reason:
            rationale.append(reason)
    cycles = [Inline(Prose(f.message)) for f in audit.findings if f.kind in ("fk-cycle", "seeder-cycle")]
    return {
        "steps": steps,
        "script_block": fence(shell_script(steps), "bash"),
        "rationale": rationale,
        "cycles": cycles,
    }


#: Shell syntax a command may hold outside single quotes: ``$VAR`` in ``"..."`` (``psql "$DATABASE_URL"``),
#: but no command substitution and no second command (``;``, ``&``, ``|``, redirections, subshells).
_UNSAFE_OUTSIDE_QUOTES = re.compile(r"\$\(|`|[;&|<>()]")


def shell_script(steps: Sequence[dict[str, Any]]) -> str:
    """The copy-paste shell block of section 6: per step a comment naming it, then its command.

    Names in a comment are kept on one line (a line break would end the comment and start a command).  A
    command runs as written only when it is one safe line: see :func:`shell_line`.
    """
    blocks = []
    for step in steps:
        to_write = "" if step["existing"] else " (to write)"
        lines = [f"# {step['number']}. {one_line(step['seeder'])}{to_write}: {one_line(step['tables'])}"]
        if step["note"]:
            lines.append(f"#    note: {one_line(step['note'])}")
        lines.extend(shell_line(step["command"]))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def shell_line(command: str) -> list[str]:
    """``command`` as lines of a shell script: itself when it is one line of plain words (names quoted by
    the builder of the command), else commented out with the reason, so pasting the block never runs it."""
    if command.startswith("#"):
        return [one_line(command)]
    interpreted = _outside_single_quotes(command)
    if one_line(command) != command:
        why = "a name in it holds a line break or a control character, which one pasted line cannot carry"
    elif interpreted is None:
        why = "its quotes do not close"
    elif _UNSAFE_OUTSIDE_QUOTES.search(interpreted):
        why = "it holds shell syntax (command substitution, a second command or a redirection) unquoted"
    else:
        return [command]
    return [f"# not run ({why}); run it by hand:", f"#   {one_line(command)}"]


def _outside_single_quotes(command: str) -> str | None:
    """``command`` without its single-quoted parts and backslash-escaped characters (``None``: a quote does
    not close).  What is left is what the shell interprets."""
    if not any(char in command for char in "'\"\\"):
        return command  # no quote, no escape: the shell interprets all of it, and it always splits
    return _analysed(command)


def _analysed(command: str) -> str | None:
    """:func:`_outside_single_quotes` the long way, character by character."""
    try:
        shlex.split(command)
    except ValueError:
        return None
    kept = []
    position = 0
    in_double = False
    while position < len(command):
        char = command[position]
        if char == "\\":
            position += 2
            continue
        if char == "'" and not in_double:
            position = command.index("'", position + 1) + 1
            continue
        if char == '"':
            in_double = not in_double
        kept.append(char)
        position += 1
    return "".join(kept)


# ------------------------------------------------------------------------------------------------------------
# Findings


def _conditional_findings(audit: Audit) -> list[Finding]:
    """Conditional writes from the scan, when the scanner has not reported them as findings itself."""
    if audit.scan is None or any("conditional" in f.kind for f in audit.findings):
        return []
    found = []
    for source in audit.scan.sources:
        for write in source.writes:
            if write.conditional:
                found.append(
                    Finding(
                        kind="conditional-seed",
                        message=(
                            f"{code(source.name)} writes {code(write.table)} only depending on what is "
                            "already in the database: a fresh database may stay empty there"
                        ),
                        severity=Severity.INFO,
                        table=write.table,
                        source=source.path,
                        location=write.location,
                    )
                )
    return found


def findings_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """Findings grouped by kind (known kinds first, in a fixed order), each with its location."""
    findings = list(dict.fromkeys([*audit.findings, *_conditional_findings(audit)]))
    if not findings:
        return None
    order = list(FINDING_TITLES)
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(
            FINDING_TITLES.get(finding.kind, finding.kind.replace("-", " ").capitalize()), []
        ).append(finding)

    def rank(title: str) -> tuple[int, str]:
        kinds = [k for k, t in FINDING_TITLES.items() if t == title]
        return (order.index(kinds[0]) if kinds else len(order), title)

    return {
        "count": len(findings),
        "groups": [
            {
                "title": title,
                "entries": [
                    {
                        "icon": SEVERITY_ICONS[f.severity],
                        "severity": f.severity.value,
                        "message": Inline(Prose(f.message)),
                        "location": str(f.location) if f.location else None,
                    }
                    for f in groups[title]
                ],
            }
            for title in sorted(groups, key=rank)
        ],
    }
