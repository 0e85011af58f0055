"""Jinja filters and globals shared by every page."""
from zoneinfo import ZoneInfo

from flask import current_app, session
from flask_login import current_user

from events import labels


def init_app(app) -> None:
    @app.template_filter("localtime")
    def localtime(value, fmt="%Y-%m-%d %H:%M"):
        if value is None:
            return ""
        return value.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).strftime(fmt)

    @app.template_filter("isodate")
    def isodate(value):
        from datetime import datetime
        return datetime.fromisoformat(value) if value else None

    @app.context_processor
    def _notices():
        if not current_user.is_authenticated:
            return {}
        from core import clock
        from core.calendar import missing_next_year
        from notify.services import unread_count
        notices = {"unread_notifications": unread_count(current_user)}
        if current_user.role == "admin":
            notices["calendar_warning_year"] = missing_next_year(
                clock.utcnow(), current_app.config["LOCAL_TIMEZONE"])
        return notices

    @app.template_global()
    def case_clock(event):
        from core import clock
        from events.deadlines import clock_json
        return clock_json(event, clock.utcnow())

    @app.context_processor
    def _globals():
        return {"state_label": labels.state_label, "action_label": labels.action_label,
                "source_label": labels.source_label, "role_label": labels.role_label,
                "stage_label": labels.stage_label,
                "current_lang": session.get("lang", "zh_CN"), "current_user": current_user}
