"""What the regency admin does for rides: close the route on some nights, keep the packages."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.access import role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.extensions import db
from portal.htmx import render
from portal.rides import bp
from portal.rides import services as rides
from portal.rides.forms import ClosureForm, PackageForm
from portal.rides.models import RidePackage, RouteClosure


@bp.route("/admin/closures", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_closures():
    form = ClosureForm()
    status = 200
    if form.validate_on_submit():
        with act(flash_error=False) as outcome:
            _closure, affected = rides.close_route(
                first_night=form.first_night.data,
                last_night=form.last_night.data,
                reason_en=form.reason_en.data,
                reason_id=form.reason_id.data,
                by=current_user,
            )
        if outcome.ok:
            flash(
                _("The route is closed. %(n)d bookings were cancelled, refunded and notified.", n=len(affected)),
                "success",
            )
            return redirect(url_for("rides.admin_closures"))
        form.form_errors.append(outcome.error)
        status = 422
    elif request.method == "POST":
        status = 422
    closures = db.paginate(
        select(RouteClosure).order_by(RouteClosure.first_night.desc(), RouteClosure.id.desc()),
        per_page=20,
        error_out=False,
    )
    return render(
        "rides/admin_closures.html", form=form, closures=closures, lift_form=EmptyForm(formdata=None), status=status
    )


@bp.post("/admin/closures/<int:closure_id>/lift")
@role_required(Role.ADMIN)
def lift_closure(closure_id: int):
    closure = db.get_or_404(RouteClosure, closure_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("The route is open again on those nights. Refunded bookings stay cancelled.")):
            rides.lift_closure(closure, by=current_user)
    return redirect(url_for("rides.admin_closures"))


@bp.get("/admin/packages")
@role_required(Role.ADMIN)
def admin_packages():
    return render("rides/admin_packages.html", packages=rides.packages(include_inactive=True))


@bp.route("/admin/packages/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_new_package():
    return _package_editor(None)


@bp.route("/admin/packages/<int:package_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_package(package_id: int):
    return _package_editor(db.get_or_404(RidePackage, package_id))


def _fill_package_form(form: PackageForm, package: RidePackage) -> None:
    form.process(obj=package)
    form.departures.data = ", ".join(d.pickup_time.strftime("%H:%M") for d in package.active_departures)
    form.return_time.data = package.return_time.strftime("%H:%M") if package.return_time else ""


def _package_editor(package: RidePackage | None):
    form = PackageForm()
    if request.method == "GET" and package is not None:
        _fill_package_form(form, package)
    status = 200
    if form.validate_on_submit():
        with act(flash_error=False) as outcome:
            times = rides.parse_times(form.departures.data)
            back = rides.parse_times(form.return_time.data)[0] if form.return_time.data else None
            package = rides.save_package(
                package,
                departures=times,
                slug=form.slug.data,
                name_en=form.name_en.data,
                name_id=form.name_id.data,
                summary_en=form.summary_en.data or "",
                summary_id=form.summary_id.data or "",
                included_en=form.included_en.data or "",
                included_id=form.included_id.data or "",
                languages=form.languages.data,
                price=form.price.data,
                return_time=back,
                position=form.position.data or 0,
                active=form.active.data,
            )
        if outcome.ok:
            flash(_("Package “%(name)s” saved.", name=package.name), "success")
            return redirect(url_for("rides.admin_packages"))
        form.form_errors.append(outcome.error)
        status = 422
    elif request.method == "POST":
        status = 422
    return render("rides/admin_package.html", form=form, package=package, status=status)
