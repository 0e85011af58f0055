"""Jinja filters and globals shared by every page. Features add their own (labels, clocks,
the bell's count) in their init_app."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, session
from flask_login import current_user


def init_app(app) -> None:
    @app.template_filter("localtime")
    def localtime(value, fmt="%Y-%m-%d %H:%M"):
        if value is None:
            return ""
        return value.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).strftime(fmt)

    @app.template_filter("isodate")
    def isodate(value):
        return datetime.fromisoformat(value) if value else None

    @app.context_processor
    def _globals():
        return {"current_lang": session.get("lang", "zh_CN"), "current_user": current_user}
