"""Grids for the staff API: list by town, and which grid a point falls in."""
from flask import Blueprint, request
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from core.bearer import token_required
from core.errors import NotFound
from core.extensions import csrf, db
from core import openapi as api
from grid.locate import locate_grid
from grid.models import Grid, Region
from grid.schemas import GridOut

bp = Blueprint("grid_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class LocateIn(Schema):
    class Meta:
        unknown = EXCLUDE  # a query string may carry parameters this does not use

    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


@bp.get("/grids")
@token_required
def list_grids():
    query = select(Grid).order_by(Grid.code)
    town = request.args.get("town")
    if town:
        query = query.join(Region, Region.id == Grid.town_id).where(Region.code == town)
    return {"items": GridOut(many=True).dump(db.session.scalars(query))}


@bp.get("/grids/locate")
@token_required
def locate():
    args = LocateIn().load(request.args)
    grid = locate_grid(args["lat"], args["lon"])
    if grid is None:
        raise NotFound("该位置不在任何网格内")
    return GridOut().dump(grid)


# --- OpenAPI ---------------------------------------------------------------------------

def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/grids": {"get": {
            "summary": "Grids", "parameters": [api.param("town", {"type": "string"})],
            "responses": {**api.ok("grids", "GridListOut"), **api.errors("401")}}},
        "/grids/locate": {"get": {
            "summary": "The grid a point falls in",
            "parameters": [api.param("lat", api.LAT, required=True),
                           api.param("lon", api.LON, required=True)],
            "responses": {**api.ok("the grid", "GridOut"), **api.errors("401", "404", "422")}}},
    }
