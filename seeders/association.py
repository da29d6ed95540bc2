"""Association (many-to-many) tables: distinct pairs of existing parents.

Claims a table with two or more foreign keys whose columns make up its primary key or a unique key
(``playlist_track``, ``film_actor``, ``user_role``).  It yields distinct combinations of parent keys, so the
run never repeats a pair, and stops early when the parents offer fewer combinations than rows asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbaudit.seed.api import SeederContext, TableShape


def _pair_keys(table: TableShape) -> tuple[str, ...] | None:
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    for key in (table.primary_key, *table.uniques):
        if len(key) >= 2 and set(key) <= fk_columns:
            return key
    return None


class AssociationSeeder:
    name = "association"
    priority = 10

    def claims(self, table: TableShape) -> bool:
        return len(table.foreign_keys) >= 2 and _pair_keys(table) is not None

    def rows(self, ctx: SeederContext) -> Iterator[dict[str, Any]]:
        key = _pair_keys(ctx.table)
        assert key is not None
        fks = [fk for fk in ctx.table.foreign_keys if set(fk.columns) & set(key)]
        choices = [list(ctx.parent_keys.get(fk.columns, ())) for fk in fks]
        if any(not options for options in choices):
            return
        total = 1
        for options in choices:
            total *= len(options)
        seen: set[tuple[Any, ...]] = set()
        attempts = 0
        while len(seen) < min(ctx.rows, total) and attempts < ctx.rows * 20:
            attempts += 1
            picked = tuple(ctx.rng.randrange(len(options)) for options in choices)
            if picked in seen:
                continue
            seen.add(picked)
            row: dict[str, Any] = {}
            for fk, options, index in zip(fks, choices, picked, strict=False):
                row.update(zip(fk.columns, options[index], strict=False))
            yield row


SEEDERS = [AssociationSeeder()]
