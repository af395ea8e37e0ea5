"""Which domain packages make up the portal, in dependency order (demo data is seeded in it)."""

from __future__ import annotations

from importlib.util import find_spec

# A domain whose package does not exist yet is skipped, so adding one needs no edit here.
DOMAINS = (
    "main",
    "accounts",
    "maps",
    "notifications",
    "admin",
    "couriers",
    "payments",
    "food",
    "rides",
    "documents",
    "medicine",
    "promotions",
)


def installed_domains() -> list[str]:
    return [domain for domain in DOMAINS if find_spec(f"portal.{domain}") is not None]
