"""`flask accounts rotate-data-key`: after putting a new Fernet key first in DATA_KEY."""

from __future__ import annotations

import click
from flask import current_app

from portal.accounts import bp, nik
from portal.config import data_keys
from portal.extensions import db


@bp.cli.command("rotate-data-key")
@click.option("--batch", default=500, show_default=True, help="Rows re-encrypted per flush.")
def rotate_data_key(batch: int) -> None:
    """Re-encrypt every stored NIK (and other `*_encrypted` columns) under DATA_KEY's first key.

    Then the old keys can be removed from DATA_KEY. Safe to run again; nothing is printed but counts.
    """
    keys = len(data_keys(current_app.config["DATA_KEY"]))
    counts = nik.rotate_stored(batch=batch)
    db.session.commit()
    for column, count in counts.items():
        click.echo(f"{column}: {count} re-encrypted")
    if keys == 1:
        click.echo("DATA_KEY holds one key: the values were re-encrypted under it (nothing to retire).")
    else:
        click.echo(f"Every value is now under the first of {keys} keys; the others can be removed from DATA_KEY.")
