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
    same for many requests: the menu, the workbench's filter form. The values must be
    hashable once lists are made tuples (rows, strings, numbers)."""
    template = current_app.jinja_env.get_template(name)
    key = (template, request.script_root, catalogue(),
           tuple((field, _frozen(value)) for field, value in sorted(values.items())))
    kept = current_app.extensions.setdefault("gridgov.fragments", {})
    made = kept.get(key)
    if made is None:
        if len(kept) >= FRAGMENTS_KEPT:  # a search's words make a form of their own
            kept.clear()
        made = kept[key] = Markup(template.render(**values))
    return made


#: fragment()'s bound per process: a menu per role and language, a filter form per list
#: and search a desk is looking at
FRAGMENTS_KEPT = 256


def _frozen(value):
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


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
