"""Verified demo drivers on trail bikes, so the courier workspace and Ijen rides have people."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.demo import DEMO_PASSWORD
from portal.accounts.models import Role
from portal.accounts.services import find_by_email, grant_role, register
from portal.couriers.contract import Vehicle
from portal.couriers.models import DriverProfile, DriverStatus
from portal.database import utcnow
from portal.extensions import db

# email, name, phone, NIK, plate, KTP address, languages, medicine-trained
DEMO_DRIVERS = [
    (
        "driver@example.com",
        "Pak Hasan",
        "+6281100000003",
        "3510011208850001",
        "P 1234 AB",
        "Jl. Ahmad Yani No. 12, RT 02 RW 01, Kel. Penganjuran, Kec. Banyuwangi, Kab. Banyuwangi",
        "id,en,jv",
        True,
    ),
    (
        "driver2@example.com",
        "Mas Yoga",
        "+6281100000013",
        "3510140305900002",
        "P 2345 BC",
        "Dusun Krajan RT 01 RW 03, Desa Tamansari, Kec. Licin, Kab. Banyuwangi",
        "id,en,osing",
        False,
    ),
    (
        "driver3@example.com",
        "Pak Slamet",
        "+6281100000023",
        "3510142107820003",
        "P 3456 CD",
        "Jl. Raya Jambu No. 5, Desa Jambu, Kec. Licin, Kab. Banyuwangi",
        "id,jv",
        False,
    ),
    (
        "driver4@example.com",
        "Mbak Sari",
        "+6281100000033",
        "3510025511930004",
        "P 4567 DE",
        "Jl. Kepiting No. 8, Kel. Kepatihan, Kec. Banyuwangi, Kab. Banyuwangi",
        "id,en",
        True,
    ),
    (
        "driver5@example.com",
        "Pak Joko",
        "+6281100000043",
        "3510150909870005",
        "P 5678 EF",
        "Dusun Sumberwaru RT 03 RW 02, Desa Olehsari, Kec. Glagah, Kab. Banyuwangi",
        "id,en,jv",
        False,
    ),
]


def seed() -> None:
    admin = find_by_email("admin@example.com")
    for email, name, phone, number, plate, address, languages, trained in DEMO_DRIVERS:
        user = find_by_email(email) or register(name=name, email=email, phone_e164=phone, password=DEMO_PASSWORD)
        grant_role(user, Role.DRIVER)
        if db.session.scalar(select(DriverProfile.id).where(DriverProfile.user_id == user.id)):
            continue
        profile = DriverProfile(
            user_id=user.id,
            ktp_address=address,
            vehicle=Vehicle.TRAIL,
            plate=plate,
            languages=languages,
            medicine_trained=trained,
            status=DriverStatus.VERIFIED,
            online=email == "driver@example.com",
            verified_at=utcnow(),
            verified_by_id=admin.id if admin else None,
        )
        profile.set_nik(number)
        db.session.add(profile)
    db.session.flush()
