"""The local fleet's drivers: applying, the admin's decisions (each a workflow move naming the
admin), handing back a withdrawn driver's jobs, and the logged look at a NIK."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from portal import notify
from portal.accounts import nik
from portal.accounts.models import Role, User, UserRole
from portal.accounts.services import grant_role, revoke_role
from portal.couriers import providers
from portal.couriers.contract import DeliveryStatus
from portal.couriers.models import Delivery, DriverProfile, DriverStatus, NikView
from portal.couriers.services.deliveries import CourierError, now_or
from portal.extensions import db
from portal.workflow import move

log = logging.getLogger(__name__)
S = DeliveryStatus
# A courier holding the goods: withdrawing them now would leave the parcel with nobody.
CARRIED = frozenset({S.PICKED_UP, S.DELIVERING, S.ON_HOLD})


def driver_profile(user: User) -> DriverProfile | None:
    return db.session.scalar(select(DriverProfile).where(DriverProfile.user_id == user.id))


def verified_driver(user: User | None) -> DriverProfile | None:
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.scalar(
        select(DriverProfile).where(DriverProfile.user_id == user.id, DriverProfile.status == DriverStatus.VERIFIED)
    )


def photo_owner(name: str) -> DriverProfile | None:
    return db.session.scalar(select(DriverProfile).where(DriverProfile.photo == name)) if name else None


def may_see_photo(viewer: User, profile: DriverProfile) -> bool:
    """A driver's face: the driver, an admin, and a customer whose delivery or ride the driver
    took (a ride is a delivery too). Nobody else, though the file name is unguessable."""
    if viewer.id == profile.user_id or viewer.has_role(Role.ADMIN):
        return True
    return profile.verified and bool(
        db.session.scalar(
            select(Delivery.id)
            .where(Delivery.customer_id == viewer.id, Delivery.courier_id == profile.user_id)
            .limit(1)
        )
    )


def apply_as_driver(
    user: User,
    *,
    nik_value: str,
    ktp_address: str,
    vehicle: str,
    plate: str,
    photo: str | None,
    languages: list[str],
    medicine_trained: bool,
    now: datetime | None = None,
) -> DriverProfile:
    """A new application, or a fresh try after a rejection. A verified or barred driver cannot re-apply."""
    now = now_or(now)
    profile = driver_profile(user)
    if profile is not None and profile.status == DriverStatus.BARRED:
        raise CourierError(_l("You cannot apply as a driver again."))
    if profile is not None and profile.status != DriverStatus.REJECTED:
        raise CourierError(_l("You have already applied."))
    if profile is None:
        profile = DriverProfile(user_id=user.id, status=DriverStatus.PENDING)
        db.session.add(profile)
    profile.set_nik(nik_value)
    profile.ktp_address = ktp_address.strip()
    profile.vehicle = vehicle
    profile.plate = plate
    profile.photo = photo or profile.photo
    profile.languages = ",".join(languages)
    profile.medicine_trained = medicine_trained
    profile.reject_reason = None
    profile.online = False
    profile.applied_at = now
    if profile.status == DriverStatus.REJECTED:
        move(profile, DriverStatus.PENDING, by=user, now=now, note="applied again")
    db.session.flush()
    log.info("user %s applied as driver (profile %s)", user.id, profile.id)
    return profile


def verify_driver(profile: DriverProfile, *, by: User, now: datetime | None = None) -> None:
    """The admin checked the KTP address is in Banyuwangi (not just the 3510 prefix) and the photo."""
    if profile.status == DriverStatus.VERIFIED:
        return
    now = now_or(now)
    profile.reject_reason = None
    profile.verified_at = now
    profile.verified_by_id = by.id
    move(profile, DriverStatus.VERIFIED, by=by, now=now)
    grant_role(profile.user, Role.DRIVER, by=by)
    db.session.flush()
    log.info("driver profile %s verified by %s", profile.id, by.id)
    notify.send(
        _l("Your driver account is verified. Open the courier page and go online to take jobs."),
        user=profile.user,
        url="/courier",
    )


def _open_local_jobs(user_id: int, *, lock: bool = False) -> list[Delivery]:
    stmt = select(Delivery).where(
        Delivery.courier_id == user_id,
        Delivery.provider == providers.LOCAL,
        Delivery.status.not_in(list(DeliveryStatus.finals())),
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(stmt.order_by(Delivery.id)))


def release_jobs(user: User, *, by: User | None, now: datetime | None = None) -> int:
    """Before a driver is withdrawn: jobs not picked up yet go back to the open list (another
    courier takes them); refused while they carry goods. Returns how many were released."""
    now = now_or(now)
    jobs = _open_local_jobs(user.id, lock=True)
    carried = [job for job in jobs if job.status in CARRIED]
    if carried:
        raise CourierError(
            _l(
                "%(name)s is carrying %(n)s picked-up job(s). Wait until they are delivered or brought back, "
                "then withdraw the driver.",
                name=user.name,
                n=len(carried),
            )
        )
    for job in jobs:
        job.courier_id = None
        job.no_driver_at = now + timedelta(seconds=current_app.config["COURIER_NO_DRIVER_AFTER"])
        move(job, S.FINDING_DRIVER, by=by, now=now, note="courier withdrawn")
    return len(jobs)


def reject_driver(
    profile: DriverProfile, *, by: User, reason: str, for_good: bool = False, now: datetime | None = None
) -> None:
    """Reject an application, or withdraw a verified driver (their untouched jobs go back to the
    open list; CourierError while they carry picked-up goods). `for_good` bars them: no new
    application is taken."""
    now = now_or(now)
    release_jobs(profile.user, by=by, now=now)
    reason = reason.strip()
    target = DriverStatus.BARRED if for_good else DriverStatus.REJECTED
    profile.reject_reason = reason
    profile.online = False
    profile.verified_at = None
    profile.verified_by_id = by.id
    if profile.status != target:  # rejecting a rejected application again only changes the reason
        move(profile, target, by=by, now=now, note=reason)
    revoke_role(profile.user, Role.DRIVER, by=by)
    db.session.flush()
    log.info("driver profile %s %s by %s", profile.id, target, by.id)
    notify.send(
        _l("Your driver application was not accepted: %(reason)s", reason=reason),
        user=profile.user,
        url="/courier/apply",
    )


# --- the DRIVER role removed elsewhere (admin users page, CLI) ----------------------------------

_WITHDRAW = "couriers_withdraw_drivers"


@event.listens_for(Session, "before_flush")
def _driver_role_removed(session, flush_context, instances) -> None:
    """Keep the driver profile in step with the role: refuse while the driver holds jobs (reject
    them on the driver page first, which hands untouched jobs back properly), else note the
    profile for withdrawal when the transaction commits (a move flushes, which a flush cannot)."""
    removed = {row.user_id for row in session.deleted if isinstance(row, UserRole) and row.role == Role.DRIVER}
    for user in session.dirty:  # user.roles.remove(...): an orphan, not yet in session.deleted
        if isinstance(user, User):
            history = get_history(user, "roles")
            removed |= {user.id for row in history.deleted if row.role == Role.DRIVER}
    for user_id in removed:
        profile = session.scalar(
            select(DriverProfile).where(DriverProfile.user_id == user_id, DriverProfile.status == DriverStatus.VERIFIED)
        )
        if profile is None or profile.status != DriverStatus.VERIFIED:
            continue  # reject_driver is withdrawing them (in memory), or they never were verified
        jobs = _open_local_jobs(user_id)
        if jobs:
            raise CourierError(
                _l(
                    "%(name)s still has %(n)s open courier job(s). Withdraw them on their driver page first.",
                    name=profile.user.name,
                    n=len(jobs),
                )
            )
        session.info.setdefault(_WITHDRAW, set()).add(profile.id)


@event.listens_for(Session, "before_commit")
def _withdraw_drivers_without_the_role(session) -> None:
    if not session.info.get(_WITHDRAW) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # let _driver_role_removed see removals made since the last flush
    for profile_id in session.info.pop(_WITHDRAW, ()):
        profile = session.get(DriverProfile, profile_id)
        if profile is None or profile.status != DriverStatus.VERIFIED:
            continue
        profile.reject_reason = "driver role removed"
        profile.online = False
        profile.verified_at = None
        # Whoever removed the role in this request (an admin on the users page); nobody from the CLI.
        by = current_user if has_request_context() and current_user.is_authenticated else None
        move(profile, DriverStatus.REJECTED, by=by, note="driver role removed")


@event.listens_for(Session, "after_rollback")
def _forget_withdrawals(session) -> None:
    session.info.pop(_WITHDRAW, None)


def reveal_nik(profile: DriverProfile, *, viewer: User) -> str:
    """The full NIK (and with it the KTP address) for staff; every look is written down."""
    db.session.add(NikView(profile_id=profile.id, viewer_id=viewer.id))
    db.session.flush()
    log.info("NIK and KTP address of driver profile %s viewed by %s", profile.id, viewer.id)
    return nik.decrypt(profile.nik_encrypted)
