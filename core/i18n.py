"""Translations looked up once per request and language (issue 8). Flask-Babel resolves the
domain, the locale and its catalogue cache on every gettext call — a workbench page makes
~300 of them (its labels, clocks, menu), a fifth of the page's time. The catalogue is the
same object for every call of a request in one language, so it is kept on the request's
Flask-Babel namespace beside the locale it is for: a `force_locale` block (mail in the
recipient's language) or `refresh()` brings another locale object, so another catalogue."""
from functools import cached_property, wraps

from flask import g
from flask_babel import Babel, Domain, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup


def _space():
    """The request's Flask-Babel namespace (g._flask_babel), or None: one look through `g`
    rather than two (its proxy costs a microsecond a time, on every translated word)."""
    try:
        return g._get_current_object().__dict__.get("_flask_babel")
    except RuntimeError:  # outside an app context
        return None


def _kept(space):
    kept = getattr(space, "gridgov_catalogue", None)
    locale = getattr(space, "babel_locale", None)
    return kept[1] if kept is not None and locale is not None and kept[0] is locale else None


def _keep(space, found) -> None:
    locale = getattr(space, "babel_locale", None)
    if locale is not None:
        space.gridgov_catalogue = (locale, found)


class RequestDomain(Domain):
    """The default domain, its catalogue looked up once per request and locale."""

    def get_translations(self):
        space = _space()
        found = _kept(space) if space is not None else None
        if found is None:
            found = super().get_translations()
            space = _space()
            if space is not None and getattr(space, "babel_domain", self) is self:
                _keep(space, found)
        return found


class RequestBabel(Babel):
    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


def catalogue():
    """The request's gettext catalogue, with no more lookups than one attribute when kept."""
    space = _space()
    found = _kept(space) if space is not None else None
    return found if found is not None else get_translations()


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext through the request's kept catalogue: for labels a list makes
    once a row."""
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def per_language(build):
    """`build()` (labels put together from translations) computed once per catalogue: the
    same answer for every request in that language, another for another language."""
    made: dict[int, tuple] = {}

    @wraps(build)
    def wrapper():
        found = catalogue()
        kept = made.get(id(found))
        if kept is None or kept[0] is not found:
            if len(made) > 64:  # catalogues are few (a language each); tests make many apps
                made.clear()
            kept = made[id(found)] = (found, build())
        return kept[1]
    return wrapper


@pass_eval_context
def template_gettext(eval_ctx, string: str, /, **variables) -> str:
    """The templates' _() and gettext: Jinja's "newstyle" gettext in one call. Jinja's own
    `_` is an alias that resolves `gettext`, which calls the function it wraps: three calls
    through the template's context for each translated label (~40 a workbench page)."""
    text = catalogue().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables  # as newstyle: always a format string ("%%" for a percent)


def install(app) -> None:
    """The templates' _(), ngettext and pgettext through catalogue() (after Babel's own)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n))
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
