"""``docs/SAFETY.md`` names a backing test for every guarantee, and every test it names exists.

Node ids (``tests/path.py::test_name`` or ``tests/path.py::Class::test_name``, an optional parametrisation
``[...]`` ignored) are found in backticks anywhere in the document.  Each is checked by parsing the test file
with :mod:`ast`: the file must exist and define that test function (at module level or in the named class).
Every guarantee (a ``## `` section) must name at least one test.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFETY = ROOT / "docs" / "SAFETY.md"
NODE_ID = re.compile(r"`(tests/[\w./-]+\.py)::([\w:]+)(?:\[[^\]`]*\])?`")

#: The guarantees the document must make, each recognised by words in its heading.
REQUIRED = {
    "report never writes": ("report", "never writes"),
    "seeder never changes or deletes a row it did not insert": ("seed", "row"),
    "scan never executes code": ("scan", "never"),
    "no password in any output": ("password",),
    "bad input exits 2 with one line": ("exit 2",),
}


@dataclass(frozen=True)
class Section:
    heading: str
    body: str

    @property
    def node_ids(self) -> list[tuple[str, str]]:
        return NODE_ID.findall(self.body)


def sections(text: str) -> list[Section]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return [Section(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def defined_tests(path: Path) -> set[str]:
    """``name`` and ``Class::name`` for every test function of a test file."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.add(f"{node.name}::{item.name}")
    return {name for name in found if name.rsplit("::", 1)[-1].startswith("test")}


def test_the_parser_finds_node_ids() -> None:
    text = "## A guarantee\n\nBacked by `tests/x.py::test_a[pg]` and `tests/y/z.py::K::test_b`.\n## Next\n"
    assert sections(text)[0].node_ids == [("tests/x.py", "test_a"), ("tests/y/z.py", "K::test_b")]


def test_safety_doc_exists_and_makes_the_required_guarantees() -> None:
    assert SAFETY.is_file(), "docs/SAFETY.md is missing"
    headings = [s.heading.lower() for s in sections(SAFETY.read_text(encoding="utf-8"))]
    for guarantee, words in REQUIRED.items():
        assert any(all(w in h for w in words) for h in headings), f"SAFETY.md does not state: {guarantee}"


def test_every_guarantee_names_a_backing_test() -> None:
    for section in sections(SAFETY.read_text(encoding="utf-8")):
        if section.heading.lower().startswith(("how", "reporting", "scope")):
            continue
        assert section.node_ids, f"guarantee {section.heading!r} names no test"


def _all_node_ids() -> list[tuple[str, str]]:
    if not SAFETY.is_file():
        return []
    return sorted(set(NODE_ID.findall(SAFETY.read_text(encoding="utf-8"))))


def test_every_named_test_exists() -> None:
    """One check over every test SAFETY.md names, reporting every missing one at once."""
    missing = []
    for path, name in _all_node_ids():
        test_file = ROOT / path
        if not test_file.is_file():
            missing.append(f"SAFETY.md names {path}, which does not exist")
        elif name not in defined_tests(test_file):
            missing.append(f"SAFETY.md names {path}::{name}, which is not defined there")
    assert _all_node_ids(), "SAFETY.md names no test"
    assert not missing, "\n".join(missing)
