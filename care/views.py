"""The 巡访 desk pages (issue 14): the register with coverage and cold waves, a person's
record (each read logged), adding and editing people, pairing a neighbour, the schedule
(admins), and the visits' photos (only to those who see the person). A person's pages
answer 404 to everyone who may not see them, whatever their role."""
from datetime import date, timedelta

from flask import (Blueprint, abort, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from care import access, coverage, services, visits
from care.models import CHECKS, LIVING, RISKS, UNITS, CareAccess, CarePerson, CareSchedule, CareVisit
from care.schemas import HelperIn, PersonIn
from core import clock
from core.database import write_transaction
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.inputs import is_id, load_form
from core.roles import role_required
from events.filters import local_day
from events.models import Attachment
from events.photos import photo_response
from grid.models import Grid, Region

bp = Blueprint("care", __name__, url_prefix="/care")

PERSON_LABELS = {"grid_code": _l("网格"), "name": _l("姓名"), "birth_year": _l("出生年份"),
                 "address": _l("住址"), "lat": _l("住址纬度"), "lon": _l("住址经度"),
                 "phone": _l("本人电话"), "guardian_name": _l("监护人"),
                 "guardian_phone": _l("监护人电话"), "guardian_relation": _l("与老人关系"),
                 "living": _l("居住情况"), "risk": _l("风险等级"), "notes": _l("备注")}
HELPER_LABELS = {"name": _l("互助人姓名"), "phone": _l("互助人电话"), "address": _l("互助人住址")}
PAGE = 50
#: the coverage period's first possible day (a hostile ?end=0001-01-01 computes no overflow)
EARLIEST = date(2000, 1, 1)


def _grids() -> list[Grid]:
    query = select(Grid).where(Grid.retired_at.is_(None)).order_by(Grid.code)
    if current_user.role == "dispatcher":
        query = query.where(Grid.town_id == current_user.region_id)
    elif current_user.role == "grid_worker":
        query = query.where(Grid.id.in_(sorted(current_user.grid_ids) or [0]))
    elif current_user.role == "supervisor":
        from auth.permissions import towns_under
        query = query.where(Grid.town_id.in_(towns_under(current_user.region.path)))
    return db.session.scalars(query).all()


def _day(name: str, default: date) -> date:
    text = request.args.get(name, "")
    try:
        day = date.fromisoformat(text) if text else default
    except ValueError:
        return default
    return day if day >= EARLIEST else default


@bp.get("")
@role_required(*access.FIGURE_ROLES)
def index():
    return _overview()


def _overview(error: str | None = None, status: int = 200):
    now = clock.utcnow()
    today = local_day(now)
    grids = _grids()
    end = min(_day("end", today), today)
    start = min(_day("start", end - timedelta(days=29)), end)
    if (end - start).days > 366:
        start = end - timedelta(days=366)
    towns_cov, grids_cov = coverage.coverage(start, end, today,
                                             grid_ids=[grid.id for grid in grids])
    town_ids = sorted({grid.town_id for grid in grids})
    towns = {town.id: town for town in db.session.scalars(
        select(Region).where(Region.id.in_(town_ids)))}
    people, more = [], None
    sees = current_user.role in access.SEEING_ROLES
    if sees:
        people, more = _register(today)
    return render_template(
        "care/index.html", grids=grids, towns=towns, towns_cov=towns_cov, grids_cov=grids_cov,
        start=start, end=end, today=today, people=people, more=more, sees=sees, risks=RISKS,
        waves=services.running_waves(town_ids, today), error=error), status


def _register(today: date):
    query = select(CarePerson).where(access.clause(current_user), CarePerson.left_on.is_(None))
    grid = request.args.get("grid", "")
    if grid:
        query = query.join(Grid, Grid.id == CarePerson.grid_id).where(Grid.code == grid)
    if request.args.get("risk") in RISKS:
        query = query.where(CarePerson.risk == request.args["risk"])
    if request.args.get("overdue") == "1":
        query = query.where(CarePerson.next_due_on < today)
    page = max(int(request.args["page"]) if is_id(request.args.get("page", "")) else 1, 1)
    rows = db.session.scalars(query.order_by(CarePerson.next_due_on, CarePerson.id)
                              .offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    with write_transaction():  # each person named on the page is a read of the register
        access.log_access(current_user, [p.id for p in rows[:PAGE]], action="list",
                          via="page", now=clock.utcnow())
    more = None
    if len(rows) > PAGE:
        more = url_for("care.index", **{**request.args.to_dict(), "page": page + 1})
    return rows[:PAGE], more


@bp.post("/cold-waves")
@role_required("dispatcher", "admin")
def cold_wave():
    form = request.form
    try:
        try:
            starts_on = date.fromisoformat(form.get("starts_on", ""))
            ends_on = date.fromisoformat(form.get("ends_on", ""))
        except ValueError:
            raise InvalidInput(_("请填写寒潮的起止日期")) from None
        with write_transaction():
            waves = services.declare_cold_wave(current_user, form.getlist("town_codes"),
                                               starts_on, ends_on, clock.utcnow())
    except AppError as error:
        return _overview(error.message, error.status)
    flash(_("已发布寒潮（%(n)s 个乡镇）：期间按寒潮周期加密走访", n=len(waves)), "success")
    return redirect(url_for("care.index"), 303)


def _person_form(person: CarePerson | None, errors=None, sent=None, status=200):
    return render_template("care/person_form.html", person=person, grids=_grids(),
                           risks=RISKS, living=LIVING, errors=errors or {}, sent=sent,
                           labels=PERSON_LABELS), status


@bp.route("/people/new", methods=["GET", "POST"])
@role_required(*access.SEEING_ROLES)
def new_person():
    if request.method == "GET":
        return _person_form(None)
    try:
        data = load_form(PersonIn(), request.form, PERSON_LABELS)
        with write_transaction():
            person = services.add_person(current_user, data, clock.utcnow())
    except AppError as error:
        return _person_form(None, {**(error.fields or {}), "_": [error.message]},
                            request.form, error.status)
    flash(_("已登记：%(name)s", name=person.name), "success")
    return redirect(url_for("care.person", person_id=person.id), 303)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int):
    person = access.visible_person(current_user, person_id)
    if request.method == "GET":
        with write_transaction():  # the form shows the whole record
            access.log_access(current_user, [person.id], action="record", via="page",
                              now=clock.utcnow())
        return _person_form(person)
    try:
        data = load_form(PersonIn(), request.form, PERSON_LABELS)
        version = request.form.get("version", "")
        with write_transaction():
            person = access.visible_person(current_user, person_id, for_update=True)
            services.update_person(current_user, person, data, clock.utcnow(),
                                   version=int(version) if is_id(version) else None)
    except AppError as error:
        return _person_form(person, {**(error.fields or {}), "_": [error.message]},
                            request.form, error.status)
    flash(_("已保存"), "success")
    return redirect(url_for("care.person", person_id=person.id), 303)


@bp.get("/people/<int:person_id>")
@login_required
def person(person_id: int):
    return _record(person_id)


def _record(person_id: int, errors=None, status=200):
    person = access.visible_person(current_user, person_id)
    now = clock.utcnow()
    with write_transaction():
        access.log_access(current_user, [person.id], action="record", via="page", now=now)
    reads = []
    if current_user.role in ("dispatcher", "admin"):
        reads = db.session.scalars(select(CareAccess).where(CareAccess.person_id == person.id)
                                   .order_by(CareAccess.at.desc(), CareAccess.id.desc())
                                   .limit(30)).all()
    return render_template("care/person.html", person=person, visits=visits.history(person.id),
                           reads=reads, checks=CHECKS, today=local_day(now),
                           errors=errors or {},
                           labels=HELPER_LABELS), status


@bp.post("/people/<int:person_id>/helper")
@login_required
def helper(person_id: int):
    try:
        data = None
        if request.form.get("unpair") != "1":
            data = load_form(HelperIn(), request.form, HELPER_LABELS)
        with write_transaction():
            person = access.visible_person(current_user, person_id, for_update=True)
            services.pair_helper(current_user, person, data, clock.utcnow())
    except AppError as error:
        return _record(person_id, {**(error.fields or {}), "_": [error.message]}, error.status)
    flash(_("已结对互助人") if data else _("已解除结对"), "success")
    return redirect(url_for("care.person", person_id=person_id), 303)


@bp.post("/people/<int:person_id>/leave")
@login_required
def leave(person_id: int):
    access.visible_person(current_user, person_id)  # 404 before 403: nothing told
    if current_user.role not in ("dispatcher", "admin"):
        abort(403)
    try:
        with write_transaction():
            person = access.visible_person(current_user, person_id, for_update=True)
            services.take_off(current_user, person, request.form.get("left_reason", ""),
                              clock.utcnow())
    except AppError as error:
        return _record(person_id, {"leave": [error.message]}, error.status)
    flash(_("已移出名册，走访记录保留"), "success")
    return redirect(url_for("care.person", person_id=person_id), 303)


@bp.route("/schedule", methods=["GET", "POST"])
@role_required("admin")
def schedule_page():
    rows = {row.risk: row for row in db.session.scalars(select(CareSchedule))}
    errors, sent = {}, None
    if request.method == "POST":
        sent = request.form
        wanted = {}
        for risk in RISKS:
            every, cold = sent.get(f"{risk}.every", ""), sent.get(f"{risk}.cold", "")
            wanted[risk] = {"every": int(every) if is_id(every) else None,
                            "unit": sent.get(f"{risk}.unit"),
                            "cold_wave_days": int(cold) if is_id(cold) else None}
        try:
            with write_transaction():
                moved = services.set_schedule(current_user, wanted, clock.utcnow())
            flash(_("走访周期已保存，%(n)s 位老人的下次走访日期随之调整", n=moved), "success")
            return redirect(url_for("care.schedule_page"), 303)
        except AppError as error:
            errors = {**(error.fields or {}), "_": [error.message]}
    return render_template("care/schedule.html", rows=rows, risks=RISKS, units=UNITS,
                           errors=errors, sent=sent), 422 if errors else 200


@bp.get("/photos/<int:attachment_id>/<any(thumb, full):size>")
@login_required
def photo(attachment_id: int, size: str):
    """A visit's photo, only to those who see the person."""
    person = db.session.scalar(
        select(CarePerson).join(CareVisit, CareVisit.person_id == CarePerson.id)
        .join(CareVisit.photos).where(Attachment.id == attachment_id))
    if person is None or not access.may_see(current_user, person):
        abort(404)
    with write_transaction():
        access.log_access(current_user, [person.id], action="photo", via="page",
                          now=clock.utcnow())
    # not kept on a shared desk's browser
    return photo_response(db.session.get(Attachment, attachment_id), size,
                          cache="private, no-store")
