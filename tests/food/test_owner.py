"""The warung owner: profile and hours, verification, menu, photos, sold out today."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from PIL import Image
from wtforms import IntegerField

from portal.accounts.models import Role
from portal.food import services as food
from portal.food.models import Dish, Warung, WarungStatus
from portal.forms import Form
from portal.workflow import IllegalMove
from tests.factories import UserFactory
from tests.food.conftest import NOON
from tests.food.factories import DishFactory, WarungFactory


def jpeg(size=(800, 600), exif: bool = True, fmt: str = "JPEG") -> io.BytesIO:
    image = Image.new("RGB", size, (200, 80, 40))
    buffer = io.BytesIO()
    if exif and fmt == "JPEG":
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {2: (8.0, 13.0, 0.0)}  # GPS latitude
        image.save(buffer, fmt, exif=data.tobytes())
    else:
        image.save(buffer, fmt)
    buffer.seek(0)
    return buffer


WARUNG_FORM = {
    "name": "Warung Sego Tempong Mak Jah",
    "description": "Pedasnya nampol",
    "address": "Jl. Kepiting 12, Banyuwangi",
    "latitude": "-8.2089",
    "longitude": "114.3752",
    "phone": "0812 3456 7890",
    "hours_0": "07:00-14:00, 17:00-02:00",
    "hours_1": "07:00-14:00",
}


@pytest.fixture
def new_owner(db):
    user = UserFactory(roles=[Role.OWNER], locale="id")
    db.session.commit()
    return user


def test_owner_creates_warung_with_hours_that_cross_midnight_and_waits_for_admin(client, auth, db, new_owner, admin):
    auth.login(new_owner)
    response = auth.post("/my/warung", WARUNG_FORM, page="/my/warung")
    assert response.status_code == 302
    warung = db.session.query(Warung).one()
    assert warung.status == WarungStatus.PENDING
    assert warung.phone == "+6281234567890"
    assert [(p.weekday, p.text) for p in warung.periods] == [(0, "07:00–14:00"), (0, "17:00–02:00"), (1, "07:00–14:00")]
    # Monday 23:30 WIB open; Tuesday 01:30 WIB still open (Monday's period); Tuesday 15:00 closed.
    assert warung.is_open(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert warung.is_open(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    assert not warung.is_open(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    # Not listed before verification.
    assert "Mak Jah" not in client.get("/warungs").get_data(as_text=True)

    auth.logout()
    auth.login(admin)
    assert "Mak Jah" in client.get("/admin/warungs").get_data(as_text=True)
    auth.post(f"/admin/warungs/{warung.id}/verify", page="/admin/warungs")
    db.session.refresh(warung)
    assert warung.status == WarungStatus.VERIFIED
    assert "Mak Jah" in client.get("/warungs").get_data(as_text=True)


def test_every_admin_decision_is_an_event_naming_the_admin(db, admin):
    warung = WarungFactory(status=WarungStatus.PENDING)
    db.session.commit()
    food.verify_warung(warung, by=admin, now=NOON)
    db.session.commit()
    [approved] = warung.events
    assert (approved.from_status, approved.status, approved.by, approved.at) == ("pending", "verified", admin, NOON)
    assert warung.verified_at == NOON and warung.verified
    food.reject_warung(warung, by=admin, reason="Alamat tidak ditemukan")
    food.close_warung(warung, by=admin, reason="Pemilik pindah ke Jember")
    db.session.commit()
    assert [(e.status, e.note) for e in warung.events[1:]] == [
        ("rejected", "Alamat tidak ditemukan"),
        ("closed", "Pemilik pindah ke Jember"),
    ]
    assert warung.reject_reason == "Alamat tidak ditemukan" and warung.status == WarungStatus.CLOSED


def test_an_illegal_decision_raises_and_changes_nothing(client, auth, db, warung, admin):
    """A verified warung cannot be verified again; a closed one never comes back."""
    verified_at = warung.verified_at
    with pytest.raises(IllegalMove):
        food.verify_warung(warung, by=admin)
    db.session.rollback()
    assert warung.status == WarungStatus.VERIFIED and warung.verified_at == verified_at and warung.events == []
    auth.login(admin)
    response = auth.post(f"/admin/warungs/{warung.id}/verify", page="/admin/warungs")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "verified and cannot become verified" in page
    food.close_warung(warung, by=admin, reason="Tutup usaha")
    db.session.commit()
    with pytest.raises(IllegalMove):
        food.verify_warung(warung, by=admin)
    db.session.rollback()
    assert warung.status == WarungStatus.CLOSED and len(warung.events) == 1


def test_bad_hours_and_missing_pin_keep_everything_typed(client, auth, db, new_owner):
    auth.login(new_owner)
    data = {**WARUNG_FORM, "hours_2": "pagi sampai sore", "latitude": ""}
    response = auth.post("/my/warung", data, page="/my/warung")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tulis jam seperti" in html
    assert 'value="Warung Sego Tempong Mak Jah"' in html
    assert 'value="pagi sampai sore"' in html
    assert db.session.query(Warung).count() == 0


def test_open_now_sql_matches_python(db):
    WarungFactory(hours=[(0, 17 * 60, 2 * 60)])  # Monday 17:00-02:00
    closed_today = WarungFactory()
    db.session.commit()
    food.set_closed_today(closed_today, True, now=NOON)
    for moment in (
        datetime(2026, 11, 23, 11, 0, tzinfo=UTC),  # Mon 18:00
        datetime(2026, 11, 23, 18, 0, tzinfo=UTC),  # Tue 01:00
        datetime(2026, 11, 23, 20, 0, tzinfo=UTC),  # Tue 03:00
        NOON,
    ):
        rows = db.session.execute(food.search_warungs(now=moment)).all()
        assert {w.id: bool(o) for w, o in rows} == {w.id: w.is_open(moment) for w, _o in rows}
    assert not closed_today.is_open(NOON)
    assert closed_today.is_open(NOON + timedelta(days=1))  # "closed today" ends by itself


def test_menu_crud_prices_and_photos(client, auth, db, warung, uploads):
    auth.login(warung.owner)
    response = auth.post(
        "/my/warung/dishes",
        {"name": "Sego Tempong", "price": "22000", "category": "Nasi", "photo": (jpeg(), "tempong.jpg")},
        page="/my/warung/dishes",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    dish = db.session.query(Dish).one()
    assert dish.price == 22000 and dish.photo
    full = Image.open(uploads / f"{dish.photo}-full.webp")
    assert full.format == "WEBP" and max(full.size) <= 1200
    assert not full.getexif()  # EXIF (and the GPS position) is gone
    assert max(Image.open(uploads / f"{dish.photo}-thumb.webp").size) <= 160
    photo = client.get(f"/media/food/{dish.photo}-thumb.webp")
    assert photo.status_code == 200 and "immutable" in photo.headers["Cache-Control"]

    for price, message in (("0", "lebih dari Rp0"), ("-5", "lebih dari Rp0"), ("999999999", "terlalu tinggi")):
        response = auth.post(
            f"/my/warung/dishes/{dish.id}", {"name": "Sego Tempong Baru", "price": price}, page="/my/warung/dishes"
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert 'value="Sego Tempong Baru"' in response.get_data(as_text=True)
    db.session.refresh(dish)
    assert dish.price == 22000 and dish.name == "Sego Tempong"

    # Prices as an owner writes them: dots between thousands, "Rp", ",-".
    for written, price in (("25.000", 25000), ("Rp 15.000,-", 15000), ("rp1.250.000", 1250000), (" 8000 ", 8000)):
        response = auth.post(f"/my/warung/dishes/{dish.id}", {"name": "Sego Tempong", "price": written})
        assert response.status_code == 302, written
        db.session.refresh(dish)
        assert dish.price == price, written
    # Anything else: one message, in Indonesian, and what was typed stays.
    for written in ("25,5", "dua puluh ribu", "25.00", "1.2345"):
        response = auth.post(f"/my/warung/dishes/{dish.id}", {"name": "Sego Tempong", "price": written})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, written
        assert "Tulis harga dalam rupiah bulat" in html and "Rp0" not in html and "terlalu tinggi" not in html
        assert f'value="{written}"' in html
    db.session.refresh(dish)
    assert dish.price == 8000


def test_wtforms_own_messages_are_in_indonesian_too(app):
    """WTForms ships no Indonesian; its messages ("Not a valid integer value.") come from ours."""

    class Numbers(Form):
        class Meta(Form.Meta):
            csrf = False

        n = IntegerField()

    for language, message in (
        ("id", "Harus berupa bilangan bulat, tanpa titik atau koma."),
        ("en", "Not a valid integer value."),
    ):
        with app.test_request_context(data={"n": "dua"}, method="POST"), force_locale(language):
            form = Numbers()
            assert not form.validate()
            assert form.n.errors == [message]


def test_fake_and_huge_photos_are_refused_and_nothing_is_saved(client, auth, db, warung):
    auth.login(warung.owner)
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    response = auth.post(
        "/my/warung/dishes",
        {"name": "Rujak Soto", "price": "25000", "photo": (pdf, "rujak.jpg")},
        page="/my/warung/dishes",
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "bukan foto" in html and 'value="Rujak Soto"' in html
    huge = io.BytesIO(b"\xff\xd8\xff" + b"0" * (30 * 1024 * 1024))
    response = auth.post(
        "/my/warung/dishes",
        {"name": "Rujak Soto", "price": "25000", "photo": (huge, "big.jpg")},
        page="/my/warung/dishes",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "terlalu besar" in response.get_data(as_text=True)
    assert db.session.query(Dish).count() == 0


def test_sold_out_today_in_one_tap_and_back_tomorrow(client, auth, db, dishes):
    dish = dishes[0]
    auth.login(dish.warung.owner)
    token = auth.csrf_token("/my/warung/dishes")
    response = client.post(
        f"/my/warung/dishes/{dish.id}/sold-out",
        data={"sold_out": "1", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="dish-{dish.id}"') and "Tersedia lagi" in html
    db.session.refresh(dish)
    assert dish.sold_out()
    assert not dish.sold_out(datetime.now(UTC) + timedelta(days=1))
    menu = client.get(f"/warungs/{dish.warung.slug}").get_data(as_text=True)
    assert "Habis hari ini" in menu
    # Without JS: a plain form post redirects back to the menu editor.
    response = client.post(f"/my/warung/dishes/{dish.id}/sold-out", data={"sold_out": "0", "csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(dish)
    assert not dish.sold_out()


def test_reorder_and_delete(client, auth, db, dishes):
    auth.login(dishes[0].warung.owner)
    auth.post(f"/my/warung/dishes/{dishes[2].id}/move", {"direction": "up"}, page="/my/warung/dishes")
    order = [d.name for d in db.session.query(Dish).order_by(Dish.position)]
    assert order == ["Rujak Soto", "Es Temulawak", "Sego Tempong"]
    auth.post(f"/my/warung/dishes/{dishes[1].id}/delete", page="/my/warung/dishes")
    assert db.session.query(Dish).count() == 2


def test_owner_cannot_touch_another_owners_dish(client, auth, db, dishes):
    other = WarungFactory()
    db.session.commit()
    auth.login(other.owner)
    dish = dishes[0]
    assert client.get(f"/my/warung/dishes/{dish.id}").status_code == 404
    response = auth.post(f"/my/warung/dishes/{dish.id}/sold-out", {"sold_out": "1"}, page="/my/warung/dishes")
    assert response.status_code == 404
    assert auth.post(f"/my/warung/dishes/{dish.id}/delete", page="/my/warung/dishes").status_code == 404
    db.session.refresh(dish)
    assert not dish.sold_out()


def test_customer_gets_403_on_owner_pages(client, auth, customer):
    auth.login(customer)
    assert client.get("/my/warung/dishes").status_code == 403
    assert client.get("/my/warung/orders").status_code == 403


def test_pending_warung_menu_is_hidden_from_public(client, db):
    warung = WarungFactory(status=WarungStatus.PENDING)
    DishFactory(warung=warung)
    db.session.commit()
    assert client.get(f"/warungs/{warung.slug}").status_code == 404
