"""Applying as a driver and the admin's verification: NIK checks, photo hygiene, roles, logging."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from portal import notify
from portal.accounts.models import Role
from portal.couriers import services
from portal.couriers.contract import DeliveryStatus
from portal.couriers.models import DriverProfile, DriverStatus, NikView
from portal.couriers.services import CourierError
from tests.couriers.factories import make_driver, requested
from tests.factories import UserFactory

NIK = "3510015508900001"  # a woman born 15 Aug 1990 (day + 40), first issued in Banyuwangi


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path):
    app.config["COURIER_PHOTO_DIR"] = str(tmp_path / "drivers")
    return tmp_path / "drivers"


def photo_bytes(fmt: str = "JPEG", size=(1600, 1200)) -> bytes:
    image = Image.new("RGB", size, "teal")
    exif = image.getexif()
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x0132] = "2026:11:01 10:00:00"
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif) if fmt != "PNG" else image.save(buffer, fmt)
    return buffer.getvalue()


def form(**overrides):
    data = {
        "nik": NIK,
        "ktp_address": "Jl. Ahmad Yani 12, RT 02 RW 01, Penganjuran, Banyuwangi",
        "vehicle": "trail",
        "plate": "p 1234 ab",
        "languages": ["id", "en"],
        "medicine_trained": "y",
        "photo": (io.BytesIO(photo_bytes()), "me.jpg"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def applicant(db):
    user = UserFactory(locale="en")
    db.session.commit()
    return user


def apply(auth, client, data):
    data = {"csrf_token": auth.csrf_token("/courier/apply"), **data}
    return client.post("/courier/apply", data=data, content_type="multipart/form-data")


def review(auth, client, applicant, admin) -> None:
    """The applicant sends the standard form; then the admin logs in to review it."""
    auth.login(applicant)
    apply(auth, client, form())
    auth.logout()
    auth.login(admin)


def test_apply_stores_the_nik_encrypted_and_the_photo_without_exif(db, client, auth, applicant, photo_dir):
    auth.login(applicant)
    response = apply(auth, client, form())
    assert response.status_code == 302
    profile = db.session.query(DriverProfile).one()
    assert profile.status == DriverStatus.PENDING and not profile.verified
    assert NIK not in profile.nik_encrypted and profile.nik_masked == "3510********0001"
    assert profile.plate == "P 1234 AB" and profile.vehicle == "trail" and profile.language_list == ["id", "en"]
    stored = Path(photo_dir / profile.photo)
    with Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) <= 800
        assert not image.getexif()  # no camera, no date, no GPS
    page = client.get("/courier/apply").get_data(as_text=True)
    assert "3510********0001" in page and NIK not in page
    assert not applicant.has_role(Role.DRIVER)


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("12345", "exactly 16 digits"),
        ("9910015508900001", "region code"),
        ("3510019908900001", "birth date"),
        ("3510015508900000", "0000"),
    ],
)
def test_a_bad_nik_is_explained_and_the_form_keeps_what_was_typed(db, client, auth, applicant, nik, message):
    auth.login(applicant)
    response = apply(auth, client, form(nik=nik))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert "Jl. Ahmad Yani 12" in page and "P 1234 AB" in page.upper()
    assert db.session.query(DriverProfile).count() == 0


def test_one_nik_one_driver(db, client, auth, applicant):
    auth.login(applicant)
    apply(auth, client, form())
    auth.logout()
    other = UserFactory(locale="en")
    db.session.commit()
    auth.login(other)
    response = apply(auth, client, form())
    assert response.status_code == 422 and "already registered" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((io.BytesIO(b"GIF89a not really"), "me.gif"), "Only JPEG, PNG or WebP"),
        ((io.BytesIO(b"\xff\xd8 this is not a jpeg"), "me.jpg"), "cannot be used"),
        ((io.BytesIO(b"x" * (5 * 1024 * 1024 + 10)), "huge.jpg"), "cannot be used"),
    ],
)
def test_bad_photos_are_refused(db, client, auth, applicant, upload, message):
    auth.login(applicant)
    response = apply(auth, client, form(photo=upload))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(DriverProfile).count() == 0


def test_png_and_webp_photos_are_accepted(db, client, auth, applicant):
    auth.login(applicant)
    assert apply(auth, client, form(photo=(io.BytesIO(photo_bytes("WEBP")), "me.webp"))).status_code == 302


def test_admin_verifies_grants_the_driver_role_and_tells_the_driver(db, client, auth, applicant, admin):
    notify.outbox.clear()
    review(auth, client, applicant, admin)
    listing = client.get("/admin/drivers").get_data(as_text=True)
    assert applicant.name in listing and "3510********0001" in listing and NIK not in listing
    profile = db.session.query(DriverProfile).one()
    detail = client.get(f"/admin/drivers/{profile.id}").get_data(as_text=True)
    # The KTP address is as personal as the NIK: it is shown only by the logged reveal.
    assert "Penganjuran" not in detail and NIK not in detail
    assert client.get(f"/admin/drivers/{profile.id}/photo").mimetype == "image/jpeg"
    assert db.session.query(NikView).count() == 0
    revealed = auth.post(f"/admin/drivers/{profile.id}/nik", page=f"/admin/drivers/{profile.id}")
    assert NIK in revealed.get_data(as_text=True) and "Penganjuran" in revealed.get_data(as_text=True)
    assert [(v.profile_id, v.viewer_id) for v in db.session.query(NikView)] == [(profile.id, admin.id)]
    auth.post(f"/admin/drivers/{profile.id}/verify", page=f"/admin/drivers/{profile.id}")
    db.session.refresh(profile)
    db.session.refresh(applicant)
    assert profile.verified and profile.verified_by_id == admin.id
    assert applicant.has_role(Role.DRIVER)
    assert any(m.user_id == applicant.id and "verified" in m.text for m in notify.outbox)


def test_admin_rejects_with_a_reason_and_the_applicant_may_try_again(db, client, auth, applicant, admin):
    notify.outbox.clear()
    review(auth, client, applicant, admin)
    profile = db.session.query(DriverProfile).one()
    empty = auth.post(f"/admin/drivers/{profile.id}/reject", {"reason": ""}, page=f"/admin/drivers/{profile.id}")
    assert empty.status_code == 422
    auth.post(
        f"/admin/drivers/{profile.id}/reject",
        {"reason": "KTP address is in Jember, not Banyuwangi"},
        page=f"/admin/drivers/{profile.id}",
    )
    db.session.refresh(profile)
    assert profile.status == DriverStatus.REJECTED
    told = [m.text for m in notify.outbox if m.user_id == applicant.id]
    assert told and "Jember" in told[-1]
    auth.logout()
    auth.login(applicant)
    page = client.get("/courier/apply").get_data(as_text=True)
    assert "Jember" in page and 'name="nik"' in page
    assert apply(auth, client, form(ktp_address="Dusun Krajan, Desa Kemiren, Glagah, Banyuwangi")).status_code == 302
    db.session.refresh(profile)
    assert profile.status == DriverStatus.PENDING


def test_only_admins_see_driver_applications(db, client, auth, applicant):
    auth.login(applicant)
    apply(auth, client, form())
    profile = db.session.query(DriverProfile).one()
    assert client.get("/admin/drivers").status_code == 403
    assert client.get(f"/admin/drivers/{profile.id}/photo").status_code == 403


def test_a_decompression_bomb_photo_is_refused_before_decoding(db, client, auth, applicant, photo_dir):
    """An 8000x8000 PNG of one colour is a few kilobytes but decodes to 64 megapixels."""
    bomb = io.BytesIO()
    Image.new("1", (8000, 8000)).save(bomb, "PNG", optimize=True)
    assert len(bomb.getvalue()) < 100_000
    auth.login(applicant)
    response = apply(auth, client, form(photo=(io.BytesIO(bomb.getvalue()), "me.png")))
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)
    assert db.session.query(DriverProfile).count() == 0
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


def test_a_fresh_application_replaces_the_old_photo_file(db, client, auth, applicant, photo_dir):
    auth.login(applicant)
    assert apply(auth, client, form()).status_code == 302
    profile = db.session.query(DriverProfile).one()
    first = profile.photo
    admin = UserFactory(roles=[Role.ADMIN])
    services.reject_driver(profile, by=admin, reason="Blurry photo")
    db.session.commit()
    assert apply(auth, client, form(photo=(io.BytesIO(photo_bytes("PNG")), "me.png"))).status_code == 302
    db.session.refresh(profile)
    assert profile.photo != first and [p.name for p in photo_dir.iterdir()] == [profile.photo]


def profile_of(db, user) -> DriverProfile:
    return db.session.query(DriverProfile).filter_by(user_id=user.id).one()


def decisions(profile: DriverProfile) -> list[tuple[str | None, str, str | None, str]]:
    return [(e.from_status, e.status, e.by.email if e.by else None, e.note) for e in profile.events]


def test_verifying_and_rejecting_are_moves_that_name_the_admin(db, client, auth, applicant, admin):
    review(auth, client, applicant, admin)
    profile = profile_of(db, applicant)
    page = f"/admin/drivers/{profile.id}"
    auth.post(f"{page}/reject", {"reason": "Photo is blurred"}, page=page)
    db.session.refresh(profile)
    assert decisions(profile) == [("pending", "rejected", admin.email, "Photo is blurred")]
    auth.logout()
    auth.login(applicant)
    apply(auth, client, form())  # a fresh try
    auth.logout()
    auth.login(admin)
    auth.post(f"{page}/verify", page=page)
    db.session.refresh(profile)
    assert profile.status == DriverStatus.VERIFIED
    assert decisions(profile)[1:] == [
        ("rejected", "pending", applicant.email, "applied again"),
        ("pending", "verified", admin.email, ""),
    ]
    shown = client.get(page).get_data(as_text=True)
    assert "Decisions" in shown and admin.name in shown


def test_withdrawing_and_barring_name_the_admin_and_barred_is_for_good(db, client, auth, applicant, admin):
    review(auth, client, applicant, admin)
    profile = profile_of(db, applicant)
    page = f"/admin/drivers/{profile.id}"
    auth.post(f"{page}/verify", page=page)
    auth.post(f"{page}/reject", {"reason": "Complaints"}, page=page)  # withdraw
    auth.post(f"{page}/reject", {"reason": "Fraud", "for_good": "y"}, page=page)
    db.session.refresh(profile)
    assert [(old, new, by) for old, new, by, _ in decisions(profile)] == [
        ("pending", "verified", admin.email),
        ("verified", "rejected", admin.email),
        ("rejected", "barred", admin.email),
    ]
    assert profile.status == DriverStatus.BARRED and profile.reject_reason == "Fraud"
    shown = client.get(page).get_data(as_text=True)
    assert "Verify driver" not in shown and "Withdraw verification" not in shown  # nothing leaves barred
    with pytest.raises(CourierError, match="cannot apply"):
        services.apply_as_driver(
            applicant,
            nik_value="3510015508900001",
            ktp_address="Jl. Ahmad Yani 12",
            vehicle="trail",
            plate="P 1 A",
            photo=None,
            languages=["id"],
            medicine_trained=False,
        )


def test_removing_the_role_on_the_users_page_is_a_move_that_names_the_admin(db, client, auth, admin, customer):
    driver = make_driver()
    db.session.commit()
    job = requested(customer)
    auth.login(admin)
    auth.post(f"/admin/users/{driver.id}/roles/driver/revoke", {"confirmed": "1"}, page="/admin/users")
    profile = profile_of(db, driver)
    db.session.refresh(profile)
    assert profile.status == DriverStatus.REJECTED and not profile.online
    assert decisions(profile) == [("verified", "rejected", admin.email, "driver role removed")]
    db.session.refresh(job)
    assert job.status == DeliveryStatus.FINDING_DRIVER  # nobody's job: nothing to hand back
