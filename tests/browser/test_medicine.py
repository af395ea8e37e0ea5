"""Gancang Aron end to end in Chromium: the pharmacist registers a free delivery on a tablet,
prepares it and calls a courier; the medicine-trained demo driver accepts, is refused with a
wrong PIN and hands over with the right one; the patient's link (no account) says delivered,
and the regency dashboard's medicine count goes up.
And the way back: nobody home → bags back → sent again → delivered. And a fare paid by card:
the patient pays through the link, without an account."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from portal import notify
from portal.accounts import demo as accounts_demo
from portal.couriers import demo as couriers_demo
from portal.couriers.models import Delivery
from portal.formatting import rupiah
from portal.medicine import demo
from portal.medicine.models import MedicineDelivery
from tests.browser.conftest import assert_accessible, login, pay_by_card

TABLET = {"width": 820, "height": 1180}
PATIENT_PHONE = "+6281234567001"
# Registration: what the pharmacist types or taps (the rest keeps its default: 1 bag, free fare).
TYPED = {
    "Patient's name": "Pak Darmaji",
    "Patient's phone (for SMS)": "0812 3456 7001",
    "Prescription or visit number": "RX-2026-0142",
    "Delivery address": "Dusun Krajan RT 02, Kemiren, Glagah",
    "Family member who may receive it (optional)": "Siti",
    "PBI / DTSEN card checked by": "Apt. Rina",
}
RELATIONSHIP = "daughter"  # the first of the two "Relationship" fields
TIMINGS: dict[str, float] = {}


def seeded(db) -> None:
    accounts_demo.seed()
    couriers_demo.seed()
    demo.seed_hospitals()
    db.session.commit()
    notify.outbox.clear()


def english(page, live_server) -> None:
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])


def latest_courier_job(db) -> int:
    db.session.commit()  # end the test's read snapshot: see what the server committed
    return db.session.scalar(db.select(db.func.max(Delivery.id)))


def the_delivery(db) -> MedicineDelivery:
    db.session.commit()
    return db.session.scalars(db.select(MedicineDelivery)).one()


def sms(kind: str) -> str:
    """The newest SMS to the patient that contains `kind` ("PIN", a link)."""
    texts = [f"{m.text} {m.url or ''}" for m in notify.outbox if m.phone == PATIENT_PHONE]
    return next(text for text in reversed(texts) if kind in text)


def pin_sms() -> str:
    """The handover PIN: it comes by SMS once the courier has picked the bags up."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        texts = [m.text for m in notify.outbox if m.phone == PATIENT_PHONE and re.search(r"\b\d{6}\b", m.text)]
        if texts:
            return re.search(r"\b(\d{6})\b", texts[-1]).group(1)
        time.sleep(0.1)
    raise AssertionError("no PIN SMS")


def register_at_the_post(page, fare: str | None = None) -> tuple[float, int, int]:
    """Fill the registration form like a pharmacist at the post; (seconds, fields, taps)."""
    page.goto("/rsud/deliveries/new")
    expect(page.get_by_role("heading", name="Register a delivery")).to_be_visible()
    assert_accessible(page)
    start = time.perf_counter()
    taps = 0
    for label, value in TYPED.items():
        page.get_by_label(label, exact=True).fill(value)
        taps += 1  # one tap into the field; typing is not a tap
    page.get_by_label("Relationship", exact=True).first.fill(RELATIONSHIP)
    taps += 1
    page.get_by_label("Compounded (racikan)").check()
    taps += 1
    if fare is not None:
        page.get_by_label(fare).check()
        taps += 1
    page.get_by_role("button", name="Register and send the SMS").click()
    taps += 1
    expect(page.get_by_text("registered for Pak Darmaji")).to_be_visible()
    seconds = time.perf_counter() - start
    return seconds, len(TYPED) + 2, taps


def prepare_and_call_a_courier(page, reference: str) -> None:
    queue = page.locator("#queue")
    expect(queue).to_contain_text(reference)
    expect(queue).to_contain_text("compounded")
    page.get_by_role("button", name=f"Start preparing {reference}").click()
    expect(page.get_by_text(f"{reference}: being prepared.")).to_be_visible()
    page.get_by_role("button", name=f"Ready: call a courier {reference}").click()
    expect(page.get_by_text(f"{reference} is ready")).to_be_visible()


def courier_takes_it(page, delivery_id: int) -> None:
    page.goto("/courier")
    open_jobs = page.locator("#open-jobs")
    expect(open_jobs).to_contain_text("Pos Gancang Aron, RSUD Blambangan")  # the job is written in Indonesian
    expect(open_jobs).not_to_contain_text("Dusun Krajan")  # the address is hidden until accepted
    open_jobs.locator(f"form[action$='/courier/jobs/{delivery_id}/accept']").get_by_role(
        "button", name="Accept: Medicine: Pos Gancang Aron, RSUD Blambangan → near "
    ).click()
    expect(page.get_by_text("The job is yours.")).to_be_visible()
    page.get_by_role("button", name="Picked up").click()


def handed_over_at(admin_page, hospital: str) -> int:
    """What the regency dashboard counts as handed over at `hospital` in the last 7 days."""
    admin_page.goto("/admin/dashboard")
    table = admin_page.locator("#medicine-hospitals")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr", has_text=hospital)
    if rows.count() == 0:
        return 0
    # One row per day, then the hospital's whole period (its last row): hospital, day, handed over, ...
    cells = rows.last.locator("th, td")
    return int(cells.nth(2).inner_text().strip())


def test_a_free_delivery_from_the_post_to_the_door(page, browser, live_server, db):
    seeded(db)
    regency = browser.new_context(base_url=live_server.url, locale="en-US")
    admin = regency.new_page()
    english(admin, live_server)
    login(admin, "admin@example.com", accounts_demo.DEMO_PASSWORD)
    before = handed_over_at(admin, "RSUD Blambangan")
    pharmacist = browser.new_context(viewport=TABLET, base_url=live_server.url, locale="en-US")
    post = pharmacist.new_page()
    english(post, live_server)
    login(post, "pharmacist@example.com", accounts_demo.DEMO_PASSWORD)
    seconds, fields, taps = register_at_the_post(post)
    TIMINGS["registration"] = seconds
    print(f"\nregistration: {fields} fields, {taps} taps, {seconds:.2f} s in Chromium")
    assert seconds < 60
    delivery = the_delivery(db)
    reference, delivery_id = delivery.reference, delivery.id
    assert delivery.compounded and delivery.receiver_names == ["Siti (daughter)"]
    assert_accessible(post)

    link = re.search(r"(/medicine/[\w-]+)", sms("/medicine/")).group(1)
    prepare_and_call_a_courier(post, reference)
    assert "mencarikan kurir" in sms(reference)  # ready: a courier is being found, no PIN yet

    # The patient follows it on their own phone, without an account.
    patient = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    patient.goto(link)  # Indonesian: the patient never chose a language
    expect(patient.locator(".medicine-status")).to_have_attribute("data-status", "ready")
    assert_accessible(patient)

    english(page, live_server)
    login(page, "driver@example.com", accounts_demo.DEMO_PASSWORD)
    courier_takes_it(page, latest_courier_job(db))
    expect(patient.locator(".medicine-status")).to_have_attribute("data-status", "with_courier", timeout=15_000)
    pin = pin_sms()  # the courier set out: now the patient has the PIN
    expect(patient.locator(".medicine-courier")).to_contain_text("Pak", timeout=15_000)
    expect(page.locator(".receivers")).to_contain_text("Pak Darmaji (pasien), Siti (daughter)")
    page.get_by_label("Who took it?").select_option("Siti (daughter)")
    page.get_by_label("Recipient's PIN").fill("000000" if pin != "000000" else "111111")
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Wrong PIN. 4 tries left.")).to_be_visible()
    page.get_by_label("Who took it?").select_option("Siti (daughter)")
    page.get_by_label("Recipient's PIN").fill(pin)
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Delivered. Thank you!")).to_be_visible()

    expect(patient.locator(".medicine-status")).to_have_attribute("data-status", "delivered", timeout=15_000)
    assert_accessible(patient)
    post.goto(f"/rsud/deliveries/{delivery_id}")
    expect(post.locator("main")).to_contain_text("RX-2026-0142")
    assert_accessible(post)
    # The regency's dashboard (/admin/dashboard, issue 21) counts the handover.
    assert handed_over_at(admin, "RSUD Blambangan") == before + 1
    assert_accessible(admin)
    patient.context.close()
    pharmacist.close()
    regency.close()


def test_nobody_home_the_bags_come_back_and_go_out_again(page, browser, live_server, db):
    seeded(db)
    pharmacist = browser.new_context(viewport=TABLET, base_url=live_server.url, locale="en-US")
    post = pharmacist.new_page()
    english(post, live_server)
    login(post, "pharmacist@example.com", accounts_demo.DEMO_PASSWORD)
    register_at_the_post(post)
    delivery = the_delivery(db)
    reference = delivery.reference
    prepare_and_call_a_courier(post, reference)

    english(page, live_server)
    login(page, "driver@example.com", accounts_demo.DEMO_PASSWORD)
    first_job = latest_courier_job(db)
    courier_takes_it(page, first_job)
    page.get_by_label("Nobody at home").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Could not deliver").click()
    expect(page.get_by_text("Saved as not delivered.")).to_be_visible()
    page.goto(f"/courier/jobs/{first_job}")  # the finished job tells the courier where the bags go
    expect(page.locator("main")).to_contain_text("bring the bags back to Pos Gancang Aron, RSUD Blambangan")

    post.goto("/rsud/deliveries")
    expect(post.locator(f"#delivery-{delivery.id}")).to_contain_text("Not delivered")
    post.get_by_role("button", name=f"Bags are back {reference}").click()
    expect(post.get_by_text(f"{reference}: bags back at the pharmacy.")).to_be_visible()
    post.get_by_role("button", name=f"Send again {reference}").click()
    expect(post.get_by_text(f"{reference} is sent again with a new PIN.")).to_be_visible()

    second_job = latest_courier_job(db)
    assert second_job != first_job
    notify.outbox.clear()
    courier_takes_it(page, second_job)
    expect(page.get_by_label("Recipient's PIN")).to_be_visible()
    pin = pin_sms()
    page.get_by_label("Who took it?").select_option("Pak Darmaji (pasien)")
    page.get_by_label("Recipient's PIN").fill(pin)
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Delivered. Thank you!")).to_be_visible()
    post.goto("/rsud/deliveries")
    expect(post.locator(f"#delivery-{delivery.id}")).to_contain_text("Delivered")
    pharmacist.close()


def test_the_patient_pays_a_card_fare_through_the_link(page, browser, live_server, db):
    seeded(db)
    pharmacist = browser.new_context(viewport=TABLET, base_url=live_server.url, locale="en-US")
    post = pharmacist.new_page()
    english(post, live_server)
    login(post, "pharmacist@example.com", accounts_demo.DEMO_PASSWORD)
    register_at_the_post(post, fare="Paid by card: the patient pays through the link")
    delivery = the_delivery(db)
    assert delivery.payment_method == "card" and delivery.fee > 0
    fare = rupiah(delivery.fee)
    message = sms("/medicine/")
    assert fare in message  # the SMS says the fare and carries the link
    link = re.search(r"(/medicine/[\w-]+)", message).group(1)

    # The patient's own phone: no account, no login.
    english(page, live_server)
    page.goto(link)
    expect(page.locator(".medicine-fare")).to_contain_text(f"Delivery fare: {fare}, by card.")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    expect(page.locator("#card-element input")).to_have_count(5)
    assert_accessible(page)
    pay_by_card(page, fare, "4000000000000002")
    expect(page.locator("#card-error")).to_contain_text("declined")
    pay_by_card(page, fare)
    page.wait_for_url(f"**{link}")
    expect(page.locator(".medicine-fare")).to_contain_text(f"Delivery fare: {fare}, paid by card. Thank you!")
    assert_accessible(page)

    post.goto(f"/rsud/deliveries/{delivery.id}")
    expect(post.locator("main")).to_contain_text("payment: paid")  # the status label, not the raw value
    pharmacist.close()
