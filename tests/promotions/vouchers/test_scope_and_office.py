"""A voucher for a festival (its approved warungs) or a collection (its warungs); the office's
pages to create and edit vouchers; the figures the dashboard reads."""

from __future__ import annotations

import html as htmllib
from datetime import date

import pytest

from portal.accounts.models import Role
from portal.promotions.models import CollectionWarung, EntryStatus
from portal.promotions.vouchers import demo
from portal.promotions.vouchers import services as vouchers
from portal.promotions.vouchers.models import Voucher
from tests.factories import UserFactory
from tests.food.factories import WarungFactory
from tests.promotions.factories import CollectionFactory, EntryFactory, FestivalFactory
from tests.promotions.vouchers.factories import VoucherFactory
from tests.promotions.vouchers.test_rules import place, review


def test_a_festival_voucher_is_for_its_approved_warungs_only(db, customer, cart):
    festival = FestivalFactory()
    EntryFactory(festival=festival, warung=cart, status=EntryStatus.APPLIED)
    VoucherFactory(code="FESTIVAL", festival=festival)
    db.session.commit()
    refused = review(customer, cart, "festival")
    assert refused.discount == 0 and refused.voucher_problem == "This voucher is not for Warung Bu Ati."
    entry = festival.entries[0]
    entry.status = EntryStatus.APPROVED
    db.session.commit()
    assert review(customer, cart, "festival").discount == 10_000


def test_a_collection_voucher_is_for_the_collections_warungs(db, customer, cart):
    collection = CollectionFactory()
    other = WarungFactory()
    collection.items.append(CollectionWarung(warung=other, position=0))
    VoucherFactory(code="KHAS", collection=collection)
    db.session.commit()
    assert review(customer, cart, "khas").voucher_problem == "This voucher is not for Warung Bu Ati."
    collection.items.append(CollectionWarung(warung=cart, position=1))
    db.session.commit()
    assert review(customer, cart, "khas").discount == 10_000


def test_scope_totals_for_the_dashboard(db, customer, cart):
    festival = FestivalFactory()
    EntryFactory(festival=festival, warung=cart)
    voucher = VoucherFactory(code="DASH", festival=festival, budget=200_000)
    VoucherFactory(code=None, festival=festival, budget=50_000, amount=5_000)
    db.session.commit()
    place(customer, cart, "dash")
    db.session.commit()
    totals = vouchers.scope_totals(festival_id=festival.id)
    assert (totals.vouchers, totals.budget, totals.used, totals.left) == (2, 250_000, 10_000, 240_000)
    assert (totals.orders, totals.customers, totals.reserved) == (1, 1, 0)
    (line,) = vouchers.budget_lines([voucher.id])
    assert (line.used, line.left, line.orders) == (10_000, 190_000, 1)


@pytest.fixture
def promoter(db):
    user = UserFactory(roles=[Role.PROMOTER], locale="en")
    db.session.commit()
    return user


def office_form(**extra) -> dict:
    return {
        "name": "Pesta Kuliner 10rb",
        "name_en": "Food Festival 10k",
        "code": " pesta 10 ",
        "scope": "all",
        "kind": "amount",
        "amount": "10000",
        "percent": "",
        "cap": "",
        "min_order": "30000",
        "budget": "5000000",
        "per_user_limit": "1",
        "starts_on": "2026-12-12",
        "ends_on": "2026-12-14",
        "opens": "10:00",
        "closes": "21:00",
        "active": "y",
        **extra,
    }


def test_a_promoter_creates_and_edits_a_voucher(client, auth, db, promoter):
    festival = FestivalFactory()
    db.session.commit()
    auth.login(promoter)
    assert client.get("/office/vouchers").status_code == 200
    created = auth.post(
        "/office/vouchers/new", office_form(scope=f"festival:{festival.id}"), page="/office/vouchers/new"
    )
    assert created.status_code == 302
    voucher = db.session.query(Voucher).one()
    assert voucher.code == "PESTA10" and voucher.festival_id == festival.id
    assert (voucher.opens, voucher.closes, voucher.min_order) == (600, 1260, 30_000)
    page = htmllib.unescape(client.get("/office/vouchers").get_data(as_text=True))
    assert "PESTA10" in page and "Rp5.000.000" in page

    edit = f"/office/vouchers/{voucher.id}"
    assert 'value="PESTA10"' in client.get(edit).get_data(as_text=True)
    changed = auth.post(edit, office_form(budget="6000000", opens="", closes=""), page=edit)
    assert changed.status_code == 302
    db.session.refresh(voucher)
    assert voucher.budget == 6_000_000 and voucher.opens is None and voucher.festival_id is None


def test_the_office_sets_hours_past_midnight(client, auth, db, promoter):
    auth.login(promoter)
    form = auth.client.get("/office/vouchers/new").get_data(as_text=True)
    assert "To run past midnight, give a closing hour before the opening one, e.g. 18:00 until 01:00." in form
    created = auth.post("/office/vouchers/new", office_form(opens="18:00", closes="01:00"), page="/office/vouchers/new")
    assert created.status_code == 302
    assert (db.session.query(Voucher).one().opens, db.session.query(Voucher).one().closes) == (18 * 60, 60)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_on": "2026-12-11"}, "The last day cannot be before the first day."),
        ({"closes": "10:00"}, "The closing hour must differ from the opening hour (leave both empty for all day)."),
        ({"closes": ""}, "Give both hours, or neither for all day."),
        ({"amount": ""}, "Give the amount off in rupiah."),
        ({"kind": "percent", "percent": ""}, "Give a percentage between 1 and 100."),
        ({"budget": "lots"}, "Not a valid integer value."),
    ],
)
def test_bad_voucher_forms_say_why_and_keep_what_was_typed(client, auth, db, promoter, change, message):
    auth.login(promoter)
    response = auth.post("/office/vouchers/new", office_form(**change), page="/office/vouchers/new")
    html = htmllib.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in html and 'value="Pesta Kuliner 10rb"' in html
    assert db.session.query(Voucher).count() == 0


def test_a_taken_code_and_a_budget_below_spent_are_refused(client, auth, db, promoter):
    VoucherFactory(code="PESTA10")
    spent = VoucherFactory(code="LAMA", budget=100_000, spent=80_000)
    db.session.commit()
    auth.login(promoter)
    taken = auth.post("/office/vouchers/new", office_form(), page="/office/vouchers/new")
    assert taken.status_code == 422
    assert "Another voucher already has the code PESTA10." in htmllib.unescape(taken.get_data(as_text=True))
    edit = f"/office/vouchers/{spent.id}"
    lower = auth.post(edit, office_form(code="LAMA", budget="50000"), page=edit)
    assert lower.status_code == 422
    assert "cannot be less than what is already spent" in htmllib.unescape(lower.get_data(as_text=True))


def test_the_office_pages_are_for_the_office_only(client, auth, db, customer):
    voucher = VoucherFactory()
    db.session.commit()
    assert client.get("/office/vouchers").status_code == 302  # to the login page
    auth.login(customer)
    for url in ("/office/vouchers", "/office/vouchers/new", f"/office/vouchers/{voucher.id}"):
        assert client.get(url).status_code == 403
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    db.session.commit()
    auth.logout()
    auth.login(admin)
    assert client.get("/office/vouchers").status_code == 200
    assert client.get("/office/vouchers/999").status_code == 404


def test_service_refuses_end_before_start_too(db, promoter):
    fields = vouchers.VoucherFields(
        name="X", name_en="", code="", kind="amount", amount=1000, percent=None, cap=None, min_order=0,
        budget=10_000, per_user_limit=1, starts_on=date(2026, 12, 14), ends_on=date(2026, 12, 12),
    )  # fmt: skip
    with pytest.raises(vouchers.VoucherError, match="before the first day"):
        vouchers.save_voucher(fields, by=promoter)


def test_the_demo_voucher_is_seeded_once_for_the_demo_festival(db):
    festival = FestivalFactory(slug=demo.FESTIVAL_SLUG)
    db.session.commit()
    demo.seed()
    demo.seed()
    db.session.commit()
    (voucher,) = db.session.query(Voucher).all()
    assert voucher.code == "PESTA10" and voucher.festival_id == festival.id and voucher.amount == 10_000
