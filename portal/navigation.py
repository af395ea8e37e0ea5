"""What the menu and the home page link to. Entries whose endpoint is not (yet) registered are
left out, so a domain appears in the menu the moment its blueprint does."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.accounts.models import Role


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: object
    role: Role | None = None
    hidden_for: Role | None = None  # e.g. "Drive with Gancang" once one drives

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


@dataclass(frozen=True)
class Service:
    endpoint: str
    icon: str
    title: object
    text: object
    action: object

    @property
    def url(self) -> str | None:
        return url_for(self.endpoint) if self.endpoint in current_app.view_functions else None


MENU = [
    Link("food.warungs", _l("Food")),
    Link("rides.packages", _l("Ijen rides")),
    Link("documents.new_request", _l("Documents")),
    Link("food.my_warung", _l("My warung"), Role.OWNER),
    Link("couriers.workspace", _l("Courier work"), Role.DRIVER),
    Link("couriers.apply", _l("Drive with Gancang"), hidden_for=Role.DRIVER),
    Link("documents.office", _l("MPP office"), Role.CLERK),
    Link("medicine.rsud", _l("RSUD deliveries"), Role.PHARMACIST),
    Link("promotions.office", _l("Promotions"), Role.PROMOTER),
    Link("admin.dashboard", _l("Admin"), Role.ADMIN),
]

ADMIN = [
    Link("couriers.admin_drivers", _l("Driver verification")),
    Link("couriers.admin_deliveries", _l("Deliveries that need help")),
    Link("food.admin_warungs", _l("Warung verification")),
    Link("rides.admin_closures", _l("Ijen route closures")),
    Link("rides.admin_packages", _l("Ride packages")),
    Link("documents.admin_fees", _l("Document delivery fees")),
    Link("medicine.admin_hospitals", _l("RSUD posts and pharmacists")),
    Link("promotions.office", _l("Festivals and collections")),
    Link("promotions.office_vouchers", _l("Regency vouchers")),
]

SERVICES = [
    Service(
        "food.warungs",
        "utensils",
        _l("Warung food"),
        _l("Sego tempong, rujak soto, pecel rawon — from local warungs to your homestay."),
        _l("Order food"),
    ),
    Service(
        "rides.packages",
        "mountain",
        _l("Ijen trail rides"),
        _l("A verified local driver on a trail bike takes you to Paltuding for the blue fire or sunrise."),
        _l("Book a ride"),
    ),
    Service(
        "documents.new_request",
        "id-card",
        _l("Civil documents"),
        _l("KTP-el, Kartu Keluarga, KIA and certificates from the Mal Pelayanan Publik, delivered against a PIN."),
        _l("Request delivery"),
    ),
    Service(
        "medicine.about",
        "pill",
        _l("Gancang Aron medicine"),
        _l(
            "Leave your prescription at the RSUD post and go home: your medicine comes to you, free for DTKS households."
        ),
        _l("How it works"),
    ),
]


def nav_links() -> list[Link]:
    views = current_app.view_functions
    return [
        link
        for link in MENU
        if link.endpoint in views
        and (link.role is None or current_user.has_role(link.role))
        and (link.hidden_for is None or not current_user.has_role(link.hidden_for))
    ]


def admin_links() -> list[Link]:
    return [link for link in ADMIN if link.endpoint in current_app.view_functions]


def services() -> list[Service]:
    return SERVICES
