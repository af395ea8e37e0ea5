"""Gancang Aron verbs: register at the post, prepare, hold, ready (a trained courier is called),
follow the courier, take the bags back, re-send or keep for collection, cancel.

They flush and raise MedicineError; the request commits once (portal.actions.act), or the job.
Every status change goes through portal.workflow.move. Nothing here ever names a medicine: the
bags are sealed at the pharmacy, and no SMS, page or courier job says what is inside.

Split by what each room holds: staff (who works where), registration, moves, queue (and
figures), fare (the patient's card or cash), sms; this module exports the verbs, so callers
write `medicine.register(...)`.
"""

from portal.medicine.services.errors import DuplicatePrescription, MedicineError, PrescriptionInFlight
from portal.medicine.services.fare import may_pay_cash_instead, switch_to_cash
from portal.medicine.services.moves import (
    call_courier_again,
    cancel,
    collect_at_hospital,
    confirm_returned,
    courier_photo,
    courier_shown,
    first_name,
    follow_courier,
    mark_ready,
    put_on_hold,
    resend,
    resume,
    start_preparing,
)
from portal.medicine.services.queue import (
    Figures,
    courier_deliveries,
    courier_delivery,
    expected_at,
    figures,
    queue,
    queue_etag,
)
from portal.medicine.services.registration import (
    RESTRICTED_REASON,
    SUBSIDY_PAYER,
    Registration,
    by_token,
    card_payment,
    delivery_for_key,
    in_regency,
    indonesian_phone,
    register,
    token_hash,
    who_may_receive,
)
from portal.medicine.services.sms import notify_patient
from portal.medicine.services.staff import (
    assign_pharmacist,
    hospital_of,
    hospitals,
    may_handle,
    recent_views,
    set_gosend_contract,
    unassign_pharmacist,
    view_personal,
)

__all__ = [
    "RESTRICTED_REASON",
    "SUBSIDY_PAYER",
    "DuplicatePrescription",
    "Figures",
    "MedicineError",
    "PrescriptionInFlight",
    "Registration",
    "assign_pharmacist",
    "by_token",
    "call_courier_again",
    "cancel",
    "card_payment",
    "collect_at_hospital",
    "confirm_returned",
    "courier_deliveries",
    "courier_delivery",
    "courier_photo",
    "courier_shown",
    "delivery_for_key",
    "expected_at",
    "figures",
    "first_name",
    "follow_courier",
    "hospital_of",
    "hospitals",
    "in_regency",
    "indonesian_phone",
    "mark_ready",
    "may_handle",
    "may_pay_cash_instead",
    "notify_patient",
    "put_on_hold",
    "queue",
    "queue_etag",
    "recent_views",
    "register",
    "resend",
    "resume",
    "set_gosend_contract",
    "start_preparing",
    "switch_to_cash",
    "token_hash",
    "unassign_pharmacist",
    "view_personal",
    "who_may_receive",
]
