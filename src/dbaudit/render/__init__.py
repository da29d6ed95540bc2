"""Rendering: model -> text.  Every output of dbaudit is written here, from the model alone.

Markdown and HTML come from Jinja2 templates (:mod:`dbaudit.render.templates`, the one template runner),
JSON from :mod:`dbaudit.render.jsondoc` (the one JSON writer).  Data is shaped in Python, one context function
per section (:mod:`dbaudit.render.sections`); templates only lay it out.  Users can point ``--template-dir``
at a folder whose files override the bundled ones.

- the audit (``report``, ``demo``): :func:`render`;
- ``scan``: :mod:`dbaudit.render.scan`;
- ``diff`` and ``check``: :mod:`dbaudit.render.diff`, GitHub Actions output :mod:`dbaudit.render.github`;
- ``seed`` and ``purge``: :mod:`dbaudit.render.seed_text` and :func:`dbaudit.render.jsondoc.to_json`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbaudit.errors import ConfigError
from dbaudit.render.options import RenderOptions
from dbaudit.render.templates import environment

if TYPE_CHECKING:
    from dbaudit.model import Audit

__all__ = ["FORMATS", "RenderOptions", "environment", "render", "render_json", "render_template"]

FORMATS = ("md", "json", "html")


def render(audit: Audit, fmt: str, options: RenderOptions | None = None) -> str:
    """Render ``audit`` as ``md``, ``json`` or ``html``."""
    options = options or RenderOptions()
    if fmt == "json":
        return render_json(audit)
    if fmt == "md":
        return render_template("audit.md.j2", audit, options)
    if fmt == "html":
        from dbaudit.render.html import render_html

        return render_html(audit, options)
    raise ConfigError(f"unknown format {fmt!r}", f"choose one of {', '.join(FORMATS)}")


def render_json(audit: Audit) -> str:
    """The audit as JSON: :func:`dbaudit.model.to_dict` with its ``schema_version``."""
    from dbaudit.render.jsondoc import to_json

    return to_json(audit)


def render_template(name: str, audit: Audit, options: RenderOptions, **extra: Any) -> str:
    """Render one top-level template of the audit with the sections' context."""
    from dbaudit.render.sections import build_context
    from dbaudit.render.templates import run_template

    context = build_context(audit, options)
    context.update(extra)
    return run_template(name, context, options.template_dir)
