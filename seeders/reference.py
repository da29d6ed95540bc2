"""Reference (lookup) tables: a small fixed catalogue of labels instead of random words.

Claims a table without foreign keys whose name says it is a lookup (``genre``, ``media_type``, ``status``,
``language``, ``currency``, ``role``...) and that has a text column to hold the label.  It yields one row per
catalogue entry (at most the rows asked for).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dbaudit.seed.api import SeederContext, TableShape

CATALOGUES: dict[str, list[str]] = {
    "genre": ["Rock", "Jazz", "Blues", "Classical", "Pop", "Hip Hop", "Electronic", "Folk", "Reggae", "Soul"],
    "media_type": ["MPEG audio file", "AAC audio file", "Protected AAC audio file", "FLAC audio file"],
    "language": ["English", "French", "German", "Spanish", "Italian", "Japanese", "Mandarin", "Portuguese"],
    "currency": ["EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD"],
    "role": ["admin", "editor", "viewer", "owner", "guest"],
    "status": ["active", "pending", "suspended", "closed"],
    "priority": ["low", "normal", "high", "urgent"],
    "category": ["Action", "Comedy", "Drama", "Documentary", "Family", "Horror", "Sci-Fi", "Travel"],
    "level": ["beginner", "intermediate", "advanced", "expert"],
    "tag": ["new", "featured", "sale", "popular", "limited"],
    "type": ["standard", "premium", "basic", "other"],
    "kind": ["standard", "premium", "basic", "other"],
}
_LOOKUP = re.compile(
    r"(^|_)(genre|media_?type|language|currenc(y|ies)|role|status(es)?|priorit(y|ies)|categor(y|ies)|"
    r"level|tag|type|kind)s?$",
    re.I,
)
_LABEL_NAMES = ("name", "label", "title", "code", "description", "value")


def _catalogue(table_name: str) -> list[str]:
    key = re.sub(r"s$", "", table_name.lower())
    key = {
        "categorie": "category",
        "currencie": "currency",
        "prioritie": "priority",
        "statuse": "status",
    }.get(key, key)
    for name, values in CATALOGUES.items():
        if key == name or key.endswith("_" + name) or key.replace("_", "") == name.replace("_", ""):
            return values
    return CATALOGUES["type"]


def _label_column(table: TableShape) -> str | None:
    texts = table.text_columns()
    for wanted in _LABEL_NAMES:
        for column in texts:
            if column.lower() == wanted or column.lower().endswith("_" + wanted):
                return column
    return texts[0] if texts else None


class ReferenceSeeder:
    name = "reference"
    priority = 10

    def claims(self, table: TableShape) -> bool:
        return (
            not table.foreign_keys and bool(_LOOKUP.search(table.name)) and _label_column(table) is not None
        )

    def rows(self, ctx: SeederContext) -> Iterator[dict[str, Any]]:
        column = _label_column(ctx.table)
        assert column is not None
        limit = ctx.table.max_lengths.get(column)
        for value in _catalogue(ctx.table.name)[: ctx.rows]:
            yield {column: value[:limit] if limit else value}


SEEDERS = [ReferenceSeeder()]
