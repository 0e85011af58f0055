"""Regions, grids, membership and point-in-grid lookup."""


def init_app(app) -> None:
    from core.openapi import register_api
    from grid.api import api_operations, bp
    from grid.schemas import GridListOut, GridOut
    app.register_blueprint(bp)
    register_api(app, api_operations, [GridOut, GridListOut])
