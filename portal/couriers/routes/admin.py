"""The admin's side: verifying drivers (each decision a logged move), and deliveries that need a
person (locked PINs, jobs nobody took, providers that keep failing)."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.couriers import bp, services
from portal.couriers.contract import DeliveryStatus
from portal.couriers.forms import RejectForm
from portal.couriers.models import Delivery, DriverProfile, DriverStatus
from portal.couriers.photos import photo_path, send_photo
from portal.extensions import db
from portal.htmx import render

ADMIN_PER_PAGE = 20


@bp.get("/admin/drivers")
@role_required(Role.ADMIN)
def admin_drivers():
    status = request.args.get("status", DriverStatus.PENDING.value)
    if status not in {s.value for s in DriverStatus}:
        status = DriverStatus.PENDING.value
    stmt = (
        select(DriverProfile)
        .where(DriverProfile.status == DriverStatus(status))
        .order_by(DriverProfile.applied_at.desc(), DriverProfile.id.desc())
    )
    page = db.paginate(stmt, per_page=ADMIN_PER_PAGE, error_out=False)
    return render("couriers/admin_drivers.html", page=page, selected=status, statuses=list(DriverStatus))


def _profile_or_404(profile_id: int) -> DriverProfile:
    profile = db.session.get(DriverProfile, profile_id)
    ensure(profile is not None)
    return profile


def _driver_page(
    profile: DriverProfile, *, full_nik: str | None = None, reject: RejectForm | None = None, status: int = 200
):
    """One admin page for a driver's application: shown, with the NIK revealed, or with a rejection to fix."""
    return render(
        "couriers/admin_driver.html",
        profile=profile,
        full_nik=full_nik,
        form=EmptyForm(),
        reject=reject or RejectForm(),
        status=status,
    )


@bp.get("/admin/drivers/<int:profile_id>")
@role_required(Role.ADMIN)
def admin_driver(profile_id: int):
    profile = _profile_or_404(profile_id)
    return _driver_page(profile)


@bp.post("/admin/drivers/<int:profile_id>/nik")
@role_required(Role.ADMIN)
def admin_reveal_nik(profile_id: int):
    profile = _profile_or_404(profile_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("couriers.admin_driver", profile_id=profile.id))
    with act():
        full_nik = services.reveal_nik(profile, viewer=current_user)
    response = _driver_page(profile, full_nik=full_nik)
    response.cache_control.no_store = True
    return response


@bp.get("/admin/drivers/<int:profile_id>/photo")
@role_required(Role.ADMIN)
def admin_driver_photo(profile_id: int):
    profile = _profile_or_404(profile_id)
    path = photo_path(profile.photo or "")
    ensure(path is not None)
    return send_photo(path)


@bp.post("/admin/drivers/<int:profile_id>/verify")
@role_required(Role.ADMIN)
def admin_verify(profile_id: int):
    profile = _profile_or_404(profile_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("%(name)s is now a verified driver.", name=profile.user.name)):
            services.verify_driver(profile, by=current_user)
    return redirect(url_for("couriers.admin_drivers"))


@bp.post("/admin/drivers/<int:profile_id>/reject")
@role_required(Role.ADMIN)
def admin_reject(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _driver_page(profile, reject=form, status=422)
    done = _("The application of %(name)s was rejected; they have been told why.", name=profile.user.name)
    with act(success=done) as outcome:
        services.reject_driver(profile, by=current_user, reason=form.reason.data, for_good=form.for_good.data)
    if not outcome.ok:
        return redirect(url_for("couriers.admin_driver", profile_id=profile_id))
    return redirect(url_for("couriers.admin_drivers"))


def _delivery_or_404(delivery_id: int) -> Delivery:
    """Locked until the route commits, like a courier's move on the same row."""
    delivery = services.load_locked(delivery_id)
    ensure(delivery is not None)
    return delivery


@bp.get("/admin/deliveries")
@role_required(Role.ADMIN)
def admin_deliveries():
    """Locked PIN handovers, jobs nobody took, and jobs whose provider keeps failing."""
    stmt = (
        select(Delivery)
        .where(
            or_(
                Delivery.pin_locked.is_(True),
                Delivery.status.in_([DeliveryStatus.NO_DRIVER, DeliveryStatus.ON_HOLD]),
                Delivery.retry_at.is_not(None),
                services.stuck_clause(),
            )
        )
        .where(Delivery.status.not_in(list(DeliveryStatus.finals())))
        .order_by(Delivery.updated_at.desc())
    )
    page = db.paginate(stmt, per_page=ADMIN_PER_PAGE, error_out=False)
    return render("couriers/admin_deliveries.html", page=page, form=EmptyForm(), stuck_before=services.stuck_cutoff())


@bp.post("/admin/deliveries/<int:delivery_id>/unlock")
@role_required(Role.ADMIN)
def admin_unlock_pin(delivery_id: int):
    delivery = _delivery_or_404(delivery_id)
    if EmptyForm().validate_on_submit() and delivery.pin_locked:
        with act(success=_("The courier of delivery %(id)s may enter the PIN again.", id=delivery.id)):
            services.unlock_pin(delivery, by=current_user)
    return redirect(url_for("couriers.admin_deliveries"))


@bp.post("/admin/deliveries/<int:delivery_id>/redispatch")
@role_required(Role.ADMIN)
def admin_redispatch(delivery_id: int):
    delivery = _delivery_or_404(delivery_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("Delivery %(id)s is looking for a courier again.", id=delivery.id)):
            services.redispatch(delivery, by=current_user)
    return redirect(url_for("couriers.admin_deliveries"))
