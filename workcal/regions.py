"""区划 administration (/admin/regions, admins): the division tree with its 12-digit codes;
add a town under a county or a village under a town; a town's demonstration level and year
and its working periods (which move running deadlines, so they live beside the calendar).
Every change audited."""
import hashlib
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import select

from audit.services import record
from core.database import write_transaction
from core.extensions import db
from core.roles import role_required
from grid.models import Region
from workcal.calendar import calendar_changed_in
from workcal.worktime import WorkPeriods

bp = Blueprint("regions", __name__, url_prefix="/admin/regions")


def N_(text: str) -> str:
    """Marks a name for the catalogue (`make extract`); the page translates it."""
    return text


DEMO_LEVELS = ("省级", "市级", "县级")
#: which level a new region takes under its parent, and how many leading digits it shares
CHILD = {"county": ("town", 6), "town": ("village", 9)}
LEVEL_NAMES = {"province": N_("省"), "city": N_("市（州）"), "county": N_("县（市、区）"), "town": N_("乡镇（街道）"),
               "village": N_("村（社区）")}


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every region page is an admin's."""


def _tree() -> list[tuple[Region, int]]:
    """Every region in path order with its depth."""
    rows = db.session.scalars(select(Region).order_by(Region.path)).all()
    return [(region, region.path.count("/") - 1) for region in rows]


@bp.get("")
def index():
    return render_template("workcal/regions.html", tree=_tree(), child=CHILD,
                           levels=LEVEL_NAMES, errors={}, sent=None)


def _check_new(parent: Region, form) -> tuple[dict, dict]:
    level, shared = CHILD[parent.level]
    code, name = (form.get("code") or "").strip(), (form.get("name") or "").strip()
    errors = {}
    if not (len(code) == 12 and code.isascii() and code.isdigit()):
        errors["code"] = _("区划代码须为 12 位数字")
    elif code[:shared] != parent.code[:shared]:
        errors["code"] = _("代码须以上级区划代码的前 %(num)s 位 %(prefix)s 开头", num=shared,
                           prefix=parent.code[:shared])
    elif level == "town" and code[9:] != "000":
        errors["code"] = _("乡镇代码的后 3 位须为 000")
    elif level == "village" and code[9:] == "000":
        errors["code"] = _("村（社区）代码的后 3 位不能为 000")
    elif db.session.scalar(select(Region.id).where(Region.code == code)):
        errors["code"] = _("区划代码 %(code)s 已存在", code=code)
    if not name or len(name) > 64:
        errors["name"] = _("名称须为 1–64 个字符")
    return {"code": code, "name": name, "level": level}, errors


@bp.post("/<int:parent_id>/children")
def add_child(parent_id: int):
    parent = db.session.get(Region, parent_id)
    if parent is None or parent.level not in CHILD:
        abort(404)
    values, errors = _check_new(parent, request.form)
    if errors:
        return render_template("workcal/regions.html", tree=_tree(), child=CHILD,
                               levels=LEVEL_NAMES, errors=errors, sent=request.form,
                               parent_id=parent.id), 422
    with write_transaction():
        region = Region(code=values["code"], name=values["name"], level=values["level"],
                        parent_id=parent.id, path=f"{parent.path}{values['code']}/")
        db.session.add(region)
        db.session.flush()
        record(current_user, "region", region.code, "create", None,
               {"name": region.name, "level": region.level, "parent": parent.code})
    flash(_("已新增 %(name)s（%(code)s）", name=values["name"], code=values["code"]), "success")
    return redirect(url_for("regions.edit", region_id=region.id) if values["level"] == "town"
                    else url_for("regions.index"), 303)


def _check_town(form) -> tuple[dict, dict]:
    errors = {}
    name = (form.get("name") or "").strip()
    if not name or len(name) > 64:
        errors["name"] = _("名称须为 1–64 个字符")
    periods_text = (form.get("work_periods") or "").replace("，", ",").replace("、", ",")
    periods = [p.strip().replace("－", "-").replace("—", "-")
               for p in periods_text.replace(" ", ",").split(",") if p.strip()]
    try:
        WorkPeriods.parse(periods)
    except ValueError:
        errors["work_periods"] = _("工作时段格式如 08:00-12:00, 13:30-17:30，各时段不能重叠")
    # 示范镇级别 and its year are the programme's registry's (/programme): decided there with
    # their document numbers, never here
    return {"name": name, "work_periods": periods or None}, errors


def version(region: Region) -> str:
    """What the form was opened on, as a short digest: a save from an older one is refused
    (regions carry no version column; their few edited fields are the version)."""
    seen = json.dumps([region.name, region.work_periods], ensure_ascii=False)
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def _form(region, errors=None, sent=None, status=200, conflict=None):
    return render_template("workcal/region_form.html", region=region, errors=errors or {},
                           sent=sent, levels=DEMO_LEVELS, version=version(region),
                           conflict=conflict), status


@bp.route("/<int:region_id>", methods=["GET", "POST"])
def edit(region_id: int):
    region = db.session.get(Region, region_id)
    if region is None or region.level != "town":
        abort(404)
    if request.method == "GET":
        return _form(region)
    values, errors = _check_town(request.form)
    if errors:
        return _form(region, errors, request.form, 422)
    with write_transaction():
        region = db.session.get(Region, region_id)
        if request.form.get("version") != version(region):
            return _form(region, sent=None, status=409, conflict=_(
                "%(name)s 已被他人修改：页面已显示最新内容，请重新修改后保存", name=region.name))
        before = {key: getattr(region, key) for key in values}
        for key, value in values.items():
            setattr(region, key, value)
        db.session.flush()
        moved = calendar_changed_in("days") \
            if before["work_periods"] != values["work_periods"] else 0
        record(current_user, "region", region.code, "update", before, values)
    flash(ngettext("已保存 %(name)s；按新工作时段重算期限 %(num)d 件",
                   "已保存 %(name)s；按新工作时段重算期限 %(num)d 件", moved, name=values["name"])
          if before["work_periods"] != values["work_periods"]
          else _("已保存 %(name)s", name=values["name"]), "success")
    return redirect(url_for("regions.edit", region_id=region_id), 303)
