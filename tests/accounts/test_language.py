from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import AuthActions
from tests.factories import UserFactory


def test_indonesian_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="id"' in page
    assert "Masuk" in page


def test_switching_language_is_remembered_by_the_browser(client, auth):
    response = auth.post("/language", {"lang": "en", "next": "/register"})
    assert response.status_code == 302 and response.headers["Location"] == "/register"
    assert "lang=en" in response.headers["Set-Cookie"]
    page = client.get("/register").get_data(as_text=True)
    assert '<html lang="en"' in page and "Create your Gancang account" in page
    auth.post("/language", {"lang": "id"})
    assert "Buat akun Gancang Anda" in client.get("/register").get_data(as_text=True)


def test_language_is_remembered_per_user(app, auth, user, db):
    auth.login(user)
    auth.post("/language", {"lang": "en"})
    db.session.refresh(user)
    assert user.locale == "en"
    # A new browser (no cookie) gets English as soon as the user logs in.
    other = app.test_client()

    AuthActions(other).login(user)
    assert '<html lang="en"' in other.get("/").get_data(as_text=True)


def test_logging_in_from_an_indonesian_browser_to_an_english_account_flashes_in_english(client, auth, db):
    english = UserFactory(locale="en")
    db.session.commit()
    client.set_cookie("lang", "id")
    auth.login(english)
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "You are logged in." in page and "Anda sudah masuk" not in page


def test_unknown_language_is_ignored(client, auth):
    auth.post("/language", {"lang": "xx"})
    assert '<html lang="id"' in client.get("/").get_data(as_text=True)


def test_every_message_has_an_indonesian_translation():

    root = Path(__file__).resolve().parents[2]
    # Extracts what the code says now (into a temp folder) and looks each message up in its catalogue.
    result = subprocess.run(
        [sys.executable, "scripts/translations.py", "check"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
