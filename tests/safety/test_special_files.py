"""Files that are not files: a named pipe, a socket or a device file in the scanned project, and folders or
files the user may not read.  Each becomes a diagnostic naming the path and the reason; the scan never
opens a pipe (which would wait forever for a writer) and never skips a folder in silence.

An unreadable folder cannot be made for root, who reads everything: when the tests run as root, the scan
runs in a child process that has dropped to the ``nobody`` user (``os.setuid``), so the folder really is
unreadable to it.  Nothing is faked: the operating system refuses the listing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dbaudit.config import Settings
from dbaudit.errors import ScanError
from dbaudit.model import to_dict
from dbaudit.scan import FileSystemTree, NotRegularFile, scan_tree
from tests.safety.runner import run_process

GOOD_SEED = "conn.execute('INSERT INTO widgets (id) VALUES (1)')\n"
NOBODY = 65534


def special_project(root: Path) -> dict[str, str]:
    """A project with a good seed script beside special files; returns path -> the kind each must be named."""
    (root / "app").mkdir(parents=True)
    (root / "db").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    (root / "app" / "seed_widgets.py").write_text(GOOD_SEED)
    expected = {}
    for rel in ("app/seed_pipe.py", "app/models.py", "db/seed.sql", "Makefile", "alembic.ini"):
        os.mkfifo(root / rel)
        expected[rel] = "a named pipe (FIFO)"
    # a socket bound by a relative name: the absolute path may be longer than a socket address allows
    here = Path.cwd()
    os.chdir(root / "app")
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind("seed_socket.py")
        listener.close()
    finally:
        os.chdir(here)
    expected["app/seed_socket.py"] = "a socket"
    try:  # the numbers of /dev/null: opening it is harmless, reading it gives nothing, silently
        os.mknod(root / "db" / "seed_device.sql", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        expected["db/seed_device.sql"] = "a character device"
    except PermissionError:
        pass  # no CAP_MKNOD here: the pipes and the socket still make the point
    return expected


def diagnosed(scan: dict[str, Any]) -> dict[str, str]:
    return {d["location"]["path"]: d["message"] for d in scan["diagnostics"] if d.get("location")}


@pytest.mark.slow
def test_scan_names_pipes_sockets_and_devices_and_finishes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    expected = special_project(project)
    # A child process: before the fix, opening the pipes blocked it for good (the timeout only turns that
    # into a failure instead of a hung test run).
    run = run_process(["scan", "--format", "json", str(project)], cwd=tmp_path, timeout=120)
    assert run.code == 0, run.describe()
    scan = json.loads(run.stdout)
    found = diagnosed(scan)
    for path, kind in expected.items():
        assert found.get(path) == f"not a regular file: {kind}; skipped", (path, found)
    written = {w["table"] for source in scan["sources"] for w in source["writes"]}
    assert written == {"widgets"}, "the good seed script is still scanned"


@pytest.mark.slow
def test_report_names_a_pipe_among_the_seed_sources(tmp_path: Path) -> None:
    project = tmp_path / "project"
    special_project(project)
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE widgets (id INTEGER PRIMARY KEY)")
    args = ["report", "--format", "json", "--project", str(project), "--url", f"sqlite:///{database}"]
    run = run_process(args, cwd=tmp_path, timeout=120)
    assert run.code == 0, run.describe()
    found = diagnosed(json.loads(run.stdout)["scan"])
    assert found["db/seed.sql"] == "not a regular file: a named pipe (FIFO); skipped"
    assert found["app/seed_pipe.py"] == "not a regular file: a named pipe (FIFO); skipped"


def test_the_tree_never_opens_what_is_not_a_regular_file(tmp_path: Path) -> None:
    # A socket and a device file: opening them does not block, so a tree that opened them would fail this
    # test rather than hang it (the pipes are tested through a child process above).
    project = tmp_path / "p"
    expected = {
        path: kind for path, kind in special_project(project).items() if kind != "a named pipe (FIFO)"
    }
    tree = FileSystemTree(project)
    assert set(expected) <= set(tree.paths())
    for path, kind in expected.items():
        with pytest.raises(NotRegularFile) as info:
            tree.read_bytes(path)
        assert info.value.kind == kind


# --------------------------------------------------------------------------------------------------------
# Folders and files the user may not read


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own temporary folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="dbaudit-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder)


def as_unprivileged(work: Callable[[], Any]) -> Any:
    """``work()`` as a user the file permissions apply to: this process when not root, else a forked
    child that dropped to ``nobody``; its result (JSON) or its error comes back through a pipe."""
    if os.geteuid() != 0:
        return work()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result: Any = {"ok": work()}
        except BaseException as exc:  # reported to the parent, which fails the test with it
            result = {"error": type(exc).__name__, "message": str(exc)}
            status = 1
        with os.fdopen(writer, "w") as out:
            json.dump(result, out)
        os._exit(status)
    os.close(writer)
    with os.fdopen(reader) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    result = json.loads(text)
    if "error" in result:
        raise RuntimeError(f"{result['error']}: {result['message']}")
    return result["ok"]


def test_unreadable_folders_and_files_become_diagnostics(shared_folder: Path) -> None:
    project = shared_folder / "project"
    for folder in ("app", "secret", "app/private"):
        (project / folder).mkdir(parents=True)
    (project / "app" / "seed_widgets.py").write_text(GOOD_SEED)
    (project / "secret" / "seed_hidden.py").write_text(GOOD_SEED)
    (project / "app" / "private" / "seed_more.py").write_text(GOOD_SEED)
    (project / "app" / "seed_locked.py").write_text(GOOD_SEED)
    (project / "secret").chmod(0o000)
    (project / "app" / "private").chmod(0o311)  # can be entered, not listed
    (project / "app" / "seed_locked.py").chmod(0o000)

    def scan() -> Any:
        result = scan_tree(FileSystemTree(project), Settings(project_root=project))
        return to_dict(result)

    result = as_unprivileged(scan)
    found = diagnosed(result)
    assert found["secret"] == "cannot list folder: Permission denied; its files were not scanned"
    assert found["app/private"] == "cannot list folder: Permission denied; its files were not scanned"
    assert found["app/seed_locked.py"] == "cannot read file: Permission denied; skipped"
    assert str(shared_folder) not in json.dumps(result["diagnostics"]), "no absolute path in a diagnostic"
    assert [s["path"] for s in result["sources"]] == ["app/seed_widgets.py"]


def test_an_unreadable_project_folder_is_one_error(shared_folder: Path) -> None:
    project = shared_folder / "project"
    project.mkdir()
    (project / "seed.py").write_text(GOOD_SEED)
    project.chmod(0o311)

    def scan() -> Any:
        try:
            scan_tree(FileSystemTree(project), Settings(project_root=project))
        except ScanError as exc:
            return str(exc)
        return "no error"

    assert as_unprivileged(scan) == (
        f"cannot scan {project}: Permission denied (check the folder's permissions)"
    )
