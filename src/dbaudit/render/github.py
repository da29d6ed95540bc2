"""GitHub Actions output: the job summary and ``::error`` annotations, in GitHub's workflow-command format.

The summary is the Markdown document the command printed (:mod:`dbaudit.render.diff`); annotations are
written here from the findings.  Annotations go to standard error (the runner reads workflow commands from
both streams), so standard output keeps carrying only the document, JSON included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from dbaudit.errors import DbauditError
from dbaudit.model import Finding


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """Escape the message of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=...``): also ``:`` and ``,``, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotation(finding: Finding, path_prefix: str = "") -> str | None:
    """``::error file=...,line=...,title=...::message`` for a finding with a location, else ``None``.

    ``path_prefix`` turns a path relative to the scanned project into one relative to the repository root,
    which is what GitHub resolves annotations against.
    """
    if finding.location is None:
        return None
    path = f"{path_prefix.rstrip('/')}/{finding.location.path}" if path_prefix else finding.location.path
    properties = [("file", path)]
    if finding.location.line:
        properties.append(("line", str(finding.location.line)))
    properties.append(("title", f"dbaudit: {finding.kind}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::error {joined}::{escape_data(finding.message)}"


def append_step_summary(markdown: str, environ: Mapping[str, str]) -> Path | None:
    """Append ``markdown`` to the file named by ``GITHUB_STEP_SUMMARY``, if any; return that path."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        raise DbauditError(
            f"cannot append to GITHUB_STEP_SUMMARY ({path}): {exc.strerror}", "check the runner's environment"
        ) from exc
    return path


def publish(
    markdown: str,
    findings: Iterable[Finding],
    environ: Mapping[str, str],
    stream: TextIO,
    path_prefix: str = "",
) -> None:
    """In GitHub Actions: append the summary and print one annotation per finding that has a location."""
    if not in_github_actions(environ):
        return
    append_step_summary(markdown, environ)
    for finding in findings:
        line = error_annotation(finding, path_prefix)
        if line is not None:
            stream.write(line + "\n")
    stream.flush()
