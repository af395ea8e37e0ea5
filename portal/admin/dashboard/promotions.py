"""The dashboard's promotions section: per festival and collection, what its warungs sold while
it ran against as many days before (portal.promotions.services.figures), and the voucher money."""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.admin.dashboard.period import Period
from portal.admin.dashboard.tables import Column, Table
from portal.promotions.services.figures import Uplift, promotion_figures

KINDS = {"festival": _l("Festival"), "collection": _l("Collection")}


TITLE = _l("Festivals and collections")


def tables(period: Period, now: datetime) -> tuple[list[Table], str]:
    """The section's tables, and its note when there is nothing to show."""
    figures = promotion_figures(period.start, period.end, now)
    if not figures:
        return [], _("No festival or collection ran in this period.")
    locale = str(get_locale() or "id")
    return [_uplift_table(figures, locale), _budget_table(figures, locale)], ""


def _name(u: Uplift, locale: str) -> str:
    field = "name" if u.kind == "festival" else "title"
    return f"{u.subject.text(field, locale)} ({KINDS[u.kind]})"


def _uplift_table(figures: list[Uplift], locale: str) -> Table:
    return Table(
        "promotions-uplift",
        _l("Participating warungs: during the promotion vs the same number of days before"),
        [
            Column(_l("Promotion"), "text"),
            Column(_l("Warungs")),
            Column(_l("Days"), "minutes"),
            Column(_l("Orders during")),
            Column(_l("Orders before")),
            Column(_l("Customers during")),
            Column(_l("Customers before")),
            Column(_l("Sales during"), "money"),
            Column(_l("Sales before"), "money"),
            Column(_l("Sales uplift"), "pct"),
        ],
        [
            (
                _name(u, locale),
                u.warungs,
                u.days,
                u.during.orders,
                u.before.orders,
                u.during.customers,
                u.before.customers,
                u.during.sales,
                u.before.sales,
                u.sales_uplift_pct,
            )
            for u in figures
        ],
    )


def _budget_table(figures: list[Uplift], locale: str) -> Table:
    return Table(
        "promotions-budget",
        _l("Voucher budget and cost per extra order"),
        [
            Column(_l("Promotion"), "text"),
            Column(_l("Extra orders")),
            Column(_l("Budget"), "money"),
            Column(_l("Used"), "money"),
            Column(_l("Left"), "money"),
            Column(_l("Cost per extra order"), "money"),
        ],
        [(_name(u, locale), u.extra_orders, u.budget, u.used, u.left, u.cost_per_extra_order) for u in figures],
    )
