"""Saved audits are a contract: older schema versions load, a newer major is refused with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbaudit import __version__
from dbaudit.cli import main
from dbaudit.diff import diff_audits, load_audit
from dbaudit.errors import BaselineError
from dbaudit.model import SCHEMA_VERSION, Audit, to_dict
from tests.diff_support import history_base, history_head, save


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_round_trip_from_file_text_and_bytes(tmp_path: Path) -> None:
    audit = history_head()
    path = save(audit, tmp_path / "AUDIT.json")
    assert load_audit(path) == audit
    assert load_audit(str(path)) == audit
    assert load_audit(path.read_text()) == audit
    assert load_audit(path.read_bytes()) == audit
    assert load_audit(path).schema_version == SCHEMA_VERSION


def _older_document() -> dict:
    """An audit as an earlier dbaudit wrote it: schema 0.9, no git, no changes, no findings, fewer fields."""
    data = to_dict(history_base())
    data["schema_version"] = "0.9"
    for key in ("git", "changes", "findings", "guidance", "cycles", "execution_order"):
        del data[key]
    for source in data["scan"]["sources"]:
        del source["digest"], source["run_command"], source["revision"]
    for state in data["database"]["tables"]:
        for key in ("reason", "count"):
            state.pop(key)
        for key in ("partitions", "partition_of", "comment", "check_constraints", "unique_constraints"):
            state["table"].pop(key)
    data["unknown_future_field"] = {"ignored": True}
    return data


def test_an_older_baseline_with_fields_missing_still_loads_and_diffs() -> None:
    older = load_audit(json.dumps(_older_document()))
    assert older.schema_version == "0.9"
    assert older.git is None and older.findings == ()
    assert [s.digest for s in older.scan.sources] == [None, None]
    diff = diff_audits(older, history_head())
    assert diff.before.percent == 50.0 and diff.after.percent == 60.0
    assert [s.path for s in diff.sources_added] == ["db/seed_orders.sql"]
    assert diff.newly_empty == ("orders",)  # no counts in the older audit, but its statuses
    assert diff.sources_changed == ()  # no digest: compared by their writes, which are the same


def test_a_document_without_schema_version_is_the_first_layout() -> None:
    data = to_dict(history_base())
    del data["schema_version"]
    assert load_audit(json.dumps(data)).coverage == history_base().coverage


def test_a_newer_minor_loads() -> None:
    data = to_dict(history_base())
    data["schema_version"] = "1.7"
    data["a_field_from_1_7"] = [1, 2]
    assert load_audit(json.dumps(data)).schema_version == "1.7"


def test_a_future_major_is_refused_naming_the_dbaudit_that_reads_it() -> None:
    data = to_dict(history_base())
    data["schema_version"] = "2.0"
    data["tool_version"] = "2.3.0"
    with pytest.raises(BaselineError) as info:
        load_audit(json.dumps(data), label="AUDIT.json")
    message = str(info.value)
    assert "AUDIT.json uses audit schema 2.0, written by dbaudit 2.3.0" in message
    assert f"this dbaudit {__version__} reads schema 1.x and older" in message
    assert "dbaudit>=2.3.0" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("# Database Table Population & Seeding Audit\n", "is not JSON (line 1, column 1"),
        ("[1, 2, 3]", "is JSON but not a dbaudit audit"),
        ('{"name": "package.json"}', "is JSON but not a dbaudit audit"),
        ('{"schema_version": "one", "generated_at": ""}', "schema_version 'one' is not MAJOR.MINOR"),
        ('{"schema_version": "1.0", "coverage": {"covered": 3}}', "does not match the audit schema"),
    ],
)
def test_bad_baselines_are_one_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        load_audit(path)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="does not exist"):
        load_audit(tmp_path / "nope.json")
    (tmp_path / "blob.json").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(BaselineError, match="not UTF-8"):
        load_audit(tmp_path / "blob.json")


def test_cli_refuses_a_future_major_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = to_dict(history_base())
    data["schema_version"] = "3.1"
    data["tool_version"] = "3.1.4"
    future = tmp_path / "future.json"
    future.write_text(json.dumps(data))
    head = save(history_head(), tmp_path / "head.json")
    code, out, err = run_cli(["diff", str(future), str(head)], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("dbaudit: error: ") and err.count("\n") == 1
    assert "schema 3.1, written by dbaudit 3.1.4" in err
    assert "Traceback" not in err


def test_cli_loads_an_older_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older = tmp_path / "older.json"
    older.write_text(json.dumps(_older_document()))
    head = save(history_head(), tmp_path / "head.json")
    code, out, _ = run_cli(["diff", str(older), str(head), "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["diff"]["after"]["percent"] == 60.0


def test_cli_not_json_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "AUDIT.md"
    report.write_text("# Database Table Population & Seeding Audit\n")
    head = save(history_head(), tmp_path / "head.json")
    code, _, err = run_cli(["diff", str(report), str(head)], capsys)
    assert code == 2 and "is not JSON" in err and "dbaudit report --format json" in err


def test_audit_is_importable_as_the_model_record() -> None:
    assert isinstance(load_audit(json.dumps(to_dict(history_base()))), Audit)
