"""Documents verbs, split by who uses them; import them from here.

    from portal.documents import services as documents
    documents.submit_request(answers, resident=user, key=form_key)
    documents.verify(request, by=clerk)

They flush, never commit; every status change goes through portal.workflow.move().
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import activity
from portal.documents.models import DocumentRequest, DocumentStatus, DocumentType
from portal.documents.services import checks, fees, workdays
from portal.documents.services.base import PAYABLE, DocumentError
from portal.documents.services.delivery import follow_delivery, hand_to_courier, job_for, open_delivery, pin_for
from portal.documents.services.office import (
    WAITING,
    PersonalData,
    QueueRow,
    collect_at_counter,
    looks,
    mark_incomplete,
    mark_ready,
    overdue_count,
    personal_data,
    queue,
    queue_etag,
    reject,
    resend,
    send_electronically,
    verify,
)
from portal.documents.services.requests import (
    Answers,
    cancel_request,
    find_by_key,
    for_resident,
    may_pay_cash_instead,
    my_requests,
    pay_by_card,
    resubmit,
    submit_request,
    switch_to_cash,
)
from portal.extensions import db

__all__ = [
    "PAYABLE",
    "WAITING",
    "Answers",
    "DocumentError",
    "PersonalData",
    "QueueRow",
    "cancel_request",
    "checks",
    "collect_at_counter",
    "fees",
    "find_by_key",
    "follow_delivery",
    "for_resident",
    "hand_to_courier",
    "job_for",
    "looks",
    "mark_incomplete",
    "mark_ready",
    "may_pay_cash_instead",
    "my_requests",
    "open_delivery",
    "overdue_count",
    "pay_by_card",
    "personal_data",
    "pin_for",
    "queue",
    "queue_etag",
    "reject",
    "resend",
    "resubmit",
    "send_electronically",
    "submit_request",
    "switch_to_cash",
    "verify",
    "workdays",
]


activity.covers_payments(PAYABLE)


@activity.register_source
def _activity(user, limit: int, before: datetime | None) -> list[activity.ActivityItem]:
    stmt = (
        select(DocumentRequest)
        .where(DocumentRequest.resident_id == user.id)
        .order_by(DocumentRequest.created_at.desc(), DocumentRequest.id.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(DocumentRequest.created_at < before)
    return [
        activity.ActivityItem(
            when=request.created_at,
            kind=str(_l("Document delivery")),
            title=f"{DocumentType(request.document_type).label} · {request.reference}",
            status=request.state.label,
            url=url_for("documents.request", request_id=request.id),
            amount=0 if request.payment_method == "subsidy" else request.fee,  # what the resident pays
            final=request.state.final,
            tone=request.state.tone,
        )
        for request in db.session.scalars(stmt)
    ]


# The home page's banner: a document on a courier's bike.
activity.register_on_its_way(
    activity.OnItsWay(
        name="document",
        kind=_l("Document delivery"),
        statuses=DocumentStatus,
        query=lambda user_id, now: select(DocumentRequest.id, DocumentRequest.status, DocumentRequest.updated_at).where(
            DocumentRequest.resident_id == user_id, DocumentRequest.status == DocumentStatus.WITH_COURIER
        ),
        url=lambda request_id: url_for("documents.request", request_id=request_id),
    )
)
