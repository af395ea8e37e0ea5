"""On PostgreSQL a page view reads outside a transaction until it writes (portal.database.Session):
no BEGIN and ROLLBACK round trips around a menu or a 304 poll, and everything a request does
after its first write (and every row lock) inside one transaction, so it reads its own writes."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.accounts.models import User
from tests.food.factories import DishFactory, WarungFactory


@pytest.fixture
def begins(app, db):
    """How each connection a request used began: "AUTOCOMMIT" (no transaction) or "transaction"."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads without a server round trip; its BEGIN takes the write lock")
    seen: list[str] = []

    def began(connection) -> None:
        seen.append(connection.get_execution_options().get("isolation_level", "transaction"))

    event.listen(db.engine, "begin", began)
    yield seen
    event.remove(db.engine, "begin", began)


def test_a_signed_in_menu_visit_opens_no_transaction(client, auth, db, customer, begins):
    warung = WarungFactory(slug="warung-baca")
    DishFactory(warung=warung)
    db.session.commit()
    auth.login(customer)
    begins.clear()
    assert client.get("/warungs/warung-baca").status_code == 200
    assert client.get("/warungs").status_code == 200
    assert begins and set(begins) == {"AUTOCOMMIT"}


def test_adding_to_the_cart_writes_in_a_transaction(client, auth, db, customer, begins):
    dish = DishFactory()
    db.session.commit()
    auth.login(customer)
    token = auth.csrf_token(f"/warungs/{dish.warung.slug}")
    begins.clear()
    response = client.post("/cart/items", data={"dish_id": dish.id, "quantity": 2, "csrf_token": token})
    assert response.status_code in (302, 303)
    assert "transaction" in begins


def test_a_page_view_that_writes_reads_its_own_writes(app, db, begins):
    with app.test_request_context("/orders/1", method="GET"):
        assert db.session.scalar(select(User).where(User.email == "nobody@example.com")) is None
        reader = db.session.get_bind(clause=select(User))
        assert reader.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        newcomer = User(name="Baru", email="baru@example.com", phone="+6281200000001", password_hash="x")
        db.session.add(newcomer)
        db.session.flush()  # the first write begins the transaction ...
        # ... and from then on the request reads inside it: it sees the row it has not committed.
        assert db.session.get_bind(clause=select(User)) is db.engine
        assert db.session.scalar(select(User).where(User.email == "baru@example.com")) is newcomer
        db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "baru@example.com")) is None


def test_row_locks_are_taken_in_the_transaction_even_on_a_page_view(app, db, begins):
    with app.test_request_context("/", method="GET"):
        assert db.session.get_bind(clause=select(User).with_for_update()) is db.engine
    with app.test_request_context("/", method="POST"):
        assert db.session.get_bind(clause=select(User)) is db.engine
