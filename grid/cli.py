"""`flask --app wsgi grids import FILE --town CODE` and `grids export --town CODE`."""
import json
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.database import write_transaction
from core.extensions import db
from grid import admin
from grid.models import Region

grids_cli = AppGroup("grids", help="A town's grids as GeoJSON.")


def _town(code: str) -> Region:
    town = db.session.scalar(select(Region).where(Region.code == code, Region.level == "town"))
    if town is None:
        raise click.ClickException(f"no town with code {code}")
    return town


@grids_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--town", "town_code", required=True, help="The town's 12-digit division code.")
def import_command(path: Path, town_code: str):
    """Import (add or redraw) the town's grids from a GeoJSON FeatureCollection; checked whole
    first: nothing is saved when any feature is refused."""
    town = _town(town_code)
    plan = admin.check(path.read_bytes(), town)
    for index, code, message in plan.errors:
        click.echo(f"feature {index} {code}: {message}" if index else message, err=True)
    if not plan.ok:
        raise click.ClickException(f"not imported: {len(plan.errors)} problem(s)")
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    with write_transaction():
        added, changed = admin.save(plan, town, None)
    click.echo(f"{town.code}: {len(added)} added, {len(changed)} changed")


@grids_cli.command("export")
@click.option("--town", "town_code", required=True, help="The town's 12-digit division code.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
def export_command(town_code: str, output: Path | None):
    """The town's grids in service as a GeoJSON FeatureCollection (code, name, village)."""
    text = json.dumps(admin.export(_town(town_code)), ensure_ascii=False, indent=1)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)
