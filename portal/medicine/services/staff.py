"""Who works where: hospitals, their pharmacists (one hospital each), and what a pharmacist may
see and move. Another hospital's delivery is refused; every look at personal data is audited."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.accounts.services import grant_role, revoke_role
from portal.audit import AuditEntry, audit
from portal.database import utcnow
from portal.extensions import db
from portal.medicine.models import (
    Hospital,
    HospitalPharmacist,
    MedicineDelivery,
)
from portal.medicine.services.errors import MedicineError


def hospital_of(user: User | None) -> Hospital | None:
    """The hospital a pharmacist works at (None for anyone else)."""
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.scalar(select(Hospital).join(HospitalPharmacist).where(HospitalPharmacist.user_id == user.id))


def may_handle(user: User | None, delivery: MedicineDelivery) -> bool:
    """Only the pharmacists of the delivery's own hospital see and move it."""
    if user is None or not getattr(user, "id", None) or not user.has_role(Role.PHARMACIST):
        return False
    return bool(
        db.session.scalar(
            select(HospitalPharmacist.id).where(
                HospitalPharmacist.user_id == user.id, HospitalPharmacist.hospital_id == delivery.hospital_id
            )
        )
    )


def check_staff(delivery: MedicineDelivery, by: User) -> None:
    if not may_handle(by, delivery):
        raise MedicineError(_l("This delivery belongs to another hospital."))


def hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).order_by(Hospital.name)))


def view_personal(delivery: MedicineDelivery, *, by: User, detail: str = "prescription, address, receivers") -> None:
    """A pharmacist opens the delivery's personal data: refused for another hospital, logged otherwise."""
    check_staff(delivery, by)
    audit("view", delivery, by=by, detail=detail)


def set_gosend_contract(hospital: Hospital, on: bool, *, by: User) -> None:
    hospital.gosend_trained_contract = on
    audit("setting", hospital, by=by, detail=f"gosend_trained_contract={on}")


def assign_pharmacist(user: User, hospital: Hospital, *, by: User) -> HospitalPharmacist:
    """One hospital per pharmacist: assigning again moves them."""
    row = db.session.scalar(select(HospitalPharmacist).where(HospitalPharmacist.user_id == user.id))
    if row is None:
        row = HospitalPharmacist(user_id=user.id, hospital_id=hospital.id, assigned_by_id=by.id)
        db.session.add(row)
    else:
        row.hospital_id, row.assigned_by_id, row.assigned_at = hospital.id, by.id, utcnow()
    grant_role(user, Role.PHARMACIST, by=by)
    db.session.flush()
    return row


def unassign_pharmacist(user: User, *, by: User) -> None:
    row = db.session.scalar(select(HospitalPharmacist).where(HospitalPharmacist.user_id == user.id))
    if row is not None:
        db.session.delete(row)
    revoke_role(user, Role.PHARMACIST, by=by)
    db.session.flush()


def recent_views(limit: int = 50) -> list:
    """The audit trail of medicine deliveries' personal data, newest first (admins read it)."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == "medicine_delivery")
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
