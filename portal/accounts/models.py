"""Users and their roles. Every user is a customer; roles add back-office powers."""

from __future__ import annotations

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
    PROMOTER = "promoter"  # the tourism office: festivals and collections
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.OWNER: _l("Warung owner"),
    Role.DRIVER: _l("Driver / courier"),
    Role.CLERK: _l("MPP clerk"),
    Role.PHARMACIST: _l("RSUD pharmacist"),
    Role.PROMOTER: _l("Tourism office (promotions)"),
    Role.ADMIN: _l("Regency admin"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the user typed back a code sent to `phone`; cleared when the phone changes.
    # Ordering, booking and requesting need it (portal.accounts.access.phone_verified_required).
    phone_verified_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="UserRole.user_id"
    )

    # The session this request is signed in through, and its token (Flask-Login keeps the token
    # in the cookie as the user's id). Set by `sessions.start_session` and by the user loader;
    # not columns: a user has one session per browser.
    current_session = None
    session_key = None

    def get_id(self) -> str:
        if self.session_key is None:
            raise RuntimeError("start a session (portal.accounts.sessions.start_session) before login_user")
        return self.session_key

    def has_role(self, role: Role | str) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def role_names(self) -> list[Role]:
        return sorted((Role(r.role) for r in self.roles), key=list(Role).index)

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None

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


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of this table signs nobody in. Logout, a password change and an admin end rows."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)  # updated at most once a minute
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def device(self) -> str:
        return device_name(self.user_agent)


# What a user agent says, checked in this order: Edge and Opera also say "Chrome", Chrome also
# says "Safari", iPhones also say "like Mac OS X".
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("FxiOS", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str) -> str:
    """A name a person recognises their browser by: "Chrome on Android"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return str(_l("%(browser)s on %(system)s", browser=browser, system=system))
    return browser or system or str(_l("Unknown device"))
