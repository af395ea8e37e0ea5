"""`flask promotions sweep-vouchers`: run every few minutes beside the workers (cron)."""

from __future__ import annotations

import time

import click

from portal.database import serialized
from portal.extensions import db
from portal.promotions import bp
from portal.promotions.vouchers.sweep import cancel_unpaid


@bp.cli.command("sweep-vouchers")
@click.option("--every", type=int, default=0, help="Keep sweeping every N seconds (development).")
def sweep_vouchers(every: int) -> None:
    """Cancel unpaid card orders that hold voucher budget past VOUCHER_HOLD_MINUTES."""
    while True:
        try:
            with serialized():
                count = cancel_unpaid()
                db.session.commit()
        except Exception:
            db.session.rollback()
            if not every:
                raise
            click.echo("vouchers: sweep failed; trying again", err=True)
        else:
            click.echo(f"vouchers: {count} unpaid orders cancelled, their budget returned")
        if not every:
            return
        db.session.remove()
        time.sleep(every)
