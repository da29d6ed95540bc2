"""The one template runner: every Markdown and HTML document is a Jinja2 template laid out here.

User templates (``--template-dir``) come first, then the bundled ones; an undefined name fails loudly
(``StrictUndefined``), and a template that fails is one :class:`~dbaudit.errors.ConfigError`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbaudit.errors import ConfigError

if TYPE_CHECKING:
    import jinja2


@functools.lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: user templates first, then the bundled ones; undefined names fail loudly.

    One per template folder and process, so that a template is compiled once (Jinja2 keeps compiled templates
    per environment, and recompiles one whose file changed)."""
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


def run_template(name: str, context: dict[str, Any], template_dir: Path | None = None) -> str:
    """Render the template ``name`` with ``context``; a broken template is one :class:`ConfigError`."""
    import jinja2

    try:
        return environment(template_dir).get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = f" ({exc.name}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise ConfigError(
            f"template {name} failed: {exc}{where}",
            "fix the template, or drop --template-dir to use the bundled ones",
        ) from exc
