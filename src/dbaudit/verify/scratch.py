"""Scratch databases: where ``dbaudit verify`` runs the seeders, never the configured database.

One small class per dialect makes and drops them: on PostgreSQL and MariaDB/MySQL a new database with a
unique name (``scratch_dbaudit_<hex>``) on the configured server, or on the server ``--scratch-url`` names; on
SQLite a file in the run's temporary folder.  :func:`scratch_database` drops it again however the run ends
(a failure, Ctrl-C), unless it is asked to keep it.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy.exc import SQLAlchemyError

from dbaudit.config import Settings
from dbaudit.errors import ConfigError, DatabaseError
from dbaudit.urls import mask_url, parse_url, scrub, url_secrets

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

log = logging.getLogger("dbaudit.verify")

#: Not ``dbaudit_...``: on MariaDB the database name qualifies every table (``<db>.users``), and the system
#: table pattern ``dbaudit_*`` would then match all of them.
PREFIX = "scratch_dbaudit_"
#: Seconds MariaDB waits for the metadata lock of a scratch database still in use before DROP gives up.
DROP_LOCK_WAIT = 30


def new_name() -> str:
    """A database name no one else uses: lower case, a letter first, safe unquoted on every server."""
    return f"{PREFIX}{secrets.token_hex(5)}"


@dataclass(frozen=True)
class ScratchDatabase:
    """One scratch database: how dbaudit connects to it, and how the steps are told about it."""

    url: URL
    """Synchronous URL, password included (never printed: use :attr:`shown`)."""
    name: str
    dialect: str

    @property
    def shown(self) -> str:
        return mask_url(self.url)

    def url_for_steps(self, driver: str | None) -> str:
        """The URL the steps get in ``DATABASE_URL``: in ``driver``'s form (an async driver where the project
        uses one), password included."""
        url = self.url.set(drivername=driver) if driver else self.url
        return url.render_as_string(hide_password=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return url_secrets(self.url)


class ScratchServer:
    """Makes and drops scratch databases of one dialect."""

    dialect: ClassVar[str] = ""

    def where(self) -> str:
        """Where scratch databases go, for a person (password masked)."""
        raise NotImplementedError

    def create(self) -> ScratchDatabase:
        raise NotImplementedError

    def drop(self, database: ScratchDatabase) -> None:
        raise NotImplementedError

    def exists(self, database: ScratchDatabase) -> bool:
        raise NotImplementedError


class SqliteServer(ScratchServer):
    """SQLite: a file in the run's own temporary folder."""

    dialect = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def where(self) -> str:
        return "a temporary SQLite file"

    def create(self) -> ScratchDatabase:
        from sqlalchemy.engine import URL

        name = new_name()
        path = self.folder / f"{name}.db"
        sqlite3.connect(path).close()  # the file exists before the first step: dbaudit refuses missing files
        return ScratchDatabase(URL.create("sqlite", database=str(path)), name, self.dialect)

    def drop(self, database: ScratchDatabase) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                Path(f"{database.url.database}{suffix}").unlink()

    def exists(self, database: ScratchDatabase) -> bool:
        return Path(str(database.url.database)).exists()


class _ServerWithDatabases(ScratchServer):
    """PostgreSQL and MariaDB/MySQL: ``CREATE DATABASE`` on the server the admin URL reaches."""

    def __init__(self, admin: URL) -> None:
        from dbaudit.dialects import dialect_for

        self.admin = admin
        self.engine_dialect = dialect_for(admin.get_backend_name())

    def where(self) -> str:
        return f"a new database on {mask_url(self.admin.set(database=None))}"

    def _engine(self) -> Engine:
        from dbaudit.reflect import connect

        return connect(Settings(url=self.admin.render_as_string(hide_password=False)))

    @contextmanager
    def _autocommit(self) -> Iterator[Connection]:
        engine = self._engine()
        try:
            with engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
        finally:
            engine.dispose()

    def _failed(self, what: str, exc: SQLAlchemyError, hint: str) -> DatabaseError:
        reason = scrub(
            str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url_secrets(self.admin)
        )
        return DatabaseError(f"{what} on {mask_url(self.admin)} failed: {reason}", hint)

    def create(self) -> ScratchDatabase:
        name = new_name()
        with self._autocommit() as conn:
            try:
                self.engine_dialect.create_database(conn, name)
            except SQLAlchemyError as exc:
                raise self._failed(
                    f"creating the scratch database {name}",
                    exc,
                    "let the user create databases, or pass --scratch-url with a server where it may",
                ) from exc
        return ScratchDatabase(self.admin.set(database=name), name, self.engine_dialect.name)

    def drop(self, database: ScratchDatabase) -> None:
        with self._autocommit() as conn:
            try:
                self.engine_dialect.drop_database(conn, database.name)
            except SQLAlchemyError as exc:
                raise self._failed(
                    f"dropping the scratch database {database.name}",
                    exc,
                    f"drop it by hand: DROP DATABASE {database.name}",
                ) from exc

    def exists(self, database: ScratchDatabase) -> bool:
        with self._autocommit() as conn:
            return database.name in self.engine_dialect.database_names(conn)


def scratch_server(configured_url: str | None, scratch_url: str | None, folder: Path) -> ScratchServer:
    """Where to make the scratch database: the server of ``scratch_url`` if given, else of the configured
    database; SQLite scratch databases are files in ``folder``."""
    from dbaudit.dialects.engine import NO_URL_HINT

    raw = scratch_url or configured_url
    if not raw:
        raise ConfigError(
            "verify needs a database server to make its scratch database on, and none is configured",
            f"{NO_URL_HINT}; or pass --scratch-url (sqlite:// for a temporary SQLite file)",
        )
    from dbaudit.dialects import dialect_for

    url = parse_url(raw)
    backend = url.get_backend_name()
    dialect = dialect_for(backend)
    if dialect.database_is_a_file:
        if scratch_url and url.database not in (None, "", ":memory:"):
            raise ConfigError(
                f"--scratch-url {mask_url(url)} names a SQLite file",
                "SQLite scratch databases are temporary files: pass --scratch-url sqlite://",
            )
        return SqliteServer(folder)
    if not dialect.makes_databases:
        raise ConfigError(
            f"verify cannot make scratch databases on {backend} ({mask_url(url)})",
            "use PostgreSQL, MariaDB/MySQL or SQLite, or --scratch-url with one of them",
        )
    return _ServerWithDatabases(url)


@contextmanager
def scratch_database(server: ScratchServer, *, keep: bool = False) -> Iterator[ScratchDatabase]:
    """A new scratch database, dropped when the block ends (also on an error or Ctrl-C) unless ``keep``."""
    database = server.create()
    log.info("made the scratch database %s", database.shown)
    try:
        yield database
    except BaseException:
        if not keep:
            try:
                server.drop(database)
            except DatabaseError as exc:  # the error that ended the run is the one to report
                log.error("%s", exc)
        raise
    if keep:
        log.warning("kept the scratch database %s (--keep)", database.shown)
    else:
        server.drop(database)
        log.debug("dropped the scratch database %s", database.shown)
