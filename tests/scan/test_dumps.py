"""Plain-text dumps read by content, whatever their extension: COPY blocks with rows and INSERTs are writes;
empty COPY blocks, function bodies, trigger and rule definitions are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.scan.dumps import dump_writes, is_dump
from tests.scan.support import scan, source, writes

PG_DUMP = r'''--
-- PostgreSQL database dump
--

\restrict 8c1f0b2a

SET statement_timeout = 0;
SET standard_conforming_strings = on;

CREATE FUNCTION public.log_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
BEGIN
    INSERT INTO public.audit_log (what) VALUES ('row added; see $1');
    RETURN NEW;
END;
$_$;

CREATE FUNCTION public.add_default_role() RETURNS void
    LANGUAGE sql
    BEGIN ATOMIC
 INSERT INTO public.role_grants (role_id) VALUES (1);
 INSERT INTO public.role_history (role_id) VALUES (1);
END;

CREATE TABLE public.users (id integer NOT NULL, name text);
CREATE TRIGGER users_log AFTER INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION public.log_insert();
CREATE RULE tags_view_insert AS ON INSERT TO public.tags_view
    DO INSTEAD INSERT INTO public.tag_queue VALUES (NEW.id);

COPY public.users (id, name) FROM stdin;
1	ann; 'quoted
2	bob \. not the end
\.

COPY public.sessions (id) FROM stdin;
\.

COPY "Billing"."Invoice ""Lines""" (id) FROM stdin;
7
\.

INSERT INTO public.roles VALUES (1, 'it''s; fine');
INSERT INTO public.roles VALUES (2, 'admin');
INSERT INTO public.settings (k, v) VALUES ('a', 'b') ON CONFLICT DO NOTHING;
'''


def test_pg_dump_rows_are_writes_and_definitions_are_not() -> None:
    assert is_dump(PG_DUMP)
    found = [(w.schema, w.table, w.recogniser, w.line) for w in dump_writes(PG_DUMP)]
    assert found == [
        ("public", "users", "sql-copy", 31),
        ("Billing", 'Invoice "Lines"', "sql-copy", 39),
        ("public", "roles", "sql-insert", 43),  # one write per table: the first of its INSERTs
        ("public", "settings", "sql-upsert", 45),
    ]


def test_an_empty_copy_block_is_not_a_write() -> None:
    dump = "COPY public.sessions (id) FROM stdin;\n\\.\n\nCOPY public.tokens (id) FROM stdin;\n\\.\n"
    assert is_dump(dump)
    assert dump_writes(dump) == []


def test_a_function_body_in_a_dump_is_not_a_write() -> None:
    dump = (
        "CREATE OR REPLACE FUNCTION public.seed() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  INSERT INTO public.roles VALUES (1);\nEND;\n$$;\n"
        "CREATE FUNCTION public.old_style() RETURNS void LANGUAGE sql AS '\n"
        "  INSERT INTO public.kinds VALUES (1);\n';\n"
        "CREATE PROCEDURE public.p() LANGUAGE sql BEGIN ATOMIC\n"
        "  INSERT INTO public.flags VALUES (1);\nEND;\n"
    )
    assert dump_writes(dump) == []


def test_mysqldump_inserts_and_routines() -> None:
    dump = (
        "-- MySQL dump 10.13  Distrib 8.0.36\n"
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "LOCK TABLES `users` WRITE;\n"
        "/*!40000 ALTER TABLE `users` DISABLE KEYS */;\n"
        "INSERT INTO `users` VALUES (1,'it\\'s; ok'),(2,'b');\n"
        "UNLOCK TABLES;\n"
        "DELIMITER ;;\n"
        "/*!50003 CREATE*/ /*!50003 TRIGGER trg AFTER INSERT ON users FOR EACH ROW "
        "INSERT INTO trigger_log VALUES (1) */;;\n"
        "CREATE PROCEDURE fill() BEGIN INSERT INTO procedure_log VALUES (1); END ;;\n"
        "DELIMITER ;\n"
        "REPLACE INTO `shop`.`kinds` VALUES (1);\n"
        "INSERT IGNORE INTO `tags` VALUES (1);\n"
    )
    assert [(w.schema, w.table, w.recogniser) for w in dump_writes(dump)] == [
        (None, "users", "sql-insert"),
        ("shop", "kinds", "sql-upsert"),
        (None, "tags", "sql-upsert"),
    ]


def test_sqlite_dot_dump() -> None:
    dump = (
        "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
        "CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO roles VALUES(1,'admin');\n"
        "CREATE TRIGGER t AFTER DELETE ON roles BEGIN INSERT INTO graveyard VALUES (old.id); END;\n"
        "COMMIT;\n"
    )
    assert [(w.table, w.recogniser) for w in dump_writes(dump)] == [("roles", "sql-insert")]


@pytest.mark.parametrize("name", ["db/seed_snapshot.sql", "backups/prod.dump", "db/seeds/reference.pgsql"])
def test_dumps_are_sources_whatever_their_extension(tmp_path: Path, name: str) -> None:
    result = scan(tmp_path, {name: PG_DUMP}, with_models=False)
    assert writes(result, name) == {
        ("public.users", "sql-copy", False),
        ('Billing.Invoice "Lines"', "sql-copy", False),
        ("public.roles", "sql-insert", False),
        ("public.settings", "sql-upsert", False),
    }
    found = source(result, name)
    assert found is not None and found.kind.value == "sql"
    assert result.diagnostics == ()


def test_a_dump_with_only_empty_tables_is_not_a_source(tmp_path: Path) -> None:
    dump = "--\n-- PostgreSQL database dump\n--\nCOPY public.sessions (id) FROM stdin;\n\\.\n"
    result = scan(tmp_path, {"backups/empty.dump": dump}, with_models=False)
    assert result.sources == ()


def test_a_custom_format_archive_is_a_diagnostic(tmp_path: Path) -> None:
    result = scan(tmp_path, {"backups/prod.dump": b"PGDMP\x01\x0e\x00\x04\x08\x01\x01"}, with_models=False)
    assert result.sources == ()
    [diagnostic] = result.diagnostics
    assert str(diagnostic.location) == "backups/prod.dump:1"
    assert "custom format" in diagnostic.message and "pg_restore" in diagnostic.message


def test_a_plain_seed_sql_file_is_still_parsed_as_sql(tmp_path: Path) -> None:
    # no dump header, no COPY FROM stdin: the SQL parser reads it, INSERT ... SELECT and MERGE included
    sql = "WITH s AS (SELECT 1 AS id) INSERT INTO tags SELECT id FROM s;\nUPDATE roles SET name = 'x';\n"
    result = scan(tmp_path, {"db/seed_tags.sql": sql}, with_models=False)
    assert writes(result, "db/seed_tags.sql") == {("tags", "sql-insert", False)}
