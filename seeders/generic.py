"""The generic seeder: claims every table and leaves every column to the type- and name-aware generator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbaudit.seed.api import SeederContext, TableShape


class GenericSeeder:
    name = "generic"
    priority = 0
    fills_nothing = True
    """Every column is left to the generator: the engine may skip asking for (empty) rows."""

    def claims(self, table: TableShape) -> bool:
        return True

    def rows(self, ctx: SeederContext) -> Iterator[dict[str, Any]]:
        for _ in range(ctx.rows):
            yield {}


SEEDERS = [GenericSeeder()]
