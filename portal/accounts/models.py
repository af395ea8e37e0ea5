"""Users and their roles. Every user is a customer; roles add back-office powers."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import utcnow
from portal.extensions import db


class Role(StrEnum):
    OWNER = "owner"
    DRIVER = "driver"
    CLERK = "clerk"
    PHARMACIST = "pharmacist"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.OWNER: _l("Warung owner"),
    Role.DRIVER: _l("Driver / courier"),
    Role.CLERK: _l("MPP clerk"),
    Role.PHARMACIST: _l("RSUD pharmacist"),
    Role.ADMIN: _l("Regency admin"),
}


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    password_hash: Mapped[str] = mapped_column(String(255))
    # Rotated when the password changes, so every other session and remember-me cookie ends.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=_new_token)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the user typed back a code sent to `phone`; cleared when the phone changes.
    # Ordering, booking and requesting need it (portal.accounts.access.phone_verified_required).
    phone_verified_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="UserRole.user_id"
    )

    def get_id(self) -> str:
        return self.session_token

    def has_role(self, role: Role | str) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def role_names(self) -> list[Role]:
        return sorted((Role(r.role) for r in self.roles), key=list(Role).index)

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None

    def rotate_session_token(self) -> None:
        self.session_token = _new_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class PhoneCode(db.Model):
    """A one-time code sent to a phone: to verify it, or to reset the password of its account.

    Only an HMAC of the code is stored; a code is spent by its first right answer, dies after a
    few wrong ones, and expires in minutes (portal/accounts/codes.py).
    """

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))  # verify | reset
    phone: Mapped[str] = mapped_column(String(20))  # E.164, as sent
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(64))  # who asked (rate limit per address)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
