"""Unbound extension objects; bound to the app in create_app()."""
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from core.i18n import RequestBabel


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
babel = RequestBabel()  # gettext's catalogue looked up once per request (core/i18n.py)
csrf = CSRFProtect()
#: responses compressed for the browsers that accept it (settings: COMPRESS_* in Config)
compress = Compress()
#: limits are declared on the public views; storage from RATELIMIT_STORAGE_URI
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def limits_on_views_only(app) -> None:
    """Flask-Limiter checks every request, before its view, for default, application,
    blueprint and meta limits; a limit declared on a view is checked by the view's own
    decorator when it runs. gridgov declares limits on views only, so that first check
    finds nothing on every request (5 % of an API list, issue 8): dropped, unless a setting
    (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION, RATELIMIT_META, RATELIMIT_IN_MEMORY_FALLBACK)
    or a blueprint gives limits it would check. Call after every blueprint is registered."""
    manager = limiter.limit_manager
    if (manager.default_limits or manager.application_limits
            or not hasattr(manager, "_blueprint_limits")  # an unknown Flask-Limiter: keep it
            or any(getattr(owner, name, None) for owner, name in (
                (manager, "_blueprint_limits"), (limiter, "_meta_limits"),
                (limiter, "_in_memory_fallback")))):
        return
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:
        checks.remove(limiter._check_request_limit)
#: answers worth keeping a short while (Open311's public lists): CACHE_TYPE in Config
cache = Cache()
