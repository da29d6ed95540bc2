"""Database URLs: parsing, masking passwords, and mapping async drivers to their synchronous twins."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from dbaudit.errors import ConfigError, ConnectionFailed

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

MASK = "***"

#: Async drivers an application may configure, and the synchronous driver dbaudit uses instead.  dbaudit
#: itself is synchronous (one transaction at a time, SQLAlchemy's blocking API): it reads and writes the same
#: database through the async driver's synchronous twin.  ``None``: the PostgreSQL driver dbaudit can load
#: (see :func:`postgres_sync_driver`).
SYNC_DRIVERS: dict[str, str | None] = {
    "postgresql+asyncpg": None,
    "postgresql+psycopg_async": "postgresql+psycopg",  # the same package, used synchronously
    "postgresql+aiopg": "postgresql+psycopg2",  # aiopg is built on psycopg2
    "sqlite+aiosqlite": "sqlite",
    "sqlite+pysqlite_async": "sqlite",
    "mysql+aiomysql": "mysql+pymysql",
    "mysql+asyncmy": "mysql+pymysql",
    "mariadb+aiomysql": "mariadb+pymysql",
    "mariadb+asyncmy": "mariadb+pymysql",
}

#: Bare dialect names map to the driver dbaudit ships with.  (SQLAlchemy 2.1 would take a bare
#: ``postgresql://`` as psycopg 3, an optional extra here: ``dbaudit[psycopg]``.)
DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def postgres_sync_driver() -> str:
    """The synchronous PostgreSQL driver for an asyncpg URL: psycopg 3 when it is installed (and loads: it
    needs a libpq), else psycopg2, which dbaudit depends on."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "postgresql+psycopg2"
    return "postgresql+psycopg"


# Up to the last @ of the address: a password pasted with an unencoded @ is masked whole, not half.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>\S*)@")
_KEYVALUE = re.compile(r"(?i)(\w*password|passwd|pwd)=([^&\s;]+)")


def parse_url(raw: str) -> URL:
    """Parse ``raw`` into a SQLAlchemy URL, swapping async drivers for synchronous ones.

    Raises :class:`ConfigError` with the password masked when the URL is malformed.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = raw.strip()
    if not text:
        raise ConfigError("the database URL is empty", "pass --url or set DBAUDIT_URL")
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"malformed database URL {mask_url(text)!r}",
            "expected dialect[+driver]://user:password@host[:port]/database, e.g. "
            "postgresql://app@localhost/app or sqlite:///app.db",
        ) from exc
    rest = text.split("://", 1)[-1]
    # With a password, any second @ (also one after an unencoded ? or # in the password, which moved its
    # tail into the query) means the password holds an unencoded @.
    if (url.host and "@" in url.host) or (url.password is not None and rest.count("@") > 1):
        # make_url splits at the first @: the rest of the password became part of the host name (or, after
        # an unencoded /, of the database name).
        raise ConfigError(
            f"the database URL {mask_url(text)!r} has a second @ after its password: the password contains "
            "an unencoded @",
            "percent-encode reserved characters in the password: @ as %40, : as %3A, / as %2F, # as %23",
        )
    name = url.drivername
    if name == "postgres" or name.startswith("postgres+"):
        # The old "postgres" name (Heroku-style URLs) that SQLAlchemy no longer accepts.
        name = "postgresql" + name[len("postgres") :]
    if name in SYNC_DRIVERS:
        name = SYNC_DRIVERS[name] or postgres_sync_driver()
    name = DEFAULT_DRIVERS.get(name, name)
    return url.set(drivername=name) if name != url.drivername else url


def require_sqlite_file(url: URL) -> None:
    """Refuse a SQLite URL whose database file does not exist (:class:`ConnectionFailed`).

    SQLite creates a missing file on connect: a typo in the path would become a new, empty database that a
    report calls all empty and a seed fills.  Every command opens its engine after this check.  In-memory
    databases (``sqlite://``, ``:memory:``, a ``file:`` URI with ``mode=memory``) have no file and pass; any
    other URL than SQLite's is left alone.
    """
    if url.get_backend_name() != "sqlite":
        return
    path = sqlite_file(url)
    if path is None or os.path.isfile(path):
        return
    raise ConnectionFailed(
        f"no SQLite database at {path}",
        "check the path in the URL (sqlite:///relative.db or sqlite:////absolute/path.db)",
    )


def sqlite_file(url: URL) -> str | None:
    """The file a SQLite URL opens, or ``None`` for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return None
    uri = str(url.query.get("uri", "")).lower() in ("true", "1")
    if not (uri and database.startswith("file:")):
        return database  # without uri=true, "file:x.db" is a plain file name
    # file:path?query or file:///path?query (RFC 8089); only the path names the file.
    rest, _, query = database[len("file:") :].partition("?")
    # SQLAlchemy moves the URL's own query parameters (mode=memory among them) into the file URI.
    given = url.query.get("mode", ())
    modes = [*parse_qs(query).get("mode", []), *([given] if isinstance(given, str) else given)]
    if "memory" in modes or rest in ("", ":memory:"):
        return None
    if rest.startswith("//"):
        rest = "/" + rest[2:].partition("/")[2]  # drop the authority (empty or localhost)
    return unquote(rest)


def mask_url(url: object) -> str:
    """Render a URL (string or SQLAlchemy URL) with its password replaced by ``***``, also a password given
    as a query parameter (``?password=...``)."""
    try:
        from sqlalchemy.engine import URL

        if isinstance(url, URL):
            return scrub(url.render_as_string(hide_password=True))
    except ImportError:  # pragma: no cover
        pass
    return scrub(str(url))


def url_secrets(url: URL) -> tuple[str, ...]:
    """Every password a URL carries: the userinfo one and ``password``-like query parameters."""
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if _KEYVALUE.match(f"{key}=x"):
            found.extend([value] if isinstance(value, str) else list(value))
    return tuple(v for v in found if v)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove passwords from free text: ``user:pw@`` userinfo, ``password=...`` pairs and known secrets."""
    out = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    out = _KEYVALUE.sub(lambda m: f"{m[1]}={MASK}", out)
    for secret in secrets:
        if secret:
            out = out.replace(secret, MASK)
    return out
