"""`flask rides sweep`: run it every minute (cron, a systemd timer, or `--every 60`)."""

from __future__ import annotations

import time

import click

from portal.database import serialized
from portal.extensions import db
from portal.rides import bp, services


@bp.cli.command("sweep")
@click.option("--every", type=int, default=0, help="Keep sweeping every N seconds (development).")
def sweep(every: int) -> None:
    """Expire unpaid holds and lapsed waitlist offers; offer freed seats to the next in line."""
    while True:
        try:
            with serialized():
                services.sweep()
                db.session.commit()
        except Exception:
            db.session.rollback()
            if not every:
                raise
            click.echo("rides: sweep failed; trying again", err=True)
        if not every:
            click.echo("rides: holds and offers swept")
            return
        db.session.remove()  # a fresh session (and snapshot) for the next round
        time.sleep(every)
