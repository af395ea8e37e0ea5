"""The bell: every message a user is sent is kept for them, counted until read, listed newest
first, and marked read, all without JavaScript."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select

from portal import notify
from portal.extensions import db as _db
from portal.notifications import services as notifications
from portal.notifications.models import Notification
from tests.factories import UserFactory


def send(user, text="Your order is on its way.", url="/orders/7"):
    notify.send(_l(text), user=user, url=url)


def unread_badge(html: str) -> str | None:
    match = re.search(r'<span id="count-unread" class="count"[^>]*><span aria-hidden="true">([^<]+)<', html)
    return match and match.group(1)


def test_what_a_user_is_sent_is_kept_in_their_language_with_its_link(db, customer, user):
    notify.send(_l("Your order is on its way."), user=customer, url="/orders/7")
    notify.send(_l("Your order is on its way."), user=user, url="/orders/8")  # reads Indonesian
    notify.send(_l("Your code is 123456."), user=customer, sensitive=True)
    notify.send(_l("No account behind this number."), phone="+6281234567890")
    db.session.commit()
    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(r.user_id, r.url, r.read_at) for r in rows] == [
        (customer.id, "/orders/7", None),
        (user.id, "/orders/8", None),
    ]
    assert rows[0].text == "Your order is on its way."
    assert notify.outbox[-1].text == "No account behind this number."  # the SMS still goes


def test_a_rolled_back_change_keeps_no_notification(db, customer):
    send(customer)
    db.session.rollback()
    assert db.session.scalar(select(Notification.id)) is None


def test_the_bell_shows_the_unread_count_and_the_page_lists_them(client, auth, db, customer):
    for n in range(3):
        send(customer, url=f"/orders/{n}")
    db.session.commit()
    auth.login(customer)
    html = client.get("/").get_data(as_text=True)
    assert unread_badge(html) == "3"
    assert "(3 unread)" in html
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('class="notification unread"') == 3
    assert "Your order is on its way." in page


def test_marking_one_read_and_then_all_without_javascript(client, auth, db, customer):
    send(customer, url="/orders/1")
    send(customer, url="/orders/2")
    db.session.commit()
    first, _second = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    auth.login(customer)
    response = auth.post(f"/notifications/{first.id}/read", {"open": "1"}, page="/notifications")
    assert response.status_code == 302 and response.headers["Location"] == "/orders/1"
    assert unread_badge(client.get("/").get_data(as_text=True)) == "1"
    response = auth.post("/notifications/read", page="/notifications")
    assert response.headers["Location"] == "/notifications"
    html = client.get("/notifications").get_data(as_text=True)
    assert "All notifications marked as read." in html and 'class="notification unread"' not in html
    assert unread_badge(html) is None and '<span id="count-unread" class="count" hidden>' in html


def test_another_users_notification_cannot_be_marked(client, auth, db, customer):
    stranger = UserFactory()
    send(stranger)
    db.session.commit()
    theirs = db.session.scalar(select(Notification))
    auth.login(customer)
    response = auth.post(f"/notifications/{theirs.id}/read", {"open": "1"}, page="/notifications")
    assert response.status_code == 404
    _db.session.expire_all()
    assert _db.session.get(Notification, theirs.id).read_at is None


def test_the_list_is_paginated_newest_first(client, auth, db, customer):
    for n in range(notifications.PER_PAGE + 3):
        send(customer, text=f"Message {n}", url=None)
    db.session.commit()
    auth.login(customer)
    first = client.get("/notifications").get_data(as_text=True)
    assert first.index(f"Message {notifications.PER_PAGE + 2}") < first.index(f"Message {notifications.PER_PAGE}")
    assert "Message 2<" not in first and 'rel="next"' in first
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Message 0" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/notifications?page=-5").status_code == 200


def test_the_bell_needs_a_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_layout_reads_its_counts_in_one_query(client, auth, db, customer):
    """A signed-in page costs the user's row and ONE more for the Cart tab and the bell."""
    send(customer)
    db.session.commit()
    auth.login(customer)
    client.get("/figures")  # templates compiled
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        html = client.get("/rides").get_data(as_text=True)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert unread_badge(html) == "1"
    shell = [s for s in statements if "cart_items" in s and "notifications" in s]
    assert len(shell) == 1, statements
