"""The scanner records each seed script's conventions; the gap analysis follows them from the scan alone."""

from __future__ import annotations

import shutil
from pathlib import Path

from dbaudit.config import Settings
from dbaudit.gaps import analyse_gaps
from dbaudit.model import SourceConventions
from tests.gaps_support import snapshot, state, table
from tests.scan.support import scan

ASYNC_SCRIPT = "scripts/seed_users.py"
SQL_SCRIPT = "scripts/seed_tags.py"


def project() -> dict[str, str | bytes]:
    return {
        ASYNC_SCRIPT: """
        import argparse
        from sqlalchemy.ext.asyncio import AsyncSession
        from app.models import User
        async def main(session: AsyncSession) -> None:
            parser = argparse.ArgumentParser()
            parser.add_argument("--force", action="store_true")
            if "--force" in parser.parse_args().__dict__:
                pass
            session.add(User(name="MOCK: ann", is_mock=True))
            await session.commit()
        """,
        SQL_SCRIPT: """
        from sqlalchemy import text
        def main(conn):
            conn.execute(text("INSERT INTO tags (name) VALUES ('x')"))
        """,
    }


def test_the_scan_records_each_seed_scripts_conventions(tmp_path: Path) -> None:
    result = scan(tmp_path, project())
    assert result.conventions == (
        SourceConventions(SQL_SCRIPT, "raw SQL"),
        SourceConventions(
            ASYNC_SCRIPT, "async SQLAlchemy session", "is_mock", "MOCK:", purge_flags=("--force", "--force")
        ),
    )


def test_the_guidance_comes_from_the_scan_not_from_the_files(tmp_path: Path) -> None:
    result = scan(tmp_path, project())
    shutil.rmtree(tmp_path / "scripts")  # the gap analysis has nothing on disk to read
    database = snapshot(state(table("users"), 2), state(table("tags"), 1), state(table("teams")))
    gaps = analyse_gaps(database, result, None, Settings(project_root=tmp_path))
    assert gaps.guidance.session_style in ("async SQLAlchemy session", "raw SQL")
    assert gaps.guidance.mock_marker == "is_mock = TRUE + MOCK: prefix"
    assert gaps.guidance.purge_flag == "--force"
    # the flag is passed to the script that takes it, not to the other one
    ordered = {step.seeder: step.command for step in gaps.execution_order}
    assert ordered[ASYNC_SCRIPT] == f"python {ASYNC_SCRIPT} --force"
    assert ordered[SQL_SCRIPT] == f"python {SQL_SCRIPT}"
