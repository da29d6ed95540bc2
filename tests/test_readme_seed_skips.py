"""The README's "When a table cannot be filled" section: every reason code is listed once, its commands run
as written on the database it describes, with the exit codes it gives, and print the skips it shows."""

from __future__ import annotations

import re
import shlex
import sqlite3
from pathlib import Path

import pytest

from dbaudit.model import REASON_CODES
from tests.safety.runner import run_cli

README = Path(__file__).resolve().parent.parent / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n### When a table cannot be filled\n", 1)[1].split("\n## ", 1)[0]


def _block(language: str) -> str:
    (block,) = re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.S)
    return str(block)


def test_every_reason_code_is_explained_once() -> None:
    listed = re.findall(r"^\| `([a-z-]+)` \|", _section(), flags=re.M)
    assert sorted(listed) == sorted(REASON_CODES), "the README's table and model.REASON_CODES differ"


def test_the_exit_codes_strict_and_dry_run_are_explained() -> None:
    section = _section()
    for words in (
        "0 when every target table was filled",
        "1 when some",
        "2 when the run",
        "--strict",
        "--dry-run",
    ):
        assert words in section, words


def test_the_commands_run_as_written_with_the_exit_codes_and_output_shown(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as conn:
        conn.executescript(
            "CREATE TABLE supplier (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);"
            "CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
            " supplier_id INTEGER NOT NULL REFERENCES supplier (id));"
            "CREATE TABLE review (id INTEGER PRIMARY KEY, body TEXT NOT NULL,"
            " product_id INTEGER NOT NULL REFERENCES product (id));"
            "CREATE TABLE shelf (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
            " qty INTEGER NOT NULL CHECK (qty = 3 AND qty = 4));"
            "CREATE TABLE tag (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL);"
        )
    conn.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DBAUDIT_URL", f"sqlite:///{database}")
    commands = [line.split("#", 1)[0].strip().removeprefix("$ ") for line in _block("console").splitlines()]
    shown = [line for line in _block("text").splitlines() if line.startswith("- ")]
    dry_run, real, strict = (shlex.split(c)[1:] for c in commands)

    first = run_cli(dry_run, capfd)
    assert first.code == 1, first.describe()
    for line in shown:
        assert line in first.stdout.splitlines(), (
            f"{line!r} is not what the command prints\n{first.describe()}"
        )

    second = run_cli(real, capfd)
    assert second.code == 1, second.describe()
    with sqlite3.connect(database) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("supplier", "tag")}
    conn.close()
    assert counts == {"supplier": 0, "tag": 3}, "the excluded table stays empty, the rest commits"

    third = run_cli(strict, capfd)
    assert third.code == 2, third.describe()
    assert "shelf" in third.stderr and "nothing was committed" in third.stderr, third.describe()
