"""The promotions as people meet them: the office's pages, the owner's opt-in, the visitor's cards."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from portal.database import utcnow
from portal.food import routes as food_routes
from portal.formatting import today_wib
from portal.promotions import services as promo
from portal.promotions.models import Collection, CollectionWarung, EntryStatus, Festival, FestivalEntry
from tests.factories import UserFactory
from tests.food.factories import WarungFactory
from tests.food.test_menu_and_cart import QueryCounter
from tests.promotions.factories import CollectionFactory, EntryFactory, FestivalFactory


@pytest.fixture
def current(db):
    """A festival running now (the pages read the real clock)."""
    now = utcnow()
    festival = FestivalFactory(
        slug="pesta-kuliner",
        name_id="Pesta Kuliner Banyuwangi",
        name_en="Banyuwangi Food Festival",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    db.session.commit()
    return festival


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 120, 40)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


FESTIVAL_FORM = {
    "name_id": "Pesta Kuliner Banyuwangi",
    "name_en": "Banyuwangi Food Festival",
    "description_id": "Tiga hari sego tempong.",
    "description_en": "Three days of sego tempong.",
    "starts_at": "2026-06-12T08:00",
    "ends_at": "2026-06-14T22:00",
}


# ---------------------------------------------------------------------------------------------
# The tourism office


def test_only_the_office_and_admins_reach_the_office(client, auth, db, promoter, customer):
    assert client.get("/promotions").status_code == 302  # to login
    auth.login(customer)
    assert client.get("/promotions").status_code == 403
    auth.logout()
    admin = UserFactory(roles=["admin"])
    db.session.commit()
    auth.login(admin)
    assert client.get("/promotions").status_code == 200
    auth.logout()
    auth.login(promoter)
    page = client.get("/promotions").get_data(as_text=True)
    assert "New festival" in page
    assert 'href="/promotions"' in client.get("/").get_data(as_text=True)  # in the menu


def test_the_office_creates_a_festival_in_both_languages_times_in_wib(client, auth, db, promoter):
    auth.login(promoter)
    response = auth.post(
        "/promotions/festivals/new", {**FESTIVAL_FORM, "cover": (png(), "cover.png")}, page="/promotions/festivals/new"
    )
    assert response.status_code == 302
    festival = db.session.query(Festival).one()
    assert (festival.slug, festival.name_en) == ("banyuwangi-food-festival", "Banyuwangi Food Festival")
    assert festival.starts_at.isoformat() == "2026-06-12T01:00:00+00:00"  # 08:00 WIB
    assert festival.cover
    page = client.get(response.location).get_data(as_text=True)
    assert 'value="2026-06-12T08:00"' in page  # shown again in WIB


def test_a_festival_ending_before_it_starts_says_so_and_keeps_the_form(client, auth, db, promoter):
    auth.login(promoter)
    response = auth.post(
        "/promotions/festivals/new", {**FESTIVAL_FORM, "ends_at": "2026-06-11T08:00"}, page="/promotions/festivals/new"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The festival must end after it starts." in html
    assert 'value="Banyuwangi Food Festival"' in html
    assert db.session.query(Festival).count() == 0


def test_a_collection_ending_before_it_starts_is_refused_in_indonesian_too(client, auth, db, promoter):
    promoter.locale = "id"
    db.session.commit()
    auth.login(promoter)
    data = {"title_id": "Khas Banyuwangi", "starts_on": "2026-12-10", "ends_on": "2026-12-01"}
    response = auth.post("/promotions/collections/new", data, page="/promotions/collections/new")
    assert response.status_code == 422
    assert "Hari terakhir tidak boleh sebelum hari pertama." in response.get_data(as_text=True)
    assert db.session.query(Collection).count() == 0


def test_the_office_orders_a_collections_warungs(client, auth, db, promoter):
    collection = CollectionFactory()
    first, second = WarungFactory(name="Warung Pertama"), WarungFactory(name="Warung Kedua")
    db.session.commit()
    auth.login(promoter)
    page = f"/promotions/collections/{collection.id}"
    for warung in (first, second):
        assert auth.post(f"{page}/warungs", {"add-warung_id": warung.id}, page=page).status_code == 302
    auth.post(f"{page}/warungs/{second.id}/up", page=page)
    db.session.expire_all()
    assert [item.warung.name for item in collection.items] == ["Warung Kedua", "Warung Pertama"]
    html = client.get(page).get_data(as_text=True)
    assert html.index("Warung Kedua") < html.index("Warung Pertama")


def test_the_office_approves_and_rejects_entries_with_a_trail(client, auth, db, promoter, current):
    yes, no = (
        EntryFactory(festival=current, status=EntryStatus.APPLIED),
        EntryFactory(festival=current, status=EntryStatus.APPLIED),
    )
    db.session.commit()
    auth.login(promoter)
    page = f"/promotions/festivals/{current.id}"
    assert auth.post(f"/promotions/entries/{yes.id}/approve", page=page).status_code == 302
    auth.post(f"/promotions/entries/{no.id}/reject", {"reason": ""}, page=page)
    db.session.expire_all()
    assert no.status == EntryStatus.APPLIED  # no reason, no decision
    auth.post(f"/promotions/entries/{no.id}/reject", {"reason": "Menu belum lengkap"}, page=page)
    db.session.expire_all()
    assert (yes.status, no.status) == (EntryStatus.APPROVED, EntryStatus.REJECTED)
    assert (yes.events[-1].by_id, no.events[-1].note) == (promoter.id, "Menu belum lengkap")
    html = client.get(page).get_data(as_text=True)
    assert "Tourism Office" in html and "Menu belum lengkap" in html  # who decided, and why


# ---------------------------------------------------------------------------------------------
# The owner


def test_the_owner_opts_in_once_and_sees_the_status(client, auth, db, owner, warung, current):
    owner.locale = "en"
    db.session.commit()
    auth.login(owner)
    page = client.get("/my/warung").get_data(as_text=True)
    assert "Banyuwangi Food Festival" in page and "Take part" in page
    url = f"/my/warung/festivals/{current.id}/join"
    client.post(url, data={"csrf_token": auth.csrf_token("/my/warung")})
    again = client.post(url, data={"csrf_token": auth.csrf_token("/my/warung")}, follow_redirects=True)
    assert "You have already applied; the tourism office will decide." in again.get_data(as_text=True)
    assert db.session.query(FestivalEntry).count() == 1
    assert "Waiting for approval" in client.get("/my/warung").get_data(as_text=True)


def test_an_owner_cannot_act_for_another_warung(client, auth, db, current):
    other = WarungFactory()
    EntryFactory(festival=current, warung=other)
    lonely = UserFactory(roles=["owner"])  # an owner without a warung
    db.session.commit()
    auth.login(lonely)
    token = auth.csrf_token("/")
    assert client.post(f"/my/warung/festivals/{current.id}/withdraw", data={"csrf_token": token}).status_code == 404
    assert db.session.query(FestivalEntry).one().status == EntryStatus.APPROVED


# ---------------------------------------------------------------------------------------------
# The visitor


def test_visitors_see_the_festival_the_collection_and_the_badges(client, db, current):
    inside = WarungFactory(name="Warung Ikut", slug="warung-ikut")
    outside = WarungFactory(name="Warung Lain", slug="warung-lain")
    EntryFactory(festival=current, warung=inside)
    collection = CollectionFactory(title_id="Khas Banyuwangi", slug="khas-banyuwangi", starts_on=today_wib())
    collection.ends_on = collection.starts_on + timedelta(days=30)
    db.session.flush()
    collection.items.append(CollectionWarung(warung=outside))
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "Pesta Kuliner Banyuwangi" in home and "Khas Banyuwangi" in home
    listing = client.get("/warungs").get_data(as_text=True)
    card_in = listing[listing.index("Warung Ikut") :].split("</article>")[0]
    card_out = listing[listing.index("Warung Lain") :].split("</article>")[0]
    assert "festival-badge" in card_in and "festival-badge" not in card_out
    assert "festival-badge" in client.get("/warungs/warung-ikut").get_data(as_text=True)
    assert "festival-badge" not in client.get("/warungs/warung-lain").get_data(as_text=True)
    assert "Warung Lain" in client.get("/collections/khas-banyuwangi").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get("/festivals/pesta-kuliner").get_data(as_text=True)
    assert "Banyuwangi Food Festival" in english and "Warung Ikut" in english


def test_the_badge_leaves_the_cached_menu_when_the_warung_withdraws(client, db, current, promoter):
    warung = WarungFactory(slug="warung-ikut")
    entry = EntryFactory(festival=current, warung=warung)
    db.session.commit()
    assert "festival-badge" in client.get("/warungs/warung-ikut").get_data(as_text=True)
    promo.withdraw(entry, by=warung.owner)
    db.session.commit()
    assert "festival-badge" not in client.get("/warungs/warung-ikut").get_data(as_text=True)


def test_the_festival_page_lists_open_warungs_first(client, db, current):
    EntryFactory(festival=current, warung=WarungFactory(name="A Tutup", hours=[]))
    EntryFactory(festival=current, warung=WarungFactory(name="Z Buka"))
    EntryFactory(festival=current, warung=WarungFactory(name="B Menunggu"), status=EntryStatus.APPLIED)
    db.session.commit()
    html = client.get("/festivals/pesta-kuliner").get_data(as_text=True)
    assert html.index("Z Buka") < html.index("A Tutup")
    assert "B Menunggu" not in html
    assert client.get("/festivals/nope").status_code == 404


def test_a_collection_outside_its_dates_is_not_shown(client, db):
    CollectionFactory(slug="lama", starts_on=today_wib() - timedelta(days=30), ends_on=today_wib() - timedelta(days=2))
    db.session.commit()
    assert client.get("/collections/lama").status_code == 404


def _crowd(db, festival, n: int) -> None:
    collection = CollectionFactory(starts_on=today_wib() - timedelta(days=1), ends_on=today_wib() + timedelta(days=1))
    db.session.flush()
    for i in range(n):
        warung = WarungFactory(name=f"Warung {i:02d}")
        EntryFactory(festival=festival, warung=warung)
        collection.items.append(CollectionWarung(warung=warung, position=i))
    db.session.commit()


@pytest.mark.parametrize("path", ["/", "/warungs", "/festivals/pesta-kuliner"])
def test_query_counts_do_not_grow_with_the_warungs(client, db, current, path):
    _crowd(db, current, 1)
    client.get(path)
    food_routes.WARUNG_PAGES.clear()  # the list is kept (a page rendered for its stamps): measure a render
    with QueryCounter() as few:
        assert client.get(path).status_code == 200
    _crowd(db, current, 12)
    food_routes.MENU_PAGES.clear()
    food_routes.WARUNG_PAGES.clear()
    with QueryCounter() as many:
        html = client.get(path).get_data(as_text=True)
    assert many.count == few.count, "\n".join(s[:80] for s in many.statements)
    # Anonymous: the page's own query, the festivals not yet over and the collections. The cards'
    # ratings come with the warungs (their counters); hours ("opens at 10:00") are one more
    # query for the whole page, and only when it lists a closed warung (food.warung_cards).
    # The list reads its stamps first (one more query), so that the next visit is that one alone.
    assert many.count <= (5 if path == "/warungs" else 3)
    if path != "/":
        assert html.count("festival-badge") >= 13 or path == "/festivals/pesta-kuliner"


def test_the_search_fragment_keeps_the_badges_and_leaves_the_showcase_out(client, db, current):
    EntryFactory(festival=current, warung=WarungFactory(name="Warung Ikut"))
    db.session.commit()
    fragment = client.get("/warungs?q=ikut", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="results"')
    assert "festival-badge" in fragment and "festival-card" not in fragment
    assert "festival-card" not in client.get("/warungs?q=ikut").get_data(as_text=True)  # a search: the list only
    assert "festival-card" in client.get("/warungs").get_data(as_text=True)
