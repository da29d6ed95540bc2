"""Where the scanner reads files from: a :class:`SourceTree`.

The scanner never touches the file system itself; it asks a tree for relative paths and their bytes.
:class:`FileSystemTree` is the default; a tree over git objects (for ``dbaudit diff``) implements the same
three members.  A tree that can meet folders it cannot list also implements :class:`ReportsProblems`.

A project folder can hold more than files: a named pipe (FIFO) blocks whoever opens it until something
writes, and a device file may act on being opened.  :class:`FileSystemTree` opens regular files only, and
says what anything else is (:class:`NotRegularFile`); the scanner turns that into a diagnostic.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from dbaudit.errors import ScanError
from dbaudit.model import Diagnostic, SourceLocation

#: Files larger than this are not read; the scan records a diagnostic instead.
MAX_FILE_BYTES = 4 * 1024 * 1024


class FileTooLarge(Exception):
    """Raised by :meth:`SourceTree.read_bytes` for a file over the size limit."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__(f"{path}: {size} bytes")
        self.path = path
        self.size = size


class NotRegularFile(OSError):
    """Raised by :meth:`FileSystemTree.read_bytes` for a path that is not a regular file (never opened)."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(f"{path} is {kind}")
        self.path = path
        self.kind = kind


def file_kind(mode: int) -> str:
    """What a ``stat`` mode is, in words, for a diagnostic."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


@runtime_checkable
class SourceTree(Protocol):
    """A read-only tree of files addressed by relative posix paths."""

    root_label: str
    """How to name the tree in reports (a folder, or ``repo@ref``)."""

    def paths(self) -> Iterator[str]:
        """Every file in the tree, as relative posix paths, skipped folders left out."""
        ...

    def read_bytes(self, path: str) -> bytes:
        """The content of ``path``; raises :class:`FileTooLarge` over the limit, ``OSError`` if unreadable."""
        ...


@runtime_checkable
class ReportsProblems(Protocol):
    """A tree that can meet folders it cannot list: it says which, once :meth:`SourceTree.paths` ran."""

    def problems(self) -> list[Diagnostic]:
        """One diagnostic per folder whose content is unknown (not listed), with the reason."""
        ...


class FileSystemTree:
    """A folder on disk.  Skips ``skip_dirs`` by name, follows no symbolic link to a folder (no loops).

    A folder it cannot list is a :meth:`problem <problems>`, not a silent gap; only regular files are read.
    """

    def __init__(
        self,
        root: Path | str,
        skip_dirs: Iterable[str] = (),
        max_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ScanError(f"cannot scan {self.root}: not a folder", "pass the project folder to scan")
        self.root_label = self.root.name or str(self.root)
        self.skip_dirs = frozenset(skip_dirs)
        self.max_bytes = max_bytes
        self._problems: list[Diagnostic] = []

    def problems(self) -> list[Diagnostic]:
        return list(self._problems)

    def _unlisted(self, exc: OSError) -> None:
        # os.walk's onerror: a folder whose listing failed (permission, a path too long, an I/O error)
        folder = os.fspath(exc.filename) if exc.filename is not None else str(self.root)
        rel = os.path.relpath(folder, self.root)
        reason = exc.strerror or type(exc).__name__
        if rel == ".":
            raise ScanError(f"cannot scan {self.root}: {reason}", "check the folder's permissions") from exc
        self._problems.append(
            Diagnostic(
                f"cannot list folder: {reason}; its files were not scanned",
                SourceLocation(rel.replace(os.sep, "/"), None),
            )
        )

    def paths(self) -> Iterator[str]:
        found: list[str] = []
        self._problems = []
        for folder, dirnames, filenames in os.walk(self.root, onerror=self._unlisted, followlinks=False):
            dirnames[:] = sorted(
                d for d in dirnames if d not in self.skip_dirs and not d.endswith(".egg-info")
            )
            rel = os.path.relpath(folder, self.root)
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in filenames:
                full = os.path.join(folder, name)
                if os.path.islink(full) and not self._inside(full):
                    continue  # dangling, or pointing out of the tree
                found.append(prefix + name)
        found.sort()
        return iter(found)

    def _inside(self, link: str) -> bool:
        target = os.path.realpath(link)
        return os.path.isfile(target) and target.startswith(os.path.realpath(self.root) + os.sep)

    def read_bytes(self, path: str) -> bytes:
        full = self.root / path
        info = full.stat()
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path, file_kind(info.st_mode))  # opening a FIFO would wait forever
        if info.st_size > self.max_bytes:
            raise FileTooLarge(path, info.st_size)
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait.
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise NotRegularFile(path, file_kind(mode))
            data = fh.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:  # grew while we looked
            raise FileTooLarge(path, len(data))
        return data


class MemoryTree:
    """A tree held in a dict (``{"app/seed.py": b"..."}``); handy for tests and for in-memory sources."""

    def __init__(self, files: dict[str, bytes | str], root_label: str = "memory") -> None:
        self.files = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
        self.root_label = root_label

    def paths(self) -> Iterator[str]:
        return iter(sorted(self.files))

    def read_bytes(self, path: str) -> bytes:
        return self.files[path]
