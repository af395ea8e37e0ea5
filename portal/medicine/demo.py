"""Both Gancang Aron hospitals with their real addresses, the demo pharmacist at RSUD Blambangan,
and a few deliveries in every status (development only; idempotent: a hospital that exists by
slug is left alone, and deliveries are made once, keyed by their demo form key)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import find_by_email
from portal.couriers import services as couriers
from portal.couriers.contract import HandoverFailure
from portal.couriers.models import DeliveryStatus
from portal.database import utcnow
from portal.extensions import db
from portal.medicine import services as medicine
from portal.medicine.models import HoldReason, Hospital

# slug, name, address, post phone, lat, lng
HOSPITALS = [
    (
        "rsud-blambangan",
        "RSUD Blambangan",
        "Jl. Letkol Istiqlah No. 42–49, Singonegaran, Banyuwangi",
        "+62333421118",
        -8.2107,
        114.3626,
    ),
    (
        "rsud-genteng",
        "RSUD Genteng",
        "Jl. Hasanudin No. 98, Genteng Wetan, Genteng, Banyuwangi",
        "+62333845839",
        -8.3655,
        114.1523,
    ),
]

# patient, phone, prescription, address, lat, lng, landmark, fare, bags, cold, compounded, where to take it
PATIENTS = [
    ("Ibu Sumarni", "081234500001", "RX-240101", "Jl. Kepiting No. 3, Kepatihan, Banyuwangi", -8.2135, 114.3701,
     "pagar hijau", "free", 1, False, False, "registered"),
    ("Pak Darmaji", "081234500002", "RX-240102", "Dusun Krajan RT 02, Kemiren, Glagah", -8.2110, 114.3260,
     "depan masjid", "free", 2, True, True, "preparing"),
    ("Mbah Tuminah", "081234500003", "RX-240103", "Jl. Ikan Tongkol 7, Kertosari, Banyuwangi", -8.2201, 114.3605,
     "", "paid", 1, False, False, "on_hold"),
    ("Bu Lastri", "081234500004", "RX-240104", "Jl. Brawijaya 21, Kebalenan, Banyuwangi", -8.2260, 114.3590,
     "toko kelontong", "free", 1, False, True, "ready"),
    ("Pak Sugeng", "081234500005", "RX-240105", "Jl. Sritanjung 5, Tukangkayu, Banyuwangi", -8.2180, 114.3660,
     "", "paid", 1, False, False, "cancelled"),
    ("Bu Wartini", "081234500006", "RX-240106", "Dusun Sukorejo, Olehsari, Glagah", -8.2000, 114.3300,
     "rumah biru", "free", 1, False, False, "collect_at_hospital"),
    ("Pak Mulyono", "081234500007", "RX-240107", "Jl. Adi Sucipto 14, Sobo, Banyuwangi", -8.2010, 114.3550,
     "", "free", 1, False, False, "with_courier"),
    ("Bu Kasiyati", "081234500008", "RX-240108", "Jl. Gajah Mada 40, Penganjuran, Banyuwangi", -8.2230, 114.3530,
     "warung kopi", "paid", 2, False, False, "delivered"),
    ("Pak Rohim", "081234500009", "RX-240109", "Dusun Kopen, Kemiren, Glagah", -8.2140, 114.3210,
     "", "free", 1, False, False, "not_delivered"),
    ("Bu Sunarti", "081234500010", "RX-240110", "Jl. Letjen S. Parman 9, Pakis, Banyuwangi", -8.2290, 114.3580,
     "", "free", 1, True, False, "returned_to_pharmacy"),
]  # fmt: skip


def seed_hospitals() -> Hospital:
    """Both hospitals, and pharmacist@example.com at RSUD Blambangan (which is returned)."""
    for slug, name, address, phone, lat, lng in HOSPITALS:
        if db.session.scalar(select(Hospital.id).where(Hospital.slug == slug)) is None:
            db.session.add(Hospital(slug=slug, name=name, address=address, post_phone=phone, lat=lat, lng=lng))
    db.session.flush()
    blambangan = db.session.scalar(select(Hospital).where(Hospital.slug == "rsud-blambangan"))
    pharmacist = find_by_email("pharmacist@example.com")
    if pharmacist is not None and medicine.hospital_of(pharmacist) is None:
        admin = find_by_email("admin@example.com")
        medicine.assign_pharmacist(pharmacist, blambangan, by=admin or pharmacist)
    return blambangan


def seed() -> None:
    blambangan = seed_hospitals()
    pharmacist = find_by_email("pharmacist@example.com")
    if pharmacist is None:
        return
    start = utcnow() - timedelta(hours=2)
    for index, row in enumerate(PATIENTS):
        patient, phone, number, address, lat, lng, landmark, fare, bags, cold, racikan, target = row
        key = f"demo-{number}"
        if medicine.delivery_for_key(key) is not None:
            continue
        reg = medicine.Registration(
            patient_name=patient,
            phone=phone,
            prescription_number=number,
            address=address,
            lat=lat,
            lng=lng,
            landmark=landmark,
            receivers=[("Siti", "anak")] if index % 2 else [],
            fare_class=fare,
            card_checked_by="Apt. Rina" if fare == "free" else "",
            bags=bags,
            cold_chain=cold,
            compounded=racikan,
        )
        now = start + timedelta(minutes=10 * index)
        delivery = medicine.register(blambangan, reg, by=pharmacist, key=key, now=now)
        _walk(delivery, target, pharmacist, now)
    db.session.flush()


def _walk(delivery, target: str, by, now) -> None:
    later = now + timedelta(minutes=5)
    if target == "registered":
        return
    if target == "cancelled":
        medicine.cancel(delivery, by=by, reason="Pasien mengambil sendiri", now=later)
        return
    medicine.start_preparing(delivery, by=by, now=later)
    if target == "preparing":
        return
    if target == "on_hold":
        medicine.put_on_hold(delivery, by=by, reason=HoldReason.OUT_OF_STOCK, now=later)
        return
    courier = medicine.mark_ready(delivery, by=by, now=later)
    if target == "collect_at_hospital":
        medicine.collect_at_hospital(delivery, by=by, now=later)
    elif target in ("with_courier", "delivered", "not_delivered", "returned_to_pharmacy"):
        _courier_walk(delivery, courier, target, by, later)


def _courier_walk(delivery, courier, target: str, by, now) -> None:
    """The medicine-trained demo driver takes it; what happens at the door depends on `target`."""
    driver = find_by_email("driver@example.com")
    profile = couriers.verified_driver(driver) if driver else None
    if profile is None or not profile.medicine_trained:
        return
    pin = courier.issued_pin
    couriers.dispatch(courier.id, now=now)  # normally the job after the commit
    online, profile.online = profile.online, True
    couriers.accept_job(courier, driver=driver, now=now)
    couriers.mark(courier, DeliveryStatus.PICKED_UP, by=driver, now=now)
    if target == "delivered":
        couriers.mark(
            courier,
            DeliveryStatus.DELIVERED,
            by=driver,
            pin=pin,
            receiver=courier.receivers[0],
            now=now + timedelta(minutes=20),
        )
    elif target in ("not_delivered", "returned_to_pharmacy"):
        couriers.mark(
            courier, DeliveryStatus.FAILED, by=driver, note=HandoverFailure.NOT_HOME, now=now + timedelta(minutes=20)
        )
        if target == "returned_to_pharmacy":
            medicine.confirm_returned(delivery, by=by, now=now + timedelta(minutes=50))
    profile.online = online
