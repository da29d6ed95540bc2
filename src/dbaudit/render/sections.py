"""The report's sections: which exist, in which order, and the Python function that shapes each one's data.

A section is an entry in :data:`SECTIONS`: its number and title as in the reference audit, the template that
lays it out (``report_templates/md/<key>.md.j2``) and a context function ``(audit, options) -> dict | None``.
``None`` leaves the section out (no scan, no baseline...).  Adding a section is adding one entry, one
function and one template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dbaudit.render import gaps_context
from dbaudit.render.changes import changes_context
from dbaudit.render.scan import coverage_context
from dbaudit.render.seeder_run import seeder_run_context
from dbaudit.render.status import header_context, status_context

if TYPE_CHECKING:
    from dbaudit.model import Audit
    from dbaudit.render.options import RenderOptions

#: Shapes one section's data from the audit, or returns ``None`` to leave the section out.
Builder = Callable[["Audit", "RenderOptions"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    number: str | None
    title: str
    build: Builder

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


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("status", "1", "Table Population Status", status_context),
    SectionSpec("coverage", "2", "Existing Seeding Mechanisms & Coverage", coverage_context),
    SectionSpec("gaps", "3", "Gap Analysis & Recommended Seed Scripts", gaps_context.gaps_context),
    SectionSpec("next_steps", "4", "Next Steps", gaps_context.next_steps_context),
    SectionSpec("changes", "5", "Changes since the previous audit", changes_context),
    SectionSpec("order", "6", "Running the Seeders: Execution Order", gaps_context.order_context),
    SectionSpec("seeder_run", None, "Seeder run", seeder_run_context),
    SectionSpec("findings", None, "Findings", gaps_context.findings_context),
)


def build_context(audit: Audit, options: RenderOptions) -> dict[str, Any]:
    """Everything a top-level template needs: the audit, the header and the sections that apply."""
    sections = []
    for spec in SECTIONS:
        data = spec.build(audit, options)
        if data is not None:
            sections.append(Section(spec, data))
    return {"audit": audit, "header": header_context(audit), "sections": sections}
