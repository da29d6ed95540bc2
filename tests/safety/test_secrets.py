"""No password in any output: every command, every way of passing the URL, failing variants too.

A PostgreSQL role and a MariaDB user are created WITH a password (PostgreSQL on 127.0.0.1 trusts the
connection, so there the password is not checked but is still in the URL).  The password contains a unique
alphanumeric token, so searching for the token finds it in every encoding: raw, URL-encoded (``%40``),
``quote_plus``-encoded, JSON-escaped.  Every command runs with the URL on ``--url``, in ``DBAUDIT_URL``, in
``[tool.dbaudit]`` of ``pyproject.toml`` and in ``alembic.ini``; failing variants (wrong host, wrong port,
wrong database, unknown schema, wrong password, malformed URL, unknown dialect) run the same ways and through
``DATABASE_URL``, also with ``-v``, ``-vv`` and ``--traceback``.  stdout, stderr, every file under the run's
folder, the GitHub step summary and dbaudit's bookkeeping tables are searched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import create_engine, inspect, select, table, text
from sqlalchemy.engine import Engine, make_url

from tests.conftest import unique_name
from tests.safety.runner import Run, run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

MODES = ("option", "query", "env", "pyproject", "alembic")


@dataclass
class Secret:
    token: str

    @property
    def password(self) -> str:
        return f"{self.token}!@#%/:?&="

    def forms(self) -> list[str]:
        """The password in every encoding, and the token's head and tail (a password split in two)."""
        whole = [self.token, self.password, quote(self.password, safe=""), quote_plus(self.password)]
        return [*whole, self.token[:6], self.token[-6:]]

    def leaks(self, text_: str) -> list[str]:
        return [form for form in self.forms() if form in text_]


@dataclass
class Target:
    dialect: str
    url: str
    """The password-bearing URL."""
    engine: Engine
    """An engine to look at the database with (as the admin)."""
    secret: Secret


def _url(base: str, user: str, secret: Secret) -> str:
    return make_url(base).set(username=user, password=secret.password).render_as_string(hide_password=False)


def _fill(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(40) NOT NULL)"))
        conn.execute(
            text(
                "CREATE TABLE notes (id integer PRIMARY KEY, account_id integer, body varchar(200),"
                " FOREIGN KEY (account_id) REFERENCES accounts (id))"
            )
        )
        conn.execute(text("INSERT INTO accounts (id, name) VALUES (1, 'real')"))


@pytest.fixture(params=["postgresql", "mysql"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    secret = Secret("pw" + uuid.uuid4().hex[:12])
    if request.param == "postgresql":
        db: TestDatabase = request.getfixturevalue("pg_database")
        admin: Engine = request.getfixturevalue("pg_admin")
        role = unique_name("pw")
        name = make_url(db.url).database
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{secret.password}'"))
            conn.execute(text(f'ALTER DATABASE "{name}" OWNER TO "{role}"'))
        url = _url(db.url, role, secret)
        engine = create_engine(url)
        try:
            _fill(engine)
            yield Target("postgresql", url, db.engine, secret)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                    {"r": role},
                )
            with db.engine.begin() as conn:  # the role's tables live in the test's own database
                conn.execute(text(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER'))
                conn.execute(text(f'DROP OWNED BY "{role}"'))
            with admin.connect() as conn:
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        return
    db = request.getfixturevalue("mysql_database")
    admin = request.getfixturevalue("mysql_admin")
    user = unique_name("pw")[:32]
    hosts = ("%", "localhost", "127.0.0.1")
    with admin.connect() as conn:
        for host in hosts:
            conn.execute(text(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY :pw"), {"pw": secret.password})
            conn.execute(text(f"GRANT ALL ON `{db.schema}`.* TO '{user}'@'{host}'"))
    url = _url(db.url, user, secret)
    try:
        _fill(db.engine)
        yield Target("mysql", url, db.engine, secret)
    finally:
        with admin.connect() as conn:
            for host in hosts:
                conn.execute(text(f"DROP USER IF EXISTS '{user}'@'{host}'"))


def _with_url(mode: str, url: str, project: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Put ``url`` where ``mode`` says; return the command-line arguments that go with it."""
    monkeypatch.delenv("DBAUDIT_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project]\nname = "app"\n', encoding="utf-8")
    (project / "alembic.ini").unlink(missing_ok=True)
    if mode == "option":
        return ["--url", url]
    if mode == "query":  # the password as a query parameter, as some platforms hand URLs out
        parsed = make_url(url)
        password = str(parsed.password)
        with_query = parsed._replace(password=None).update_query_dict({"password": password})
        return ["--url", with_query.render_as_string(hide_password=False)]
    if mode == "env":
        monkeypatch.setenv("DBAUDIT_URL", url)
    elif mode == "database_url":
        monkeypatch.setenv("DATABASE_URL", url)
    elif mode == "pyproject":
        escaped = url.replace("\\", "\\\\").replace('"', '\\"')
        pyproject.write_text(
            f'[project]\nname = "app"\n\n[tool.dbaudit]\nurl = "{escaped}"\n', encoding="utf-8"
        )
    elif mode == "alembic":
        (project / "alembic.ini").write_text(
            "[alembic]\nscript_location = alembic\nsqlalchemy.url = " + url.replace("%", "%%") + "\n",
            encoding="utf-8",
        )
    return []


def _accepts(command: str, option: str) -> bool:
    from dbaudit.cli import cli

    cmd = cli.commands.get(command) if hasattr(cli, "commands") else None
    return cmd is not None and any(option in p.opts for p in cmd.params)


def _command_lines(project: Path, out: Path) -> list[list[str]]:
    """Every command that reads the database, each writing what it can into ``out``."""
    base = out / "base.json"
    lines = [
        ["report", "--format", "json", "-o", str(base)],
        ["report", "--format", "md", "-o", str(out / "audit.md")],
        ["report", "--format", "html", "-o", str(out / "audit.html")],
        ["report"],
        ["scan", "--format", "json", str(project)],
        ["seed", "--missing", "--dry-run"],
        ["seed", "--missing", "--yes"],
        ["purge", "--dry-run"],
        ["purge", "--yes"],
        ["diff", str(base), "--format", "md", "-o", str(out / "diff.md")],
        ["diff", str(base), "--format", "json"],
        ["check", "--fail-under", "0", "--format", "json"],
    ]
    return [line for line in lines if line[0] in _known_commands()]


def _known_commands() -> set[str]:
    from dbaudit.cli import cli

    return set(getattr(cli, "commands", {}))


def _search_everything(secret: Secret, runs: list[Run], roots: list[Path]) -> list[str]:
    problems: list[str] = []
    for run in runs:
        for stream, content in (("stdout", run.stdout), ("stderr", run.stderr)):
            for form in secret.leaks(content):
                problems.append(f"dbaudit {' '.join(run.args)}: {stream} contains {form!r}")
    for root in roots:
        for path in root.rglob("*"):
            if (
                path.is_file()
                and not path.is_symlink()
                and path.name not in ("pyproject.toml", "alembic.ini")
            ):
                content = path.read_bytes().decode("utf-8", "replace")
                for form in secret.leaks(content):
                    problems.append(f"file {path.name} contains {form!r}")
    return problems


def _bookkeeping_text(engine: Engine) -> str:
    """Everything stored in dbaudit's own tables (ledger, runs), as text."""
    chunks: list[str] = []
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            if name.startswith("dbaudit"):
                chunks.extend(
                    repr(tuple(row)) for row in conn.execute(select(text("*")).select_from(table(name)))
                )
    return "\n".join(chunks)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_no_password_in_any_output(
    target: Target,
    mode: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "project"
    out = tmp_path / "out"
    project.mkdir()
    out.mkdir()
    summary = out / "step-summary.md"
    monkeypatch.chdir(project)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    url_args = _with_url(mode, target.url, project, monkeypatch)
    runs: list[Run] = []
    stored: list[str] = []
    lines = _command_lines(project, out)
    if mode == "env" and target.dialect == "postgresql":
        # demo reads no URL, but runs with one in the environment: it must not pick it up or print it.
        lines.append(["demo", str(out / "demo"), "--format", "md", "-o", str(out / "demo.md")])
    for line in lines:
        args = [*line]
        if url_args and _accepts(line[0], "--url"):
            args += url_args
        if _accepts(line[0], "--project"):
            args += ["--project", str(project)]
        run = run_cli(args, capfd)
        runs.append(run)
        assert "Traceback" not in run.stderr, run.describe()
        # Each command must really work with the URL: a leak check on early failures proves little.
        assert run.code in ((0, 1) if line[0] in ("diff", "check") else (0,)), run.describe()
        if line[:3] == ["seed", "--missing", "--yes"]:
            stored.append(_bookkeeping_text(target.engine))
    problems = _search_everything(target.secret, runs, [project, out])
    problems += [f"bookkeeping table contains {form!r}" for s in stored for form in target.secret.leaks(s)]
    assert not problems, "\n".join(problems)


def _failing_urls(target: Target) -> dict[str, str]:
    url = make_url(target.url)
    secret = target.secret
    failing = {
        "wrong host": url.set(host="127.0.0.2"),
        "wrong port": url.set(port=1),
        "wrong database": url.set(database="dbaudit_no_such_database"),
    }
    if target.dialect == "mysql":
        failing["wrong password"] = url.set(password=secret.password + "x")
    shown = {k: v.render_as_string(hide_password=False) for k, v in failing.items()}
    user = quote(str(url.username), safe="")
    shown["malformed port"] = (
        f"{url.drivername}://{user}:{quote(secret.password, safe='')}@127.0.0.1:notaport/db"
    )
    shown["unknown dialect"] = f"nosuchdb://{user}:{quote(secret.password, safe='')}@127.0.0.1/db"
    # Passwords pasted without percent-encoding: an @ in one moves half of it into the host.
    head, tail = secret.token[:7], secret.token[7:]
    shown["unencoded @ in the password"] = f"{url.drivername}://{user}:{head}@{tail}@127.0.0.1/db"
    shown["unencoded # and / in the password"] = f"{url.drivername}://{user}:{head}#/{tail}@127.0.0.1/db"
    return shown


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["option", "env", "database_url", "pyproject", "alembic"])
def test_no_password_when_commands_fail(
    target: Target,
    mode: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    runs: list[Run] = []
    variants = dict(_failing_urls(target))
    for label, url in variants.items():
        url_args = _with_url(mode, url, project, monkeypatch)
        for flags in ([], ["-v"], ["-vv"], ["--traceback"]):
            for line in (
                ["report", "--no-scan"],
                ["seed", "--missing", "--yes"],
                ["check", "--fail-under", "0"],
            ):
                if line[0] not in _known_commands():
                    continue
                args = [*flags, *line, *url_args, "--project", str(project)]
                run = run_cli(args, capfd)
                runs.append(run)
                assert run.code == 2, f"{label}: {run.describe()}"
                if not {"--traceback", "-vv"} & set(flags):
                    assert "Traceback" not in run.stderr, f"{label}: {run.describe()}"
                    assert len(run.error_lines) == 1, f"{label}: {run.describe()}"
                assert "internal error" not in run.stderr, f"{label}: {run.describe()}"
    # An unknown schema on the right server.
    url_args = _with_url(mode, target.url, project, monkeypatch)
    for flags in ([], ["-v"], ["-vv"], ["--traceback"]):
        run = run_cli(
            [
                *flags,
                "report",
                "--no-scan",
                *url_args,
                "--schema",
                "no_such_schema",
                "--project",
                str(project),
            ],
            capfd,
        )
        runs.append(run)
        assert run.code == 2, run.describe()
    problems = _search_everything(target.secret, runs, [project])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "written",
    [
        "mysql+pymysql://app:p%%40ss%%2Fw0rd@db.example:3306/app",
        "postgresql://app:secret@%(here)s/app",
        "sqlite:///%(here)s/app.db",
        "postgresql://app@localhost/app",
    ],
)
def test_alembic_ini_url_is_read_exactly_as_alembic_reads_it(tmp_path: Path, written: str) -> None:
    """A URL-encoded password in alembic.ini is written with ``%%`` (Alembic's ini interpolation): dbaudit
    must read the URL Alembic reads, or it connects with a wrong password."""
    from alembic.config import Config

    from dbaudit.config import load_settings

    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = alembic\nsqlalchemy.url = {written}\n", encoding="utf-8")
    expected = Config(str(ini)).get_main_option("sqlalchemy.url")
    assert load_settings({}, cwd=tmp_path, environ={}).url == expected
