"""Supervisors (issue 11): metrics (综合评价), the stats API and the dashboard."""


def init_app(app) -> None:
    from core.openapi import register_api
    from dashboard.api import api_operations, bp as api_bp
    from dashboard.schemas import RankingOut, StatsOut
    from dashboard import wall_views  # noqa: F401  (its routes are on dashboard.views.bp)
    from dashboard import rollups  # noqa: F401  (keeps the counters with every change)
    from dashboard import weights_views  # noqa: F401  (its routes are on dashboard.views.bp)
    from dashboard.views import bp as views_bp
    from core.extensions import csrf
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
    # a supervisor's home is the dashboard (dispatchers keep the desk, with the board a tap away)
    app.extensions.setdefault("gridgov.home", {})["supervisor"] = "dashboard.home"
    register_api(app, api_operations, [StatsOut, RankingOut])
    from dashboard.cli import bulletin_command, rollups_command
    app.cli.add_command(bulletin_command)
    app.cli.add_command(rollups_command)

    @app.template_global()
    def figure(key: str, value, change: bool = False) -> str:
        """A figure as the pages print it: rates in per cent (a change in 个百分点), hours
        with one decimal, counts whole; — when there is none."""
        from flask_babel import gettext as _
        from dashboard.metrics import BY_KEY
        if value is None:
            return "—"
        if BY_KEY[key].of:
            return _("%(n)s 个百分点", n=f"{value * 100:.1f}") if change else f"{value * 100:.1f}%"
        if key == "avg_handle_hours":
            return _("%(n)s 小时", n=f"{value:.1f}")
        return str(int(value))
