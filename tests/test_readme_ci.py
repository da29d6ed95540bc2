"""The README's CI gate section: its YAML jobs parse, and the CLI accepts every dbaudit command in it."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from dbaudit.cli import cli
from dbaudit.diff import parse_fail_on

README = Path(__file__).resolve().parent.parent / "README.md"


def ci_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## CI gate\n", 1)[1].split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", ci_section(), flags=re.S)


def dbaudit_commands() -> list[str]:
    commands = [line.split("#", 1)[0].strip() for block in blocks("bash") for line in block.splitlines()]
    for block in blocks("yaml"):
        document = yaml.safe_load(block)
        jobs = [job for job in document.get("jobs", document).values() if isinstance(job, dict)]
        for job in jobs:
            lines = [s.get("run", "") for s in job.get("steps", [])] + list(job.get("script", []))
            for line in lines:
                for part in re.split(r";|&&|\|\|", line):
                    commands.append(part.strip())
    return [c for c in commands if c.startswith("dbaudit ")]


def test_the_yaml_jobs_parse() -> None:
    github, gitlab = (yaml.safe_load(block) for block in blocks("yaml"))
    assert github.get("on", github.get(True)) == "pull_request"  # YAML 1.1 reads a bare `on` as true
    assert github["jobs"]["dbaudit"]["steps"][0]["with"]["fetch-depth"] == 0
    assert gitlab["seed-coverage"]["variables"]["GIT_DEPTH"] == 0


@pytest.mark.parametrize("command", dbaudit_commands())
def test_every_command_parses(command: str, tmp_path: Path) -> None:
    # placeholders the CI fills in, and files the examples name
    for name in ("AUDIT.json", "base.json", "head.json"):
        (tmp_path / name).write_text("{}")
    command = re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "main", command)
    args = shlex.split(command)[1:]
    ctx = click.Context(cli, info_name="dbaudit")
    subcommand = cli.get_command(ctx, args[0])
    assert subcommand is not None, args[0]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        parsed = subcommand.make_context(args[0], args[1:], parent=ctx)
        parse_fail_on(parsed.params.get("fail_on", ()))  # the gate names are checked when the command runs
    except click.UsageError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{command!r}: {exc}")
    finally:
        os.chdir(cwd)


def test_there_are_commands_to_check() -> None:
    commands = dbaudit_commands()
    assert any("--base-ref" in c for c in commands) and any(c.startswith("dbaudit check") for c in commands)
    assert (
        sum("--base-ref" in c and ("github.base_ref" in c or "CI_MERGE_REQUEST" in c) for c in commands) == 2
    )
