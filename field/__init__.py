"""The grid worker's phone app (现场): home queue, patrol report, check-ins (issue 10)."""


def init_app(app) -> None:
    from field import checkin_views, pwa  # noqa: F401  (their routes are on field.views.bp)
    from field.views import bp
    app.register_blueprint(bp)
    # a QR point scanned by its grid's worker records a check-in (portal/ asks)
    app.extensions["gridgov.staff_scan"] = checkin_views.scan_target
    # a grid worker's home is the field app, not the desk's list
    app.extensions.setdefault("gridgov.home", {})["grid_worker"] = "field.home"

    @app.template_global()
    def rendered_now():
        """When the page was made: a copy shown offline says how old it is."""
        from core import clock
        return clock.utcnow()
