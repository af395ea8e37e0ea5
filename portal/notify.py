"""One pluggable sender for SMS/WhatsApp-style notifications.

Messages are written with lazy_gettext and rendered in the recipient's language at send time.
The default backend logs them; "memory" keeps them in `outbox` (tests, demos); "console" (the
development default) prints every message in full, so a developer can register on `make run`;
"sms-http" sends them through an SMS gateway over HTTP (Zenziva's shape). A backend that talks
to the network is `queued`: `send()` only enqueues the message, a job sends it after the commit
and retries a failed gateway with backoff, so nobody waits for an SMS and a slow gateway loses
nothing. A message marked `sensitive` (a one-time code) is never written to a log: the log
backend says only that it was sent.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, ClassVar, Protocol

import httpx
from blinker import Namespace
from flask import current_app
from flask_babel import force_locale

from portal import jobs

log = logging.getLogger(__name__)

#: Sent for every message to a user or phone, before it goes out (sender: the Message;
#: path=: the link as given, a path on this site). The bell (portal.notifications) keeps them.
sent = Namespace().signal("sent")


@dataclass(frozen=True, slots=True)
class Message:
    phone: str
    text: str
    url: str | None = None
    user_id: int | None = None
    sensitive: bool = False  # holds a one-time code: never logged


class Backend(Protocol):
    def send(self, message: Message) -> None: ...


class LogBackend:
    def send(self, message: Message) -> None:
        text = "(a one-time code, not logged)" if message.sensitive else message.text
        log.info("notify %s: %s %s", message.phone, text, message.url or "")


class ConsoleBackend:
    """Development only (production refuses it): the whole message on stderr, codes included."""

    def send(self, message: Message) -> None:
        print(f"[notify] to {message.phone}: {message.text} {message.url or ''}".rstrip(), file=sys.stderr)


outbox: list[Message] = []


class MemoryBackend:
    def send(self, message: Message) -> None:
        outbox.append(message)
        LogBackend().send(message)


class SmsUnavailable(Exception):
    """The gateway did not take the message this time (timeout, 5xx, 429): try again later."""


class SmsRejected(Exception):
    """The gateway refused the message for good (bad number, bad key): retrying cannot help."""


class SmsHttpBackend:
    """An SMS gateway in Zenziva's shape: `POST SMS_URL` with the form fields userkey, passkey, to,
    message; the JSON answer's "status" is "1" when the message was accepted, else "text" says why.
    (https://www.zenziva.id/dokumentasi/ — the same shape as Zenziva's console API.)"""

    queued: ClassVar[bool] = True

    def __init__(self) -> None:
        config = current_app.config
        if not config.get("SMS_URL"):
            raise RuntimeError("NOTIFY_BACKEND=sms-http needs SMS_URL (and SMS_USERKEY, SMS_PASSKEY)")
        self.url = config["SMS_URL"]
        self.fields = {"userkey": config.get("SMS_USERKEY") or "", "passkey": config.get("SMS_PASSKEY") or ""}
        # One client per app and settings, so its connections are reused.
        key = ("sms-http", self.url, config.get("SMS_TIMEOUT"))
        cache: dict = current_app.extensions.setdefault("notify", {})
        if key not in cache:
            cache[key] = httpx.Client(timeout=config.get("SMS_TIMEOUT", 5.0))
        self.client: httpx.Client = cache[key]

    def send(self, message: Message) -> None:
        text = f"{message.text} {message.url}" if message.url else message.text
        try:
            response = self.client.post(self.url, data={**self.fields, "to": message.phone, "message": text})
        except httpx.HTTPError as exc:
            raise SmsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SmsUnavailable(f"HTTP {response.status_code}, not JSON") from None
        if response.status_code >= 400 or str(body.get("status")) != "1":
            raise SmsRejected(str(body.get("text") or response.status_code))
        log.info("sms to %s accepted: %s", message.phone, body.get("messageId", ""))


BACKENDS: dict[str, type[Backend]] = {
    "log": LogBackend,
    "memory": MemoryBackend,
    "console": ConsoleBackend,
    "sms-http": SmsHttpBackend,
}
DEVELOPMENT_ONLY = frozenset({"memory", "console"})


def deliver(message: dict[str, Any], attempt: int = 1) -> None:
    """Job: hand one message to the queued backend; a gateway that fails is asked again later
    (SMS_RETRY_ATTEMPTS times, waits doubling from SMS_RETRY_BACKOFF seconds). Never raises for
    a gateway's failure: the job that sent it must not fail with it."""
    config = current_app.config
    backend = BACKENDS[config.get("NOTIFY_BACKEND", "log")]()
    try:
        backend.send(Message(**message))
    except SmsRejected as exc:
        log.error("sms to %s rejected by the gateway: %s", message["phone"], exc)
    except SmsUnavailable as exc:
        attempts = config.get("SMS_RETRY_ATTEMPTS", 5)
        if attempt >= attempts:
            log.error("sms to %s not sent after %s tries: %s", message["phone"], attempt, exc)
            return
        wait = config.get("SMS_RETRY_BACKOFF", 30) * 2 ** (attempt - 1)
        log.warning("sms to %s failed (%s); try %s in %ss", message["phone"], exc, attempt + 1, wait)
        _retry(message, attempt + 1, wait)


def _retry(message: dict[str, Any], attempt: int, wait: float) -> None:
    """RQ: queued for its time (the worker runs with its scheduler). Inline (development,
    tests): after this job's commit, at once; the next tries come right after."""
    if current_app.config["JOBS_MODE"] == "rq" and not current_app.testing:
        jobs.get_queue().enqueue_in(
            timedelta(seconds=wait), jobs.run_job, f"{__name__}:deliver", (message,), {"attempt": attempt}
        )
    else:
        jobs.enqueue(deliver, message, attempt=attempt)


def absolute(path: str | None) -> str | None:
    """Links in messages leave the site (SMS), so they carry the public address."""
    if not path or path.startswith("http"):
        return path
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def send(
    text,
    *,
    user=None,
    phone: str | None = None,
    locale: str | None = None,
    url: str | None = None,
    sensitive: bool = False,
) -> Message:
    """Send `text` (a lazy string) to a user, or to a bare phone number (a patient without an account).
    `sensitive`: the text holds a secret (a one-time code) that no log may keep."""
    phone = phone or (user.phone if user is not None else None)
    if not phone:
        raise ValueError("a notification needs a user or a phone number")
    language = locale or (getattr(user, "locale", None)) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        rendered = str(text)
    message = Message(
        phone=phone, text=rendered, url=absolute(url), user_id=getattr(user, "id", None), sensitive=sensitive
    )
    sent.send(message, path=url if url and url.startswith("/") else None)
    backend_class = BACKENDS[current_app.config.get("NOTIFY_BACKEND", "log")]
    if getattr(backend_class, "queued", False):
        jobs.enqueue(deliver, asdict(message))  # sent after the commit, retried if the gateway fails
    else:
        backend_class().send(message)
    return message
