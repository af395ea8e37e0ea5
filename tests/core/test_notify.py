from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal import notify
from portal.htmx import not_modified


def test_message_is_rendered_in_the_recipients_language(app, user, db):
    notify.outbox.clear()
    user.locale = "en"
    notify.send(_l("You are logged in."), user=user, url="/my/activity")
    notify.send(_l("You are logged in."), phone="+6281234567890")
    english, indonesian = notify.outbox
    assert (english.text, english.phone, english.url) == (
        "You are logged in.",
        user.phone,
        "http://localhost/my/activity",
    )
    assert indonesian.text == "Anda sudah masuk."


def test_304_when_the_client_has_the_state(app):

    with app.test_request_context("/", headers={"If-None-Match": '"s1"'}):
        assert not_modified("s1").status_code == 304
        assert not_modified("s2") is None


def test_translations_work_outside_a_request(app):
    """Jobs and the shell have no request: messages fall back to the default language."""

    assert gettext("You are logged in.") == "Anda sudah masuk."


def test_test_client_follows_redirects(client, auth, user):
    auth.login(user)
    response = auth.client.get("/login", follow_redirects=True)
    assert response.status_code == 200
    assert '<html lang="id"' in response.get_data(as_text=True)
