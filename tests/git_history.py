"""A real git repository with a history for the diff tests, built with the git command line.

The project lives in ``backend/`` of the repository (as in many applications), so paths relative to the
project and to the repository differ.  History, oldest first:

``c1``  the project with ``db/seed_users.sql`` and ``db/seed_legacy.sql``; no saved audit
``c2``  ``AUDIT.json`` committed (the audit of ``c1``'s code)
``c3``  ``db/seed_orders.sql`` added, ``db/seed_legacy.sql`` removed, ``AUDIT.json`` deleted
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.diff_support import history_base, save

SEEDS = {
    "db/seed_users.sql": "INSERT INTO users (id, name) VALUES (1, 'Ada');\n",
    "db/seed_legacy.sql": "INSERT INTO legacy_tags (id, label) VALUES (1, 'old');\n",
    "db/seed_orders.sql": (
        "INSERT INTO orders (id) VALUES (1);\nINSERT INTO invoices (id, order_id) VALUES (1, 1);\n"
    ),
}

_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_ENV, "HOME": str(repo.parent)}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout


@dataclass
class History:
    repo: Path
    project: Path
    c1: str
    c2: str
    c3: str


def build_history(root: Path) -> History:
    repo = root / "repo"
    project = repo / "backend"
    (project / "db").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (project / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (repo / "README.md").write_text("# shop\n")
    for path in ("db/seed_users.sql", "db/seed_legacy.sql"):
        (project / path).write_text(SEEDS[path])
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Shop with users and legacy tag seeds")
    c1 = git(repo, "rev-parse", "HEAD").strip()

    save(history_base(), project / "AUDIT.json")
    git(repo, "add", "backend/AUDIT.json")
    git(repo, "commit", "-q", "-m", "Save the audit")
    c2 = git(repo, "rev-parse", "HEAD").strip()

    (project / "db/seed_orders.sql").write_text(SEEDS["db/seed_orders.sql"])
    git(repo, "add", "backend/db/seed_orders.sql")
    git(repo, "rm", "-q", "backend/db/seed_legacy.sql", "backend/AUDIT.json")
    git(repo, "commit", "-q", "-m", "Seed orders, drop the legacy seed")
    c3 = git(repo, "rev-parse", "HEAD").strip()
    return History(repo, project, c1, c2, c3)


def snapshot_of(repo: Path) -> dict[str, str]:
    """A hash of every file under ``repo``, ``.git`` included: any write shows."""
    hashes = {}
    for path in sorted(repo.rglob("*")):
        if path.is_file() and not path.is_symlink():
            hashes[path.relative_to(repo).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes
