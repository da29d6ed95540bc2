"""Small fixture projects for the scanner tests: files written as strings into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from dbaudit.config import Settings
from dbaudit.model import ScanResult, SeedSource
from dbaudit.scan import scan_sources

MODELS = """
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    roles = relationship("Role")


class Role(Base):
    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(primary_key=True)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)


audit_log = Table("audit_log", Base.metadata, Column("id", Integer), Column("what", String))
"""


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text, dedented; or bytes as they are) under ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def scan(root: Path, files: dict[str, str | bytes], with_models: bool = True, **settings: Any) -> ScanResult:
    """Scan a project made of ``files`` (plus ``app/models.py`` with users, roles, tags and audit_log)."""
    project = dict(files)
    if with_models:
        project.setdefault("app/__init__.py", "")
        project.setdefault("app/models.py", MODELS)
    write_project(root, project)
    return scan_sources(root, Settings(project_root=root, **settings))


def source(result: ScanResult, path: str) -> SeedSource | None:
    return next((s for s in result.sources if s.path == path), None)


def writes(result: ScanResult, path: str) -> set[tuple[str, str, bool]]:
    """``{(table, recogniser, conditional)}`` of one source (empty when it is not a source)."""
    found = source(result, path)
    if found is None:
        return set()
    return {
        (f"{w.schema}.{w.table}" if w.schema else w.table, w.recogniser, w.conditional) for w in found.writes
    }


def tables(result: ScanResult, path: str) -> set[str]:
    return {table for table, _recogniser, _conditional in writes(result, path)}


def kinds(result: ScanResult) -> list[str]:
    return sorted(f.kind for f in result.findings)
