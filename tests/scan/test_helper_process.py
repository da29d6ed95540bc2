"""Alembic's ``Config`` in :mod:`dbaudit.helper`'s process: the same answers and the same refusals as in this
process, and ``dbaudit scan`` from the console script ends with all of its output written.

The helper forks only when no other thread runs, which is never true under this test runner; each test runs
its subject in a fresh interpreter, where it does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from dbaudit.render.scan import render_scan
from dbaudit.scan import scan_sources
from dbaudit.scan.alembic_config import may_be_configured

ALEMBIC_PROJECT = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "db/alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n\n[reports]\nscript_location = "
    "%(here)s/reports\nversion_locations = %(here)s/reports/v1 %(here)s/reports/v2\n",
    "db/migrations/env.py": "",
    "db/migrations/versions/a1_roles.py": 'revision = "a1"\ndown_revision = None\n\n'
    "def upgrade():\n    op.execute(\"INSERT INTO roles (name) VALUES ('admin')\")\n",
    "db/reports/env.py": "",
    "db/reports/v1/r1_kinds.py": 'revision = "r1"\ndown_revision = None\n\n'
    "def upgrade():\n    op.execute(\"INSERT INTO report_kinds (name) VALUES ('daily')\")\n",
    "db/reports/v2/r2_more.py": 'revision = "r2"\ndown_revision = "r1"\n\n'
    "def upgrade():\n    op.execute(\"INSERT INTO report_kinds (name) VALUES ('weekly')\")\n"
    '    op.execute("INSERT INTO (((")\n',  # sqlglot refuses it: a diagnostic, the same from the helper
    "broken/alembic.ini": "[alembic]\nscript_location = x\nthis line is not an option\n",
}


def test_an_alembic_configuration_is_guessed_quickly_and_build_folders_are_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "plain", {"app/models.py": "", "setup.cfg": "[metadata]\nname = x\n"})
    assert not may_be_configured(tmp_path / "plain", ())
    _write(tmp_path / "toml", {"pyproject.toml": '[tool.alembic]\nscript_location = "db"\n'})
    assert may_be_configured(tmp_path / "toml", ())
    _write(tmp_path / "named", {"conf/db.ini": "[main]\nscript_location = db\n"})
    assert may_be_configured(tmp_path / "named", ())
    _write(tmp_path / "venv", {".venv/lib/pkg/alembic.ini": "[alembic]\n"})
    assert not may_be_configured(tmp_path / "venv", (".venv",))


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_config_answers_and_refusals_are_the_same_in_the_helper(tmp_path: Path) -> None:
    _write(tmp_path, ALEMBIC_PROJECT)
    run = _python(
        """
        import json, os
        from pathlib import Path
        from dbaudit import helper
        from dbaudit.scan.alembic_config import ConfigFiles, ConfigProblem

        def answers():
            out = []
            with ConfigFiles() as files:
                for folder in ("db", "broken"):
                    ini = f"{folder}/alembic.ini"
                    staged = files.stage(folder, (ini, Path(ini).read_text()), None)
                    for step in ("check", "alembic", "reports", "nosuch"):
                        try:
                            if step == "check":
                                staged.check()
                                out.append("read")
                            else:
                                o = staged.options(step)
                                out.append([o.script_location, o.version_locations, o.recursive])
                        except ConfigProblem as exc:
                            out.append([str(exc), exc.option, exc.line])
            return out

        assert helper.start("alembic.config"), "the helper should start in a fresh interpreter"
        elsewhere = helper.call(os.getpid)
        in_helper = answers()
        helper.stop()
        here = answers()
        print(json.dumps({"other_process": elsewhere != os.getpid(), "helper": in_helper, "here": here}))
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["other_process"]
    assert result["helper"] == result["here"]
    answers = result["here"]
    assert answers[0] == "read"
    assert answers[2][0] == "/dbaudit-scanned-tree/db/reports"
    assert answers[2][1] == ["/dbaudit-scanned-tree/db/reports/v1", "/dbaudit-scanned-tree/db/reports/v2"]
    # the broken file: Alembic's refusal, with the line it names and the tree's path, never the staged one
    message, _option, line = answers[4]
    assert line == 3 and "broken/alembic.ini" in message and "dbaudit-alembic-" not in message


def test_console_scan_uses_the_helper_and_agrees_with_an_in_process_scan(tmp_path: Path) -> None:
    _write(tmp_path, ALEMBIC_PROJECT)
    from dbaudit.config import Settings

    expected = json.loads(render_scan(scan_sources(tmp_path, Settings(project_root=tmp_path)), "json"))
    run = _python(
        """
        import sys
        from dbaudit import helper
        original = helper.start

        def start(*modules, **options):
            started = original(*modules, **options)
            sys.stderr.write(f"started={started}\\n")  # console() flushes stderr before it ends
            return started

        helper.start = start
        sys.argv = ["dbaudit", "scan", ".", "--format", "json"]
        from dbaudit.cli import console
        console()
        """,
        tmp_path,
    )
    assert "started=True" in run.stderr
    got = json.loads(run.stdout)  # the whole document arrived before the process ended
    assert run.returncode == 0, run.stderr
    assert got == expected
    tables = {w["table"] for s in got["sources"] for w in s["writes"]}
    assert tables == {"roles", "report_kinds"}
    assert any("broken/alembic.ini" in json.dumps(d) for d in got["diagnostics"])
    assert any("r2_more.py" in json.dumps(d) for d in got["diagnostics"]), "the SQL sqlglot refused"


def test_console_scan_writes_its_output_file_and_keeps_its_exit_code(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "[project]\nname = 'p'\n", "seed.py": "x = [1, 2\n"})
    out = tmp_path / "SCAN.md"
    run = subprocess.run(
        [sys.executable, "-m", "dbaudit", "scan", str(tmp_path), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    assert out.read_text(encoding="utf-8").strip()
    missing = subprocess.run(
        [sys.executable, "-m", "dbaudit", "scan", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_a_helper_that_died_is_replaced_by_this_process(tmp_path: Path) -> None:
    """Killed (out of memory, by hand), the helper's calls run here from then on, with the same result."""
    run = _python(
        """
        import os, signal
        from dbaudit import helper
        assert helper.start("json")
        first = helper.call(os.getpid)
        os.kill(first, signal.SIGKILL)
        os.waitpid(first, 0)
        second = helper.call(os.getpid)
        print(first != os.getpid(), second == os.getpid(), helper.running())
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "False"]


def test_in_process_callers_never_get_a_helper(tmp_path: Path) -> None:
    """``dbaudit.cli.main`` (tests, embedding) scans in its own process, even with nothing else running."""
    _write(tmp_path, ALEMBIC_PROJECT)
    run = _python(
        """
        import contextlib, io, threading
        from dbaudit import helper
        from dbaudit.cli import main
        assert threading.active_count() == 1
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["scan", ".", "--format", "json"])
            except SystemExit:
                pass
        print(helper.running())
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False"]


def test_console_scan_renders_markdown_in_the_helper_and_never_imports_the_renderer(tmp_path: Path) -> None:
    """The Markdown comes from the helper (it imported Jinja2 and the renderer meanwhile), byte for byte what
    an in-process scan renders, and this process never imports the renderer, Jinja2 or Alembic at all."""
    _write(tmp_path, ALEMBIC_PROJECT)
    from dbaudit.config import Settings

    expected = render_scan(scan_sources(tmp_path, Settings(project_root=tmp_path)), "md")
    run = _python(
        """
        import os, sys
        sys.argv = ["dbaudit", "scan", "."]
        exit = os._exit

        def report(code):
            watched = ("dbaudit.render.scan", "jinja2", "alembic", "sqlglot")
            here = sorted(m for m in watched if m in sys.modules)
            sys.stderr.write(f"imported here: {here}\\n")
            sys.stderr.flush()
            exit(code)

        os._exit = report
        from dbaudit.cli import console
        console()
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected
    assert "imported here: []" in run.stderr


def test_a_broken_template_is_the_same_one_line_refusal_from_the_helper(tmp_path: Path) -> None:
    _write(tmp_path, {**ALEMBIC_PROJECT, "templates/scan.md.j2": "{% for x in %}\n"})
    runs = [
        subprocess.run(
            [sys.executable, *how, "scan", str(tmp_path), "--template-dir", str(tmp_path / "templates")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        for how in (["-m", "dbaudit"], ["-c", "import sys; from dbaudit.cli import main; main(sys.argv[1:])"])
    ]
    console, in_process = runs
    assert console.returncode == in_process.returncode == 2, (console.stderr, in_process.stderr)
    assert console.stderr == in_process.stderr
    assert console.stderr.count("\n") == 1 and "template scan.md.j2 failed" in console.stderr


def test_console_report_scans_in_the_helper_while_it_reads_the_database(tmp_path: Path) -> None:
    """``dbaudit report`` from the console script scans the project in the helper (this process never imports
    the scanner) and prints what an in-process report prints, byte for byte but the time it was made."""
    import sqlite3

    _write(tmp_path, ALEMBIC_PROJECT)
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as conn:
        conn.executescript(
            "CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE report_kinds (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE users (id INTEGER PRIMARY KEY, role_id INTEGER REFERENCES roles (id));"
            "INSERT INTO roles (name) VALUES ('admin');"
        )
    args = ["report", "--url", f"sqlite:///{database}", "--project", str(tmp_path)]
    console = _python(
        f"""
        import atexit, sys
        from dbaudit import helper

        def imported():
            sys.stderr.write(f"scanner here: {{'dbaudit.scan.scanner' in sys.modules}}\\n")
            sys.stderr.write(f"helper started: {{helper.running()}}\\n")

        atexit.register(imported)  # runs last, after the helper was stopped
        original = helper.start

        def start(*modules, **options):
            started = original(*modules, **options)
            sys.stderr.write(f"started={{started}}\\n")
            return started

        helper.start = start
        sys.argv = ["dbaudit", *{args!r}]
        from dbaudit.cli import console
        console()
        """,
        tmp_path,
    )
    in_process = _python(
        f"""
        import sys
        from dbaudit.cli import main
        main({args!r})
        """,
        tmp_path,
    )
    assert console.returncode == in_process.returncode == 0, (console.stderr, in_process.stderr)
    assert "started=True" in console.stderr
    assert "scanner here: False" in console.stderr
    generated = re.compile(r"^\| Generated \|.*$", re.MULTILINE)
    assert generated.sub("", console.stdout) == generated.sub("", in_process.stdout)
    assert "roles" in console.stdout and "a1_roles.py" in console.stdout


def test_submitted_calls_run_in_the_helper_meanwhile_and_answer_in_any_order_asked(tmp_path: Path) -> None:
    """Calls sent with ``submit`` run there while this process goes on; their results can be asked for in any
    order, twice, and a call whose arguments cannot be pickled runs here instead."""
    run = _python(
        """
        import os, time
        from dbaudit import helper
        assert helper.start("json")
        slow = helper.submit(time.sleep, 0.3)      # the helper is busy with this one
        first = helper.submit(os.getpid)
        second = helper.submit(divmod, 7, 2)
        answers = [second.result(), first.result(), first.result(), slow.result()]
        local = helper.submit(lambda: os.getpid())  # a lambda cannot be pickled: it runs here
        failing = helper.submit(int, "not a number")
        try:
            failing.result()
        except ValueError as exc:
            error = str(exc)
        print(answers[0] == (3, 1), answers[1] == answers[2] != os.getpid(), answers[3] is None,
              local.result() == os.getpid(), "invalid literal" in error)
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True"] * 5
