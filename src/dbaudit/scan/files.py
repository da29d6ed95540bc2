"""Reading one file safely: size, binary content, encoding and syntax problems become diagnostics."""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
import warnings
from dataclasses import dataclass

from dbaudit.model import Diagnostic, SourceLocation
from dbaudit.scan.tree import FileTooLarge, NotRegularFile, SourceTree


@dataclass(frozen=True)
class ParsedModule:
    """A Python file read and parsed once."""

    path: str
    tree: ast.Module
    digest: str


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read(tree: SourceTree, path: str) -> bytes | Diagnostic:
    """The bytes of ``path``, or a diagnostic when it is too large or unreadable."""
    try:
        return tree.read_bytes(path)
    except FileTooLarge as exc:
        return Diagnostic(
            f"file too large to scan ({exc.size // 1024} KiB); skipped", SourceLocation(path, None)
        )
    except NotRegularFile as exc:
        return Diagnostic(f"not a regular file: {exc.kind}; skipped", SourceLocation(path, None))
    except OSError as exc:
        # strerror, not str(exc): the latter repeats the file's absolute path on this machine
        return Diagnostic(
            f"cannot read file: {exc.strerror or type(exc).__name__}; skipped", SourceLocation(path, None)
        )
    except KeyError as exc:
        return Diagnostic(f"cannot read file: {exc}", SourceLocation(path, None))


def decode(path: str, data: bytes, python: bool = False) -> str | Diagnostic:
    """Text of a file: binary (NUL bytes) and undecodable content become a diagnostic with the line."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return Diagnostic("binary content (NUL byte); skipped", SourceLocation(path, _line_of(data, nul)))
    encoding = "utf-8-sig"
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            return Diagnostic(f"bad encoding declaration: {exc.msg}", SourceLocation(path, exc.lineno))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        return Diagnostic(
            f"cannot decode as {encoding} ({exc.reason}); skipped",
            SourceLocation(path, _line_of(data, exc.start)),
        )
    except LookupError:
        return Diagnostic(f"unknown encoding {encoding!r}; skipped", SourceLocation(path, 1))


def parse_python(path: str, data: bytes) -> ParsedModule | Diagnostic:
    """Parse ``data`` with :func:`ast.parse` (never executed); problems become a diagnostic."""
    text = decode(path, data, python=True)
    if isinstance(text, Diagnostic):
        return text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like in scanned code
            module = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return Diagnostic(f"syntax error: {exc.msg}", SourceLocation(path, exc.lineno))
    except (ValueError, RecursionError, MemoryError) as exc:
        return Diagnostic(f"cannot parse: {type(exc).__name__}", SourceLocation(path, None))
    return ParsedModule(path, module, digest(data))
