"""Users and their membership of client accounts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import ClientAccount, User, UserAccountAssociation


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    manager: User | None = None,
    is_mock: bool = False,
) -> User:
    """Add a user who signs in through the client's identity provider (no local password)."""
    user = User(email=email.lower(), full_name=full_name, manager=manager, is_mock=is_mock)
    session.add(user)
    return user


def grant_account_access(
    session: Session, user: User, account: ClientAccount, *, role: str, is_mock: bool = False
) -> UserAccountAssociation:
    """Make ``user`` a member of ``account`` with ``role`` (owner, admin, member or viewer)."""
    association = UserAccountAssociation(user=user, client_account=account, role=role, is_mock=is_mock)
    session.add(association)
    return association
