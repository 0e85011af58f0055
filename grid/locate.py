"""Point-in-grid lookup: an indexed bounding-box pre-filter in SQL, then shapely."""
import json
from functools import lru_cache

from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select

from core.extensions import db
from grid.models import Grid


@lru_cache(maxsize=4096)
def _geometry(boundary: str):
    return prep(shape(json.loads(boundary)))


def locate_grid(lat: float, lon: float, town_id: int | None = None) -> Grid | None:
    """The grid covering (lat, lon); on a shared border, the one with the lowest code."""
    query = select(Grid).where(Grid.min_lat <= lat, Grid.max_lat >= lat,
                               Grid.min_lon <= lon, Grid.max_lon >= lon).order_by(Grid.code)
    if town_id is not None:
        query = query.where(Grid.town_id == town_id)
    point = Point(lon, lat)
    for grid in db.session.scalars(query):
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
