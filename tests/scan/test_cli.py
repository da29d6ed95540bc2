"""``dbaudit scan`` errors, and section 2 of ``dbaudit report`` on the bundled example (through the demo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbaudit.cli import main

EXPECTED = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "migration_planner" / "EXPECTED.json").read_text(
        "utf-8"
    )
)


def test_scan_of_a_missing_folder_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a folder" in err and "Traceback" not in err


def test_scan_defaults_to_the_project_root(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "seed_x.py").write_text("conn.execute('INSERT INTO things VALUES (1)')\n")
    monkeypatch.chdir(tmp_path / "scripts")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "--format", "json"])
    assert exit_info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert [(s["path"], [w["table"] for w in s["writes"]]) for s in data["sources"]] == [
        ("scripts/seed_x.py", ["things"])
    ]


@pytest.mark.slow
def test_report_section_two_of_the_example(tmp_path: Path) -> None:
    from dbaudit.demo import run_demo
    from dbaudit.render import render

    audit = run_demo(tmp_path / "planner")
    text = render(audit, "md")
    section = text.split("## 2. Existing Seeding Mechanisms & Coverage\n", 1)[1].split("\n---", 1)[0]
    covered = EXPECTED["coverage"]
    percent = round(100 * covered["covered_count"] / covered["application_tables"])
    assert (
        f"**Coverage:** {covered['covered_count']}/{covered['application_tables']} tables currently receive "
        f"seed data (~{percent}%)." in section
    )
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "`init_db.py`",
        "`seed_llm_usage.py`",
        "`e3c32f125929_add_seed_data_for_user_roles.py`",
        "`508e8589c9d0_add_missing_seed_data_for_roles_and_.py`",
    ]
    for row in rows:
        name = row.split("|")[1].strip().strip("`")
        path = next(p for p in EXPECTED["sources"] if p.endswith("/" + name))
        listed = {t.strip().removesuffix(" (conditional)") for t in row.split("|")[3].split(",")}
        assert listed == set(EXPECTED["sources"][path]["writes"])
