"""Jobs, drivers and deliveries for the courier tests."""

from __future__ import annotations

import itertools

from portal.accounts.models import Role
from portal.couriers import services
from portal.couriers.contract import Job, Purpose, Requirements, Stop, Vehicle
from portal.couriers.models import Delivery, DeliveryStatus, DriverProfile, DriverStatus
from portal.database import utcnow
from portal.extensions import db
from tests.factories import UserFactory

# Warung Bu Sri near Taman Blambangan, and a homestay in Kemiren (about 4.5 km apart).
WARUNG = Stop("Warung Bu Sri", "+6281100000002", "Jl. Kapten Piere Tendean 5, Banyuwangi", -8.2193, 114.3691)
HOMESTAY = Stop("Emma Tourist", "+6281100000006", "Homestay Kemiren, Glagah", -8.2090, 114.3290, note="blue gate")
_serial = itertools.count(1)


def make_job(
    purpose: Purpose = Purpose.FOOD,
    *,
    vehicle: Vehicle = Vehicle.MOTORBIKE,
    medicine: bool = False,
    pin: bool = False,
    window=None,
    reference: str = "food-order-1",
    receivers: tuple[str, ...] = (),
    collect: str = "",
) -> Job:
    return Job(
        purpose=purpose,
        pickup=WARUNG,
        dropoff=HOMESTAY,
        window=window,
        requirements=Requirements(vehicle=vehicle, medicine_trained=medicine, pin=pin),
        reference=reference,
        description="2 items from Warung Bu Sri",
        receivers=receivers,
        collect=collect,
    )


def make_driver(
    *,
    vehicle: Vehicle = Vehicle.TRAIL,
    medicine: bool = False,
    status: DriverStatus = DriverStatus.VERIFIED,
    online: bool = True,
    role: bool = True,
):
    user = UserFactory(roles=[Role.DRIVER] if role else [])
    profile = DriverProfile(
        user_id=user.id,
        ktp_address="Jl. Ahmad Yani 12, Banyuwangi",
        vehicle=vehicle,
        plate="P 1234 AB",
        languages="id,en",
        medicine_trained=medicine,
        status=status,
        online=online,
        verified_at=utcnow() if status == DriverStatus.VERIFIED else None,
    )
    profile.set_nik(f"351001120885{next(_serial):04d}")
    db.session.add(profile)
    db.session.flush()
    return user


def requested(customer, job: Job | None = None, origin_id: int = 1, **kwargs) -> Delivery:
    """A delivery the customer asked for through the real service, committed and reloaded."""
    delivery = services.request_delivery(job or make_job(), origin_id=origin_id, customer=customer, **kwargs)
    db.session.commit()
    db.session.refresh(delivery)
    return delivery


def picked_up_with_pin(customer, driver, origin_id: int = 1) -> tuple[Delivery, str]:
    """A document job that needs a PIN, taken and picked up by the driver; with a PIN that is wrong."""
    delivery = services.request_delivery(make_job(Purpose.DOCUMENT, pin=True), origin_id=origin_id, customer=customer)
    wrong = "000000" if delivery.issued_pin != "000000" else "111111"
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    services.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    db.session.commit()
    return delivery, wrong
