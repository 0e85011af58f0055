"""Regions, grids, membership and point-in-grid lookup."""


def init_app(app) -> None:
    from grid.api import bp
    app.register_blueprint(bp)
