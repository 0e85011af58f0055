"""`flask --app wsgi bulletin --region CODE --month 2026-11 --out FILE.pdf`."""
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from core import clock
from core.errors import AppError
from core.extensions import db


@click.command("bulletin")
@click.option("--region", "code", required=True, help="The region's 12-digit division code.")
@click.option("--month", required=True, help="The month, e.g. 2026-11.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF.")
@with_appcontext
def bulletin_command(code, month, out):
    """Write the monthly bulletin (月度通报) of a region as a PDF."""
    from dashboard.bulletin import facts, pdf
    from grid.models import Region
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise click.ClickException(f"no region with code {code}")
    try:
        made = facts(region, month, clock.utcnow())
    except AppError as error:
        raise click.ClickException(error.message) from error
    Path(out).write_bytes(pdf(made))
    click.echo(f"{made['title']} → {out}")


@click.group("rollups")
def rollups_command():
    """The dashboards' counters per day (dashboard/rollups.py)."""


@rollups_command.command("rebuild")
@with_appcontext
def rollups_rebuild():
    """Count every case afresh: after a bulk load or a restore, or to check the counters."""
    import time

    from core.database import write_transaction
    from dashboard.rollups import rebuild
    started = time.monotonic()
    with write_transaction():
        cases = rebuild()
    click.echo(f"rollups rebuilt from {cases} cases in {time.monotonic() - started:.1f} s")
