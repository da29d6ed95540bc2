"""Hostile names in every output: the project, the database and the checks of test_inert_names.py.

The checks read the output the way its reader does: Markdown with a real CommonMark parser (markdown-it-py,
with GFM tables), HTML with :mod:`html.parser`, the execution order's shell block with ``bash`` itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert
from sqlalchemy.engine import Engine

from tests.safety.hostile import (
    BACKTICKS,
    CARRIAGE,
    ENTITY,
    FENCE_BREAK,
    FIXTURE_TABLE,
    INERT_TABLES,
    LONG_NAME,
    PIPES,
    PUNCTUATION,
    PUNCTUATION_WORDS,
    QUOTES,
    SCRIPT_TAG,
    SEMICOLON,
    SUBSHELL,
)

# ------------------------------------------------------------------------------------------------------------
# The project: seed sources whose file names, revision ids and messages are hostile too

SCRIPT_SUBSHELL = "scripts/seed_$(touch PWNED_script).py"
SCRIPT_NEWLINE = "scripts/seed_new\nline`touch PWNED_newline`.py"
SCRIPT_SEMICOLON = "scripts/seed_x; echo >PWNED_semicolon_file; #.py"
SCRIPT_IMG = "scripts/seed_<img src=x onerror=alert(2)>.py"
SCRIPT_QUOTES = 'scripts/seed_it\'s "q" & |pipe|.py'
SQL_FILE = "seeds/x`touch PWNED_sql`.sql"
FIXTURE_FILE = f"fixtures/{FIXTURE_TABLE}.json"
REVISION_ID = "r1$(touch PWNED_revision)"
REVISION_MESSAGE = "rev <img src=x onerror=alert(3)> `x` | y"
GHOST = "ghost\n```<img src=x onerror=alert(4)>"
"""Written by a script, missing from the database: printed in the stale-reference finding."""

#: Files a command in the shell block could run, by the program that runs them.
RUNNABLE_PATHS = (SCRIPT_SUBSHELL, SCRIPT_SEMICOLON, SCRIPT_IMG, SCRIPT_QUOTES)
SOURCE_PATHS = (*RUNNABLE_PATHS, SCRIPT_NEWLINE, SQL_FILE, FIXTURE_FILE)

#: Names only a hand-built model carries (the SQLite end-to-end run cannot make them).
SCHEMA_NAME = "s`|<i>x</i>\n# h"
VIEW_NAME = "v`|<b>x</b>"
PARTITION = "p\n```<img src=x onerror=alert(5)>"
BRANCH = "feat/`x`|<img src=x onerror=alert(6)>"
BASELINE_LABEL = "AUDIT`|<img src=x onerror=alert(7)>.json"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _script(tables: Sequence[str]) -> str:
    statements = "\n".join(
        f"        session.execute(text({f'INSERT INTO {_sql_name(t)} (id) VALUES (1)'!r}))" for t in tables
    )
    return (
        "from sqlalchemy import create_engine, text\n"
        "from sqlalchemy.orm import Session\n\n\n"
        "def main() -> None:\n"
        '    engine = create_engine("sqlite:///app.db")\n'
        "    with Session(engine) as session:\n"
        f"{statements}\n"
        "        session.commit()\n\n\n"
        'if __name__ == "__main__":\n'
        "    main()\n"
    )


def _revision(revision: str, down: str | None, table: str, message: str) -> str:
    return (
        f'"""{message}\n\nRevision ID: {revision}\n"""\n'
        "from alembic import op\n\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        f"    op.execute({f'INSERT INTO {_sql_name(table)} (id) VALUES (1)'!r})\n\n\n"
        "def downgrade() -> None:\n"
        "    pass\n"
    )


def project_files() -> dict[str, str]:
    """The hostile project: path -> text."""
    return {
        "pyproject.toml": '[project]\nname = "hostile"\n',
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        SCRIPT_SUBSHELL: _script([FENCE_BREAK, SUBSHELL]),
        SCRIPT_NEWLINE: _script([BACKTICKS]),
        SCRIPT_SEMICOLON: _script([SEMICOLON, PIPES]),
        SCRIPT_IMG: _script([GHOST, PUNCTUATION]),
        SCRIPT_QUOTES: _script([QUOTES]),
        SQL_FILE: f"INSERT INTO {_sql_name(ENTITY)} (id) VALUES (1);\n",
        FIXTURE_FILE: '[{"id": 1}]\n',
        "migrations/versions/r1.py": _revision(REVISION_ID, None, SCRIPT_TAG, REVISION_MESSAGE),
        "migrations/versions/r2.py": _revision("r2", REVISION_ID, CARRIAGE, "second"),
    }


def write_project(root: Path) -> Path:
    for relative, content in project_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


# ------------------------------------------------------------------------------------------------------------
# The database: the same tables in SQLite (end to end) and as model objects (no database)

#: child -> parent (a required foreign key)
REQUIRED_PARENTS = {FENCE_BREAK: SUBSHELL, SEMICOLON: PIPES, LONG_NAME: QUOTES}
POPULATED = frozenset({PIPES})


def create_sqlite_tables(engine: Engine) -> None:
    """The hostile tables in a real database: one populated, the rest empty, with required foreign keys."""
    metadata = MetaData()
    tables: dict[str, Table] = {}
    order = [n for n in INERT_TABLES if n not in REQUIRED_PARENTS] + list(REQUIRED_PARENTS)
    for name in order:
        columns: list[Column[object]] = [
            Column("id", Integer, primary_key=True),
            Column("name", String(40)),
        ]
        parent = REQUIRED_PARENTS.get(name)
        if parent is not None:
            columns.append(Column("parent_id", Integer, ForeignKey(tables[parent].c.id), nullable=False))
        tables[name] = Table(name, metadata, *columns)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(tables[PIPES]), [{"name": "a"}, {"name": "b"}])


# ------------------------------------------------------------------------------------------------------------
# Reading Markdown back

_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")
#: Tags the templates write on purpose (the folded list of empty tables).
_OWN_TAGS = frozenset({"details", "summary"})


def one_line(name: str) -> str:
    """How a name reads where a line break cannot go (code spans, table cells, headings, comments)."""
    return re.sub(r"\r\n|[\r\n]", "⏎", name)


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def gfm_cells(line: str) -> int:
    """How many cells cmark-gfm (GitHub) reads in a table row: a backslash escapes the next character."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    cells, position = 1, 0
    while position < len(body):
        char = body[position]
        if char == "\\":
            position += 2
            continue
        if char == "|" and position < len(body) - 1:
            cells += 1
        position += 1
    return cells


@dataclass(frozen=True)
class MarkdownCheck:
    tokens: list[Token]
    source: str

    @property
    def fences(self) -> list[Token]:
        return [t for t in self.tokens if t.type == "fence"]

    def shell_block(self) -> str:
        blocks = [t.content for t in self.fences if t.info.strip() == "bash"]
        assert len(blocks) == 1, f"expected one bash block, found {len(blocks)}\n{self.source}"
        return blocks[0]


def check_markdown(document: str, names: Iterable[str]) -> MarkdownCheck:
    """Assert that ``document`` holds each of ``names`` as data only; return the parsed tokens."""
    tokens = list(_walk(_PARSER.parse(document)))
    html = [t for t in tokens if t.type in ("html_inline", "html_block")]
    for token in html:
        tags = {tag.lower() for tag in re.findall(r"</?([A-Za-z][\w-]*)", token.content)}
        assert tags <= _OWN_TAGS, f"a name reached the Markdown as HTML: {token.content!r}\n{document}"
    links = [t for t in tokens if t.type in ("link_open", "image")]
    assert not links, f"a name became a link or an image: {[t.attrs for t in links]}\n{document}"
    names = list(names)
    _check_emphasis(tokens, document)
    shown = [t.content for t in tokens if t.type in ("text", "code_inline", "fence", "code_block")]
    for name in names:
        assert any(one_line(name) in piece for piece in shown), (
            f"{name!r} is not shown whole as text or code\n{document}"
        )
    _check_tables(tokens, document)
    return MarkdownCheck(tokens, document)


def _check_emphasis(tokens: list[Token], document: str) -> None:
    """No emphasis, strong emphasis or strike-through wraps a word of :data:`PUNCTUATION`."""
    depth = 0
    inside: list[str] = []
    for token in tokens:
        if token.type in ("em_open", "strong_open", "s_open"):
            depth += 1
        elif token.type in ("em_close", "strong_close", "s_close"):
            depth -= 1
            wrapped = "".join(inside)
            inside = [] if depth == 0 else inside
            assert not any(word in wrapped for word in PUNCTUATION_WORDS), (
                f"a piece of a name became emphasis: {wrapped!r}\n{document}"
            )
        elif depth and token.type in ("text", "code_inline"):
            inside.append(token.content)


def _check_tables(tokens: list[Token], document: str) -> None:
    lines = document.splitlines()
    columns = 0
    body = False
    for token in tokens:
        if token.type == "table_open":
            columns, body = 0, False
        elif token.type == "th_open":
            columns += 1
        elif token.type == "tbody_open":
            body = True
        elif token.type == "tr_open" and body and token.map is not None:
            row = lines[token.map[0]]
            assert gfm_cells(row) == columns, f"a name changed a table row's cells: {row!r}\n{document}"


# ------------------------------------------------------------------------------------------------------------
# Reading HTML back


#: Elements that format text: none may wrap a piece of a name (the name's own ``**`` or ``_``).
_INLINE_MARKUP = frozenset({"strong", "em", "b", "i", "a", "s", "del", "u", "mark"})


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.data: list[str] = []
        self.open: list[tuple[str, int]] = []
        self.wrapped: list[tuple[str, str]] = []
        """(tag, text) of every element closed: what it wraps."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.open.append((tag, len(self.data)))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, start = self.open.pop()
            self.wrapped.append((name, "".join(self.data[start:])))
            if name == tag:
                break

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def elements(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


def check_html(page: str, reference: str, names: Iterable[str]) -> None:
    """Assert that ``page`` has no element or attribute beyond those of ``reference`` (the same page for
    ordinary names), one script (its own), and every name among its text."""
    found, own = elements(page), elements(reference)
    own_tags = {tag for tag, _ in own.tags}
    own_attributes = {name for _, attrs in own.tags for name, _ in attrs}
    extra = {tag for tag, _ in found.tags} - own_tags
    assert not extra, f"a name reached the page as markup: {extra}"
    attributes = {name for _, attrs in found.tags for name, _ in attrs} - own_attributes
    assert not attributes, f"a name reached the page as attributes: {attributes}"
    assert sum(tag == "script" for tag, _ in found.tags) == 1, "a name opened a script element"
    values = [value or "" for _, attrs in found.tags for _, value in attrs]
    assert not [v for v in values if "alert(" in v], "a name reached an attribute value"
    for tag, wrapped in found.wrapped:
        if tag in _INLINE_MARKUP:
            assert not any(word in wrapped for word in PUNCTUATION_WORDS), f"a name made <{tag}>: {wrapped!r}"
    text = "".join(found.data)
    for name in names:
        assert name in text or one_line(name) in text, f"{name!r} is not shown as text"


# ------------------------------------------------------------------------------------------------------------
# Running the execution order's shell block

_RECORD = '{ printf "%s\\0" "$@"; printf "\\1\\0"; } >> "$ARGV_LOG"'
_STUB = f'#!/bin/bash\nset -- "${{0##*/}}" "$@"\n{_RECORD}\n'
#: Records every other command the block tries to run (``touch``, ``rm``...: absent from PATH) too.
_NOT_FOUND = f"command_not_found_handle() {{ {_RECORD}; return 127; }}\n"
STUBBED = ("python", "alembic", "dbaudit")
#: What the block may run: the stubs, and the commands the order names for SQL files and Makefiles.
ALLOWED_PROGRAMS = frozenset({*STUBBED, "psql", "make"})


@dataclass(frozen=True)
class ShellRun:
    script: str
    calls: list[list[str]]
    """argv of each command the block ran or tried to run, the program's name first."""
    created: list[str]
    stderr: str


def run_shell_block(script: str, workdir: Path) -> ShellRun:
    """Check ``script`` with ``bash -n``, then run it in ``workdir`` with a PATH of argv-recording stubs only.

    ``workdir`` gets a ``victim`` folder (a name asks for ``rm -rf victim``); ``created`` lists every file
    the run left in ``workdir`` apart from it and the log.
    """
    bash = shutil.which("bash")
    assert bash is not None, "bash is needed to run the shell block"
    syntax = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, f"bash -n rejects the block: {syntax.stderr}\n{script}"
    stubs = workdir / "stubs"
    stubs.mkdir(parents=True)
    for program in STUBBED:
        stub = stubs / program
        stub.write_text(_STUB, encoding="utf-8")
        stub.chmod(0o755)
    run_dir = workdir / "run"
    (run_dir / "victim").mkdir(parents=True)
    log = workdir / "argv.log"
    log.touch()
    env = {"PATH": str(stubs), "ARGV_LOG": str(log), "HOME": str(run_dir)}
    done = subprocess.run(
        [bash, "-c", _NOT_FOUND + script], cwd=run_dir, env=env, capture_output=True, text=True, check=False
    )
    calls: list[list[str]] = []
    current: list[str] = []
    for part in log.read_text(encoding="utf-8").split("\0")[:-1]:
        if part == "\1":
            calls.append(current)
            current = []
        else:
            current.append(part)
    created = sorted(
        str(p.relative_to(workdir))
        for p in workdir.rglob("*")
        if p != log and not p.is_relative_to(stubs) and p not in (run_dir, run_dir / "victim")
    )
    assert (run_dir / "victim").is_dir(), f"a name removed a folder\n{script}"
    return ShellRun(script, calls, created, done.stderr)


def check_shell_block(run: ShellRun, expected: dict[str, list[str]]) -> None:
    """No file was created, no other program run; each ``expected`` program got its arguments whole."""
    assert not run.created, f"the shell block created {run.created}\n{run.script}"
    strangers = [call for call in run.calls if call[0] not in ALLOWED_PROGRAMS]
    assert not strangers, f"a name ran commands: {strangers}\n{run.script}"
    for call in run.calls:
        assert all("\n" not in arg and "\r" not in arg for arg in call), call
    for program, arguments in expected.items():
        called = [call[1:] for call in run.calls if call[0] == program]
        for argument in arguments:
            assert any(argument in call for call in called), (
                f"{program} was not called with {argument!r} as one argument: {called}\n{run.script}"
            )


def commented_out(script: str, fragment: str) -> bool:
    """Whether every line of ``script`` holding ``fragment`` is a comment."""
    lines = [line for line in script.splitlines() if fragment in line]
    return bool(lines) and all(line.lstrip().startswith("#") for line in lines)
