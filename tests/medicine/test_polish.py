"""What a pharmacist, a courier and an admin read: their own language, the GA- reference, the
bags' way back, the cold chain first, and a question before anything is removed or cancelled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.couriers import services as couriers
from portal.couriers.contract import HandoverFailure
from portal.couriers.models import DeliveryStatus
from portal.medicine import services as medicine
from portal.medicine.models import waited_label
from tests.medicine.conftest import MORNING, register
from tests.medicine.test_services import ready_with_courier


def test_the_courier_job_carries_the_ga_reference_in_the_couriers_language_and_says_to_bring_the_bags_back(
    app, client, auth, db, pharmacist, blambangan, driver
):
    delivery = register(blambangan, pharmacist, cold_chain=True)
    courier, _pin = ready_with_courier(delivery, pharmacist, driver)
    assert courier.reference == delivery.reference == f"GA-{delivery.id}"  # as on the bags
    with force_locale("id"):
        assert courier.description == (
            "2 kantong obat tersegel. Rantai dingin: antar ini dulu, jaga tetap dingin. "
            "Jika tidak dapat diserahkan: bawa kantong kembali ke Pos Gancang Aron, RSUD Blambangan."
        )
    with force_locale("en"):
        assert courier.description == (
            "2 sealed bags of medicine. Cold chain: deliver this first, keep it cool. "
            "If not handed over: bring the bags back to Pos Gancang Aron, RSUD Blambangan."
        )
    assert courier.job.description.startswith("2 kantong obat")  # what an outside provider is sent
    couriers.mark(courier, DeliveryStatus.FAILED, by=driver, note=HandoverFailure.NOT_HOME)
    db.session.commit()
    auth.login(driver)
    page = client.get(f"/courier/jobs/{courier.id}").get_data(as_text=True)
    assert f"GA-{delivery.id}" in page and "medicine-" not in page
    assert "bawa kantong kembali ke Pos Gancang Aron, RSUD Blambangan" in page  # the finished job says it


def test_the_detail_page_shows_notes_payment_and_reason_in_the_readers_language(
    app, client, auth, db, pharmacist, blambangan, driver
):
    delivery = register(blambangan, pharmacist, fare_class="paid", card_checked_by="", payment_method="cash")
    courier, _pin = ready_with_courier(delivery, pharmacist, driver)
    couriers.mark(courier, DeliveryStatus.FAILED, by=driver, note=HandoverFailure.NOT_HOME)
    medicine.confirm_returned(delivery, by=pharmacist)
    medicine.resend(delivery, by=pharmacist)
    db.session.commit()
    pharmacist.locale = "id"
    db.session.commit()
    auth.login(pharmacist)
    html = client.get(f"/rsud/deliveries/{delivery.id}").get_data(as_text=True)
    for english in ("not home", "bag(s) back", "bags back", "sent again", "pending"):
        assert english not in html, english
    assert "2 kantong kembali" in html and "dikirim ulang" in html
    assert "pembayaran: menunggu pembayaran" in html  # the status label, not "pending"


def test_the_admin_reads_the_audit_trail_in_their_language_and_is_asked_before_a_removal(
    app, client, auth, db, admin, pharmacist, blambangan
):
    delivery = register(blambangan, pharmacist)
    auth.login(pharmacist)
    client.get(f"/rsud/deliveries/{delivery.id}")
    auth.logout()
    admin.locale = "id"
    db.session.commit()
    auth.login(admin)
    html = client.get("/admin/hospitals").get_data(as_text=True)
    assert "resep, alamat, penerima" in html and "prescription, address, receivers" not in html
    assert 'data-confirm="Hapus Apt. Rina sebagai apoteker RSUD Blambangan?"' in html
    # The fee-paying deliveries' column: "Berbayar", not the payment status "Lunas" (settled).
    assert '<th scope="col">Berbayar</th>' in html and "Lunas" not in html


def test_the_queue_puts_the_cold_chain_first_asks_before_cancelling_and_shows_a_locked_handover(
    app, client, auth, db, pharmacist, blambangan, driver
):
    plain = register(blambangan, pharmacist, prescription_number="RX-1", now=MORNING)
    cold = register(
        blambangan, pharmacist, prescription_number="RX-2", cold_chain=True, now=MORNING + timedelta(minutes=5)
    )
    assert medicine.queue(blambangan, now=MORNING + timedelta(hours=1)) == [cold, plain]

    courier, pin = ready_with_courier(plain, pharmacist, driver)
    wrong = "000000" if pin != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(couriers.CourierError):
            couriers.mark(courier, DeliveryStatus.DELIVERED, by=driver, pin=wrong, receiver="Ibu Sumarni (pasien)")
        db.session.commit()
    assert courier.pin_locked
    auth.login(pharmacist)
    html = client.get("/rsud/deliveries").get_data(as_text=True)
    assert "Handover locked: too many wrong PINs" in html
    assert f'data-confirm="Cancel {cold.reference}? The patient is told by SMS."' in html


def test_waiting_time_reads_as_hours_and_minutes():
    assert waited_label(121) == "2 h 1 min"
    assert waited_label(45) == "45 min"
    with force_locale("id"):
        assert waited_label(121) == "2 j 1 mnt"
