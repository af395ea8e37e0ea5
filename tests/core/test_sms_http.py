"""The SMS gateway backend (NOTIFY_BACKEND=sms-http) against a fake gateway on loopback:
messages go out after the commit, a failing gateway is retried by the job queue, and nobody
who triggered a message waits for it or sees it fail."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l

from portal import notify
from tests.sms_gateway import PASSKEY, USERKEY, FakeSmsGateway


@pytest.fixture(scope="session")
def gateway_server():
    with FakeSmsGateway() as server:
        yield server


@pytest.fixture
def gateway(app, gateway_server):
    gateway_server.reset()
    app.config.update(
        NOTIFY_BACKEND="sms-http",
        SMS_URL=gateway_server.url,
        SMS_USERKEY=USERKEY,
        SMS_PASSKEY=PASSKEY,
        SMS_TIMEOUT=1.0,
        SMS_RETRY_ATTEMPTS=3,
        SMS_RETRY_BACKOFF=0,
    )
    return gateway_server


def test_a_message_goes_to_the_gateway_after_the_commit(app, db, gateway):
    notify.send(_l("You are logged in."), phone="+6281234567890", url="/medicine/abc")
    assert gateway.messages == []  # nothing leaves before the transaction is committed
    db.session.commit()
    assert gateway.to("+6281234567890") == ["Anda sudah masuk. http://localhost/medicine/abc"]


def test_a_rolled_back_message_is_never_sent(app, db, gateway):
    db.session.execute(db.select(1))  # a transaction, as every request has
    notify.send(_l("You are logged in."), phone="+6281234567890")
    db.session.rollback()
    db.session.commit()
    assert gateway.calls == 0


def test_a_failing_gateway_is_tried_again_by_the_job_queue(app, db, gateway):
    gateway.fail_next("503", "slow")
    notify.send(_l("You are logged in."), phone="+6281234567890")
    db.session.commit()
    assert gateway.calls == 3
    assert gateway.to("+6281234567890") == ["Anda sudah masuk."]


def test_after_the_last_try_the_message_is_given_up_without_failing_the_sender(app, db, gateway):
    gateway.fail_next("503", "503", "503", "503")
    notify.send(_l("You are logged in."), phone="+6281234567890")
    db.session.commit()  # no exception reaches whoever sent it
    assert gateway.calls == 3 and gateway.messages == []


def test_a_refused_message_is_not_retried(app, db, gateway):
    gateway.fail_next("refuse")
    notify.send(_l("You are logged in."), phone="+6281234567890")
    db.session.commit()
    assert gateway.calls == 1 and gateway.messages == []


def test_wrong_keys_are_a_refusal(app, db, gateway):
    app.config["SMS_PASSKEY"] = "wrong"
    notify.send(_l("You are logged in."), phone="+6281234567890")
    db.session.commit()
    assert gateway.calls == 1 and gateway.messages == []  # a refusal: not retried
