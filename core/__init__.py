"""The application factory: a table of contents, nothing more."""
import sys
from pathlib import Path

from babel import Locale
from flask import Flask, has_request_context, request, session

from core.config import BASE_DIR, Config
from core import compression
from core.extensions import babel, cache, csrf, db, limiter, login_manager


#: the interface's languages, parsed once: Flask-Babel parses what the selector gives on
#: every request (~40 µs) unless it is a Locale already
_LOCALES = {name: Locale.parse(name) for name in ("zh_CN", "en")}


def _select_locale():
    # Outside a request (CLI, scheduler) there is no session: None means BABEL_DEFAULT_LOCALE,
    # zh_CN, so messages come out in the Chinese source text.
    if not has_request_context():
        return None
    # The resident pages (portal/views.py) are Chinese-only, whatever the staff session says.
    if request.blueprint == "public":
        return _LOCALES["zh_CN"]
    lang = session.get("lang")
    return _LOCALES.get(lang if isinstance(lang, str) else "", _LOCALES["zh_CN"])


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(__name__.split(".")[0], root_path=str(BASE_DIR),
                template_folder="templates", static_folder="static",
                instance_path=str(Config.INSTANCE_DIR))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # as Flask's tutorial does
    app.config.setdefault("MAX_CONTENT_LENGTH", app.config["UPLOAD_MAX_BYTES"] + 1024 * 1024)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # a SQLite connection is a file opened in this process: nothing can drop it, so the
        # pool's ping before each checkout (a SELECT 1, twice a create: ~0.1 ms) is for
        # PostgreSQL only (issue 8)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    db.init_app(app)
    if "gunicorn" not in sys.modules:
        # the `flask db` commands; a web server's workers have no use for them, and alembic
        # (~10 MiB) stays out of them (issue 8, memory)
        from flask_migrate import Migrate
        Migrate(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    from core import i18n
    i18n.install(app)
    compression.init_app(app)

    from core import (database, errors, cli, inputs, reference, requestlog, security, static,
                      templating)
    with app.app_context():
        database.configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"],
                                  app.config["SQLITE_SYNCHRONOUS"],
                                  app.config["SQLITE_WRITER_WAIT_MS"],
                                  app.config["SQLITE_CHECKPOINT_EVERY"])
    database.close_quietly(app)  # after db.init_app: runs before its teardown
    requestlog.init_app(app)  # first: a request refused by any check still has its id
    inputs.init_app(app)  # before any blueprint: the bounded <int:…> converter
    errors.register_error_handlers(app)
    security.init_app(app)
    static.init_app(app)
    templating.init_app(app)
    reference.init_app(app)
    from core.openapi import bp as openapi_bp
    app.register_blueprint(openapi_bp)
    from core.admin import bp as admin_bp
    app.register_blueprint(admin_bp)

    # every feature's models first: relationships name each other's classes by string, and
    # the first query (or prebuilt statement) configures all mappers at once
    import grid.models, auth.models, workcal.calendar, events.models  # noqa: F401
    import notify.models, portal.models, field.models, dashboard.models  # noqa: F401
    import audit.models, ops.models, snow.models, care.models, programme.models  # noqa: F401
    import audit
    import auth
    import care
    import dashboard
    import demo
    import events
    import field
    import grid
    import notify
    import ops
    import portal
    import programme
    import snow
    import workcal
    audit.init_app(app)
    auth.init_app(app)
    grid.init_app(app)
    workcal.init_app(app)
    events.init_app(app)
    notify.init_app(app)
    ops.init_app(app)
    portal.init_app(app)
    field.init_app(app)
    snow.init_app(app)
    care.init_app(app)
    dashboard.init_app(app)
    programme.init_app(app)
    demo.init_app(app)
    cli.init_app(app)
    from core.extensions import limits_on_views_only
    limits_on_views_only(app)  # last: every blueprint's limits are known
    return app
