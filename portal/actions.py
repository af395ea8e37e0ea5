"""The one shape of a state-changing request: run the service verb, then commit, or roll back and
say why. Services flush and raise DomainError; the request commits once, here.

    with act(success=_("Order accepted.")) as outcome:
        food.accept_order(order, by=current_user)
    return redirect(...)              # outcome.ok / outcome.error if the page needs them

A refusal is flashed (or, with `flash_error=False`, left in `outcome.error` for a fragment that
shows it inline, e.g. a 422 answer to htmx). Anything that is not a DomainError propagates.
"""

from __future__ import annotations

from types import TracebackType

from flask import flash

from portal.extensions import db
from portal.workflow import DomainError


class act:
    def __init__(self, success: str | None = None, *, flash_error: bool = True) -> None:
        self.success = success
        self.flash_error = flash_error
        self.ok = False
        self.error: str | None = None

    def __enter__(self) -> act:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None:
            db.session.commit()
            self.ok = True
            if self.success:
                flash(str(self.success), "success")
            return False
        if isinstance(exc, DomainError):
            db.session.rollback()
            self.error = str(exc)
            if self.flash_error:
                flash(self.error, "error")
            return True
        return False
