"""Hostile scanner input: diagnostics, never a crash, never execution.

One project holds everything a real repository can throw at the scanner: syntax errors, NUL bytes, a 50 MB
file, code nested thousands of levels deep (which makes CPython's own parser and any recursive AST walk hit
the recursion limit), symbolic-link loops, undecodable bytes and file names, deeply nested JSON/YAML
fixtures, and files that would create a marker file if they were imported, executed, unpickled or loaded
with an unsafe YAML loader.  ``dbaudit scan`` runs on it as a real process (a C-level crash cannot take the
test runner down), must exit 0, must still find the one good seed script, and no marker may exist afterwards.

A hypothesis test then feeds generated Python and SQL (random text, random bytes, and grammar-ish
compositions of ``session.add`` / ``op.execute`` / ``INSERT`` fragments, cut at random points) to
:func:`dbaudit.scan.scan_tree` through an in-memory tree: every outcome is a ``ScanResult``.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.safety.runner import run_process

BIG_FILE_BYTES = 50 * 1024 * 1024
MARKER_NAME = "EXECUTED"


class _Detonator:
    """Unpickling this creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


def _plant(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def build_hostile_project(root: Path, marker: Path) -> None:
    """Write the hostile project described in the module docstring under ``root``."""
    boom = f"open({str(marker)!r}, 'w').write('ran')\n"
    _plant(root / "pyproject.toml", '[project]\nname = "hostile"\n')
    _plant(root / "alembic.ini", "[alembic]\nscript_location = alembic\n")
    # The one good source: the scan must go on past everything else and still find it.
    _plant(
        root / "app" / "seed_ok.py",
        "from app.models import Widget\n\n\ndef main(session):\n    session.add(Widget(name='w'))\n\n\n"
        "if __name__ == '__main__':\n    main(None)\n",
    )
    _plant(
        root / "app" / "models.py",
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\n"
        "class Widget(Base):\n    __tablename__ = 'widgets'\n",
    )
    # Files that would run code on import, on execution or on load.
    for name in (
        "__init__.py",
        "conftest.py",
        "setup.py",
        "sitecustomize.py",
        "seed_evil.py",
        "populate_x.py",
    ):
        _plant(root / "app" / name, boom + "import os\nos.system('touch " + str(marker) + "')\n")
    _plant(root / "app" / "evil.pth", "import os; " + boom)
    _plant(root / "alembic" / "env.py", boom)
    _plant(
        root / "alembic" / "versions" / "0001_evil.py",
        '"""evil revision"""\n' + boom + "revision = '0001'\ndown_revision = None\n\n\ndef upgrade():\n"
        "    op.execute(\"INSERT INTO widgets (name) VALUES ('x')\")\n",
    )
    _plant(root / "fixtures" / "seed_widgets.pkl", pickle.dumps(_Detonator(str(marker))))
    _plant(
        root / "fixtures" / "widgets.yaml",
        f"- !!python/object/apply:builtins.open [{str(marker)!r}, 'w']\n",
    )
    # The kinds of source issue 12 added: commands (also outside the sources, evaluated for possible seed
    # sources), a helper module of functions a command reaches, named-query files, data files a script opens
    # (a pickle among them), a revision-local model.
    assign_boom = "import pathlib\n_ = pathlib.Path(" + repr(str(marker)) + ").write_text('ran')\n"
    _plant(
        root / "app" / "seed_commands.py",
        boom + "import click\nfrom app.models import Widget\n\n\n@click.command()\ndef init():\n"
        "    " + boom + "    session.add(Widget())\n",
    )
    _plant(root / "app" / "populate_helpers.py", assign_boom + "def widgets():\n    session.add(Widget())\n")
    _plant(
        root / "app" / "manage.py",
        boom + "import click\nfrom app import populate_helpers\n\n\n@click.command()\ndef load_demo():\n"
        "    populate_helpers.widgets()\n",
    )
    _plant(
        root / "app" / "sql" / "seed_named.sql", "-- name: add-widget!\nINSERT INTO widgets VALUES (:x);\n"
    )
    _plant(
        root / "app" / "seed_named.py",
        boom
        + "import pathlib\nimport aiosql\nq = aiosql.from_path(pathlib.Path(__file__).parent / 'sql', 'x')\n"
        "q.add_widget(conn, x=1)\n",
    )
    _plant(root / "app" / "rows.pkl", pickle.dumps(_Detonator(str(marker))))
    _plant(
        root / "app" / "seed_opens.py",
        boom + "import json, pickle, yaml\npickle.load(open('app/rows.pkl', 'rb'))\n"
        "yaml.safe_load(open('fixtures/widgets.yaml'))\n",
    )
    _plant(
        root / "alembic" / "versions" / "0002_local.py",
        boom
        + "from alembic import op\nfrom sqlalchemy import orm\nfrom sqlalchemy.orm import declarative_base\n"
        "revision = '0002'\ndown_revision = '0001'\nBase = declarative_base()\n\n\nclass W(Base):\n"
        "    __tablename__ = 'widgets'\n\n\ndef upgrade():\n    orm.Session(bind=op.get_bind()).add(W())\n",
    )
    # Broken, binary, undecodable.
    _plant(root / "app" / "seed_syntax.py", "def broken(:\n    session.add(\n")
    _plant(root / "app" / "seed_nul.py", b"session.add(Widget())\x00\n")
    _plant(root / "app" / "seed_latin1.py", b"name = '\xff\xfe caf\xe9'\nsession.add(Widget(name=name))\n")
    _plant(root / "app" / "seed_bad_coding.py", b"# -*- coding: no-such-codec -*-\nx = 1\n")
    _plant(root / "data" / "seed_binary.sql", b"INSERT INTO widgets VALUES (1);\x00\xff\x00")
    _plant(root / "data" / "seed_latin1.sql", b"INSERT INTO widgets (name) VALUES ('caf\xe9');\n")
    _plant(root / "data" / "seed_broken.sql", "INSERT INTO (((;\nCOPY FROM nowhere;\n")
    # Deeply nested code, SQL and data.
    _plant(root / "app" / "seed_deep_parens.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    ifs = "".join("    " * i + "if x:\n" for i in range(5000)) + "    " * 5000 + "session.add(Widget())\n"
    _plant(root / "app" / "seed_deep_ifs.py", ifs)
    for depth in (500, 1500, 2500, 5000):
        _plant(
            root / "app" / f"seed_deep_sum_{depth}.py",
            "session.add(Widget(name=" + " + ".join(["'a'"] * depth) + "))\n",
        )
        _plant(root / "app" / f"seed_deep_attr_{depth}.py", "x = a" + ".b" * depth + "\nsession.add(x)\n")
        _plant(root / "app" / f"seed_deep_call_{depth}.py", "session.add(f" + "()" * depth + ")\n")
    _plant(root / "app" / "seed_deep_not.py", "x = " + "not " * 5000 + "y\n")
    _plant(
        root / "app" / "seed_deep_sql.py",
        "op.execute('INSERT INTO widgets VALUES " + "(" * 5000 + "1" + ")" * 5000 + "')\n",
    )
    _plant(
        root / "data" / "seed_deep.sql", "INSERT INTO widgets VALUES " + "(" * 5000 + "1" + ")" * 5000 + ";\n"
    )
    _plant(root / "fixtures" / "deep.json", "[" * 100_000 + "]" * 100_000)
    _plant(root / "fixtures" / "deep.yaml", "[" * 100_000 + "]" * 100_000)
    _plant(root / "db" / "widgets.json", json.dumps([{"name": "ok"}]))
    # File names that are not UTF-8, carry a newline, or Markdown/HTML markup.
    with open(os.fsencode(root / "app") + b"/seed_\xff\xfe.py", "wb") as fh:
        fh.write(b"session.add(Widget())\n")
    _plant(root / "app" / "seed_new\nline.py", "session.add(Widget())\n")
    _plant(root / "data" / "seed_<b>|x.sql", "INSERT INTO widgets VALUES (1);\n")
    # Symbolic-link loops: a folder linking to its parent, files linking to each other, a dangling link.
    (root / "app" / "seeds").mkdir(parents=True, exist_ok=True)
    os.symlink("..", root / "app" / "seeds" / "loop")
    os.symlink("seed_b.py", root / "app" / "seeds" / "seed_a.py")
    os.symlink("seed_a.py", root / "app" / "seeds" / "seed_b.py")
    os.symlink("missing.py", root / "app" / "seeds" / "seed_dangling.py")
    # 50 MB of valid Python: an enormous file must be skipped with a diagnostic, not parsed for minutes.
    line = b"session.add(Widget(name='x' * 10))\n"
    with (root / "app" / "seed_huge.py").open("wb") as fh:
        fh.write(line * (BIG_FILE_BYTES // len(line) + 1))


def _markers(root: Path) -> list[Path]:
    return [p for p in root.rglob(MARKER_NAME) if not p.is_symlink()]


@pytest.mark.slow
def test_scan_survives_hostile_files_and_never_executes_them(tmp_path: Path) -> None:
    project = tmp_path / "project"
    marker = tmp_path / MARKER_NAME
    build_hostile_project(project, marker)
    try:
        run = run_process(["scan", "--format", "json", str(project)], cwd=project, timeout=300)
        explain = run_process(["scan", "--explain", "widgets", str(project)], cwd=project, timeout=300)
    finally:
        (project / "app" / "seed_huge.py").unlink()
    assert not marker.exists(), "the scan executed project code"
    assert not _markers(project)
    assert run.code == 0, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert explain.code == 0 and "Traceback" not in explain.stderr, explain.describe()
    data = json.loads(run.stdout)
    scan = data.get("scan", data)
    written = {w["table"] for source in scan["sources"] for w in source["writes"]}
    assert "widgets" in written, "the good seed script must still be found"
    by_source = {source["path"] for source in scan["sources"]}
    for kind in (
        "app/seed_commands.py",
        "app/manage.py",
        "app/seed_named.py",
        "alembic/versions/0002_local.py",
    ):
        assert kind in by_source, f"{kind} not found: {sorted(by_source)}"
    diagnosed = {d["location"]["path"] for d in scan["diagnostics"] if d.get("location")}
    for expected in (
        "app/seed_syntax.py",
        "app/seed_nul.py",
        "app/seed_huge.py",
        "app/seed_deep_parens.py",
        "app/seed_deep_ifs.py",
        "app/seed_bad_coding.py",
        "data/seed_binary.sql",
    ):
        assert expected in diagnosed, f"no diagnostic for {expected}: {sorted(diagnosed)}"


# ------------------------------------------------------------------------------------------------------------
# Fuzzing the scanner through an in-memory tree


@dataclass
class MemoryTree:
    """A :class:`dbaudit.scan.tree.SourceTree` over a dict of files."""

    files: dict[str, bytes]
    root_label: str = "fuzz"
    read: list[str] = field(default_factory=list)

    def paths(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self.files))

    def read_bytes(self, path: str) -> bytes:
        self.read.append(path)
        return self.files[path]


NAMES = st.one_of(
    st.sampled_from(["users", "Users", '"user"', "`order`", "public.assets", '"we""ird"', "t;--", "ünï"]),
    st.text(min_size=0, max_size=12),
)
SQL_TEMPLATES = st.sampled_from(
    [
        "INSERT INTO {n} VALUES (1)",
        "INSERT INTO {n} (a, b) SELECT a, b FROM {n}",
        "WITH x AS (SELECT 1) INSERT INTO {n} SELECT * FROM x",
        "INSERT INTO {n} VALUES (1) ON CONFLICT (id) DO NOTHING",
        "INSERT INTO {n} VALUES (1) ON DUPLICATE KEY UPDATE a = 1",
        "INSERT OR IGNORE INTO {n} VALUES (1)",
        "REPLACE INTO {n} VALUES (1)",
        "COPY {n} FROM STDIN",
        "MERGE INTO {n} USING s ON 1 = 1 WHEN NOT MATCHED THEN INSERT VALUES (1)",
        "DELETE FROM {n} WHERE is_mock",
        "UPDATE {n} SET a = 1",
        "CREATE TABLE {n} (id int)",
        "{n}",
    ]
)
SQL = st.one_of(
    st.builds(lambda t, n: t.replace("{n}", n), SQL_TEMPLATES, NAMES),
    st.text(max_size=60),
)
SQL_SCRIPTS = st.lists(SQL, max_size=4).map(";\n".join)
PY_TEMPLATES = st.sampled_from(
    [
        "session.add({m}(id=1))",
        "db.session.add_all([{m}(), {m}(name={s})])",
        "await session.execute(insert({m}).values(id=1))",
        "session.bulk_insert_mappings({m}, rows)",
        "op.execute({s})",
        "op.execute(f{s})",
        "op.execute(text({s}))",
        "op.execute({s}.format(name))",
        "op.bulk_insert({m}, [{{'id': 1}}])",
        "{m} = sa.table({s}, sa.column('id'))",
        "conn.execute({m}.insert())",
        "class {m}(Base):\n    __tablename__ = {s}\n",
        "def main():\n    {m}.__table__.insert()\n",
        "if __name__ == '__main__':\n    main()",
        "asyncio.run(main())",
        "for row in json.load(open('x.json')):\n    session.add({m}(**row))",
    ]
)
MODEL = st.sampled_from(["User", "Asset", "t", "op", "session", "x.y"])
PY_FRAGMENT = st.builds(
    lambda t, m, s: t.replace("{m}", m).replace("{s}", repr(s)).replace("{{", "{").replace("}}", "}"),
    PY_TEMPLATES,
    MODEL,
    SQL,
)
PY_SOURCE = st.one_of(
    st.text(max_size=200),
    st.tuples(st.lists(PY_FRAGMENT, max_size=6).map("\n".join), st.integers(min_value=0)).map(
        lambda pair: pair[0][: len(pair[0]) - pair[1] % (len(pair[0]) + 1)] if pair[1] % 3 == 0 else pair[0]
    ),
)
FILE_BYTES = st.one_of(
    PY_SOURCE.map(lambda s: s.encode("utf-8", "surrogatepass")),
    SQL_SCRIPTS.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=FILE_BYTES,
    revision=PY_SOURCE,
    sql=SQL_SCRIPTS,
    fixture=st.one_of(st.text(max_size=80), st.just('[{"model": "app.user", "fields": {}}]')),
)
def test_scanner_fuzz_never_crashes(script: bytes, revision: str, sql: str, fixture: str) -> None:
    from dbaudit.config import Settings
    from dbaudit.model import ScanResult
    from dbaudit.scan import scan_tree

    files = {
        "alembic.ini": b"[alembic]\nscript_location = alembic\n",
        "scripts/seed_fuzz.py": script,
        "alembic/versions/0001_fuzz.py": (
            f'"""fuzz"""\nrevision = "0001"\ndown_revision = None\n\n\ndef upgrade():\n    pass\n{revision}'
        ).encode("utf-8", "surrogatepass"),
        "db/seed_fuzz.sql": sql.encode("utf-8", "surrogatepass"),
        "fixtures/users.json": fixture.encode("utf-8", "surrogatepass"),
    }
    result = scan_tree(MemoryTree(files), Settings(alembic_locations=("alembic",)))
    assert isinstance(result, ScanResult)


DEEP_FILES = {
    "operator-chain": (
        "scripts/seed_sum.py",
        lambda d: "session.add(User(name=" + " + ".join(["'a'"] * d) + "))\n",
    ),
    "call-chain": ("scripts/seed_call.py", lambda d: "session.add(f" + "()" * d + ")\n"),
    "nested-lists": ("scripts/seed_list.py", lambda d: "session.add_all(" + "[" * d + "]" * d + ")\n"),
    "sql-in-python": (
        "scripts/seed_sql.py",
        lambda d: "op.execute('INSERT INTO t VALUES " + "(" * d + "1" + ")" * d + "')\n",
    ),
    "sql-file": ("db/seed_deep.sql", lambda d: "INSERT INTO t SELECT " + "(" * d + "1" + ")" * d),
}


@pytest.mark.parametrize("depth", [100, 900, 2000, 5000])
@pytest.mark.parametrize("kind", sorted(DEEP_FILES))
def test_scanner_handles_deep_nesting_in_process(kind: str, depth: int) -> None:
    """Deep input in-process: a RecursionError inside the parser or a walk must become a diagnostic."""
    from dbaudit.config import Settings
    from dbaudit.model import ScanResult
    from dbaudit.scan import scan_tree

    path, build = DEEP_FILES[kind]
    result = scan_tree(MemoryTree({path: build(depth).encode()}), Settings())
    assert isinstance(result, ScanResult)
