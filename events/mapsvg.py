"""A small map for a case page: its grid, the neighbouring grids and a pin, as SVG points.

Drawn on the server from our own grid boundaries, so the page needs no map tiles and no
outside host, and it works on a weak link.
"""
import json
import math

from sqlalchemy import select

from core.extensions import db
from grid.models import Grid

WIDTH, HEIGHT, PAD = 320, 220, 10


def _rings(boundary: str):
    return json.loads(boundary)["coordinates"][:1]


def grid_map(event) -> dict:
    grid = event.grid
    margin_lat = (grid.max_lat - grid.min_lat) * 0.6
    margin_lon = (grid.max_lon - grid.min_lon) * 0.6
    box = (grid.min_lon - margin_lon, grid.min_lat - margin_lat,
           grid.max_lon + margin_lon, grid.max_lat + margin_lat)
    neighbours = db.session.scalars(select(Grid).where(
        Grid.town_id == grid.town_id, Grid.id != grid.id, Grid.max_lon >= box[0],
        Grid.min_lon <= box[2], Grid.max_lat >= box[1], Grid.min_lat <= box[3])).all()
    # equirectangular, corrected for latitude so shapes are not stretched
    kx = math.cos(math.radians((box[1] + box[3]) / 2))
    span_x, span_y = (box[2] - box[0]) * kx, box[3] - box[1]
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)

    def project(lon, lat):
        return (round(PAD + (lon - box[0]) * kx * scale, 1),
                round(HEIGHT - PAD - (lat - box[1]) * scale, 1))

    def points(g):
        return " ".join(f"{x},{y}" for ring in _rings(g.boundary)
                        for x, y in (project(lon, lat) for lon, lat in ring))

    pin_x, pin_y = project(event.lon, event.lat)
    return {"width": WIDTH, "height": HEIGHT, "grid": points(grid), "grid_name": grid.name,
            "neighbours": [{"points": points(n), "name": n.name} for n in neighbours],
            "pin": (pin_x, pin_y)}
