"""One pluggable sender for SMS/WhatsApp-style notifications.

Messages are written with lazy_gettext and rendered in the recipient's language at send time.
The default backend logs them; "memory" keeps them in `outbox` (tests, demos). A real SMS or
WhatsApp gateway is a new backend class, chosen by NOTIFY_BACKEND, and nothing else changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from flask_babel import force_locale

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    phone: str
    text: str
    url: str | None = None
    user_id: int | None = None


class Backend(Protocol):
    def send(self, message: Message) -> None: ...


class LogBackend:
    def send(self, message: Message) -> None:
        log.info("notify %s: %s %s", message.phone, message.text, message.url or "")


outbox: list[Message] = []


class MemoryBackend:
    def send(self, message: Message) -> None:
        outbox.append(message)
        LogBackend().send(message)


BACKENDS: dict[str, type[Backend]] = {"log": LogBackend, "memory": MemoryBackend}


def absolute(path: str | None) -> str | None:
    """Links in messages leave the site (SMS), so they carry the public address."""
    if not path or path.startswith("http"):
        return path
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def send(text, *, user=None, phone: str | None = None, locale: str | None = None, url: str | None = None) -> Message:
    """Send `text` (a lazy string) to a user, or to a bare phone number (a patient without an account)."""
    phone = phone or (user.phone if user is not None else None)
    if not phone:
        raise ValueError("a notification needs a user or a phone number")
    language = locale or (getattr(user, "locale", None)) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        rendered = str(text)
    message = Message(phone=phone, text=rendered, url=absolute(url), user_id=getattr(user, "id", None))
    backend = BACKENDS[current_app.config.get("NOTIFY_BACKEND", "log")]()
    backend.send(message)
    return message
