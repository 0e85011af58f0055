"""Regions, grids, membership and point-in-grid lookup."""


def init_app(app) -> None:
    from core.openapi import register_api
    from grid.admin_views import bp as admin_bp
    from grid.api import api_operations, bp
    from grid.cli import grids_cli
    from grid.schemas import GridListOut, GridOut
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.cli.add_command(grids_cli)
    register_api(app, api_operations, [GridOut, GridListOut])
