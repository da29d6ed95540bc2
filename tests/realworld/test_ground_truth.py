"""The scan against hand-built ground truth on nine real projects (``../shared/corpus/code/``).

Each ``tests/realworld/<project>.toml`` maps a seed source to the tables it populates, built by reading the
project's code (not the tool's output).  This test scans each project with the configuration a user of that
project would write in ``[tool.dbaudit]`` and compares the (source path, table) pairs with the map: precision
and recall are printed per project (``pytest -s``) and must both be 1.00, but for the few known limitations
listed here (at most two per project), which the assertion allows and prints.

The corpus never enters the repository; without ``../shared`` every case skips with the reason.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dbaudit.config import Settings, load_settings
from dbaudit.model import ScanResult
from dbaudit.scan import scan_sources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).parent
CORPUS = HERE.parents[1].parent / "shared" / "corpus" / "code"

Pair = tuple[str, str]


@dataclass(frozen=True)
class Limitation:
    """A pattern the scan does not follow, and the (source, table) pairs it therefore misses."""

    pattern: str
    missed: tuple[Pair, ...]


@dataclass(frozen=True)
class Case:
    config: str
    """The ``[tool.dbaudit]`` a user of the project would write: each line says why it is there."""
    limitations: tuple[Limitation, ...] = ()


CASES: dict[str, Case] = {
    "miguelgrinberg__flasky": Case(
        """
        # the Faker module (functions called by hand from `flask shell`) and the `flask deploy` command file:
        # neither has a name any default glob knows
        extend_seed_globs = ["app/fake.py", "flasky.py"]
        """
    ),
    "flaskbb__flaskbb": Case(
        """
        # the click commands `flaskbb install/populate/upgrade`, `users new`, `plugins install`;
        # flaskbb/utils/populate.py, which they call, matches the defaults
        extend_seed_globs = ["flaskbb/cli/*.py"]
        """
    ),
    "getredash__redash": Case(
        """
        # the Flask AppGroup commands behind `manage.py users/groups/org/ds`
        extend_seed_globs = ["redash/cli/*.py"]
        """
    ),
    "cgwire__zou": Case(
        """
        # the click group `zou` (init-data, create-admin, sync commands...)
        extend_seed_globs = ["zou/cli.py"]
        """
    ),
    "ckan__ckan": Case(
        """
        # CreateTestData (classmethods called by hand and by tests), `ckan user add` / `ckan sysadmin add`
        extend_seed_globs = ["ckan/lib/create_test_data.py", "ckan/cli/user.py", "ckan/cli/sysadmin.py"]
        """,
        (
            Limitation(
                "a writer looked up by name at run time in code the copy does not hold "
                "(logic.get_action('user_create'), get_action('api_token_create'): ckan/logic/action/ is "
                "not in the copy)",
                (
                    ("ckan/cli/user.py", "user"),
                    ("ckan/cli/user.py", "api_token"),
                    ("ckan/cli/sysadmin.py", "user"),
                ),
            ),
        ),
    ),
    "PrefectHQ__prefect": Case(
        """
        # block auto-registration, run at every server start: the project's only seeding code
        extend_seed_globs = ["src/prefect/server/models/block_registration.py"]
        """
    ),
    "indico__indico": Case(
        """
        # the click groups `indico db/user/event/maint`
        extend_seed_globs = ["indico/cli/*.py"]
        """,
        (
            Limitation(
                "association rows of a relationship copied by setattr with attribute names computed at "
                "run time (populate_from_attrs(p.event_role, get_simple_column_attrs(EventRole) | {...}))",
                (("indico/cli/maintenance.py", "events.role_members"),),
            ),
        ),
    ),
    "nsidnev__fastapi-realworld-example-app": Case(
        """
        # nothing: the project has no seeding code (its INSERTs are runtime aiosql queries)
        """
    ),
    "openstack__octavia": Case(
        """
        # nothing: alembic.ini-free revisions are found beside their env.py
        """
    ),
}


def _settings(project: Path, config: str, tmp_path: Path) -> Settings:
    """The settings dbaudit loads from a ``[tool.dbaudit]`` holding ``config`` (kept outside the corpus)."""
    lines = [line.strip() for line in config.strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    (tmp_path / "dbaudit.toml").write_text(text + "\n", encoding="utf-8")
    settings = load_settings(cwd=tmp_path, environ={})
    return settings.replace(project_root=project)


def expected_pairs(name: str) -> set[Pair]:
    data = tomllib.loads((HERE / f"{name}.toml").read_text(encoding="utf-8"))
    return {(source["path"], table) for source in data.get("source", []) for table in source["tables"]}


def found_pairs(result: ScanResult) -> set[Pair]:
    return {
        (source.path, f"{write.schema}.{write.table}" if write.schema else write.table)
        for source in result.sources
        for write in source.writes
    }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_scan_matches_ground_truth(name: str, tmp_path: Path) -> None:
    project = CORPUS / name
    if not project.is_dir():
        pytest.skip(f"corpus project {name} not present (../shared/corpus/code/ is not in the repository)")
    case = CASES[name]
    assert len(case.limitations) <= 2, "at most two known limitations per project"
    result = scan_sources(project, _settings(project, case.config, tmp_path))
    expected = expected_pairs(name)
    found = found_pairs(result)
    allowed_missing = {pair for lim in case.limitations for pair in lim.missed}
    true_positive = expected & found
    precision = _ratio(len(true_positive), len(found))
    recall = _ratio(len(true_positive), len(expected))
    missing = sorted(expected - found - allowed_missing)
    extra = sorted(found - expected)
    lines = [f"{name}: precision {precision:.2f}, recall {recall:.2f} ({len(true_positive)}/{len(expected)})"]
    for lim in case.limitations:
        pairs = ", ".join(f"{source} -> {table}" for source, table in lim.missed)
        lines.append(f"  known limitation: {lim.pattern}: {pairs}")
    lines += [f"  missed: {source} -> {table}" for source, table in missing]
    lines += [f"  not in the map: {source} -> {table}" for source, table in extra]
    report = "\n".join(lines)
    print(report)
    assert not missing and not extra, report
    assert allowed_missing <= expected - found, f"a known limitation no longer applies: drop it\n{report}"
