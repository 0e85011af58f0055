"""Supervisors (issue 11): metrics (综合评价), the stats API and the dashboard."""


def init_app(app) -> None:
    from core.openapi import register_api
    from dashboard.api import api_operations, bp as api_bp
    from dashboard.schemas import StatsOut
    from core.extensions import csrf
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    register_api(app, api_operations, [StatsOut])
