"""The users pages (/admin/users) and a user's own password page (/account/password), which a
user whose password an admin reset is sent to before anything else."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import or_

from auth import admin, sheets
from auth.models import ROLES, User
from auth.services import MIN_PASSWORD_LENGTH, set_password
from auth.views import bp
from core.database import write_transaction
from core.errors import AppError, Conflict
from core.extensions import db
from core.inputs import is_id
from core.roles import role_required
from grid.models import Region
from werkzeug.security import check_password_hash

PAGE = 100


@bp.get("/admin/users")
@role_required("admin", "dispatcher")
def users():
    query = admin.manageable(current_user).order_by(User.username)
    words = (request.args.get("q") or "").strip()[:64]
    role = request.args.get("role") or ""
    town = request.args.get("town") or ""
    if words:
        like = f"%{words}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role in ROLES:
        query = query.where(User.role == role)
    if is_id(town):
        query = query.where(User.region_id == int(town))
    if not request.args.get("disabled"):
        query = query.where(User.is_enabled.is_(True))
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 6 else 1
    found = db.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    return render_template("auth/users.html", users=found[:PAGE], more=len(found) > PAGE,
                           page=page, offered=admin.choices(current_user),
                           may_create=current_user.role in ("admin", "dispatcher"))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not admin.may_manage(current_user, user):
        abort(403)
    return user


def _form_page(user: User | None, sent=None, errors=None, status=200, password=None,
               conflict=None):
    return render_template("auth/user_form.html", user=user, sent=sent, errors=errors or {},
                           offered=admin.choices(current_user), password=password,
                           conflict=conflict, min_password=MIN_PASSWORD_LENGTH,
                           current=admin.snapshot(user) if user else None), status


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required("admin", "dispatcher")
def new_user():
    if request.method == "GET":
        return _form_page(None)
    with write_transaction():
        checked = admin.parse(current_user, request.form)
        if checked.errors:
            return _form_page(None, request.form, checked.errors, 422)
        user, generated = admin.create(current_user, checked.values)
    if generated:  # shown once, on this answer only: never stored or flashed
        return _form_page(user, password=generated, status=201)
    flash(_("已创建用户 %(name)s：首次登录时须修改密码", name=user.display_name), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id), 303)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin", "dispatcher")
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _form_page(user)
    try:
        with write_transaction():
            user = _user_or_404(user_id)
            checked = admin.parse(current_user, request.form, user)
            if checked.errors:
                return _form_page(user, request.form, checked.errors, 422)
            admin.update(current_user, user, checked.values)
    except Conflict as conflict:
        return _form_page(db.session.get(User, user_id), request.form, {}, 409,
                          conflict=conflict.message)
    flash(_("已保存 %(name)s", name=user.display_name), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id), 303)


@bp.post("/admin/users/<int:user_id>/enabled")
@role_required("admin", "dispatcher")
def set_enabled(user_id: int):
    enable = request.form.get("enabled") == "1"
    try:
        with write_transaction():
            user = _user_or_404(user_id)
            admin.set_enabled(current_user, user, enable)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("auth.edit_user", user_id=user_id), 303)
    flash(_("已启用 %(name)s", name=user.display_name) if enable else
          _("已停用 %(name)s：其登录和接口令牌都已失效，历史记录保留姓名", name=user.display_name),
          "success")
    return redirect(url_for("auth.edit_user", user_id=user_id), 303)


@bp.post("/admin/users/<int:user_id>/password")
@role_required("admin", "dispatcher")
def reset_password(user_id: int):
    with write_transaction():
        user = _user_or_404(user_id)
        password = admin.reset_password(current_user, user)
    return _form_page(user, password=password)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A user's own password; the only page (with logging out) a user whose password was
    reset may open until they choose one."""
    errors, status = {}, 200
    if request.method == "POST":
        old, new = request.form.get("current") or "", request.form.get("new") or ""
        if not check_password_hash(current_user.password_hash, old[:256]):
            errors["current"] = _("当前密码不对")
        if len(new) < MIN_PASSWORD_LENGTH or len(new) > 256:
            errors["new"] = _("新密码至少 %(min)s 位", min=MIN_PASSWORD_LENGTH)
        elif new == old:
            errors["new"] = _("新密码不能与当前密码相同")
        elif new != (request.form.get("again") or ""):
            errors["again"] = _("两次输入的新密码不一致")
        if not errors:
            with write_transaction():
                user = db.session.get(User, current_user.id)
                set_password(user, new)  # every other session ends
                user.must_change_password = False
            login_user(user)  # this one goes on, under the new epoch
            flash(_("密码已修改"), "success")
            return redirect(url_for("events.index"), 303)
        status = 422
    return render_template("auth/password.html", errors=errors,
                           forced=current_user.must_change_password,
                           min_password=MIN_PASSWORD_LENGTH), status


#: what a user who must change their password may still reach
_OPEN_WHILE_FORCED = {"auth.change_password", "auth.logout", "auth.set_language", "static"}


@bp.before_app_request
def _password_first():
    # the API and static files first: they never load the session's user for this
    if request.path.startswith(("/api/", "/static/")) or request.endpoint in _OPEN_WHILE_FORCED:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


def town_name(region_id: int | None) -> str:
    region = db.session.get(Region, region_id) if region_id else None
    return region.name if region else ""


def scope_text(user: User) -> str:
    """Where a user works, as the list shows it."""
    if user.role == "grid_worker":
        names = sorted(m.grid.name for m in user.memberships)
        return "、".join(names[:4]) + (_(" 等 %(num)s 个网格", num=len(names))
                                       if len(names) > 4 else "")
    if user.role == "handler" and user.department:
        return user.department.name
    return town_name(user.region_id)


bp.add_app_template_global(scope_text, "user_scope")


@bp.route("/admin/users/import", methods=["GET", "POST"])
@role_required("admin", "dispatcher")
def import_users():
    """Bulk import from an Excel or CSV sheet: every row checked as the form checks a user;
    any wrong row and nobody is created (the report names each row and field); otherwise
    everyone is, each with a one-time password shown on this answer only."""
    if request.method == "GET":
        return render_template("auth/import.html", columns=sheets.SHEET_COLUMNS,
                               problems=None, created=None)
    upload = request.files.get("file")
    data = upload.read(sheets.MAX_SHEET_BYTES + 1) if upload else b""
    if not data:
        rows, problem = [], _("请选择要导入的 Excel 或 CSV 文件")
    else:
        rows, problem = sheets.sheet_rows(data, upload.filename or "")
    if problem:
        return render_template("auth/import.html", columns=sheets.SHEET_COLUMNS,
                               problems=[(0, problem)], created=None), 422
    with write_transaction():
        checked, problems = sheets.check_sheet(current_user, rows)
        if not problems:  # all or nobody
            created = [admin.create(current_user, values) for values in checked]
    if problems:
        return render_template("auth/import.html", columns=sheets.SHEET_COLUMNS,
                               problems=problems, created=None), 422
    return render_template("auth/import.html", columns=sheets.SHEET_COLUMNS, problems=None,
                           created=created), 201


@bp.get("/admin/users/import-template.csv")
@role_required("admin", "dispatcher")
def import_template():
    """The sheet's header and two example rows (UTF-8 with a BOM: Excel opens it as is)."""
    from flask import Response
    lines = [",".join(h for _k, h in sheets.SHEET_COLUMNS),
             "zhang.wei,张伟,网格员,清河镇,清河镇第3网格、清河镇第4网格,清河镇第3网格,,,,,13800000001",
             "li.na,李娜,处置人员,清河镇,,,环卫所,是,,lina@example.invalid,"]
    return Response("\ufeff" + "\n".join(lines) + "\n", mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=users.csv"})
