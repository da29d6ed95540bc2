"""Fixture files: Django-style records, one file per table, tables named by keys, the configured map."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scan.support import scan, source, writes


def test_fixture_shapes(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "fixtures/roles.json": json.dumps([{"id": 1, "name": "admin"}]),
            "fixtures/initial.json": json.dumps(
                [
                    {"model": "app.user", "pk": 1, "fields": {}},
                    {"model": "shop.order", "pk": 1, "fields": {}},
                ]
            ),
            "seeds/catalogue.yaml": "tags:\n  - name: a\n  - name: b\nnot_a_table:\n  - x: 1\n",
            "seeds/02_tags.csv": "id,name\n1,a\n",
            "fixtures/api_response.json": json.dumps({"status": "ok"}),
            "fixtures/broken.json": "{not json",
            "data/legacy_dump.json": json.dumps([{"id": 1}]),
        },
        fixture_map={"data/legacy_*.json": "audit_log"},
    )
    assert writes(result, "fixtures/roles.json") == {("roles", "fixture-file", False)}
    assert writes(result, "fixtures/initial.json") == {
        ("users", "fixture-file", False),
        ("shop_order", "fixture-file", False),
    }
    assert writes(result, "seeds/catalogue.yaml") == {("tags", "fixture-file", False)}
    assert writes(result, "seeds/02_tags.csv") == {("tags", "fixture-file", False)}
    assert writes(result, "data/legacy_dump.json") == {("audit_log", "fixture-file", False)}
    assert source(result, "fixtures/api_response.json") is None
    assert [str(d.location) for d in result.diagnostics] == ["fixtures/broken.json:1"]
    found = source(result, "fixtures/roles.json")
    assert (
        found is not None
        and found.kind.value == "fixture"
        and found.digest
        and found.digest.startswith("sha256:")
    )
