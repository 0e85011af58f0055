"""责任单位 administration (/admin/departments, admins): create and edit departments and name
each one's head — the handler who hears of its overdue cases first (level-1 escalation).
Every change is audited; two admins editing the same department at once cannot overwrite
each other (the version the form was opened at)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update

from audit.services import record
from auth.models import User
from core.database import write_transaction
from core.errors import Conflict
from core.extensions import db
from core.roles import role_required
from events.models import Department
from events.views import bp
from grid.models import Region


def town_list():
    """Every town, by code (the departments' and the routing's town choices)."""
    return db.session.scalars(select(Region).where(Region.level == "town")
                              .order_by(Region.code)).all()


def _handlers(department_id: int) -> list[User]:
    return db.session.scalars(select(User).where(
        User.department_id == department_id, User.role == "handler",
        User.is_enabled.is_(True)).order_by(User.username)).all()


def _snapshot(department: Department) -> dict:
    head = db.session.scalar(select(User.username).where(
        User.department_id == department.id, User.is_department_head.is_(True)))
    return {"code": department.code, "name": department.name,
            "town": department.region.code if department.region else None,
            "is_active": bool(department.is_active), "head": head}


def _parse(form, department: Department | None) -> tuple[dict, dict]:
    values, errors = {}, {}
    values["name"] = (form.get("name") or "").strip()
    if not values["name"]:
        errors["name"] = _("请填写部门名称")
    elif len(values["name"]) > 64:
        errors["name"] = _("最多 %(num)s 个字符", num=64)
    towns = {str(t.id): t for t in town_list()}
    values["town"] = towns.get(form.get("town") or "")
    if values["town"] is None:
        errors["town"] = _("请选择部门所在的镇")
    if department is None:
        code = (form.get("code") or "").strip()
        if not code or len(code) > 32 or not all(c.isascii() and (c.isalnum() or c in "-_")
                                                  for c in code):
            errors["code"] = _("代码须为 1–32 位英文字母、数字、- 或 _")
        elif db.session.scalar(select(Department.id).where(Department.code == code)):
            errors["code"] = _("代码 %(code)s 已被使用", code=code)
        values["code"] = code
        values["head"] = None
    else:
        head = form.get("head") or ""
        handlers = {str(u.id): u for u in _handlers(department.id)}
        if head and head not in handlers:
            errors["head"] = _("负责人须是本部门在职的处置人员")
        values["head"] = handlers.get(head)
        version = form.get("version") or ""
        values["version"] = int(version) if version.isascii() and version.isdigit() \
            and len(version) < 10 else -1
    values["is_active"] = form.get("is_active") == "1" if department is not None else True
    return values, errors


@bp.get("/admin/departments")
@role_required("admin")
def departments():
    rows = db.session.execute(
        select(Department, func.count(User.id))
        .outerjoin(User, (User.department_id == Department.id) & User.is_enabled.is_(True))
        .group_by(Department.id).order_by(Department.region_id, Department.code)).all()
    heads = dict(db.session.execute(select(User.department_id, User.display_name).where(
        User.is_department_head.is_(True), User.is_enabled.is_(True))).all())
    return render_template("events/departments.html", rows=rows, heads=heads)


def _page(department, sent=None, errors=None, status=200, conflict=None):
    return render_template("events/department_form.html", department=department, sent=sent,
                           errors=errors or {}, towns=town_list(), conflict=conflict,
                           handlers=_handlers(department.id) if department else [],
                           head=_snapshot(department)["head"] if department else None), status


@bp.route("/admin/departments/new", methods=["GET", "POST"])
@role_required("admin")
def new_department():
    if request.method == "GET":
        return _page(None)
    with write_transaction():
        values, errors = _parse(request.form, None)
        if errors:
            return _page(None, request.form, errors, 422)
        department = Department(code=values["code"], name=values["name"],
                                region_id=values["town"].id, is_active=True, version=1)
        db.session.add(department)
        db.session.flush()
        record(current_user, "department", department.code, "create", None,
               _snapshot(department))
    flash(_("已新建责任单位 %(name)s", name=department.name), "success")
    return redirect(url_for("events.edit_department", department_id=department.id), 303)


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_department(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    if request.method == "GET":
        return _page(department)
    try:
        with write_transaction():
            department = db.session.get(Department, department_id)
            values, errors = _parse(request.form, department)
            if errors:
                return _page(department, request.form, errors, 422)
            if values["version"] != department.version:
                raise Conflict(_("%(name)s 已被他人修改：请查看最新内容后再保存",
                                 name=department.name))
            before = _snapshot(department)
            department.name, department.region_id = values["name"], values["town"].id
            department.is_active = values["is_active"]
            department.version += 1
            db.session.execute(update(User).where(User.department_id == department.id)
                               .values(is_department_head=False))
            if values["head"] is not None:
                db.session.execute(update(User).where(User.id == values["head"].id)
                                   .values(is_department_head=True))
            record(current_user, "department", department.code, "update", before,
                   _snapshot(department))
    except Conflict as conflict:
        return _page(db.session.get(Department, department_id), request.form, {}, 409,
                     conflict.message)
    flash(_("已保存 %(name)s", name=values["name"]), "success")
    return redirect(url_for("events.edit_department", department_id=department_id), 303)
