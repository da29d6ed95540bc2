"""Where teams run dbaudit (issue 18, point 5): the GitHub Action's script, the pre-commit hooks and the CI
recipes of docs/ci.md, run or parsed as their platforms would."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import click
import pytest
import yaml

from dbaudit.cli import cli
from tests.diff_support import history_head, save

ROOT = Path(__file__).resolve().parent.parent
ACTION_SCRIPT = ROOT / "scripts" / "action.sh"


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "DBAUDIT_", "RUNNER_")) and k not in {"DATABASE_URL", "VIRTUAL_ENV"}
    }
    return {**env, **extra}


def test_the_action_is_a_composite_that_runs_its_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    (step,) = action["runs"]["steps"]
    assert step["shell"] == "bash" and "scripts/action.sh" in step["run"]
    script = ACTION_SCRIPT.read_text(encoding="utf-8")
    for name in step["env"]:
        assert name in script, f"{name} is passed to the script but never read"
    # every input reaches the script
    passed = " ".join(step["env"].values()) + step["working-directory"]
    for name in action["inputs"]:
        assert f"inputs.{name}" in passed, name


def test_the_action_refuses_an_unknown_command(tmp_path: Path) -> None:
    env = clean_env(GITHUB_ACTION_PATH=str(ROOT), RUNNER_TEMP=str(tmp_path), DBAUDIT_ACTION_COMMAND="seed")
    done = subprocess.run(["bash", str(ACTION_SCRIPT)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "command must be check or diff" in done.stderr
    assert not (tmp_path / "dbaudit-venv").exists()  # refused before installing anything


@pytest.mark.slow
def test_the_action_installs_from_its_checkout_runs_the_gate_and_writes_the_summary(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n[tool.dbaudit]\nfail_under = 50\n")
    save(history_head(), project / "AUDIT.json")  # 60%
    summary, outputs, runner = tmp_path / "summary.md", tmp_path / "outputs", tmp_path / "runner"
    runner.mkdir()
    env = clean_env(
        GITHUB_ACTION_PATH=str(ROOT),
        RUNNER_TEMP=str(runner),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
        DBAUDIT_ACTION_COMMAND="check",
        DBAUDIT_ACTION_FAIL_UNDER="80",
        DBAUDIT_ACTION_ARGS="--audit AUDIT.json",
        DBAUDIT_ACTION_PYTHON=sys.executable,
        # offline: dbaudit's dependencies (and the build backend) come from this environment, dbaudit itself
        # is built and installed from the action's checkout
        DBAUDIT_ACTION_PIP_ARGS="--no-deps --no-build-isolation --no-index",
        PYTHONPATH=sysconfig.get_paths()["purelib"],
    )
    done = subprocess.run(
        ["bash", str(ACTION_SCRIPT)], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr  # 60% is under 80%
    text = summary.read_text(encoding="utf-8")
    assert "| `fail-under` | ❌ failed | coverage 60.0% (3/5 tables) is under 80% |" in text
    assert outputs.read_text() == "exit-code=1\n"
    installed = list((runner / "dbaudit-venv").glob("lib/python*/site-packages/dbaudit/__init__.py"))
    assert len(installed) == 1  # the checkout, built and installed: not an index, not the source tree


HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def run_hook(hook_id: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    (hook,) = [h for h in HOOKS if h["id"] == hook_id]
    args = shlex.split(hook["entry"]) + list(hook.get("args", []))
    assert args[0] == "dbaudit"
    return subprocess.run(
        [sys.executable, "-m", "dbaudit", *args[1:]],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_hooks_are_well_formed() -> None:
    assert {h["id"] for h in HOOKS} == {"dbaudit-check", "dbaudit-scan"}
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python" and hook["pass_filenames"] is False
    check = next(h for h in HOOKS if h["id"] == "dbaudit-check")
    assert re.search(check["files"], "AUDIT.json") and re.search(check["files"], "pyproject.toml")
    scan = next(h for h in HOOKS if h["id"] == "dbaudit-scan")
    assert re.search(scan["files"], "app/seed_users.py") and not re.search(scan["files"], "README.md")


@pytest.mark.slow
def test_the_check_hook_gates_on_the_committed_audit(tmp_path: Path) -> None:
    save(history_head(), tmp_path / "AUDIT.json")  # 60%
    (tmp_path / "pyproject.toml").write_text("[tool.dbaudit]\nfail_under = 50\n")
    assert run_hook("dbaudit-check", tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text("[tool.dbaudit]\nfail_under = 80\n")
    failed = run_hook("dbaudit-check", tmp_path)
    assert failed.returncode == 1 and "is under 80%" in failed.stdout


@pytest.mark.slow
def test_the_scan_hook(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    (tmp_path / "seed.py").write_text("db.execute(\"INSERT INTO users (name) VALUES ('b')\")\n")
    done = run_hook("dbaudit-scan", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # -q


def ci_doc_blocks(language: str) -> list[str]:
    return re.findall(
        rf"```{language}\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(encoding="utf-8"), re.S
    )


def test_the_ci_recipes_parse_and_install_without_an_index() -> None:
    github, pre_commit, gitlab = (yaml.safe_load(block) for block in ci_doc_blocks("yaml"))
    uses = [s.get("uses", "") for s in github["jobs"]["dbaudit"]["steps"]]
    assert any(u.endswith("/dbaudit@v0.1.0") for u in uses)
    assert pre_commit["repos"][0]["hooks"][0]["id"] in {h["id"] for h in HOOKS}
    job = gitlab["seed-coverage"]
    assert job["variables"]["DBAUDIT_SOURCE"].startswith("git+https://")
    install = next(line for line in job["script"] if line.startswith("pip install"))
    assert '"$DBAUDIT_SOURCE"' in install and " dbaudit " not in f"{install} "
    commands = [
        part.strip()
        for line in job["script"]
        for part in re.split(r";|&&|\|\|", line)
        if part.strip().startswith("dbaudit ")
    ]
    assert commands
    for command in commands:
        args = shlex.split(re.sub(r"\$[A-Z_]+", "main", command))[1:]
        ctx = click.Context(cli, info_name="dbaudit")
        subcommand = cli.get_command(ctx, args[0])
        assert subcommand is not None
        subcommand.make_context(args[0], args[1:], parent=ctx)
