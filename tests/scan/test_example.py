"""``scan_sources`` on the bundled example gives exactly the map its EXPECTED.json states."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dbaudit.config import Settings
from dbaudit.model import ScanResult
from dbaudit.resources import examples_dir
from dbaudit.scan import scan_sources

EXAMPLE = examples_dir() / "migration_planner"
EXPECTED: dict[str, Any] = json.loads((EXAMPLE / "EXPECTED.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan_sources(EXAMPLE, Settings(project_root=EXAMPLE))


def test_the_sources_that_write_are_exactly_the_expected_ones(result: ScanResult) -> None:
    writing = {path for path, spec in EXPECTED["sources"].items() if spec["writes"]}
    assert {s.path for s in result.sources} == writing


@pytest.mark.parametrize("path", sorted(EXPECTED["sources"]))
def test_each_source_writes_the_expected_tables(result: ScanResult, path: str) -> None:
    spec = EXPECTED["sources"][path]
    found = next((s for s in result.sources if s.path == path), None)
    if not spec["writes"]:
        assert found is None, f"{path} seeds nothing, but the scan says {found}"
        return
    assert found is not None
    assert found.kind.value == spec["kind"]
    assert set(found.tables) == set(spec["writes"])
    conditional = {t: all(w.conditional for w in found.writes if w.table == t) for t in found.tables}
    assert conditional == {t: w["conditional"] for t, w in spec["writes"].items()}
    assert not set(spec["unreachable"]) & set(found.tables)
    assert all(w.location is not None and w.location.line for w in found.writes)
    if spec["kind"] == "script":
        assert found.run_command == spec["command"]
    else:
        assert found.revision is not None
        assert (found.revision.revision, found.revision.message) == (spec["revision"], spec["message"])


def test_revision_graph(result: ScanResult) -> None:
    assert list(result.revision_heads) == EXPECTED["revision_heads"]
    data = [s.revision for s in result.sources if s.revision is not None]
    expected = [r for r in EXPECTED["revisions"] if r["is_data"]]
    assert [(r.revision, r.down_revision, r.is_data) for r in data] == [
        (r["revision"], (r["down_revision"],) if r["down_revision"] else (), True) for r in expected
    ]


def test_declared_tables_and_a_clean_scan(result: ScanResult) -> None:
    assert sorted({d.table for d in result.declarations}) == EXPECTED["declared_tables"]
    assert result.findings == ()
    assert result.diagnostics == ()


def test_cli_scan_json_is_the_scan_result(result: ScanResult, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dbaudit.cli import cli
    from dbaudit.model import SCHEMA_VERSION, from_dict

    out = tmp_path / "scan.json"
    run = CliRunner().invoke(cli, ["scan", str(EXAMPLE), "--format", "json", "-o", str(out)])
    assert run.exit_code == 0, run.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert from_dict(ScanResult, data) == result


def test_cli_scan_markdown(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dbaudit.cli import cli

    run = CliRunner().invoke(cli, ["scan", str(EXAMPLE)])
    assert run.exit_code == 0, run.output
    text = run.output
    assert "### `backend/app/scripts/init_db.py`" in text
    assert "run with `python -m app.scripts.init_db`" in text
    assert "| `tags`                      | `backend/app/scripts/init_db.py:" in text
    assert "**Heads:** `f4a6b2c81d09`" in text
    assert "| `e3c32f125929` | Add seed data for user roles" in text
    assert "## Diagnostics\n\n_None._" in text
