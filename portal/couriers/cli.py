"""`flask couriers sweep` (cron: retries, no-driver, quiet providers) and `flask couriers simulate`
(demo motion). Each round commits, like a job runner."""

from __future__ import annotations

import time

import click

from portal.couriers import bp, services
from portal.database import serialized
from portal.extensions import db


@bp.cli.command("sweep")
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: once).")
def sweep_command(every: float) -> None:
    """Run due dispatch retries and mark jobs nobody took as no_driver (cron, or --every)."""
    while True:
        with serialized():
            result = services.sweep()
            db.session.commit()
        click.echo(f"retried {result['retried']}, no driver {result['no_driver']}")
        if not every:
            return
        time.sleep(every)


@bp.cli.command("simulate")
@click.option("--every", type=float, default=5.0, help="Seconds between steps.")
@click.option("--steps", type=int, default=0, help="Stop after N steps (0: run until Ctrl+C).")
def simulate_command(every: float, steps: int) -> None:
    """Move open local deliveries one step forward each round, with the demo drivers."""
    done = 0
    while True:
        with serialized():
            moved = services.simulate_step()
            db.session.commit()
        click.echo(f"moved {moved} deliveries")
        done += 1
        if steps and done >= steps:
            return
        time.sleep(every)
