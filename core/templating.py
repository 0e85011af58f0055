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

    @app.template_filter("mask_phone")
    def mask_phone(value):
        if not value or len(value) < 7:
            return value or ""
        return f"{value[:3]}****{value[-4:]}"

    @app.context_processor
    def _globals():
        return {"state_label": labels.state_label, "action_label": labels.action_label,
                "source_label": labels.source_label, "role_label": labels.role_label,
                "current_lang": session.get("lang", "zh_CN"), "current_user": current_user}
