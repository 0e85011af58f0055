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
    app.add_template_global(fragment)
    app.extensions["gridgov.fragments"] = {}  # template name → _Kept
    app.add_template_global(options)

    @app.context_processor
    def _globals():
        return {"current_lang": session.get("lang", "zh_CN"), "current_user": current_user}


def menu() -> Markup:
    """The top bar's menu (templates/_menu.html) for the user's role in the request's
    language. Every user of a role sees the same links, so it is rendered once per role,
    language and mount point (issue 8: its dozen routes were built again on every page, a
    tenth of a list page's render)."""
    return fragment("_menu.html", role=current_user.role)


def fragment(name: str, **values) -> Markup:
    """Template `name` rendered with `values` alone, kept by what it is made of: the
    template (a new object when auto-reload sees it edited), the values, the request's
    language and mount point. For parts of a page that hold no more than that and are the
    same for many requests: the menu, the workbench's filter form. `values`: strings,
    booleans, numbers, None, and lists, tuples or dicts of rows of strings (database rows);
    each value's type is in the key, so a Markup and a string of the same text differ."""
    template = current_app.jinja_env.get_template(name)
    key = (template, request.script_root, catalogue(),
           tuple((field, type(value), _frozen(value)) for field, value in sorted(values.items())))
    kept = current_app.extensions["gridgov.fragments"].get(name)
    if kept is None:
        kept = current_app.extensions["gridgov.fragments"][name] = _Kept(FRAGMENT_CHARACTERS)
    made = kept.parts.get(key)
    if made is None:
        made = kept.put(key, Markup(template.render(**values)))
    return made


#: what fragment() keeps of one template in a process, in characters of what it drew (a
#: county's filter form with 2,000 grids is ~150,000; a town's ~6,000)
FRAGMENT_CHARACTERS = 1_000_000


class _Kept:
    """Parts of pages by what they were made of, bounded by their size: emptied when the
    parts kept pass `limit` characters (a search's words make a form of their own)."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size = limit, {}, 0

    def put(self, key, part: str):
        if self.size + len(part) > self.limit:
            self.parts.clear()
            self.size = 0
        self.parts[key] = part
        self.size += len(part)
        return part


def _frozen(value):
    if isinstance(value, (list, tuple)):
        return tuple(value)  # of strings, or of rows (tuples) of strings
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


def options(choices, selected, label=None) -> Markup:
    """A <select>'s <option> tags: `choices` are rows whose first two fields are the value
    and its name, or values named by `label(value)`; the one equal to `selected` is
    selected. Written in Python because a filter list has a hundred of them and a Jinja
    loop spent a fifth of the workbench's render on them (issue 8)."""
    chosen = "" if selected is None else str(selected)
    tags = []
    for choice in choices:
        value, name = (choice, label(choice)) if label else (choice[0], choice[1])
        value = str(value)
        tags.append(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                    f"{escape(name)}</option>")
    return Markup("".join(tags))
