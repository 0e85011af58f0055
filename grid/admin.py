"""Grid administration (issue 12): a town's grids imported from GeoJSON (checked whole by
grid/geojson.py, then saved in one unit), exported, renamed and retired. Who may: admins
anywhere, a dispatcher in their own town. Point lookups read the grid table each time, so
imported grids answer at once."""
import json

from shapely.geometry import shape
from shapely.ops import unary_union
from sqlalchemy import select

from audit.services import record
from core.clock import utcnow
from core.extensions import db
from grid import geojson
from grid.locate import grid_fields
from grid.models import Grid, Region


def may_manage(user, town: Region) -> bool:
    return user.role == "admin" or (user.role == "dispatcher" and user.region_id == town.id)


def towns_for(user) -> list[Region]:
    query = select(Region).where(Region.level == "town").order_by(Region.code)
    if user.role != "admin":
        query = query.where(Region.id == user.region_id)
    return db.session.scalars(query).all()


def villages_of(town: Region) -> list[Region]:
    return db.session.scalars(select(Region).where(Region.parent_id == town.id,
                                                   Region.level == "village")).all()


def town_grids(town: Region, *, retired: bool = False) -> list[Grid]:
    query = select(Grid).where(Grid.town_id == town.id).order_by(Grid.code)
    if not retired:
        query = query.where(Grid.retired_at.is_(None))
    return db.session.scalars(query).all()


def check(data: bytes, town: Region) -> geojson.Plan:
    """The upload checked against the town's grids in service today."""
    current = {g.code: shape(json.loads(g.boundary)) for g in town_grids(town)}
    villages = villages_of(town)
    union = unary_union(list(current.values())) if current else None
    tiled = union is not None and union.geom_type == "Polygon" and not union.interiors
    return geojson.read(data, town.code, current,
                        {v.name for v in villages} | {v.code for v in villages}, tiled=tiled)


def save(plan: geojson.Plan, town: Region, actor) -> tuple[list[str], list[str]]:
    """Write a checked plan: new codes added, known ones redrawn and renamed (a retired one
    back in service). Returns (added, changed) codes; audited as one import."""
    villages = {v.name: v.id for v in villages_of(town)} | {v.code: v.id for v in villages_of(town)}
    known = {g.code: g for g in db.session.scalars(select(Grid).where(
        Grid.code.in_([f.code for f in plan.features])))}
    added, changed = [], []
    for feature in plan.features:
        fields = grid_fields(feature.polygon)
        village_id = villages.get(feature.village) if feature.village else None
        grid = known.get(feature.code)
        if grid is None:
            db.session.add(Grid(code=feature.code, name=feature.name, town_id=town.id,
                                village_id=village_id, **fields))
            added.append(feature.code)
            continue
        if grid.town_id != town.id:
            raise ValueError(f"grid {grid.code} belongs to another town")
        before = (grid.name, grid.boundary, grid.village_id, grid.retired_at)
        grid.name, grid.village_id, grid.retired_at = feature.name, village_id, None
        for key, value in fields.items():
            setattr(grid, key, value)
        if (grid.name, grid.boundary, grid.village_id, grid.retired_at) != before:
            changed.append(feature.code)
    db.session.flush()
    record(actor, "grid", f"{town.name} {town.code}", "import", None,
           {"added": added, "changed": changed, "warnings": plan.warnings})
    return added, changed


def export(town: Region) -> dict:
    names = {v.id: v.name for v in villages_of(town)}
    return geojson.export(town_grids(town), names)


def rename(grid: Grid, name: str, actor) -> None:
    before = grid.name
    grid.name = name
    record(actor, "grid", grid.code, "update", {"name": before}, {"name": name})


def retire(grid: Grid, actor) -> None:
    """撤销: the grid keeps its cases and their history; no new report and no point lookup
    finds it."""
    if grid.retired_at is None:
        grid.retired_at = utcnow()
        record(actor, "grid", grid.code, "retire", {"retired": False}, {"retired": True})
