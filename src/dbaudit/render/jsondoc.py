"""The one JSON writer: every ``--format json`` document (audit, scan, diff, check, seed, purge) is written
here, from a model record or from plain data shaped out of one."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from dbaudit.model import to_dict


def to_json(document: Any, *, sort_keys: bool = False, ascii_only: bool = False) -> str:
    """``document`` as indented JSON with a final newline.  A record goes through
    :func:`dbaudit.model.to_dict` first.

    The seed and purge documents were published with sorted keys and ASCII escapes (``sort_keys``,
    ``ascii_only``); the others keep the model's field order and write names as they are.
    """
    data = to_dict(document) if dataclasses.is_dataclass(document) else document
    return json.dumps(data, indent=2, ensure_ascii=ascii_only, sort_keys=sort_keys) + "\n"
