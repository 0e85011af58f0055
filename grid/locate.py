"""Point-in-grid lookup: an indexed bounding-box pre-filter in SQL, then shapely."""
import json
from functools import lru_cache

from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import Float, Integer, bindparam, select
from sqlalchemy.orm import joinedload

from core.extensions import db
from grid.models import Grid


@lru_cache(maxsize=4096)
def _geometry(boundary: str):
    return prep(shape(json.loads(boundary)))


def _candidates(in_town: bool):
    """The grids whose box holds a point, with their town (a report needs it: one statement,
    not two), built once with the point as parameters."""
    lat, lon = bindparam("lat", type_=Float), bindparam("lon", type_=Float)
    query = (select(Grid).options(joinedload(Grid.town, innerjoin=True))
             .where(Grid.min_lat <= lat, Grid.max_lat >= lat, Grid.min_lon <= lon,
                    Grid.max_lon >= lon, Grid.retired_at.is_(None)).order_by(Grid.code))
    return query.where(Grid.town_id == bindparam("town_id", type_=Integer)) if in_town else query


_CANDIDATES = {False: _candidates(False), True: _candidates(True)}


def locate_grid(lat: float, lon: float, town_id: int | None = None) -> Grid | None:
    """The grid covering (lat, lon); on a shared border, the one with the lowest code."""
    params = {"lat": lat, "lon": lon}
    if town_id is not None:
        params["town_id"] = town_id
    point = Point(lon, lat)
    for grid in db.session.scalars(_CANDIDATES[town_id is not None], params):
        if _geometry(grid.boundary).covers(point):
            return grid
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
