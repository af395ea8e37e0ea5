"""What a Gancang Aron verb refuses with: a message the pharmacist can act on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.formatting import LazyWib
from portal.medicine.models import (
    MedicineDelivery,
    MedicineStatus,
)
from portal.workflow import DomainError

M = MedicineStatus


class MedicineError(DomainError):
    """A refusal; str(error) is a translated message for the pharmacist."""


class PrescriptionInFlight(MedicineError):
    """The prescription number belongs to a delivery still on its way: refused, no "register anyway"."""


class DuplicatePrescription(MedicineError):
    """The prescription number was registered in the last 7 days: the pharmacist confirms or stops."""

    def __init__(self, previous: MedicineDelivery) -> None:
        super().__init__(
            _l(
                "Prescription %(number)s was already registered on %(when)s (%(ref)s). "
                "If this is a new prescription, tick “Register anyway”.",
                number=previous.prescription_number,
                when=LazyWib(previous.created_at),
                ref=previous.reference,
            )
        )
        self.previous = previous
