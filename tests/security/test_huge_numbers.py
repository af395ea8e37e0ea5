"""A number larger than any column holds is a refusal with a message (400/404/422), never an
OverflowError from the database driver (500): `dish_id=99999999999999999999` on the cart."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.forms import INT_MAX, BoundedIntegerField, Form
from tests.food.factories import DishFactory, WarungFactory

HUGE = "99999999999999999999"


@pytest.fixture
def dish(db):
    dish = DishFactory(warung=WarungFactory(), price=25000)
    db.session.commit()
    return dish


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("field", ["dish_id", "quantity"])
def test_adding_a_huge_number_to_the_cart_is_refused_with_a_message(client, auth, customer, dish, htmx, field):
    auth.login(customer)
    data = {"dish_id": str(dish.id), "quantity": "1", field: HUGE}
    headers = {"HX-Request": "true"} if htmx else {}
    response = auth.post("/cart/items", data, page=f"/warungs/{dish.warung.slug}", headers=headers)
    assert response.status_code in (302, 422)
    shown = client.get(response.headers["Location"]) if response.status_code == 302 else response
    assert "Enter a number between" in shown.get_data(as_text=True)


def test_checking_out_a_huge_warung_id_is_refused(client, auth, customer, dish):
    auth.login(customer)
    data = {"warung_id": HUGE, "address": "Homestay Ijen, Jl. Raya", "latitude": "-8.2", "longitude": "114.3"}
    response = auth.post("/checkout", data, page="/cart")
    assert response.status_code in (302, 400, 422)


@pytest.mark.parametrize(
    "path",
    [
        f"/orders/{HUGE}",
        f"/rides/bookings/{HUGE}",
        f"/courier/jobs/{HUGE}",
        f"/admin/drivers/{HUGE}",
        f"/my/warung/dishes/{HUGE}",
    ],
)
def test_a_huge_id_in_the_address_is_not_found(client, auth, customer, path):
    auth.login(customer)
    response = client.get(path)
    assert response.status_code == 404


def test_every_int_rule_on_the_app_is_bounded(app: Flask):
    bounded = [
        rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if type(converter).__name__ == "BoundedIntegerConverter"
    ]
    unbounded = [
        rule.rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if getattr(converter, "num_convert", None) is int and getattr(converter, "max", None) is None
    ]
    assert bounded, "no <int:…> rule uses the bounded converter"
    assert unbounded == []


class _Quantity(Form):
    class Meta(Form.Meta):
        csrf = False

    n = BoundedIntegerField()


@pytest.mark.parametrize(("raw", "ok"), [("1", True), (str(INT_MAX), True), (str(INT_MAX + 1), False), (HUGE, False)])
def test_the_shared_integer_field_refuses_what_no_column_holds(app, raw, ok):
    with app.test_request_context("/", method="POST", data={"n": raw}, headers={"Cookie": "lang=en"}):
        form = _Quantity()
        assert form.validate() is ok
        if not ok:
            assert form.n.data is None
            assert "Enter a number between" in form.n.errors[0]


@pytest.mark.parametrize(
    "path",
    ["/warungs", "/admin/users", "/admin/drivers", "/admin/warungs", "/admin/deliveries", "/rides/admin/closures"],
)
def test_a_huge_page_number_is_an_empty_page(client, auth, admin, path):
    auth.login(admin)
    assert client.get(f"{path}?page={HUGE}").status_code == 200
