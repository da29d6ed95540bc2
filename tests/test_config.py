"""Configuration precedence: command line > environment > [tool.dbaudit] / dbaudit.toml > alembic.ini."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.config import load_settings
from dbaudit.errors import ConfigError
from dbaudit.urls import mask_url, parse_url, scrub


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_alembic_ini_is_the_lowest_source(tmp_path: Path) -> None:
    write(
        tmp_path / "alembic.ini", "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///app.db\n"
    )
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.url == f"sqlite:///{(tmp_path / 'app.db').resolve()}"
    assert settings.sources["url"] == "alembic.ini"


def test_alembic_ini_one_level_down_is_found(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'app'\n")
    write(tmp_path / "backend" / "alembic.ini", "[alembic]\nsqlalchemy.url = sqlite:///backend.db\n")
    expected = (tmp_path / "backend" / "backend.db").resolve()
    assert load_settings(cwd=tmp_path, environ={}).url == f"sqlite:///{expected}"


def test_alembic_ini_here_and_absolute_urls(tmp_path: Path) -> None:
    write(tmp_path / "alembic.ini", "[alembic]\nsqlalchemy.url = sqlite:///%(here)s/x.db\n")
    assert load_settings(cwd=tmp_path, environ={}).url == f"sqlite:///{tmp_path.resolve()}/x.db"
    write(tmp_path / "alembic.ini", "[alembic]\nsqlalchemy.url = postgresql://app@db/app\n")
    assert load_settings(cwd=tmp_path, environ={}).url == "postgresql://app@db/app"


def test_pyproject_beats_alembic_ini_and_env_beats_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "alembic.ini", "[alembic]\nsqlalchemy.url = sqlite:///alembic.db\n")
    write(
        tmp_path / "pyproject.toml",
        '[tool.dbaudit]\nurl = "sqlite:///pyproject.db"\nexclude = ["tmp_*"]\ncount-timeout = 5\n',
    )
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.url == "sqlite:///pyproject.db"
    assert settings.exclude == ("tmp_*",)
    assert settings.count_timeout == 5
    assert load_settings(cwd=tmp_path, environ={"DATABASE_URL": "sqlite:///db.db"}).url == "sqlite:///db.db"
    both = {"DATABASE_URL": "sqlite:///db.db", "DBAUDIT_URL": "sqlite:///dbaudit.db"}
    assert load_settings(cwd=tmp_path, environ=both).url == "sqlite:///dbaudit.db"
    cli = load_settings({"url": "sqlite:///cli.db", "exclude": ()}, cwd=tmp_path, environ=both)
    assert cli.url == "sqlite:///cli.db"
    assert cli.exclude == ("tmp_*",), "an option not given on the command line falls through"


def test_dbaudit_toml_is_read_when_pyproject_has_no_table(tmp_path: Path) -> None:
    write(tmp_path / "dbaudit.toml", 'url = "sqlite:///standalone.db"\nextra_system_tables = ["audit_*"]\n')
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.url == "sqlite:///standalone.db"
    assert "audit_*" in settings.system_tables and "alembic_version" in settings.system_tables


def test_project_root_is_the_nearest_marked_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.dbaudit]\nurl = "sqlite:///x.db"\n')
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    settings = load_settings(cwd=deep, environ={})
    assert settings.project_root == tmp_path.resolve()


def test_unknown_setting_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.dbaudit]\nurll = "sqlite://"\n')
    with pytest.raises(ConfigError, match="unknown setting 'urll'"):
        load_settings(cwd=tmp_path, environ={})


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dbaudit\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml"):
        load_settings(cwd=tmp_path, environ={})


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql+aiopg://u@h/db", "postgresql+psycopg2"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg_async://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg2"),
        ("sqlite+aiosqlite:///app.db", "sqlite"),
        ("mysql+aiomysql://u@h/db", "mysql+pymysql"),
        ("postgresql://u@h/db", "postgresql+psycopg2"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql"),
    ],
)
def test_async_and_bare_drivers_map_to_the_bundled_sync_driver(raw: str, driver: str) -> None:
    assert parse_url(raw).drivername == driver


def test_malformed_url_error_masks_the_password() -> None:
    with pytest.raises(ConfigError) as info:
        parse_url("not a url with s3cr3t")
    assert "malformed database URL" in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_url("postgresql://user:s3cr3t@host:notaport/db")
    assert "s3cr3t" not in str(info.value)


def test_scrub_removes_passwords_everywhere() -> None:
    text = "failed for postgresql://app:hunter2@db/x and password=hunter2; also mysql://r:p%40ss@h/d"
    out = scrub(text)
    assert "hunter2" not in out and "p%40ss" not in out
    assert scrub("token xyz", ("xyz",)) == "token ***"
    assert "hunter2" not in mask_url(parse_url("postgresql://app:hunter2@db/x"))
