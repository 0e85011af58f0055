"""Authentication and authorization."""
from functools import cache
from importlib import import_module

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from core import reference
from core.extensions import db, login_manager
from core.rows import plain_rows, set_loaded
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
        plain statement built once, its rows made into the session's objects by core.rows
        (issue 8: each was a lazy load of its own, then the ORM's joined loading of five
        entities). Its first column is the reference data's token (core.reference)."""
        from grid.models import GridMember, Region
        user, region, member = User.__table__, Region.__table__, GridMember.__table__
        department = User.department.property.mapper.local_table
        department_region = region.alias("department_region")
        return (select(reference.version_column(), user, region, department,
                       department_region, member)
                .select_from(user.outerjoin(region, region.c.id == user.c.region_id)
                             .outerjoin(department, department.c.id == user.c.department_id)
                             .outerjoin(department_region,
                                        department_region.c.id == department.c.region_id)
                             .outerjoin(member, member.c.user_id == user.c.id))
                .where(user.c.id == bindparam("user_id")).order_by(member.c.id))

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<id>.<epoch>": a cookie from before the user's last logout or password change
        # names an old epoch and no longer logs anyone in.
        ident, _, epoch = session_id.partition(".")
        if not (is_id(ident) and epoch.isascii() and epoch.isdigit()):
            return None
        from auth.services import user_from_rows
        from grid.models import Region
        session = db.session()
        rows = plain_rows(session, _session_user(), {"user_id": int(ident)})
        if not rows:
            return None
        user, region, department, department_region = user_from_rows(
            session, [row[1:] for row in rows], Region, User.department.property.mapper.class_,
            Region)
        if not user.is_enabled or (user.session_epoch or 0) != int(epoch):
            return None
        reference.note(session, rows[0][0])
        set_loaded(user, "region", region)
        set_loaded(user, "department", department)
        if department is not None:
            set_loaded(department, "region", department_region)
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
