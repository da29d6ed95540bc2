"""The model round-trips exactly through to_dict / JSON / from_dict, for any value of any record."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbaudit import model
from dbaudit.model import Audit, from_dict, to_dict

st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.from_type(Audit))
def test_audit_round_trips_through_json(audit: Audit) -> None:
    data = json.loads(json.dumps(to_dict(audit)))
    assert from_dict(Audit, data) == audit
    assert to_dict(from_dict(Audit, data)) == data


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.from_type(model.ScanResult))
def test_scan_result_round_trips_with_locations(scan: model.ScanResult) -> None:
    # locations are left out of equality, so compare the dicts too: they must survive as well
    data = to_dict(scan)
    assert to_dict(from_dict(model.ScanResult, data)) == data


def test_missing_fields_take_defaults() -> None:
    old = {"generated_at": "2025-06-11T00:00:00+00:00", "tool_version": "0.0.1", "schema_version": "1.0"}
    audit = Audit.from_dict(old)
    assert audit.database is None and audit.recommendations == ()


def test_locations_are_not_part_of_equality() -> None:
    a = model.TableWrite("users", "orm-add", location=model.SourceLocation("a.py", 1))
    b = model.TableWrite("users", "orm-add", location=model.SourceLocation("b.py", 9))
    assert a == b and hash(a) == hash(b)


def test_schema_version_is_written() -> None:
    assert to_dict(Audit("2025-01-01T00:00:00+00:00", "0.1.0"))["schema_version"] == model.SCHEMA_VERSION
