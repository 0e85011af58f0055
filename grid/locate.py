"""Point-in-grid lookup: an indexed bounding-box pre-filter in SQL, then shapely."""
import json
import logging
from functools import lru_cache

from shapely.geometry import Point, shape
from shapely.prepared import prep
from shapely.strtree import STRtree
from sqlalchemy import Float, Integer, String, bindparam, select

from core import reference
from core.extensions import db
from core.rows import as_loaded_row, first_row, plain_rows, set_loaded
from grid.models import Grid, Region

#: where a grid's boundary is in its row
_BOUNDARY = Grid.__table__.columns.keys().index("boundary")


@lru_cache(maxsize=4096)
def _geometry(boundary: str):
    return prep(shape(json.loads(boundary)))


def _with_town():
    """A grid's row followed by its town's: what a report needs of both in one statement,
    made into the grid and its town by core.rows (the ORM's joined loading was ~0.1 ms of
    every report)."""
    grid, town = Grid.__table__, Region.__table__
    return select(grid, town).join(town, town.c.id == grid.c.town_id)


def _candidates(in_town: bool):
    """The grids whose box holds a point, with their town, built once with the point as
    parameters."""
    grid = Grid.__table__
    lat, lon = bindparam("lat", type_=Float), bindparam("lon", type_=Float)
    query = (_with_town()
             .where(grid.c.min_lat <= lat, grid.c.max_lat >= lat, grid.c.min_lon <= lon,
                    grid.c.max_lon >= lon, grid.c.retired_at.is_(None)).order_by(grid.c.code))
    return query.where(grid.c.town_id == bindparam("town_id", type_=Integer)) if in_town else query


_CANDIDATES = {False: _candidates(False), True: _candidates(True)}
_BY_CODE = _with_town().where(Grid.__table__.c.code == bindparam("code", type_=String))


def _grid(session, row) -> Grid:
    grid, town = as_loaded_row(session, reference.loadable(row), Grid, Region)
    set_loaded(grid, "town", town)
    return grid


def grid_by_code(code: str) -> Grid | None:
    """The grid of that code (retired or not), with its town, or None; its row kept while
    the reference data stays the same (core.reference)."""
    session = db.session()
    row = reference.kept("grid.code", code, lambda: first_row(session, _BY_CODE, {"code": code}))
    return _grid(session, row) if row else None


#: every grid in service with its town, in the order of their codes
_IN_SERVICE = (_with_town().where(Grid.__table__.c.retired_at.is_(None))
               .order_by(Grid.__table__.c.code))
_TOWN_ID = Grid.__table__.columns.keys().index("town_id")
_CODE = Grid.__table__.columns.keys().index("code")


class _Index:
    """Every grid in service, as rows with their towns, and a tree of their boundaries:
    kept while the reference data stays the same (core.reference), so a request finds its
    grid without a statement."""

    def __init__(self, session):
        self.rows, shapes = [], []
        for row in plain_rows(session, _IN_SERVICE, {}):
            try:
                shapes.append(shape(json.loads(row[_BOUNDARY])))
            except (ValueError, TypeError, AttributeError, KeyError):
                # a boundary written past grid_fields' check: that grid alone is not found
                # (the statement's way failed for the points in its box), not every grid
                logging.getLogger(__name__).warning("grid %s: its boundary is not GeoJSON",
                                                    row[_CODE])
                continue
            self.rows.append(tuple(row))
        self.tree = STRtree(shapes)

    def covering(self, lat: float, lon: float, town_id: int | None) -> tuple | None:
        """The row of the grid covering the point with the lowest code (town_id: in it)."""
        for index in sorted(self.tree.query(Point(lon, lat), predicate="covered_by")):
            row = self.rows[index]
            if town_id is None or row[_TOWN_ID] == town_id:
                return row
        return None


def locate_grid(lat: float, lon: float, town_id: int | None = None) -> Grid | None:
    """The grid covering (lat, lon); on a shared border, the one with the lowest code."""
    session = db.session()
    if reference.keeps(session):
        index = reference.kept("grid.index", None, lambda: _Index(session))
        row = index.covering(lat, lon, town_id)
        return None if row is None else _grid(session, row)
    params = {"lat": lat, "lon": lon}
    if town_id is not None:
        params["town_id"] = town_id
    point = Point(lon, lat)
    for row in plain_rows(session, _CANDIDATES[town_id is not None], params):
        if _geometry(row[_BOUNDARY]).covers(point):
            return _grid(session, row)
    return None


def point_in_grid(grid: Grid, lat: float, lon: float) -> bool:
    return _geometry(grid.boundary).covers(Point(lon, lat))


def grid_fields(polygon: dict) -> dict:
    """Centroid and bounding box of a GeoJSON polygon, for a Grid row."""
    geometry = shape(polygon)
    if geometry.geom_type != "Polygon" or not geometry.is_valid:
        raise ValueError("boundary must be a valid GeoJSON Polygon")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    centroid = geometry.centroid
    return {"boundary": json.dumps(polygon, separators=(",", ":")),
            "centroid_lat": centroid.y, "centroid_lon": centroid.x,
            "min_lat": min_lat, "max_lat": max_lat, "min_lon": min_lon, "max_lon": max_lon}


def point_inside(grid: Grid) -> tuple[float, float]:
    """(lat, lon) of a point surely inside the grid: its centroid, or for a grid whose
    centroid falls outside it (an L or a ring), shapely's representative point."""
    if point_in_grid(grid, grid.centroid_lat, grid.centroid_lon):
        return grid.centroid_lat, grid.centroid_lon
    inside = shape(json.loads(grid.boundary)).representative_point()
    return inside.y, inside.x


def grids_geojson(grids) -> dict:
    """A FeatureCollection of grid polygons for the pages' maps: code and name per feature."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(grid.boundary),
         "properties": {"code": grid.code, "name": grid.name}} for grid in grids]}
