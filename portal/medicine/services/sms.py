"""SMS to the patient (jobs: ids and plain values). Never a medicine name, never the address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal import notify
from portal.accounts import nik
from portal.extensions import db
from portal.formatting import phone, rupiah
from portal.medicine.models import (
    MedicineDelivery,
)

SMS = {
    "registered": _l("%(hospital)s: we received your prescription for home delivery (%(ref)s). Follow it here:"),
    "registered_card": _l(
        "%(hospital)s: we received your prescription for home delivery (%(ref)s). Follow it and pay "
        "the delivery fare (%(fare)s) by card here:"
    ),
    # At "ready" nobody has the bags yet: no PIN (it would be a PIN for a courier not yet found).
    "ready": _l(
        "%(hospital)s: your medicine is ready (%(ref)s) and we are finding a courier. "
        "When the courier sets out you get the handover PIN by SMS."
    ),
    # When the courier picks the bags up (delivery_changed → with_courier).
    "pin": _l(
        "%(hospital)s: the courier is on the way with your medicine (%(ref)s). "
        "Give the courier this PIN at the door, not before: %(pin)s"
    ),
    "not_delivered": _l(
        "%(hospital)s: we could not hand over your medicine (%(ref)s). It goes back to the pharmacy "
        "and the post will call you. Post: %(post)s"
    ),
    "collect": _l("%(hospital)s: please collect your medicine (%(ref)s) at the Gancang Aron post. Post: %(post)s"),
    "cancelled": _l("%(hospital)s: the home delivery %(ref)s is cancelled. Questions? Call the post: %(post)s"),
}


def notify_patient(delivery_id: int, kind: str, *, token: str | None = None) -> None:
    """Job: one SMS to the patient's phone, in Indonesian (they have no account to choose).

    "pin" reads the sealed PIN from the delivery itself (the job's arguments never hold it) and
    sends nothing once the handover is over (the PIN was cleared)."""
    delivery = db.session.get(MedicineDelivery, delivery_id)
    if delivery is None:
        return
    pin = ""
    if kind == "pin":
        if not delivery.pin_sealed:
            return
        pin = nik.decrypt(delivery.pin_sealed)
    hospital = delivery.hospital
    params = {
        "hospital": hospital.name,
        "ref": delivery.reference,
        "pin": pin,
        "post": phone(hospital.post_phone),  # (0333) 421118, as people dial it
        "fare": rupiah(delivery.patient_pays),
    }
    notify.send(
        _Message(SMS[kind], params),
        phone=delivery.phone,
        url=f"/medicine/{token}" if token else None,
        sensitive=bool(pin),
    )


class _Message:
    """A lazy message with its parameters, rendered in the recipient's language at send time."""

    def __init__(self, message, params: dict) -> None:
        self.message, self.params = message, params

    def __str__(self) -> str:
        return str(self.message) % self.params
