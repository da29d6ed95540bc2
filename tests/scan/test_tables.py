"""The table index: every way the code declares a table, statically, and duplicate declarations."""

from __future__ import annotations

from pathlib import Path

from tests.scan.support import scan


def declared(result) -> dict[str, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return {d.declared_by: (d.table, d.schema) for d in result.declarations}


def test_every_declaration_style(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/models/base.py": """
            from sqlalchemy.orm import DeclarativeBase, declared_attr

            class Base(DeclarativeBase):
                @declared_attr.directive
                def __tablename__(cls) -> str:
                    return cls.__name__.lower() + "s"
            """,
            "app/models/shop.py": """
            from sqlalchemy import Column, Integer, Table
            from sqlmodel import Field, SQLModel
            from app.models.base import Base

            class Invoice(Base):
                id = Column(Integer, primary_key=True)

            class Abstract(Base):
                __abstract__ = True

            class Order(Base):
                __tablename__ = "orders"
                __table_args__ = ({"comment": "x"}, {"schema": "sales"})
                id = Column(Integer, primary_key=True)

            class RushOrder(Order):
                pass

            class Legacy(Base):
                __table__ = Table("legacy_items", Base.metadata, Column("id", Integer))

            shipments = Table("shipments", Base.metadata, Column("id", Integer), schema="logistics")

            class Shipment(Base):
                __table__ = shipments

            class Hero(SQLModel, table=True):
                id: int = Field(primary_key=True)

            class HeroBase(SQLModel):
                name: str
            """,
            "app/flask_models.py": """
            from app import db

            class CustomerAddress(db.Model):
                id = db.Column(db.Integer, primary_key=True)
            """,
        },
        with_models=False,
    )
    assert declared(result) == {
        "Invoice": ("invoices", None),
        "Order": ("orders", "sales"),
        "Legacy": ("legacy_items", None),
        "shipments": ("shipments", "logistics"),
        "Hero": ("hero", None),
        "CustomerAddress": ("customer_address", None),
    }
    assert result.findings == ()


def test_two_classes_declaring_one_table_is_a_finding(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/a.py": 'class User(Base):\n    __tablename__ = "users"\n',
            "app/b.py": 'class Account(Base):\n    __tablename__ = "users"\n',
        },
        with_models=False,
    )
    assert [f.kind for f in result.findings] == ["duplicate-declaration"]
    assert "`User`" in result.findings[0].message and "`Account`" in result.findings[0].message
    assert result.findings[0].table == "users"


def test_models_outside_the_seed_globs_are_found(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "src/shop/domain/entities.py": 'class Product(Base):\n    __tablename__ = "products"\n',
            "scripts/seed_products.py": "from shop.domain.entities import Product\nsession.add(Product())\n",
        },
        with_models=False,
    )
    assert [(s.path, s.tables) for s in result.sources] == [("scripts/seed_products.py", ("products",))]
