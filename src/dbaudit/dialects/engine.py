"""Opening the database: one engine from the configured URL, and every way that can fail as one clear line.

:func:`open_engine` is the one opener of every command: ``mode="read"`` for ``report`` (whose work runs in a
read-only transaction), ``mode="write"`` for ``seed`` and ``purge`` (the dialect's write set-up and lock
timeout applied).

Failures become :class:`~dbaudit.errors.DbauditError` subclasses whose message says what failed and what to
do, always with the password masked: a malformed URL or an unknown dialect (:class:`ConfigError`), a driver
that is not installed (:class:`MissingDriver`), and a server that is down, refuses the credentials or has no
such database (:class:`ConnectionFailed`).  A statement that fails once connected is named as what it is
(:func:`statement_failed`): a time limit of the server that ran out, a permission, a lost connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from dbaudit.dialects import dialect_for
from dbaudit.dialects.base import Dialect
from dbaudit.errors import ConfigError, ConnectionFailed, DatabaseError, DbauditError, MissingDriver
from dbaudit.urls import mask_url, parse_url, require_sqlite_file, scrub

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

    from dbaudit.config import Settings

ONE_OFF = {"compiled_cache": None}
"""Execution options of a statement that is never run again (counts of a batch of tables, a batch of seeded
tables): kept out of SQLAlchemy's statement cache, so no cache key is computed and no compiled form held."""

#: Seconds to wait for a server before calling it unreachable.
CONNECT_TIMEOUT = 5

NO_URL_HINT = (
    'pass --url, set DBAUDIT_URL or DATABASE_URL, put url = "..." under [tool.dbaudit] in pyproject.toml, '
    "or sqlalchemy.url in alembic.ini"
)

#: pip package that provides a DBAPI module SQLAlchemy failed to import.
DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",  # psycopg 3 with its own libpq: what the dbaudit[psycopg] extra installs
    "pymysql": "PyMySQL",
    "MySQLdb": "mysqlclient",
    "mysql": "mysql-connector-python",
    "pyodbc": "pyodbc",
    "cx_Oracle": "cx_Oracle",
    "oracledb": "oracledb",
    "asyncpg": "asyncpg",
    "pymssql": "pymssql",
}

_CONNECT_ARGS = {
    "postgresql": {"connect_timeout": CONNECT_TIMEOUT, "application_name": "dbaudit"},
    "mysql": {"connect_timeout": CONNECT_TIMEOUT},
    "mariadb": {"connect_timeout": CONNECT_TIMEOUT},
}


def database_url(settings: Settings) -> URL:
    """The configured URL, parsed (async drivers swapped for synchronous ones)."""
    if not settings.url:
        raise ConfigError("no database URL given", NO_URL_HINT)
    return parse_url(settings.url)


def open_engine(settings: Settings, mode: str = "read") -> tuple[Engine, Dialect]:
    """An engine for ``settings.url`` whose first connection has succeeded, and its dialect.

    ``mode="write"`` applies the dialect's write set-up (SQLite takes its write lock at BEGIN) and the
    ``lock_timeout`` setting.  Raises :class:`ConfigError` (no or malformed URL, unknown dialect),
    :class:`MissingDriver` or :class:`ConnectionFailed` with a one-line, password-free message.
    """
    url = database_url(settings)
    shown = mask_url(url)
    require_sqlite_file(url)
    try:
        engine = create_engine(
            url,
            connect_args=_CONNECT_ARGS.get(url.get_backend_name(), {}),
            # The ledger counts the rows an INSERT ... SELECT copied; psycopg 3 forgets a cursor's rowcount
            # when SQLAlchemy closes it after an INSERT, unless the result keeps it (SQLAlchemy #10696).
            execution_options={"preserve_rowcount": True},
            # A seed or purge compiles statements of its own per table (reading keys back into the ledger);
            # with SQLAlchemy's default 500 cached statements, a thousand tables evict the ones every table
            # runs again (the ledger's inserts), which are then compiled anew each time.
            query_cache_size=5000,
        )
    except NoSuchModuleError as exc:
        raise ConfigError(
            f"unknown database dialect {url.drivername!r} in {shown}",
            "use postgresql://, mysql://, mariadb:// or sqlite:///, or install the SQLAlchemy dialect for it",
        ) from exc
    except ImportError as exc:
        raise _missing_driver(url, shown, exc) from exc
    except ArgumentError as exc:
        raise ConfigError(f"unusable database URL {shown}: {scrub(str(exc))}") from exc
    dialect = dialect_for(engine.dialect.name)
    if mode == "write":
        dialect.lock_timeout = settings.lock_timeout
        dialect.prepare_engine(engine)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        raise connection_failed(url, exc) from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConnectionFailed(f"cannot connect to {shown}: {_first_line(exc, url)}") from exc
    return engine, dialect


def connect(settings: Settings) -> Engine:
    """An engine for reading ``settings.url`` (see :func:`open_engine`)."""
    return open_engine(settings, "read")[0]


def _missing_driver(url: URL, shown: str, exc: ImportError) -> MissingDriver:
    named = (exc.name or str(exc).rsplit(" ", 1)[-1].strip("'\"")).split(".")[0]
    module, what = named, "is not installed"
    if named not in DRIVER_PACKAGES and url.get_driver_name():
        # Installed but unable to load (psycopg without a libpq: "no pq wrapper available"): the error names
        # no module, the URL's driver does.
        module = url.get_driver_name()
        first = str(exc).strip().splitlines()
        what = f"cannot be loaded ({scrub(first[0])})" if first else "cannot be loaded"
    package = DRIVER_PACKAGES.get(module, module)
    return MissingDriver(
        f"the database driver {module!r} needed by {url.drivername}:// {what}",
        f"pip install '{package}', or use a driver dbaudit ships with: postgresql+psycopg2://, "
        "mysql+pymysql://, sqlite:///",
    )


def connection_failed(url: URL, exc: DBAPIError) -> DbauditError:
    """Explain a failed connection attempt in one line."""
    shown = mask_url(url)
    message = _first_line(exc, url)
    lowered = message.lower()
    errno = _errno(exc)
    where = f"{url.host or 'localhost'}:{url.port}" if url.port else (url.host or "localhost")
    dialect = dialect_for(url.get_backend_name())
    if dialect.timeout_setting(exc) is not None:  # the first statements ran into the session's time limit
        return statement_failed(url, exc, "connecting")
    if (
        errno in (1045,)
        or "password authentication failed" in lowered
        or ("role" in lowered and "does not exist" in lowered)
    ):
        return ConnectionFailed(
            f"access denied for user {url.username!r} at {shown}",
            "check the user name and password in the URL",
        )
    if errno in (1044,) or "permission denied for database" in lowered:
        return ConnectionFailed(
            f"user {url.username!r} may not use database {url.database!r} at {shown}",
            "grant the user access (CONNECT / USAGE), or connect as another user",
        )
    if errno == 1049 or ("database" in lowered and "does not exist" in lowered):
        return ConnectionFailed(
            f"database {url.database!r} does not exist on {where} ({shown})",
            "check the database name at the end of the URL",
        )
    if errno in (2003, 2005, 2006, 2013) or any(
        marker in lowered
        for marker in (
            "connection refused",
            "could not connect",
            "timeout expired",
            "could not translate",
            "name or service not known",
            "no route to host",
            "can't connect",
            "timed out",
        )
    ):
        return ConnectionFailed(
            f"cannot reach the database server at {where} ({shown}): {message}",
            "start the server, or fix the host and port in the URL",
        )
    if "unable to open database file" in lowered:
        return ConnectionFailed(
            f"cannot open the SQLite database {url.database!r}", "check the path and its permissions"
        )
    return ConnectionFailed(
        f"cannot connect to {shown}: {message}", "check the URL and that the server is up"
    )


def statement_failed(url: URL, exc: DBAPIError, doing: str) -> DatabaseError:
    """Explain a statement that failed while ``doing`` something (``"reading the catalog of schema 'x'"``).

    A time limit of the server says it timed out and names the setting to raise; a privilege says
    permission denied; a session the server ended says the connection was lost.  Anything else carries the
    server's own first line.
    """
    shown = mask_url(url)
    message = _first_line(exc, url)
    dialect = dialect_for(url.get_backend_name())
    setting = dialect.timeout_setting(exc)
    if setting is not None:
        return DatabaseError(
            f"timed out while {doing} ({shown}): the server's {setting} ran out ({message})",
            f"raise {setting} for dbaudit's session (in the URL, for its role or user, or on the server), "
            "or run it when the database is less busy",
        )
    if dialect.is_connection_lost(exc):
        return DatabaseError(
            f"lost the connection to {shown} while {doing}: {message}",
            "the server ended the session or went away; check that it is up, then run again",
        )
    if dialect.is_permission_denied(exc):
        return DatabaseError(
            f"permission denied while {doing} ({shown}): {message}",
            "grant the role read access to the catalog and the schema, or connect as another user",
        )
    return DatabaseError(
        f"{doing} failed ({shown}): {message}", "rerun with --traceback to see the statement"
    )


def _errno(exc: DBAPIError) -> int | None:
    args: Any = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _first_line(exc: BaseException, url: URL) -> str:
    """The driver's message, first meaningful line, without the password."""
    orig = getattr(exc, "orig", None) or exc
    args: Any = getattr(orig, "args", ())
    # PyMySQL errors are (errno, message); the others carry their message as text.
    raw = str(args[1]) if len(args) >= 2 and isinstance(args[0], int) else str(orig)
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    line = lines[0] if lines else type(orig).__name__
    secrets = (str(url.password),) if url.password else ()
    return scrub(line, secrets)
