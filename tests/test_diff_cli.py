"""``dbaudit diff`` / ``dbaudit check`` on saved audits: exit codes of each gate, Markdown, JSON, GitHub."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dbaudit.cli import main
from dbaudit.model import Finding, SourceLocation
from dbaudit.render.github import error_annotation, escape_data, escape_property
from tests.diff_support import history_base, history_head, save


@pytest.fixture(autouse=True)
def _outside_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DBAUDIT_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def audits(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    return save(history_base(), tmp_path / "base.json"), save(history_head(), tmp_path / "head.json")


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], 0),  # 50% -> 60%: the drop gate passes
        (["--fail-under", "80"], 1),  # under 80%: fails, as in check, though coverage went up
        (["--fail-under", "60"], 0),
        (["--fail-on", "newly-empty"], 1),  # orders went empty
        (["--fail-on", "new-uncovered"], 1),  # legacy_tags lost its seed, payments never had one
        (["--fail-on", "stale"], 1),  # orders is seeded but empty
        (["--fail-on", "newly-empty,new-uncovered,stale"], 1),
        (["--no-fail-on-drop"], 0),
    ],
)
def test_gate_exit_codes_on_an_improvement(
    audits: tuple[Path, Path], capsys: pytest.CaptureFixture[str], args: list[str], expected: int
) -> None:
    base, head = audits
    code, _, err = run_cli(["diff", str(base), str(head), *args], capsys)
    assert code == expected, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], 1),  # 60% -> 50%: coverage dropped
        (["--no-fail-on-drop"], 0),
        (["--no-fail-on-drop", "--fail-under", "50"], 0),
        (["--no-fail-on-drop", "--fail-under", "55"], 1),  # 50% is under 55%
        (["--no-fail-on-drop", "--fail-on", "newly-empty"], 0),  # nothing went empty this way round
        (["--no-fail-on-drop", "--fail-on", "new-uncovered"], 1),  # orders, invoices lost their seed
        (["--no-fail-on-drop", "--fail-on", "stale"], 0),  # the finding was resolved, not added
    ],
)
def test_gate_exit_codes_on_a_regression(
    audits: tuple[Path, Path], capsys: pytest.CaptureFixture[str], args: list[str], expected: int
) -> None:
    base, head = audits
    code, _, err = run_cli(["diff", str(head), str(base), *args], capsys)
    assert code == expected, err


def test_markdown_delta(audits: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, head = audits
    code, out, _ = run_cli(["diff", str(base), str(head), "--fail-on", "newly-empty"], capsys)
    assert code == 1
    assert out.startswith(
        "## dbaudit: seeding coverage 50.0% (2/4) → 60.0% (3/5) (+10.0 pp) · ❌ gate failed\n"
    )
    assert "| `newly-empty` | ❌ failed | 1 table went from populated to empty: orders |" in out
    assert "| `drop` | ✅ passed | coverage did not drop: 50.0% -> 60.0% |" in out
    assert "| orders | ✅ newly covered |" in out
    assert "| legacy_tags | ❌ no longer covered |" in out
    assert "| payments | 🆕 new, no seed data |" in out
    assert "| orders | ⚠️ populated -> empty |" in out
    assert "| `db/seed_orders.sql` | added | orders, invoices |" in out
    assert "| `db/seed_legacy.sql` | removed | legacy_tags |" in out
    assert (
        "| seeded-but-empty | orders is seeded by db/seed_orders.sql but empty | db/seed_orders.sql:1 |"
        in out
    )
    assert out.endswith("|\n")


def test_json_delta_and_output_file(
    audits: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = audits
    target = tmp_path / "out" / "delta.json"
    code, out, _ = run_cli(["diff", str(head), str(base), "--format", "json", "-o", str(target)], capsys)
    assert code == 1 and out == ""
    document = json.loads(target.read_text())
    assert document["passed"] is False
    assert document["gates"] == [
        {
            "gate": "drop",
            "outcome": "failed",
            "message": "coverage dropped: 60.0% -> 50.0%",
            "items": ["invoices", "orders"],
        }
    ]
    assert document["diff"]["coverage_delta"] == -10.0


def test_unchanged(audits: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, _ = audits
    code, out, _ = run_cli(["diff", str(base), str(base), "--fail-under", "50"], capsys)
    assert code == 0
    assert "(±0.0 pp) · ✅ passed" in out
    assert "No change in seeding coverage, tables or seed sources." in out


def test_usage_errors_are_exit_2(audits: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, head = audits
    for argv, message in (
        (["diff"], "nothing to compare with"),
        (["diff", str(base), str(head), "--fail-on", "everything"], "unknown --fail-on gate 'everything'"),
        (["diff", str(base), str(head), "--fail-under", "150"], "150"),
        (["diff", str(base), str(head), "--base-ref", "main"], "not both"),
    ):
        code, out, err = run_cli(argv, capsys)
        assert code == 2 and out == "" and message in err, (argv, err)
        assert "Traceback" not in err


def test_check_on_a_saved_audit(audits: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, head = audits  # 60%
    code, out, _ = run_cli(["check", "--fail-under", "60", "--audit", str(head)], capsys)
    assert code == 0
    assert out.startswith("## dbaudit: seeding coverage 60.0% (3/5) · ✅ passed\n")
    code, out, _ = run_cli(["check", "--fail-under", "80", "--audit", str(head)], capsys)
    assert code == 1
    assert "| `fail-under` | ❌ failed | coverage 60.0% (3/5 tables) is under 80% |" in out
    assert "legacy_tags\npayments\n" in out
    code, out, _ = run_cli(["check", "--fail-under", "80", "--audit", str(head), "--format", "json"], capsys)
    assert code == 1
    document = json.loads(out)
    assert document["coverage"] == {
        "covered": 3,
        "tables": 5,
        "covered_tables": ["invoices", "orders", "users"],
        "covered_count": 3,
        "percent": 60.0,
    }
    assert document["uncovered"] == ["legacy_tags", "payments"]


# ------------------------------------------------------------------------------------------------------------
# GitHub Actions

_ANNOTATION = re.compile(r"^::error file=[^,:]+(,line=\d+)?,title=[^,:]+::[^\r\n]*$")


def test_github_summary_and_annotations(
    audits: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, head = audits
    summary = tmp_path / "step_summary.md"
    summary.write_text("## Earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    code, out, err = run_cli(["diff", str(base), str(head), "--fail-on", "stale", "--format", "json"], capsys)

    assert code == 1
    json.loads(out)  # stdout is still only the document
    text = summary.read_text()
    assert text.startswith("## Earlier step\n## dbaudit: seeding coverage 50.0% (2/4) → 60.0% (3/5)")
    assert "| `stale` | ❌ failed |" in text and text.endswith("\n")
    annotations = [line for line in err.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=db/seed_orders.sql,line=1,title=dbaudit%3A seeded-but-empty::"
        "orders is seeded by db/seed_orders.sql but empty"
    ]
    assert all(_ANNOTATION.match(line) for line in annotations)


def test_github_check_summary(
    audits: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, head = audits
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, _, _ = run_cli(["check", "--fail-under", "80", "--audit", str(head)], capsys)
    assert code == 1
    assert summary.read_text().startswith("## dbaudit: seeding coverage 60.0% (3/5) · ❌ gate failed\n")


def test_nothing_for_github_outside_actions(
    audits: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, head = audits
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, _, err = run_cli(["diff", str(base), str(head)], capsys)
    assert code == 0 and not summary.exists() and "::error" not in err


def test_workflow_command_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding(
        kind="stale-reference",
        message="writes 'old,table': gone\n100% sure",
        table="old,table",
        source="seeds/seed: one.py",
        location=SourceLocation("seeds/seed: one,two.py", 7),
    )
    assert error_annotation(finding, "backend") == (
        "::error file=backend/seeds/seed%3A one%2Ctwo.py,line=7,title=dbaudit%3A stale-reference::"
        "writes 'old,table': gone%0A100%25 sure"
    )
    no_line = Finding("stale-reference", "m", location=SourceLocation("a.sql"))
    assert error_annotation(no_line) == "::error file=a.sql,title=dbaudit%3A stale-reference::m"
    assert error_annotation(Finding("stale-reference", "m")) is None


@pytest.mark.slow
def test_github_outputs_from_a_real_process(audits: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = audits
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    env.pop("DBAUDIT_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "dbaudit", "diff", str(base), str(head), "--fail-on", "stale"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path / "project",
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == summary.read_text()
    assert done.stderr.splitlines()[0].startswith("::error file=db/seed_orders.sql,line=1,title=")
