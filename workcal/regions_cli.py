"""`flask --app wsgi regions add|list`: the top of a new county's division tree (省, 市,
县) on the day it is installed; towns and villages are added on the regions page
(/admin/regions), which checks them the same way."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from audit.services import record
from core.database import write_transaction
from core.extensions import db
from grid.models import Region

regions_cli = AppGroup("regions", help="The division tree (省 → 市 → 县 → 乡镇 → 村).")

#: a level, the level above it, and how many leading digits of the code are its own
TOP = {"province": (None, 2), "city": ("province", 4), "county": ("city", 6)}


def check_top(code: str, name: str, level: str, parent: Region | None) -> str | None:
    """What is wrong with a new province, city or county, or None."""
    above, own = TOP[level]
    if not (len(code) == 12 and code.isascii() and code.isdigit()):
        return "the code must be 12 digits"
    if code[own:] != "0" * (12 - own):
        return f"a {level}'s code ends in {12 - own} zeros"
    if db.session.scalar(select(Region.id).where(Region.code == code)):
        return f"{code} exists already"
    if not name or len(name) > 64:
        return "the name must be 1–64 characters"
    if parent is None:
        return None  # the tree may start at any of the three
    if parent.level != above:
        return f"a {level} belongs under a {above}, not a {parent.level}"
    shared = TOP[above][1]
    if code[:shared] != parent.code[:shared]:
        return f"the code must start with its parent's {shared} digits {parent.code[:shared]}"
    return None


@regions_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--level", type=click.Choice(sorted(TOP)), required=True)
@click.option("--parent", "parent_code", help="The parent's code (none: the tree's top).")
def add_command(code: str, name: str, level: str, parent_code: str | None):
    """Add a province, city or county (e.g. 220221000000 永吉县 --level county --parent
    220200000000)."""
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Region).where(Region.code == parent_code))
        if parent is None:
            raise click.ClickException(f"no region with code {parent_code}")
    problem = check_top(code.strip(), name.strip(), level, parent)
    if problem:
        raise click.ClickException(problem)
    with write_transaction():
        region = Region(code=code.strip(), name=name.strip(), level=level, parent=parent,
                        path=f"{parent.path if parent else ''}{code.strip()}/")
        db.session.add(region)
        record(None, "region", region.code, "create", None,
               {"name": region.name, "level": level, "parent": parent_code})
    click.echo(f"added {level} {region.code} {region.name}")


@regions_cli.command("list")
def list_command():
    """The tree, indented."""
    for region in db.session.scalars(select(Region).order_by(Region.path)):
        click.echo(f"{'  ' * (region.path.count('/') - 1)}{region.code} {region.name} "
                   f"({region.level})")
