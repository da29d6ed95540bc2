"""Fixtures of the seed benchmarks: empty target schemas, pre-built rows and pre-generated COPY files.

The baselines get their rows ready-made (built here, before the clock starts), so they measure what the
database allows: bare multi-row INSERTs, or COPY.  dbaudit has to plan, generate, check, mark and record its
rows within its time.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import bench_seed, schemas, servers
from benchmarks.schemas import TableSpec

FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "John",
    "Shafi",
    "Leslie",
    "Niklaus",
    "Tim",
    "Katherine",
    "Linus",
    "Sophie",
    "Guido",
)
LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Backus",
    "Goldwasser",
    "Lamport",
    "Wirth",
    "Berners-Lee",
    "Johnson",
    "Torvalds",
    "Wilson",
    "van Rossum",
)


def seed_target_specs(count: int) -> list[TableSpec]:
    """``count`` empty tables of the usual shapes (parents before children)."""
    return schemas.plan_tables(count, [0] * count, seed=13)


def _row(spec: TableSpec, k: int, rng: random.Random) -> dict[str, Any]:
    now = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if spec.shape == "entity":
        return {
            "id": k,
            "tenant_id": 1 + k % 10,
            "name": name,
            "email": f"{spec.name}.{k}@example.com",
            "status": "active",
            "created_at": (now - dt.timedelta(days=k)).isoformat(),
            "updated_at": None,
            "is_mock": True,
        }
    if spec.shape == "child":
        return {
            "id": k,
            "parent_id": k,
            "amount": f"{rng.uniform(1, 9999):.2f}",
            "quantity": rng.randint(0, 50),
            "note": f"note {k} for {name}",
            "created_at": now.isoformat(),
        }
    if spec.shape == "link":
        return {"a_id": k, "b_id": k, "created_at": now.isoformat()}
    if spec.shape == "event":
        return {
            "event": f"event_{k % 5}",
            "payload": json.dumps({"n": k, "by": name}),
            "occurred_at": (now - dt.timedelta(minutes=k)).isoformat(),
            "tenant_id": 1 + k % 10,
        }
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "title": f"Document {k} by {name}",
        "tags": ["bench", f"t{k % 3}"],
        "body": "lorem ipsum " * (1 + k % 5),
        "version": 1,
        "published_on": (now.date() - dt.timedelta(days=k)).isoformat(),
    }


COLUMN_TYPES = {
    "entity": {
        "id": "bigint",
        "tenant_id": "integer",
        "name": "varchar",
        "email": "varchar",
        "status": "varchar",
        "created_at": "timestamptz",
        "updated_at": "timestamptz",
        "is_mock": "boolean",
    },
    "child": {
        "id": "bigint",
        "parent_id": "bigint",
        "amount": "numeric",
        "quantity": "integer",
        "note": "text",
        "created_at": "timestamptz",
    },
    "link": {"a_id": "bigint", "b_id": "bigint", "created_at": "timestamptz"},
    "event": {"event": "varchar", "payload": "jsonb", "occurred_at": "timestamptz", "tenant_id": "integer"},
    "document": {
        "id": "uuid",
        "title": "text",
        "tags": "text[]",
        "body": "text",
        "version": "integer",
        "published_on": "date",
    },
}


def prebuilt_rows(specs: Sequence[TableSpec], per_table: int, *, seed: int = 5) -> list[dict[str, Any]]:
    """The rows the INSERT baseline writes: ``per_table`` valid rows per table, parents first.

    Children point at their parent's rows 1..``per_table``; explicit ids match those references.
    """
    rng = random.Random(seed)
    plan = []
    for spec in specs:
        types = COLUMN_TYPES[spec.shape]
        rows = [_row(spec, k, rng) for k in range(1, per_table + 1)]
        plan.append(
            {
                "name": spec.name,
                "columns": [{"name": c, "type": t} for c, t in types.items()],
                "rows": [[row[c] for c in types] for row in rows],
            }
        )
    return plan


def write_prebuilt(specs: Sequence[TableSpec], per_table: int, path: Path) -> Path:
    path.write_text(json.dumps(prebuilt_rows(specs, per_table)), encoding="utf-8")
    return path


def build_seed_targets(schema: str, specs: Sequence[TableSpec]) -> None:
    """The tenants table (10 real rows) and the empty target tables."""
    servers.pg_run_batches(schema, schemas.pg_statements(specs))


def empty_schema_tables(schema: str, keep: Sequence[str]) -> None:
    """Empty every table of ``schema`` but ``keep`` (the real data), the ledger included, children first."""
    tables = [t for t in servers.pg_tables(schema) if t not in keep]
    ordered = sorted(tables, key=lambda t: (not t.startswith("dbaudit_"), t), reverse=True)
    statements = [
        "TRUNCATE "
        + ", ".join(f'"{schema}"."{t}"' for t in ordered[i : i + 50])
        + " RESTART IDENTITY CASCADE"
        for i in range(0, len(ordered), 50)
    ]
    # The ledger lives in the database's default schema (one per database), not in the audited schema.
    statements.append(f'DROP TABLE IF EXISTS public."{LEDGER}", public."{LEDGER}_tables"')
    servers.pg_run_batches(schema, statements, batch=1)


LEDGER = "dbaudit_ledger"
"""dbaudit's bookkeeping table of seeded rows (key ranges and keys; ``dbaudit_ledger_tables`` names the
tables): the benchmark checks it to see that a run did the whole job."""

# ----------------------------------------------------------------------------------------- volume seeding

# The volume table is the one of the seeder's own benchmark (``benchmarks/bench_seed.py``, the 200,000-row
# case of issue 5): 7 columns, a unique email, a foreign key to a parent of 1,000 real rows.  Its DDL and its
# pre-generated rows are reused here, measured as whole processes like every other case.
VOLUME_PARENT = "account"
VOLUME_TABLE = "customer"
VOLUME_COLUMNS = bench_seed.COLUMNS


def volume_statements() -> list[str]:
    """Create the parent (with its real rows) and the empty 7-column target table."""
    return [bench_seed.DDL.format(parents=bench_seed.PARENTS), f"ANALYZE {VOLUME_PARENT}"]


def write_volume_csv(path: Path, rows: int) -> Path:
    """The COPY baseline's pre-generated rows (built before timing, like a dump being restored)."""
    path.write_text(bench_seed._pregenerated(rows), encoding="utf-8")
    return path


PURGE_CHILD = "customer_event"
"""A table of real rows that refers to the volume table through an ON DELETE CASCADE key.

Its referencing column is indexed: without an index PostgreSQL's own foreign-key trigger scans the table once
per deleted row, for dbaudit's purge and for the plain DELETE alike (hours at a million rows), which would
measure the server's trigger, not the purge.  dbaudit's own reference checks are set-based either way
(``tests/safety/test_purge_scale.py`` counts their statements).
"""


def purge_child_statements(rows: int = 100_000) -> list[str]:
    return [
        f"CREATE TABLE {PURGE_CHILD} (id serial PRIMARY KEY, customer_id integer"
        f" REFERENCES {VOLUME_TABLE} (id) ON DELETE CASCADE, note text NOT NULL)",
        f"CREATE INDEX {PURGE_CHILD}_customer ON {PURGE_CHILD} (customer_id)",
        f"INSERT INTO {PURGE_CHILD} (customer_id, note) SELECT NULL, 'real event ' || g"
        f" FROM generate_series(1, {int(rows)}) g",
        f"ANALYZE {PURGE_CHILD}",
    ]


def pg_count(schema: str, table: str) -> int:
    with servers.pg_connect(schema) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
        return int(cur.fetchone()[0])


def pg_id_range(schema: str, table: str) -> tuple[int, int, int]:
    """The lowest and highest id of ``table`` and its row count (what a seed run just inserted)."""
    with servers.pg_connect(schema) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT coalesce(min(id), 0), coalesce(max(id), 0), count(*) FROM "{schema}"."{table}"')
        low, high, count = cur.fetchone()
        return int(low), int(high), int(count)
