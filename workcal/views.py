"""The admins' work-calendar page: which years are held, add a year, override a day."""
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from sqlalchemy import func, select

from core import clock
from core.database import write_transaction
from core.errors import InvalidInput
from core.extensions import db
from core.roles import role_required
from workcal.calendar import (WorkDay, calendar_changed_in, enter_year, held_years,
                              missing_next_year, package_years, set_day)

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


def _back(message: str, year: int | None = None):
    """Tell the admin what went wrong (styled as an error) and show the calendar page again
    (303 after a POST)."""
    flash(message, "error")
    return redirect(url_for("calendar.index", year=year)), 303


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page of the calendar is an admin's."""


@bp.get("")
def index():
    years = held_years()
    today = clock.utcnow().date()
    year = request.args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("请填写 2000–2100 之间的年份"), fields={"year": ["2000–2100"]})
    exceptions = db.session.scalars(select(WorkDay).where(
        WorkDay.day >= date(year, 1, 1), WorkDay.day <= date(year, 12, 31),
        (WorkDay.is_workday != (func.strftime("%w", WorkDay.day).notin_(("0", "6"))))
        if db.engine.dialect.name == "sqlite" else
        (WorkDay.is_workday != (func.extract("isodow", WorkDay.day) < 6)))
        .order_by(WorkDay.day)).all()
    return render_template("workcal/index.html", years=years, year=year,
                           exceptions=exceptions, package_years=package_years(),
                           missing=missing_next_year(clock.utcnow(),
                                                     current_app.config["LOCAL_TIMEZONE"]))


@bp.post("/years")
def add_year():
    year = request.form.get("year", type=int)
    source = "weekdays" if request.form.get("source") == "weekdays" else "chinese-calendar"
    if year is None or not 2000 <= year <= 2100:
        return _back(_("请填写 2000–2100 之间的年份"))
    try:
        with write_transaction():  # the year and the deadlines it moves, in one unit
            days = enter_year(year, source)
            recomputed = calendar_changed_in("year")
    except ValueError as error:
        return _back(str(error))
    flash(ngettext("已录入 %(year)s 年 %(days)s 天；重算临时期限 %(num)d 件",
                   "已录入 %(year)s 年 %(days)s 天；重算临时期限 %(num)d 件",
                   recomputed, year=year, days=days))
    return redirect(url_for("calendar.index", year=year)), 303


@bp.post("/days")
def override_day():
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        return _back(_("日期格式应为 YYYY-MM-DD"))
    is_workday = request.form.get("kind") == "workday"
    try:
        with write_transaction():
            set_day(day, is_workday, (request.form.get("name") or "")[:64])
            recomputed = calendar_changed_in("days")
    except ValueError as error:
        return _back(str(error))
    if is_workday:
        flash(ngettext("%(day)s 已设为工作日；重算期限 %(num)d 件",
                       "%(day)s 已设为工作日；重算期限 %(num)d 件", recomputed, day=day.isoformat()))
    else:
        flash(ngettext("%(day)s 已设为休息日；重算期限 %(num)d 件",
                       "%(day)s 已设为休息日；重算期限 %(num)d 件", recomputed, day=day.isoformat()))
    return redirect(url_for("calendar.index", year=day.year)), 303
