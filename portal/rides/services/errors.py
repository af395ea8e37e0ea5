"""Refusals, and text that renders in the reader's language when it is shown, not when it is made."""

from __future__ import annotations

from collections.abc import Callable

from portal.rides.models import localized
from portal.workflow import DomainError


class RideError(DomainError):
    """A refusal with a translated message for the user."""


class RideFull(RideError):
    """No seat left on that night: the page offers the waitlist instead."""


class Localized:
    """Text in both languages that renders in the language the message is rendered in
    (notifications go out in the recipient's language, not the sender's)."""

    def __init__(self, en: str, id_: str) -> None:
        self.en, self.id = en, id_

    def __str__(self) -> str:
        return localized(self.en, self.id)


class Lazy:
    """Formats when the message is rendered (in the reader's language), not when it is raised."""

    def __init__(self, render: Callable[[], object]) -> None:
        self.render = render

    def __str__(self) -> str:
        return str(self.render())
