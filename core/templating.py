"""Jinja filters and globals shared by every page. Features add their own (labels, clocks,
the bell's count) in their init_app."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request, session
from flask_login import current_user
from markupsafe import Markup, escape

from core.i18n import catalogue


def init_app(app) -> None:
    @app.template_filter("localtime")
    def localtime(value, fmt="%Y-%m-%d %H:%M"):
        if value is None:
            return ""
        return value.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).strftime(fmt)

    @app.template_filter("isodate")
    def isodate(value):
        return datetime.fromisoformat(value) if value else None

    app.add_template_global(menu)
    app.add_template_global(options)

    @app.context_processor
    def _globals():
        return {"current_lang": session.get("lang", "zh_CN"), "current_user": current_user}


def menu() -> Markup:
    """The top bar's menu (templates/_menu.html) for the user's role in the request's
    language. Every user of a role sees the same links, so it is rendered once per role,
    language and mount point and kept on the app (issue 8: its dozen routes were built
    again on every page, a tenth of a list page's render)."""
    found = catalogue()
    key = (current_user.role, request.script_root, id(found))
    kept = current_app.extensions.setdefault("gridgov.menus", {})
    entry = kept.get(key)
    if entry is None or entry[0] is not found:
        if len(kept) > 256:  # roles × languages × mount points: a handful
            kept.clear()
        html = current_app.jinja_env.get_template("_menu.html").render(role=current_user.role)
        entry = kept[key] = (found, Markup(html))
    return entry[1]


def options(choices, selected, label=None) -> Markup:
    """A <select>'s <option> tags: `choices` are rows whose first two fields are the value
    and its name, or values named by `label(value)`; the one equal to `selected` is
    selected. Written in Python because a filter list has a hundred of them and a Jinja
    loop spent a fifth of the workbench's render on them (issue 8)."""
    chosen = "" if selected is None else str(selected)
    key = (tuple(choices), chosen, label, catalogue() if label else None)
    made = _OPTIONS.get(key)
    if made is None:
        if len(_OPTIONS) > 512:  # lists × reaches × languages: bounded all the same
            _OPTIONS.clear()
        made = _OPTIONS[key] = _options(key[0], chosen, label)
    return made


#: options() made before, by their choices, the selected one, the label and its language
_OPTIONS: dict[tuple, Markup] = {}


def _options(choices, chosen: str, label) -> Markup:
    tags = []
    for choice in choices:
        value, name = (choice, label(choice)) if label else (choice[0], choice[1])
        value = str(value)
        tags.append(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                    f"{escape(name)}</option>")
    return Markup("".join(tags))
