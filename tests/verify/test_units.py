"""The pieces of ``dbaudit verify`` that need no child process: the model of a run and its gate, literal URLs,
the copied alembic.ini, the plan of steps, the renderers and reading a saved run back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dbaudit.cli import cli
from dbaudit.errors import BaselineError
from dbaudit.model import (
    SCHEMA_VERSION,
    Audit,
    ExecutionStep,
    Finding,
    RevisionInfo,
    ScanResult,
    SeederRun,
    SeederStep,
    SeedSource,
    Severity,
    SourceKind,
    StepKind,
    StepOutcome,
    StepResult,
    TableDelta,
    TableWrite,
)
from dbaudit.render import render
from dbaudit.render.seeder_run import render_seeder_run
from dbaudit.verify import load_run
from dbaudit.verify.config import VerifyConfig
from dbaudit.verify.literals import find_literal_urls
from dbaudit.verify.plan import Alembic, plan_steps
from dbaudit.verify.workspace import point_alembic_at

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/dbaudit/audit.schema.json").read_text())
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))
HOSTILE = "x|`<img src=x onerror=alert(1)>`\n# h"


def sample_run(**changes: object) -> SeederRun:
    init = SeederStep(
        2,
        "backend/app/scripts/init_db.py",
        StepKind.SCRIPT,
        "python -m app.scripts.init_db (in backend/)",
        ("users", "assets"),
        StepResult(
            StepOutcome.FAILED,
            1,
            0.5,
            "Traceback...\nIntegrityError: NOT NULL constraint failed: assets.name",
            (TableDelta("users", 1, 4, 3, 0, 0), TableDelta(HOSTILE, 0, 2, 2, 1, 0)),
        ),
        StepResult(StepOutcome.OK, 0, 0.4, "", (TableDelta("users", 4, 7),)),
    )
    schema = SeederStep(
        1, "alembic upgrade heads", StepKind.SCHEMA, "alembic upgrade heads", (), StepResult(StepOutcome.OK)
    )
    run = SeederRun(
        "2026-01-01T00:00:00+00:00",
        "0.1.0",
        "postgresql",
        "postgresql://app:***@db/scratch_dbaudit_1",
        (schema, init),
        application_tables=3,
        empty_tables=("assets", "audit_log"),
        allowed_empty=("audit_*",),
        findings=(
            Finding(
                "partial-seed",
                "`init_db.py` failed after committing rows",
                Severity.ERROR,
                source=init.seeder,
            ),
        ),
        step_timeout=600,
    )
    return replace(run, **changes)  # type: ignore[arg-type]


def test_the_gate() -> None:
    run = sample_run()
    assert run.still_empty == ("assets",)  # audit_log is allowed
    assert [s.number for s in run.failed_steps] == [2]
    assert not run.passed
    fixed = replace(
        run,
        steps=(
            run.steps[0],
            replace(run.steps[1], first=replace(run.steps[1].first, outcome=StepOutcome.OK)),
        ),
        empty_tables=("audit_log",),
    )
    assert fixed.passed
    assert [s.number for s in fixed.unrepeatable_steps] == [2]  # its second run added rows
    assert not replace(fixed, strict_repeat=True).passed


@pytest.mark.slow  # hypothesis builds whole runs and validates each against the JSON schema
@settings(max_examples=15, deadline=None)
@given(st.from_type(SeederRun).map(lambda r: replace(r, schema_version=SCHEMA_VERSION)))
def test_a_run_round_trips_through_json_and_matches_the_schema(run: SeederRun) -> None:
    data = json.loads(json.dumps(run.to_dict()))
    assert SeederRun.from_dict(data) == run
    jsonschema.validate(data, {**SCHEMA, "$ref": "#/$defs/SeederRun"}, jsonschema.Draft202012Validator)


def test_a_saved_run_is_read_back_and_bad_files_are_one_error(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(render_seeder_run(sample_run(), "json"))
    assert load_run(path) == sample_run()
    for content, words in (
        ("{", "is not JSON"),
        ('{"steps": []}', "is not a saved seeder run"),
        (json.dumps({**sample_run().to_dict(), "schema_version": "9.0"}), "newer"),
        (json.dumps({**sample_run().to_dict(), "steps": [{"number": "x"}]}), "does not match"),
    ):
        path.write_text(content)
        with pytest.raises(BaselineError, match=words):
            load_run(path)


def test_literal_urls_are_string_literals_not_docstrings_or_comments(tmp_path: Path) -> None:
    (tmp_path / "seed.py").write_text(
        '"""Run with DATABASE_URL=postgresql://app@db/prod."""\n'
        "# mysql://root@db/x is a comment\n"
        "import os\n"
        "def f():\n"
        '    """postgres://in@a/docstring"""\n'
        '    return os.getenv("DATABASE_URL", "postgresql+asyncpg://app:pw@db.internal:5432/prod")\n'
        'LOCAL = "sqlite:///app.db"\n'
    )
    (tmp_path / "seed.sql").write_text("-- anything\nSELECT 'mariadb://u@h/d';\n")
    found = find_literal_urls(tmp_path, ["seed.py", "seed.sql", "missing.py"])
    assert [(u.path, u.line) for u in found] == [("seed.py", 6), ("seed.sql", 2)]
    assert "pw" not in found[0].url and "db.internal" in found[0].url


def test_the_copied_alembic_ini_names_the_scratch_database(tmp_path: Path) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "[alembic]\nscript_location = alembic\nsqlalchemy.url = postgresql://real@prod/app\n"
        "  continued\n\n[loggers]\nkeys = root\n"
    )
    point_alembic_at(ini, "postgresql://u:p%40ss@h/scratch")
    text = ini.read_text()
    assert "prod" not in text and "continued" not in text
    assert "sqlalchemy.url = postgresql://u:p%%40ss@h/scratch\n" in text
    assert "[loggers]\nkeys = root" in text
    bare = tmp_path / "bare.ini"
    bare.write_text("[alembic]\nscript_location = alembic\n[loggers]\nkeys = root\n")
    point_alembic_at(bare, "sqlite:////tmp/x.db")
    assert bare.read_text().startswith(
        "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:////tmp/x.db\n"
    )


def revision(path: str, rev: str, down: str | None, table: str) -> SeedSource:
    return SeedSource(
        path,
        SourceKind.REVISION,
        (TableWrite(table, "alembic-bulk-insert"),),
        RevisionInfo(rev, (down,) if down else ()),
    )


def test_the_plan_interleaves_data_revisions_and_scripts(tmp_path: Path) -> None:
    (tmp_path / "app" / "scripts").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "scripts" / "__init__.py").write_text("")
    first = revision("alembic/versions/a.py", "a1", None, "roles")
    second = revision("alembic/versions/b.py", "b2", "a0", "grants")
    script = SeedSource("app/scripts/seed_users.py", SourceKind.SCRIPT, (TableWrite("users", "orm-add"),))
    plain = SeedSource("tools/seed.py", SourceKind.SCRIPT, (TableWrite("tags", "sql-insert"),))
    fixture = SeedSource("fixtures/x.json", SourceKind.FIXTURE, (TableWrite("x", "fixture"),))
    sql = SeedSource("seeds/x.sql", SourceKind.SQL, (TableWrite("y", "sql-insert"),))
    scan = ScanResult("p", (first, second, script, plain, fixture, sql))
    order = tuple(ExecutionStep(s.path, s.tables) for s in (first, script, second))
    config = VerifyConfig(python="py")
    steps = plan_steps(order, scan, tmp_path, config, Alembic("alembic.ini", "alembic"))
    assert [(s.kind.value, s.command) for s in steps] == [
        ("revision", "alembic upgrade a1"),
        ("schema", "alembic upgrade a0"),  # as far as the schema goes before the next data revision
        ("script", "python -m app.scripts.seed_users"),
        ("revision", "alembic upgrade b2"),
        ("schema", "alembic upgrade heads"),
        ("sql", "SQL file seeds/x.sql through SQLAlchemy, in one transaction"),
        ("command", ""),
        ("script", "python tools/seed.py"),
    ]
    assert steps[2].argv == ("py", "-m", "app.scripts.seed_users") and steps[2].cwd == ""
    assert steps[6].not_run and "[tool.dbaudit.verify.commands]" in steps[6].not_run
    configured = plan_steps(
        order,
        scan,
        tmp_path,
        VerifyConfig(python="py", migrate_command="make db", commands={"fixtures/x.json": "load x"}),
        None,
    )
    assert [s.command for s in configured][:2] == ["make db", "python -m app.scripts.seed_users"]
    assert configured[0].predicted == ("roles", "grants")
    assert [s.shell for s in configured if s.seeder == "fixtures/x.json"] == ["load x"]


def test_markdown_and_html_show_the_run_and_keep_names_inert() -> None:
    run = sample_run()
    md = render_seeder_run(run, "md")
    assert md.startswith("# Seeder run\n")
    assert "**Gate: failed**: 1 step failed (`init_db.py`); 1 application table still empty" in md
    assert "IntegrityError: NOT NULL constraint failed" in md  # the tail of a failed step
    assert "``x\\|`<img src=x onerror=alert(1)>`⏎# h``" in md  # a code span: shown, never markup
    assert "\n# h" not in md
    html = render_seeder_run(run, "html")
    assert 'id="seeder-run"' in html and "<img" not in html
    assert "gate-failed" in html


def test_report_includes_a_saved_run(tmp_path: Path) -> None:
    audit = Audit("2026-01-01T00:00:00+00:00", "0.1.0", seeder_run=sample_run())
    assert "## Seeder run\n" in render(audit, "md")
    saved = tmp_path / "run.json"
    saved.write_text(render_seeder_run(sample_run(), "json"))
    database = tmp_path / "app.db"
    import sqlite3

    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    runner = CliRunner()
    args = ["report", "--url", f"sqlite:///{database}", "--project", str(tmp_path), "--verify", str(saved)]
    out = runner.invoke(cli, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output + repr(out.exception)
    assert SeederRun.from_dict(json.loads(out.stdout)["seeder_run"]) == sample_run()
    html = runner.invoke(cli, [*args, "--format", "html"])
    assert 'id="seeder-run"' in html.output
    saved.write_text("not json")
    bad = runner.invoke(cli, args)
    assert bad.exit_code != 0 and isinstance(bad.exception, BaselineError)


def test_every_database_variable_of_a_step_names_the_scratch_database(tmp_path: Path) -> None:
    from dbaudit.verify.run import _driver
    from dbaudit.verify.runner import step_environment
    from dbaudit.verify.scratch import SqliteServer

    configured = "postgresql+asyncpg://app:pw@db/prod"
    db = SqliteServer(tmp_path).create()
    assert (
        _driver(configured) == "postgresql+asyncpg"
        and _driver("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite"
    )
    url = db.url_for_steps("sqlite+aiosqlite")  # the async form where the project is configured with one
    assert url == f"sqlite+aiosqlite:///{tmp_path / db.name}.db"
    base = {"PATH": "/usr/bin", "DATABASE_URL": configured, "LEGACY": configured, "OTHER": "x", "APP_DB": ""}
    env = step_environment(base, url, ["APP_DB"], "/venv/bin/python", redirect=[configured])
    assert {k: env[k] for k in ("DATABASE_URL", "DBAUDIT_URL", "APP_DB", "LEGACY")} == dict.fromkeys(
        ("DATABASE_URL", "DBAUDIT_URL", "APP_DB", "LEGACY"), url
    )
    assert env["OTHER"] == "x" and env["PATH"].split(":")[0] == "/venv/bin"
    assert base["DATABASE_URL"] == configured  # the caller's environment is left alone
