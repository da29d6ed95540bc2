"""The seeder interface: what a file in ``seeders/`` (bundled, or a project's ``seeders_dir``) provides.

A seeder file defines ``SEEDERS``: a list of objects with

- ``name`` (str) and ``priority`` (int; the highest-priority seeder that claims a table fills it, a project's
  own seeders win ties against the bundled ones),
- ``claims(table: TableShape) -> bool``: whether it fills this table (by name pattern or by shape),
- ``rows(ctx: SeederContext) -> Iterable[dict]``: the rows, as dicts of *some* columns.  Columns a row leaves
  out are filled by the generic generator, so a seeder only says what it knows better (a catalogue of names,
  distinct parent pairs, timestamps in order).  At most ``ctx.rows`` rows are taken; yield fewer to insert
  fewer.

Every row then goes through the same checks as generated ones (foreign keys must name real parents, unique
keys stay unique, NOT NULL is kept), gets the mock marker, and is recorded in the ledger.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dbaudit.errors import SeedError


@dataclass(frozen=True)
class ForeignKeyShape:
    columns: tuple[str, ...]
    parent: str
    """Name of the referred table."""
    referred: tuple[str, ...]
    nullable: bool


@dataclass(frozen=True)
class TableShape:
    """What a seeder sees of a table when deciding to claim it."""

    name: str
    schema: str | None
    columns: tuple[str, ...]
    """Columns the seeder may write (identity, serial and generated columns left out)."""
    column_kinds: dict[str, str]
    """Column -> kind of value (``str``, ``int``, ``datetime``...; see :mod:`dbaudit.seed.values`)."""
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKeyShape, ...]
    uniques: tuple[tuple[str, ...], ...]
    max_lengths: dict[str, int] = field(default_factory=dict)

    def text_columns(self) -> tuple[str, ...]:
        fk_cols = {c for fk in self.foreign_keys for c in fk.columns}
        return tuple(c for c in self.columns if self.column_kinds.get(c) == "str" and c not in fk_cols)

    def time_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if self.column_kinds.get(c) in ("datetime", "date"))


@dataclass
class SeederContext:
    """Everything a seeder may use to produce rows."""

    table: TableShape
    rows: int
    """How many rows the run asks for."""
    rng: random.Random
    """The run's random generator for this table: use it (not ``random``) so ``--seed`` reproduces rows."""
    parent_keys: dict[tuple[str, ...], Sequence[tuple[Any, ...]]]
    """Foreign-key columns -> the parent keys (tuples of the referred columns) the rows may point at."""
    tenant: Any = None
    """The tenant value this run's rows belong to, when the schema has tenant columns."""
    seed: int = 0

    @property
    def faker(self) -> Any:
        """A Faker seeded from the run's seed and the table (slow: prefer ``rng`` for bulk values)."""
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(f"{self.seed}:{self.table.name}")
        return fake


@runtime_checkable
class Seeder(Protocol):
    name: str
    priority: int

    def claims(self, table: TableShape) -> bool: ...

    def rows(self, ctx: SeederContext) -> Iterable[dict[str, Any]]: ...


@dataclass(frozen=True)
class LoadedSeeder:
    seeder: Seeder
    origin: str
    """``bundled`` or ``project``."""


def load_seeders(folders: Sequence[tuple[Path, str]]) -> list[LoadedSeeder]:
    """Load ``SEEDERS`` from every ``*.py`` file of each folder (``(path, origin)``), in name order."""
    loaded: list[LoadedSeeder] = []
    for folder, origin in folders:
        if not folder.is_dir():
            if origin == "project":
                raise SeedError(f"the seeders folder {folder.name!r} does not exist", "fix seeders_dir")
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"dbaudit_seeders_{origin}_{path.stem}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a spec
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                raise SeedError(
                    f"cannot load seeder file {path.name}: {type(exc).__name__}: {exc}",
                    "fix the file or remove it from the seeders folder",
                ) from exc
            for seeder in getattr(module, "SEEDERS", ()):
                if not isinstance(seeder, Seeder):
                    raise SeedError(
                        f"{path.name}: {seeder!r} is not a seeder",
                        "a seeder has name, priority, claims(table) and rows(ctx)",
                    )
                loaded.append(LoadedSeeder(seeder, origin))
    return loaded


def choose_seeder(seeders: Sequence[LoadedSeeder], shape: TableShape) -> LoadedSeeder:
    """The claiming seeder with the highest priority; a project seeder wins a tie."""
    best: LoadedSeeder | None = None
    for candidate in seeders:
        if not candidate.seeder.claims(shape):
            continue
        rank = (candidate.seeder.priority, candidate.origin == "project")
        if best is None or rank > (best.seeder.priority, best.origin == "project"):
            best = candidate
    if best is None:
        raise SeedError(f"no seeder claims table {shape.name!r}", "the bundled generic seeder is missing")
    return best
