"""The work calendar (工作日历): working days per year, working periods per region, working-time
arithmetic, the admins' calendar page and the regions page (a town's working periods). Deadlines (events/) build on it; it knows nothing
of cases: a change is announced (calendar.calendar_changed) and events/ recomputes."""


def init_app(app) -> None:
    from flask import current_app
    from flask_login import current_user

    from core import clock
    from workcal.calendar import missing_next_year
    from workcal.cli import calendar_cli
    from workcal.regions_cli import regions_cli
    from workcal.regions import bp as regions_bp
    from workcal.views import bp
    app.register_blueprint(bp)
    app.register_blueprint(regions_bp)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(regions_cli)

    @app.context_processor
    def _calendar_warning():
        """Admins see, on every page, that next year's calendar is missing."""
        if not current_user.is_authenticated or current_user.role != "admin":
            return {}
        return {"calendar_warning_year": missing_next_year(
            clock.utcnow(), current_app.config["LOCAL_TIMEZONE"])}
