"""The tourism office's voucher pages (admins and promoters): the list with each budget used
and left, and one form to create or change a voucher."""

from __future__ import annotations

from datetime import time

from flask import flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.accounts.access import role_required
from portal.accounts.models import Role
from portal.actions import act
from portal.extensions import db
from portal.htmx import render
from portal.promotions import bp
from portal.promotions.models import Collection, Festival
from portal.promotions.vouchers import cli  # noqa: F401 - `flask promotions sweep-vouchers`
from portal.promotions.vouchers import services as vouchers
from portal.promotions.vouchers.forms import VoucherForm
from portal.promotions.vouchers.models import Voucher

OFFICE = (Role.ADMIN, Role.PROMOTER)


def _minutes(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _clock(minutes: int | None) -> time | None:
    if minutes is None:
        return None
    return time(23, 59) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def _scope_choices(locale: str) -> list[SelectChoice]:
    choices = [SelectChoice("all", _("Every warung (regency-wide)"))]
    for festival in db.session.scalars(select(Festival).order_by(Festival.starts_at.desc())):
        choices.append(
            SelectChoice(f"festival:{festival.id}", _("Festival: %(name)s", name=festival.text("name", locale)))
        )
    for collection in db.session.scalars(select(Collection).order_by(Collection.starts_on.desc())):
        choices.append(
            SelectChoice(
                f"collection:{collection.id}", _("Collection: %(name)s", name=collection.text("title", locale))
            )
        )
    return choices


def _scope_ids(value: str) -> tuple[int | None, int | None]:
    kind, _sep, number = (value or "all").partition(":")
    ident = int(number) if number.isdigit() else None
    return (ident if kind == "festival" else None, ident if kind == "collection" else None)


@bp.get("/office/vouchers")
@role_required(*OFFICE)
def office_vouchers():
    return render("promotions/vouchers/office_list.html", lines=vouchers.budget_lines())


@bp.route("/office/vouchers/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def office_new_voucher():
    return _editor(None)


@bp.route("/office/vouchers/<int:voucher_id>", methods=["GET", "POST"])
@role_required(*OFFICE)
def office_voucher(voucher_id: int):
    return _editor(db.get_or_404(Voucher, voucher_id))


def _editor(voucher: Voucher | None):
    locale = str(get_locale() or "id")
    form = VoucherForm()
    form.scope.choices = _scope_choices(locale)
    if request.method == "GET" and voucher is not None:
        form.process(obj=voucher)
        form.code.data = voucher.code or ""
        form.opens.data, form.closes.data = _clock(voucher.opens), _clock(voucher.closes)
        if voucher.festival_id:
            form.scope.data = f"festival:{voucher.festival_id}"
        elif voucher.collection_id:
            form.scope.data = f"collection:{voucher.collection_id}"
        else:
            form.scope.data = "all"
    status = 200
    if form.validate_on_submit():
        festival_id, collection_id = _scope_ids(form.scope.data)
        fields = vouchers.VoucherFields(
            name=form.name.data,
            name_en=form.name_en.data or "",
            code=form.code.data or "",
            kind=form.kind.data,
            amount=form.amount.data,
            percent=form.percent.data,
            cap=form.cap.data,
            min_order=form.min_order.data or 0,
            budget=form.budget.data,
            per_user_limit=form.per_user_limit.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            opens=_minutes(form.opens.data),
            closes=_minutes(form.closes.data),
            active=form.active.data,
            festival_id=festival_id,
            collection_id=collection_id,
        )
        with act(flash_error=False) as outcome:
            saved = vouchers.save_voucher(fields, by=current_user, voucher=voucher)
        if outcome.ok:
            flash(_("Voucher “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("promotions.office_vouchers"))
        form.form_errors.append(outcome.error)
        status = 422
    elif request.method == "POST":
        status = 422
    line = vouchers.budget_lines([voucher.id])[0] if voucher is not None else None
    return render("promotions/vouchers/office_edit.html", form=form, voucher=voucher, line=line, status=status)
