"""The seed plan, a seed run and a purge as JSON, for scripts and CI (text: ``render.seed_text``)."""

from __future__ import annotations

import json

from dbaudit.model import to_dict
from dbaudit.seed.records import PurgeReport, SeedPlan, SeedReport


def as_json(report: SeedReport | PurgeReport | SeedPlan) -> str:
    """The record as JSON (every field), for scripts and CI."""
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"
