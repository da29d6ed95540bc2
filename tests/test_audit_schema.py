"""The published JSON Schema of a saved audit matches the model, and the docs describe every field."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbaudit.audit_schema import audit_json_schema, render_schema
from dbaudit.diff import coverage_change
from dbaudit.model import SCHEMA_VERSION, Audit, to_dict
from tests.diff_support import history_base, history_head
from tests.golden_support import check_golden
from tests.sample_audit import sample_audit

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "src" / "dbaudit" / "audit.schema.json"
SCHEMA_DOC = ROOT / "docs" / "audit-schema.md"

st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schema_is_generated_from_the_model() -> None:
    """The model changed when this fails: regenerate with DBAUDIT_UPDATE_GOLDEN=1 and review the diff."""
    check_golden(SCHEMA_FILE, render_schema())
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == audit_json_schema()


def test_real_audits_validate(validator: jsonschema.Draft202012Validator) -> None:
    head = history_head()
    with_changes = replace(head, changes=coverage_change(history_base(), head))
    for audit in (sample_audit(), history_base(), with_changes):
        validator.validate(json.loads(json.dumps(to_dict(audit))))


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.from_type(Audit).map(lambda a: replace(a, schema_version=SCHEMA_VERSION)))
def test_any_audit_the_model_can_hold_validates(audit: Audit) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(to_dict(audit))), schema, jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(schema_version="one"),
        lambda d: d["coverage"].update(covered=3),
        lambda d: d["coverage"].pop("application_tables"),
        lambda d: d["database"]["tables"][0].update(status="half-full"),
        lambda d: d.pop("generated_at"),
    ],
)
def test_the_schema_rejects_what_the_reader_would(validator: jsonschema.Draft202012Validator, damage) -> None:
    data = json.loads(json.dumps(to_dict(history_base())))
    damage(data)
    assert not validator.is_valid(data)


def test_newer_minor_fields_are_allowed(validator: jsonschema.Draft202012Validator) -> None:
    data = json.loads(json.dumps(to_dict(history_base())))
    data["schema_version"] = "1.4"
    data["coverage"]["by_schema"] = {"public": 50.0}
    assert validator.is_valid(data)


def test_the_document_names_every_top_level_field_and_the_version() -> None:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    for field in fields(Audit):
        assert f"`{field.name}`" in text, field.name
    assert f"`{SCHEMA_VERSION}`" in text
    assert "audit.schema.json" in text
