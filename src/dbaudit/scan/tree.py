"""Where the scanner reads files from: a :class:`SourceTree`.

The scanner never touches the file system itself; it asks a tree for relative paths and their bytes.
:class:`FileSystemTree` is the default; a tree over git objects (for ``dbaudit diff``) implements the same
three members.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from dbaudit.errors import ScanError

#: Files larger than this are not read; the scan records a diagnostic instead.
MAX_FILE_BYTES = 4 * 1024 * 1024


class FileTooLarge(Exception):
    """Raised by :meth:`SourceTree.read_bytes` for a file over the size limit."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__(f"{path}: {size} bytes")
        self.path = path
        self.size = size


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


class FileSystemTree:
    """A folder on disk.  Skips ``skip_dirs`` by name, follows no symbolic link to a folder (no loops)."""

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

    def paths(self) -> Iterator[str]:
        found: list[str] = []
        for folder, dirnames, filenames in os.walk(self.root, followlinks=False):
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
        size = full.stat().st_size
        if size > self.max_bytes:
            raise FileTooLarge(path, size)
        with full.open("rb") as fh:
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
