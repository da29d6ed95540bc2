"""Create the demo tenant: a client account, its users, an engagement with three waves, six assets.

Run from the backend folder::

    DATABASE_URL=sqlite:///migration_planner.db python -m app.scripts.init_db [--force]

Every row this script creates is marked ``is_mock = TRUE``.  ``--force`` first purges all mock rows
(see ``seed_cleanup.py``), so the script can be run again.  The tag catalogue is shared by every tenant:
missing tags are added, existing ones are kept.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.crud.users import create_user, grant_account_access
from app.db import session_factory
from app.models import (
    Asset,
    AssetDependency,
    AssetEmbedding,
    AssetTag,
    ClientAccount,
    Engagement,
    MigrationWave,
    Tag,
    User,
)
from app.scripts.seed_cleanup import purge_mock_rows

log = logging.getLogger("init_db")

EMBEDDING_MODEL = "text-embedding-3-small"

TAG_CATALOGUE: list[tuple[str, str, str]] = [
    ("linux", "technology", "Runs a Linux distribution"),
    ("windows", "technology", "Runs Windows Server"),
    ("oracle", "technology", "Oracle Database or middleware"),
    ("postgresql", "technology", "PostgreSQL database"),
    ("java", "technology", "JVM workload"),
    ("dotnet", "technology", ".NET workload"),
    ("kubernetes", "technology", "Runs on a Kubernetes cluster"),
    ("vmware", "technology", "Virtual machine on vSphere"),
    ("production", "environment", "Serves production traffic"),
    ("non-production", "environment", "Development, test or staging"),
    ("dr-site", "environment", "Part of the disaster-recovery site"),
    ("pci-dss", "compliance", "Stores or processes card data"),
    ("gdpr", "compliance", "Holds personal data of EU residents"),
    ("sox", "compliance", "In scope of SOX controls"),
    ("customer-facing", "business", "Used directly by customers"),
    ("revenue-critical", "business", "An outage stops revenue"),
    ("internal-tool", "business", "Used by employees only"),
    ("end-of-life", "lifecycle", "Vendor support has ended"),
    ("lift-and-shift-candidate", "migration", "Can move unchanged"),
    ("needs-refactoring", "migration", "Must change before it can move"),
    ("cloud-native-ready", "migration", "Already containerised and stateless"),
]

WAVES: list[tuple[int, str, str, date, date]] = [
    (1, "Wave 1 - Pilot", "in_progress", date(2025, 7, 1), date(2025, 7, 31)),
    (2, "Wave 2 - Core ERP", "planned", date(2025, 9, 1), date(2025, 10, 15)),
    (3, "Wave 3 - Decommission", "planned", date(2025, 11, 1), date(2025, 12, 12)),
]


@dataclass(frozen=True)
class AssetSpec:
    name: str
    asset_type: str
    hostname: str | None
    operating_system: str | None
    cpu_cores: int | None
    memory_gb: str | None
    criticality: str
    strategy: str
    wave: int
    tags: tuple[str, ...]


ASSETS: list[AssetSpec] = [
    AssetSpec(
        "erp-web-01",
        "server",
        "erp-web-01.acme.internal",
        "RHEL 8",
        4,
        "16",
        "high",
        "rehost",
        1,
        ("linux", "production", "customer-facing"),
    ),
    AssetSpec(
        "erp-app-01",
        "application",
        "erp-app-01.acme.internal",
        "RHEL 8",
        8,
        "32",
        "critical",
        "replatform",
        2,
        ("java", "revenue-critical"),
    ),
    AssetSpec(
        "erp-db-01",
        "database",
        "erp-db-01.acme.internal",
        "Oracle Linux 7",
        16,
        "128",
        "critical",
        "replatform",
        2,
        ("oracle", "pci-dss"),
    ),
    AssetSpec(
        "hr-portal",
        "application",
        "hr-portal.acme.internal",
        "Windows Server 2016",
        4,
        "16",
        "medium",
        "repurchase",
        2,
        ("windows", "dotnet", "internal-tool"),
    ),
    AssetSpec(
        "file-share-01",
        "storage",
        "fs01.acme.internal",
        "Windows Server 2012 R2",
        2,
        "8",
        "low",
        "retire",
        3,
        ("end-of-life",),
    ),
    AssetSpec("edge-lb-01", "network", None, None, None, None, "high", "rehost", 1, ("production",)),
]

#: (asset, depends on, kind): the web tier needs the app tier, the app tier needs the database.
DEPENDENCIES: list[tuple[str, str, str]] = [
    ("edge-lb-01", "erp-web-01", "network"),
    ("erp-web-01", "erp-app-01", "application"),
    ("erp-app-01", "erp-db-01", "database"),
    ("hr-portal", "erp-db-01", "database"),
]


def seed_tag_catalogue(session: Session) -> dict[str, Tag]:
    """Add the catalogue tags that are not there yet (other tenants share them); return them by name."""
    tags: dict[str, Tag] = {}
    for name, category, description in TAG_CATALOGUE:
        existing = session.scalar(select(Tag).where(Tag.name == name))
        if existing is None:
            existing = Tag(name=name, category=category, description=description)
            session.add(existing)
        tags[name] = existing
    return tags


def seed_demo_tenant(session: Session) -> tuple[ClientAccount, Engagement, list[User]]:
    account = ClientAccount(
        name="MOCK: Acme Global Industries",
        slug="acme-global",
        industry="Manufacturing",
        subscription_tier="enterprise",
        is_mock=True,
    )
    session.add(account)

    admin = create_user(session, email="dana.admin@acme.example", full_name="Dana Admin", is_mock=True)
    analyst = create_user(
        session, email="arjun.analyst@acme.example", full_name="Arjun Analyst", manager=admin, is_mock=True
    )
    viewer = create_user(
        session, email="vera.viewer@acme.example", full_name="Vera Viewer", manager=admin, is_mock=True
    )
    for user, role in ((admin, "admin"), (analyst, "member"), (viewer, "viewer")):
        grant_account_access(session, user, account, role=role, is_mock=True)

    engagement = Engagement(
        client_account=account,
        name="MOCK: Datacenter Exit 2025",
        status="active",
        start_date=date(2025, 6, 1),
        target_end_date=date(2025, 12, 31),
        is_mock=True,
    )
    session.add(engagement)
    session.flush()
    return account, engagement, [admin, analyst, viewer]


def seed_waves(session: Session, engagement: Engagement) -> dict[int, MigrationWave]:
    waves = [
        MigrationWave(
            client_account_id=engagement.client_account_id,
            engagement_id=engagement.id,
            wave_number=number,
            name=name,
            status=status,
            planned_start_date=start,
            planned_end_date=end,
            is_mock=True,
        )
        for number, name, status, start, end in WAVES
    ]
    session.add_all(waves)
    session.flush()
    # The engagement points back at the wave in progress (an UPDATE, after both rows exist).
    engagement.current_wave = waves[0]
    return {wave.wave_number: wave for wave in waves}


def seed_assets(
    session: Session, engagement: Engagement, waves: dict[int, MigrationWave], tags: dict[str, Tag]
) -> list[Asset]:
    assets = []
    for spec in ASSETS:
        asset = Asset(
            client_account_id=engagement.client_account_id,
            engagement_id=engagement.id,
            name=spec.name,
            asset_type=spec.asset_type,
            hostname=spec.hostname,
            environment="production",
            operating_system=spec.operating_system,
            cpu_cores=spec.cpu_cores,
            memory_gb=Decimal(spec.memory_gb) if spec.memory_gb else None,
            business_criticality=spec.criticality,
            sixr_strategy=spec.strategy,
            migration_wave_id=waves[spec.wave].id,
            is_mock=True,
        )
        session.add(asset)
        for tag_name in spec.tags:
            session.add(
                AssetTag(
                    asset=asset, tag=tags[tag_name], assigned_by="ai", confidence_score=0.9, is_mock=True
                )
            )
        assets.append(asset)
    session.flush()
    return assets


def fake_embedding(text: str, dimensions: int = 8) -> list[float]:
    """A stable stand-in for a real embedding, so the demo needs no model."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(byte / 255, 4) for byte in digest[:dimensions]]


def seed_asset_embeddings(session: Session, assets: list[Asset]) -> None:
    session.add_all(
        [
            AssetEmbedding(
                asset_id=asset.id,
                model_name=EMBEDDING_MODEL,
                embedding=fake_embedding(f"{asset.name} {asset.asset_type} {asset.operating_system}"),
                source_text=f"{asset.name} ({asset.asset_type})",
                is_mock=True,
            )
            for asset in assets
        ]
    )


def seed_asset_dependencies(session: Session, assets: list[Asset]) -> None:
    by_name = {asset.name: asset for asset in assets}
    for source, target, kind in DEPENDENCIES:
        session.add(
            AssetDependency(
                asset_id=by_name[source].id,
                depends_on_asset_id=by_name[target].id,
                dependency_type=kind,
                is_mock=True,
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="purge existing mock rows first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    with session_factory()() as session:
        try:
            if args.force:
                purged = purge_mock_rows(session)
                log.info("purged %d mock rows", sum(purged.values()))
            tags = seed_tag_catalogue(session)
            _account, engagement, users = seed_demo_tenant(session)
            waves = seed_waves(session, engagement)
            assets = seed_assets(session, engagement, waves, tags)
            seed_asset_embeddings(session, assets)
            # seed_asset_dependencies(session, assets)  # off until the dependency graph view handles cycles
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise SystemExit(
                f"demo data already present ({exc.orig}); run with --force to replace it"
            ) from exc
    log.info(
        "demo tenant ready: %d users, %d waves, %d assets, %d tags",
        len(users),
        len(waves),
        len(assets),
        len(tags),
    )


if __name__ == "__main__":
    main()
