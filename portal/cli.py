"""`flask users …`, `flask demo seed`, `flask jobs worker`, `flask jobs cron`."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import import_module, util

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis import RedisError
from rq import Worker
from rq.exceptions import StopRequested

from portal.accounts.demo import DEMO_PASSWORD, DEMO_USERS
from portal.accounts.models import Role
from portal.accounts.phone import to_e164
from portal.accounts.services import find_by_email, grant_role, revoke_role
from portal.accounts.services import register as register_user
from portal.domains import installed_domains
from portal.extensions import db
from portal.jobs import MAINTENANCE_SECONDS, get_queue
from portal.ops import periodic

users = AppGroup("users", help="Accounts and roles.")
demo = AppGroup("demo", help="Demo data for development.")
jobs = AppGroup("jobs", help="Background jobs.")


def _user(email: str):
    user = find_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


ROLE_ARG = click.argument("role", type=click.Choice([r.value for r in Role]))


@users.command("grant")
@click.argument("email")
@ROLE_ARG
def grant(email: str, role: str) -> None:
    """Give the user with EMAIL the ROLE."""
    changed = grant_role(_user(email), Role(role))
    db.session.commit()
    click.echo(f"{email} {'is now' if changed else 'already was'} {role}")


@users.command("revoke")
@click.argument("email")
@ROLE_ARG
def revoke(email: str, role: str) -> None:
    """Take ROLE away from the user with EMAIL."""
    changed = revoke_role(_user(email), Role(role))
    db.session.commit()
    click.echo(f"{email} {'lost' if changed else 'did not have'} {role}")


@users.command("create")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--phone", required=True)
@click.password_option()
def create(name: str, email: str, phone: str, password: str) -> None:
    """Create an account (for the first admin of a production install)."""
    register_user(name=name, email=email, phone_e164=to_e164(phone), password=password)
    db.session.commit()
    click.echo(f"created {email}")


def seed_all() -> list[str]:
    """Each domain that has a `demo` module seeds its part, in DOMAINS order, idempotently."""
    done = []
    for domain in installed_domains():
        name = f"portal.{domain}.demo"
        if util.find_spec(name) is not None:
            import_module(name).seed()
            done.append(domain)
    db.session.commit()
    return done


@demo.command("seed")
def seed() -> None:
    """Seed demo accounts and data (development only; running it twice changes nothing)."""
    if not current_app.config["SEED_DEMO"]:
        raise click.ClickException("demo data is seeded only in development (GANCANG_ENV=development)")
    done = seed_all()
    click.echo(f"demo data ready: {', '.join(done)}")


@demo.command("accounts")
def accounts() -> None:
    """Print the demo accounts."""
    for email, _name, role in DEMO_USERS:
        click.echo(f"  {email:<28} {role or 'customer':<11} password: {DEMO_PASSWORD}")


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for the job queue (needs REDIS_URL)."""
    if current_app.config["JOBS_MODE"] != "rq":
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed")

    # The scheduler runs what was queued for later (enqueue_in: SMS and courier retries).
    def run() -> bool:
        rq_worker = make_worker(get_queue())
        rq_worker.work(burst=burst, with_scheduler=True)
        return burst or rq_worker._shutdown_requested_date is not None  # else Redis made it quit

    outlive_redis(run, "worker")


@jobs.command("cron")
@click.option("--inline", is_flag=True, help="Run them in this process even with REDIS_URL (`make run`).")
@click.option("--rounds", type=int, default=0, hidden=True, help="Inline only: stop after N rounds (tests).")
def cron(inline: bool, rounds: int) -> None:
    """Run the periodic jobs (rides sweep, couriers sweep, payments reconcile): with REDIS_URL,
    RQ's cron scheduler puts them on the queue for the workers (several schedulers or workers
    are safe: each job takes a lock); without it, or with --inline, they run in this process."""
    if current_app.config["JOBS_MODE"] == "rq" and not inline:
        app = current_app._get_current_object()
        outlive_redis(lambda: periodic.cron_scheduler(app).start() or True, "cron scheduler")
    else:
        periodic.run_inline(rounds=rounds)


REDIS_RETRY_SECONDS = 2


def outlive_redis(run: Callable[[], bool], what: str) -> None:
    """Run RQ's loop again when Redis made it end: a worker quits on a Redis timeout, the cron
    scheduler on any Redis error, and a process manager such as honcho then stops every
    process. `run` answers True when it ended as asked (a signal, a finished burst)."""
    while True:
        try:
            if run():
                return
            click.echo(f"{what}: Redis went away; starting again in {REDIS_RETRY_SECONDS} s", err=True)
        except RedisError as error:
            click.echo(f"{what}: Redis error ({error}); starting again in {REDIS_RETRY_SECONDS} s", err=True)
        try:
            time.sleep(REDIS_RETRY_SECONDS)
        except StopRequested:  # RQ's signal handler, still installed: stop as asked
            return


def make_worker(queue) -> Worker:
    """A worker that logs job ids, not job descriptions: a description is the call with its
    arguments, and an SMS job's arguments hold the message (a one-time code) and the phone."""
    return Worker(
        [queue], connection=queue.connection, log_job_description=False, maintenance_interval=MAINTENANCE_SECONDS
    )


def register(app: Flask) -> None:
    for group in (users, demo, jobs):
        app.cli.add_command(group)
