"""Document requests in every status for resident@example.com (development only, idempotent):
the clerk has a queue to work, with one overdue, and one document is on its way to Budi."""

from __future__ import annotations

from datetime import timedelta

from portal.accounts.services import find_by_email
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.database import utcnow
from portal.documents import services as documents
from portal.documents.models import DocumentStatus

S = DocumentStatus
ADDRESS = "Jl. Kepiting No. 12, RT 02 RW 01, Kel. Sobo, Kec. Banyuwangi, Kab. Banyuwangi"
BUDI = ("Budi Santoso", "3510012505880002")
SITI = ("Siti Aminah", "3510016807900003")  # a woman: 28 + 40 on the day
AISYAH = ("Aisyah Santoso", "3510015403190004")
# key, document, holder, days ago, where it ends up
DEMO_REQUESTS = [
    ("demo-cancelled", "ktp_el", SITI, 11, S.CANCELLED),
    ("demo-rejected", "akta_kematian", BUDI, 10, S.REJECTED),
    ("demo-delivered", "ktp_el", SITI, 9, S.DELIVERED),
    ("demo-counter", "kia", AISYAH, 8, S.COLLECT_AT_COUNTER),
    ("demo-electronic", "kk", BUDI, 7, S.SENT_ELECTRONICALLY),
    ("demo-overdue", "ktp_el", SITI, 6, S.VERIFIED),
    ("demo-returned", "ktp_el", BUDI, 4, S.RETURNED),
    ("demo-incomplete", "akta_kelahiran", AISYAH, 2, S.INCOMPLETE),
    ("demo-on-its-way", "ktp_el", BUDI, 1, S.WITH_COURIER),
    ("demo-ready", "ktp_el", SITI, 1, S.READY),
    ("demo-verified", "kk", BUDI, 0, S.VERIFIED),
    ("demo-submitted", "kia", AISYAH, 0, S.SUBMITTED),
    ("demo-submitted-2", "kk", BUDI, 0, S.SUBMITTED),
]


def seed() -> None:
    resident = find_by_email("resident@example.com")
    clerk = find_by_email("clerk@example.com")
    driver = find_by_email("driver@example.com")
    if resident is None or clerk is None or driver is None:
        return
    now = utcnow()
    for serial, (key, kind, (name, holder_nik), days_ago, goal) in enumerate(DEMO_REQUESTS, start=1):
        if documents.find_by_key(resident, key) is not None:
            continue
        at = now - timedelta(days=days_ago, hours=3)
        request = documents.submit_request(
            documents.Answers(
                document_type=kind,
                registration_number=f"3510-{at:%Y%m%d}-{serial:04d}",
                holder_name=name,
                nik=holder_nik,
                kk_number="3510010101200003",
                address=ADDRESS,
                lat=-8.2110,
                lng=114.3612,
                phone=resident.phone,
                holder_only=kind == "ktp_el",
                receivers=() if kind == "ktp_el" else ("Budi Santoso", "Siti Aminah"),
                payment_method="cash",
            ),
            resident=resident,
            key=key,
            now=at,
        )
        _walk(request, goal, clerk=clerk, driver=driver, at=at)


def _walk(request, goal: DocumentStatus, *, clerk, driver, at) -> None:
    later = at + timedelta(hours=1)
    if goal == S.SUBMITTED:
        return
    if goal == S.CANCELLED:
        documents.cancel_request(request, by=request.resident, now=later)
        return
    if goal == S.REJECTED:
        documents.reject(request, by=clerk, reason="Tidak ada akta terdaftar dengan nomor ini.", now=later)
        return
    if goal == S.INCOMPLETE:
        documents.mark_incomplete(request, by=clerk, missing="Fotokopi surat keterangan lahir dari bidan", now=later)
        return
    documents.verify(request, by=clerk, now=later)
    if goal == S.VERIFIED:
        return
    if goal == S.SENT_ELECTRONICALLY:
        documents.send_electronically(request, by=clerk, now=later + timedelta(hours=2))
        return
    documents.mark_ready(request, by=clerk, now=later + timedelta(hours=3))
    if goal == S.READY:
        return
    documents.hand_to_courier(request, by=clerk, driver=driver, return_old_card=goal == S.DELIVERED, now=later)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    pin = documents.pin_for(request)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver, now=later)
    if goal == S.DELIVERED:
        couriers.mark(
            delivery,
            DeliveryStatus.DELIVERED,
            by=driver,
            pin=pin,
            receiver=request.holder_name,
            collected=True,
            now=later,
        )
    elif goal in (S.RETURNED, S.COLLECT_AT_COUNTER):
        couriers.mark(delivery, DeliveryStatus.RETURNED, by=driver, note="Tidak ada orang di rumah", now=later)
        if goal == S.COLLECT_AT_COUNTER:
            documents.collect_at_counter(request, by=clerk, now=later)
