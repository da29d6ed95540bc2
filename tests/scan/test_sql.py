"""SQL in code strings and .sql files, parsed with sqlglot; placeholders substituted before parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.scan.sql import analyse_sql
from dbaudit.scan.sql_parser import shorten_values
from dbaudit.scan.sql_writes import strip_copy_data
from tests.scan.support import kinds, scan, source, writes

SCRIPT = "scripts/seed_sql.py"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INSERT INTO app.users (id) VALUES (1)", [("users", "app", "sql-insert")]),
        ("INSERT INTO users SELECT * FROM staging_users", [("users", None, "sql-insert")]),
        ("WITH s AS (SELECT 1 AS id) INSERT INTO t SELECT id FROM s", [("t", None, "sql-insert")]),
        ("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING", [("t", None, "sql-upsert")]),
        ("INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 1", [("t", None, "sql-upsert")]),
        ("INSERT OR IGNORE INTO t (a) VALUES (1)", [("t", None, "sql-upsert")]),
        ("INSERT OR REPLACE INTO t (a) VALUES (1)", [("t", None, "sql-upsert")]),
        ("REPLACE INTO `t` (a) VALUES (1), (2)", [("t", None, "sql-upsert")]),
        ("COPY t (a, b) FROM STDIN", [("t", None, "sql-copy")]),
        ("COPY t TO STDOUT", []),
        (
            "MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)",
            [("t", None, "sql-merge")],
        ),
        ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1", []),
        (
            "DELETE FROM t WHERE is_mock; INSERT INTO u VALUES (1); UPDATE v SET a = 1",
            [("u", None, "sql-insert")],
        ),
        ("CREATE TABLE t (id INT); DROP TABLE u; TRUNCATE v", []),
        ("INSERT INTO t VALUES (%s, %(name)s)", [("t", None, "sql-insert")]),
        ('INSERT INTO "Mixed" VALUES (1)', [("Mixed", None, "sql-insert")]),
    ],
)
def test_what_sql_inserts_into(sql: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert [(w.table, w.schema, w.recogniser) for w in analyse_sql(sql)] == expected


def test_long_values_lists_are_shortened_without_changing_the_answer() -> None:
    from sqlglot.dialects.dialect import Dialect

    rows = ", ".join(f"({i}, 'x')" for i in range(500))
    sql = f"INSERT INTO t (a, b) VALUES {rows} ON CONFLICT DO NOTHING;\nINSERT INTO u VALUES (1)"
    tokens = Dialect.get_or_raise("postgres").tokenize(sql)
    assert len(shorten_values(tokens)) < 30
    assert [(w.table, w.recogniser, w.line) for w in analyse_sql(sql)] == [
        ("t", "sql-upsert", 1),
        ("u", "sql-insert", 2),
    ]


def test_pg_dump_copy_data_is_skipped() -> None:
    dump = "COPY public.users (id, name) FROM stdin;\n1\tann\n2\tbob;;\n\\.\nINSERT INTO tags VALUES (1);\n"
    assert strip_copy_data(dump).count("\n") == dump.count("\n")
    assert [(w.table, w.schema, w.line) for w in analyse_sql(dump)] == [
        ("users", "public", 1),
        ("tags", None, 5),
    ]


def test_sql_strings_executed_from_code(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy import text
            from app.models import User, Role
            STATEMENTS = [
                "INSERT INTO tags (name) VALUES ('a')",
                "DELETE FROM tags WHERE is_mock",
            ]
            conn.execute(text(f"INSERT INTO {User.__tablename__} (id) VALUES (1)"))
            conn.exec_driver_sql("INSERT INTO {t} (id) VALUES (1)".format(t=Role.__table__.name))
            cursor.execute("INSERT INTO %s (id) VALUES (1)" % "audit_log")
            for statement in STATEMENTS:
                conn.execute(text(statement))
            cursor.executemany("INSERT INTO events VALUES (%s, %s)", rows)
            """
        },
    )
    assert writes(result, SCRIPT) == {
        ("users", "sql-insert", False),
        ("roles", "sql-insert", False),
        ("audit_log", "sql-insert", False),
        ("tags", "sql-insert", False),
        ("events", "sql-insert", False),
    }


def test_unresolvable_placeholder_in_the_table_name_is_a_finding(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import sys
            table = sys.argv[1]
            conn.execute(text(f"INSERT INTO {table} (id) VALUES ({1 + 1})"))
            conn.execute(text(f"INSERT INTO {schema}.users (id) VALUES (1)"))
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "sql-insert", False)}
    assert kinds(result) == ["unresolved-name"]
    assert "`table`" in result.findings[0].message


def test_copy_calls_and_dataframes(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            cursor.copy_expert("COPY users (id) FROM STDIN WITH CSV", open("users.csv"))
            cursor.copy_from(open("tags.tsv"), "tags")
            await conn.copy_records_to_table("roles", records=rows)
            frame.to_sql("audit_log", engine, if_exists="append")
            """
        },
    )
    assert writes(result, SCRIPT) == {
        ("users", "sql-copy", False),
        ("tags", "sql-copy", False),
        ("roles", "sql-copy", False),
        ("audit_log", "pandas-to-sql", False),
    }


def test_seed_sql_files(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "db/seed_reference.sql": """
            -- reference data
            INSERT INTO countries (code) VALUES ('DE'), ('FR');

            INSERT INTO ref.currencies (code)
            VALUES ('EUR') ON CONFLICT DO NOTHING;
            DELETE FROM countries WHERE code = 'XX';
            """,
            "db/schema.sql": "INSERT INTO not_a_seed VALUES (1);\n",
            "db/seed_broken.sql": "INSERT INTO (((;\n",
        },
        with_models=False,
    )
    found = source(result, "db/seed_reference.sql")
    assert found is not None and found.kind.value == "sql"
    assert [(w.table, w.schema, w.recogniser, str(w.location)) for w in found.writes] == [
        ("countries", None, "sql-insert", "db/seed_reference.sql:2"),
        ("currencies", "ref", "sql-upsert", "db/seed_reference.sql:4"),
    ]
    assert source(result, "db/schema.sql") is None
    assert [str(d.location) for d in result.diagnostics] == ["db/seed_broken.sql"]
