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
