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
#: answers worth keeping a short while (Open311's public lists): CACHE_TYPE in Config
cache = Cache()
