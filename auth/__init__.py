"""Authentication and authorization."""
from functools import cache
from importlib import import_module

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from core.extensions import db, login_manager
from core.inputs import is_id


def init_app(app) -> None:
    from auth.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    login_manager.localize_callback = str  # flash plain text, in the request's language
    login_manager.session_protection = "strong"

    @cache
    def _session_user():
        """Every page's first statement: the session's user with what its scope and menu
        read — the grids, the region, the department and the department's region — in one
        query built once (SQLAlchemy keeps its cache key) — issue 8. (Each was a lazy load
        of its own for the roles that have one.)"""
        department = joinedload(User.department)
        return (select(User).options(
            joinedload(User.memberships), joinedload(User.region),
            department.joinedload(User.department.property.mapper.class_.region))
            .where(User.id == bindparam("user_id")))

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<id>.<epoch>": a cookie from before the user's last logout or password change
        # names an old epoch and no longer logs anyone in.
        ident, _, epoch = session_id.partition(".")
        if not (is_id(ident) and epoch.isascii() and epoch.isdigit()):
            return None
        user = db.session.scalars(_session_user(), {"user_id": int(ident)}).unique().first()
        if user is None or not user.is_enabled or (user.session_epoch or 0) != int(epoch):
            return None
        return user

    from auth import api
    import_module("auth.admin_views")  # the users pages: routes on auth.views.bp
    from auth.cli import users_cli
    from auth.masking import may_see_contact, reporter_contact
    from auth.views import bp as views_bp
    from auth.services import user_for_token
    from core.bearer import register_token_loader
    from core.openapi import register_api
    register_token_loader(app, user_for_token)
    app.add_template_global(reporter_contact)
    app.add_template_global(may_see_contact)
    app.cli.add_command(users_cli)
    app.register_blueprint(views_bp)
    app.register_blueprint(api.bp)
    register_api(app, api.api_operations, [api.TokenRequest, api.TokenOut, api.MeOut],
                 inputs=[api.TokenRequest])
