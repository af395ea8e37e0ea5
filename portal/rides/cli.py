"""`flask rides sweep`: run it every minute (cron, or a systemd timer) in production."""

from __future__ import annotations

import click

from portal.database import serialized
from portal.extensions import db
from portal.rides import bp, services


@bp.cli.command("sweep")
def sweep() -> None:
    """Expire unpaid holds and lapsed waitlist offers; offer freed seats to the next in line."""
    with serialized():
        services.sweep()
        db.session.commit()
    click.echo("rides: holds and offers swept")
