"""The one error hierarchy of dbaudit.

The library raises these and never exits; the CLI catches :class:`DbauditError` in one place and turns it into
exit code 2 with a one-line message.  Every message says what failed and what to do, and never carries a
password: build messages with :func:`dbaudit.urls.mask_url` or :func:`dbaudit.urls.scrub`.
"""

from __future__ import annotations


class DbauditError(Exception):
    """Root of every error dbaudit reports to the user.  ``hint`` says what to do about it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(DbauditError):
    """Bad or missing configuration: no URL, a malformed URL, an unreadable config file."""


class ConnectionFailed(DbauditError):
    """The database could not be reached or refused the credentials."""


class MissingDriver(DbauditError):
    """The DBAPI driver for the URL's dialect is not installed."""


class SchemaNotFound(DbauditError):
    """A requested schema does not exist."""


class DatabaseError(DbauditError):
    """A statement failed while dbaudit was working (timeout, lost connection, permission)."""


class ScanError(DbauditError):
    """The source tree cannot be scanned at all (missing path).  Single bad files are diagnostics instead."""


class SeedError(DbauditError):
    """Seeding or purging refused or failed; nothing was committed."""


class BaselineError(DbauditError):
    """A saved audit cannot be read (not JSON, unknown or newer schema version)."""
