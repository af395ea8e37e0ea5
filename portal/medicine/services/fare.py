"""The patient's fare through the link, beside the card: paying the courier in cash instead.

A free fare (PBI / DTSEN) has no payment to switch. A paid fare by card may become cash until a
courier is called: the courier job says what to collect at the door when it is made, and a job
already out says nothing to collect (then the patient pays by card, or calls the post).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.medicine.models import PAYABLE, MedicineDelivery
from portal.medicine.services.errors import MedicineError
from portal.medicine.services.queue import courier_delivery
from portal.medicine.services.registration import card_payment
from portal.payments.models import PaymentMethod
from portal.payments.services import PaymentError, start_payment

log = logging.getLogger(__name__)


def may_pay_cash_instead(delivery: MedicineDelivery) -> bool:
    """An unpaid card fare on a delivery no courier has been called for (or whose courier job ended)."""
    if card_payment(delivery) is None:
        return False
    courier = courier_delivery(delivery)
    return courier is None or courier.final


def switch_to_cash(delivery: MedicineDelivery, *, now: datetime | None = None) -> bool:
    """The link's holder pays the courier in cash instead of by card. The card payment is called
    off first, so it can never charge as well. False if the card was paid meanwhile (nothing
    changes then)."""
    now = now or utcnow()
    db.session.scalar(
        select(MedicineDelivery)
        .where(MedicineDelivery.id == delivery.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if not may_pay_cash_instead(delivery):
        raise MedicineError(_l("This fare can no longer be changed to cash. Please call the post."))
    try:
        payment = start_payment(
            payable_type=PAYABLE,
            payable_id=delivery.id,
            customer=None,  # the link authorises the patient, who has no account
            amount=delivery.fee,
            method=PaymentMethod.CASH,
            return_url="/medicine",
            description=delivery.reference,
            now=now,
        )
    except PaymentError as error:
        raise MedicineError(str(error)) from None
    if payment.kind != PaymentMethod.CASH:
        return False  # the card was paid after all (its webhook had not come yet)
    delivery.payment_method = PaymentMethod.CASH.value
    delivery.updated_at = now
    db.session.flush()
    log.info("medicine delivery %s: the patient pays the fare in cash instead of by card", delivery.id)
    return True
