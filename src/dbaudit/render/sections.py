"""The report's sections: which exist, in which order, and the Python function that shapes each one's data.

A section is an entry in :data:`SECTIONS`: its number and title as in the reference audit, the template that
lays it out (``report_templates/md/<key>.md.j2``) and a context function ``(audit, options) -> dict | None``
given as ``"module:function"`` and imported only when a report is rendered.  ``None`` leaves the section out
(no scan, no baseline...).  Adding a section is adding one entry, one function and one template.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbaudit.model import Audit
    from dbaudit.render import RenderOptions


@dataclass(frozen=True)
class SectionSpec:
    key: str
    number: str | None
    title: str
    builder: str
    """``"module:function"`` returning the section's data, or ``None`` to leave it out."""

    @property
    def template(self) -> str:
        return f"md/{self.key}.md.j2"

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Section:
    spec: SectionSpec
    data: dict[str, Any]

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def template(self) -> str:
        return self.spec.template

    @property
    def heading(self) -> str:
        return self.spec.heading


_GAPS = "dbaudit.render.gaps_context"

SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("status", "1", "Table Population Status", "dbaudit.render.status:status_context"),
    SectionSpec(
        "coverage", "2", "Existing Seeding Mechanisms & Coverage", "dbaudit.scan.report:coverage_context"
    ),
    SectionSpec("gaps", "3", "Gap Analysis & Recommended Seed Scripts", f"{_GAPS}:gaps_context"),
    SectionSpec("next_steps", "4", "Next Steps", f"{_GAPS}:next_steps_context"),
    SectionSpec("changes", "5", "Changes since the previous audit", "dbaudit.diff.changes:changes_context"),
    SectionSpec("order", "6", "Running the Seeders: Execution Order", f"{_GAPS}:order_context"),
    SectionSpec("seeder_run", None, "Seeder run", "dbaudit.render.seeder_run:seeder_run_context"),
    SectionSpec("findings", None, "Findings", f"{_GAPS}:findings_context"),
)


def build_context(audit: Audit, options: RenderOptions) -> dict[str, Any]:
    """Everything a top-level template needs: the audit, the header and the sections that apply."""
    from dbaudit.render.status import header_context

    sections = []
    for spec in SECTIONS:
        module_name, _, function = spec.builder.partition(":")
        builder = getattr(importlib.import_module(module_name), function)
        data = builder(audit, options)
        if data is not None:
            sections.append(Section(spec, data))
    return {"audit": audit, "header": header_context(audit), "sections": sections}
