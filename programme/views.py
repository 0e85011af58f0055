"""示范镇名录 pages (issue 15): the registry with the quotas (supervisors: their region;
admins: all), a town's entry with its history, and the admins' decisions — listing a town
or a candidate, designating, changing level or status (each with its 文号), the facts of a
申报 and its 十四五 plan file."""
from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import clock
from core.database import end_read, write_transaction
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.inputs import is_id
from core.roles import role_required
from grid.models import Region
from programme import services
from programme.inputs import number, year
from programme.models import LEVELS, STATUSES, ProgrammeTown

bp = Blueprint("programme", __name__, url_prefix="/programme")
ROLES = services.SEEING_ROLES


def _facts() -> dict:
    industry = (request.form.get("industry") or "").strip()
    if len(industry) > 200:
        raise InvalidInput(_("主导产业不超过 200 字"), fields={"industry": [_("不超过 200 字")]})
    return {"population": number("population"), "area_km2": number("area_km2", float),
            "industry": industry}


def _overview(errors=None, sent=None, status=200):
    level = request.args.get("level") if request.args.get("level") in LEVELS else None
    wanted = request.args.get("status") if request.args.get("status") in STATUSES else None
    entries = services.registry(current_user, level=level, status=wanted)
    listed = set(db.session.scalars(select(ProgrammeTown.town_id)))
    towns = [] if current_user.role != "admin" else [
        town for town in db.session.scalars(select(Region).where(Region.level == "town")
                                            .order_by(Region.path)) if town.id not in listed]
    return render_template("programme/index.html", entries=entries, quotas=services.quotas(
        current_user), levels=LEVELS, statuses=STATUSES, level=level, status=wanted,
        towns=towns, errors=errors or {}, sent=sent), status


@bp.get("")
@role_required(*ROLES)
def index():
    return _overview()


@bp.post("")
@role_required("admin")
def add():
    form = request.form
    try:
        with write_transaction():
            entry = services.add(current_user, form.get("town_code", ""), clock.utcnow(),
                                 level=form.get("level", ""), status=form.get("status", ""),
                                 designated_year=year("designated_year"),
                                 document_no=form.get("document_no", ""),
                                 note=form.get("note", ""), facts=_facts())
    except AppError as error:
        return _overview({**(error.fields or {}), "_": [error.message]}, form, error.status)
    flash(_("已列入名录：%(town)s", town=entry.town.name), "success")
    return redirect(url_for("programme.town", code=entry.town.code), 303)


def _entry(code: str, *, for_update: bool = False) -> ProgrammeTown:
    query = (select(ProgrammeTown).join(Region, Region.id == ProgrammeTown.town_id)
             .where(Region.code == code, services.reach(current_user)))
    entry = db.session.scalar(query.with_for_update(of=ProgrammeTown) if for_update else query)
    if entry is None:
        abort(404)
    return entry


def _page(code: str, errors=None, sent=None, status=200):
    return render_template("programme/town.html", entry=_entry(code), levels=LEVELS,
                           statuses=STATUSES, errors=errors or {}, sent=sent), status


@bp.get("/<code>")
@role_required(*ROLES)
def town(code: str):
    return _page(code)


@bp.post("/<code>/decide")
@role_required("admin")
def decide(code: str):
    form = request.form
    try:
        version = form.get("version", "")
        with write_transaction():
            entry = _entry(code, for_update=True)
            changed = services.decide(
                current_user, entry, clock.utcnow(), level=form.get("level", ""),
                status=form.get("status", ""), designated_year=year("designated_year"),
                document_no=form.get("document_no", ""), note=form.get("note", ""),
                version=int(version) if is_id(version) else None)
    except AppError as error:
        return _page(code, {**(error.fields or {}), "_": [error.message]}, form, error.status)
    flash(_("已记录决定") if changed else _("没有改动"), "success")
    return redirect(url_for("programme.town", code=code), 303)


@bp.post("/<code>/facts")
@role_required("admin")
def facts(code: str):
    try:
        wanted = _facts()
        with write_transaction():
            changed = services.set_facts(current_user, _entry(code, for_update=True), wanted,
                                         clock.utcnow())
    except AppError as error:
        return _page(code, {**(error.fields or {}), "facts": [error.message]}, request.form,
                     error.status)
    flash(_("已保存申报信息") if changed else _("没有改动"), "success")
    return redirect(url_for("programme.town", code=code), 303)


@bp.post("/<code>/plan")
@role_required("admin")
def plan(code: str):
    upload = request.files.get("plan")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput(_("请选择规划文件（PDF）"), fields={"plan": [_("必填")]})
        _entry(code)
        key = services.store_plan(upload.read(services.PLAN_MAX_BYTES + 1))  # before the unit
        end_read()
        with write_transaction():
            services.attach_plan(current_user, _entry(code, for_update=True), key,
                                 upload.filename, clock.utcnow())
    except AppError as error:
        return _page(code, {"plan": [error.message]}, None, error.status)
    flash(_("已上传规划文件"), "success")
    return redirect(url_for("programme.town", code=code), 303)


@bp.get("/<code>/plan.pdf")
@role_required(*ROLES)
def plan_file(code: str):
    from events.storage import get_storage
    entry = _entry(code)
    if entry.plan_key is None:
        abort(404)
    answer = Response(get_storage(current_app).read(entry.plan_key), mimetype="application/pdf")
    answer.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
        entry.plan_name or "规划.pdf")
    return answer
