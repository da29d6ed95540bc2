"""A generated application tree for the scanner: Alembic revisions, seed scripts and the code around them.

The mix (for 2,000 files): a quarter Alembic revisions (schema revisions, plus data revisions using
``op.bulk_insert``, ``op.execute`` and ORM sessions), a tenth seed scripts in varied styles (ORM ``add`` and
``add_all``, Core ``insert``, raw SQL through ``text()``, helpers in crud modules, dead functions, conditional
writes), SQL and JSON seed files, models with ``__tablename__``, crud helpers and plain service modules.
Sizes are those of real files: a few kilobytes each.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.schemas import NOUNS

# share of each kind of file in the tree
MIX = (
    ("revision", 0.25),
    ("seed_script", 0.10),
    ("sql_seed", 0.04),
    ("json_fixture", 0.04),
    ("model", 0.17),
    ("crud", 0.15),
    ("service", 0.25),
)


@dataclass(frozen=True)
class GeneratedTree:
    root: Path
    files: int
    py_files: int
    bytes: int


TABLES_PER_MODEL = 4
CRUD_TABLES = 3


def table_names(count: int) -> list[str]:
    return [f"{NOUNS[i % len(NOUNS)]}_{i:04d}" for i in range(count)]


def _imports(tables: list[str], all_tables: list[str]) -> str:
    """Explicit imports of the model classes of ``tables`` (each table is declared in exactly one module)."""
    lines = []
    for table in sorted(set(tables), key=all_tables.index):
        module = all_tables.index(table) // TABLES_PER_MODEL
        lines.append(f"from app.models.models_{module:04d} import {_class_name(table)}")
    return "\n".join(lines) + "\n"


def _class_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


def _model(index: int, tables: list[str], rng: random.Random) -> str:
    classes = []
    for table in tables[index * TABLES_PER_MODEL : (index + 1) * TABLES_PER_MODEL]:
        fk = rng.choice(tables)
        classes.append(
            f'''
class {_class_name(table)}(Base):
    """Rows of {table}."""

    __tablename__ = "{table}"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_account_id: Mapped[int] = mapped_column(ForeignKey("client_accounts.id"), index=True)
    {fk}_id: Mapped[int | None] = mapped_column(ForeignKey("{fk}.id"))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="active")
    is_mock: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self) -> str:
        return f"<{_class_name(table)} id={{self.id}} name={{self.name!r}}>"
'''
        )
    header = f'''"""Models module {index}."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
'''
    return header + "\n".join(classes)


def _crud(index: int, tables: list[str], rng: random.Random) -> str:
    funcs = []
    picked = [tables[(CRUD_TABLES * index + k) % len(tables)] for k in range(CRUD_TABLES)]
    for table in picked:
        cls = _class_name(table)
        funcs.append(
            f'''
def create_{table}(session: Session, **values: object) -> {cls}:
    """Insert one {table} row."""
    row = {cls}(**values)
    session.add(row)
    session.flush()
    return row


def get_{table}(session: Session, row_id: int) -> {cls} | None:
    return session.get({cls}, row_id)


def archive_{table}(session: Session, row_id: int) -> None:
    session.execute(update({cls}).where({cls}.id == row_id).values(status="archived"))
'''
        )
    return (
        f'"""Data access helpers {index}."""\n\nfrom __future__ import annotations\n\n'
        "from sqlalchemy import update\nfrom sqlalchemy.orm import Session\n\n"
        + _imports(picked, tables)
        + "\n".join(funcs)
    )


def _service(index: int, tables: list[str], rng: random.Random) -> str:
    body = []
    for j in range(rng.randint(4, 10)):
        table = rng.choice(tables)
        body.append(
            f'''
def compute_{j}_{index}(
    items: list[dict[str, object]], threshold: float = {rng.random():.3f}
) -> dict[str, float]:
    """Aggregate {table} figures for the dashboard."""
    totals: dict[str, float] = {{}}
    for item in items:
        key = str(item.get("kind", "other"))
        value = float(item.get("value", 0) or 0)
        if value < threshold:
            continue
        totals[key] = totals.get(key, 0.0) + value
    return {{k: round(v, 2) for k, v in sorted(totals.items())}}
'''
        )
    return f'"""Service module {index}: business rules."""\n\nfrom __future__ import annotations\n' + "".join(
        body
    )


def _revision(index: int, tables: list[str], rng: random.Random) -> tuple[str, str]:
    rev = f"{index:04x}{rng.getrandbits(32):08x}"
    table = tables[index % len(tables)]
    kind = rng.random()
    if kind < 0.6:
        upgrade = f'''    op.create_table(
        "{table}",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_account_id", sa.Integer(), sa.ForeignKey("client_accounts.id"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active"),
        sa.Column("is_mock", sa.Boolean(), server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("ix_{table}_client", "{table}", ["client_account_id"])'''
        downgrade = (
            f'    op.drop_index("ix_{table}_client", table_name="{table}")\n    op.drop_table("{table}")'
        )
    elif kind < 0.75:
        rows = ",\n".join(
            f'            {{"id": {k}, "name": "{table} {k}", "status": "active"}}' for k in range(1, 9)
        )
        upgrade = f'''    {table}_table = sa.table(
        "{table}",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("status", sa.String),
    )
    op.bulk_insert(
        {table}_table,
        [
{rows},
        ],
    )'''
        downgrade = f'    op.execute("DELETE FROM {table} WHERE id <= 8")'
    elif kind < 0.85:
        upgrade = (
            f'    op.execute(\n        """\n        INSERT INTO {table} (id, name, status)\n'
            f"        VALUES (1, 'default', 'active'), (2, 'fallback', 'archived')\n"
            f'        ON CONFLICT (id) DO NOTHING\n        """\n    )'
        )
        downgrade = f'    op.execute("DELETE FROM {table} WHERE id IN (1, 2)")'
    elif kind < 0.93:
        upgrade = f"    op.execute(\"UPDATE {table} SET status = 'active' WHERE status IS NULL\")"
        downgrade = "    pass"
    else:
        cls = _class_name(table)
        upgrade = f"""    bind = op.get_bind()
    session = Session(bind=bind)
    if session.query({cls}).count() == 0:
        session.add_all([{cls}(name="seed {{}}".format(i), status="active") for i in range(5)])
    session.commit()"""
        downgrade = "    pass"
    imports = _imports([table], tables) if kind >= 0.93 else ""
    text = f'''"""{rng.choice(("add", "backfill", "seed", "alter"))} {table}

Revision ID: {rev}
Revises: {{down_id}}
Create Date: 2025-0{1 + index % 9}-1{index % 9} 10:{index % 60:02d}:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

{imports}
revision: str = "{rev}"
down_revision: str | Sequence[str] | None = {{down}}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''
    return rev, text


def _seed_script(index: int, tables: list[str], rng: random.Random, crud_modules: int) -> str:
    picked = rng.sample(tables, 4)
    a, b, c, d = picked
    crud_module = rng.randrange(crud_modules)
    e = tables[(CRUD_TABLES * crud_module) % len(tables)]
    ca, cb, cc, cd = (_class_name(t) for t in (a, b, c, d))
    style = index % 4
    if style == 0:
        body = f'''
def seed_{a}(session: Session) -> None:
    for i in range(20):
        session.add({ca}(name=f"{a} {{i}}", client_account_id=1, is_mock=True))


def seed_{b}(session: Session) -> None:
    session.add_all([{cb}(name=n, client_account_id=1) for n in ("alpha", "beta", "gamma")])


def seed_{c}_if_missing(session: Session) -> None:
    existing = session.query({cc}).first()
    if existing is None:
        session.add({cc}(name="default", client_account_id=1))


def unused_{d}(session: Session) -> None:
    session.add({cd}(name="never called", client_account_id=1))


def main() -> None:
    with SessionLocal() as session:
        seed_{a}(session)
        seed_{b}(session)
        seed_{c}_if_missing(session)
        # unused_{d}(session)
        session.commit()
'''
    elif style == 1:
        body = f'''
def main() -> None:
    with engine.begin() as conn:
        conn.execute(insert({ca}), [{{"name": f"{a} {{i}}", "client_account_id": 1}} for i in range(50)])
        conn.execute(text("INSERT INTO {b} (name, client_account_id) VALUES (:n, 1)"), [{{"n": "x"}}])
        conn.execute(text("DELETE FROM {c} WHERE is_mock"))
        conn.execute({cd}.__table__.insert().values(name="row", client_account_id=1))
'''
    elif style == 2:
        body = f'''
async def load(session: AsyncSession) -> None:
    data = json.loads(Path(__file__).with_name("{a}.json").read_text())
    for row in data:
        session.add({ca}(**row))
    await session.execute(insert({cb}).values(name="async", client_account_id=1))
    await session.commit()


async def main() -> None:
    async with async_session() as session:
        await load(session)


if __name__ == "__main__":
    asyncio.run(main())
'''
    else:
        body = f"""
def main() -> None:
    with SessionLocal() as session:
        create_{e}(session, name="through the helper", client_account_id=1)
        session.execute(text(f"INSERT INTO {{'{a}'}} (name) VALUES ('formatted')"))
        session.bulk_insert_mappings({cb}, [{{"name": str(i)}} for i in range(10)])
        session.commit()


if __name__ == "__main__":
    main()
"""
    return (
        f'"""Seed script {index}: demo data for {", ".join(picked[:3])}."""\n\n'
        "from __future__ import annotations\n\n"
        "import asyncio\nimport json\nfrom pathlib import Path\n\n"
        "from sqlalchemy import insert, text\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
        "from sqlalchemy.orm import Session\n\n"
        f"from app.crud.crud_{crud_module:04d} import create_{e}\n"
        "from app.db import SessionLocal, async_session, engine\n" + _imports(picked, tables) + body
    )


def _sql_seed(index: int, tables: list[str], rng: random.Random) -> str:
    statements = []
    for table in rng.sample(tables, 3):
        values = ",\n".join(f"  ({k}, '{table} {k}', 'active')" for k in range(1, 21))
        statements.append(
            f"INSERT INTO {table} (id, name, status) VALUES\n{values}\nON CONFLICT (id) DO NOTHING;\n"
        )
    return f"-- seed data {index}\nBEGIN;\n" + "\n".join(statements) + "COMMIT;\n"


def _json_fixture(index: int, tables: list[str], rng: random.Random) -> str:
    table = rng.choice(tables)
    records = [
        {"model": f"app.{table}", "pk": k, "fields": {"name": f"{table} {k}", "status": "active"}}
        for k in range(1, 41)
    ]
    return json.dumps(records, indent=2)


Writer = Callable[[int, list[str], random.Random], str]
WRITERS: dict[str, tuple[str, Writer]] = {
    "model": ("app/models/models_{i:04d}.py", _model),
    "crud": ("app/crud/crud_{i:04d}.py", _crud),
    "service": ("app/services/service_{i:04d}.py", _service),
    "sql_seed": ("db/seeds/{i:04d}_seed.sql", _sql_seed),
    "json_fixture": ("fixtures/fixture_{i:04d}.json", _json_fixture),
}


def generate_tree(root: Path, files: int, *, seed: int = 11) -> GeneratedTree:
    """Write a project of about ``files`` files under ``root`` (which must be empty or absent)."""
    rng = random.Random(seed)
    counts = {kind: max(1, round(files * share)) for kind, share in MIX}
    tables = table_names(TABLES_PER_MODEL * counts["model"])
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(rel: str, text: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("pyproject.toml", '[project]\nname = "bench-app"\nversion = "0.1.0"\n')
    write(
        "alembic.ini",
        "[alembic]\nscript_location = alembic\nsqlalchemy.url = driver://user:pass@localhost/db\n",
    )
    write("app/__init__.py", "")
    write(
        "app/db.py",
        "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
        'engine = create_engine("sqlite://")\nSessionLocal = sessionmaker(engine)\nasync_session = None\n',
    )
    write("app/models/__init__.py", "")
    write(
        "app/models/base.py",
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n",
    )
    write("app/crud/__init__.py", "")
    previous = ""
    for i in range(counts["revision"]):
        rev, text = _revision(i, tables, rng)
        down_id = previous or "<base>"
        text = text.replace("{down_id}", down_id).replace("{down}", f'"{previous}"' if previous else "None")
        write(f"alembic/versions/{rev}_{i:04d}.py", text)
        previous = rev
    for kind, (pattern, writer) in WRITERS.items():
        for i in range(counts[kind]):
            write(pattern.format(i=i), writer(i, tables, rng))
    for i in range(counts["seed_script"]):
        write(f"scripts/seed_{i:04d}.py", _seed_script(i, tables, rng, counts["crud"]))
    return GeneratedTree(
        root=root,
        files=len(written),
        py_files=sum(1 for p in written if p.suffix == ".py"),
        bytes=sum(p.stat().st_size for p in written),
    )
