"""`flask --app wsgi qr …` and `flask --app wsgi open311 …`."""
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core import clock
from core.errors import AppError
from core.database import write_transaction
from core.extensions import db
from grid.models import Grid, Region

qr_cli = AppGroup("qr", help="QR points and posters.")
open311_cli = AppGroup("open311", help="Open311 API keys.")


@qr_cli.command("list")
@click.option("--grid", "grid_code")
@click.option("--town", "town_code")
def qr_list(grid_code, town_code):
    """List QR points with their URLs."""
    from portal.models import QrPoint
    from portal.posters import point_url
    query = select(QrPoint).join(Grid).order_by(Grid.code, QrPoint.id)
    if grid_code:
        query = query.where(Grid.code == grid_code)
    if town_code:
        query = query.join(Region, Region.id == Grid.town_id).where(Region.code == town_code)
    for point in db.session.scalars(query):
        state = "" if point.is_active else " (停用)"
        click.echo(f"{point.id}\t{point.grid.code}\t{point.kind}\t{point.label}{state}\t"
                   f"{point_url(point)}")


@qr_cli.command("create")
@click.argument("grid_code")
@click.argument("label")
@click.option("--kind", default="公示栏", show_default=True)
@click.option("--lat", type=float)
@click.option("--lon", type=float)
def qr_create(grid_code, label, kind, lat, lon):
    """Create a QR point in GRID_CODE (at the grid's centroid unless --lat/--lon)."""
    from portal.posters import point_url
    from portal.services import create_point
    grid = db.session.scalar(select(Grid).where(Grid.code == grid_code))
    if grid is None:
        raise click.ClickException(f"grid {grid_code} not found")
    try:
        with write_transaction():
            point = create_point(grid, label, kind,
                                 lat if lat is not None else grid.centroid_lat,
                                 lon if lon is not None else grid.centroid_lon)
    except AppError as error:
        raise click.ClickException(f"{error.message}: {error.fields}") from None
    click.echo(f"{point.id}\t{point_url(point)}")


@qr_cli.command("posters")
@click.option("--grid", "grid_code")
@click.option("--town", "town_code")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
def qr_posters(grid_code, town_code, out_path):
    """Write one PDF with an A4 poster per active point of a grid or a town."""
    from portal.models import QrPoint
    from portal.posters import poster_pdf
    if not grid_code and not town_code:
        raise click.ClickException("give --grid or --town")
    query = select(QrPoint).join(Grid).where(QrPoint.is_active.is_(True)).order_by(Grid.code,
                                                                                   QrPoint.id)
    if grid_code:
        query = query.where(Grid.code == grid_code)
    if town_code:
        query = query.join(Region, Region.id == Grid.town_id).where(Region.code == town_code)
    points = db.session.scalars(query).all()
    if not points:
        raise click.ClickException("no active QR points there")
    Path(out_path).write_bytes(poster_pdf(points))
    click.echo(f"{len(points)} posters written to {out_path}")


@open311_cli.command("create-key")
@click.argument("name")
def open311_create_key(name):
    """Create an API key for NAME; the key is printed alone on the last line."""
    from portal.keys import create_key
    try:
        with write_transaction():
            key = create_key(name)
    except AppError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Open311 API key for {name} (stored hashed; shown only now):")
    click.echo(key)


@open311_cli.command("revoke-key")
@click.argument("key_id", type=int)
def open311_revoke_key(key_id):
    from portal.keys import revoke_key
    try:
        with write_transaction():
            row = revoke_key(key_id, clock.utcnow())
    except AppError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"revoked key {key_id} ({row.name})")


@open311_cli.command("list-keys")
def open311_list_keys():
    from portal.models import Open311Key
    for row in db.session.scalars(select(Open311Key).order_by(Open311Key.id)):
        click.echo(f"{row.id}\t{row.name}\t{'active' if row.is_active else 'revoked'}\t"
                   f"{row.requests} requests")


def init_app(app) -> None:
    app.cli.add_command(qr_cli)
    app.cli.add_command(open311_cli)
