"""Production refuses weak secrets at start, and DATA_KEY can be rotated: old keys decrypt, the
first one encrypts, and one command re-encrypts every stored NIK under it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from portal.accounts import nik
from portal.config import load
from portal.couriers.models import DriverProfile
from tests.couriers.test_application import apply, form
from tests.factories import UserFactory

GOOD_KEY = "dGVzdGluZy1kYXRhLWtleS1ub3Qtc2VjcmV0LTEyMzQ="  # the testing key
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def production(monkeypatch):
    values = {
        "SECRET_KEY": "k" * 32,
        "DATA_KEY": GOOD_KEY,
        "DATABASE_URL": "postgresql://gancang@db.example/gancang",
        "PUBLIC_URL": "https://gancang.example",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_production_starts_with_strong_secrets(production):
    assert load("production").SECRET_KEY == "k" * 32


def test_production_accepts_several_data_keys(production):
    production.setenv("DATA_KEY", f"{NEW_KEY},{GOOD_KEY}")
    assert f"{NEW_KEY},{GOOD_KEY}" == load("production").DATA_KEY


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "x", "SECRET_KEY must be at least 32 bytes"),
        ("SECRET_KEY", "k" * 31, "SECRET_KEY must be at least 32 bytes"),
        ("DATA_KEY", "not-a-fernet-key", "DATA_KEY key #1 is not a Fernet key"),
        ("DATA_KEY", f"{NEW_KEY},short", "DATA_KEY key #2 is not a Fernet key"),
        ("DATA_KEY", ", ,", "DATA_KEY must hold at least one Fernet key"),
    ],
    # Named, not derived from the values: NEW_KEY is random per process, and pytest-xdist needs
    # every worker to collect the same test ids.
    ids=["short-secret", "secret-31-bytes", "data-key-not-fernet", "second-data-key-short", "data-key-empty"],
)
def test_production_refuses_weak_secrets(production, name, value, message):
    production.setenv(name, value)
    with pytest.raises(RuntimeError, match=message) as refused:
        load("production")
    assert value not in str(refused.value) or len(value) < 4  # the secret itself is never echoed


def test_production_refuses_to_start_without_a_database_url(production):
    production.delenv("DATABASE_URL")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        load("production")


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path):
    app.config["COURIER_PHOTO_DIR"] = str(tmp_path / "drivers")


def test_rotating_the_data_key_re_encrypts_every_stored_nik(app, db, client, auth):
    applicant = UserFactory(locale="en")
    db.session.commit()
    auth.login(applicant)
    assert apply(auth, client, form()).status_code == 302
    profile = db.session.query(DriverProfile).one()
    old_token, old_hash = profile.nik_encrypted, profile.nik_hash

    # The new key goes first; the old one still decrypts what is stored.
    app.config["DATA_KEY"] = f"{NEW_KEY},{GOOD_KEY}"
    assert nik.decrypt(old_token) == "3510015508900001"
    # During the rotation one NIK is still one driver: the old hash is found too.
    auth.logout()
    other = UserFactory(locale="en")
    db.session.commit()
    auth.login(other)
    refused = apply(auth, client, form())
    assert refused.status_code == 422 and "already registered" in refused.get_data(as_text=True)

    result = app.test_cli_runner().invoke(args=["accounts", "rotate-data-key"])
    assert result.exit_code == 0, result.output
    assert "driver_profiles.nik_encrypted: 1 re-encrypted" in result.output

    # The old key retired: everything stored still reads, under the new key only.
    app.config["DATA_KEY"] = NEW_KEY
    db.session.expire_all()
    profile = db.session.query(DriverProfile).one()
    assert profile.nik_encrypted != old_token and profile.nik_hash != old_hash
    assert nik.decrypt(profile.nik_encrypted) == "3510015508900001"
    assert Fernet(NEW_KEY.encode()).decrypt(profile.nik_encrypted.encode()) == b"3510015508900001"
    assert profile.nik_hash == nik.lookup_hash("3510015508900001")
    again = apply(auth, client, form())
    assert again.status_code == 422 and "already registered" in again.get_data(as_text=True)


def test_every_encrypted_column_is_found_with_its_lookup_hash(app):
    found = {(model.__tablename__, token, lookup) for model, token, lookup in nik.encrypted_columns()}
    assert ("driver_profiles", "nik_encrypted", "nik_hash") in found
