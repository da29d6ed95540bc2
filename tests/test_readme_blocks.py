"""Every command block of the README runs in a test (issue 18): the blocks are found with a CommonMark parser,
run for real in a copy of the bundled example (or in this repository, for the development commands) with the
exit code the README states or implies, or listed with the test that runs them instead.

A block is a command block when its fence says bash, sh or console, or when it has no language and its lines
are commands.  What the test changes in a command before running it is listed in ``REWRITES`` with the reason;
every rewrite must apply to some README line, so the list cannot go stale.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import dbaudit
from tests import conftest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
# The first word of a command line (after VAR=value assignments): how an unlabelled fence is recognised.
COMMAND_WORD = re.compile(
    r"^(?:[A-Z_]+=\S*\s+)*(dbaudit|pip|python3?|pytest|\.venv/bin/python|ruff|mypy|bash)\b"
)


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    language: str
    commands: tuple[str, ...]  # the command lines, `$ ` prompts removed, comments kept (bash drops them)

    def has(self, command: str) -> bool:
        """Whether a line of the block is this command (its comment aside): how the tables name a block."""
        return any(strip_comment(c) == command for c in self.commands)


def strip_comment(command: str) -> str:
    return re.split(r"\s+# ", command, maxsplit=1)[0].strip()


def _fences() -> list[tuple[int, str, str]]:
    tokens = MarkdownIt("commonmark").parse(README.read_text(encoding="utf-8"))
    return [(t.map[0] + 1 if t.map else 0, t.info.strip(), t.content) for t in tokens if t.type == "fence"]


def _is_command_block(language: str, content: str) -> bool:
    lines = [line for line in content.splitlines() if line.strip() and not line.startswith("#")]
    if language in SHELL_LANGUAGES:
        return True
    return language == "" and bool(lines) and all(COMMAND_WORD.match(line) for line in lines)


def command_blocks() -> list[Block]:
    found = []
    for line, language, content in _fences():
        if not _is_command_block(language, content):
            continue
        commands = tuple(
            c.removeprefix("$ ") for c in content.splitlines() if c.strip() and not c.lstrip().startswith("#")
        )
        found.append(Block(line, language, commands))
    return found


# Blocks another test runs: the key of the block -> (that test file, what it runs).
COVERED_ELSEWHERE = {
    "export DBAUDIT_URL=postgresql://app@localhost/app": (
        "tests/test_cli_conventions.py",
        "First use on your own project",
    ),
    "dbaudit seed --missing --dry-run --rows 3 --exclude supplier": (
        "tests/test_readme_seed_skips.py",
        "When a table cannot be filled",
    ),
    ".venv/bin/python -m benchmarks": ("tests/test_benchmarks.py", '"--quick"'),
}


@dataclass
class Run:
    """How the test runs one block: where, with which exit code per command, on which database."""

    codes: tuple[int, ...]
    where: str = (
        "project"  # "project": the demo's backend folder; "example": its parent; "repo": this checkout
    )
    postgres: bool = False
    setup: tuple[str, ...] = field(default=())  # SQL run on the copy's SQLite database first


# Exit codes: 0 unless the README says or implies otherwise (the reason is given beside each other code).
RUNS = {
    # Quick start: the install is checked (see REWRITES), the demo runs, the test suite is collected.
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && dbaudit demo": Run(
        (0, 0), where="repo"
    ),
    # "in CI: fail the pull request that drops seeding coverage": the example is below 80% seeding coverage.
    "dbaudit purge --yes": Run((0, 0, 0, 1)),
    "dbaudit demo ./planner": Run((0, 0, 0), where="example"),
    "dbaudit report --url postgresql://app@db/app --schema migration --exclude 'tmp_*'": Run(
        (0, 0, 0), postgres=True
    ),
    'eval "$(_DBAUDIT_COMPLETE=bash_source dbaudit)"': Run((0, 0, 0)),
    "dbaudit scan backend/ --format json -o scan.json": Run((0, 0), where="example"),
    "dbaudit scan --explain user_account": Run((0,)),
    "dbaudit report --format html -o audit.html": Run((0,)),
    "dbaudit seed --missing --dry-run": Run(
        (0, 0, 0, 0, 0, 0),
        setup=(
            "CREATE TABLE invoice (id INTEGER PRIMARY KEY, number VARCHAR(20) NOT NULL)",
            "CREATE TABLE invoice_line (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL,"
            " invoice_id INTEGER NOT NULL REFERENCES invoice (id))",
        ),
    ),
    # the two `check --fail-under 80` gates fail: the example is below 80% coverage
    "dbaudit diff base.json head.json": Run((0, 0, 0, 0, 0, 1, 1)),
    # "the job fails (exit 1) when a seeder ... leaves an application table empty": the example leaves some
    "dbaudit verify --yes": Run((1, 1, 0, 1, 1)),
    "DBAUDIT_REQUIRE_SERVERS=1 python -m pytest tests/safety tests/test_safety_doc.py": Run(
        (0,), where="repo"
    ),
    "pip install -e '.[test]'": Run((0, 0, 0, 0, 0, 0), where="repo"),
}


def _claimed(key: str) -> Block:
    (block,) = [b for b in command_blocks() if b.has(key)]  # exactly one block has each key
    return block


# --- the coverage test ---


def test_every_command_block_is_run_here_or_by_the_test_named() -> None:
    blocks = command_blocks()
    assert len(blocks) >= 12, "the parser found too few command blocks"
    claims = {key: _claimed(key).line for key in [*RUNS, *COVERED_ELSEWHERE]}
    unclaimed = [f"line {b.line}: {b.commands[0]}" for b in blocks if b.line not in claims.values()]
    assert not unclaimed, f"README command blocks no test runs: {unclaimed}"
    assert len(set(claims.values())) == len(claims), f"a block is claimed twice: {claims}"
    for key, (test_file, mention) in COVERED_ELSEWHERE.items():
        source = (ROOT / test_file).read_text(encoding="utf-8")
        assert mention in source, f"{test_file} does not run {key!r} (it never mentions {mention!r})"


def test_no_unlabelled_block_holds_commands() -> None:
    """A fence without a language is either commands (and run above) or output with no command line in it."""
    for line, language, content in _fences():
        if language == "" and not _is_command_block(language, content):
            commands = [c for c in content.splitlines() if COMMAND_WORD.match(c.removeprefix("$ "))]
            assert not commands, f"README line {line}: commands in a block of output: {commands}"


def test_the_benchmark_commands_parse() -> None:
    """The benchmark block runs in tests/test_benchmarks.py (--quick); its other lines' options are real."""
    from benchmarks.run import parse_args

    block = _claimed(".venv/bin/python -m benchmarks")
    for command in block.commands:
        args = shlex.split(strip_comment(command))
        assert args[:2] == [".venv/bin/python", "-m"] and args[2].split(".")[0] == "benchmarks", command
        if args[2] == "benchmarks":
            parse_args(args[3:])  # exits 2 on an unknown option or case
        else:  # another harness of the suite (benchmarks.floor): it exists and takes these options
            module = importlib.import_module(args[2])
            assert callable(getattr(module, "main", None)), command
            module.make_parser().parse_args(args[3:])  # exits 2 on an unknown option


# --- running the blocks ---


@dataclass
class Context:
    """What a block runs with: its folder, environment, and the outputs so far (a later line may need one)."""

    cwd: Path
    env: dict[str, str]
    postgres_url: str | None = None
    outputs: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # lines the test checked instead of running, and how


def _pip_spec_exists(spec: str, ctx: Context) -> None:
    """A `pip install SPEC` of this project: the extras named exist, and pip accepts the project as SPEC names
    it (a dry run, no index: installing for real needs the network and minutes; the test's venv has it)."""
    match = re.fullmatch(r"(-e )?'?\.(?:\[([a-z,-]+)\])?'?", spec)
    assert match, f"pip install {spec}: not this project"
    extras = (match.group(2) or "").split(",") if match.group(2) else []
    declared = tomllib.loads((ctx.cwd / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    missing = set(extras) - set(declared.get("optional-dependencies", {}))
    assert not missing, f"pip install {spec}: no extra {missing} in pyproject.toml"
    # Non-editable: an editable build needs `editables`, which pip's build isolation fetches from the index.
    target = "." + (f"[{match.group(2)}]" if match.group(2) else "")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            target,
        ],
        cwd=ctx.cwd,
        env=ctx.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "does not provide the extra" not in proc.stderr, proc.stdout + proc.stderr
    ctx.checks.append(f"pip install {spec}: extras exist, pip dry run accepts it")


def _pytest_collect_only(line: str, ctx: Context) -> str:
    """`python -m pytest ...`: the suite this test is part of; collected with the same options, not re-run."""
    args = shlex.split(line)
    paths = [a for a in args if a.startswith("tests")]
    tail = " --collect-only -q -p no:cacheprovider" + ("" if paths else " tests/test_model.py")
    ctx.checks.append(f"{line}: collected only{tail}")
    return line + tail


REWRITES: list[tuple[str, str]] = [
    # (pattern, reason); _rewrite applies them
    (
        r"^python3 -m venv \.venv && \. \.venv/bin/activate && pip install ((?:-e )?\S+) && (.*)$",
        "a new venv and install: the extras and the project are checked; the test's venv stands for .venv",
    ),
    (r"^pip install ((?:-e )?\S+)$", "the install: checked as above"),
    (r"\bpython -m pytest\b", "the test suite itself: collected with the README's options, not run again"),
    (r"^bash \.ci/run$", "CI itself (fresh venv, starts servers, every test): syntax-checked with bash -n"),
    (r"postgresql://app@(?:db|localhost)/app", "a URL standing for the reader's server: the test database"),
    (r"--run 20250101T090000-a1b2c3", "an example run id: the id the seed before it printed"),
    (
        r"^eval \"\$\((_DBAUDIT_COMPLETE=zsh_source dbaudit)\)\"$",
        "zsh code, which bash cannot eval: run by zsh when installed, else the script must be generated",
    ),
]


def _rewrite(line: str, ctx: Context) -> str | None:
    """The command to run for a README line, or None when the test checked it in-process instead."""
    command = strip_comment(line)
    if match := re.match(REWRITES[0][0], command):
        _pip_spec_exists(match.group(1), ctx)
        command = match.group(2)
    elif match := re.match(REWRITES[1][0], command):
        _pip_spec_exists(match.group(1), ctx)
        return None
    if re.search(REWRITES[2][0], command):
        command = _pytest_collect_only(command, ctx)
    if re.match(REWRITES[3][0], command):
        return "bash -n .ci/run"
    if re.search(REWRITES[4][0], command):
        assert ctx.postgres_url, command
        command = re.sub(REWRITES[4][0], ctx.postgres_url, command)
    if REWRITES[5][0] in command:
        run_ids = re.findall(r"dbaudit purge --run (\S+)", "\n".join(ctx.outputs))
        assert run_ids, "no seed before it printed its undo command"
        command = command.replace(REWRITES[5][0], f"--run {run_ids[-1]}")
    if match := re.match(REWRITES[6][0], command):
        if shutil.which("zsh"):
            return f"zsh -c {shlex.quote(command)}"
        ctx.checks.append(f"{command}: zsh not installed, the script is generated, not evaluated")
        return f'test -n "$({match.group(1)})"'
    return command


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example with its SQLite database, built once by `dbaudit demo` (copied for every block)."""
    folder = tmp_path_factory.mktemp("readme-demo") / "planner"
    proc = subprocess.run(
        [sys.executable, "-m", "dbaudit", "demo", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        env=_environment(folder.parent),
    )
    assert proc.returncode == 0, proc.stderr
    return folder


def _environment(home: Path) -> dict[str, str]:
    """`dbaudit`, `python`, `pip`, `ruff` from this interpreter's venv; this dbaudit; no DBAUDIT_* set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBAUDIT_") and k != "DATABASE_URL"}
    package_root = str(Path(dbaudit.__file__).resolve().parents[1])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([package_root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["HOME"] = str(home)
    for cache in ("MYPY_CACHE_DIR", "RUFF_CACHE_DIR"):
        env[cache] = str(home / cache.lower())
    return env


def _postgres_for(request: pytest.FixtureRequest) -> str:
    """The README's PostgreSQL example: schema `migration` with an application table and a `tmp_*` one."""
    database: conftest.TestDatabase = request.getfixturevalue("pg_database")
    database.execute("CREATE SCHEMA migration")
    database.execute("CREATE TABLE migration.account (id serial PRIMARY KEY, name text NOT NULL)")
    database.execute("INSERT INTO migration.account (name) VALUES ('a')")
    database.execute("CREATE TABLE migration.tmp_import (id int)")
    return database.url


def _folder(run: Run, demo: Path, tmp_path: Path) -> Path:
    if run.where == "repo":
        copy = tmp_path / "dbaudit"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "*_cache", "__pycache__"))
        return copy
    copy = tmp_path / "planner"
    shutil.copytree(demo, copy)
    return copy if run.where == "example" else copy / "backend"


def _git_baseline(project: Path, env: dict[str, str]) -> None:
    """`diff --base-ref origin/main` reads AUDIT.json committed at origin/main: a repository that has one."""
    audit = subprocess.run(
        ["dbaudit", "report", "--format", "json", "-o", "AUDIT.json"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    assert audit.returncode == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "base"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
    ):
        subprocess.run([*git, *args], cwd=project, env=env, check=True, capture_output=True)
    for name in ("base.json", "head.json"):  # the two saved audits `diff base.json head.json` compares
        shutil.copy(project / "AUDIT.json", project / name)


BLOCK_KEYS = list(RUNS)


@pytest.mark.slow  # builds the example, then runs dbaudit, pip, mypy and verify for real
@pytest.mark.parametrize("key", BLOCK_KEYS)
def test_the_block_runs_with_the_exit_codes_the_readme_gives(
    key: str, demo_folder: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    block, run = _claimed(key), RUNS[key]
    assert len(run.codes) == len(block.commands), f"line {block.line}: one exit code per command"
    folder = _folder(run, demo_folder, tmp_path)
    env = _environment(tmp_path)
    (tmp_path / ".config" / "fish" / "completions").mkdir(parents=True)  # what fish itself creates
    ctx = Context(folder, env, _postgres_for(request) if run.postgres else None)
    if run.setup:
        with sqlite3.connect(folder / "migration_planner.db") as conn:
            for sql in run.setup:
                conn.execute(sql)
        conn.close()
    if any("--base-ref" in c or "base.json" in c for c in block.commands):
        _git_baseline(folder, env)
    print(f"README line {block.line}, run in {run.where}:")  # shown with -rA or on a failure
    for line, expected in zip(block.commands, run.codes, strict=True):
        command = _rewrite(line, ctx)
        if command is None:
            continue
        proc = subprocess.run(
            ["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, check=False
        )
        ctx.outputs.append(proc.stdout + proc.stderr)
        print(f"  exit {proc.returncode}: {command}")
        assert proc.returncode == expected, (
            f"README line {block.line}: {line!r} ran as {command!r} in {folder.name}, exit {proc.returncode}"
            f" (README: {expected})\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if expected == 0:
            for written in _files_written(command, folder, tmp_path):
                assert written.is_file() and written.stat().st_size, f"{command!r} did not write {written}"
    print("\n".join(f"  checked: {check}" for check in ctx.checks))


def _files_written(command: str, folder: Path, home: Path) -> list[Path]:
    """The files a command says it writes: `-o FILE` and `> FILE`."""
    names = re.findall(r"(?:(?<=\s)-o|>)\s+(\S+)", command)
    return [home / n[2:] if n.startswith("~/") else folder / n for n in names if n != "/dev/null"]


def test_every_rewrite_is_used() -> None:
    """Each rewrite names a README line it applies to: a rewrite no line needs any more is removed."""
    lines = [strip_comment(c) for b in command_blocks() for c in b.commands]
    for pattern, reason in REWRITES:
        assert any(re.search(pattern, line) for line in lines), f"unused rewrite {pattern!r} ({reason})"


def test_the_python_example_runs(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's Python block, on the PostgreSQL database its URL stands for."""
    (code,) = [content for _, language, content in _fences() if language == "python"]
    url = _postgres_for(request)
    pattern = REWRITES[4][0]
    assert re.search(pattern, code), "the Python example no longer names the example server"
    exec(compile(re.sub(pattern, url, code), "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["migration.account populated 1", "migration.tmp_import empty 0"], lines
