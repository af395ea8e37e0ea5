"""HTTP for couriers, by audience: tracking (the customer's page and the providers' webhook),
courier (the workspace, jobs, applying as a driver), admin (driver verification, deliveries
that need a person). The CLI is in portal.couriers.cli."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_babel import format_decimal

from portal.couriers import bp, cli
from portal.couriers.routes import admin, courier, tracking
from portal.couriers.services import CourierError, courier_on_map, shares_position
from portal.extensions import db

__all__ = ["admin", "cli", "courier", "tracking"]


@bp.app_errorhandler(CourierError)
def refused(exc: CourierError):
    """A courier rule refused a change started on another domain's page (e.g. removing the DRIVER
    role from a user who still has jobs): say why and go back, instead of a server error."""
    db.session.rollback()
    flash(str(exc), "error")
    target = request.referrer or "/"
    return redirect(target if target.startswith(request.host_url) or target.startswith("/") else "/")


@bp.app_template_filter("km")
def km(value: float | None) -> str:
    """4,6 km in Indonesian, 4.6 km in English."""
    return "" if value is None else f"{format_decimal(value, format='#,##0.0')} km"


@bp.app_template_filter("one_decimal")
def one_decimal(value: float | None) -> str:
    """An average rating: 4,7 in Indonesian, 4.7 in English."""
    return "" if value is None else format_decimal(value, format="0.0")


# The courier on the customer's map (templates/couriers/_position.html): None when nothing to draw.
bp.add_app_template_global(courier_on_map, "courier_on_map")
bp.add_app_template_global(shares_position, "shares_position")
