"""The demo driver goes online on a phone, takes a document delivery, hands it over with the
recipient's PIN, and the customer's tracking page (already open) turns to "Delivered"."""

from __future__ import annotations

from datetime import timedelta

from PIL import Image
from playwright.sync_api import expect

from portal.accounts import demo as accounts_demo
from portal.accounts.models import Role
from portal.accounts.services import find_by_email
from portal.couriers import demo, services
from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery
from portal.rides import services as rides
from tests.browser.conftest import PHONE, assert_accessible, login
from tests.couriers.factories import make_job
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.rides import factories as ride_factories

OLD_CARD = "the old KTP-el card"


def test_driver_accepts_picks_up_and_delivers_with_the_pin(page, browser, live_server, db):
    accounts_demo.seed()
    demo.seed()
    driver = find_by_email("driver@example.com")
    customer = find_by_email("resident@example.com")
    driver.locale = customer.locale = "en"
    services.driver_profile(driver).online = False
    job = make_job(Purpose.DOCUMENT, pin=True, receivers=("Siti Aminah (patient)", "Budi (son)"), collect=OLD_CARD)
    delivery = services.request_delivery(job, origin_id=1, customer=customer)
    pin = delivery.issued_pin
    db.session.commit()
    delivery_id = delivery.id

    # The customer watches the tracking page on their own phone.
    customer_context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    watcher = customer_context.new_page()
    login(watcher, "resident@example.com", accounts_demo.DEMO_PASSWORD)
    watcher.goto(f"/deliveries/{delivery_id}")
    expect(watcher.locator(".tracking-status")).to_contain_text("Finding a courier")
    assert_accessible(watcher)

    login(page, "driver@example.com", accounts_demo.DEMO_PASSWORD)
    page.goto("/courier")
    expect(page.get_by_role("heading", name="Courier work")).to_be_visible()
    page.get_by_role("button", name="Go online").click()
    expect(page.get_by_text("You are online")).to_be_visible()
    open_jobs = page.locator("#open-jobs")
    expect(open_jobs).to_contain_text("Warung Bu Sri")
    expect(open_jobs).not_to_contain_text("Homestay Kemiren")  # drop-off hidden until accepted
    expect(open_jobs.locator(".dropoff-area")).to_contain_text("near Glagah")  # only its area and distance
    expect(open_jobs).not_to_contain_text("Budi (son)")
    assert_accessible(page)

    expect(open_jobs.locator(".job-title")).to_have_text("Documents: Warung Bu Sri → near Glagah")
    open_jobs.get_by_role("button", name="Accept: Documents: Warung Bu Sri → near Glagah").click()
    expect(page.get_by_text("The job is yours.")).to_be_visible()
    expect(page.locator(".dropoff")).to_contain_text("Homestay Kemiren")
    expect(page.locator("#collect")).to_contain_text(OLD_CARD)
    assert_accessible(page)
    expect(watcher.locator(".tracking-courier")).to_contain_text("Pak Hasan", timeout=15_000)

    page.get_by_role("button", name="Picked up").click()
    page.get_by_label("Recipient's PIN").fill("0000" if pin != "0000" else "1111")
    page.get_by_label("Who took it?").select_option("Budi (son)")
    page.get_by_label(f"I took back {OLD_CARD}").check()
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Wrong PIN. 4 tries left.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Recipient's PIN").fill(pin)
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Delivered. Thank you!")).to_be_visible()
    db.session.rollback()  # end this test's read snapshot: the server committed since
    delivered = db.session.get(Delivery, delivery_id)
    assert delivered.received_by == "Budi (son)" and delivered.collected is True
    expect(page.locator(".courier-earnings")).not_to_have_text("Rp0")

    expect(watcher.locator(".tracking-status")).to_contain_text("Delivered", timeout=15_000)
    assert_accessible(watcher)
    customer_context.close()


def test_a_resident_applies_and_the_admin_verifies_them(page, browser, live_server, db, app, tmp_path):
    app.config["COURIER_PHOTO_DIR"] = str(tmp_path / "drivers")
    applicant = UserFactory(name="Wayan Applicant", locale="en")
    UserFactory(email="boss@example.com", roles=[Role.ADMIN], locale="en")
    db.session.commit()
    photo = tmp_path / "me.jpg"
    Image.new("RGB", (640, 480), "teal").save(photo, "JPEG")

    login(page, applicant.email, DEMO_PASSWORD)
    page.goto("/courier/apply")
    expect(page.get_by_role("heading", name="Become a Gancang driver")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("NIK (16 digits, from your KTP)").fill("3510015508900009")
    page.get_by_label("Address on your KTP").fill("Jl. Ahmad Yani 12, Penganjuran, Banyuwangi")
    page.get_by_label("Trail bike").check()
    page.get_by_label("Plate number").fill("p 9876 xy")
    page.get_by_label("Photo of your face (JPEG, PNG or WebP, up to 5 MB)").set_input_files(str(photo))
    page.get_by_label("English").check()
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text("An officer will check your application")).to_be_visible()
    expect(page.get_by_text("3510********0009")).to_be_visible()
    assert_accessible(page)

    admin_context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    admin = admin_context.new_page()
    login(admin, "boss@example.com", DEMO_PASSWORD)
    admin.goto("/admin/drivers")
    assert_accessible(admin)
    admin.get_by_role("button", name="Check").click()
    expect(admin.locator(".ktp-address")).not_to_contain_text("Penganjuran")  # only by the logged reveal
    assert_accessible(admin)
    admin.get_by_role("button", name="Show full NIK and KTP address (logged)").click()
    expect(admin.locator(".full-nik")).to_have_text("3510015508900009")
    expect(admin.locator(".ktp-address")).to_contain_text("Penganjuran")
    expect(admin.get_by_role("img", name="Photo of Wayan Applicant")).to_have_js_property("naturalWidth", 640)
    admin.get_by_role("button", name="Verify driver").click()
    expect(admin.get_by_text("Wayan Applicant is now a verified driver.")).to_be_visible()
    admin_context.close()

    page.goto("/courier")
    expect(page.get_by_role("button", name="Go online")).to_be_visible()
    assert_accessible(page)

    # A tourist's first ride with the new driver: the card shows the uploaded face (not a broken image).
    db.session.rollback()  # a fresh snapshot: the app has written since this session last read
    night = rides.next_bookable_night() + timedelta(days=1)
    booking = ride_factories.paid_booking(
        app,
        ride_factories.package(),
        night,
        customer=UserFactory(email="emma@example.com", locale="en"),
        driver_user=applicant,
    )
    tourist_context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    tourist = tourist_context.new_page()
    login(tourist, "emma@example.com", DEMO_PASSWORD)
    tourist.goto(f"/rides/bookings/{booking.id}")
    expect(tourist.locator("#driver-name")).to_have_text("Wayan Applicant")
    expect(tourist.get_by_role("img", name="Photo of Wayan Applicant")).to_have_js_property("naturalWidth", 640)
    assert_accessible(tourist)
    tourist_context.close()
