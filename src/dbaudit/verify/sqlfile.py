"""``python -m dbaudit.verify.sqlfile FILE``: run a SQL file on ``DATABASE_URL`` through SQLAlchemy.

How ``dbaudit verify`` runs a SQL seed file, in a child process like every other step (so the step timeout
and Ctrl-C stop it the same way).  The file is split into statements with sqlparse, which keeps each one as
written (quotes, dollar-quoted bodies, comments), and they run in one transaction: a failing statement leaves
nothing behind, and the error names the statement's first line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def run_sql_file(path: Path, url: str) -> int:
    """Run every statement of ``path`` on ``url`` in one transaction; return the process exit status."""
    import sqlparse
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from dbaudit.urls import parse_url, scrub, url_secrets

    parsed = parse_url(url)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    statements = [s for s in (part.strip() for part in sqlparse.split(text)) if _has_code(s)]
    engine = create_engine(parsed)
    try:
        with engine.begin() as conn:
            for statement in statements:
                try:
                    # no parameters: the driver sends the text as it is, % signs included
                    conn.execution_options(no_parameters=True).exec_driver_sql(statement)
                except SQLAlchemyError as exc:
                    first = statement.splitlines()[0][:120]
                    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                    print(f"{path}: {first}: {scrub(reason, url_secrets(parsed))}", file=sys.stderr)
                    raise
    except SQLAlchemyError:
        return 1
    finally:
        engine.dispose()
    print(f"{path}: {len(statements)} statements", file=sys.stderr)
    return 0


def _has_code(statement: str) -> bool:
    import sqlparse

    stripped = sqlparse.format(statement, strip_comments=True).strip().strip(";").strip()
    return bool(stripped)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = os.environ.get("DATABASE_URL", "")
    if len(args) != 1 or not url:
        print("usage: DATABASE_URL=... python -m dbaudit.verify.sqlfile FILE", file=sys.stderr)
        return 2
    return run_sql_file(Path(args[0]), url)


if __name__ == "__main__":
    sys.exit(main())
