"""Rows at chosen moments, for the dashboard's aggregation tests: the dashboard only reads, so its
tests set the tables up directly, each request with its handover event at a known time."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from portal.accounts import nik
from portal.accounts.models import Role
from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery, DeliveryEvent, DeliveryStatus
from portal.database import utcnow
from portal.documents.models import DocumentRequest, DocumentRequestEvent
from portal.extensions import db
from portal.food.models import FoodOrder, FoodOrderEvent
from portal.formatting import WIB
from portal.medicine.models import Hospital, HospitalPharmacist, MedicineDelivery
from portal.payments.models import Payment
from portal.rides.models import DriverAvailability, RideBooking, RideDeparture, RideNight, RidePackage
from tests.factories import UserFactory
from tests.food.factories import WarungFactory

_seq = itertools.count(1)
STOP = {"name": "x", "phone": "+628120000000", "address": "Jl. Kepiting 1", "lat": -8.2, "lng": 114.37, "note": ""}


def earlier_today() -> datetime:
    """A moment already past today in WIB, halfway since midnight: "an hour ago" is yesterday
    between 00:00 and 01:00 WIB, when CI may run."""
    now = utcnow()
    midnight = now.astimezone(WIB).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (now - midnight) / 2


def food_order(
    warung,
    placed_at: datetime,
    *,
    status: str = "delivered",
    minutes: float | None = 30,
    subtotal: int = 40_000,
    method: str = "card",
    customer=None,
) -> FoodOrder:
    """An order placed at `placed_at`; delivered `minutes` later when status is delivered."""
    n = next(_seq)
    order = FoodOrder(
        idempotency_key=f"dash-{n}",
        customer=customer or UserFactory(),
        warung=warung,
        status=status,
        address="Jl. Kepiting 9",
        lat=-8.2,
        lng=114.37,
        payment_method=method,
        subtotal=subtotal,
        delivery_fee=10_000,
        total=subtotal + 10_000,
        created_at=placed_at,
        updated_at=placed_at,
        placed_at=placed_at,
    )
    db.session.add(order)
    db.session.flush()
    if status == "delivered" and minutes is not None:
        at = placed_at + timedelta(minutes=minutes)
        db.session.add(FoodOrderEvent(order_id=order.id, from_status="picked_up", status="delivered", at=at))
    paid = "cancelled" if status in ("cancelled", "rejected") else "succeeded"
    pay(order.customer, "food_order", order.id, order.total, method, placed_at, status=paid)
    return order


def pay(customer, payable_type: str, payable_id: int, amount: int, method: str, at: datetime, **fields) -> Payment:
    payment = Payment(
        payable_type=payable_type,
        payable_id=payable_id,
        customer=customer,
        method=method,
        amount=amount,
        status=fields.pop("status", "succeeded"),
        idempotency_key=f"dash-pay-{next(_seq)}",
        created_at=at,
        updated_at=at,
        paid_at=at,
        **fields,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def document_request(
    created_at: datetime, *, status: str = "delivered", minutes: float | None = 600
) -> DocumentRequest:
    n = next(_seq)
    resident = UserFactory()
    request = DocumentRequest(
        reference=f"MPP-DASH-{n}",
        resident=resident,
        idempotency_key=f"dash-{n}",
        document_type="ktp_el",
        registration_number="3510-1",
        holder_name="Budi",
        nik_encrypted=nik.encrypt("3510011208850001"),
        nik_hash=f"h{n}",
        nik_masked="3510********0001",
        kk_encrypted=nik.encrypt("3510010101200003"),
        kk_masked="3510********0003",
        address="Jl. Kepiting 12",
        lat=-8.21,
        lng=114.36,
        phone="+6281234567890",
        status=status,
        created_at=created_at,
        updated_at=created_at,
    )
    db.session.add(request)
    db.session.flush()
    if status == "delivered" and minutes is not None:
        at = created_at + timedelta(minutes=minutes)
        db.session.add(
            DocumentRequestEvent(request_id=request.id, from_status="with_courier", status="delivered", at=at)
        )
    return request


def ride_package() -> tuple[RidePackage, RideDeparture]:
    package = RidePackage(slug=f"dash-{next(_seq)}", name_en="Blue fire", name_id="Api biru", price=350_000)
    departure = RideDeparture(package=package, pickup_time=time(0, 30), sort_key=750)
    db.session.add_all([package, departure])
    db.session.flush()
    return package, departure


def seat_offered(driver, night: date) -> None:
    if db.session.query(RideNight).filter_by(night=night).first() is None:
        db.session.add(RideNight(night=night))
    db.session.add(DriverAvailability(driver_id=driver.id, night=night))
    db.session.flush()


def ride_booking(package, departure, driver, night: date, *, status: str = "completed") -> RideBooking:
    pickup = datetime.combine(night + timedelta(days=1), time(0, 30)).astimezone()
    booking = RideBooking(
        customer=UserFactory(),
        package_id=package.id,
        departure_id=departure.id,
        night=night,
        pickup_at=pickup,
        driver_id=driver.id,
        status=status,
        price=package.price,
        pickup_address="Homestay Kemiren",
        token=f"dash-{next(_seq)}",
        released_at=pickup if status in ("cancelled", "route_closed", "expired") else None,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def delivery(
    created_at: datetime, *, status: str = "delivered", provider: str = "local", courier=None, note: str = ""
) -> Delivery:
    row = Delivery(
        purpose=Purpose.FOOD,
        origin_id=next(_seq),
        status=DeliveryStatus(status),
        provider=provider,
        courier=courier,
        job_data={"pickup": STOP, "dropoff": STOP},
        created_at=created_at,
        updated_at=created_at,
    )
    db.session.add(row)
    db.session.flush()
    if note:
        db.session.add(DeliveryEvent(delivery_id=row.id, status="requested", note=note, at=created_at))
        db.session.flush()
    return row


def warung(**kwargs):
    return WarungFactory(**kwargs)


def hospital(name: str = "RSUD Blambangan"):
    found = Hospital(
        slug=f"rsud-{next(_seq)}",
        name=name,
        address="Jl. Letkol Istiqlah 49",
        post_phone="+62333421118",
        lat=-8.22,
        lng=114.37,
    )
    db.session.add(found)
    db.session.flush()
    return found


def medicine_delivery(hospital_, created_at: datetime, *, minutes: float | None = 90, fare: str = "free"):
    n = next(_seq)
    row = MedicineDelivery(
        idempotency_key=f"dash-med-{n}",
        hospital_id=hospital_.id,
        status="delivered" if minutes is not None else "preparing",
        patient_name="Siti Aminah",
        phone="+6281234500001",
        prescription_number=f"RX-{n}",
        address="Dusun Krajan, Glagah",
        lat=-8.2,
        lng=114.3,
        fare_class=fare,
        payment_method="subsidy" if fare == "free" else "cash",
        fee=15_000,
        token_hash=f"{n:064d}",
        created_at=created_at,
        updated_at=created_at,
        handed_over_at=created_at + timedelta(minutes=minutes) if minutes is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def pharmacist_at(hospital_, **kwargs):
    user = UserFactory(roles=[Role.PHARMACIST], **kwargs)
    db.session.add(HospitalPharmacist(user_id=user.id, hospital_id=hospital_.id))
    db.session.flush()
    return user
