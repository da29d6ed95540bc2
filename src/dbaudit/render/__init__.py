"""Rendering: model -> text.  Markdown and HTML come from Jinja2 templates, JSON is a dump of the model.

Data is shaped in Python (one context function per section, see :mod:`dbaudit.render.sections`); templates
only lay it out.  Users can point ``--template-dir`` at a folder whose files override the bundled ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbaudit.errors import ConfigError

if TYPE_CHECKING:
    import jinja2

    from dbaudit.model import Audit

FORMATS = ("md", "json", "html")


@dataclass(frozen=True)
class RenderOptions:
    template_dir: Path | None = None
    only: str | None = None
    """Section 1 shows only ``empty``, ``populated`` or ``uncovered`` tables."""
    min_rows: int | None = None
    """Section 1 shows only tables with at least this many rows."""


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
    return json.dumps(audit.to_dict(), indent=2, ensure_ascii=False) + "\n"


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: user templates first, then the bundled ones; undefined names fail loudly."""
    import jinja2

    from dbaudit.render import filters
    from dbaudit.resources import templates_dir

    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.FileSystemLoader(str(templates_dir())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    )
    env.filters.update(filters.FILTERS)
    return env


def render_template(name: str, audit: Audit, options: RenderOptions, **extra: Any) -> str:
    """Render one top-level template with the sections' context."""
    import jinja2

    from dbaudit.render.sections import build_context

    env = environment(options.template_dir)
    context = build_context(audit, options)
    context.update(extra)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = f" ({exc.name}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise ConfigError(
            f"template {name} failed: {exc}{where}",
            "fix the template, or drop --template-dir to use the bundled ones",
        ) from exc
