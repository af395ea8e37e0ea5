"""One demo account per role, all with the password gancang-demo (development only)."""

from __future__ import annotations

from portal.accounts.models import Role
from portal.accounts.services import find_by_email, grant_role, register
from portal.database import utcnow

DEMO_PASSWORD = "gancang-demo"  # noqa: S105 - documented demo password, seeded only in development
DEMO_USERS: list[tuple[str, str, Role | None]] = [
    ("admin@example.com", "Admin Kabupaten", Role.ADMIN),
    ("owner@example.com", "Bu Sri (Warung Sego Tempong)", Role.OWNER),
    ("driver@example.com", "Pak Hasan", Role.DRIVER),
    ("clerk@example.com", "Mbak Dewi (MPP)", Role.CLERK),
    ("pharmacist@example.com", "Apt. Rina (RSUD Blambangan)", Role.PHARMACIST),
    ("promoter@example.com", "Dinas Pariwisata (promosi)", Role.PROMOTER),
    ("tourist@example.com", "Emma Tourist", None),
    ("resident@example.com", "Budi Santoso", None),
]
DEMO_PHONES = {
    "admin@example.com": "+6281100000001",
    "owner@example.com": "+6281100000002",
    "driver@example.com": "+6281100000003",
    "clerk@example.com": "+6281100000004",
    "pharmacist@example.com": "+6281100000005",
    "promoter@example.com": "+6281100000008",
    "tourist@example.com": "+6281100000006",
    "resident@example.com": "+6281100000007",
}


def seed() -> None:
    for email, name, role in DEMO_USERS:
        user = find_by_email(email) or register(
            name=name,
            email=email,
            phone_e164=DEMO_PHONES[email],
            password=DEMO_PASSWORD,
            locale="en" if email.startswith("tourist") else None,
        )
        user.phone_verified_at = user.phone_verified_at or utcnow()  # demo phones need no SMS
        if role is not None:
            grant_role(user, role)
