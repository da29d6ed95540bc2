"""The temporary copy of the project the steps run in, so whatever they write lands there, not in the project.

The copy leaves out what no step needs and what could be large or unsafe to read: the folders the scanner
skips (virtual environments, ``.git``, ``node_modules``, caches), compiled files, anything that is not a
regular file, folder or symbolic link (a pipe would block the copy), and the configured SQLite database, so
that not even a step with a relative path of its own can read or write it.  The copy's ``alembic.ini`` names
the scratch database, so Alembic reaches it whether ``env.py`` reads ``DATABASE_URL`` or ``sqlalchemy.url``.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Collection
from pathlib import Path

from dbaudit.errors import DbauditError

_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_URL_LINE = re.compile(r"^\s*sqlalchemy\.url\s*[=:]")
_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")


def copy_project(root: Path, target: Path, skip_dirs: Collection[str], skip_files: Collection[Path]) -> None:
    """Copy the project ``root`` to ``target`` (absent), leaving out ``skip_dirs`` (by name) and
    ``skip_files`` (absolute paths)."""
    skipped = {os.path.normcase(str(p)) for p in skip_files}

    def ignore(folder: str, names: list[str]) -> set[str]:
        left_out = set()
        for name in names:
            path = os.path.join(folder, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                left_out.add(name)
                continue
            if stat.S_ISDIR(mode):
                if name in skip_dirs or name == "__pycache__":
                    left_out.add(name)
            elif (
                not (stat.S_ISREG(mode) or stat.S_ISLNK(mode))
                or name.endswith(_SKIPPED_SUFFIXES)
                or os.path.normcase(path) in skipped
            ):
                left_out.add(name)
        return left_out

    try:
        shutil.copytree(root, target, symlinks=True, ignore=ignore)
    except (OSError, shutil.Error) as exc:
        raise DbauditError(
            f"cannot copy the project {root} to a temporary folder: {exc}", "check the files"
        ) from exc


def sqlite_files(database: str | None) -> list[Path]:
    """The files of a SQLite database (journal and write-ahead log included), to leave out of the copy."""
    if not database:
        return []
    path = Path(database).resolve()
    return [Path(f"{path}{suffix}") for suffix in ("", "-journal", "-wal", "-shm")]


def point_alembic_at(ini: Path, url: str) -> None:
    """Set ``sqlalchemy.url`` in the ``[alembic]`` section of the copied ``ini`` to ``url``."""
    value = url.replace("%", "%%")  # configparser interpolation: a literal % is written %%
    lines = ini.read_text(encoding="utf-8").splitlines(keepends=True)
    out: list[str] = []
    section = None
    placed = False
    skipping = False
    for line in lines:
        header = _SECTION.match(line)
        if header:
            if section == "alembic" and not placed:
                out.append(f"sqlalchemy.url = {value}\n")
                placed = True
            section = header["name"].strip()
            skipping = False
        elif skipping and line[:1] in (" ", "\t") and line.strip():
            continue  # a continuation line of the old value
        else:
            skipping = False
        if section == "alembic" and _URL_LINE.match(line):
            out.append(f"sqlalchemy.url = {value}\n")
            placed = True
            skipping = True
            continue
        out.append(line)
    if not placed:
        if section != "alembic":
            out.append("\n[alembic]\n")
        out.append(f"sqlalchemy.url = {value}\n")
    ini.write_text("".join(out), encoding="utf-8")


def remove_tree(path: Path, onerror: Callable[[str], None]) -> None:
    """Remove ``path``; files a step left read-only are made writable first."""

    def retry(func: Callable[..., object], target: str, _exc: object) -> None:
        try:
            os.chmod(target, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
            func(target)
        except OSError as exc:
            onerror(f"cannot remove {target}: {exc.strerror}")

    shutil.rmtree(path, onerror=retry)
