from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.i18n import LANG_COOKIE
from tests.factories import UserFactory
from tests.food.factories import WarungFactory
from tests.promotions.factories import FestivalFactory


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture(autouse=True)
def request_context(app):
    """Services build translated messages, as they do inside a request (read in English here)."""
    with app.test_request_context(headers={"Cookie": f"{LANG_COOKIE}=en"}):
        yield


@pytest.fixture
def warung(db):
    warung = WarungFactory(name="Warung Sego Tempong Bu Sri")
    db.session.commit()
    return warung


@pytest.fixture
def owner(warung):
    return warung.owner


@pytest.fixture
def promoter(db):
    user = UserFactory(roles=[Role.PROMOTER], locale="en", name="Tourism Office")
    db.session.commit()
    return user


@pytest.fixture
def festival(db):
    festival = FestivalFactory(name_id="Pesta Kuliner Banyuwangi", name_en="Banyuwangi Food Festival")
    db.session.commit()
    return festival
