"""The pages of 事项类别 (/admin/categories) and 责任清单 (/admin/routing), admins only;
every change audited (audit/)."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select

from audit.services import record
from core.database import write_transaction
from core.errors import Conflict
from core.extensions import db
from core.roles import role_required
from events import catalogue_admin as admin
from events.catalogue import STAGE_LIMITS
from events.models import Category, Department, RoutingRule
from events.admin_views import town_list
from events.views import bp


@bp.get("/admin/categories")
@role_required("admin")
def categories():
    return render_template("events/categories.html",
                           categories=db.session.scalars(admin.categories_query()).all(),
                           items=admin.responsibility_items(), problems=None)


@bp.get("/admin/categories.csv")
@role_required("admin")
def categories_csv():
    body = admin.to_csv(db.session.scalars(admin.categories_query()).all())
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=categories.csv"})


@bp.post("/admin/categories/import")
@role_required("admin")
def import_categories():
    upload = request.files.get("file")
    data = upload.read(admin.MAX_IMPORT_BYTES + 1) if upload else b""
    if not data:
        problems = [(0, _("请选择要导入的 CSV 文件"))]
    else:
        with write_transaction():
            known = {c.code: c for c in db.session.scalars(select(Category))}
            rows, problems = admin.read_csv(data, known)
            if not problems:
                added, changed = _apply_rows(rows, known)
        if not problems:
            flash(_("已导入事项类别：新增 %(added)s 个，修改 %(changed)s 个；修改只影响之后开始的环节",
                    added=added, changed=changed), "success")
            return redirect(url_for("events.categories"), 303)
    return render_template("events/categories.html",
                           categories=db.session.scalars(admin.categories_query()).all(),
                           items=admin.responsibility_items(), problems=problems), 422


def _apply_rows(rows: list[dict], known: dict) -> tuple[int, int]:
    added = changed = 0
    for values in rows:
        category = known.get(values["code"])
        if category is None:
            db.session.add(Category(**values, version=1))
            record(current_user, "category", values["code"], "create", None,
                   {k: v for k, v in values.items() if k != "code"})
            added += 1
            continue
        before = admin.snapshot(category)
        for key in before:
            setattr(category, key, values[key])
        if record(current_user, "category", category.code, "update", before,
                  admin.snapshot(category)) is not None:
            category.version += 1
            changed += 1
    return added, changed


@bp.route("/admin/categories/<int:category_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_category(category_id: int):
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    if request.method == "GET":
        return _category_page(category)
    try:
        with write_transaction():
            category = db.session.get(Category, category_id)
            values, errors = admin.check(request.form, new=False)
            if errors:
                return _category_page(category, request.form, errors, 422)
            version = request.form.get("version", "")
            if version != str(category.version):
                raise Conflict(_("%(name)s 已被他人修改：请查看最新内容后再保存",
                                 name=category.name))
            before = admin.snapshot(category)
            for key, value in values.items():
                setattr(category, key, value)
            category.version += 1
            record(current_user, "category", category.code, "update", before,
                   admin.snapshot(category))
    except Conflict as conflict:
        return _category_page(db.session.get(Category, category_id), request.form, {}, 409,
                              conflict.message)
    flash(_("已保存 %(name)s：新的时限只用于之后开始的环节，办理中的案件不变",
            name=values["name"]), "success")
    return redirect(url_for("events.edit_category", category_id=category_id), 303)


def _category_page(category, sent=None, errors=None, status=200, conflict=None):
    return render_template("events/category_form.html", category=category, sent=sent,
                           errors=errors or {}, conflict=conflict, urgencies=STAGE_LIMITS,
                           item=admin.responsibility_items().get(category.seed_item)), status


# --- 责任清单 ------------------------------------------------------------------------------

@bp.route("/admin/routing", methods=["GET", "POST"])
@role_required("admin")
def routing():
    towns = town_list()
    chosen = request.values.get("town") or (str(towns[0].id) if towns else "")
    town = next((t for t in towns if str(t.id) == chosen), None)
    if town is None:
        abort(404)
    departments = db.session.scalars(select(Department).where(
        Department.region_id == town.id, Department.is_active.is_(True))
        .order_by(Department.code)).all()
    if request.method == "POST":
        by_id = {str(d.id): d for d in departments}
        with write_transaction():
            rules = {r.category_id: r for r in db.session.scalars(
                select(RoutingRule).where(RoutingRule.region_id == town.id))}
            changes, conflicts = [], []
            for category in db.session.scalars(admin.categories_query()):
                sent = request.form.get(f"c{category.id}")
                opened = request.form.get(f"o{category.id}")  # what the form showed
                rule = rules.get(category.id)
                now = str(rule.department_id) if rule else ""
                if sent is None or sent == (opened if opened is not None else now):
                    continue  # not changed on this form
                if opened is not None and opened != now:
                    conflicts.append(category.name)  # changed by someone else meanwhile
                    continue
                new = by_id.get(sent)
                if sent and new is None:
                    continue  # a department that is not this town's active one: left as it was
                changes.append((category, rule, new))
            if conflicts:
                return _routing_page(town, towns, departments, status=409, conflict=_(
                    "%(names)s 的派给部门已被他人修改：页面已显示最新内容，本次修改没有保存，请重新选择后保存",
                    names="、".join(conflicts)))
            for category, rule, new in changes:
                old_code = rule.department.code if rule else None
                if new is None:
                    db.session.execute(delete(RoutingRule).where(RoutingRule.id == rule.id))
                elif rule is None:
                    db.session.add(RoutingRule(category_id=category.id, region_id=town.id,
                                               department_id=new.id))
                else:
                    rule.department_id = new.id
                record(current_user, "routing", f"{town.name} · {category.code} {category.name}",
                       "update", {"department": old_code},
                       {"department": new.code if new else None})
        flash(_("已保存%(town)s的责任清单：修改 %(num)s 项，之后的派遣按新规则", town=town.name,
                num=len(changes)), "success")
        return redirect(url_for("events.routing", town=town.id), 303)
    return _routing_page(town, towns, departments)


def _routing_page(town, towns, departments, status=200, conflict=None):
    rules = {r.category_id: r.department_id for r in db.session.scalars(
        select(RoutingRule).where(RoutingRule.region_id == town.id))}
    return render_template("events/routing.html", towns=towns, town=town,
                           departments=departments, rules=rules, conflict=conflict,
                           categories=db.session.scalars(admin.categories_query()).all(),
                           items=admin.responsibility_items()), status
