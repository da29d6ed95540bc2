"""``dbaudit demo``: build the bundled example application on SQLite and audit it.

The example (``examples/migration_planner``, bundled into the wheel) is copied into a temporary folder, which
is removed afterwards, or into a folder the user names, which is kept.  Its SQLite database is built the way
its README says: ``alembic upgrade head`` (which runs its data revisions too), then its own seed scripts, each
in a subprocess from its ``backend`` folder with ``DATABASE_URL`` set.  The audit is the one
``dbaudit report`` makes for that database and the copied project.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dbaudit.errors import DbauditError
from dbaudit.model import Audit
from dbaudit.progress import stage
from dbaudit.resources import examples_dir

log = logging.getLogger("dbaudit.demo")

EXAMPLE = "migration_planner"
BACKEND = "backend"
DATABASE_FILE = "migration_planner.db"
#: The example's seed scripts, run in this order as modules from its backend folder.  Its purge script
#: (``app.scripts.seed_cleanup``) is not run: it would only delete what these create.
SEED_MODULES: tuple[str, ...] = ("app.scripts.init_db", "app.scripts.seed_llm_usage")
SEED_TIMEOUT = 300.0
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.db-journal")


def run_demo(target: Path | None = None) -> Audit:
    """Copy the example, build and seed its SQLite database, and return its audit.

    ``target`` is the folder to build the example in; it must not exist yet or be empty, and it is kept.
    Without it a temporary folder is used and removed afterwards.
    """
    if target is None:
        with tempfile.TemporaryDirectory(prefix="dbaudit-demo-") as tmp:
            return build_example(Path(tmp) / EXAMPLE)
    root = _checked_target(target)
    audit = build_example(root)
    log.info("the example and its database are kept in %s", root)
    return audit


def build_example(root: Path) -> Audit:
    """Copy the example to ``root`` (absent or empty), build and seed its database, and audit it."""
    from dbaudit.audit import build_audit
    from dbaudit.config import load_settings

    source = examples_dir() / EXAMPLE
    if not (source / BACKEND / "alembic.ini").is_file():
        raise DbauditError(
            f"the bundled example {EXAMPLE!r} is missing or incomplete",
            "reinstall dbaudit: pip install --force-reinstall dbaudit",
        )
    log.info("copying the example application to %s", root)
    try:
        shutil.copytree(source, root, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    except OSError as exc:
        raise DbauditError(f"cannot copy the example to {root}: {exc}", "check the folder") from exc

    backend = root / BACKEND
    url = f"sqlite:///{(backend / DATABASE_FILE).resolve()}"
    upgrade_database(backend, url)
    for module in SEED_MODULES:
        run_seed_script(backend, module, url)

    settings = load_settings({"url": url, "project_root": root})
    return build_audit(settings)


def upgrade_database(backend: Path, url: str) -> None:
    """``alembic upgrade head`` for the example, in this process, on a connection made here.

    The example's env.py uses the connection handed over in ``config.attributes`` (so a ``DATABASE_URL`` in
    the caller's environment is never touched) and leaves logging alone.
    """
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    config = Config(str(backend / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    engine = create_engine(url)
    log.info("building the SQLite database with Alembic (upgrade head, data revisions included)")
    try:
        with (
            stage("Running the example's Alembic revisions"),
            _isolated_imports(backend),
            engine.begin() as connection,
        ):
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DbauditError:
        raise
    except Exception as exc:  # Alembic and the revisions can raise anything; report it in one line
        reason = f"{type(exc).__name__}: {_last_line(str(exc))}"
        raise DbauditError(
            f"building the example database with Alembic failed: {reason}", "run with --traceback for details"
        ) from exc
    finally:
        engine.dispose()


def run_seed_script(backend: Path, module: str, url: str) -> None:
    """Run one of the example's seed scripts as ``python -m <module>`` from its backend folder."""
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    log.info("running the example's seed script: python -m %s", module)
    try:
        with stage(f"Running {module}"):
            proc = subprocess.run(
                [sys.executable, "-m", module],
                cwd=backend,
                env=env,
                capture_output=True,
                text=True,
                timeout=SEED_TIMEOUT,
                check=False,
            )
    except subprocess.TimeoutExpired as exc:
        raise DbauditError(
            f"the example's seed script {module} did not finish within {SEED_TIMEOUT:.0f} s",
            "run it by hand to see where it hangs (see the example's README)",
        ) from exc
    except OSError as exc:
        raise DbauditError(f"cannot start {sys.executable}: {exc}", "check the Python installation") from exc
    for line in proc.stderr.splitlines():
        log.debug("%s: %s", module, line)
    if proc.returncode != 0:
        raise DbauditError(
            f"the example's seed script {module} failed (exit {proc.returncode}): {_last_line(proc.stderr)}",
            "run with -vv to see its whole output",
        )


def _checked_target(target: Path) -> Path:
    if target.exists():
        if not target.is_dir():
            raise DbauditError(f"{target} is not a folder", "name a new or empty folder for the demo")
        if any(target.iterdir()):
            raise DbauditError(f"{target} is not empty", "name a new or empty folder for the demo")
    return target.resolve()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"


@contextmanager
def _isolated_imports(folder: Path) -> Iterator[None]:
    """Let the example's env.py import its own ``app`` package without leaving it behind in this process.

    A module named like one of the example's top-level packages that this process already holds is set aside
    for the duration and restored afterwards; everything imported from ``folder`` is forgotten.
    """
    packages = {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
    aside = {name: module for name, module in sys.modules.items() if name.partition(".")[0] in packages}
    for name in aside:
        del sys.modules[name]
    saved_path = list(sys.path)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [n for n in sys.modules if n.partition(".")[0] in packages]:
            del sys.modules[name]
        sys.modules.update(aside)
