"""The grid worker's phone app (现场): home queue, patrol report, check-ins (issue 10)."""


def init_app(app) -> None:
    from field.views import bp
    app.register_blueprint(bp)
    # a grid worker's home is the field app, not the desk's list
    app.extensions.setdefault("gridgov.home", {})["grid_worker"] = "field.home"
