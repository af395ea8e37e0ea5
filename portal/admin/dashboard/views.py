"""The admin's home (what waits), the dashboard with its CSV, and the unsettled payments list."""

from __future__ import annotations

from flask import abort, make_response, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from portal.accounts.access import role_required
from portal.accounts.models import Role
from portal.admin import bp
from portal.admin.dashboard import board, period, waiting
from portal.admin.dashboard import services as svc
from portal.admin.dashboard.period import CHOICES
from portal.admin.dashboard.tables import to_csv
from portal.database import utcnow
from portal.extensions import db
from portal.htmx import render
from portal.ops import periodic
from portal.payments.models import Refund, WebhookEvent


@bp.get("")
@role_required(Role.ADMIN)
def dashboard():
    """The admin's home: what waits, each count a link to the list where it is done."""
    return render("admin/dashboard.html", waiting=waiting.waiting(utcnow()), periodic=periodic.status())


@bp.get("/dashboard")
@login_required
def statistics():
    """The regency dashboard. A pharmacist sees only their hospital's medicine part of it."""
    hospital = None
    if not current_user.has_role(Role.ADMIN):
        hospital = svc.director_hospital(current_user) if current_user.has_role(Role.PHARMACIST) else None
        if hospital is None:
            abort(403)
    chosen = period.parse(request.args, utcnow())
    result = board.build(
        chosen,
        warung_sort=request.args.get("sort", "sales"),
        hospital_id=hospital[0] if hospital else None,
        hospital=hospital[1] if hospital else None,
    )
    if request.args.get("format") == "csv":
        heading = [_("Gancang dashboard"), chosen.first.isoformat(), chosen.last.isoformat()]
        if result.hospital:
            heading.append(result.hospital)
        response = make_response("\ufeff" + to_csv(result.tables, heading=heading))  # the BOM: Excel reads UTF-8
        response.mimetype = "text/csv"
        response.charset = "utf-8"
        name = f"gancang-dashboard-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.cache_control.private = True
        response.cache_control.no_store = True
        return response
    return render("admin/dashboard_figures.html", board=result, period=chosen, choices=CHOICES)


@bp.get("/payments/unsettled")
@role_required(Role.ADMIN)
def unsettled():
    """Refunds that failed or hang, and Stripe events the reconcile gave up on."""
    now = utcnow()
    refunds = db.session.scalars(
        waiting.unsettled_refunds(now)
        .options(selectinload(Refund.payment))
        .order_by(Refund.created_at.desc())
        .limit(100)
    ).all()
    events = db.session.scalars(waiting.abandoned_events().order_by(WebhookEvent.received_at.desc()).limit(100)).all()
    return render("admin/dashboard_unsettled.html", refunds=refunds, events=events)
