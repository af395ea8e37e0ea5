"""The MPP office (role clerk): the queue, one request with its personal data (every look
audited), and the clerk's moves."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose, Window
from portal.database import utcnow
from portal.documents import bp
from portal.documents import services as documents
from portal.documents.forms import CourierForm, IncompleteForm, RejectForm
from portal.documents.models import DocumentRequest, DocumentStatus, DocumentType
from portal.extensions import db
from portal.formatting import WIB
from portal.formatting import phone as display_phone
from portal.htmx import not_modified, render, with_etag
from portal.payments import services as payments

S = DocumentStatus


def _filters() -> tuple[str | None, str | None]:
    status = request.args.get("status") or None
    kind = request.args.get("type") or None
    return (status if status in set(S) else None, kind if kind in set(DocumentType) else None)


@bp.get("/office/documents")
@role_required(Role.CLERK)
def office():
    status, kind = _filters()
    polling = bool(request.headers.get("HX-Request"))
    now = utcnow()
    etag = f"{documents.queue_etag(status=status, document_type=kind, now=now)}-{get_locale()}-{polling}"
    if polling and (cached := not_modified(etag)) is not None:
        return cached
    response = render(
        "documents/office.html",
        "queue",
        rows=documents.queue(status=status, document_type=kind, now=now),
        chosen_status=status,
        kind=kind,
        statuses=list(S),
        kinds=list(DocumentType),
        overdue=documents.overdue_count(now),
    )
    return with_etag(response, etag) if polling else response


def _request(request_id: int) -> DocumentRequest:
    found = db.session.get(DocumentRequest, request_id)
    ensure(found is not None)
    return found


@bp.get("/office/documents/<int:request_id>")
@role_required(Role.CLERK)
def office_request(request_id: int):
    return _page(_request(request_id))


def _page(found: DocumentRequest, *, status: int = 200, **forms):
    """The request with its personal data in full: every showing is an audited look, also the
    one that redraws a refused form with what the clerk typed."""
    seen = documents.personal_data(found, by=current_user)
    db.session.commit()
    now = utcnow()
    context = {
        "req": found,
        "seen": seen,
        "phone": display_phone(found.phone),
        "delivery": couriers.find_delivery(Purpose.DOCUMENT, found.id),
        "payment": payments.payment_for(documents.PAYABLE, found.id),
        "overdue": documents.workdays.overdue(found.state, found.verified_at, now),
        "due": documents.workdays.ready_due(found.verified_at)
        if found.verified_at and found.state == S.VERIFIED
        else None,
        "button": EmptyForm(),
        "incomplete": IncompleteForm(formdata=None),
        "reject_form": RejectForm(formdata=None),
        "courier": CourierForm(formdata=None),
        **forms,
    }
    return render_template("documents/office_request.html", **context), status


def _back(found: DocumentRequest):
    return redirect(url_for("documents.office_request", request_id=found.id))


def _move(request_id: int, verb, success: str):
    found = _request(request_id)
    if EmptyForm().validate_on_submit():
        with act(success=success % {"ref": found.reference}):
            verb(found, by=current_user)
    return _back(found)


@bp.post("/office/documents/<int:request_id>/verify")
@role_required(Role.CLERK)
def verify(request_id: int):
    return _move(request_id, documents.verify, _("%(ref)s verified: it should be ready within one working day."))


@bp.post("/office/documents/<int:request_id>/ready")
@role_required(Role.CLERK)
def ready(request_id: int):
    return _move(request_id, documents.mark_ready, _("%(ref)s is ready."))


@bp.post("/office/documents/<int:request_id>/electronic")
@role_required(Role.CLERK)
def electronic(request_id: int):
    return _move(request_id, documents.send_electronically, _("%(ref)s marked as sent electronically."))


@bp.post("/office/documents/<int:request_id>/resend")
@role_required(Role.CLERK)
def office_resend(request_id: int):
    return _move(request_id, documents.resend, _("%(ref)s is ready for a new delivery."))


@bp.post("/office/documents/<int:request_id>/counter")
@role_required(Role.CLERK)
def office_counter(request_id: int):
    return _move(request_id, documents.collect_at_counter, _("%(ref)s waits at the counter; the resident is told."))


@bp.post("/office/documents/<int:request_id>/incomplete")
@role_required(Role.CLERK)
def incomplete(request_id: int):
    found = _request(request_id)
    form = IncompleteForm()
    if form.validate_on_submit():
        with act(success=_("The resident is told what is missing.")):
            documents.mark_incomplete(found, by=current_user, missing=form.missing.data)
    else:
        return _refused(found, incomplete=form)
    return _back(found)


@bp.post("/office/documents/<int:request_id>/reject")
@role_required(Role.CLERK)
def reject(request_id: int):
    found = _request(request_id)
    form = RejectForm()
    if form.validate_on_submit():
        with act(success=_("%(ref)s rejected; the resident is told why.", ref=found.reference)):
            documents.reject(found, by=current_user, reason=form.reason.data)
    else:
        return _refused(found, reject_form=form)
    return _back(found)


@bp.post("/office/documents/<int:request_id>/courier")
@role_required(Role.CLERK)
def courier(request_id: int):
    found = _request(request_id)
    form = CourierForm()
    if not form.validate_on_submit():
        return _refused(found, courier=form)
    window = None
    if form.when.data == "window":
        window = Window(
            datetime.combine(form.day.data, form.start.data, WIB).astimezone(UTC),
            datetime.combine(form.day.data, form.end.data, WIB).astimezone(UTC),
        )
    with act(success=_("%(ref)s handed to a courier; the resident has the PIN.", ref=found.reference)):
        documents.hand_to_courier(found, by=current_user, window=window, return_old_card=form.return_old_card.data)
    return _back(found)


def _refused(found: DocumentRequest, **forms):
    return _page(found, status=422, **forms)
