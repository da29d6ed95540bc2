"""The README's `dbaudit verify` section: its CI job parses, every dbaudit command and option in it is one the
CLI accepts, and its configuration example is one dbaudit reads."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import click
import pytest
import yaml

from dbaudit.cli import cli
from dbaudit.config import Settings
from dbaudit.verify.config import VerifyOptions, resolve_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## Running the seeders: `dbaudit verify`\n", 1)[1].split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)


def commands() -> list[str]:
    found = [line.split("  #", 1)[0].strip() for block in blocks("bash") for line in block.splitlines()]
    for block in blocks("yaml"):
        for job in yaml.safe_load(block)["jobs"].values():
            found.extend(" ".join(str(step.get("run", "")).split()) for step in job["steps"])
    return [c for c in found if c.startswith("dbaudit ")]


def test_the_ci_job_runs_verify_against_a_database_service() -> None:
    (workflow,) = (yaml.safe_load(block) for block in blocks("yaml"))
    job = workflow["jobs"]["verify-seeders"]
    assert "postgres" in job["services"] and job["env"]["DATABASE_URL"].startswith("postgresql://")
    assert any("dbaudit verify --yes" in str(step.get("run", "")) for step in job["steps"])


@pytest.mark.parametrize("command", commands())
def test_every_command_parses(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeder-run.json").write_text("{}")
    args = shlex.split(command)[1:]
    args = args[: args.index(">")] if ">" in args else args
    ctx = click.Context(cli, info_name="dbaudit")
    subcommand = cli.get_command(ctx, args[0])
    assert subcommand is not None
    try:
        subcommand.make_context(args[0], args[1:], parent=ctx)
    except click.UsageError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{command!r}: {exc}")


def test_every_option_named_is_an_option_of_verify() -> None:
    options = {o for p in cli.commands["verify"].params for o in getattr(p, "opts", [])}
    named = set(re.findall(r"`(--[a-z-]+)", section()))
    assert named and named <= options, named - options
    assert {"--keep", "--scratch-url", "--allow-literal-urls", "--allow-empty", "--step-timeout"} <= named


def test_the_configuration_example_is_read() -> None:
    (block,) = blocks("toml")
    table = tomllib.loads(block)["tool"]["dbaudit"]["verify"]
    config = resolve_config(Settings(verify=table), VerifyOptions())
    assert config.migrate_command == "make migrate" and config.step_timeout == 300
    assert config.commands == {"seeds/users.json": "python manage.py loaddata seeds/users.json"}
